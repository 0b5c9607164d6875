// SPDX-License-Identifier: Apache-2.0
// Object management: C_FindObjectsInit/C_FindObjects/C_FindObjectsFinal,
// C_GetAttributeValue, and the functions that would change the (read-only) token.
#include <mutex>

#include "front.hpp"

using namespace ias::p11;
using namespace ias::p11::front;

namespace ias::p11::front {

std::shared_ptr<Object> visibleObject(const Session& session, CK_OBJECT_HANDLE handle, CK_RV invalidRv) {
    Token& token = *session.token();
    auto object = token.object(handle);
    if (!object || (object->isPrivate() && token.loginState() != LoginState::User)) fail(invalidRv, "unknown object");
    return object;
}

}  // namespace ias::p11::front

IAS_EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE handle, CK_ATTRIBUTE_PTR templ, CK_ULONG count) {
    return guarded("C_FindObjectsInit", [&] {
        auto [library, session] = sessionCall(handle);
        checkTemplate(templ, count);
        std::lock_guard lock(session->mutex());
        if (session->find) return CKR_OPERATION_ACTIVE;
        Token& token = *session->token();
        const bool loggedIn = token.loginState() == LoginState::User;
        FindOperation find;
        for (const auto& object : token.objects()) {
            if (object->isPrivate() && !loggedIn) continue;
            if (object->matches(templ, count)) find.results.push_back(object->handle());
        }
        session->find = std::move(find);
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE_PTR objects, CK_ULONG max, CK_ULONG_PTR count) {
    return guarded("C_FindObjects", [&] {
        auto [library, session] = sessionCall(handle);
        requireArgument(count != nullptr && (objects != nullptr || max == 0));
        std::lock_guard lock(session->mutex());
        if (!session->find) return CKR_OPERATION_NOT_INITIALIZED;
        FindOperation& f = *session->find;
        CK_ULONG n = 0;
        while (n < max && f.next < f.results.size()) objects[n++] = f.results[f.next++];
        *count = n;
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE handle) {
    return guarded("C_FindObjectsFinal", [&] {
        auto [library, session] = sessionCall(handle);
        std::lock_guard lock(session->mutex());
        if (!session->find) return CKR_OPERATION_NOT_INITIALIZED;
        session->find.reset();
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE objectHandle, CK_ATTRIBUTE_PTR templ,
                                     CK_ULONG count) {
    return guarded("C_GetAttributeValue", [&] {
        auto [library, session] = sessionCall(handle);
        requireArgument(templ != nullptr || count == 0);
        checkTemplate(templ, count);
        const auto object = visibleObject(*session, objectHandle, CKR_OBJECT_HANDLE_INVALID);
        // Every attribute is processed; the first problem found is the result (v2.40 §5.7).
        CK_RV result = CKR_OK;
        for (CK_ULONG i = 0; i < count; ++i) {
            const CK_RV rv = object->read(templ[i]);
            if (result == CKR_OK) result = rv;
        }
        return result;
    });
}

IAS_EXPORT CK_RV C_GetObjectSize(CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE objectHandle, CK_ULONG_PTR size) {
    return guarded("C_GetObjectSize", [&] {
        auto [library, session] = sessionCall(handle);
        requireArgument(size != nullptr);
        visibleObject(*session, objectHandle, CKR_OBJECT_HANDLE_INVALID);
        *size = CK_UNAVAILABLE_INFORMATION;
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_CreateObject(CK_SESSION_HANDLE handle, CK_ATTRIBUTE_PTR templ, CK_ULONG count, CK_OBJECT_HANDLE_PTR) {
    return guarded("C_CreateObject", [&] {
        sessionCall(handle);
        checkTemplate(templ, count);
        return CKR_TOKEN_WRITE_PROTECTED;
    });
}

IAS_EXPORT CK_RV C_CopyObject(CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE objectHandle, CK_ATTRIBUTE_PTR templ,
                              CK_ULONG count, CK_OBJECT_HANDLE_PTR) {
    return guarded("C_CopyObject", [&] {
        auto [library, session] = sessionCall(handle);
        checkTemplate(templ, count);
        visibleObject(*session, objectHandle, CKR_OBJECT_HANDLE_INVALID);
        return CKR_ACTION_PROHIBITED;
    });
}

IAS_EXPORT CK_RV C_DestroyObject(CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE objectHandle) {
    return guarded("C_DestroyObject", [&] {
        auto [library, session] = sessionCall(handle);
        visibleObject(*session, objectHandle, CKR_OBJECT_HANDLE_INVALID);
        return CKR_ACTION_PROHIBITED;
    });
}

IAS_EXPORT CK_RV C_SetAttributeValue(CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE objectHandle, CK_ATTRIBUTE_PTR templ,
                                     CK_ULONG count) {
    return guarded("C_SetAttributeValue", [&] {
        auto [library, session] = sessionCall(handle);
        checkTemplate(templ, count);
        visibleObject(*session, objectHandle, CKR_OBJECT_HANDLE_INVALID);
        return CKR_ACTION_PROHIBITED;
    });
}
