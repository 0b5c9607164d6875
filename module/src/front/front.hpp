// SPDX-License-Identifier: Apache-2.0
// Shared helpers of the C entry points (module/src/front/*.cpp). Every entry point is
// `IAS_EXPORT CK_RV C_X(...) { return guarded("C_X", [&] { ...; return CKR_OK; }); }`
// with its preconditions first (initialised, arguments, session).
#pragma once

#include <cstring>
#include <string_view>

#include "../core/error.hpp"
#include "../core/library.hpp"

#define IAS_EXPORT extern "C" __attribute__((visibility("default")))

namespace ias::p11 {
namespace apdu = ::ias::apdu;
}

namespace ias::p11::front {

inline void requireArgument(bool ok) { require(ok, CKR_ARGUMENTS_BAD, "bad argument"); }

// Blank-padded fixed-size PKCS#11 text field; truncation never splits a UTF-8 sequence.
inline void padCopy(CK_UTF8CHAR* dst, std::size_t size, std::string_view src) {
    std::memset(dst, ' ', size);
    std::size_t n = std::min(size, src.size());
    while (n > 0 && n < src.size() && (static_cast<unsigned char>(src[n]) & 0xC0) == 0x80) --n;
    std::memcpy(dst, src.data(), n);
}

// PIN bytes from the caller into a wiping buffer. A null pointer with a length is refused;
// more than 256 bytes is `tooLong`.
inline apdu::SecureBytes pinBytes(const CK_UTF8CHAR* pin, CK_ULONG length, CK_RV tooLong = CKR_PIN_LEN_RANGE) {
    requireArgument(pin != nullptr || length == 0);
    require(length <= 256, tooLong, "PIN too long");
    return apdu::SecureBytes(pin, pin + length);
}

// A single-part operation (C_Sign, C_Digest) that was started by a length query or a short
// buffer cannot be continued or finished by the multi-part calls: their only fitting answer is
// CKR_OPERATION_NOT_INITIALIZED (no multi-part operation is active), and the throw ends the
// operation (the caller's step wrapper), as C_Sign / C_Digest do after an update.
template <class Operation>
void refuseAfterSinglePart(const Operation& op) {
    if (op.singlePart) fail(CKR_OPERATION_NOT_INITIALIZED, "multi-part call after the single-part call began");
}

// "initialised + valid session" precondition: the library and the session.
struct SessionCall {
    std::shared_ptr<Library> library;
    std::shared_ptr<Session> session;
};

inline SessionCall sessionCall(CK_SESSION_HANDLE handle) {
    auto library = currentLibrary();
    auto session = library->session(handle);
    return {std::move(library), std::move(session)};
}

// Output with the two-call length convention: null buffer -> length only (CKR_OK);
// short buffer -> CKR_BUFFER_TOO_SMALL with the length; else copies.
inline CK_RV returnBytes(apdu::ByteView value, CK_BYTE_PTR out, CK_ULONG_PTR outLength) {
    requireArgument(outLength != nullptr);
    if (out == nullptr) {
        *outLength = value.size();
        return CKR_OK;
    }
    if (*outLength < value.size()) {
        *outLength = value.size();
        return CKR_BUFFER_TOO_SMALL;
    }
    if (!value.empty()) std::memcpy(out, value.data(), value.size());
    *outLength = value.size();
    return CKR_OK;
}

// A list output (slots, mechanisms) with the two-call length convention.
template <class T>
CK_RV returnList(const std::vector<T>& items, T* out, CK_ULONG_PTR count) {
    requireArgument(count != nullptr);
    if (out == nullptr) {
        *count = items.size();
        return CKR_OK;
    }
    if (*count < items.size()) {
        *count = items.size();
        return CKR_BUFFER_TOO_SMALL;
    }
    std::copy(items.begin(), items.end(), out);
    *count = items.size();
    return CKR_OK;
}

// An object the session may see (private ones only when the user is logged in).
std::shared_ptr<Object> visibleObject(const Session& session, CK_OBJECT_HANDLE handle, CK_RV invalidRv);

}  // namespace ias::p11::front
