// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "hsm_fixture.hpp"
#include "ias/apdu/crypto.hpp"
#include "ias/protocol/admin_key.hpp"

using namespace ias;
using namespace ias::service;

TEST(ServiceHsm, CryptogramIsByteIdenticalToTheProtocolDefinition) {
    auto h = test::sharedTestHsm();
    for (const char* serial : {"9250001000000012345F", "001000000012345F", "1234", "FFFFFFFFFFFFFFFF"}) {
        const apdu::Bytes sn8 = protocol::serialIcc(apdu::fromHex(serial));
        for (int i = 0; i < 8; ++i) {
            const apdu::SecureBytes rnd = apdu::crypto::randomBytes(8);
            const apdu::Bytes expected = protocol::externalAuthCryptogram(
                protocol::deriveAdminKeys(test::knownMasterKey(), sn8), rnd, sn8);
            EXPECT_EQ(h->cryptogram(sn8, rnd), expected) << serial;
        }
    }
}

TEST(ServiceHsm, CryptogramIsAcceptedByTheCardSideCheck) {
    auto h = test::sharedTestHsm();
    const apdu::Bytes sn8 = apdu::fromHex("001000000012345F");
    const apdu::Bytes rnd = apdu::fromHex("0102030405060708");
    const auto keys = protocol::deriveAdminKeys(test::knownMasterKey(), sn8);
    EXPECT_TRUE(protocol::checkExternalAuthCryptogram(keys, rnd, sn8, h->cryptogram(sn8, rnd)));
    // Another card's keys refuse it.
    const apdu::Bytes other = apdu::fromHex("0010000000123460");
    EXPECT_FALSE(protocol::checkExternalAuthCryptogram(keys, rnd, sn8, h->cryptogram(other, rnd)));
}

TEST(ServiceHsm, HmacIsDeterministicKeyedAndSized) {
    auto h = test::sharedTestHsm();
    const apdu::Bytes a = h->hmacSha256(apdu::fromHex("00010203"));
    EXPECT_EQ(a.size(), 32u);
    EXPECT_EQ(h->hmacSha256(apdu::fromHex("00010203")), a);
    EXPECT_NE(h->hmacSha256(apdu::fromHex("00010204")), a);
    EXPECT_NE(apdu::crypto::sha256(apdu::fromHex("00010203")), a);
}

TEST(ServiceHsm, KeysAreNotExtractable) {
    test::ensureTestToken();
    auto module = hsm::Pkcs11Module::open(test::testHsmConfig().modulePath);
    auto slot = module->findToken(test::testHsmConfig().tokenLabel);
    ASSERT_TRUE(slot);
    hsm::Session s(module, *slot, false);
    s.login(CKU_USER, test::testHsmConfig().userPin);
    for (const char* label : {hsm::kMasterKeyLabel, hsm::kHmacKeyLabel}) {
        const auto found = s.find(CKO_SECRET_KEY, label);
        ASSERT_EQ(found.size(), 1u) << label;
        CK_BYTE value[64];
        CK_ATTRIBUTE a{CKA_VALUE, value, sizeof value};
        EXPECT_EQ(s.fn()->C_GetAttributeValue(s.handle(), found[0], &a, 1), CKR_ATTRIBUTE_SENSITIVE) << label;
        CK_BBOOL extractable = CK_TRUE;
        CK_ATTRIBUTE e{CKA_EXTRACTABLE, &extractable, sizeof extractable};
        ASSERT_EQ(s.fn()->C_GetAttributeValue(s.handle(), found[0], &e, 1), CKR_OK);
        EXPECT_EQ(extractable, CK_FALSE);
    }
}

TEST(ServiceHsm, ProvisioningIsIdempotentAndParallelUseIsSafe) {
    test::ensureTestToken();
    hsm::ProvisionOptions o;
    o.hsm = test::testHsmConfig();
    o.soPin = apdu::secureCopy(std::string_view("test-so-pin"));
    // Keys are already there: nothing is replaced (the known master stays).
    auto h = test::sharedTestHsm();
    const apdu::Bytes sn8 = apdu::fromHex("001000000012345F");
    const apdu::Bytes rnd = apdu::fromHex("0807060504030201");
    const apdu::Bytes expected =
        protocol::externalAuthCryptogram(protocol::deriveAdminKeys(test::knownMasterKey(), sn8), rnd, sn8);
    std::vector<std::thread> threads;
    threads.reserve(8);
    std::atomic<int> ok{0};
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 20; ++i)
                if (h->cryptogram(sn8, rnd) == expected) ++ok;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 160);
    const auto report = hsm::provisionToken(o);
    ASSERT_EQ(report.size(), 2u);
    EXPECT_EQ(report[0], "master key present: ias-unblock-master");
    EXPECT_EQ(h->cryptogram(sn8, rnd), expected);
}

// SoftHSMv2 keeps destroyed session objects until C_Finalize: the pool re-initialises the
// module every reinitAfterCryptograms cryptograms, also while other threads use it, and the
// cryptograms stay right across it.
TEST(ServiceHsm, ReinitialisesTheModuleToFreeDerivedKeysWhileInUse) {
    test::ensureTestToken();
    test::sharedTestHsmSlot().reset();  // the module must be ours alone to be re-initialised
    hsm::HsmConfig config = test::testHsmConfig();
    config.reinitAfterCryptograms = 25;
    hsm::Hsm h(config);
    const apdu::Bytes sn8 = apdu::fromHex("001000000012345F");
    const apdu::Bytes rnd = apdu::fromHex("1122334455667788");
    const apdu::Bytes expected = test::knownCryptogram(sn8, rnd);
    const apdu::Bytes hmac = h.hmacSha256(apdu::fromHex("00"));
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    threads.reserve(6);
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                if (t % 2 == 0 && h.cryptogram(sn8, rnd) == expected) ++ok;
                if (t % 2 == 1 && h.hmacSha256(apdu::fromHex("00")) == hmac) ++ok;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 300);
    // 150 cryptograms, a re-initialisation after every 25 (give or take those in flight).
    EXPECT_GE(h.reinitialisations(), 4u);
    EXPECT_LE(h.reinitialisations(), 6u);
    EXPECT_EQ(h.cryptogram(sn8, rnd), expected);
}

TEST(ServiceHsm, NoReinitialisationWhileAnotherUserHoldsTheModule) {
    test::ensureTestToken();
    auto shared = test::sharedTestHsm();
    hsm::HsmConfig config = test::testHsmConfig();
    config.reinitAfterCryptograms = 2;
    hsm::Hsm h(config);
    const apdu::Bytes sn8 = apdu::fromHex("001000000012345F");
    const apdu::Bytes rnd = apdu::fromHex("1122334455667788");
    const apdu::Bytes expected = test::knownCryptogram(sn8, rnd);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(h.cryptogram(sn8, rnd), expected);
    EXPECT_EQ(h.reinitialisations(), 0u) << "C_Finalize would close the other user's sessions";
    EXPECT_EQ(shared->cryptogram(sn8, rnd), expected);
}
