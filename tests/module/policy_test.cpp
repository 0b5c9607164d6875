// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <string>

#include "card/ias_card.hpp"
#include "core/error.hpp"
#include "core/mechanisms.hpp"
#include "core/pin_policy.hpp"
#include "core/signing.hpp"

using namespace ias;
using namespace ias::p11;

namespace {
CK_RV check(const std::string& pin, bool v3 = true) {
    return checkNewUserPin(apdu::ByteView(reinterpret_cast<const std::uint8_t*>(pin.data()), pin.size()), v3);
}
}  // namespace

TEST(PinPolicy, FourDigitsOnly) {
    EXPECT_EQ(check("4711"), CKR_OK);
    EXPECT_EQ(check("0815"), CKR_OK);
    EXPECT_EQ(check("471"), CKR_PIN_LEN_RANGE);
    EXPECT_EQ(check("47110"), CKR_PIN_LEN_RANGE);
    EXPECT_EQ(check(""), CKR_PIN_LEN_RANGE);
    EXPECT_EQ(check("47a1"), CKR_PIN_INVALID);
    EXPECT_EQ(check("47 1"), CKR_PIN_INVALID);
}

TEST(PinPolicy, WeakPinsByCallerVersion) {
    EXPECT_EQ(check("1234"), CKR_PIN_TOO_WEAK);
    EXPECT_EQ(check("0000"), CKR_PIN_TOO_WEAK);
    EXPECT_EQ(check("9999"), CKR_PIN_TOO_WEAK);
    EXPECT_EQ(check("1234", false), CKR_PIN_INVALID);
    EXPECT_EQ(check("1111", false), CKR_PIN_INVALID);
    EXPECT_EQ(check("1233", false), CKR_OK);
}

TEST(PinLimits, FromTheCardsPinAttributes) {
    card::pkcs15::Pin pin;
    pin.minLength = 4;
    pin.storedLength = 8;
    pin.maxLength = 8;
    PinLengthRange r = pinLengthRange(pin);
    EXPECT_EQ(r.min, 4u);
    EXPECT_EQ(r.max, 8u);
    EXPECT_FALSE(r.contains(3));
    EXPECT_TRUE(r.contains(4));
    EXPECT_TRUE(r.contains(8));
    EXPECT_FALSE(r.contains(12));
    pin.maxLength = 0;  // optional in PKCS#15: the stored length bounds the PIN
    pin.storedLength = 6;
    EXPECT_EQ(pinLengthRange(pin).max, 6u);
    pin.storedLength = 0;  // the card says nothing: the most one short VERIFY carries
    pin.minLength = 0;     // and never an empty PIN (an empty VERIFY reads the counter)
    r = pinLengthRange(pin);
    EXPECT_EQ(r.min, 1u);
    EXPECT_EQ(r.max, 255u);
    EXPECT_FALSE(r.contains(0));
    pin.minLength = 12;  // a card contradicting itself: never an empty range, min <= max
    pin.maxLength = 8;
    r = pinLengthRange(pin);
    EXPECT_EQ(r.min, 8u);
    EXPECT_EQ(r.max, 8u);
    pin.maxLength = 100000;
    pin.minLength = 100000;
    r = pinLengthRange(pin);
    EXPECT_EQ(r.max, 255u);
    EXPECT_EQ(r.min, 255u);
}

TEST(PinEncoding, PadsOnlyWhenAsked) {
    const apdu::Bytes pin{'4', '7', '1', '1'};
    EXPECT_EQ(card::encodePin(pin, {}).size(), 4u);
    const auto padded = card::encodePin(pin, {8, 0xFF});
    ASSERT_EQ(padded.size(), 8u);
    EXPECT_EQ(padded[4], 0xFF);
    EXPECT_EQ(padded[7], 0xFF);
}

// p11_api_fuzz finding: "4711" + NUL padded with NULs is the same VERIFY as "4711".
TEST(PinEncoding, RefusesPinsThePaddingMakesAmbiguous) {
    const apdu::Bytes trailingPad{'4', '7', '1', '1', 0x00};
    EXPECT_THROW(card::encodePin(trailingPad, {8, 0x00}), card::CardError);
    EXPECT_EQ(card::encodePin(trailingPad, {}).size(), 5u);  // unpadded: sent as typed
    const apdu::Bytes tooLong(9, '1');
    EXPECT_THROW(card::encodePin(tooLong, {8, 0xFF}), card::CardError);
    try {
        card::encodePin(apdu::Bytes{'4', '7', '1', '1', 0xFF}, {8, 0xFF});
        ADD_FAILURE() << "no exception";
    } catch (const card::CardError& e) {
        EXPECT_EQ(e.kind(), card::CardErrorKind::PinIncorrect);
    }
}

TEST(Mechanisms, TableAndDigestInfo) {
    const MechanismSpec* m = findMechanism(CKM_SHA256_RSA_PKCS);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->hash, Hash::Sha256);
    EXPECT_TRUE(m->multiPart);
    EXPECT_EQ(findMechanism(CKM_MD5_RSA_PKCS), nullptr);
    EXPECT_FALSE(findMechanism(CKM_RSA_PKCS)->multiPart);
    for (Hash h : {Hash::Sha1, Hash::Sha224, Hash::Sha256, Hash::Sha384, Hash::Sha512}) {
        const auto prefix = digestInfoPrefix(h);
        ASSERT_FALSE(prefix.empty());
        // DigestInfo SEQUENCE length covers the prefix remainder plus the digest.
        EXPECT_EQ(prefix[1], prefix.size() - 2 + digestSize(h));
        EXPECT_EQ(prefix.back(), digestSize(h));
    }
    EXPECT_EQ(hashOfMgf(CKG_MGF1_SHA256), Hash::Sha256);
    EXPECT_EQ(hashOfMechanism(CKM_SHA384), Hash::Sha384);
}

// Digest mechanisms (computed in the module): listed for SunPKCS11's RSASSA-PSS check.
TEST(Mechanisms, DigestInTheModule) {
    for (CK_MECHANISM_TYPE type : {CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512}) {
        const MechanismSpec* m = findMechanism(type);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->scheme, Scheme::Digest);
    }
    CK_MECHANISM sha256{CKM_SHA256, nullptr, 0};
    DigestOperation op = startDigest(sha256);
    EXPECT_EQ(op.size, 32u);
    const std::string a = "a", bc = "bc";
    addDigestInput(op, apdu::ByteView(reinterpret_cast<const std::uint8_t*>(a.data()), a.size()));
    addDigestInput(op, apdu::ByteView(reinterpret_cast<const std::uint8_t*>(bc.data()), bc.size()));
    // FIPS 180-2 test vector SHA-256("abc").
    EXPECT_EQ(apdu::toHex(finishDigest(op)), "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");

    auto rv = [](CK_MECHANISM m) {
        try {
            startDigest(m);
        } catch (const Error& e) {
            return e.rv();
        }
        return static_cast<CK_RV>(CKR_OK);
    };
    EXPECT_EQ(rv({CKM_SHA256_RSA_PKCS, nullptr, 0}), static_cast<CK_RV>(CKR_MECHANISM_INVALID));
    EXPECT_EQ(rv({CKM_MD5, nullptr, 0}), static_cast<CK_RV>(CKR_MECHANISM_INVALID));
    CK_ULONG param = 0;
    EXPECT_EQ(rv({CKM_SHA256, &param, sizeof(param)}), static_cast<CK_RV>(CKR_MECHANISM_PARAM_INVALID));
}
