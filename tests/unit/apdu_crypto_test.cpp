// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "ias/apdu/crypto.hpp"
#include "ias/apdu/error.hpp"
#include "apdu_test_util.hpp"

using namespace ias::apdu;
using namespace ias::apdu::crypto;

using ias::apdu::test::plain;

// ICAO Doc 9303 part 11, appendix D.3 (BAC worked example): 3DES-CBC and retail MAC.
TEST(Crypto, IcaoBacVectors) {
    const Bytes kEnc = fromHex("AB94FDECF2674FDFB9B391F85D7F76F2");
    const Bytes kMac = fromHex("7962D9ECE03D1ACD4C76089DCE131543");
    const Bytes s = fromHex("781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B");
    const Bytes eIfd = fromHex("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2");
    EXPECT_EQ(plain(des3CbcEncrypt(kEnc, s)), eIfd);
    EXPECT_EQ(plain(des3CbcDecrypt(kEnc, eIfd)), s);
    EXPECT_EQ(retailMac(kMac, padIso9797m2(eIfd)), fromHex("5F1448EEA8AD90A7"));
}

TEST(Crypto, OpenScVariantKeepsChainingHalf) {
    const Bytes key = fromHex("7962D9ECE03D1ACD4C76089DCE131543");
    const SecureBytes data = padIso9797m2(fromHex("0102030405060708090A"));
    const Bytes standard = retailMac(key, data, MacVariant::Standard);
    const Bytes quirk = retailMac(key, data, MacVariant::OpenSc);
    ASSERT_EQ(quirk.size(), 8u);
    EXPECT_TRUE(std::equal(standard.begin() + 4, standard.end(), quirk.begin() + 4));
    // First half is the CBC chaining value before the last block: single DES of block 1.
    SecureBytes k1k1(key.begin(), key.begin() + 8);
    k1k1.insert(k1k1.end(), key.begin(), key.begin() + 8);
    const SecureBytes h1 = des3CbcEncrypt(k1k1, ByteView(data).first(8));
    EXPECT_TRUE(std::equal(h1.begin(), h1.begin() + 4, quirk.begin()));
    // One block only: the left half is the (zero) IV.
    const Bytes one = retailMac(key, padIso9797m2(fromHex("01")), MacVariant::OpenSc);
    EXPECT_EQ(Bytes(one.begin(), one.begin() + 4), Bytes(4, 0));
}

TEST(Crypto, Padding) {
    EXPECT_EQ(plain(padIso9797m2(fromHex("01"))), fromHex("0180000000000000"));
    EXPECT_EQ(padIso9797m2(Bytes(8, 1)).size(), 16u);
    EXPECT_EQ(plain(unpadIso9797m2(fromHex("0102800000000000"))), fromHex("0102"));
    EXPECT_THROW(unpadIso9797m2(fromHex("0102030000000000")), Error);
    EXPECT_THROW(unpadIso9797m2(fromHex("0000000000000000")), Error);
}

TEST(Crypto, RejectsBadSizes) {
    EXPECT_THROW(des3CbcEncrypt(Bytes(8, 0), Bytes(8, 0)), Error);
    EXPECT_THROW(des3CbcEncrypt(Bytes(16, 0), Bytes(7, 0)), Error);
    EXPECT_THROW(retailMac(Bytes(16, 0), Bytes{}), Error);
}

TEST(Crypto, DigestsAndRandom) {
    EXPECT_EQ(toHex(sha1(Bytes{})), "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");
    EXPECT_EQ(sha256(Bytes{}).size(), 32u);
    EXPECT_EQ(randomBytes(8).size(), 8u);
    EXPECT_NE(plain(randomBytes(16)), plain(randomBytes(16)));
}
