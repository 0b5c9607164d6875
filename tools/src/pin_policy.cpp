// SPDX-License-Identifier: Apache-2.0
#include "pin_policy.hpp"

namespace ias::tools {

PinVerdict checkNewPin(apdu::ByteView pin) noexcept { return protocol::checkNewUserPin(pin); }

Msg explain(PinVerdict v) noexcept {
    switch (v) {
        case PinVerdict::Ok: return Msg::PinAccepted;
        case PinVerdict::NotDigits: return Msg::PinNotDigits;
        case PinVerdict::Length: return Msg::PinLength;
        case PinVerdict::Weak: return Msg::PinWeak;
    }
    return Msg::PinWeak;
}

}  // namespace ias::tools
