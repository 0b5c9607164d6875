// SPDX-License-Identifier: Apache-2.0
// Chapter "Signing and MACing" / "Decryption" (PKCS#11 v2.40 §5.11 and §5.9, mechanisms in
// the Current Mechanisms spec §2.1 RSA, §2.3 ECDSA): every supported signature mechanism
// (checked with OpenSSL against the public key), the length convention of §5.2 ("buffer too
// small keeps the operation alive"), operation states, wrong keys, and CKM_RSA_PKCS decryption.
#include "crypto.hpp"

namespace conf {
namespace {

class Sign : public KeyTest, public testing::WithParamInterface<MechanismCase> {
protected:
    void SetUp() override {
        KeyTest::SetUp();
        if (HasFatalFailure() || IsSkipped()) return;
        m_ = GetParam();
        if (!supports(m_.type, CKF_SIGN)) GTEST_SKIP() << mechanismName(m_.type) << " not supported for signing";
        s_ = openSession(false);
        loginUser(s_);
        key_ = keyPair(s_, m_.keyType, CKA_SIGN);
        ASSERT_NE(key_.privateKey, CK_INVALID_HANDLE);
        mech_ = mechanismFor(m_);
        input_ = signInput(m_);
    }
    CK_RV init() {
        const CK_RV rv = f->C_SignInit(s_, &mech_, key_.privateKey);
        if (rv == CKR_OK) contextLogin(s_, key_);
        return rv;
    }
    CK_RV sign(Bytes& out, CK_ULONG& len) {
        return f->C_Sign(s_, input_.data(), input_.size(), out.empty() ? nullptr : out.data(), &len);
    }
    MechanismCase m_{};
    CK_SESSION_HANDLE s_ = 0;
    KeyPair key_;
    CK_MECHANISM mech_{};
    Bytes input_;
};

TEST_P(Sign, SignatureVerifies) {
    ASSERT_RV(CKR_OK, init());
    CK_ULONG len = 0;
    Bytes none;
    ASSERT_RV(CKR_OK, sign(none, len));  // length query: the operation stays active (v2.40 §5.2)
    Bytes sig(len);
    ASSERT_RV(CKR_OK, sign(sig, len));
    sig.resize(len);
    EXPECT_TRUE(verifySignature(key_.publicKeyDer, m_, input_, sig));
    // A successful C_Sign ends the operation (v2.40 §5.11).
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, sign(sig, len));
}

TEST_P(Sign, BufferTooSmallKeepsOperation) {
    ASSERT_RV(CKR_OK, init());
    Bytes small(1);
    CK_ULONG len = small.size();
    ASSERT_RV(CKR_BUFFER_TOO_SMALL, sign(small, len));
    ASSERT_GT(len, 1u) << "the needed length is returned";
    Bytes sig(len);
    ASSERT_RV(CKR_OK, sign(sig, len));
    sig.resize(len);
    EXPECT_TRUE(verifySignature(key_.publicKeyDer, m_, input_, sig));
}

TEST_P(Sign, OperationActive) {
    ASSERT_RV(CKR_OK, init());
    EXPECT_RV(CKR_OPERATION_ACTIVE, f->C_SignInit(s_, &mech_, key_.privateKey));
    // The first operation is still usable.
    CK_ULONG len = 0;
    Bytes none;
    EXPECT_RV(CKR_OK, sign(none, len));
}

TEST_P(Sign, MultiPart) {
    if (!m_.multiPart) GTEST_SKIP() << mechanismName(m_.type) << " is single-part";
    ASSERT_RV(CKR_OK, init());
    const std::size_t half = input_.size() / 2;
    ASSERT_RV(CKR_OK, f->C_SignUpdate(s_, input_.data(), half));
    ASSERT_RV(CKR_OK, f->C_SignUpdate(s_, input_.data() + half, input_.size() - half));
    CK_ULONG len = 0;
    ASSERT_RV(CKR_OK, f->C_SignFinal(s_, nullptr, &len));
    Bytes small(1);
    CK_ULONG smallLen = 1;
    ASSERT_RV(CKR_BUFFER_TOO_SMALL, f->C_SignFinal(s_, small.data(), &smallLen));
    Bytes sig(len);
    ASSERT_RV(CKR_OK, f->C_SignFinal(s_, sig.data(), &len));
    sig.resize(len);
    EXPECT_TRUE(verifySignature(key_.publicKeyDer, m_, input_, sig));
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_SignFinal(s_, sig.data(), &len));
}

