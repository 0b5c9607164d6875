// SPDX-License-Identifier: Apache-2.0
// The simulated IAS-ECC card: one handler per instruction, named as in the specification.
//
// Card::process takes a raw C-APDU and returns the raw R-APDU; it never throws for any input
// (malformed commands get a status word). State changes of the persistent memory are handed
// to the `persist` callback after every command that changed it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "ias/apdu/bytes.hpp"
#include "ias/apdu/command.hpp"
#include "ias/apdu/response.hpp"
#include "ias/sim/card_state.hpp"
#include "ias/sim/personality.hpp"
#include "ias/sim/secure_messaging.hpp"

namespace ias::sim {

using apdu::CommandApdu;
using apdu::ResponseApdu;
using apdu::StatusWord;

// ATR #6 of the reference (IAS/ECC v1.0.1 Amos).
inline constexpr std::array<std::uint8_t, 25> kAmosAtr = {
    0x3B, 0xDF, 0x18, 0xFF, 0x81, 0x91, 0xFE, 0x1F, 0xC3, 0x00, 0x31, 0xB8, 0x64,
    0x0C, 0x01, 0xEC, 0xC1, 0x73, 0x94, 0x01, 0x80, 0x82, 0x90, 0x00, 0xB3};

struct CardOptions {
    bool forceGetResponse = false;  // every response with data goes through 61xx + GET RESPONSE
    bool openScMac = false;         // always answer with OpenSC's MAC variant (default: mirror the peer)
};

// One MSE SET per control reference template (A4, AA, B6, B8).
struct SecurityEnvironmentSetting {
    std::uint8_t p1 = 0;           // 41, 81 or C1
    std::optional<std::uint8_t> algorithm;   // tag 80
    std::optional<std::uint8_t> keyRef;      // tag 84 (private key) or 83 (key set / PIN)
    std::optional<std::uint8_t> usage;       // tag 95
};

class Card {
public:
    using Persist = std::function<void(const CardState&)>;

    explicit Card(CardState state, Persist persist = {}, CardOptions options = {});

    ByteView atr() const { return personality_->atr; }
    const Personality& personality() const { return *personality_; }
    void powerOn() { resetSecurityState(); }
    void powerOff() { resetSecurityState(); }
    void reset() { resetSecurityState(); }

    // Raw C-APDU in, raw R-APDU (data || SW1 SW2) out.
    Bytes process(ByteView capdu);
    ResponseApdu process(const CommandApdu& command);

    const CardState& state() const { return state_; }
    // Serial number as used by SM and external authentication (last 8 bytes of EF.SN).
    Bytes serialIcc() const;
    bool isPinVerified(std::uint8_t pinRef) const { return verifiedPins_.count(pinRef & 0x1F) != 0; }
    bool isExternallyAuthenticated() const { return externalAuthKeyset_.has_value(); }
    bool hasSecureMessaging() const { return sm_.has_value(); }

private:
    // Instruction handlers (ISO 7816-4 / IAS-ECC names).
    ResponseApdu selectFile(const CommandApdu& c);
    ResponseApdu readBinary(const CommandApdu& c);
    ResponseApdu getData(const CommandApdu& c);
    ResponseApdu getPinInformation(const CommandApdu& c);  // Gemalto: 00 CB 00 FF A0{83 ref}
    ResponseApdu verify(const CommandApdu& c);
    ResponseApdu changeReferenceData(const CommandApdu& c);
    ResponseApdu resetRetryCounter(const CommandApdu& c);
    ResponseApdu manageSecurityEnvironment(const CommandApdu& c);
    ResponseApdu internalAuthenticate(const CommandApdu& c);
    ResponseApdu performSecurityOperation(const CommandApdu& c);
    ResponseApdu hash(const CommandApdu& c);
    ResponseApdu computeDigitalSignature(const CommandApdu& c);
    ResponseApdu decipher(const CommandApdu& c);
    ResponseApdu getChallenge(const CommandApdu& c);
    ResponseApdu externalAuthenticate(const CommandApdu& c);
    ResponseApdu mutualAuthenticate(const CommandApdu& c);
    ResponseApdu getResponse(const CommandApdu& c);

    ResponseApdu dispatch(const CommandApdu& c);
    ResponseApdu processPlain(const CommandApdu& c);
    ResponseApdu processSecureMessaging(const CommandApdu& c);
    ResponseApdu deliver(ResponseApdu r, std::size_t ne, std::uint8_t ins);
    void resetSecurityState();
    void changed();

    // File system helpers (file_commands.cpp).
    FileNode* currentDf();
    FileNode* currentEf();
    Bytes fcpOf(const FileNode& node) const;

    // Whether the personality lets key keyRef be used with algorithm byte alg in an MSE.
    bool personalityAllows(std::uint8_t keyRef, std::uint8_t alg) const;
    // The personality's description of a PIN (padding, local/global); nullptr when none.
    const PinSpec* pinSpec(std::uint8_t ref) const;
    // The PIN in a PIN block as the personality sends it (padding removed); nullopt when the
    // block has the wrong length.
    std::optional<ByteView> pinFromBlock(const PinObject& pin, ByteView block) const;
    std::size_t pinBlockLength(const PinObject& pin) const;
    PinObject* pinOfReference(std::uint8_t p2);

    // Access rules: SCB evaluation (security.cpp).
    bool scbSatisfied(std::uint8_t scb) const;
    std::optional<std::uint8_t> pinRefOfEnvironment(std::uint8_t se) const;
    std::optional<std::uint8_t> keysetRefOfEnvironment(std::uint8_t se) const;
    StatusWord checkPinAttempt(PinObject& pin, ByteView candidate);

    CardState state_;
    const Personality* personality_ = nullptr;
    bool t0_ = false;   // the ATR offers T=0 only: case-4 answers come through 61xx
    Persist persist_;
    CardOptions options_;

    // Volatile security state, cleared on power on/off and reset.
    std::vector<std::uint16_t> currentPath_;   // FIDs from MF down to the current DF
    std::optional<std::uint16_t> currentEfFid_;
    std::set<std::uint8_t> verifiedPins_;
    std::optional<std::uint8_t> externalAuthKeyset_;
    std::map<std::uint8_t, SecurityEnvironmentSetting> mse_;
    std::optional<Bytes> challenge_;
    std::optional<SmSession> sm_;
    bool commandUnderSm_ = false;
    struct Chain {
        std::uint8_t ins = 0, p1 = 0, p2 = 0;
        SecureBytes data;
    };
    std::optional<Chain> chain_;
    SecureBytes pendingResponse_;
    std::optional<Bytes> hashResult_;          // PSO HASH result for the next PSO CDS
    std::optional<std::uint8_t> hashAlgorithm_;
};

}  // namespace ias::sim
