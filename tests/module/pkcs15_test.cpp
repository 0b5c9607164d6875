// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "card/card_error.hpp"
#include "card/pkcs15.hpp"
#include "ias/apdu/bytes.hpp"

using namespace ias;
using namespace ias::card::pkcs15;
using apdu::fromHex;

// Encodings from IAS-ECC-reference.md §3 (verified with OpenSC 0.23).
TEST(Pkcs15, Odf) {
    const Odf odf = parseOdf(fromHex("A806300404027001 A006300404027002 A406300404027005"));
    EXPECT_EQ(odf.aodf, 0x7001);
    EXPECT_EQ(odf.prkdf, 0x7002);
    EXPECT_EQ(odf.cdf, 0x7005);
    EXPECT_FALSE(odf.pukdf.has_value());
}

TEST(Pkcs15, TokenInfoWithAlgorithms) {
    const auto der = fromHex(
        "308191020100040801020304050607080C0953696D56656E646F72800A49415345434320534D4D030100"
        "A268"
        "300F020101020101050003020640020102"
        "300F02010202010105000302020402011A"
        "30100201030202022005000302010202 0110"
        "30100201040202025005000302010202 0140"
        "300F020105020106050003020640020112"
        "300F020106020140050003020640020142");
    const TokenInfo t = parseTokenInfo(der);
    EXPECT_EQ(t.label, "IASECC SMM");
    EXPECT_EQ(t.manufacturer, "SimVendor");
    EXPECT_EQ(apdu::toHex(t.serialNumber), "0102030405060708");
    ASSERT_EQ(t.algorithms.size(), 6u);
    EXPECT_EQ(t.algorithms[0].mechanism, 1u);  // CKM_RSA_PKCS
    EXPECT_EQ(t.algorithms[0].algRef, 0x02);
    EXPECT_TRUE(t.algorithms[0].operations & AlgorithmInfo::kComputeSignature);
    EXPECT_EQ(t.algorithms[1].algRef, 0x1A);
    EXPECT_TRUE(t.algorithms[1].operations & AlgorithmInfo::kDecipher);
    EXPECT_EQ(t.algorithms[5].mechanism, 0x40u);  // CKM_SHA256_RSA_PKCS
}

TEST(Pkcs15, AodfUserPinAndPuk) {
    const auto der = fromHex(
        "3030"
        "3011 0C0855736572205049 4E 03020780 040102"
        "3003 040101"
        "A116 3014 030203C8 0A0102 020104 020108 020108 80020081"
        "3028"
        "3009 0C0350554B 03020780"
        "3003 040102"
        "A116 3014 030201CA 0A0102 020104 020108 020108 80020082");
    const auto pins = parseAodf(der);
    ASSERT_EQ(pins.size(), 2u);
    EXPECT_EQ(pins[0].label, "User PIN");
    EXPECT_EQ(pins[0].reference, 0x81);
    EXPECT_EQ(pins[0].minLength, 4u);
    EXPECT_EQ(pins[0].maxLength, 8u);
    EXPECT_FALSE(pins[0].isUnblockingPin());
    EXPECT_FALSE(pins[0].needsPadding());
    EXPECT_EQ(pins[0].protectedBy, fromHex("02"));
    EXPECT_EQ(pins[1].reference, 0x82);
    EXPECT_EQ(pins[1].minLength, 4u);  // read from the type attributes (once a use-after-free)
    EXPECT_EQ(pins[1].storedLength, 8u);
    EXPECT_TRUE(pins[1].isUnblockingPin());
    EXPECT_EQ(pins[1].authId, fromHex("02"));
}

TEST(Pkcs15, PrkdfAndCdf) {
    const auto prkdf = fromHex(
        "3032"
        "3010 0C0753696D206B6579 03020780 040101"
        "3012 040145 03020264 0101FF 030204B0 02020081"
        "A10A 3008 30020400 02020800");
    const auto keys = parsePrkdf(prkdf);
    ASSERT_EQ(keys.size(), 1u);
    EXPECT_EQ(keys[0].label, "Sim key");
    EXPECT_EQ(keys[0].id, fromHex("45"));
    EXPECT_EQ(keys[0].keyReference, 0x81);
    EXPECT_EQ(keys[0].modulusBits, 2048u);
    EXPECT_TRUE(keys[0].usage & PrivateKey::kUsageSign);
    EXPECT_TRUE(keys[0].usage & PrivateKey::kUsageDecrypt);
    EXPECT_EQ(keys[0].type, KeyType::Rsa);

    const auto certs = parseCdf(fromHex("301E 300D 0C0853696D2063657274 030100 3003 040145 A108 3006 3004 0402B001"));
    ASSERT_EQ(certs.size(), 1u);
    EXPECT_EQ(certs[0].label, "Sim cert");
    EXPECT_EQ(certs[0].fid, 0xB001);
    EXPECT_EQ(certs[0].id, fromHex("45"));
}

TEST(Pkcs15, MalformedInputIsACardErrorNotACrash) {
    EXPECT_THROW(parseOdf(fromHex("A806300404")), card::CardError);
    EXPECT_THROW(parseTokenInfo(fromHex("04020102")), card::CardError);
    EXPECT_THROW(parseAodf(fromHex("3003 3001 0C")), card::CardError);
    EXPECT_THROW(parseCdf(fromHex("3005 3003 0C0141")), card::CardError);
    EXPECT_THROW(parsePrkdf(fromHex("3006 3000 3000 A100")), card::CardError);  // no type attrs content
    EXPECT_THROW(bitStringFlags({}), card::CardError);
}
