// SPDX-License-Identifier: Apache-2.0
// Card: command intake (parse, SM stage, chaining), dispatch to the instruction handlers,
// response delivery (61xx / GET RESPONSE) and the volatile security state.
#include "ias/sim/card.hpp"

#include <algorithm>

#include "ias/apdu/instructions.hpp"
#include "ias/apdu/error.hpp"
#include "ias/protocol/admin_key.hpp"
#include "ias/sim/layout.hpp"

namespace ias::sim {

namespace {


constexpr std::size_t kMaxChainedData = 4096;
constexpr std::uint16_t kLastCommandOfChainExpected = 0x6883;
constexpr std::uint16_t kChainingNotSupported = 0x6884;
constexpr std::uint16_t kMemoryFailure = 0x6581;

ResponseApdu sw(std::uint16_t value) { return ResponseApdu{{}, StatusWord(value)}; }

bool chainingAllowed(std::uint8_t ins) { return ins == apdu::ins::kPerformSecurityOperation; }

// ISO 7816-3: an ATR without TD1, or whose TD1 names T=0, offers T=0 (Gemalto, CPx, Sagem).
bool offersOnlyT0(ByteView atr) {
    if (atr.size() < 2) return false;
    const std::uint8_t t0 = atr[1];
    std::size_t pos = 2;
    for (std::uint8_t bit : {std::uint8_t{0x10}, std::uint8_t{0x20}, std::uint8_t{0x40}}) {
        if (t0 & bit) ++pos;
    }
    if ((t0 & 0x80) == 0) return true;
    return pos < atr.size() && (atr[pos] & 0x0F) == 0;
}

}  // namespace

Card::Card(CardState state, Persist persist, CardOptions options)
    : state_(std::move(state)), persist_(std::move(persist)), options_(options) {
    personality_ = findPersonality(state_.personality);
    if (!personality_) personality_ = findPersonality(kDefaultPersonality);
    t0_ = offersOnlyT0(personality_->atr);
    resetSecurityState();
}

Bytes Card::serialIcc() const { return protocol::serialIcc(state_.serial); }

void Card::resetSecurityState() {
    currentPath_ = {layout::kFidMf};
    currentEfFid_.reset();
    verifiedPins_.clear();
    externalAuthKeyset_.reset();
    mse_.clear();
    challenge_.reset();
    sm_.reset();
    commandUnderSm_ = false;
    chain_.reset();
    pendingResponse_.clear();
    hashResult_.reset();
    hashAlgorithm_.reset();
}

void Card::changed() {
    if (persist_) persist_(state_);
}

Bytes Card::process(ByteView capdu) {
    ResponseApdu r;
    try {
        const CommandApdu c = CommandApdu::parse(capdu);
        r = process(c);
    } catch (const apdu::Error&) {
        // Lc inconsistent with the command length, truncated header, ...
        r = sw(StatusWord::kWrongLength);
        pendingResponse_.clear();
        chain_.reset();
    }
    const SecureBytes encoded = r.encode();
    return Bytes(encoded.begin(), encoded.end());
}

ResponseApdu Card::process(const CommandApdu& c) {
    try {
        if (c.cla == 0xFF || (c.cla & 0xE0) != 0x00) return sw(StatusWord::kClaNotSupported);
        if ((c.cla & 0x0C) != 0) return processSecureMessaging(c);
        commandUnderSm_ = false;
        return processPlain(c);
    } catch (const std::exception&) {
        // Persisting failed or an unexpected internal error: the card reports, never dies.
        chain_.reset();
        pendingResponse_.clear();
        return sw(kMemoryFailure);
    }
}

ResponseApdu Card::processSecureMessaging(const CommandApdu& c) {
    if (!sm_) return sw(StatusWord::kSmObjectsMissing);
    CommandApdu inner;
    try {
        inner = sm_->unwrap(c);
    } catch (const apdu::Error& e) {
        sm_.reset();  // CWA 14890: any SM error ends the session
        return sw(e.kind() == apdu::ErrorKind::SecureMessaging ? StatusWord::kSmObjectsIncorrect
                                                               : StatusWord::kSmObjectsMissing);
    }
    commandUnderSm_ = true;
    ResponseApdu plain = processPlain(inner);
    commandUnderSm_ = false;
    if (!sm_) return plain;  // the command itself ended the session (e.g. a new mutual auth)
    return sm_->wrap(plain);
}

ResponseApdu Card::processPlain(const CommandApdu& c) {
    const bool chained = (c.cla & CommandApdu::kChainingBit) != 0;
    if (chain_ && (chain_->ins != c.ins || chain_->p1 != c.p1 || chain_->p2 != c.p2)) {
        chain_.reset();
        return sw(kLastCommandOfChainExpected);
    }
    if (chained) {
        if (!chainingAllowed(c.ins)) return sw(kChainingNotSupported);
        if (!chain_) chain_ = Chain{c.ins, c.p1, c.p2, {}};
        if (chain_->data.size() + c.data.size() > kMaxChainedData) {
            chain_.reset();
            return sw(StatusWord::kWrongLength);
        }
        apdu::append(chain_->data, c.data);
        return sw(StatusWord::kSuccess);
    }
    if (c.ins != apdu::ins::kGetResponse) pendingResponse_.clear();
    if (chain_) {
        CommandApdu whole = c;
        whole.cla = static_cast<std::uint8_t>(c.cla & ~CommandApdu::kChainingBit);
        whole.data = std::move(chain_->data);
        apdu::append(whole.data, c.data);
        chain_.reset();
        return deliver(dispatch(whole), whole.ne, whole.ins);
    }
    if (c.ins == apdu::ins::kGetResponse) return getResponse(c);
    return deliver(dispatch(c), c.ne, c.ins);
}

ResponseApdu Card::dispatch(const CommandApdu& c) {
    switch (c.ins) {
        case apdu::ins::kSelect: return selectFile(c);
        case apdu::ins::kReadBinary: return readBinary(c);
        case apdu::ins::kGetData: return getData(c);
        case apdu::ins::kVerify: return verify(c);
        case apdu::ins::kChangeReferenceData: return changeReferenceData(c);
        case apdu::ins::kResetRetryCounter: return resetRetryCounter(c);
        case apdu::ins::kManageSecurityEnvironment: return manageSecurityEnvironment(c);
        case apdu::ins::kInternalAuthenticate: return internalAuthenticate(c);
        case apdu::ins::kPerformSecurityOperation: return performSecurityOperation(c);
        case apdu::ins::kGetChallenge: return getChallenge(c);
        case apdu::ins::kExternalAuthenticate: return externalAuthenticate(c);
        default: return sw(StatusWord::kInsNotSupported);
    }
}

// Hands out at most Ne bytes; the rest waits for GET RESPONSE behind 61xx. A command without
// Le (case 1/3) gets no data. With forceGetResponse every answer with data goes through 61xx.
// Personalities with answersThrough61xx (CPx, Gemalto traces) send SELECT and GET DATA
// answers that way; READ BINARY answers directly (realcards/cpx_french_health_iasecc [A]).
ResponseApdu Card::deliver(ResponseApdu r, std::size_t ne, std::uint8_t ins) {
    if (r.data.empty()) return r;
    if (ne == 0 && !(t0_ && r.sw.isSuccess())) {
        r.data.clear();
        return r;
    }
    // T=0 (ISO 7816-3 §10.3.3): a case-4 command travels without Le; the card announces its
    // data with 61xx and hands it out on GET RESPONSE.
    const bool personalityForces = personality_->answersThrough61xx && (ins == apdu::ins::kSelect || ins == apdu::ins::kGetData);
    const bool force = ((options_.forceGetResponse || personalityForces) && !commandUnderSm_) || ne == 0;
    if (!force && r.data.size() <= ne) return r;
    if (!r.sw.isSuccess()) return r;
    const std::size_t now = force ? 0 : ne;
    pendingResponse_.assign(r.data.begin() + static_cast<std::ptrdiff_t>(now), r.data.end());
    r.data.resize(now);
    const std::size_t rest = pendingResponse_.size();
    r.sw = StatusWord(0x61, static_cast<std::uint8_t>(rest >= 256 ? 0 : rest));
    return r;
}

ResponseApdu Card::getResponse(const CommandApdu& c) {
    if (c.p1 != 0 || c.p2 != 0) return sw(StatusWord::kWrongP1P2);
    if (pendingResponse_.empty()) return sw(StatusWord::kConditionsNotSatisfied);
    // GET RESPONSE is case 2 (ISO 7816-4 7.6.1): without Le it is refused and the waiting data
    // stays for a well-formed GET RESPONSE (found by the sim fuzzer: it handed out 256 bytes).
    if (c.ne == 0) return sw(StatusWord::kWrongLength);
    const std::size_t n = std::min(c.ne, pendingResponse_.size());
    ResponseApdu r{SecureBytes(pendingResponse_.begin(), pendingResponse_.begin() + static_cast<std::ptrdiff_t>(n)),
                   StatusWord(StatusWord::kSuccess)};
    pendingResponse_.erase(pendingResponse_.begin(), pendingResponse_.begin() + static_cast<std::ptrdiff_t>(n));
    if (!pendingResponse_.empty()) {
        const std::size_t rest = pendingResponse_.size();
        r.sw = StatusWord(0x61, static_cast<std::uint8_t>(rest >= 256 ? 0 : rest));
    }
    return r;
}

}  // namespace ias::sim