TEST_P(Sign, SinglePartAfterUpdateIsRefusedAndEndsTheOperation) {
    if (!m_.multiPart) GTEST_SKIP() << mechanismName(m_.type) << " is single-part";
    ASSERT_RV(CKR_OK, init());
    ASSERT_RV(CKR_OK, f->C_SignUpdate(s_, input_.data(), input_.size()));
    // v2.40 §5.12: C_Sign cannot finish a multi-part operation, and CKR_OPERATION_ACTIVE is not
    // among C_Sign's return values; any error other than CKR_BUFFER_TOO_SMALL ends the operation.
    Bytes sig(4096);
    CK_ULONG len = sig.size();
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, sign(sig, len));
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_SignFinal(s_, sig.data(), &len));
}

TEST_P(Sign, MultiPartAfterSinglePartIsRefusedAndEndsTheOperation) {
    ASSERT_RV(CKR_OK, init());
    CK_ULONG len = 0;
    Bytes none;
    ASSERT_RV(CKR_OK, sign(none, len));  // a length query: C_Sign began, the operation stays active
    // v2.40 §5.11 C_SignFinal "finishes a multiple-part signature operation": none is active, so
    // CKR_OPERATION_NOT_INITIALIZED (a single-part-only mechanism may say it does no multi-part),
    // no signature comes out, and the refusal ends the operation.
    Bytes sig(len);
    EXPECT_RV_IN(f->C_SignFinal(s_, sig.data(), &len), CKR_OPERATION_NOT_INITIALIZED, CKR_FUNCTION_NOT_SUPPORTED);
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, sign(sig, len));
    // The same for C_SignUpdate after a short buffer.
    ASSERT_RV(CKR_OK, init());
    Bytes small(1);
    CK_ULONG smallLen = small.size();
    ASSERT_RV(CKR_BUFFER_TOO_SMALL, sign(small, smallLen));
    EXPECT_RV_IN(f->C_SignUpdate(s_, input_.data(), input_.size()), CKR_OPERATION_NOT_INITIALIZED,
                 CKR_FUNCTION_NOT_SUPPORTED);
    len = sig.size();
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, sign(sig, len));
}

TEST_P(Sign, NotLoggedIn) {
    ASSERT_RV(CKR_OK, f->C_Logout(s_));
    // v2.40 §5.11 C_SignInit lists CKR_USER_NOT_LOGGED_IN; the private key is also invisible
    // outside a user session (§4.4.1), hence CKR_KEY_HANDLE_INVALID. Not CKR_OBJECT_HANDLE_INVALID:
    // C_SignInit does not list it.
    EXPECT_RV_IN(f->C_SignInit(s_, &mech_, key_.privateKey), CKR_USER_NOT_LOGGED_IN, CKR_KEY_HANDLE_INVALID);
}

std::string caseName(const testing::TestParamInfo<MechanismCase>& info) { return mechanismName(info.param.type); }
INSTANTIATE_TEST_SUITE_P(Mechanisms, Sign, testing::ValuesIn(signMechanisms()), caseName);

class SignErrors : public KeyTest {
protected:
    void SetUp() override {
        KeyTest::SetUp();
        if (HasFatalFailure()) return;
        s_ = openSession(false);
        loginUser(s_);
    }
    CK_SESSION_HANDLE s_ = 0;
};

TEST_F(SignErrors, NotInitialized) {
    Bytes data(32), sig(512);
    CK_ULONG len = sig.size();
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_Sign(s_, data.data(), data.size(), sig.data(), &len));
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_SignUpdate(s_, data.data(), data.size()));
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_SignFinal(s_, sig.data(), &len));
}

TEST_F(SignErrors, InvalidMechanismAndKey) {
    const KeyPair k = keyPair(s_, CKK_RSA, CKA_SIGN);
    ASSERT_NE(k.privateKey, CK_INVALID_HANDLE);
    CK_MECHANISM bad{CKM_VENDOR_DEFINED | 0x4242, nullptr, 0};
    EXPECT_RV(CKR_MECHANISM_INVALID, f->C_SignInit(s_, &bad, k.privateKey));
    CK_MECHANISM rsa{CKM_RSA_PKCS, nullptr, 0};
    EXPECT_RV(CKR_KEY_HANDLE_INVALID, f->C_SignInit(s_, &rsa, 0x7FFFFF01));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_SignInit(s_, nullptr, k.privateKey));
}

