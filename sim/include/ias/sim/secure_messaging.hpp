// Secure messaging of the simulated card (IAS-ECC-reference §8, CWA 14890 style):
// session keys from MUTUAL AUTHENTICATE, SSC, unwrapping of CLA 0C commands and wrapping of
// their responses. The card accepts the standard retail MAC and OpenSC 0.20+'s variant on
// incoming commands and answers with the variant the peer used.
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
    apdu::CommandApdu unwrap(const apdu::CommandApdu& protectedCommand);
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
