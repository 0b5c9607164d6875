// SPDX-License-Identifier: Apache-2.0
// Secure messaging (CWA 14890 style, IAS-ECC-reference §8) as a stage of the transmit path.
//
//   establishSmSession(plainChannel, params)   GET CHALLENGE + MUTUAL AUTHENTICATE
//   SecureMessagingChannel sm(plainChannel, std::move(session));
//   sm.transmit(CommandApdu::verify...)        wrapped, sent, answer MAC-checked, unwrapped
//
// The MSE SET AT that precedes mutual authentication (`00 22 C1 A4 …`) names the card's
// key set and belongs to the card application, not to this stage.
//
// Byte format (both directions; "pad" = ISO 9797-1 method 2, added only when the input is
// not already a multiple of 8, as in reference §8.3):
//   command  (CLA|0C) INS P1 P2 Lc [87 L 01 ENC | 85 L ENC] [97 01 Le] 8E 08 MAC 00
//            ENC = 3DES-CBC(K_ENC, zero IV, pad-always(data)); 85 for odd INS;
//            MAC over pad(SSC || CLA' INS P1 P2 80 00 00 00 || DO87/85 || DO97)
//   response [87 L 01 ENC | 85 L ENC] 99 02 SW1 SW2 8E 08 MAC, outer SW 9000 or = inner SW
//            MAC over pad(SSC || DO87/85 || DO99)
// SSC is incremented before wrapping each command and before checking each response.
// Standard options send DO87 only with data and DO97 only with Le, and outer Le 00;
// SmOptions::openScCompatible() reproduces OpenSC 0.23 (always DO87 and DO97, outer Le
// = DO97 value, quirk MAC) so our code can talk to a card set up for OpenSC.
//
// Unlike OpenSC, the response MAC is always verified (constant time) and the inner 99
// status is authoritative. Every failure (bad MAC, missing 99, malformed objects, an
// answer without SM objects, a transport error) ends the session: keys are wiped and
// further transmits throw Error(SecureMessaging) until a new session is established.
// Keys are never formatted into messages or traces.
#pragma once

#include <cstddef>

#include "ias/apdu/bytes.hpp"
#include "ias/apdu/channel.hpp"
#include "ias/apdu/crypto.hpp"

namespace ias::apdu {

using crypto::MacVariant;

enum class SmKeyDerivation {
    Sha1,    // algorithm 0C: first 16 bytes of SHA-1
    Sha256,  // algorithm 8C: first 16 bytes of SHA-256
};

struct SmOptions {
    MacVariant mac = MacVariant::Standard;
    bool alwaysDataObject = false;  // DO87 (an encrypted padding block) even without data
    bool alwaysLeObject = false;    // DO97 even without Le (value 0E, as OpenSC sends)
    // Plain data longer than this is sent in CLA|10 chained parts, each part wrapped.
    std::size_t maxPlainChunk = 0xE0;

    static SmOptions openScCompatible() { return {MacVariant::OpenSc, true, true, 0xE0}; }
};

// Session keys and send sequence counter. Movable, not copyable; wiped when destroyed.
class SmSession {
public:
    SmSession() = default;
    SmSession(SecureBytes encKey, SecureBytes macKey, SecureBytes ssc);
    SmSession(SmSession&& other) noexcept;
    SmSession& operator=(SmSession&& other) noexcept;
    SmSession(const SmSession&) = delete;
    SmSession& operator=(const SmSession&) = delete;
    ~SmSession() { close(); }

    bool isOpen() const { return open_; }
    const SecureBytes& encKey() const { return enc_; }
    const SecureBytes& macKey() const { return mac_; }
    const SecureBytes& ssc() const { return ssc_; }
    void incrementSsc();
    // Wipes keys and SSC (SecureBytes wipe on release).
    void close() noexcept;

private:
    SecureBytes enc_;
    SecureBytes mac_;
    SecureBytes ssc_;
    bool open_ = false;
};

struct SmStaticKeys {
    SecureBytes enc;  // K_ENC, 2-key 3DES (16 bytes)
    SecureBytes mac;  // K_MAC, 2-key 3DES (16 bytes)
};

struct SmParameters {
    SmStaticKeys keys;
    Bytes snIfd;  // 8 bytes, the terminal's serial
    Bytes snIcc;  // 8 bytes: smSerialFromCardSerial(EF.SN content)
    MacVariant mac = MacVariant::Standard;  // for M.IFD / M.ICC
    SmKeyDerivation derivation = SmKeyDerivation::Sha1;
};

// Last 8 bytes of the card serial, left zero-padded when shorter (reference §8.2).
Bytes smSerialFromCardSerial(ByteView serial);

// MUTUAL AUTHENTICATE (reference §8.2), one object per attempt.
class MutualAuthentication {
public:
    // RND.IFD and K.IFD from the CSPRNG.
    explicit MutualAuthentication(SmParameters params);
    // Fixed RND.IFD (8) and K.IFD (32): tests and replay only.
    MutualAuthentication(SmParameters params, ByteView rndIfd, ByteView kIfd);

    // 00 82 00 00 48 E.IFD || M.IFD 48 for the card challenge RND.ICC (8 bytes).
    CommandApdu command(ByteView rndIcc);
    // Checks E.ICC || M.ICC (MAC, the echoed RND.IFD/SN.IFD/RND.ICC/SN.ICC) and derives the
    // session. Throws Error(SecureMessaging) on any mismatch or a non-9000 status.
    SmSession finish(const ResponseApdu& answer);

private:
    SmParameters params_;
    SecureBytes rndIfd_;
    SecureBytes kIfd_;
    SecureBytes rndIcc_;
};

// GET CHALLENGE (00 84 00 00 08) and MUTUAL AUTHENTICATE on a plain channel.
SmSession establishSmSession(CardChannel& plain, SmParameters params);

// Session keys from K.IFD and K.ICC (exposed for card-side models and tests).
SmSession deriveSmSession(ByteView kIfd, ByteView kIcc, ByteView rndIcc, ByteView rndIfd, SmKeyDerivation derivation);

class SecureMessagingChannel : public CardChannel {
public:
    // `inner` (normally an IsoChannel) must outlive this object.
    SecureMessagingChannel(CardChannel& inner, SmSession session, SmOptions options = {});

    // Wraps, sends, verifies and unwraps. Throws Error(SecureMessaging) when closed.
    ResponseApdu transmit(const CommandApdu& command) override;

    bool isOpen() const { return session_.isOpen(); }
    void close() noexcept { session_.close(); }

    // One step each; public for tests and the simulator's cross-checks.
    CommandApdu wrap(const CommandApdu& plain);
    ResponseApdu unwrap(const ResponseApdu& wrapped);

private:
    ResponseApdu exchange(const CommandApdu& part);
    [[noreturn]] void fail(const char* what);

    CardChannel& inner_;
    SmSession session_;
    SmOptions options_;
};

}  // namespace ias::apdu
