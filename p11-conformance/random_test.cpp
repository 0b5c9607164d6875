// SPDX-License-Identifier: Apache-2.0
// Chapter "Random number generation" (PKCS#11 v2.40 §5.15): C_GenerateRandom, C_SeedRandom.
#include "harness.hpp"

namespace conf {
namespace {

using Random = P11Test;

TEST_F(Random, TwoDrawsDiffer) {
    if (!(tokenInfo().flags & CKF_RNG)) GTEST_SKIP() << "token without CKF_RNG";
    const CK_SESSION_HANDLE s = openSession(false);
    Bytes a(32), b(32);
    ASSERT_RV(CKR_OK, f->C_GenerateRandom(s, a.data(), a.size()));
    ASSERT_RV(CKR_OK, f->C_GenerateRandom(s, b.data(), b.size()));
    EXPECT_NE(a, b);
    EXPECT_NE(a, Bytes(32, 0));
}

TEST_F(Random, Lengths) {
    const CK_SESSION_HANDLE s = openSession(false);
    Bytes one(1), big(4096, 0);
    EXPECT_RV(CKR_OK, f->C_GenerateRandom(s, one.data(), 0));
    EXPECT_RV(CKR_OK, f->C_GenerateRandom(s, one.data(), 1));
    ASSERT_RV(CKR_OK, f->C_GenerateRandom(s, big.data(), big.size()));
    EXPECT_NE(Bytes(big.end() - 64, big.end()), Bytes(64, 0)) << "the whole buffer is filled";
}

TEST_F(Random, NullBuffer) {
    const CK_SESSION_HANDLE s = openSession(false);
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GenerateRandom(s, nullptr, 16));
}

TEST_F(Random, InvalidSession) {
    Bytes a(16);
    EXPECT_RV(CKR_SESSION_HANDLE_INVALID, f->C_GenerateRandom(0x7FFFFF01, a.data(), a.size()));
}

TEST_F(Random, SeedRandom) {
    // v2.40 §5.15: CKR_RANDOM_SEED_NOT_SUPPORTED when the token does not accept seed material.
    const CK_SESSION_HANDLE s = openSession(false);
    Bytes seed(16, 0x5A);
    EXPECT_RV_IN(f->C_SeedRandom(s, seed.data(), seed.size()), CKR_OK, CKR_RANDOM_SEED_NOT_SUPPORTED);
}

TEST_F(Random, SeedRandomNullSeed) {
    // A NULL seed with a length is a bad argument (v2.40 §5.15 lists CKR_ARGUMENTS_BAD), checked
    // before the token says whether it takes seed material at all.
    const CK_SESSION_HANDLE s = openSession(false);
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_SeedRandom(s, nullptr, 1));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_SeedRandom(s, nullptr, 16));
}

}  // namespace
}  // namespace conf
