// SPDX-License-Identifier: Apache-2.0
// Staff credentials of the support console (core/staff.hpp): scrypt password hashes keyed
// with a MAC, HOTP/TOTP against the RFC 4226 and RFC 6238 vectors, replay refusal, base32
// and the provisioning URI.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/staff.hpp"

using namespace ias;
using namespace ias::service;

namespace {

KeyedMac macWith(const std::string& key) {
    return [key](apdu::ByteView data) {
        apdu::Bytes out(32);
        unsigned int len = 0;
        HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len);
        return out;
    };
}

apdu::ByteView bytes(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

const std::string kRfcKey = "12345678901234567890";  // RFC 4226 / RFC 6238 (SHA-1) test key

}  // namespace

TEST(StaffPassword, VerifiesTheRightPasswordOnly) {
    const KeyedMac mac = macWith("hsm-key-1");
    const std::string h = staff::hashPassword("correct horse battery", mac, {10, 8, 1});
    EXPECT_EQ(h.rfind("hmac-scrypt$10$8$1$", 0), 0u) << h;
    EXPECT_TRUE(staff::verifyPassword("correct horse battery", h, mac));
    EXPECT_FALSE(staff::verifyPassword("correct horse batterY", h, mac));
    EXPECT_FALSE(staff::verifyPassword("", h, mac));
    // Another HSM key: the stored hash is useless without the right one.
    EXPECT_FALSE(staff::verifyPassword("correct horse battery", h, macWith("hsm-key-2")));
    // Salted: the same password hashes differently.
    EXPECT_NE(h, staff::hashPassword("correct horse battery", mac, {10, 8, 1}));
}

TEST(StaffPassword, RefusesTamperedOrMalformedHashes) {
    const KeyedMac mac = macWith("hsm-key-1");
    const std::string h = staff::hashPassword("correct horse battery", mac, {10, 8, 1});
    std::string cheaper = h;
    cheaper.replace(cheaper.find("$10$"), 4, "$11$");
    EXPECT_FALSE(staff::verifyPassword("correct horse battery", cheaper, mac));
    for (const std::string& bad : {std::string(""), std::string("hmac-scrypt$"), std::string("hmac-scrypt$9$8$1$00$00"),
                                  std::string("hmac-scrypt$30$8$1$00$00"), std::string("hmac-scrypt$10$8$1$zz$00"),
                                  std::string("pbkdf2$10$8$1$00$00"), h + "$00"})
        EXPECT_FALSE(staff::verifyPassword("correct horse battery", bad, mac)) << bad;
}

TEST(StaffPassword, DefaultCostIsMemoryHard) {
    const KeyedMac mac = macWith("hsm-key-1");
    const std::string h = staff::hashPassword("correct horse battery", mac);
    EXPECT_EQ(h.rfind("hmac-scrypt$17$8$1$", 0), 0u) << "N = 2^17, r = 8: 128 MiB";
    EXPECT_TRUE(staff::verifyPassword("correct horse battery", h, mac));
}

TEST(StaffTotp, Rfc4226HotpVectors) {
    const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                              "254676", "287922", "162583", "399871", "520489"};
    for (std::uint64_t i = 0; i < 10; ++i) EXPECT_EQ(staff::hotp(bytes(kRfcKey), i), expected[i]) << i;
}

TEST(StaffTotp, Rfc6238Sha1Vectors) {
    const std::pair<std::int64_t, const char*> vectors[] = {{59, "94287082"},         {1111111109, "07081804"},
                                                            {1111111111, "14050471"}, {1234567890, "89005924"},
                                                            {2000000000, "69279037"}, {20000000000, "65353130"}};
    for (const auto& [t, code] : vectors)
        EXPECT_EQ(staff::hotp(bytes(kRfcKey), static_cast<std::uint64_t>(staff::totpStep(t)), 8), code) << t;
}

TEST(StaffTotp, AcceptsOneStepEitherSideAndNeverTwice) {
    const std::int64_t now = 1'700'000'010;
    const std::int64_t step = staff::totpStep(now);
    const auto code = [&](std::int64_t s) { return staff::hotp(bytes(kRfcKey), static_cast<std::uint64_t>(s)); };
    EXPECT_EQ(staff::matchTotp(bytes(kRfcKey), code(step), now, 0), step);
    EXPECT_EQ(staff::matchTotp(bytes(kRfcKey), code(step - 1), now, 0), step - 1);
    EXPECT_EQ(staff::matchTotp(bytes(kRfcKey), code(step + 1), now, 0), step + 1);
    EXPECT_FALSE(staff::matchTotp(bytes(kRfcKey), code(step - 2), now, 0));
    EXPECT_FALSE(staff::matchTotp(bytes(kRfcKey), code(step + 2), now, 0));
    // Replay: the step was used (or a later one was).
    EXPECT_FALSE(staff::matchTotp(bytes(kRfcKey), code(step), now, step));
    EXPECT_FALSE(staff::matchTotp(bytes(kRfcKey), code(step - 1), now, step));
    EXPECT_EQ(staff::matchTotp(bytes(kRfcKey), code(step + 1), now, step), step + 1);
    for (const char* bad : {"", "12345", "1234567", "abcdef", " 755224"})
        EXPECT_FALSE(staff::matchTotp(bytes(kRfcKey), bad, now, 0)) << bad;
}

TEST(StaffTotp, SeedComesFromTheKeyAndTheNonce) {
    const KeyedMac mac = macWith("hsm-key-1");
    const auto a = staff::totpSeed("00112233445566778899aabbccddeeff", mac);
    EXPECT_EQ(a.size(), 20u);
    EXPECT_EQ(a, staff::totpSeed("00112233445566778899aabbccddeeff", mac));
    EXPECT_NE(a, staff::totpSeed("00112233445566778899aabbccddeef0", mac));
    EXPECT_NE(a, staff::totpSeed("00112233445566778899aabbccddeeff", macWith("hsm-key-2")));
}

TEST(StaffTotp, Base32AndProvisioningUri) {
    EXPECT_EQ(staff::base32(bytes(kRfcKey)), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    EXPECT_EQ(staff::base32(bytes("f")), "MY");
    EXPECT_EQ(staff::provisioningUri("Autorité de test", "alice", bytes(kRfcKey)),
              "otpauth://totp/Autorit%C3%A9%20de%20test:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
              "&issuer=Autorit%C3%A9%20de%20test&algorithm=SHA1&digits=6&period=30");
}

TEST(StaffNames, RolesAndNames) {
    EXPECT_EQ(staff::roleFromString("support"), staff::Role::Support);
    EXPECT_EQ(staff::roleFromString("auditor"), staff::Role::Auditor);
    EXPECT_FALSE(staff::roleFromString("admin"));
    EXPECT_TRUE(staff::maySupport(staff::Role::Support));
    EXPECT_FALSE(staff::maySupport(staff::Role::Auditor));
    EXPECT_TRUE(staff::validName("alice.martin-2"));
    for (const char* bad : {"", "Alice", "a b", "a<b", "é"}) EXPECT_FALSE(staff::validName(bad)) << bad;
    EXPECT_FALSE(staff::validName(std::string(65, 'a')));
}
