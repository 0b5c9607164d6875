// SPDX-License-Identifier: Apache-2.0
// Session management: C_OpenSession, C_CloseSession, C_CloseAllSessions, C_GetSessionInfo,
// C_GetOperationState, C_SetOperationState, C_SessionCancel (3.0).
#include <mutex>

#include "exports.hpp"
#include "front.hpp"

using namespace ias::p11;
using namespace ias::p11::front;

IAS_EXPORT CK_RV C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR, CK_NOTIFY, CK_SESSION_HANDLE_PTR session) {
    return guarded("C_OpenSession", [&] {
        auto library = currentLibrary();
        requireArgument(session != nullptr);
        if ((flags & CKF_SERIAL_SESSION) == 0) return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
        *session = library->openSession(slot, flags);
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE session) {
    return guarded("C_CloseSession", [&] {
        currentLibrary()->closeSession(session);
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slot) {
    return guarded("C_CloseAllSessions", [&] {
        auto library = currentLibrary();
        library->slots().slot(slot);  // CKR_SLOT_ID_INVALID for an unknown slot
        library->closeAllSessions(slot);
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE handle, CK_SESSION_INFO_PTR info) {
    return guarded("C_GetSessionInfo", [&] {
        auto [library, session] = sessionCall(handle);
        requireArgument(info != nullptr);
        const bool rw = session->readWrite();
        info->slotID = session->slot();
        info->flags = session->flags();
        info->ulDeviceError = 0;
        switch (session->token()->loginState()) {
            case LoginState::Public: info->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION; break;
            case LoginState::User:
            case LoginState::UnblockPending: info->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS; break;
            case LoginState::SecurityOfficer: info->state = CKS_RW_SO_FUNCTIONS; break;
        }
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_GetOperationState(CK_SESSION_HANDLE handle, CK_BYTE_PTR, CK_ULONG_PTR) {
    return guarded("C_GetOperationState", [&] {
        sessionCall(handle);
        return CKR_FUNCTION_NOT_SUPPORTED;  // card operations cannot be saved
    });
}

IAS_EXPORT CK_RV C_SetOperationState(CK_SESSION_HANDLE handle, CK_BYTE_PTR, CK_ULONG, CK_OBJECT_HANDLE, CK_OBJECT_HANDLE) {
    return guarded("C_SetOperationState", [&] {
        sessionCall(handle);
        return CKR_FUNCTION_NOT_SUPPORTED;
    });
}

IAS_EXPORT CK_RV C_SessionCancel(CK_SESSION_HANDLE handle, CK_FLAGS flags) {
    return guarded("C_SessionCancel", [&] {
        auto [library, session] = sessionCall(handle);
        std::lock_guard lock(session->mutex());
        if (flags & CKF_FIND_OBJECTS) session->find.reset();
        if (flags & CKF_SIGN) session->sign.reset();
        if (flags & CKF_DECRYPT) session->decrypt.reset();
        return CKR_OK;
    });
}
