// SPDX-License-Identifier: Apache-2.0
// Chapter "Object management" (PKCS#11 v2.40 §5.7): C_FindObjectsInit/C_FindObjects/
// C_FindObjectsFinal, C_GetAttributeValue (the per-attribute rules of §5.7, including
// CK_UNAVAILABLE_INFORMATION), C_CreateObject/C_DestroyObject/C_SetAttributeValue/
// C_GetObjectSize, and the visibility of private objects (v2.40 §4.4 CKA_PRIVATE).
#include "harness.hpp"

namespace conf {
namespace {

using Objects = P11Test;

CK_OBJECT_CLASS kCert = CKO_CERTIFICATE;
CK_OBJECT_CLASS kPrivate = CKO_PRIVATE_KEY;
CK_OBJECT_CLASS kPublic = CKO_PUBLIC_KEY;
CK_OBJECT_CLASS kData = CKO_DATA;

TEST_F(Objects, PublicSessionSeesNoPrivateObject) {
    const CK_SESSION_HANDLE s = openSession(false);
    const auto all = find(s, {});
    EXPECT_FALSE(all.empty()) << "the test token has public objects (certificates)";
    for (CK_OBJECT_HANDLE h : all) EXPECT_FALSE(boolAttribute(s, h, CKA_PRIVATE)) << "private object visible";
    EXPECT_TRUE(find(s, {attr(CKA_CLASS, kPrivate)}).empty());
}

TEST_F(Objects, LoginRevealsPrivateKeys) {
    const CK_SESSION_HANDLE s = openSession(false);
    const std::size_t before = find(s, {}).size();
    loginUser(s);
    const auto keys = find(s, {attr(CKA_CLASS, kPrivate), attr(CKA_SIGN, kTrue)});
    EXPECT_FALSE(keys.empty());
    EXPECT_GT(find(s, {}).size(), before);
    EXPECT_RV(CKR_OK, f->C_Logout(s));
    EXPECT_TRUE(find(s, {attr(CKA_CLASS, kPrivate)}).empty());
}

TEST_F(Objects, FindInBatchesOfOne) {
    const CK_SESSION_HANDLE s = openSession(false);
    const auto all = find(s, {});
    ASSERT_RV(CKR_OK, f->C_FindObjectsInit(s, nullptr, 0));
    std::vector<CK_OBJECT_HANDLE> one;
    for (;;) {
        CK_OBJECT_HANDLE h = 0;
        CK_ULONG n = 0;
        ASSERT_RV(CKR_OK, f->C_FindObjects(s, &h, 1, &n));
        if (n == 0) break;
        ASSERT_EQ(n, 1u);
        one.push_back(h);
    }
    EXPECT_RV(CKR_OK, f->C_FindObjectsFinal(s));
    EXPECT_EQ(one, all);
}

TEST_F(Objects, FindTemplateMatching) {
    const CK_SESSION_HANDLE s = openSession(false);
    for (CK_OBJECT_HANDLE h : find(s, {attr(CKA_CLASS, kCert)})) EXPECT_EQ(ulongAttribute(s, h, CKA_CLASS), CKO_CERTIFICATE);
    char label[] = "no object has this label, surely";
    EXPECT_TRUE(find(s, {attr(CKA_CLASS, kCert), attrBytes(CKA_LABEL, label, sizeof label - 1)}).empty());
}

TEST_F(Objects, FindOperationStates) {
    const CK_SESSION_HANDLE s = openSession(false);
    CK_OBJECT_HANDLE h[4];
    CK_ULONG n = 0;
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_FindObjects(s, h, 4, &n));
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_FindObjectsFinal(s));
    ASSERT_RV(CKR_OK, f->C_FindObjectsInit(s, nullptr, 0));
    EXPECT_RV(CKR_OPERATION_ACTIVE, f->C_FindObjectsInit(s, nullptr, 0));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_FindObjects(s, h, 4, nullptr));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_FindObjects(s, nullptr, 4, &n));
    EXPECT_RV(CKR_OK, f->C_FindObjectsFinal(s));
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_FindObjectsFinal(s));
}

