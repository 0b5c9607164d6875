// SPDX-License-Identifier: Apache-2.0
// The card administration keyset and the external-authentication cryptogram
// (UNBLOCK.md "Card side of the cryptogram", IAS-ECC-reference §9).
//
// Diversification "emv-cps-sn8" (docs/admin-keys.md), shared by the simulator's
// personalisation, the service's HSM path and tests. MK is the issuer master key (2-key 3DES),
// E_K(x) is 3DES-EDE-ECB of one 8-byte block:
//   SN8   = last 8 bytes of the card serial (EF.SN value), left-padded with 00
//   KC    = E_MK(SN8) || E_MK(SN8 XOR FF..FF)                 card master key: EMV Book 2
//           Annex A1.4.1 option A with Y = SN8 (all 8 serial bytes, distinct halves)
//   K_ENC = E_KC(SN8[2..7] || F0 01) || E_KC(SN8[2..7] || 0F 01)   GlobalPlatform / EMV CPS
//   K_MAC = E_KC(SN8[2..7] || F0 02) || E_KC(SN8[2..7] || 0F 02)   KDC_ENC / KDC_MAC with KMC = KC
// The four halves of K_ENC and K_MAC are E_KC of four distinct blocks (so distinct) and KC
// depends on every serial byte. Each step is exactly CKM_DES3_ECB_ENCRYPT_DATA on a DES2 key,
// so the service derives KC and then the keys inside the HSM and never sees any of them.
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

// Name of the diversification scheme above (service config hsm.admin_key_diversification).
constexpr const char* kAdminKeyDiversification = "emv-cps-sn8";

// Step 1 data: SN8 || ~SN8 (16 bytes; CKM_DES3_ECB_ENCRYPT_DATA under the master gives KC).
Bytes cardKeyDerivationData(ByteView sn8);

// Step 2 data for K_ENC or K_MAC (16 bytes; CKM_DES3_ECB_ENCRYPT_DATA under KC).
Bytes adminKeyDerivationData(ByteView sn8, bool forMac);

// KC = E_MK(SN8) || E_MK(~SN8).
SecureBytes cardMasterKey(ByteView master16, ByteView sn8);

AdminKeys deriveAdminKeys(ByteView master16, ByteView sn8);

// E || M for a card challenge. Throws apdu::Error on wrong sizes.
Bytes externalAuthCryptogram(const AdminKeys& keys, ByteView challenge8, ByteView sn8);

// Card side: true when `cryptogram` is E || M for this challenge (MAC compared in constant time).
bool checkExternalAuthCryptogram(const AdminKeys& keys, ByteView challenge8, ByteView sn8,
                                 ByteView cryptogram);

}  // namespace ias::protocol
