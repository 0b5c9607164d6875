// SPDX-License-Identifier: Apache-2.0
// Decryption: C_DecryptInit, C_Decrypt (CKM_RSA_PKCS is single-part), C_DecryptUpdate,
// C_DecryptFinal. With a null output buffer C_Decrypt answers the largest possible length
// without card I/O; a short buffer keeps the card's answer for the next call.
#include <mutex>

#include "../core/signing.hpp"
#include "front.hpp"

using namespace ias::p11;
using namespace ias::p11::front;

IAS_EXPORT CK_RV C_DecryptInit(CK_SESSION_HANDLE handle, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key) {
    return guarded("C_DecryptInit", [&] {
        auto [library, session] = sessionCall(handle);
        requireArgument(mechanism != nullptr);
        std::lock_guard lock(session->mutex());
        if (session->decrypt) return CKR_OPERATION_ACTIVE;
        // A pending unblock (secret given as current password) allows only C_SetPIN.
        if (session->token()->loginState() == LoginState::UnblockPending) return CKR_PIN_EXPIRED;
        auto object = visibleObject(*session, key, CKR_KEY_HANDLE_INVALID);
        session->decrypt = startDecrypt(*session->token(), std::move(object), *mechanism);
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_Decrypt(CK_SESSION_HANDLE handle, CK_BYTE_PTR encrypted, CK_ULONG encryptedLength, CK_BYTE_PTR data,
                           CK_ULONG_PTR dataLength) {
    return guarded("C_Decrypt", [&] {
        auto [library, session] = sessionCall(handle);
        std::lock_guard lock(session->mutex());
        if (!session->decrypt) return CKR_OPERATION_NOT_INITIALIZED;
        try {
            requireArgument(dataLength != nullptr && (encrypted != nullptr || encryptedLength == 0));
            DecryptOperation& op = *session->decrypt;
            if (data == nullptr && !op.pending) {
                *dataLength = decryptOutputBound(op);
                return CKR_OK;
            }
            if (!op.pending) op.pending = runDecrypt(*session->token(), op, apdu::ByteView(encrypted, encryptedLength));
            const CK_RV rv = returnBytes(*op.pending, data, dataLength);
            if (rv == CKR_OK && data != nullptr) session->decrypt.reset();
            return rv;
        } catch (...) {
            session->decrypt.reset();
            throw;
        }
    });
}

IAS_EXPORT CK_RV C_DecryptUpdate(CK_SESSION_HANDLE handle, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR) {
    return guarded("C_DecryptUpdate", [&] {
        auto [library, session] = sessionCall(handle);
        std::lock_guard lock(session->mutex());
        if (!session->decrypt) return CKR_OPERATION_NOT_INITIALIZED;
        session->decrypt.reset();
        return CKR_FUNCTION_NOT_SUPPORTED;  // CKM_RSA_PKCS decryption is single-part
    });
}

IAS_EXPORT CK_RV C_DecryptFinal(CK_SESSION_HANDLE handle, CK_BYTE_PTR, CK_ULONG_PTR) {
    return guarded("C_DecryptFinal", [&] {
        auto [library, session] = sessionCall(handle);
        std::lock_guard lock(session->mutex());
        if (!session->decrypt) return CKR_OPERATION_NOT_INITIALIZED;
        session->decrypt.reset();
        return CKR_FUNCTION_NOT_SUPPORTED;
    });
}
