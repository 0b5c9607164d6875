// SPDX-License-Identifier: Apache-2.0
#include "mechanisms.hpp"

#include <algorithm>
#include <iterator>

namespace ias::p11 {

namespace {

constexpr MechanismSpec kMechanisms[] = {
    {CKM_RSA_PKCS, Scheme::RsaPkcs1Sign, Hash::None, CKK_RSA, false},
    {CKM_SHA1_RSA_PKCS, Scheme::RsaPkcs1Sign, Hash::Sha1, CKK_RSA, true},
    {CKM_SHA224_RSA_PKCS, Scheme::RsaPkcs1Sign, Hash::Sha224, CKK_RSA, true},
    {CKM_SHA256_RSA_PKCS, Scheme::RsaPkcs1Sign, Hash::Sha256, CKK_RSA, true},
    {CKM_SHA384_RSA_PKCS, Scheme::RsaPkcs1Sign, Hash::Sha384, CKK_RSA, true},
    {CKM_SHA512_RSA_PKCS, Scheme::RsaPkcs1Sign, Hash::Sha512, CKK_RSA, true},
    {CKM_RSA_PKCS_PSS, Scheme::RsaPssSign, Hash::None, CKK_RSA, false},
    {CKM_SHA1_RSA_PKCS_PSS, Scheme::RsaPssSign, Hash::Sha1, CKK_RSA, true},
    {CKM_SHA224_RSA_PKCS_PSS, Scheme::RsaPssSign, Hash::Sha224, CKK_RSA, true},
    {CKM_SHA256_RSA_PKCS_PSS, Scheme::RsaPssSign, Hash::Sha256, CKK_RSA, true},
    {CKM_SHA384_RSA_PKCS_PSS, Scheme::RsaPssSign, Hash::Sha384, CKK_RSA, true},
    {CKM_SHA512_RSA_PKCS_PSS, Scheme::RsaPssSign, Hash::Sha512, CKK_RSA, true},
    {CKM_ECDSA, Scheme::EcdsaSign, Hash::None, CKK_EC, false},
    {CKM_ECDSA_SHA1, Scheme::EcdsaSign, Hash::Sha1, CKK_EC, true},
    {CKM_ECDSA_SHA224, Scheme::EcdsaSign, Hash::Sha224, CKK_EC, true},
    {CKM_ECDSA_SHA256, Scheme::EcdsaSign, Hash::Sha256, CKK_EC, true},
    {CKM_ECDSA_SHA384, Scheme::EcdsaSign, Hash::Sha384, CKK_EC, true},
    {CKM_ECDSA_SHA512, Scheme::EcdsaSign, Hash::Sha512, CKK_EC, true},
    {CKM_SHA_1, Scheme::Digest, Hash::Sha1, CKK_VENDOR_DEFINED, true},
    {CKM_SHA224, Scheme::Digest, Hash::Sha224, CKK_VENDOR_DEFINED, true},
    {CKM_SHA256, Scheme::Digest, Hash::Sha256, CKK_VENDOR_DEFINED, true},
    {CKM_SHA384, Scheme::Digest, Hash::Sha384, CKK_VENDOR_DEFINED, true},
    {CKM_SHA512, Scheme::Digest, Hash::Sha512, CKK_VENDOR_DEFINED, true},
};

}  // namespace

std::span<const MechanismSpec> allMechanisms() noexcept { return kMechanisms; }

const MechanismSpec* findMechanism(CK_MECHANISM_TYPE type) {
    const auto it = std::find_if(std::begin(kMechanisms), std::end(kMechanisms), [&](const MechanismSpec& m) { return m.type == type; });
    return it == std::end(kMechanisms) ? nullptr : &*it;
}

const EVP_MD* evpDigest(Hash hash) {
    switch (hash) {
        case Hash::Sha1: return EVP_sha1();
        case Hash::Sha224: return EVP_sha224();
        case Hash::Sha256: return EVP_sha256();
        case Hash::Sha384: return EVP_sha384();
        case Hash::Sha512: return EVP_sha512();
        case Hash::None: break;
    }
    return nullptr;
}

std::size_t digestSize(Hash hash) {
    const EVP_MD* md = evpDigest(hash);
    return md ? static_cast<std::size_t>(EVP_MD_get_size(md)) : 0;
}

Bytes digestInfoPrefix(Hash hash) {
    switch (hash) {
        case Hash::Sha1: return {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14};
        case Hash::Sha224:
            return {0x30, 0x2D, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1C};
        case Hash::Sha256:
            return {0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
        case Hash::Sha384:
            return {0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
        case Hash::Sha512:
            return {0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};
        case Hash::None: break;
    }
    return {};
}

std::optional<ParsedDigestInfo> parseDigestInfo(apdu::ByteView input) {
    for (Hash h : {Hash::Sha1, Hash::Sha224, Hash::Sha256, Hash::Sha384, Hash::Sha512}) {
        const Bytes prefix = digestInfoPrefix(h);
        if (input.size() == prefix.size() + digestSize(h) && std::equal(prefix.begin(), prefix.end(), input.begin())) {
            return ParsedDigestInfo{h, input.subspan(prefix.size())};
        }
    }
    return std::nullopt;
}

Hash hashOfMechanism(CK_MECHANISM_TYPE type) {
    switch (type) {
        case CKM_SHA_1: return Hash::Sha1;
        case CKM_SHA224: return Hash::Sha224;
        case CKM_SHA256: return Hash::Sha256;
        case CKM_SHA384: return Hash::Sha384;
        case CKM_SHA512: return Hash::Sha512;
        default: return Hash::None;
    }
}

Hash hashOfMgf(CK_RSA_PKCS_MGF_TYPE mgf) {
    switch (mgf) {
        case CKG_MGF1_SHA1: return Hash::Sha1;
        case CKG_MGF1_SHA224: return Hash::Sha224;
        case CKG_MGF1_SHA256: return Hash::Sha256;
        case CKG_MGF1_SHA384: return Hash::Sha384;
        case CKG_MGF1_SHA512: return Hash::Sha512;
        default: return Hash::None;
    }
}

}  // namespace ias::p11
