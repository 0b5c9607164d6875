// SPDX-License-Identifier: Apache-2.0
#include "object_factory.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

#include "ias/apdu/crypto.hpp"
#include "ias/apdu/tlv.hpp"
#include "log.hpp"

namespace ias::p11 {

namespace pkcs15 = card::pkcs15;

namespace {

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

template <class F>
Bytes i2dBytes(F encode) {
    unsigned char* out = nullptr;
    const int n = encode(&out);
    if (n <= 0) return {};
    Bytes b(out, out + n);
    OPENSSL_free(out);
    return b;
}

Bytes bnParam(const EVP_PKEY* pkey, const char* name) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) return {};
    Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
    BN_bn2bin(bn, out.data());
    BN_free(bn);
    return out;
}

struct PublicKeyInfo {
    CK_KEY_TYPE type = CKK_RSA;
    Bytes modulus, exponent;  // RSA
    Bytes ecParams, ecPoint;  // EC: DER OID, DER OCTET STRING of the point
    Bytes spki;
    unsigned bits = 0;
};

std::optional<PublicKeyInfo> publicKeyOf(X509* cert) {
    EVP_PKEY* pkey = X509_get0_pubkey(cert);
    if (pkey == nullptr) return std::nullopt;
    PublicKeyInfo info;
    info.bits = static_cast<unsigned>(EVP_PKEY_get_bits(pkey));
    info.spki = i2dBytes([&](unsigned char** p) { return i2d_PUBKEY(pkey, p); });
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        info.type = CKK_RSA;
        info.modulus = bnParam(pkey, OSSL_PKEY_PARAM_RSA_N);
        info.exponent = bnParam(pkey, OSSL_PKEY_PARAM_RSA_E);
        return info;
    }
    if (EVP_PKEY_is_a(pkey, "EC")) {
        info.type = CKK_EC;
        char group[64] = {};
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, nullptr) != 1) {
            return std::nullopt;
        }
        const int nid = OBJ_txt2nid(group);
        ASN1_OBJECT* oid = OBJ_nid2obj(nid);
        if (oid == nullptr) return std::nullopt;
        info.ecParams = i2dBytes([&](unsigned char** p) { return i2d_ASN1_OBJECT(oid, p); });
        std::size_t len = 0;
        if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0, &len) != 1) return std::nullopt;
        Bytes point(len);
        if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point.data(), len, &len) != 1) {
            return std::nullopt;
        }
        info.ecPoint = apdu::encodeTlv(0x04, point);
        return info;
    }
    return std::nullopt;
}

void setKeyCommon(Object& o, CK_KEY_TYPE type, const Bytes& id, const std::string& label) {
    o.setUlong(CKA_KEY_TYPE, type);
    o.set(CKA_ID, id);
    o.setString(CKA_LABEL, label);
    o.setBool(CKA_LOCAL, false);
    o.setBool(CKA_DERIVE, false);
    o.set(CKA_START_DATE, {});
    o.set(CKA_END_DATE, {});
    o.setUlong(CKA_KEY_GEN_MECHANISM, CK_UNAVAILABLE_INFORMATION);
}

void setPublicParts(Object& o, const PublicKeyInfo& k) {
    if (k.type == CKK_RSA) {
        o.set(CKA_MODULUS, k.modulus);
        o.set(CKA_PUBLIC_EXPONENT, k.exponent);
    } else {
        o.set(CKA_EC_PARAMS, k.ecParams);
    }
    o.set(CKA_PUBLIC_KEY_INFO, k.spki);
}

}  // namespace

std::uint8_t algorithmReference(const pkcs15::TokenInfo& info, CK_MECHANISM_TYPE mechanism, unsigned operation,
                                std::uint8_t fallback, const std::vector<unsigned>& keyAlgorithms) {
    auto fits = [&](const pkcs15::AlgorithmInfo& a) { return a.mechanism == mechanism && (a.operations & operation) != 0; };
    for (const auto& a : info.algorithms) {
        if (fits(a) && std::find(keyAlgorithms.begin(), keyAlgorithms.end(), a.reference) != keyAlgorithms.end()) return a.algRef;
    }
    for (const auto& a : info.algorithms) {
        if (fits(a)) return a.algRef;
    }
    return fallback;
}

