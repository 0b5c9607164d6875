// SPDX-License-Identifier: Apache-2.0
// Secure messaging of the simulated card (IAS-ECC-reference §8, CWA 14890 style):
// session keys from MUTUAL AUTHENTICATE, SSC, unwrapping of CLA 0C commands and wrapping of
// their responses. The card accepts the standard retail MAC and OpenSC 0.20+'s variant on
// incoming commands and answers with the variant the peer used.
//
// Byte format (same as apdu/secure_messaging.hpp, the module's SM stage):
//   command  (CLA|0C) INS P1 P2 Lc [87 L 01 ENC | 85 L ENC | 81 L plain] [97 Le] 8E 08 MAC [Le]
//            ENC = 3DES-CBC(K_ENC, zero IV, data || 80 00..); MAC over
//            SSC || CLA INS P1 P2 80 00 00 00 || DOs before 8E, ISO 9797-1 method 2 padding
//            only when not already a multiple of 8. DO87 and DO97 are optional (OpenSC always
//            sends both).
//   response [87 L 01 ENC] 99 02 SW1 SW2 8E 08 MAC; MAC over SSC || DO87 || DO99 (same
//            padding rule); the outer SW is the inner SW (OpenSC only looks at the outer one).
// SSC is incremented before checking each command and before wrapping each response. Any SM
// error (missing or wrong MAC, bad objects) ends the session: 69 88 / 69 87.
#pragma once

#include <cstdint>
#include <optional>

#include "ias/apdu/bytes.hpp"
#include "ias/apdu/command.hpp"
#include "ias/apdu/crypto.hpp"
#include "ias/apdu/response.hpp"

namespace ias::sim {

using apdu::Bytes;
using apdu::ByteView;
using apdu::SecureBytes;

class SmSession {
public:
    // kIfd/kIcc: the 32-byte key halves; rndIcc/rndIfd: the 8-byte challenges;
    // sha256: algorithm 8C (session keys from SHA-256) instead of 0C (SHA-1).
    // `variant`: the MAC variant of the responses; with mirrorPeer it follows the variant of
    // each incoming command.
    SmSession(ByteView kIfd, ByteView kIcc, ByteView rndIcc, ByteView rndIfd, bool sha256,
              apdu::crypto::MacVariant variant, bool mirrorPeer = true);

    // Verifies the MAC and decrypts a CLA x C command. Throws apdu::Error(SecureMessaging)
    // when objects are missing/incorrect or the MAC is wrong (the session must then end).
    apdu::CommandApdu unwrap(const apdu::CommandApdu& c);  // c: a CLA 0C (protected) command
    // Builds [87 L 01 ENC] 99 02 SW 8E 08 MAC; the outer SW is the inner SW.
    apdu::ResponseApdu wrap(const apdu::ResponseApdu& plain);

    const SecureBytes& encKey() const { return kEnc_; }
    const SecureBytes& macKey() const { return kMac_; }
    const Bytes& ssc() const { return ssc_; }

private:
    void incrementSsc();
    bool macMatches(ByteView macInput, ByteView mac);

    SecureBytes kEnc_;
    SecureBytes kMac_;
    Bytes ssc_;
    apdu::crypto::MacVariant variant_;
    bool mirrorPeer_;
};

// Session key derivation (§8.2): first 16 bytes of SHA-x(K.IFD xor K.ICC || 00 00 00 0c).
SecureBytes deriveSessionKey(ByteView kIfd, ByteView kIcc, std::uint8_t counter, bool sha256);

}  // namespace ias::sim
