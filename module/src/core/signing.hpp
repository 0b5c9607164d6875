// SPDX-License-Identifier: Apache-2.0
// Signature, decryption and digest operations as PKCS#11 sees them: mechanism/key checks at Init,
// hashing in the module for the SHA*-mechanisms, the card input for each scheme.
#pragma once

#include "session.hpp"

namespace ias::p11 {

// Checks key and mechanism and prepares the operation (no card I/O). Throws Error with
// CKR_KEY_HANDLE_INVALID / CKR_KEY_TYPE_INCONSISTENT / CKR_KEY_FUNCTION_NOT_PERMITTED /
// CKR_MECHANISM_INVALID / CKR_MECHANISM_PARAM_INVALID / CKR_USER_NOT_LOGGED_IN.
SignOperation startSign(const Token& token, std::shared_ptr<Object> key, const CK_MECHANISM& mechanism);
std::size_t signatureLength(const SignOperation& op);
// Multi-part input (hashed mechanisms hash it; raw ones buffer it within the input limit).
void addSignInput(SignOperation& op, apdu::ByteView data);
// Runs the card operation on all input given so far (plus `last`).
Bytes completeSign(Token& token, SignOperation& op);

// C_Digest*: CKM_SHA_1 .. CKM_SHA512 in the module (CKR_MECHANISM_INVALID for others,
// CKR_MECHANISM_PARAM_INVALID with a parameter).
DigestOperation startDigest(const CK_MECHANISM& mechanism);
void addDigestInput(DigestOperation& op, apdu::ByteView data);
Bytes finishDigest(DigestOperation& op);

DecryptOperation startDecrypt(const Token& token, std::shared_ptr<Object> key, const CK_MECHANISM& mechanism);
std::size_t decryptOutputBound(const DecryptOperation& op);
apdu::SecureBytes runDecrypt(Token& token, DecryptOperation& op, apdu::ByteView cryptogram);

}  // namespace ias::p11
