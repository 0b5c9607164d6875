// SPDX-License-Identifier: Apache-2.0
#include "pin_policy.hpp"

#include <algorithm>

#include "ias/protocol/pin_rule.hpp"

namespace ias::p11 {

namespace {
constexpr unsigned kShortVerifyMax = 255;
}  // namespace

PinLengthRange pinLengthRange(const card::pkcs15::Pin& pin) noexcept {
    PinLengthRange r;
    r.max = pin.maxLength != 0 ? pin.maxLength : pin.storedLength != 0 ? pin.storedLength : kShortVerifyMax;
    r.max = std::min(r.max, kShortVerifyMax);
    r.min = std::min(std::max(1u, pin.minLength), r.max);
    return r;
}

CK_RV checkNewUserPin(apdu::ByteView pin, bool version3Caller) noexcept {
    switch (protocol::checkNewUserPin(pin)) {
        case protocol::PinVerdict::Ok: return CKR_OK;
        case protocol::PinVerdict::NotDigits: return CKR_PIN_INVALID;
        case protocol::PinVerdict::Length: return CKR_PIN_LEN_RANGE;
        case protocol::PinVerdict::Weak: break;
    }
    return version3Caller ? CKR_PIN_TOO_WEAK : CKR_PIN_INVALID;
}

}  // namespace ias::p11
