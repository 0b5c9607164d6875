// SPDX-License-Identifier: Apache-2.0
#include "ias/sim/key_ops.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

#include "ias/apdu/error.hpp"

namespace ias::sim::keyops {

namespace {

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using PKeyCtx = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

[[noreturn]] void fail(const char* what) { throw apdu::Error(apdu::ErrorKind::Crypto, what); }

PKey load(ByteView der) {
    const unsigned char* p = der.data();
    EVP_PKEY* k = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
    if (!k) fail("cannot decode private key");
    return PKey(k, &EVP_PKEY_free);
}

PKeyCtx contextFor(EVP_PKEY* key) {
    PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr), &EVP_PKEY_CTX_free);
    if (!ctx) fail("EVP_PKEY_CTX_new failed");
    return ctx;
}

SecureBytes toPkcs8(EVP_PKEY* key) {
    unsigned char* buf = nullptr;
    PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(key);
    if (!p8) fail("EVP_PKEY2PKCS8 failed");
    const int n = i2d_PKCS8_PRIV_KEY_INFO(p8, &buf);
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (n <= 0) fail("i2d_PKCS8_PRIV_KEY_INFO failed");
    SecureBytes out(buf, buf + n);
    OPENSSL_clear_free(buf, static_cast<std::size_t>(n));
    return out;
}

Bytes bnParam(EVP_PKEY* key, const char* name) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) fail("EVP_PKEY_get_bn_param failed");
    Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
    BN_bn2bin(bn, out.data());
    BN_free(bn);
    return out;
}

}  // namespace

bool isEc(const KeyObject& key) { return EVP_PKEY_is_a(load(key.privateDer).get(), "EC") == 1; }

std::size_t keySizeBytes(const KeyObject& key) {
    PKey k = load(key.privateDer);
    return static_cast<std::size_t>((EVP_PKEY_get_bits(k.get()) + 7) / 8);
}

Bytes rsaSignRaw(const KeyObject& key, ByteView input) {
    PKey k = load(key.privateDer);
    PKeyCtx ctx = contextFor(k.get());
    if (EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
        fail("RSA sign init failed");
    }
    std::size_t n = 0;
    if (EVP_PKEY_sign(ctx.get(), nullptr, &n, input.data(), input.size()) != 1) fail("RSA sign size failed");
    Bytes out(n);
    if (EVP_PKEY_sign(ctx.get(), out.data(), &n, input.data(), input.size()) != 1) fail("RSA sign failed");
    out.resize(n);
    return out;
}

Bytes rsaSignPss(const KeyObject& key, ByteView hash) {
    const EVP_MD* md = nullptr;
    switch (hash.size()) {
        case 20: md = EVP_sha1(); break;
        case 28: md = EVP_sha224(); break;
        case 32: md = EVP_sha256(); break;
        case 48: md = EVP_sha384(); break;
        case 64: md = EVP_sha512(); break;
        default: fail("PSS: unknown hash length");
    }
    PKey k = load(key.privateDer);
    PKeyCtx ctx = contextFor(k.get());
    if (EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) != 1) {
        fail("RSA PSS sign init failed");
    }
    std::size_t n = 0;
    if (EVP_PKEY_sign(ctx.get(), nullptr, &n, hash.data(), hash.size()) != 1) fail("RSA PSS sign size failed");
    Bytes out(n);
    if (EVP_PKEY_sign(ctx.get(), out.data(), &n, hash.data(), hash.size()) != 1) fail("RSA PSS sign failed");
    out.resize(n);
    return out;
}

SecureBytes rsaDecrypt(const KeyObject& key, ByteView cryptogram) {
    PKey k = load(key.privateDer);
    PKeyCtx ctx = contextFor(k.get());
    if (EVP_PKEY_decrypt_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
        fail("RSA decrypt init failed");
    }
    std::size_t n = 0;
    if (EVP_PKEY_decrypt(ctx.get(), nullptr, &n, cryptogram.data(), cryptogram.size()) != 1) fail("RSA decrypt size");
    SecureBytes out(n);
    if (EVP_PKEY_decrypt(ctx.get(), out.data(), &n, cryptogram.data(), cryptogram.size()) != 1) {
        fail("RSA decrypt failed");
    }
    out.resize(n);
    return out;
}

