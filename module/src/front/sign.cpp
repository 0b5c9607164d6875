// SPDX-License-Identifier: Apache-2.0
// Signing: C_SignInit, C_Sign, C_SignUpdate, C_SignFinal, C_SignRecoverInit, C_SignRecover.
// A call that fails (other than CKR_BUFFER_TOO_SMALL or a length query) ends the operation.
#include <mutex>

#include "../core/signing.hpp"
#include "front.hpp"

using namespace ias::p11;
using namespace ias::p11::front;

namespace {

// Signature output with the length convention; ends the operation unless it only told the
// length. `produce` runs the card operation.
template <class Produce>
CK_RV finishSignature(Session& session, CK_BYTE_PTR out, CK_ULONG_PTR outLength, Produce&& produce) {
    requireArgument(outLength != nullptr);
    const std::size_t length = signatureLength(*session.sign);
    if (out == nullptr) {
        *outLength = length;
        return CKR_OK;
    }
    if (*outLength < length) {
        *outLength = length;
        return CKR_BUFFER_TOO_SMALL;
    }
    const Bytes signature = produce();
    session.sign.reset();
    return returnBytes(signature, out, outLength);
}

template <class Body>
CK_RV signStep(const char* name, CK_SESSION_HANDLE handle, Body&& body) {
    return guarded(name, [&] {
        auto [library, session] = sessionCall(handle);
        std::lock_guard lock(session->mutex());
        if (!session->sign) return CKR_OPERATION_NOT_INITIALIZED;
        try {
            return body(*session);
        } catch (...) {
            session->sign.reset();
            throw;
        }
    });
}

}  // namespace

IAS_EXPORT CK_RV C_SignInit(CK_SESSION_HANDLE handle, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key) {
    return guarded("C_SignInit", [&] {
        auto [library, session] = sessionCall(handle);
        requireArgument(mechanism != nullptr);
        std::lock_guard lock(session->mutex());
        if (session->sign) return CKR_OPERATION_ACTIVE;
        // A pending unblock (secret given as current password) allows only C_SetPIN.
        if (session->token()->loginState() == LoginState::UnblockPending) return CKR_PIN_EXPIRED;
        auto object = visibleObject(*session, key, CKR_KEY_HANDLE_INVALID);
        session->sign = startSign(*session->token(), std::move(object), *mechanism);
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_Sign(CK_SESSION_HANDLE handle, CK_BYTE_PTR data, CK_ULONG dataLength, CK_BYTE_PTR signature,
                        CK_ULONG_PTR signatureLength) {
    return signStep("C_Sign", handle, [&](Session& session) -> CK_RV {
        requireArgument(data != nullptr || dataLength == 0);
        // C_Sign cannot end a multi-part operation, and CKR_OPERATION_ACTIVE is not among its
        // return values (v2.40 5.12): no single-part operation is active; the call ends it.
        if (session.sign->updated) fail(CKR_OPERATION_NOT_INITIALIZED, "C_Sign after C_SignUpdate (end it with C_SignFinal)");
        session.sign->singlePart = true;
        return finishSignature(session, signature, signatureLength, [&] {
            addSignInput(*session.sign, apdu::ByteView(data, dataLength));
            return completeSign(*session.token(), *session.sign);
        });
    });
}

IAS_EXPORT CK_RV C_SignUpdate(CK_SESSION_HANDLE handle, CK_BYTE_PTR part, CK_ULONG partLength) {
    // cppcheck-suppress constParameter ; updates the session's sign state (through its pointer member)
    return signStep("C_SignUpdate", handle, [&](Session& session) -> CK_RV {
        requireArgument(part != nullptr || partLength == 0);
        refuseAfterSinglePart(*session.sign);
        session.sign->updated = true;
        addSignInput(*session.sign, apdu::ByteView(part, partLength));
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_SignFinal(CK_SESSION_HANDLE handle, CK_BYTE_PTR signature, CK_ULONG_PTR signatureLength) {
    return signStep("C_SignFinal", handle, [&](Session& session) -> CK_RV {
        refuseAfterSinglePart(*session.sign);
        return finishSignature(session, signature, signatureLength, [&] { return completeSign(*session.token(), *session.sign); });
    });
}

IAS_EXPORT CK_RV C_SignRecoverInit(CK_SESSION_HANDLE handle, CK_MECHANISM_PTR, CK_OBJECT_HANDLE) {
    return guarded("C_SignRecoverInit", [&] {
        sessionCall(handle);
        return CKR_FUNCTION_NOT_SUPPORTED;
    });
}

IAS_EXPORT CK_RV C_SignRecover(CK_SESSION_HANDLE handle, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR) {
    return guarded("C_SignRecover", [&] {
        sessionCall(handle);
        return CKR_FUNCTION_NOT_SUPPORTED;
    });
}