std::vector<std::shared_ptr<Object>> buildObjects(const CardContents& contents, const HandleAllocator& nextHandle) {
    std::vector<std::shared_ptr<Object>> objects;
    std::map<Bytes, PublicKeyInfo> publicKeys;  // by CKA_ID
    std::map<Bytes, Bytes> subjects;
    // A public key is named like its private key (p11tool and others look the pair up by
    // label and ID), or like its certificate when the card has no private key for it.
    std::map<Bytes, std::string> keyLabels;
    for (const auto& k : contents.privateKeys) keyLabels[k.id] = k.label;

    for (const auto& c : contents.certificates) {
        const unsigned char* p = c.der.data();
        X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(c.der.size())), &X509_free);
        if (!x509) {
            logf(LogLevel::Warn, "certificate '%s' does not parse, skipped", c.info.label.c_str());
            continue;
        }
        auto cert = std::make_shared<Object>(nextHandle(), CKO_CERTIFICATE, false);
        cert->setUlong(CKA_CERTIFICATE_TYPE, CKC_X_509);
        cert->setBool(CKA_TRUSTED, false);
        cert->setUlong(CKA_CERTIFICATE_CATEGORY, c.info.authority ? 2 : 1);
        const Bytes sha1 = apdu::crypto::sha1(c.der);
        cert->set(CKA_CHECK_VALUE, Bytes(sha1.begin(), sha1.begin() + 3));
        cert->set(CKA_ID, c.info.id);
        cert->setString(CKA_LABEL, c.info.label);
        const Bytes subject = i2dBytes([&](unsigned char** o) { return i2d_X509_NAME(X509_get_subject_name(x509.get()), o); });
        cert->set(CKA_SUBJECT, subject);
        cert->set(CKA_ISSUER, i2dBytes([&](unsigned char** o) { return i2d_X509_NAME(X509_get_issuer_name(x509.get()), o); }));
        cert->set(CKA_SERIAL_NUMBER,
                  i2dBytes([&](unsigned char** o) { return i2d_ASN1_INTEGER(X509_get_serialNumber(x509.get()), o); }));
        cert->set(CKA_VALUE, c.der);
        cert->set(CKA_URL, {});
        cert->set(CKA_HASH_OF_SUBJECT_PUBLIC_KEY, {});
        cert->set(CKA_HASH_OF_ISSUER_PUBLIC_KEY, {});
        cert->setUlong(CKA_JAVA_MIDP_SECURITY_DOMAIN, 0);
        cert->set(CKA_START_DATE, {});
        cert->set(CKA_END_DATE, {});
        objects.push_back(cert);
        subjects[c.info.id] = subject;

        const auto pub = publicKeyOf(x509.get());
        if (!pub || c.info.authority) continue;
        publicKeys[c.info.id] = *pub;
        auto key = std::make_shared<Object>(nextHandle(), CKO_PUBLIC_KEY, false);
        const auto named = keyLabels.find(c.info.id);
        setKeyCommon(*key, pub->type, c.info.id, named != keyLabels.end() ? named->second : c.info.label);
        setPublicParts(*key, *pub);
        if (pub->type == CKK_RSA) key->setUlong(CKA_MODULUS_BITS, pub->bits);
        else key->set(CKA_EC_POINT, pub->ecPoint);
        key->set(CKA_SUBJECT, subject);
        key->setBool(CKA_VERIFY, true);
        key->setBool(CKA_ENCRYPT, pub->type == CKK_RSA);
        key->setBool(CKA_VERIFY_RECOVER, false);
        key->setBool(CKA_WRAP, false);
        key->setBool(CKA_TRUSTED, false);
        objects.push_back(key);
    }

    for (std::size_t i = 0; i < contents.privateKeys.size(); ++i) {
        const auto& k = contents.privateKeys[i];
        const CardContents::KeyPlace place = i < contents.keyPlaces.size() ? contents.keyPlaces[i] : CardContents::KeyPlace{};
        auto key = std::make_shared<Object>(nextHandle(), CKO_PRIVATE_KEY, true);
        const CK_KEY_TYPE type = k.type == pkcs15::KeyType::Ec ? CKK_EC : CKK_RSA;
        setKeyCommon(*key, type, k.id, k.label);
        KeyBinding b;
        b.keyType = type;
        b.keyReference = static_cast<std::uint8_t>(k.keyReference | 0x80);
        b.canSign = (k.usage & (pkcs15::PrivateKey::kUsageSign | pkcs15::PrivateKey::kUsageNonRepudiation)) != 0;
        b.canDecrypt = type == CKK_RSA && (k.usage & (pkcs15::PrivateKey::kUsageDecrypt | pkcs15::PrivateKey::kUsageUnwrap)) != 0;
        // A key under its own PIN (not the one C_Login verifies) needs that PIN before each use.
        b.alwaysAuthenticate = k.userConsent || place.pin != 0;
        b.application = place.application;
        b.pin = place.pin;
        b.algorithms = k.algReferences;
        b.signAlgRef = algorithmReference(contents.tokenInfo, CKM_RSA_PKCS, pkcs15::AlgorithmInfo::kComputeSignature, 0x02, b.algorithms);
        b.decipherAlgRef = algorithmReference(contents.tokenInfo, CKM_RSA_PKCS, pkcs15::AlgorithmInfo::kDecipher, 0x1A, b.algorithms);
        b.bits = k.modulusBits;
        if (auto it = publicKeys.find(k.id); it != publicKeys.end()) {
            setPublicParts(*key, it->second);
            b.bits = it->second.bits;
        }
        if (auto it = subjects.find(k.id); it != subjects.end()) key->set(CKA_SUBJECT, it->second);
        key->setBool(CKA_SENSITIVE, true);
        key->setBool(CKA_ALWAYS_SENSITIVE, true);
        key->setBool(CKA_EXTRACTABLE, false);
        key->setBool(CKA_NEVER_EXTRACTABLE, true);
        key->setBool(CKA_SIGN, b.canSign);
        key->setBool(CKA_DECRYPT, b.canDecrypt);
        key->setBool(CKA_SIGN_RECOVER, false);
        key->setBool(CKA_UNWRAP, false);
        key->setBool(CKA_WRAP_WITH_TRUSTED, false);
        key->setBool(CKA_ALWAYS_AUTHENTICATE, b.alwaysAuthenticate);
        key->bindKey(b);
        objects.push_back(key);
    }

    auto profile = std::make_shared<Object>(nextHandle(), CKO_PROFILE, false);
    profile->setUlong(CKA_PROFILE_ID, CKP_PUBLIC_CERTIFICATES_TOKEN);
    objects.push_back(profile);
    return objects;
}

}  // namespace ias::p11
