// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "ias/apdu/crypto.hpp"
#include "ias/apdu/error.hpp"
#include "ias/protocol/admin_key.hpp"
#include "apdu_test_util.hpp"

using namespace ias::apdu;
using namespace ias::protocol;

TEST(AdminKey, SerialIccPadsAndTruncates) {
    EXPECT_EQ(serialIcc(fromHex("9250001000000012345F")), fromHex("001000000012345F"));
    EXPECT_EQ(serialIcc(fromHex("1234")), fromHex("0000000000001234"));
}

using ias::apdu::test::plain;

// Scheme emv-cps-sn8 (docs/admin-keys.md). The expected values were computed independently of
// this code with the OpenSSL command line, E_K(x) being
//   echo -n x | xxd -r -p | openssl enc -des-ede -nopad -K K | xxd -p
// KC = E_MK(SN8) || E_MK(~SN8), K_ENC = E_KC(SN8[2..7] F0 01) || E_KC(SN8[2..7] 0F 01), K_MAC
// likewise with 02; the cryptogram with `openssl enc -des-ede-cbc -nopad -iv 0` for E and for the
// retail MAC's CBC chain under (K1, K1), its last block XOR 80.. then E under (K1, K2).
TEST(AdminKey, DerivationMatchesIndependentlyComputedVectors) {
    const Bytes sn = fromHex("001000000012345F");
    const Bytes master = fromHex("00112233445566778899AABBCCDDEEFF");
    EXPECT_EQ(cardKeyDerivationData(sn), fromHex("001000000012345FFFEFFFFFFFEDCBA0"));
    EXPECT_EQ(adminKeyDerivationData(sn, false), fromHex("00000012345FF00100000012345F0F01"));
    EXPECT_EQ(adminKeyDerivationData(sn, true), fromHex("00000012345FF00200000012345F0F02"));
    EXPECT_EQ(plain(cardMasterKey(master, sn)), fromHex("18596638D5ABC6D6A7C69043071CE0A7"));
    const AdminKeys k = deriveAdminKeys(master, sn);
    EXPECT_EQ(plain(k.enc), fromHex("6B410DFF7FD5944E6A6C4FE645AE3A85"));
    EXPECT_EQ(plain(k.mac), fromHex("857893FE2AE1C2DA3861DD5B0188D52C"));
    EXPECT_EQ(externalAuthCryptogram(k, fromHex("0102030405060708"), sn),
              fromHex("93141D1A7F7534E932DA7B2B262AB9ABB62551815653DDFA"));
    const AdminKeys other = deriveAdminKeys(master, fromHex("0010000000123460"));
    EXPECT_EQ(plain(other.enc), fromHex("746E871EDD261CC95C94AC6F3E74AAE0"));
    EXPECT_EQ(plain(other.mac), fromHex("D6520FCB1A280F2592AF71AEF9940BA5"));
    EXPECT_THROW(adminKeyDerivationData(fromHex("0010"), false), Error);
    EXPECT_THROW(cardKeyDerivationData(fromHex("0010")), Error);
}

// The review's finding: with K = E(SN8) || E(const) every card shared the right halves and
// K_ENC/K_MAC shared their left half, so one leaked keyset left single DES for all others.
TEST(AdminKey, TwoSerialsGiveEightDistinctHalves) {
    const Bytes master = fromHex("00112233445566778899AABBCCDDEEFF");
    for (const auto& [a, b] : {std::pair{"001000000012345F", "0010000000123460"},
                               std::pair{"0000000000000001", "FF00000000000001"},  // differ in SN8[0] only
                               std::pair{"0000000000000000", "FFFFFFFFFFFFFFFF"}}) {
        std::set<Bytes> halves;
        for (const char* serial : {a, b}) {
            const AdminKeys k = deriveAdminKeys(master, fromHex(serial));
            for (const SecureBytes* key : {&k.enc, &k.mac}) {
                ASSERT_EQ(key->size(), 16u);
                halves.emplace(key->begin(), key->begin() + 8);
                halves.emplace(key->begin() + 8, key->end());
            }
        }
        EXPECT_EQ(halves.size(), 8u) << a << " / " << b;
    }
}

TEST(AdminKey, CryptogramChecksOnlyForItsChallengeAndCard) {
    const Bytes master = fromHex("00112233445566778899AABBCCDDEEFF");
    const Bytes sn = fromHex("001000000012345F");
    const AdminKeys k = deriveAdminKeys(master, sn);
    const Bytes rnd = fromHex("0102030405060708");
    const Bytes c = externalAuthCryptogram(k, rnd, sn);
    ASSERT_EQ(c.size(), kCryptogramSize);
    EXPECT_TRUE(checkExternalAuthCryptogram(k, rnd, sn, c));
    EXPECT_FALSE(checkExternalAuthCryptogram(k, fromHex("0102030405060709"), sn, c));
    Bytes tampered = c;
    tampered[23] ^= 1;
    EXPECT_FALSE(checkExternalAuthCryptogram(k, rnd, sn, tampered));
    EXPECT_FALSE(checkExternalAuthCryptogram(k, rnd, sn, Bytes(c.begin(), c.begin() + 16)));
    const AdminKeys other = deriveAdminKeys(master, fromHex("0010000000123460"));
    EXPECT_FALSE(checkExternalAuthCryptogram(other, rnd, sn, c));
}
