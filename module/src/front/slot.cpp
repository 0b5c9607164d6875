// SPDX-License-Identifier: Apache-2.0
// Slot and token management: C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo,
// C_WaitForSlotEvent, C_GetMechanismList, C_GetMechanismInfo, C_InitToken.
// Slot and token information come from cached state: no APDU (Firefox polls them).
#include "front.hpp"

using namespace ias::p11;
using namespace ias::p11::front;

namespace {

CK_FLAGS pinFlags(const PinSnapshot& pin) {
    CK_FLAGS f = 0;
    if (pin.blocked || pin.triesLeft == 0) return CKF_USER_PIN_LOCKED;
    if (pin.triesLeft < pin.maxTries) f |= CKF_USER_PIN_COUNT_LOW;
    if (pin.triesLeft == 1) f |= CKF_USER_PIN_FINAL_TRY;
    return f;
}

}  // namespace

IAS_EXPORT CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR list, CK_ULONG_PTR count) {
    return guarded("C_GetSlotList", [&] {
        auto library = currentLibrary();
        requireArgument(count != nullptr);
        return returnList(library->slots().list(tokenPresent != CK_FALSE), list, count);
    });
}

IAS_EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slotId, CK_SLOT_INFO_PTR info) {
    return guarded("C_GetSlotInfo", [&] {
        auto library = currentLibrary();
        requireArgument(info != nullptr);
        const SlotView slot = library->slots().slot(slotId);
        std::memset(info, 0, sizeof *info);
        padCopy(info->slotDescription, sizeof info->slotDescription, slot.reader);
        padCopy(info->manufacturerID, sizeof info->manufacturerID, "PC/SC");
        info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT | (slot.cardPresent ? CKF_TOKEN_PRESENT : 0);
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slotId, CK_TOKEN_INFO_PTR info) {
    return guarded("C_GetTokenInfo", [&] {
        auto library = currentLibrary();
        requireArgument(info != nullptr);
        const auto token = library->slots().token(slotId);
        const TokenSnapshot t = token->snapshot();
        const auto [sessions, rwSessions] = library->sessionCounts(slotId);
        std::memset(info, 0, sizeof *info);
        padCopy(info->label, sizeof info->label, t.label);
        padCopy(info->manufacturerID, sizeof info->manufacturerID, t.manufacturer);
        padCopy(info->model, sizeof info->model, "IAS-ECC");
        padCopy(info->serialNumber, sizeof info->serialNumber, t.serial);
        info->flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED |
                      CKF_WRITE_PROTECTED | pinFlags(t.userPin) |
                      (t.login == LoginState::UnblockPending ? CKF_USER_PIN_TO_BE_CHANGED : 0);
        info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
        info->ulSessionCount = sessions;
        info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
        info->ulRwSessionCount = rwSessions;
        // The card's limits for the user PIN (its AODF). The one-time unblock secret (CKU_SO, or
        // as "current password" of a locked token) is longer: a documented exception, not a PIN.
        info->ulMaxPinLen = t.userPinLengths.max;
        info->ulMinPinLen = t.userPinLengths.min;
        info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
        info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
        info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
        info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
        std::memset(info->utcTime, ' ', sizeof info->utcTime);
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved) {
    return guarded("C_WaitForSlotEvent", [&] {
        auto library = currentLibrary();
        requireArgument(slot != nullptr && reserved == nullptr);
        const bool block = (flags & CKF_DONT_BLOCK) == 0;
        const auto id = library->slots().waitForEvent(block);
        if (!id) return CKR_NO_EVENT;
        *slot = *id;
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slotId, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count) {
    return guarded("C_GetMechanismList", [&] {
        auto library = currentLibrary();
        requireArgument(count != nullptr);
        return returnList(library->slots().token(slotId)->mechanisms(), list, count);
    });
}

IAS_EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slotId, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info) {
    return guarded("C_GetMechanismInfo", [&] {
        auto library = currentLibrary();
        requireArgument(info != nullptr);
        const auto token = library->slots().token(slotId);
        const MechanismSpec* m = findMechanism(type);
        if (m == nullptr || !token->supports(type)) return CKR_MECHANISM_INVALID;
        if (m->scheme == Scheme::Digest) {  // computed by the module, no key
            info->ulMinKeySize = 0;
            info->ulMaxKeySize = 0;
            info->flags = CKF_DIGEST;
            return CKR_OK;
        }
        const auto [minBits, maxBits] = token->keySizeRange(m->keyType);
        info->ulMinKeySize = minBits;
        info->ulMaxKeySize = maxBits;
        info->flags = CKF_HW | CKF_SIGN;
        if (m->keyType == CKK_EC) info->flags |= CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
        if (type == CKM_RSA_PKCS) info->flags |= CKF_DECRYPT;
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_InitToken(CK_SLOT_ID slotId, CK_UTF8CHAR_PTR, CK_ULONG, CK_UTF8CHAR_PTR) {
    return guarded("C_InitToken", [&] {
        currentLibrary()->slots().token(slotId);
        // The token is personalised by its issuer; re-initialising it is not possible.
        return CKR_FUNCTION_NOT_SUPPORTED;
    });
}
