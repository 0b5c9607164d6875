// The card administration keyset and the external-authentication cryptogram
// (UNBLOCK.md "Card side of the cryptogram", IAS-ECC-reference §9).
//
// Derivation, shared by the simulator's personalisation, the service's HSM path and tests:
//   SN8   = last 8 bytes of the card serial (EF.SN value), left-padded with 00
//   K_ENC = 3DES-EDE-ECB(master, SN8 || 00 00 00 00 00 00 00 01)   (16 bytes, 2-key 3DES)
//   K_MAC = 3DES-EDE-ECB(master, SN8 || 00 00 00 00 00 00 00 02)
// This is exactly what CKM_DES3_ECB_ENCRYPT_DATA with a DES2 master key yields in an HSM,
// so the service derives the keys inside the HSM and never sees them.
//
// Cryptogram for EXTERNAL AUTHENTICATE (00 82 00 00 18):
//   E = 3DES-CBC(K_ENC, IV 0)(RND.ICC || SN8)       16 bytes
//   M = retail MAC (ISO 9797-1 alg. 3, padding method 2) with K_MAC over E
//   cryptogram = E || M                              24 bytes
#pragma once

#include "ias/apdu/bytes.hpp"

namespace ias::protocol {

using apdu::Bytes;
using apdu::ByteView;
using apdu::SecureBytes;

struct AdminKeys {
    SecureBytes enc;  // 16 bytes
    SecureBytes mac;  // 16 bytes
};

constexpr std::size_t kSerialIccSize = 8;
constexpr std::size_t kChallengeSize = 8;
constexpr std::size_t kCryptogramSize = 24;

// Last 8 bytes of the serial, left-padded with zeros when shorter.
Bytes serialIcc(ByteView serial);

// Diversification data for the two keys (input of CKM_DES3_ECB_ENCRYPT_DATA).
Bytes adminKeyDerivationData(ByteView sn8, bool forMac);

AdminKeys deriveAdminKeys(ByteView master16, ByteView sn8);

// E || M for a card challenge. Throws apdu::Error on wrong sizes.
Bytes externalAuthCryptogram(const AdminKeys& keys, ByteView challenge8, ByteView sn8);

// Card side: true when `cryptogram` is E || M for this challenge (MAC compared in constant time).
bool checkExternalAuthCryptogram(const AdminKeys& keys, ByteView challenge8, ByteView sn8,
                                 ByteView cryptogram);

}  // namespace ias::protocol
