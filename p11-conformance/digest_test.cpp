// SPDX-License-Identifier: Apache-2.0
// Chapter "Message digesting" (PKCS#11 v2.40 §5.10): C_DigestInit, C_Digest, C_DigestUpdate,
// C_DigestFinal with CKM_SHA256 — the result, the length convention of §5.2, and the rule
// that a single-part operation and a multi-part one do not mix: once C_Digest was called (even
// a length query) C_DigestUpdate / C_DigestFinal cannot finish it, and once C_DigestUpdate was
// called C_Digest cannot. A call that refuses ends the operation (§5.10: "A call to C_Digest
// always terminates the active digest operation unless it returns CKR_BUFFER_TOO_SMALL or is
// a successful call ... to determine the length").
#include <array>

#include "harness.hpp"

namespace conf {
namespace {

// SHA-256("abc") (FIPS 180-2 appendix B.1).
constexpr std::array<CK_BYTE, 3> kAbc{'a', 'b', 'c'};
constexpr std::array<CK_BYTE, 32> kAbcSha256{0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                       0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};

class Digest : public P11Test {
protected:
    void SetUp() override {
        P11Test::SetUp();
        if (HasFatalFailure()) return;
        if (!supports(CKM_SHA256, CKF_DIGEST)) GTEST_SKIP() << "no CKM_SHA256 digest";
        s_ = openSession(false);
    }
    CK_RV init() { return f->C_DigestInit(s_, &mech_); }
    CK_RV digest(Bytes& out, CK_ULONG& len) {
        return f->C_Digest(s_, const_cast<CK_BYTE*>(kAbc.data()), kAbc.size(), out.empty() ? nullptr : out.data(), &len);
    }
    CK_RV update() { return f->C_DigestUpdate(s_, const_cast<CK_BYTE*>(kAbc.data()), kAbc.size()); }
    // The operation is over: nothing continues it, and a new one can start.
    void expectEnded() {
        Bytes out(64);
        CK_ULONG len = out.size();
        EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_DigestFinal(s_, out.data(), &len));
        EXPECT_RV(CKR_OK, init()) << "a new C_DigestInit is accepted (no CKR_OPERATION_ACTIVE)";
    }
    CK_SESSION_HANDLE s_ = 0;
    CK_MECHANISM mech_{CKM_SHA256, nullptr, 0};
};

TEST_F(Digest, SinglePartWithLengthQuery) {
    ASSERT_RV(CKR_OK, init());
    CK_ULONG len = 0;
    Bytes none;
    ASSERT_RV(CKR_OK, digest(none, len));
    ASSERT_EQ(len, 32u);
    Bytes out(len);
    ASSERT_RV(CKR_OK, digest(out, len));
    EXPECT_EQ(out, Bytes(kAbcSha256.begin(), kAbcSha256.end()));
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, digest(out, len));
}

TEST_F(Digest, MultiPart) {
    ASSERT_RV(CKR_OK, init());
    ASSERT_RV(CKR_OK, f->C_DigestUpdate(s_, const_cast<CK_BYTE*>(kAbc.data()), 1));
    ASSERT_RV(CKR_OK, f->C_DigestUpdate(s_, const_cast<CK_BYTE*>(kAbc.data()) + 1, 2));
    CK_ULONG len = 0;
    ASSERT_RV(CKR_OK, f->C_DigestFinal(s_, nullptr, &len));
    Bytes out(len);
    ASSERT_RV(CKR_OK, f->C_DigestFinal(s_, out.data(), &len));
    EXPECT_EQ(out, Bytes(kAbcSha256.begin(), kAbcSha256.end()));
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_DigestFinal(s_, out.data(), &len));
}

TEST_F(Digest, FinalAfterSinglePartLengthQueryIsRefusedAndEndsTheOperation) {
    ASSERT_RV(CKR_OK, init());
    CK_ULONG len = 0;
    Bytes none;
    ASSERT_RV(CKR_OK, digest(none, len));  // C_Digest began: a single-part operation
    Bytes out(64);
    len = out.size();
    // v2.40 §5.10 C_DigestFinal "finishes a multiple-part message-digesting operation": none is
    // active, so CKR_OPERATION_NOT_INITIALIZED, and no digest comes out.
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_DigestFinal(s_, out.data(), &len));
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, digest(out, len)) << "the refusal ended the operation";
    expectEnded();
}

TEST_F(Digest, UpdateAfterSinglePartShortBufferIsRefusedAndEndsTheOperation) {
    ASSERT_RV(CKR_OK, init());
    Bytes small(1);
    CK_ULONG len = small.size();
    ASSERT_RV(CKR_BUFFER_TOO_SMALL, digest(small, len));
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, update());
    expectEnded();
}

TEST_F(Digest, SinglePartAfterUpdateIsRefusedAndEndsTheOperation) {
    ASSERT_RV(CKR_OK, init());
    ASSERT_RV(CKR_OK, update());
    Bytes out(64);
    CK_ULONG len = out.size();
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, digest(out, len));
    expectEnded();
}

}  // namespace
}  // namespace conf
