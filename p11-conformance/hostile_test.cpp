// SPDX-License-Identifier: Apache-2.0
// A hostile (or just buggy) caller: NULL pointers where the standard does not allow them
// (CKR_ARGUMENTS_BAD, v2.40 §5.1.1/§5.1.5), invalid, closed and foreign handles, huge lengths
// together with NULL buffers, calls on stale handles after C_Finalize. The module must answer
// with an error code and never crash, read through NULL or write out of bounds. (A length
// that lies about a real buffer is undefined behaviour on the caller's side and not tested.)
#include "harness.hpp"

namespace conf {
namespace {

using Hostile = P11Test;

constexpr CK_ULONG kHuge = ~CK_ULONG{0} - 7;

TEST_F(Hostile, InvalidSessionHandles) {
    const CK_SESSION_HANDLE closed = openSession(false);
    ASSERT_RV(CKR_OK, f->C_CloseSession(closed));
    Bytes buf(16);
    CK_ULONG len = buf.size();
    CK_SESSION_INFO info{};
    for (CK_SESSION_HANDLE h : {CK_SESSION_HANDLE{CK_INVALID_HANDLE}, CK_SESSION_HANDLE{0x7FFFFF01}, closed,
                                CK_SESSION_HANDLE{~CK_ULONG{0}}}) {
        SCOPED_TRACE(h);
        EXPECT_RV_IN(f->C_GetSessionInfo(h, &info), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
        EXPECT_RV_IN(f->C_Login(h, CKU_USER, buf.data(), 4), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
        EXPECT_RV_IN(f->C_Logout(h), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
        EXPECT_RV_IN(f->C_FindObjectsInit(h, nullptr, 0), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
        EXPECT_RV_IN(f->C_Sign(h, buf.data(), 4, buf.data(), &len), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
        EXPECT_RV_IN(f->C_GenerateRandom(h, buf.data(), 4), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
        EXPECT_RV_IN(f->C_CloseSession(h), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
    }
}

TEST_F(Hostile, ObjectHandleUsedAsSessionHandle) {
    const CK_SESSION_HANDLE s = openSession(false);
    const auto objects = find(s, {});
    ASSERT_FALSE(objects.empty());
    for (CK_OBJECT_HANDLE o : objects) {
        if (o == s) continue;  // handle spaces may overlap; only a different value is foreign
        CK_SESSION_INFO info{};  // only s is open: any other value is not a session
        EXPECT_RV_IN(f->C_GetSessionInfo(o, &info), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
    }
}

TEST_F(Hostile, SessionHandleUsedAsObjectHandle) {
    const CK_SESSION_HANDLE s = openSession(false);
    const auto objects = find(s, {});
    if (std::find(objects.begin(), objects.end(), s) != objects.end()) GTEST_SKIP() << "handle spaces overlap";
    CK_OBJECT_CLASS cls = 0;
    CK_ATTRIBUTE a{CKA_CLASS, &cls, sizeof cls};
    EXPECT_RV(CKR_OBJECT_HANDLE_INVALID, f->C_GetAttributeValue(s, s, &a, 1));
}

TEST_F(Hostile, NullOutputPointers) {
    const CK_SESSION_HANDLE s = openSession(false);
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetSlotList(CK_TRUE, nullptr, nullptr));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetSlotInfo(slot_, nullptr));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetTokenInfo(slot_, nullptr));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetMechanismList(slot_, nullptr, nullptr));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetSessionInfo(s, nullptr));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, nullptr));
    ASSERT_RV(CKR_OK, f->C_FindObjectsInit(s, nullptr, 0));
    CK_OBJECT_HANDLE h = 0;
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_FindObjects(s, &h, 1, nullptr));
    EXPECT_RV(CKR_OK, f->C_FindObjectsFinal(s));
}

TEST_F(Hostile, HugeLengthsWithNullBuffers) {
    const CK_SESSION_HANDLE s = openSession(true);
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GenerateRandom(s, nullptr, kHuge));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_Login(s, CKU_USER, nullptr, kHuge));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_FindObjectsInit(s, nullptr, kHuge));
    std::string pin = profile().userPin;
    auto* p = reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data());
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_SetPIN(s, nullptr, kHuge, p, pin.size()));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_SetPIN(s, p, pin.size(), nullptr, kHuge));
    CK_OBJECT_HANDLE h = 0;
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_CreateObject(s, nullptr, kHuge, &h));
}

TEST_F(Hostile, HugeLengthsInSignOperation) {
    const CK_SESSION_HANDLE s = openSession(false);
    loginUser(s);
    CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY;
    CK_KEY_TYPE rsa = CKK_RSA;
    const auto keys = find(s, {attr(CKA_CLASS, priv), attr(CKA_KEY_TYPE, rsa), attr(CKA_SIGN, kTrue)});
    ASSERT_FALSE(keys.empty());
    CK_MECHANISM m{CKM_SHA256_RSA_PKCS, nullptr, 0};
    ASSERT_RV(CKR_OK, f->C_SignInit(s, &m, keys.front()));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_SignUpdate(s, nullptr, kHuge));
    // CKR_ARGUMENTS_BAD ended the operation or not: either way no crash, and a new one works.
    f->C_SignFinal(s, nullptr, nullptr);
    CK_ULONG len = 0;
    CK_RV rv = f->C_SignInit(s, &m, keys.front());
    EXPECT_RV_IN(rv, CKR_OK, CKR_OPERATION_ACTIVE);
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_Sign(s, nullptr, kHuge, nullptr, &len));
}

TEST_F(Hostile, AttributeLengthQueryWithHugeLength) {
    const CK_SESSION_HANDLE s = openSession(false);
    const auto objects = find(s, {});
    ASSERT_FALSE(objects.empty());
    // pValue NULL: a length query whatever ulValueLen says (v2.40 §5.7 case 3).
    CK_ATTRIBUTE a{CKA_CLASS, nullptr, kHuge};
    EXPECT_RV(CKR_OK, f->C_GetAttributeValue(s, objects.front(), &a, 1));
    EXPECT_EQ(a.ulValueLen, sizeof(CK_OBJECT_CLASS));
}

TEST_F(Hostile, StaleHandlesAfterFinalize) {
    const CK_SESSION_HANDLE s = openSession(false);
    ASSERT_RV(CKR_OK, f->C_Finalize(nullptr));
    CK_SESSION_INFO info{};
    Bytes buf(8);
    EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_GetSessionInfo(s, &info));
    EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_GenerateRandom(s, buf.data(), buf.size()));
    EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_CloseSession(s));
    EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_CloseAllSessions(slot_));
    ASSERT_RV(CKR_OK, f->C_Initialize(nullptr));  // for TearDown
}

TEST_F(Hostile, OperationOnAnotherSessionsState) {
    // Operations are per session: a find started in one session is not visible in another.
    const CK_SESSION_HANDLE a = openSession(false), b = openSession(false);
    ASSERT_RV(CKR_OK, f->C_FindObjectsInit(a, nullptr, 0));
    CK_OBJECT_HANDLE h = 0;
    CK_ULONG n = 0;
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_FindObjects(b, &h, 1, &n));
    EXPECT_RV(CKR_OK, f->C_FindObjectsInit(b, nullptr, 0));
}

}  // namespace
}  // namespace conf
