// SPDX-License-Identifier: Apache-2.0
// Private-key operations of the simulated card (OpenSSL 3 EVP), on PKCS#8 DER keys.
#pragma once

#include <cstddef>
#include <string>

#include "ias/apdu/bytes.hpp"
#include "ias/sim/card_state.hpp"

namespace ias::sim::keyops {

// Modulus size in bytes (RSA) or field size in bytes (EC).
std::size_t keySizeBytes(const KeyObject& key);
bool isEc(const KeyObject& key);  // the DER holds an EC key (else RSA)

// RSA: EMSA-PKCS1-v1_5 type-1 padding of `input` as given (no DigestInfo added), then the
// private operation. Throws apdu::Error(Crypto) when the input is too long.
Bytes rsaSignRaw(const KeyObject& key, ByteView input);
// RSASSA-PSS over a complete hash (SHA-1/224/256/384/512 by its length), MGF1 with the same
// hash, salt as long as the hash. Throws apdu::Error for another length.
Bytes rsaSignPss(const KeyObject& key, ByteView hash);
// RSA: private operation, PKCS#1 v1.5 type-2 padding removed. Throws on bad padding.
SecureBytes rsaDecrypt(const KeyObject& key, ByteView cryptogram);
// EC: ECDSA over `digest`, signature as raw r || s (each field-size bytes).
Bytes ecdsaSignRaw(const KeyObject& key, ByteView digest);

// Public parts for GET DATA of the public-key SDO: RSA modulus/exponent, EC point (04 X Y).
Bytes rsaModulus(const KeyObject& key);
Bytes rsaExponent(const KeyObject& key);
Bytes ecPublicPoint(const KeyObject& key);

// DER SubjectPublicKeyInfo of the key (for certificates).
Bytes publicKeyDer(const KeyObject& key);

// New keys (PKCS#8 DER).
SecureBytes generateRsa(unsigned bits);
SecureBytes generateEc(const std::string& curve);  // "P-256", "P-384"
// PEM (PKCS#8 or traditional) → PKCS#8 DER.
SecureBytes privateKeyFromPem(const std::string& pem);
std::string privateKeyToPem(ByteView pkcs8Der);

// DigestInfo prefix for SHA-1 (20-byte hash) / SHA-256 (32-byte hash) followed by the hash.
Bytes digestInfo(ByteView hash);

}  // namespace ias::sim::keyops