Bytes ecdsaSignRaw(const KeyObject& key, ByteView digest) {
    PKey k = load(key.privateDer);
    PKeyCtx ctx = contextFor(k.get());
    if (EVP_PKEY_sign_init(ctx.get()) != 1) fail("ECDSA sign init failed");
    std::size_t n = 0;
    if (EVP_PKEY_sign(ctx.get(), nullptr, &n, digest.data(), digest.size()) != 1) fail("ECDSA size failed");
    Bytes der(n);
    if (EVP_PKEY_sign(ctx.get(), der.data(), &n, digest.data(), digest.size()) != 1) fail("ECDSA sign failed");
    const unsigned char* p = der.data();
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(n));
    if (!sig) fail("ECDSA signature decode failed");
    const std::size_t field = static_cast<std::size_t>((EVP_PKEY_get_bits(k.get()) + 7) / 8);
    Bytes out(2 * field);
    const bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), out.data(), static_cast<int>(field)) > 0 &&
                    BN_bn2binpad(ECDSA_SIG_get0_s(sig), out.data() + field, static_cast<int>(field)) > 0;
    ECDSA_SIG_free(sig);
    if (!ok) fail("ECDSA signature encode failed");
    return out;
}

Bytes rsaModulus(const KeyObject& key) { return bnParam(load(key.privateDer).get(), OSSL_PKEY_PARAM_RSA_N); }
Bytes rsaExponent(const KeyObject& key) { return bnParam(load(key.privateDer).get(), OSSL_PKEY_PARAM_RSA_E); }

Bytes ecPublicPoint(const KeyObject& key) {
    PKey k = load(key.privateDer);
    std::size_t n = 0;
    if (EVP_PKEY_get_octet_string_param(k.get(), OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0, &n) != 1) fail("EC point size");
    Bytes out(n);
    if (EVP_PKEY_get_octet_string_param(k.get(), OSSL_PKEY_PARAM_PUB_KEY, out.data(), n, &n) != 1) fail("EC point");
    out.resize(n);
    return out;
}

Bytes publicKeyDer(const KeyObject& key) {
    PKey k = load(key.privateDer);
    unsigned char* buf = nullptr;
    const int n = i2d_PUBKEY(k.get(), &buf);
    if (n <= 0) fail("i2d_PUBKEY failed");
    Bytes out(buf, buf + n);
    OPENSSL_free(buf);
    return out;
}

SecureBytes generateRsa(unsigned bits) {
    EVP_PKEY* k = EVP_RSA_gen(bits);
    if (!k) fail("RSA key generation failed");
    PKey key(k, &EVP_PKEY_free);
    return toPkcs8(key.get());
}

SecureBytes generateEc(const std::string& curve) {
    EVP_PKEY* k = EVP_EC_gen(curve.c_str());
    if (!k) fail("EC key generation failed");
    PKey key(k, &EVP_PKEY_free);
    return toPkcs8(key.get());
}

SecureBytes privateKeyFromPem(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    if (!bio) fail("BIO_new_mem_buf failed");
    EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (!k) fail("cannot read PEM private key");
    PKey key(k, &EVP_PKEY_free);
    return toPkcs8(key.get());
}

std::string privateKeyToPem(ByteView pkcs8Der) {
    PKey k = load(pkcs8Der);
    Bio bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), k.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        fail("PEM_write_bio_PrivateKey failed");
    }
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

Bytes digestInfo(ByteView hash) {
    static const std::uint8_t kSha1Prefix[] = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E,
                                               0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14};
    static const std::uint8_t kSha256Prefix[] = {0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    Bytes out;
    if (hash.size() == 20) {
        out.assign(std::begin(kSha1Prefix), std::end(kSha1Prefix));
    } else if (hash.size() == 32) {
        out.assign(std::begin(kSha256Prefix), std::end(kSha256Prefix));
    } else {
        fail("DigestInfo: unsupported hash size");
    }
    apdu::append(out, hash);
    return out;
}

}  // namespace ias::sim::keyops
