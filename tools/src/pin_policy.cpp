#include "pin_policy.hpp"

#include "core/pin_policy.hpp"  // the module's rule (module/src/core)

namespace ias::tools {

PinVerdict checkNewPin(apdu::ByteView pin) noexcept {
    switch (p11::checkNewUserPin(pin, true)) {
        case CKR_OK: return PinVerdict::Ok;
        case CKR_PIN_INVALID: return PinVerdict::NotDigits;
        case CKR_PIN_LEN_RANGE: return PinVerdict::Length;
        default: return PinVerdict::Weak;
    }
}

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
