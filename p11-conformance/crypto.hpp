// SPDX-License-Identifier: Apache-2.0
// Key discovery on the token and the OpenSSL side of the mechanism tests: signatures are
// checked and ciphertexts made with the public key, never with the module under test.
#pragma once

#include "harness.hpp"

namespace conf {

// How a mechanism is driven in the tests: input, parameters, verification.
struct MechanismCase {
    CK_MECHANISM_TYPE type;
    CK_KEY_TYPE keyType;
    bool multiPart;      // hashing mechanisms: C_SignUpdate/C_SignFinal allowed
    bool hashInput;      // the input is a digest (raw mechanisms)
};
const std::vector<MechanismCase>& signMechanisms();

// The mechanism structure (with PSS parameters where needed); lives as long as the case.
CK_MECHANISM mechanismFor(const MechanismCase& m);
// The data to sign for the case: a message, or a SHA-256 digest / DigestInfo for raw ones.
Bytes signInput(const MechanismCase& m);
// Whether `signature` over `message` verifies with the public key (SubjectPublicKeyInfo DER).
testing::AssertionResult verifySignature(const Bytes& spki, const MechanismCase& m, const Bytes& input,
                                         const Bytes& signature);
Bytes rsaPkcs1Encrypt(const Bytes& spki, const Bytes& plain);
std::size_t keyBytes(const Bytes& spki);  // modulus / order size in bytes

// A fixture with the key pairs of the token (found after login).
class KeyTest : public P11Test {
protected:
    // The first private key of `keyType` with `usage` (CKA_SIGN, CKA_DECRYPT) = true whose
    // public half is found; skips the test when the token has none.
    KeyPair keyPair(CK_SESSION_HANDLE s, CK_KEY_TYPE keyType, CK_ATTRIBUTE_TYPE usage);
    // C_Login(CKU_CONTEXT_SPECIFIC) after an Init when the key requires it.
    void contextLogin(CK_SESSION_HANDLE s, const KeyPair& k);
};

}  // namespace conf