TEST_F(SignErrors, WrongKeyType) {
    // An RSA mechanism with an EC key: CKR_KEY_TYPE_INCONSISTENT (v2.40 §5.1.6 / §5.11).
    if (!supports(CKM_ECDSA, CKF_SIGN)) GTEST_SKIP() << "no EC key on this token";
    const KeyPair ec = keyPair(s_, CKK_EC, CKA_SIGN);
    const KeyPair r = keyPair(s_, CKK_RSA, CKA_SIGN);
    ASSERT_NE(ec.privateKey, CK_INVALID_HANDLE);
    ASSERT_NE(r.privateKey, CK_INVALID_HANDLE);
    CK_MECHANISM rsa{CKM_SHA256_RSA_PKCS, nullptr, 0};
    const CK_SESSION_HANDLE s2 = openSession(false);  // a second session: a successful Init stays active
    EXPECT_RV(CKR_KEY_TYPE_INCONSISTENT, f->C_SignInit(s_, &rsa, ec.privateKey));
    CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0};
    EXPECT_RV(CKR_KEY_TYPE_INCONSISTENT, f->C_SignInit(s2, &ecdsa, r.privateKey));
}

TEST_F(SignErrors, CertificateIsNotAKey) {
    CK_OBJECT_CLASS cert = CKO_CERTIFICATE;
    const auto certs = find(s_, {attr(CKA_CLASS, cert)});
    ASSERT_FALSE(certs.empty());
    CK_MECHANISM rsa{CKM_SHA256_RSA_PKCS, nullptr, 0};
    // v2.40 §5.1.6 CKR_KEY_HANDLE_INVALID: "The specified key handle is not valid. It may be the
    // case that the specified handle is a valid handle for an object which is not a key."
    EXPECT_RV(CKR_KEY_HANDLE_INVALID, f->C_SignInit(s_, &rsa, certs.front()));
}

TEST_F(SignErrors, PssWithoutParameters) {
    if (!supports(CKM_RSA_PKCS_PSS, CKF_SIGN)) GTEST_SKIP() << "no CKM_RSA_PKCS_PSS";
    const KeyPair k = keyPair(s_, CKK_RSA, CKA_SIGN);
    CK_MECHANISM pss{CKM_RSA_PKCS_PSS, nullptr, 0};
    EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, f->C_SignInit(s_, &pss, k.privateKey));
}

TEST_F(SignErrors, RsaPkcsInputTooLong) {
    // Current Mechanisms §2.1.6: CKM_RSA_PKCS input at most k-11 bytes, else CKR_DATA_LEN_RANGE.
    const KeyPair k = keyPair(s_, CKK_RSA, CKA_SIGN);
    CK_MECHANISM rsa{CKM_RSA_PKCS, nullptr, 0};
    if (!supports(CKM_RSA_PKCS, CKF_SIGN)) GTEST_SKIP() << "no CKM_RSA_PKCS";
    ASSERT_RV(CKR_OK, f->C_SignInit(s_, &rsa, k.privateKey));
    contextLogin(s_, k);
    Bytes data(keyBytes(k.publicKeyDer) - 10, 0x41), sig(1024);
    CK_ULONG len = sig.size();
    EXPECT_RV(CKR_DATA_LEN_RANGE, f->C_Sign(s_, data.data(), data.size(), sig.data(), &len));
    // A failed C_Sign (other than CKR_BUFFER_TOO_SMALL) ends the operation (v2.40 §5.11).
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_Sign(s_, data.data(), 20, sig.data(), &len));
}

class Decrypt : public SignErrors {
protected:
    void SetUp() override {
        SignErrors::SetUp();
        if (HasFatalFailure()) return;
        if (!supports(CKM_RSA_PKCS, CKF_DECRYPT)) GTEST_SKIP() << "no CKM_RSA_PKCS decryption";
        key_ = keyPair(s_, CKK_RSA, CKA_DECRYPT);
        ASSERT_NE(key_.privateKey, CK_INVALID_HANDLE);
        plain_ = Bytes{'s', 'e', 'c', 'r', 'e', 't', ' ', 'k', 'e', 'y'};
        cipher_ = rsaPkcs1Encrypt(key_.publicKeyDer, plain_);
        ASSERT_FALSE(cipher_.empty());
    }
    CK_RV init() {
        const CK_RV rv = f->C_DecryptInit(s_, &mech_, key_.privateKey);
        if (rv == CKR_OK) contextLogin(s_, key_);
        return rv;
    }
    KeyPair key_;
    CK_MECHANISM mech_{CKM_RSA_PKCS, nullptr, 0};
    Bytes plain_, cipher_;
};

