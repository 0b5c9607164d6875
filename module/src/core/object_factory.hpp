// SPDX-License-Identifier: Apache-2.0
// Builds the PKCS#11 objects of a token from what the card holds: PKCS#15 directory
// entries and certificate DER. Public keys come from the certificates.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "../card/pkcs15.hpp"
#include "object.hpp"

namespace ias::p11 {

// A PIN protecting keys other than the user PIN, in the application it belongs to.
struct KeyPin {
    std::size_t application = 0;
    card::pkcs15::Pin pin;
};

struct CardContents {
    card::pkcs15::TokenInfo tokenInfo;
    std::vector<card::pkcs15::PrivateKey> privateKeys;
    // Parallel to privateKeys (missing entries: application 0, user PIN).
    struct KeyPlace {
        std::size_t application = 0;
        std::size_t pin = 0;  // 0: the user PIN; n: KeyPin n-1 of the token
    };
    std::vector<KeyPlace> keyPlaces;
    struct Cert {
        card::pkcs15::Certificate info;
        Bytes der;
    };
    std::vector<Cert> certificates;
};

using HandleAllocator = std::function<CK_OBJECT_HANDLE()>;

// Certificates, public keys (from certificates), private keys, and the PKCS#11 3.0
// public-certificates-token profile object. Certificates that do not parse are skipped
// (logged), never fatal.
std::vector<std::shared_ptr<Object>> buildObjects(const CardContents& contents, const HandleAllocator& nextHandle);

// MSE algorithm byte for `mechanism` with the given supportedOperations bit, from TokenInfo.
// The card algorithm byte of the TokenInfo entry for mechanism and operation: among the
// entries a key's PrKDF names (keyAlgorithms, its algReference) first, then any; else fallback.
std::uint8_t algorithmReference(const card::pkcs15::TokenInfo& info, CK_MECHANISM_TYPE mechanism, unsigned operation,
                                std::uint8_t fallback, const std::vector<unsigned>& keyAlgorithms = {});

}  // namespace ias::p11
