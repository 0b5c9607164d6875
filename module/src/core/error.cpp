// SPDX-License-Identifier: Apache-2.0
#include "error.hpp"

#include <new>
#include <string_view>

#include "../card/card_error.hpp"
#include "ias/apdu/error.hpp"
#include "log.hpp"
#include "return_values.hpp"
#include "../unblock/service_client.hpp"

namespace ias::p11 {

namespace {

CK_RV fromApdu(apdu::ErrorKind kind) noexcept {
    switch (kind) {
        case apdu::ErrorKind::CardRemoved:
        case apdu::ErrorKind::NoCard:
        case apdu::ErrorKind::NoReader: return CKR_DEVICE_REMOVED;
        case apdu::ErrorKind::CardReset:
        case apdu::ErrorKind::NoService:
        case apdu::ErrorKind::Transport:
        case apdu::ErrorKind::Malformed:
        case apdu::ErrorKind::SecureMessaging: return CKR_DEVICE_ERROR;
        case apdu::ErrorKind::Crypto:
        case apdu::ErrorKind::Internal: return CKR_FUNCTION_FAILED;
    }
    return CKR_GENERAL_ERROR;
}

CK_RV fromCard(card::CardErrorKind kind) noexcept {
    switch (kind) {
        case card::CardErrorKind::PinIncorrect: return CKR_PIN_INCORRECT;
        case card::CardErrorKind::PinBlocked: return CKR_PIN_LOCKED;
        case card::CardErrorKind::SecurityNotSatisfied: return CKR_USER_NOT_LOGGED_IN;
        case card::CardErrorKind::ConditionsNotSatisfied: return CKR_FUNCTION_REJECTED;
        case card::CardErrorKind::WrongData: return CKR_DATA_INVALID;
        case card::CardErrorKind::WrongLength: return CKR_DATA_LEN_RANGE;
        case card::CardErrorKind::FileNotFound:
        case card::CardErrorKind::ReferenceNotFound:
        case card::CardErrorKind::NotSupported:
        case card::CardErrorKind::MalformedResponse:
        case card::CardErrorKind::Unexpected: return CKR_DEVICE_ERROR;
    }
    return CKR_GENERAL_ERROR;
}

CK_RV fromUnblock(unblock::UnblockErrorKind kind) noexcept {
    switch (kind) {
        case unblock::UnblockErrorKind::WrongSecret: return CKR_PIN_INCORRECT;
        case unblock::UnblockErrorKind::Refused: return CKR_PIN_LOCKED;
        case unblock::UnblockErrorKind::BadTicket: return CKR_USER_NOT_LOGGED_IN;
        case unblock::UnblockErrorKind::Unreachable:
        case unblock::UnblockErrorKind::Protocol: return CKR_FUNCTION_FAILED;
    }
    return CKR_GENERAL_ERROR;
}

// A card or service refusal is mapped by its kind, but only some functions may return the
// result (PKCS#11 v2.40 lists each function's values, return_values.hpp): C_Login may say
// CKR_PIN_INCORRECT, not CKR_FUNCTION_REJECTED; C_Decrypt says CKR_ENCRYPTED_DATA_INVALID where
// C_Sign says CKR_DATA_INVALID; C_SignFinal has no CKR_DATA_INVALID. An answer that makes no
// sense for the function (a 6985 to a VERIFY, found by the p11_api fuzzer) becomes `fallback`:
// CKR_DEVICE_ERROR for the card, CKR_FUNCTION_FAILED for the service.
CK_RV fitToFunction(CK_RV code, const char* function, CK_RV fallback) noexcept {
    const std::string_view name = function ? function : "";
    // The decryption functions' names for what the card calls wrong data.
    if (name.starts_with("C_Decrypt")) {
        if (code == CKR_DATA_INVALID) code = CKR_ENCRYPTED_DATA_INVALID;
        if (code == CKR_DATA_LEN_RANGE) code = CKR_ENCRYPTED_DATA_LEN_RANGE;
    }
    if (code == CKR_DEVICE_ERROR || code == CKR_FUNCTION_FAILED) return code;
    const rv::Allowed* allowed = rv::allowedFor(name);
    return allowed && allowed->has(code) ? code : fallback;
}

}  // namespace

CK_RV currentExceptionToRv(const char* function) noexcept {
    try {
        throw;
    } catch (const Error& e) {
        logf(LogLevel::Debug, "%s: 0x%08lX (%s)", function, e.rv(), e.what());
        return e.rv();
    } catch (const card::CardError& e) {
        const CK_RV rv = fitToFunction(fromCard(e.kind()), function, CKR_DEVICE_ERROR);
        logf(LogLevel::Info, "%s: 0x%08lX (%s)", function, rv, e.what());
        return rv;
    } catch (const unblock::UnblockError& e) {
        const CK_RV rv = fitToFunction(fromUnblock(e.kind()), function, CKR_FUNCTION_FAILED);
        logf(LogLevel::Info, "%s: 0x%08lX (%s)", function, rv, e.what());
        return rv;
    } catch (const apdu::Error& e) {
        const CK_RV rv = fromApdu(e.kind());
        logf(LogLevel::Info, "%s: 0x%08lX (%s: %s)", function, rv, apdu::toString(e.kind()), e.what());
        return rv;
    } catch (const std::bad_alloc&) {
        return CKR_HOST_MEMORY;
    } catch (const std::exception& e) {
        logf(LogLevel::Error, "%s: internal error (%s)", function, e.what());
        return CKR_GENERAL_ERROR;
    } catch (...) {
        logf(LogLevel::Error, "%s: unknown internal error", function);
        return CKR_GENERAL_ERROR;
    }
}

}  // namespace ias::p11
