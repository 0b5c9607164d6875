#include "pin_policy.hpp"

#include <algorithm>

namespace ias::p11 {

namespace {
constexpr std::size_t kPinLength = 4;
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
    if (!std::all_of(pin.begin(), pin.end(), [](std::uint8_t c) { return c >= '0' && c <= '9'; })) {
        return CKR_PIN_INVALID;
    }
    if (pin.size() != kPinLength) return CKR_PIN_LEN_RANGE;
    const bool sequence1234 = pin[0] == '1' && pin[1] == '2' && pin[2] == '3' && pin[3] == '4';
    const bool repeated = std::all_of(pin.begin(), pin.end(), [&](std::uint8_t c) { return c == pin[0]; });
    if (sequence1234 || repeated) return version3Caller ? CKR_PIN_TOO_WEAK : CKR_PIN_INVALID;
    return CKR_OK;
}

}  // namespace ias::p11
