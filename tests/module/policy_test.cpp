#include <gtest/gtest.h>

#include <string>

#include "card/ias_card.hpp"
#include "core/mechanisms.hpp"
#include "core/pin_policy.hpp"

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

TEST(PinEncoding, PadsOnlyWhenAsked) {
    const apdu::Bytes pin{'4', '7', '1', '1'};
    EXPECT_EQ(card::encodePin(pin, {}).size(), 4u);
    const auto padded = card::encodePin(pin, {8, 0xFF});
    ASSERT_EQ(padded.size(), 8u);
    EXPECT_EQ(padded[4], 0xFF);
    EXPECT_EQ(padded[7], 0xFF);
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
