// SPDX-License-Identifier: Apache-2.0
#include "ias/protocol/pin_rule.hpp"

#include <algorithm>

namespace ias::protocol {

namespace {
constexpr std::size_t kPinLength = 4;
}

PinVerdict checkNewUserPin(apdu::ByteView pin) noexcept {
    if (!std::all_of(pin.begin(), pin.end(), [](std::uint8_t c) { return c >= '0' && c <= '9'; })) {
        return PinVerdict::NotDigits;
    }
    if (pin.size() != kPinLength) return PinVerdict::Length;
    const bool sequence1234 = pin[0] == '1' && pin[1] == '2' && pin[2] == '3' && pin[3] == '4';
    const bool repeated = std::all_of(pin.begin(), pin.end(), [&](std::uint8_t c) { return c == pin[0]; });
    return sequence1234 || repeated ? PinVerdict::Weak : PinVerdict::Ok;
}

}  // namespace ias::protocol
