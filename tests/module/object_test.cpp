// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstring>

#include "core/error.hpp"
#include "core/object.hpp"

using namespace ias::p11;

namespace {
Object privateKey() {
    Object o(7, CKO_PRIVATE_KEY, true);
    o.setUlong(CKA_KEY_TYPE, CKK_RSA);
    o.set(CKA_ID, {0x45});
    o.setBool(CKA_SIGN, true);
    o.setBool(CKA_SENSITIVE, true);
    o.set(CKA_MODULUS, Bytes(256, 0xC3));
    return o;
}
}  // namespace

TEST(Object, GetAttributeValueRules) {
    const Object o = privateKey();
    CK_BYTE id[4];
    CK_ATTRIBUTE a{CKA_ID, nullptr, 0};
    EXPECT_EQ(o.read(a), CKR_OK);  // length query
    EXPECT_EQ(a.ulValueLen, 1u);
    a.pValue = id;
    a.ulValueLen = sizeof id;
    EXPECT_EQ(o.read(a), CKR_OK);
    EXPECT_EQ(a.ulValueLen, 1u);
    EXPECT_EQ(id[0], 0x45);

    CK_BYTE small[8];
    CK_ATTRIBUTE m{CKA_MODULUS, small, sizeof small};
    EXPECT_EQ(o.read(m), CKR_BUFFER_TOO_SMALL);
    EXPECT_EQ(m.ulValueLen, CK_UNAVAILABLE_INFORMATION);

    CK_BYTE secret[512];
    CK_ATTRIBUTE s{CKA_PRIVATE_EXPONENT, secret, sizeof secret};
    EXPECT_EQ(o.read(s), CKR_ATTRIBUTE_SENSITIVE);
    EXPECT_EQ(s.ulValueLen, CK_UNAVAILABLE_INFORMATION);

    CK_ATTRIBUTE u{CKA_VALUE_LEN, secret, sizeof secret};
    EXPECT_EQ(o.read(u), CKR_ATTRIBUTE_TYPE_INVALID);
    EXPECT_EQ(u.ulValueLen, CK_UNAVAILABLE_INFORMATION);
}

TEST(Object, TemplateMatching) {
    const Object o = privateKey();
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_BBOOL yes = CK_TRUE;
    CK_BYTE id = 0x45;
    CK_ATTRIBUTE t1[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_SIGN, &yes, sizeof yes}, {CKA_ID, &id, 1}};
    EXPECT_TRUE(o.matches(t1, 3));
    EXPECT_TRUE(o.matches(nullptr, 0));
    CK_OBJECT_CLASS other = CKO_CERTIFICATE;
    CK_ATTRIBUTE t2[] = {{CKA_CLASS, &other, sizeof other}};
    EXPECT_FALSE(o.matches(t2, 1));
    CK_ATTRIBUTE t3[] = {{CKA_ID, &id, 2}};  // wrong length never matches
    EXPECT_FALSE(o.matches(t3, 1));
    CK_BYTE anything[4] = {};
    CK_ATTRIBUTE t4[] = {{CKA_PRIVATE_EXPONENT, anything, 4}};  // sensitive never matches
    EXPECT_FALSE(o.matches(t4, 1));
    CK_ATTRIBUTE t5[] = {{CKA_LABEL, nullptr, 3}};  // bad pointer: no match, no crash
    EXPECT_FALSE(o.matches(t5, 1));
}

TEST(Object, TemplateValidation) {
    CK_ATTRIBUTE huge{CKA_LABEL, reinterpret_cast<void*>(1), 1ul << 40};
    EXPECT_THROW(checkTemplate(&huge, 1), Error);
    EXPECT_THROW(checkTemplate(nullptr, 2), Error);
    EXPECT_NO_THROW(checkTemplate(nullptr, 0));
}