TEST_F(Objects, FindTemplateNullWithCount) {
    const CK_SESSION_HANDLE s = openSession(false);
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_FindObjectsInit(s, nullptr, 2));
}

class Attributes : public P11Test {
protected:
    void SetUp() override {
        P11Test::SetUp();
        if (HasFatalFailure()) return;
        s_ = openSession(false);
        const auto certs = find(s_, {attr(CKA_CLASS, kCert)});
        ASSERT_FALSE(certs.empty());
        cert_ = certs.front();
    }
    CK_SESSION_HANDLE s_ = 0;
    CK_OBJECT_HANDLE cert_ = 0;
};

TEST_F(Attributes, LengthQueryThenValue) {
    CK_ATTRIBUTE a{CKA_VALUE, nullptr, 0};
    ASSERT_RV(CKR_OK, f->C_GetAttributeValue(s_, cert_, &a, 1));
    ASSERT_NE(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
    ASSERT_GT(a.ulValueLen, 100u);
    Bytes v(a.ulValueLen + 16, 0xEE);
    a.pValue = v.data();
    a.ulValueLen = v.size();
    ASSERT_RV(CKR_OK, f->C_GetAttributeValue(s_, cert_, &a, 1));
    EXPECT_EQ(a.ulValueLen + 16, v.size()) << "ulValueLen is set to the exact length";
    EXPECT_EQ(v[0], 0x30) << "DER certificate";
}

TEST_F(Attributes, BufferTooSmall) {
    // v2.40 §5.7 C_GetAttributeValue, case 4: "Otherwise, the ulValueLen field is modified to hold
    // the value CK_UNAVAILABLE_INFORMATION" and the function returns CKR_BUFFER_TOO_SMALL.
    Bytes v(4);
    CK_ATTRIBUTE a{CKA_VALUE, v.data(), v.size()};
    EXPECT_RV(CKR_BUFFER_TOO_SMALL, f->C_GetAttributeValue(s_, cert_, &a, 1));
    EXPECT_EQ(a.ulValueLen, CK_UNAVAILABLE_INFORMATION) << "got ulValueLen " << a.ulValueLen;
}

TEST_F(Attributes, InvalidTypeStillFillsTheOthers) {
    // v2.40 §5.7: every attribute of the template is processed; CKR_ATTRIBUTE_TYPE_INVALID, with
    // ulValueLen = CK_UNAVAILABLE_INFORMATION for the invalid one, the others filled in.
    CK_OBJECT_CLASS cls = 0;
    Bytes junk(8);
    CK_ATTRIBUTE t[] = {{CKA_VENDOR_DEFINED | 0x7777, junk.data(), junk.size()}, {CKA_CLASS, &cls, sizeof cls}};
    EXPECT_RV(CKR_ATTRIBUTE_TYPE_INVALID, f->C_GetAttributeValue(s_, cert_, t, 2));
    EXPECT_EQ(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    EXPECT_EQ(cls, CKO_CERTIFICATE);
    EXPECT_EQ(t[1].ulValueLen, sizeof cls);
}

TEST_F(Attributes, InvalidObjectHandles) {
    CK_OBJECT_CLASS cls = 0;
    CK_ATTRIBUTE a{CKA_CLASS, &cls, sizeof cls};
    EXPECT_RV(CKR_OBJECT_HANDLE_INVALID, f->C_GetAttributeValue(s_, CK_INVALID_HANDLE, &a, 1));
    EXPECT_RV(CKR_OBJECT_HANDLE_INVALID, f->C_GetAttributeValue(s_, 0x7FFFFF01, &a, 1));
    CK_ULONG size = 0;
    EXPECT_RV(CKR_OBJECT_HANDLE_INVALID, f->C_GetObjectSize(s_, 0x7FFFFF01, &size));
    EXPECT_RV(CKR_OBJECT_HANDLE_INVALID, f->C_DestroyObject(s_, 0x7FFFFF01));
}

TEST_F(Attributes, NullTemplateWithCount) { EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetAttributeValue(s_, cert_, nullptr, 1)); }

TEST_F(Attributes, SensitivePrivateKeyAttributes) {
    loginUser(s_);
    const auto keys = find(s_, {attr(CKA_CLASS, kPrivate)});
    ASSERT_FALSE(keys.empty());
    for (CK_OBJECT_HANDLE k : keys) {
        const bool sensitive = boolAttribute(s_, k, CKA_SENSITIVE, true);
        const bool extractable = boolAttribute(s_, k, CKA_EXTRACTABLE, false);
        if (!sensitive && extractable) continue;
        const CK_ATTRIBUTE_TYPE secret =
            ulongAttribute(s_, k, CKA_KEY_TYPE) == CKK_RSA ? CKA_PRIVATE_EXPONENT : CKA_VALUE;
        // v2.40 §5.7 case 1: CKR_ATTRIBUTE_SENSITIVE, ulValueLen = CK_UNAVAILABLE_INFORMATION.
        CK_KEY_TYPE type = 0;
        CK_ATTRIBUTE t[] = {{secret, nullptr, 0}, {CKA_KEY_TYPE, &type, sizeof type}};
        EXPECT_RV(CKR_ATTRIBUTE_SENSITIVE, f->C_GetAttributeValue(s_, k, t, 2));
        EXPECT_EQ(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
        EXPECT_EQ(t[1].ulValueLen, sizeof type);
        EXPECT_TRUE(boolAttribute(s_, k, CKA_ALWAYS_SENSITIVE, true) || !sensitive);
    }
}

TEST_F(Attributes, PrivateHandleAfterLogout) {
    loginUser(s_);
    const auto keys = find(s_, {attr(CKA_CLASS, kPrivate)});
    ASSERT_FALSE(keys.empty());
    ASSERT_RV(CKR_OK, f->C_Logout(s_));
    CK_OBJECT_CLASS cls = 0;
    CK_ATTRIBUTE a{CKA_CLASS, &cls, sizeof cls};
    // A private object is not accessible outside a user session (v2.40 §4.4.1 CKA_PRIVATE).
    EXPECT_RV_IN(f->C_GetAttributeValue(s_, keys.front(), &a, 1), CKR_OBJECT_HANDLE_INVALID, CKR_USER_NOT_LOGGED_IN);
}

TEST_F(Attributes, KeyPairAndCertificateAgree) {
    loginUser(s_);
    for (CK_OBJECT_HANDLE k : find(s_, {attr(CKA_CLASS, kPrivate), attr(CKA_SIGN, kTrue)})) {
        Bytes id = attribute(s_, k, CKA_ID);
        EXPECT_FALSE(id.empty()) << "CKA_ID links the key to its certificate";
        const auto certs = find(s_, {attr(CKA_CLASS, kCert), attrBytes(CKA_ID, id.data(), id.size())});
        const auto pubs = find(s_, {attr(CKA_CLASS, kPublic), attrBytes(CKA_ID, id.data(), id.size())});
        EXPECT_FALSE(certs.empty() && pubs.empty()) << "no public half for a signing key";
        if (ulongAttribute(s_, k, CKA_KEY_TYPE) == CKK_RSA && !pubs.empty()) {
            EXPECT_EQ(attribute(s_, k, CKA_MODULUS), attribute(s_, pubs.front(), CKA_MODULUS));
        }
    }
}

TEST_F(Attributes, GetObjectSize) {
    CK_ULONG size = 0;
    const CK_RV rv = f->C_GetObjectSize(s_, cert_, &size);
    EXPECT_RV_IN(rv, CKR_OK, CKR_FUNCTION_NOT_SUPPORTED, CKR_INFORMATION_SENSITIVE);
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetObjectSize(s_, cert_, nullptr));
}

TEST_F(Objects, CreateSessionDataObject) {
    const CK_SESSION_HANDLE s = openSession(false);
    char label[] = "conformance data";
    char value[] = "payload";
    // CKA_PRIVATE explicitly false: its default is token-specific (v2.40 §4.4 table 22 footnote).
    CK_ATTRIBUTE t[] = {attr(CKA_CLASS, kData), attr(CKA_TOKEN, kFalse), attrBytes(CKA_LABEL, label, sizeof label - 1),
                        attrBytes(CKA_VALUE, value, sizeof value - 1), attr(CKA_PRIVATE, kFalse)};
    CK_OBJECT_HANDLE h = 0;
    const CK_RV rv = f->C_CreateObject(s, t, 5, &h);
    if (!profile().objectCreation) {
        EXPECT_RV_IN(rv, CKR_TOKEN_WRITE_PROTECTED, CKR_FUNCTION_NOT_SUPPORTED, CKR_ACTION_PROHIBITED);
        return;
    }
    ASSERT_RV(CKR_OK, rv);
    EXPECT_EQ(attribute(s, h, CKA_VALUE), Bytes(value, value + sizeof value - 1));
    EXPECT_RV(CKR_OK, f->C_SetAttributeValue(s, h, t + 2, 1));
    EXPECT_RV(CKR_OK, f->C_DestroyObject(s, h));
    CK_OBJECT_CLASS cls = 0;
    CK_ATTRIBUTE a{CKA_CLASS, &cls, sizeof cls};
    EXPECT_RV(CKR_OBJECT_HANDLE_INVALID, f->C_GetAttributeValue(s, h, &a, 1));
}

TEST_F(Objects, CreateTokenObjectInReadOnlySession) {
    // v2.40 §5.7 C_CreateObject: "Only session objects can be created during a read-only session."
    const CK_SESSION_HANDLE s = openSession(false);
    char value[] = "payload";
    CK_ATTRIBUTE t[] = {attr(CKA_CLASS, kData), attr(CKA_TOKEN, kTrue), attrBytes(CKA_VALUE, value, sizeof value - 1)};
    CK_OBJECT_HANDLE h = 0;
    if (tokenInfo().flags & CKF_WRITE_PROTECTED) {
        // Both apply; v2.40 §5.1.7: beyond the listed precedences "any of the applicable error
        // codes may be returned" (CKR_SESSION_READ_ONLY and CKR_TOKEN_WRITE_PROTECTED are both §5.1.6).
        EXPECT_RV_IN(f->C_CreateObject(s, t, 3, &h), CKR_SESSION_READ_ONLY, CKR_TOKEN_WRITE_PROTECTED);
    } else {
        EXPECT_RV(CKR_SESSION_READ_ONLY, f->C_CreateObject(s, t, 3, &h));
    }
}

TEST_F(Objects, CreateObjectIncompleteTemplate) {
    if (!profile().objectCreation) GTEST_SKIP() << "profile " << profile().name << ": no object creation";
    const CK_SESSION_HANDLE s = openSession(false);
    CK_KEY_TYPE rsa = CKK_RSA;
    CK_ATTRIBUTE t[] = {attr(CKA_CLASS, kPublic), attr(CKA_KEY_TYPE, rsa), attr(CKA_TOKEN, kFalse)};
    CK_OBJECT_HANDLE h = 0;
    EXPECT_RV(CKR_TEMPLATE_INCOMPLETE, f->C_CreateObject(s, t, 3, &h));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_CreateObject(s, nullptr, 3, &h));
}

TEST_F(Objects, ModifyTokenObjectInReadOnlySession) {
    const CK_SESSION_HANDLE s = openSession(false);
    const auto certs = find(s, {attr(CKA_CLASS, kCert)});
    ASSERT_FALSE(certs.empty());
    char label[] = "renamed";
    CK_ATTRIBUTE a = attrBytes(CKA_LABEL, label, sizeof label - 1);
    // v2.40 §5.7 C_SetAttributeValue / C_DestroyObject: token objects are read-only in a R/O session.
    EXPECT_RV_IN(f->C_SetAttributeValue(s, certs.front(), &a, 1), CKR_SESSION_READ_ONLY, CKR_ACTION_PROHIBITED);
    EXPECT_RV_IN(f->C_DestroyObject(s, certs.front()), CKR_SESSION_READ_ONLY, CKR_ACTION_PROHIBITED);
}

}  // namespace
}  // namespace conf
