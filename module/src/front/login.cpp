// SPDX-License-Identifier: Apache-2.0
// Login and PIN management: C_Login, C_LoginUser (3.0), C_Logout, C_InitPIN, C_SetPIN.
#include <mutex>

#include "../core/pin_policy.hpp"
#include "exports.hpp"
#include "front.hpp"

using namespace ias::p11;
using namespace ias::p11::front;

namespace {

CK_RV loginContextSpecific(Session& session, apdu::ByteView pin) {
    Token& token = *session.token();
    std::lock_guard lock(session.mutex());
    const bool signing = session.sign && session.sign->key->key()->alwaysAuthenticate;
    const bool decrypting = session.decrypt && session.decrypt->key->key()->alwaysAuthenticate;
    // No operation waiting for it first (the standard's answer); CKR_USER_NOT_LOGGED_IN (not
    // in C_Login's list) only for an operation whose user login was lost, e.g. to a card reset.
    if (!signing && !decrypting) return CKR_OPERATION_NOT_INITIALIZED;
    if (token.loginState() != LoginState::User) return CKR_USER_NOT_LOGGED_IN;
    token.verifyForSignature(signing ? *session.sign->key : *session.decrypt->key, pin);  // outside the card's limits (empty too): never sent
    if (signing) session.sign->contextLoginDone = true;
    if (decrypting) session.decrypt->contextLoginDone = true;
    return CKR_OK;
}

CK_RV login(CK_SESSION_HANDLE handle, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pinPtr, CK_ULONG pinLength) {
    auto [library, session] = sessionCall(handle);
    // Only the unblock secret of CKU_SO has the documented CKR_PIN_LEN_RANGE (UNBLOCK.md); a
    // user PIN too long for any card is just not the PIN (C_Login's return values, v2.40 §5.6).
    const apdu::SecureBytes pin = pinBytes(pinPtr, pinLength, userType == CKU_SO ? CKR_PIN_LEN_RANGE : CKR_PIN_INCORRECT);
    requireArgument(pinPtr != nullptr);  // no protected authentication path
    Token& token = *session->token();
    switch (userType) {
        case CKU_CONTEXT_SPECIFIC: return loginContextSpecific(*session, pin);
        case CKU_USER:
            if (token.loginState() == LoginState::User || token.loginState() == LoginState::UnblockPending) {
                return CKR_USER_ALREADY_LOGGED_IN;
            }
            if (token.loginState() == LoginState::SecurityOfficer) return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
            // A PIN outside the card's limits is never sent (an empty VERIFY only reads the
            // counter): CKR_PIN_INCORRECT, or CKR_PIN_LOCKED (Token::requireUserPinLength).
            token.loginUser(pin, library->unblock());
            return CKR_OK;
        case CKU_SO:
            if (token.loginState() == LoginState::SecurityOfficer) return CKR_USER_ALREADY_LOGGED_IN;
            if (token.loginState() == LoginState::User || token.loginState() == LoginState::UnblockPending) {
                return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
            }
            // PKCS#11 v2.40 §5.6: no SO login while a R/O session exists — the calling one
            // included (UNBLOCK.md's CKR_SESSION_READ_ONLY is not a C_Login return value).
            if (!session->readWrite() || library->hasReadOnlySession(session->slot())) {
                return CKR_SESSION_READ_ONLY_EXISTS;
            }
            // Never sent anywhere: there is no protected authentication path.
            if (pin.empty()) return CKR_PIN_INCORRECT;
            token.loginSecurityOfficer(pin, library->unblock());
            return CKR_OK;
        default: return CKR_USER_TYPE_INVALID;
    }
}

}  // namespace

IAS_EXPORT CK_RV C_Login(CK_SESSION_HANDLE handle, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pin, CK_ULONG pinLength) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): our own login() (anonymous namespace), not <utmp.h>'s ::login
    return guarded("C_Login", [&] { return login(handle, userType, pin, pinLength); });
}

IAS_EXPORT CK_RV C_LoginUser(CK_SESSION_HANDLE handle, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pin, CK_ULONG pinLength,
                             CK_UTF8CHAR_PTR, CK_ULONG usernameLength) {
    return guarded("C_LoginUser", [&] {
        if (usernameLength != 0) {
            sessionCall(handle);
            return CKR_FUNCTION_NOT_SUPPORTED;  // the token has no user names
        }
        return login(handle, userType, pin, pinLength);  // NOLINT(concurrency-mt-unsafe): our login(), not ::login
    });
}

IAS_EXPORT CK_RV C_Logout(CK_SESSION_HANDLE handle) {
    return guarded("C_Logout", [&] {
        auto [library, session] = sessionCall(handle);
        Token& token = *session->token();
        if (token.loginState() == LoginState::Public) return CKR_USER_NOT_LOGGED_IN;
        token.logout();
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_InitPIN(CK_SESSION_HANDLE handle, CK_UTF8CHAR_PTR pin, CK_ULONG pinLength) {
    return guarded("C_InitPIN", [&] {
        auto [library, session] = sessionCall(handle);
        const apdu::SecureBytes newPin = pinBytes(pin, pinLength);
        if (session->token()->loginState() != LoginState::SecurityOfficer) return CKR_USER_NOT_LOGGED_IN;
        if (const CK_RV rv = checkNewUserPin(newPin, version3Caller()); rv != CKR_OK) return rv;
        session->token()->initUserPin(newPin, library->unblock());
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_SetPIN(CK_SESSION_HANDLE handle, CK_UTF8CHAR_PTR oldPin, CK_ULONG oldLength, CK_UTF8CHAR_PTR newPin,
                          CK_ULONG newLength) {
    return guarded("C_SetPIN", [&] {
        auto [library, session] = sessionCall(handle);
        const apdu::SecureBytes oldBytes = pinBytes(oldPin, oldLength);
        const apdu::SecureBytes newBytes = pinBytes(newPin, newLength);
        requireArgument(oldPin != nullptr && newPin != nullptr);
        if (!session->readWrite()) return CKR_SESSION_READ_ONLY;
        Token& token = *session->token();
        if (token.loginState() == LoginState::SecurityOfficer) return CKR_FUNCTION_NOT_SUPPORTED;
        if (const CK_RV rv = checkNewUserPin(newBytes, version3Caller()); rv != CKR_OK) return rv;
        // An old PIN outside the card's limits (empty too) is never sent: CKR_PIN_INCORRECT or
        // CKR_PIN_LOCKED, as for C_Login; CKR_PIN_LEN_RANGE is about the new PIN only.
        token.changeUserPin(oldBytes, newBytes, library->unblock());
        return CKR_OK;
    });
}
