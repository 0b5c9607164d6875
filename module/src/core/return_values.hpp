// SPDX-License-Identifier: Apache-2.0
// Return values each PKCS#11 function may give (PKCS#11 v2.40 / 3.0 base specification,
// the "Return values" list of every function), minus CKR_GENERAL_ERROR, which the module
// never documents: it is its answer to an internal exception, i.e. a bug.
// Deliberate deviations the module documents in its sources are added with a comment.
//
// One table for two users: the module (error.cpp) keeps a card's or the service's refusal
// only where the function may return it, and the p11_api fuzzer checks every value the module
// returns against the same sets. A value added here is allowed in both at once.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <string_view>

#include "ias/p11/pkcs11.hpp"

namespace ias::p11::rv {

// A fixed-capacity set built at compile time (constexpr): the tables below need no
// allocation and no dynamic initialisation. A list longer than kCapacity does not compile.
struct Allowed {
    static constexpr std::size_t kCapacity = 32;
    std::array<CK_RV, kCapacity> codes{};
    std::size_t count = 0;
    constexpr Allowed(std::initializer_list<CK_RV> specific, bool session, bool device) {
        add(specific);
        add({CKR_OK, CKR_HOST_MEMORY, CKR_FUNCTION_FAILED, CKR_CRYPTOKI_NOT_INITIALIZED});
        if (session) add({CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED});
        // Token-level universal values (v2.40 §5.1.3).
        if (device) add({CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT});
    }
    constexpr bool has(CK_RV rv) const { return std::find(codes.begin(), codes.begin() + count, rv) != codes.begin() + count; }

private:
    constexpr void add(std::initializer_list<CK_RV> more) {
        for (CK_RV c : more) codes.at(count++) = c;
    }
};

inline constexpr Allowed kInitialize{{CKR_ARGUMENTS_BAD, CKR_CANT_LOCK, CKR_CRYPTOKI_ALREADY_INITIALIZED,
                                  CKR_NEED_TO_CREATE_THREADS}, false, false};
inline constexpr Allowed kFinalize{{CKR_ARGUMENTS_BAD}, false, false};
inline constexpr Allowed kGetInfo{{CKR_ARGUMENTS_BAD}, false, false};
inline constexpr Allowed kGetSlotList{{CKR_ARGUMENTS_BAD, CKR_BUFFER_TOO_SMALL}, false, false};
inline constexpr Allowed kGetSlotInfo{{CKR_ARGUMENTS_BAD, CKR_SLOT_ID_INVALID}, false, true};
inline constexpr Allowed kGetTokenInfo{{CKR_ARGUMENTS_BAD, CKR_SLOT_ID_INVALID, CKR_TOKEN_NOT_PRESENT,
                                    CKR_TOKEN_NOT_RECOGNIZED}, false, true};
inline constexpr Allowed kGetMechanismList{{CKR_ARGUMENTS_BAD, CKR_BUFFER_TOO_SMALL, CKR_SLOT_ID_INVALID,
                                        CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_RECOGNIZED}, false, true};
inline constexpr Allowed kGetMechanismInfo{{CKR_ARGUMENTS_BAD, CKR_MECHANISM_INVALID, CKR_SLOT_ID_INVALID,
                                        CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_RECOGNIZED}, false, true};
inline constexpr Allowed kOpenSession{{CKR_ARGUMENTS_BAD, CKR_SESSION_COUNT, CKR_SESSION_PARALLEL_NOT_SUPPORTED,
                                   CKR_SESSION_READ_WRITE_SO_EXISTS, CKR_SLOT_ID_INVALID, CKR_TOKEN_NOT_PRESENT,
                                   CKR_TOKEN_NOT_RECOGNIZED, CKR_TOKEN_WRITE_PROTECTED}, false, true};
inline constexpr Allowed kCloseSession{{}, true, true};
inline constexpr Allowed kCloseAllSessions{{CKR_SLOT_ID_INVALID, CKR_TOKEN_NOT_PRESENT}, false, true};
inline constexpr Allowed kGetSessionInfo{{CKR_ARGUMENTS_BAD}, true, true};
// C_Login: CKR_PIN_EXPIRED while an unblock is pending (UNBLOCK.md). No CKR_PIN_LEN_RANGE: a
// user PIN outside the card's limits is CKR_PIN_INCORRECT (or CKR_PIN_LOCKED), never sent. Only
// the one-time unblock secret of CKU_SO keeps UNBLOCK.md's CKR_PIN_LEN_RANGE / CKR_PIN_INVALID
// for a malformed secret: a documented deviation, allowed by the fuzzer for CKU_SO alone.
inline constexpr Allowed kLogin{{CKR_ARGUMENTS_BAD, CKR_OPERATION_NOT_INITIALIZED, CKR_PIN_INCORRECT, CKR_PIN_LOCKED,
                             CKR_SESSION_READ_ONLY_EXISTS, CKR_USER_ALREADY_LOGGED_IN,
                             CKR_USER_ANOTHER_ALREADY_LOGGED_IN, CKR_USER_PIN_NOT_INITIALIZED,
                             CKR_USER_TOO_MANY_TYPES, CKR_USER_TYPE_INVALID, CKR_FUNCTION_CANCELED,
                             CKR_PIN_EXPIRED}, true, true};
inline constexpr Allowed kLogout{{CKR_USER_NOT_LOGGED_IN}, true, true};
inline constexpr Allowed kInitPin{{CKR_ARGUMENTS_BAD, CKR_FUNCTION_CANCELED, CKR_PIN_INVALID, CKR_PIN_LEN_RANGE,
                               CKR_SESSION_READ_ONLY, CKR_TOKEN_WRITE_PROTECTED, CKR_USER_NOT_LOGGED_IN}, true, true};
inline constexpr Allowed kSetPin{{CKR_ARGUMENTS_BAD, CKR_FUNCTION_CANCELED, CKR_PIN_INCORRECT, CKR_PIN_INVALID,
                              CKR_PIN_LEN_RANGE, CKR_PIN_LOCKED, CKR_SESSION_READ_ONLY, CKR_TOKEN_WRITE_PROTECTED},
                             true, true};
inline constexpr Allowed kFindObjectsInit{{CKR_ARGUMENTS_BAD, CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_VALUE_INVALID,
                                       CKR_OPERATION_ACTIVE, CKR_PIN_EXPIRED}, true, true};
inline constexpr Allowed kFindObjects{{CKR_ARGUMENTS_BAD, CKR_OPERATION_NOT_INITIALIZED}, true, true};
inline constexpr Allowed kFindObjectsFinal{{CKR_OPERATION_NOT_INITIALIZED}, true, true};
inline constexpr Allowed kGetAttributeValue{{CKR_ARGUMENTS_BAD, CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID,
                                         CKR_BUFFER_TOO_SMALL, CKR_OBJECT_HANDLE_INVALID}, true, true};
inline constexpr Allowed kGetObjectSize{{CKR_ARGUMENTS_BAD, CKR_INFORMATION_SENSITIVE, CKR_OBJECT_HANDLE_INVALID},
                                    true, true};
inline constexpr Allowed kSignInit{{CKR_ARGUMENTS_BAD, CKR_FUNCTION_CANCELED, CKR_KEY_FUNCTION_NOT_PERMITTED,
                                CKR_KEY_HANDLE_INVALID, CKR_KEY_SIZE_RANGE, CKR_KEY_TYPE_INCONSISTENT,
                                CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID, CKR_OPERATION_ACTIVE,
                                CKR_PIN_EXPIRED, CKR_USER_NOT_LOGGED_IN}, true, true};
inline constexpr Allowed kSign{{CKR_ARGUMENTS_BAD, CKR_BUFFER_TOO_SMALL, CKR_DATA_INVALID, CKR_DATA_LEN_RANGE,
                            CKR_FUNCTION_CANCELED, CKR_OPERATION_NOT_INITIALIZED, CKR_USER_NOT_LOGGED_IN,
                            CKR_FUNCTION_REJECTED}, true, true};
inline constexpr Allowed kSignUpdate{{CKR_ARGUMENTS_BAD, CKR_DATA_LEN_RANGE, CKR_FUNCTION_CANCELED,
                                  CKR_OPERATION_NOT_INITIALIZED, CKR_USER_NOT_LOGGED_IN},
                                 true, true};
inline constexpr Allowed kSignFinal{{CKR_ARGUMENTS_BAD, CKR_BUFFER_TOO_SMALL, CKR_DATA_LEN_RANGE, CKR_FUNCTION_CANCELED,
                                 CKR_OPERATION_NOT_INITIALIZED, CKR_USER_NOT_LOGGED_IN, CKR_FUNCTION_REJECTED}, true, true};
inline constexpr Allowed kDecryptInit{{CKR_ARGUMENTS_BAD, CKR_FUNCTION_CANCELED, CKR_KEY_FUNCTION_NOT_PERMITTED,
                                   CKR_KEY_HANDLE_INVALID, CKR_KEY_SIZE_RANGE, CKR_KEY_TYPE_INCONSISTENT,
                                   CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID, CKR_OPERATION_ACTIVE,
                                   CKR_PIN_EXPIRED, CKR_USER_NOT_LOGGED_IN}, true, true};
inline constexpr Allowed kDecrypt{{CKR_ARGUMENTS_BAD, CKR_BUFFER_TOO_SMALL, CKR_ENCRYPTED_DATA_INVALID,
                               CKR_ENCRYPTED_DATA_LEN_RANGE, CKR_FUNCTION_CANCELED, CKR_OPERATION_NOT_INITIALIZED,
                               CKR_USER_NOT_LOGGED_IN, CKR_FUNCTION_REJECTED}, true, true};
// C_SignRecover has C_Sign's list; C_DecryptFinal has C_Decrypt's (v2.40 §5.9, §5.11).
inline constexpr Allowed kSignRecover = kSign;
inline constexpr Allowed kDecryptFinal = kDecrypt;
inline constexpr Allowed kGenerateRandom{{CKR_ARGUMENTS_BAD, CKR_FUNCTION_CANCELED, CKR_OPERATION_ACTIVE,
                                      CKR_RANDOM_NO_RNG}, true, true};
inline constexpr Allowed kWaitForSlotEvent{{CKR_ARGUMENTS_BAD, CKR_NO_EVENT}, false, false};

struct Named {
    std::string_view function;
    const Allowed* allowed;
};

// The sets by function name (the names the module's entry points pass to guarded()).
// C_LoginUser (3.0) has C_Login's list.
inline constexpr Named kByName[] = {
    {"C_Initialize", &kInitialize},         {"C_Finalize", &kFinalize},
    {"C_GetInfo", &kGetInfo},               {"C_GetSlotList", &kGetSlotList},
    {"C_GetSlotInfo", &kGetSlotInfo},       {"C_GetTokenInfo", &kGetTokenInfo},
    {"C_GetMechanismList", &kGetMechanismList}, {"C_GetMechanismInfo", &kGetMechanismInfo},
    {"C_OpenSession", &kOpenSession},       {"C_CloseSession", &kCloseSession},
    {"C_CloseAllSessions", &kCloseAllSessions}, {"C_GetSessionInfo", &kGetSessionInfo},
    {"C_Login", &kLogin},                   {"C_LoginUser", &kLogin},
    {"C_Logout", &kLogout},                 {"C_InitPIN", &kInitPin},
    {"C_SetPIN", &kSetPin},                 {"C_FindObjectsInit", &kFindObjectsInit},
    {"C_FindObjects", &kFindObjects},       {"C_FindObjectsFinal", &kFindObjectsFinal},
    {"C_GetAttributeValue", &kGetAttributeValue}, {"C_GetObjectSize", &kGetObjectSize},
    {"C_SignInit", &kSignInit},             {"C_Sign", &kSign},
    {"C_SignUpdate", &kSignUpdate},         {"C_SignFinal", &kSignFinal},
    {"C_SignRecover", &kSignRecover},       {"C_DecryptInit", &kDecryptInit},
    {"C_Decrypt", &kDecrypt},               {"C_DecryptFinal", &kDecryptFinal},
    {"C_GenerateRandom", &kGenerateRandom}, {"C_WaitForSlotEvent", &kWaitForSlotEvent},
};

// The set of `function`, or nullptr for a function this table does not list.
constexpr const Allowed* allowedFor(std::string_view function) {
    for (const Named& n : kByName)
        if (n.function == function) return n.allowed;
    return nullptr;
}

}  // namespace ias::p11::rv
