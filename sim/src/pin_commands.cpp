// PIN commands: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER (IAS-ECC-reference §6).
// PIN references carry the local bit (0x81 = user PIN, 0x82 = PUK); values are compared in
// constant time; every change of a counter or a value is persisted before the answer.
#include "ias/sim/card.hpp"
#include "handler_util.hpp"

namespace ias::sim {

using namespace detail;

namespace {

bool lengthFits(const PinObject& pin, std::size_t n) { return n >= pin.minLength && n <= pin.maxLength; }

std::optional<std::uint8_t> localReference(std::uint8_t p2) {
    if ((p2 & layout::kLocal) == 0 || (p2 & 0x60) != 0) return std::nullopt;
    return static_cast<std::uint8_t>(p2 & 0x1F);
}

}  // namespace

// Compares a candidate with the PIN, updates the counter and the verified state.
StatusWord Card::checkPinAttempt(PinObject& pin, ByteView candidate) {
    if (pin.triesLeft == 0) return StatusWord(StatusWord::kAuthBlocked);
    if (apdu::constantTimeEqual(pin.value, candidate)) {
        verifiedPins_.insert(pin.ref);
        if (pin.triesLeft != pin.maxTries) {
            pin.triesLeft = pin.maxTries;
            changed();
        }
        return StatusWord(StatusWord::kSuccess);
    }
    verifiedPins_.erase(pin.ref);
    --pin.triesLeft;
    changed();
    return StatusWord(static_cast<std::uint16_t>(0x63C0 | pin.triesLeft));
}

// VERIFY 00 20 00 <ref> [Lc PIN]. Without data: status (63Cx, 90 00 when verified, 69 83).
ResponseApdu Card::verify(const CommandApdu& c) {
    if (c.p1 != 0x00) return sw(StatusWord::kIncorrectP1P2);
    const auto ref = localReference(c.p2);
    if (!ref) return sw(StatusWord::kReferenceNotFound);
    PinObject* pin = state_.findPin(*ref);
    if (!pin) return sw(StatusWord::kReferenceNotFound);
    if (!scbSatisfied(scbFor(pin->acl, amb::kChvVerify))) return sw(StatusWord::kSecurityNotSatisfied);
    if (c.data.empty()) {
        if (pin->triesLeft == 0) return sw(StatusWord::kAuthBlocked);
        if (verifiedPins_.count(pin->ref)) return ok();
        return triesLeft(pin->triesLeft);
    }
    if (pin->triesLeft == 0) return sw(StatusWord::kAuthBlocked);
    if (!lengthFits(*pin, c.data.size())) return sw(StatusWord::kWrongLength);
    return ResponseApdu{{}, checkPinAttempt(*pin, c.data)};
}

// CHANGE REFERENCE DATA 00 24 P1 <ref>: P1 00 = old || new (split at the stored length),
// P1 01 = new only, allowed when the CHANGE condition of the PIN is satisfied.
ResponseApdu Card::changeReferenceData(const CommandApdu& c) {
    if (c.p1 != 0x00 && c.p1 != 0x01) return sw(StatusWord::kIncorrectP1P2);
    const auto ref = localReference(c.p2);
    if (!ref) return sw(StatusWord::kReferenceNotFound);
    PinObject* pin = state_.findPin(*ref);
    if (!pin) return sw(StatusWord::kReferenceNotFound);
    if (pin->triesLeft == 0) return sw(StatusWord::kAuthBlocked);

    ByteView newValue;
    if (c.p1 == 0x00) {
        const std::size_t oldLength = pin->value.size();
        if (c.data.size() <= oldLength || !lengthFits(*pin, c.data.size() - oldLength)) {
            return sw(StatusWord::kWrongLength);
        }
        const ByteView all(c.data);
        const StatusWord result = checkPinAttempt(*pin, all.first(oldLength));
        if (!result.isSuccess()) return ResponseApdu{{}, result};
        newValue = all.subspan(oldLength);
    } else {
        if (!scbSatisfied(scbFor(pin->acl, amb::kChvChange))) return sw(StatusWord::kSecurityNotSatisfied);
        if (!lengthFits(*pin, c.data.size())) return sw(StatusWord::kWrongLength);
        newValue = c.data;
    }
    pin->value = apdu::secureCopy(newValue);
    pin->triesLeft = pin->maxTries;
    verifiedPins_.insert(pin->ref);
    changed();
    return ok();
}

// RESET RETRY COUNTER 00 2C P1 <ref>:
//   00 = PUK || new PIN, 01 = PUK (counter only), 02 = new PIN, 03 = counter only.
// 02/03 need the RESET condition of the PIN (PUK verified before, or external
// authentication with the administration key set: SCB 32 on the default card).
ResponseApdu Card::resetRetryCounter(const CommandApdu& c) {
    if (c.p1 > 0x03) return sw(StatusWord::kIncorrectP1P2);
    const auto ref = localReference(c.p2);
    if (!ref) return sw(StatusWord::kReferenceNotFound);
    PinObject* pin = state_.findPin(*ref);
    if (!pin) return sw(StatusWord::kReferenceNotFound);
    const std::uint8_t resetScb = scbFor(pin->acl, amb::kChvReset);

    SecureBytes newValue;
    const bool withNewValue = c.p1 == 0x00 || c.p1 == 0x02;
    if (c.p1 == 0x00 || c.p1 == 0x01) {
        if ((resetScb & layout::kScbUserAuth) == 0 || resetScb == layout::kScbNever) {
            return sw(StatusWord::kSecurityNotSatisfied);
        }
        const auto pukRef = pinRefOfEnvironment(resetScb & 0x0F);
        PinObject* puk = pukRef ? state_.findPin(*pukRef & 0x1F) : nullptr;
        if (!puk) return sw(StatusWord::kSecurityNotSatisfied);
        const std::size_t pukLength = puk->value.size();
        if (c.p1 == 0x01 && c.data.size() != pukLength) return sw(StatusWord::kWrongLength);
        if (c.p1 == 0x00 && (c.data.size() <= pukLength || !lengthFits(*pin, c.data.size() - pukLength))) {
            return sw(StatusWord::kWrongLength);
        }
        const ByteView all(c.data);
        const StatusWord result = checkPinAttempt(*puk, all.first(pukLength));
        if (!result.isSuccess()) return ResponseApdu{{}, result};
        if (c.p1 == 0x00) newValue = apdu::secureCopy(all.subspan(pukLength));
    } else {
        if (!scbSatisfied(resetScb)) return sw(StatusWord::kSecurityNotSatisfied);
        if (c.p1 == 0x02 && !lengthFits(*pin, c.data.size())) return sw(StatusWord::kWrongLength);
        if (c.p1 == 0x03 && !c.data.empty()) return sw(StatusWord::kWrongLength);
        newValue = c.data;
    }
    if (withNewValue) pin->value = std::move(newValue);
    pin->triesLeft = pin->maxTries;
    verifiedPins_.erase(pin->ref);
    changed();
    return ok();
}

}  // namespace ias::sim
