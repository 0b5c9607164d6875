// SPDX-License-Identifier: Apache-2.0
#include "crypto.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

namespace conf {

namespace {

CK_RSA_PKCS_PSS_PARAMS gPss{CKM_SHA256, CKG_MGF1_SHA256, 32};

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using PCtx = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

PKey loadKey(const Bytes& spki) {
    const unsigned char* p = spki.data();
    return PKey(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())), &EVP_PKEY_free);
}

const EVP_MD* digestOf(CK_MECHANISM_TYPE m) {
    switch (m) {
        case CKM_SHA1_RSA_PKCS: return EVP_sha1();
        case CKM_SHA256_RSA_PKCS:
        case CKM_SHA256_RSA_PKCS_PSS:
        case CKM_ECDSA_SHA256: return EVP_sha256();
        case CKM_SHA384_RSA_PKCS:
        case CKM_ECDSA_SHA384: return EVP_sha384();
        case CKM_SHA512_RSA_PKCS:
        case CKM_ECDSA_SHA512: return EVP_sha512();
        default: return nullptr;
    }
}

Bytes sha256(const Bytes& in) {
    Bytes out(32);
    unsigned int n = 0;
    EVP_Digest(in.data(), in.size(), out.data(), &n, EVP_sha256(), nullptr);
    return out;
}

// PKCS#11 ECDSA signatures are r || s; OpenSSL wants DER.
Bytes ecdsaToDer(const Bytes& raw) {
    const std::size_t half = raw.size() / 2;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(raw.data(), static_cast<int>(half), nullptr),
                   BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr));
    unsigned char* der = nullptr;
    const int n = i2d_ECDSA_SIG(sig, &der);
    Bytes out(der, der + (n > 0 ? n : 0));
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    return out;
}

bool isPss(CK_MECHANISM_TYPE m) { return m == CKM_RSA_PKCS_PSS || m == CKM_SHA256_RSA_PKCS_PSS; }
bool isEc(CK_MECHANISM_TYPE m) { return m == CKM_ECDSA || m == CKM_ECDSA_SHA256 || m == CKM_ECDSA_SHA384 || m == CKM_ECDSA_SHA512; }

}  // namespace

const std::vector<MechanismCase>& signMechanisms() {
    static const std::vector<MechanismCase> cases = {
        {CKM_RSA_PKCS, CKK_RSA, false, true},          {CKM_SHA1_RSA_PKCS, CKK_RSA, true, false},
        {CKM_SHA256_RSA_PKCS, CKK_RSA, true, false},   {CKM_SHA384_RSA_PKCS, CKK_RSA, true, false},
        {CKM_SHA512_RSA_PKCS, CKK_RSA, true, false},   {CKM_RSA_PKCS_PSS, CKK_RSA, false, true},
        {CKM_SHA256_RSA_PKCS_PSS, CKK_RSA, true, false}, {CKM_ECDSA, CKK_EC, false, true},
        {CKM_ECDSA_SHA256, CKK_EC, true, false},
    };
    return cases;
}

CK_MECHANISM mechanismFor(const MechanismCase& m) {
    if (isPss(m.type)) return {m.type, &gPss, sizeof gPss};
    return {m.type, nullptr, 0};
}

Bytes signInput(const MechanismCase& m) {
    const std::string text = "PKCS#11 conformance: the quick brown fox jumps over the lazy dog";
    Bytes message(text.begin(), text.end());
    if (!m.hashInput) return message;
    Bytes digest = sha256(message);
    if (m.type != CKM_RSA_PKCS) return digest;
    // DigestInfo for SHA-256 (RFC 8017 §9.2 note 1).
    Bytes info = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                  0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    info.insert(info.end(), digest.begin(), digest.end());
    return info;
}

testing::AssertionResult verifySignature(const Bytes& spki, const MechanismCase& m, const Bytes& input,
                                         const Bytes& signature) {
    PKey key = loadKey(spki);
    if (!key) return testing::AssertionFailure() << "cannot parse the public key";
    const Bytes sig = isEc(m.type) ? ecdsaToDer(signature) : signature;
    int ok = 0;
    if (const EVP_MD* md = digestOf(m.type)) {
        MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
        EVP_PKEY_CTX* pctx = nullptr;
        EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key.get());
        if (m.type == CKM_SHA256_RSA_PKCS_PSS) {
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
        }
        ok = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), input.data(), input.size());
    } else if (m.type == CKM_RSA_PKCS) {
        PCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr), &EVP_PKEY_CTX_free);
        EVP_PKEY_verify_recover_init(ctx.get());
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING);
        Bytes out(EVP_PKEY_get_size(key.get()));
        std::size_t n = out.size();
        ok = EVP_PKEY_verify_recover(ctx.get(), out.data(), &n, sig.data(), sig.size()) == 1 &&
             Bytes(out.begin(), out.begin() + static_cast<long>(n)) == input;
    } else {
        PCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr), &EVP_PKEY_CTX_free);
        EVP_PKEY_verify_init(ctx.get());
        if (m.type == CKM_RSA_PKCS_PSS) {
            EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING);
            EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256());
            EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), 32);
            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256());
        }
        ok = EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), input.data(), input.size());
    }
    if (ok == 1) return testing::AssertionSuccess();
    return testing::AssertionFailure() << mechanismName(m.type) << " signature (" << signature.size()
                                       << " bytes) does not verify with the public key";
}

