#include "pin_policy.hpp"

#include "ias/protocol/pin_rule.hpp"

namespace ias::p11 {

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
