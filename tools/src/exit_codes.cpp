// SPDX-License-Identifier: Apache-2.0
#include "exit_codes.hpp"

namespace ias::tools {

// UNBLOCK.md "In the module": what each CK_RV of C_OpenSession / C_Login(CKU_SO) / C_InitPIN
// means for the holder.
Failure failureFor(ResetStage stage, CK_RV rv) noexcept {
    switch (rv) {
        case CKR_TOKEN_NOT_PRESENT:
        case CKR_DEVICE_REMOVED:
        case CKR_TOKEN_NOT_RECOGNIZED:
        case CKR_SLOT_ID_INVALID: return {ExitCode::NoToken, Msg::FailTokenGone};
        case CKR_FUNCTION_NOT_SUPPORTED: return {ExitCode::NotConfigured, Msg::FailNotConfigured};
        case CKR_FUNCTION_FAILED: return {ExitCode::Unreachable, Msg::FailUnreachable};
        case CKR_SESSION_READ_ONLY_EXISTS:
        case CKR_USER_ANOTHER_ALREADY_LOGGED_IN:
        case CKR_USER_ALREADY_LOGGED_IN: return {ExitCode::CardError, Msg::FailSessionBusy};
        case CKR_PIN_LOCKED: return {ExitCode::Blocked, Msg::FailSecretLocked};
        default: break;
    }
    if (stage == ResetStage::Login) {
        switch (rv) {
            // The module checks the symbols like the tool does; a malformed secret is a wrong one.
            case CKR_PIN_INCORRECT:
            case CKR_PIN_INVALID:
            case CKR_PIN_LEN_RANGE: return {ExitCode::WrongSecret, Msg::FailWrongSecret};
            default: break;
        }
    }
    if (stage == ResetStage::InitPin) {
        switch (rv) {
            case CKR_PIN_INVALID:
            case CKR_PIN_LEN_RANGE:
            case CKR_PIN_TOO_WEAK: return {ExitCode::PinPolicy, Msg::FailPolicy};
            case CKR_USER_NOT_LOGGED_IN: return {ExitCode::CardError, Msg::FailLoginExpired};
            default: break;
        }
    }
    return {ExitCode::CardError, Msg::FailCard};
}

}  // namespace ias::tools