Bytes rsaPkcs1Encrypt(const Bytes& spki, const Bytes& plain) {
    PKey key = loadKey(spki);
    if (!key) return {};
    PCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr), &EVP_PKEY_CTX_free);
    EVP_PKEY_encrypt_init(ctx.get());
    EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING);
    std::size_t n = 0;
    EVP_PKEY_encrypt(ctx.get(), nullptr, &n, plain.data(), plain.size());
    Bytes out(n);
    if (EVP_PKEY_encrypt(ctx.get(), out.data(), &n, plain.data(), plain.size()) != 1) return {};
    out.resize(n);
    return out;
}

std::size_t keyBytes(const Bytes& spki) {
    PKey key = loadKey(spki);
    if (!key) return 0;
    return static_cast<std::size_t>((EVP_PKEY_get_bits(key.get()) + 7) / 8);
}

KeyPair KeyTest::keyPair(CK_SESSION_HANDLE s, CK_KEY_TYPE keyType, CK_ATTRIBUTE_TYPE usage) {
    KeyPair k;
    CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY;
    CK_OBJECT_CLASS pub = CKO_PUBLIC_KEY;
    CK_OBJECT_CLASS cert = CKO_CERTIFICATE;
    for (CK_OBJECT_HANDLE h : find(s, {attr(CKA_CLASS, priv), attr(CKA_KEY_TYPE, keyType), attr(usage, kTrue)})) {
        Bytes id = attribute(s, h, CKA_ID);
        // The public half: the certificate with the same CKA_ID, else the RSA public key object.
        for (CK_OBJECT_HANDLE c : find(s, {attr(CKA_CLASS, cert), attrBytes(CKA_ID, id.data(), id.size())})) {
            const Bytes der = attribute(s, c, CKA_VALUE);
            const unsigned char* p = der.data();
            X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
            if (!x) continue;
            unsigned char* out = nullptr;
            const int n = i2d_PUBKEY(X509_get0_pubkey(x), &out);
            if (n > 0) k.publicKeyDer.assign(out, out + n);
            OPENSSL_free(out);
            X509_free(x);
            break;
        }
        if (k.publicKeyDer.empty() && keyType == CKK_RSA) {
            for (CK_OBJECT_HANDLE pk : find(s, {attr(CKA_CLASS, pub), attrBytes(CKA_ID, id.data(), id.size())})) {
                const Bytes n = attribute(s, pk, CKA_MODULUS), e = attribute(s, pk, CKA_PUBLIC_EXPONENT);
                if (n.empty() || e.empty()) continue;
                RSA* rsa = RSA_new();
                RSA_set0_key(rsa, BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr),
                             BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr), nullptr);
                unsigned char* out = nullptr;
                const int len = i2d_RSA_PUBKEY(rsa, &out);
                if (len > 0) k.publicKeyDer.assign(out, out + len);
                OPENSSL_free(out);
                RSA_free(rsa);
                break;
            }
        }
        if (k.publicKeyDer.empty()) continue;
        k.privateKey = h;
        k.keyType = keyType;
        k.id = id;
        k.alwaysAuthenticate = boolAttribute(s, h, CKA_ALWAYS_AUTHENTICATE);
        if (!k.alwaysAuthenticate) return k;  // prefer keys without a per-operation PIN
    }
    if (k.privateKey == CK_INVALID_HANDLE) {
        ADD_FAILURE() << "token has no " << (keyType == CKK_RSA ? "RSA" : "EC") << " private key with usage 0x"
                      << std::hex << usage << " and a findable public key";
    }
    return k;
}

void KeyTest::contextLogin(CK_SESSION_HANDLE s, const KeyPair& k) {
    if (k.alwaysAuthenticate) {
        EXPECT_RV(CKR_OK, login(s, CKU_CONTEXT_SPECIFIC, profile().userPin));
    }
}

}  // namespace conf
