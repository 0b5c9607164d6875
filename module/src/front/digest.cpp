// SPDX-License-Identifier: Apache-2.0
// Digesting in the module (no card I/O): C_DigestInit, C_Digest, C_DigestUpdate, C_DigestFinal
// with CKM_SHA_1 .. CKM_SHA512. Listed so that applications which look for the hash mechanism
// before they use RSASSA-PSS (Java's SunPKCS11) can sign with PSS. Length convention as for
// C_Sign; any other failure ends the operation. C_DigestKey stays unsupported.
#include <mutex>

#include "../core/signing.hpp"
#include "front.hpp"

using namespace ias::p11;
using namespace ias::p11::front;

namespace {

template <class Body>
CK_RV digestStep(const char* name, CK_SESSION_HANDLE handle, Body&& body) {
    return guarded(name, [&] {
        auto [library, session] = sessionCall(handle);
        std::lock_guard lock(session->mutex());
        if (!session->digest) return CKR_OPERATION_NOT_INITIALIZED;
        try {
            return body(*session);
        } catch (...) {
            session->digest.reset();
            throw;
        }
    });
}

CK_RV finishDigestCall(Session& session, CK_BYTE_PTR out, CK_ULONG_PTR outLength) {
    requireArgument(outLength != nullptr);
    const std::size_t length = session.digest->size;
    if (out == nullptr) {
        *outLength = length;
        return CKR_OK;
    }
    if (*outLength < length) {
        *outLength = length;
        return CKR_BUFFER_TOO_SMALL;
    }
    const Bytes digest = finishDigest(*session.digest);
    session.digest.reset();
    return returnBytes(digest, out, outLength);
}

}  // namespace

IAS_EXPORT CK_RV C_DigestInit(CK_SESSION_HANDLE handle, CK_MECHANISM_PTR mechanism) {
    return guarded("C_DigestInit", [&] {
        auto [library, session] = sessionCall(handle);
        requireArgument(mechanism != nullptr);
        std::lock_guard lock(session->mutex());
        if (session->digest) return CKR_OPERATION_ACTIVE;
        session->digest = startDigest(*mechanism);
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_Digest(CK_SESSION_HANDLE handle, CK_BYTE_PTR data, CK_ULONG dataLength, CK_BYTE_PTR digest,
                          CK_ULONG_PTR digestLength) {
    return digestStep("C_Digest", handle, [&](Session& session) -> CK_RV {
        requireArgument(data != nullptr || dataLength == 0);
        // As C_Sign: C_Digest cannot end a multi-part operation (v2.40 5.10 return values).
        if (session.digest->updated) fail(CKR_OPERATION_NOT_INITIALIZED, "C_Digest after C_DigestUpdate (end it with C_DigestFinal)");
        session.digest->singlePart = true;
        if (digest != nullptr && digestLength != nullptr && *digestLength >= session.digest->size) {
            addDigestInput(*session.digest, apdu::ByteView(data, dataLength));
        }
        return finishDigestCall(session, digest, digestLength);
    });
}

IAS_EXPORT CK_RV C_DigestUpdate(CK_SESSION_HANDLE handle, CK_BYTE_PTR part, CK_ULONG partLength) {
    // cppcheck-suppress constParameter ; updates the session's digest state (through its pointer member)
    return digestStep("C_DigestUpdate", handle, [&](Session& session) -> CK_RV {
        requireArgument(part != nullptr || partLength == 0);
        refuseAfterSinglePart(*session.digest);
        session.digest->updated = true;
        addDigestInput(*session.digest, apdu::ByteView(part, partLength));
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_DigestFinal(CK_SESSION_HANDLE handle, CK_BYTE_PTR digest, CK_ULONG_PTR digestLength) {
    return digestStep("C_DigestFinal", handle,
                      [&](Session& session) -> CK_RV {
                          refuseAfterSinglePart(*session.digest);
                          return finishDigestCall(session, digest, digestLength);
                      });
}
