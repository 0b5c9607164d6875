// SPDX-License-Identifier: Apache-2.0
// The mechanisms the module offers, as a table: how each one is carried out on the card.
#pragma once

#include <optional>

#include <openssl/evp.h>

#include <span>
#include <vector>

#include "ias/apdu/bytes.hpp"
#include "ias/p11/pkcs11.hpp"

namespace ias::p11 {

using apdu::Bytes;
using apdu::ByteView;

enum class Hash { None, Sha1, Sha224, Sha256, Sha384, Sha512 };

enum class Scheme {
    RsaPkcs1Sign,   // card pads PKCS#1 v1.5 type 1 (INTERNAL AUTHENTICATE); host builds DigestInfo
    RsaPssSign,     // card computes RSASSA-PSS over a hash (PSO HASH + PSO CDS)
    EcdsaSign,      // card computes ECDSA over a hash (PSO HASH + PSO CDS), returns r || s
    RsaPkcs1Decrypt, // PSO DECIPHER, card removes PKCS#1 v1.5 type 2 padding
    Digest          // C_Digest* in the module (no card): SunPKCS11 offers RSASSA-PSS only when the
                    // token lists the PSS hash mechanism (CKM_SHA256 ...)
};

struct MechanismSpec {
    CK_MECHANISM_TYPE type;
    Scheme scheme;
    Hash hash;            // hashed by the module (None: the caller gives the hash/DigestInfo)
    CK_KEY_TYPE keyType;  // CKK_VENDOR_DEFINED for the digest mechanisms (no key)
    bool multiPart;       // C_SignUpdate / C_SignFinal allowed
};

// nullptr when the module does not know the mechanism.
const MechanismSpec* findMechanism(CK_MECHANISM_TYPE type);
std::span<const MechanismSpec> allMechanisms() noexcept;

const EVP_MD* evpDigest(Hash hash);  // nullptr for Hash::None
std::size_t digestSize(Hash hash);
// DER DigestInfo prefix (AlgorithmIdentifier + OCTET STRING header) for PKCS#1 v1.5.
Bytes digestInfoPrefix(Hash hash);
// The hash algorithm of a PKCS#11 hash mechanism (CKM_SHA256 -> Sha256), for PSS params.
Hash hashOfMechanism(CK_MECHANISM_TYPE type);
// A DER DigestInfo (as CKM_RSA_PKCS callers give it) split into its hash algorithm and
// value; nullopt for any other input.
struct ParsedDigestInfo {
    Hash hash = Hash::None;
    apdu::ByteView digest;
};
std::optional<ParsedDigestInfo> parseDigestInfo(apdu::ByteView input);
Hash hashOfMgf(CK_RSA_PKCS_MGF_TYPE mgf);

}  // namespace ias::p11
