// SPDX-License-Identifier: Apache-2.0
// Test CA and card certificates (OpenSSL X509 API).
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "ias/apdu/crypto.hpp"
#include "ias/apdu/error.hpp"
#include "ias/sim/key_ops.hpp"
#include "ias/sim/personalise.hpp"

namespace ias::sim {

namespace {

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

[[noreturn]] void fail(const char* what) { throw apdu::Error(apdu::ErrorKind::Crypto, what); }

constexpr const char* kNotBefore = "20250101000000Z";
constexpr const char* kNotAfter = "20450101000000Z";

PKey readKey(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    EVP_PKEY* k = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (!k) fail("cannot read CA private key");
    return PKey(k, &EVP_PKEY_free);
}

Cert readCert(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    X509* c = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (!c) fail("cannot read CA certificate");
    return Cert(c, &X509_free);
}

void setName(X509_NAME* name, const std::string& cn) {
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("FR"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("ias-pkcs11 test"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
}

void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) fail("cannot build X.509 extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

void setValidity(X509* cert) {
    if (ASN1_TIME_set_string(X509_getm_notBefore(cert), kNotBefore) != 1 ||
        ASN1_TIME_set_string(X509_getm_notAfter(cert), kNotAfter) != 1) {
        fail("cannot set validity");
    }
}

void setSerial(X509* cert, ByteView serial) {
    BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
    if (!bn) fail("BN_bin2bn failed");
    BN_set_bit(bn, 0);  // never zero
    BN_clear_bit(bn, static_cast<int>(serial.size() * 8 - 1));  // positive, fixed length
    ASN1_INTEGER* s = BN_to_ASN1_INTEGER(bn, nullptr);
    BN_free(bn);
    if (!s) fail("BN_to_ASN1_INTEGER failed");
    X509_set_serialNumber(cert, s);
    ASN1_INTEGER_free(s);
}

std::string toPem(X509* cert) {
    Bio bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("PEM_write_bio_X509 failed");
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

void generateTestCa(const std::string& commonName, std::string& keyPem, std::string& certPem) {
    const SecureBytes der = keyops::generateRsa(2048);
    keyPem = keyops::privateKeyToPem(der);
    PKey key = readKey(keyPem);
    Cert cert(X509_new(), &X509_free);
    if (!cert) fail("X509_new failed");
    X509_set_version(cert.get(), 2);
    setSerial(cert.get(), apdu::crypto::sha256(Bytes(commonName.begin(), commonName.end())));
    setValidity(cert.get());
    setName(X509_get_subject_name(cert.get()), commonName);
    setName(X509_get_issuer_name(cert.get()), commonName);
    X509_set_pubkey(cert.get(), key.get());
    addExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    addExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) fail("CA self-signature failed");
    certPem = toPem(cert.get());
}

Bytes issueCertificate(const std::string& caKeyPem, const std::string& caCertPem, ByteView subjectPublicKeyDer,
                       const std::string& commonName, ByteView serial, bool nonRepudiation) {
    PKey caKey = readKey(caKeyPem);
    Cert ca = readCert(caCertPem);
    const unsigned char* p = subjectPublicKeyDer.data();
    EVP_PKEY* pub = d2i_PUBKEY(nullptr, &p, static_cast<long>(subjectPublicKeyDer.size()));
    if (!pub) fail("cannot decode subject public key");
    PKey subjectKey(pub, &EVP_PKEY_free);

    Cert cert(X509_new(), &X509_free);
    if (!cert) fail("X509_new failed");
    X509_set_version(cert.get(), 2);
    Bytes serialSeed(serial.begin(), serial.end());
    serialSeed.push_back(nonRepudiation ? 2 : 1);
    const Bytes digest = apdu::crypto::sha256(serialSeed);
    setSerial(cert.get(), ByteView(digest).first(16));
    setValidity(cert.get());
    setName(X509_get_subject_name(cert.get()), commonName);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
    X509_set_pubkey(cert.get(), subjectKey.get());
    addExtension(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert.get(), ca.get(), NID_key_usage,
                 nonRepudiation ? "critical,nonRepudiation" : "critical,digitalSignature,keyEncipherment");
    if (!nonRepudiation) addExtension(cert.get(), ca.get(), NID_ext_key_usage, "clientAuth,emailProtection");
    addExtension(cert.get(), ca.get(), NID_subject_key_identifier, "hash");
    addExtension(cert.get(), ca.get(), NID_authority_key_identifier, "keyid");
    if (X509_sign(cert.get(), caKey.get(), EVP_sha256()) <= 0) fail("certificate signature failed");
    unsigned char* buf = nullptr;
    const int n = i2d_X509(cert.get(), &buf);
    if (n <= 0) fail("i2d_X509 failed");
    Bytes out(buf, buf + n);
    OPENSSL_free(buf);
    return out;
}

}  // namespace ias::sim
