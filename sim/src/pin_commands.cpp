// SPDX-License-Identifier: Apache-2.0
// PIN commands: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER (IAS-ECC-reference §6).
// PIN references carry the local bit (0x81 = user PIN, 0x82 = PUK); values are compared in
// constant time; every change of a counter or a value is persisted before the answer.
#include "ias/sim/card.hpp"
#include "handler_util.hpp"

namespace ias::sim {

using namespace detail;

namespace {

bool lengthFits(const PinObject& pin, std::size_t n) { return n >= pin.minLength && n <= pin.maxLength; }

}  // namespace

const PinSpec* Card::pinSpec(std::uint8_t ref) const {
    const Personality& p = *personality_;
    if (p.userPin.ref == ref) return &p.userPin;
    if (p.signPin && p.signPin->ref == ref) return &*p.signPin;
    if (p.puk && p.puk->ref == ref) return &*p.puk;
    return nullptr;
}

// P2 of VERIFY / CHANGE / RESET: the local bit 80 and the reference; a global PIN (Cosmo PIN1
// 00 20 00 01, Gemalto 00 20 00 11) is addressed without the local bit, a local one with it.
PinObject* Card::pinOfReference(std::uint8_t p2) {
    if ((p2 & 0x60) != 0) return nullptr;
    PinObject* pin = state_.findPin(p2 & 0x1F);
    if (!pin) return nullptr;
    const PinSpec* spec = pinSpec(pin->ref);
    const bool local = spec ? spec->local : true;
    return local == ((p2 & layout::kLocal) != 0) ? pin : nullptr;
}

std::size_t Card::pinBlockLength(const PinObject& pin) const {
    const PinSpec* spec = pinSpec(pin.ref);
    return spec && spec->storedLength != 0 ? spec->storedLength : pin.value.size();
}

// Padded personalities (Cosmo FF to 12, Gemalto 00 to 12/16): the block must have the stored
// length; the PIN is what precedes the padding. Unpadded: the block is the PIN.
std::optional<ByteView> Card::pinFromBlock(const PinObject& pin, ByteView block) const {
    const PinSpec* spec = pinSpec(pin.ref);
    if (!spec || spec->storedLength == 0) return block;
    if (block.size() != spec->storedLength) return std::nullopt;
    std::size_t n = block.size();
    while (n > 0 && block[n - 1] == spec->padChar) --n;
    return block.first(n);
}

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
    PinObject* pin = pinOfReference(c.p2);
    if (!pin) return sw(StatusWord::kReferenceNotFound);
    if (!scbSatisfied(scbFor(pin->acl, amb::kChvVerify))) return sw(StatusWord::kSecurityNotSatisfied);
    if (c.data.empty()) {
        if (pin->triesLeft == 0) return sw(StatusWord::kAuthBlocked);
        if (verifiedPins_.count(pin->ref)) return ok();
        return triesLeft(pin->triesLeft);
    }
    if (pin->triesLeft == 0) return sw(StatusWord::kAuthBlocked);
    const auto value = pinFromBlock(*pin, c.data);
    if (!value || !lengthFits(*pin, value->size())) return sw(StatusWord::kWrongLength);
    return ResponseApdu{{}, checkPinAttempt(*pin, *value)};
}

// CHANGE REFERENCE DATA 00 24 P1 <ref>: P1 00 = old || new (split at the stored length),
// P1 01 = new only, allowed when the CHANGE condition of the PIN is satisfied.
ResponseApdu Card::changeReferenceData(const CommandApdu& c) {
    if (c.p1 != 0x00 && c.p1 != 0x01) return sw(StatusWord::kIncorrectP1P2);
    PinObject* pin = pinOfReference(c.p2);
    if (!pin) return sw(StatusWord::kReferenceNotFound);
    if (pin->triesLeft == 0) return sw(StatusWord::kAuthBlocked);

    ByteView newValue;
    const ByteView all(c.data);
    const std::size_t oldLength = pinBlockLength(*pin);
    if (c.p1 == 0x00) {
        if (c.data.size() <= oldLength) return sw(StatusWord::kWrongLength);
        const auto oldValue = pinFromBlock(*pin, all.first(oldLength));
        const auto value = pinFromBlock(*pin, all.subspan(oldLength));
        if (!oldValue || !value || !lengthFits(*pin, value->size())) return sw(StatusWord::kWrongLength);
        const StatusWord result = checkPinAttempt(*pin, *oldValue);
        if (!result.isSuccess()) return ResponseApdu{{}, result};
        newValue = *value;
    } else {
        // CHANGE SCB 00 (Cosmo, CPx traces: F3 00 ..): the command proves the old PIN itself
        // (P1=00); the new-PIN-only form needs a real condition, so it is refused here.
        const std::uint8_t changeScb = scbFor(pin->acl, amb::kChvChange);
        if (changeScb == layout::kScbAlways || !scbSatisfied(changeScb)) return sw(StatusWord::kSecurityNotSatisfied);
        const auto value = pinFromBlock(*pin, all);
        if (!value || !lengthFits(*pin, value->size())) return sw(StatusWord::kWrongLength);
        newValue = *value;
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
    PinObject* pin = pinOfReference(c.p2);
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
        const std::size_t pukLength = pinBlockLength(*puk);
        const ByteView all(c.data);
        if (c.p1 == 0x01 && c.data.size() != pukLength) return sw(StatusWord::kWrongLength);
        if (c.p1 == 0x00 && c.data.size() <= pukLength) return sw(StatusWord::kWrongLength);
        const auto pukValue = pinFromBlock(*puk, all.first(pukLength));
        std::optional<ByteView> value;
        if (c.p1 == 0x00) {
            value = pinFromBlock(*pin, all.subspan(pukLength));
            if (!value || !lengthFits(*pin, value->size())) return sw(StatusWord::kWrongLength);
        }
        if (!pukValue) return sw(StatusWord::kWrongLength);
        const StatusWord result = checkPinAttempt(*puk, *pukValue);
        if (!result.isSuccess()) return ResponseApdu{{}, result};
        if (value) newValue = apdu::secureCopy(*value);
    } else {
        if (!scbSatisfied(resetScb)) return sw(StatusWord::kSecurityNotSatisfied);
        if (c.p1 == 0x03 && !c.data.empty()) return sw(StatusWord::kWrongLength);
        if (c.p1 == 0x02) {
            const auto value = pinFromBlock(*pin, c.data);
            if (!value || !lengthFits(*pin, value->size())) return sw(StatusWord::kWrongLength);
            newValue = apdu::secureCopy(*value);
        }
    }
    if (withNewValue) pin->value = std::move(newValue);
    pin->triesLeft = pin->maxTries;
    verifiedPins_.erase(pin->ref);
    changed();
    return ok();
}

}  // namespace ias::sim