TEST_F(Decrypt, RoundTripWithLengthQuery) {
    ASSERT_RV(CKR_OK, init());
    CK_ULONG len = 0;
    ASSERT_RV(CKR_OK, f->C_Decrypt(s_, cipher_.data(), cipher_.size(), nullptr, &len));
    EXPECT_GE(len, plain_.size());
    Bytes out(len);
    ASSERT_RV(CKR_OK, f->C_Decrypt(s_, cipher_.data(), cipher_.size(), out.data(), &len));
    out.resize(len);
    EXPECT_EQ(out, plain_);
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_Decrypt(s_, cipher_.data(), cipher_.size(), out.data(), &len));
}

TEST_F(Decrypt, BufferTooSmallKeepsOperation) {
    ASSERT_RV(CKR_OK, init());
    Bytes small(2);
    CK_ULONG len = small.size();
    ASSERT_RV(CKR_BUFFER_TOO_SMALL, f->C_Decrypt(s_, cipher_.data(), cipher_.size(), small.data(), &len));
    EXPECT_GE(len, plain_.size());
    Bytes out(len);
    ASSERT_RV(CKR_OK, f->C_Decrypt(s_, cipher_.data(), cipher_.size(), out.data(), &len));
    out.resize(len);
    EXPECT_EQ(out, plain_);
}

TEST_F(Decrypt, States) {
    Bytes out(512);
    CK_ULONG len = out.size();
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_Decrypt(s_, cipher_.data(), cipher_.size(), out.data(), &len));
    ASSERT_RV(CKR_OK, init());
    EXPECT_RV(CKR_OPERATION_ACTIVE, f->C_DecryptInit(s_, &mech_, key_.privateKey));
}

TEST_F(Decrypt, FinalAfterSinglePartLengthQueryIsRefusedAndEndsTheOperation) {
    ASSERT_RV(CKR_OK, init());
    CK_ULONG len = 0;
    ASSERT_RV(CKR_OK, f->C_Decrypt(s_, cipher_.data(), cipher_.size(), nullptr, &len));
    // v2.40 §5.9: C_DecryptFinal finishes a multiple-part decryption, which is not active.
    Bytes out(512);
    len = out.size();
    EXPECT_RV_IN(f->C_DecryptFinal(s_, out.data(), &len), CKR_OPERATION_NOT_INITIALIZED, CKR_FUNCTION_NOT_SUPPORTED);
    len = out.size();
    EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f->C_Decrypt(s_, cipher_.data(), cipher_.size(), out.data(), &len));
}

TEST_F(Decrypt, WrongCiphertextLength) {
    // Current Mechanisms §2.1.6: ciphertext of exactly k bytes, else CKR_ENCRYPTED_DATA_LEN_RANGE.
    ASSERT_RV(CKR_OK, init());
    Bytes out(512);
    CK_ULONG len = out.size();
    EXPECT_RV(CKR_ENCRYPTED_DATA_LEN_RANGE, f->C_Decrypt(s_, cipher_.data(), cipher_.size() - 1, out.data(), &len));
}

TEST_F(Decrypt, SignKeyWithoutDecryptUsage) {
    CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY;
    for (CK_OBJECT_HANDLE k : find(s_, {attr(CKA_CLASS, priv), attr(CKA_DECRYPT, kFalse)})) {
        // v2.40 §5.1.6: CKR_KEY_FUNCTION_NOT_PERMITTED when CKA_DECRYPT is false.
        EXPECT_RV_IN(f->C_DecryptInit(s_, &mech_, k), CKR_KEY_FUNCTION_NOT_PERMITTED, CKR_KEY_TYPE_INCONSISTENT);
        return;
    }
    GTEST_SKIP() << "every private key may decrypt";
}

}  // namespace
}  // namespace conf
