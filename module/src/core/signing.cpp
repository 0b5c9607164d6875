// SPDX-License-Identifier: Apache-2.0
#include "signing.hpp"

#include <cstring>

#include "../card/card_error.hpp"
#include "error.hpp"

namespace ias::p11 {

namespace {

constexpr std::size_t kPkcs1Overhead = 11;
constexpr std::size_t kMaxRawEcdsaInput = 64;

std::size_t keyBytes(const KeyBinding& k) { return (k.bits + 7) / 8; }

const KeyBinding& requirePrivateKey(const Object& key, CK_ATTRIBUTE_TYPE usage) {
    // v2.40 §5.1.6: a valid handle of an object that is not a key is CKR_KEY_HANDLE_INVALID.
    const CK_OBJECT_CLASS cls = key.objectClass();
    if (cls != CKO_PRIVATE_KEY && cls != CKO_PUBLIC_KEY && cls != CKO_SECRET_KEY) fail(CKR_KEY_HANDLE_INVALID, "not a key");
    if (cls != CKO_PRIVATE_KEY || !key.key()) fail(CKR_KEY_FUNCTION_NOT_PERMITTED, "not a private key of the card");
    const KeyBinding& k = *key.key();
    const bool allowed = usage == CKA_SIGN ? k.canSign : k.canDecrypt;
    if (!allowed) fail(CKR_KEY_FUNCTION_NOT_PERMITTED, "key usage does not allow this operation");
    return k;
}

// CKM_*_RSA_PKCS_PSS parameters: the card computes PSS with MGF1 of the same hash and a salt
// as long as the hash (the TLS 1.3 profile), so only those parameters are accepted.
Hash checkPssParameters(const CK_MECHANISM& m, const MechanismSpec& spec) {
    if (m.pParameter == nullptr || m.ulParameterLen != sizeof(CK_RSA_PKCS_PSS_PARAMS)) {
        fail(CKR_MECHANISM_PARAM_INVALID, "PSS needs CK_RSA_PKCS_PSS_PARAMS");
    }
    CK_RSA_PKCS_PSS_PARAMS p;
    std::memcpy(&p, m.pParameter, sizeof p);
    const Hash hash = hashOfMechanism(p.hashAlg);
    if (hash == Hash::None) fail(CKR_MECHANISM_PARAM_INVALID, "unsupported PSS hash");
    if (spec.hash != Hash::None && spec.hash != hash) fail(CKR_MECHANISM_PARAM_INVALID, "PSS hash differs from mechanism");
    if (hashOfMgf(p.mgf) != hash) fail(CKR_MECHANISM_PARAM_INVALID, "PSS MGF1 hash must equal the hash");
    if (p.sLen != digestSize(hash)) fail(CKR_MECHANISM_PARAM_INVALID, "PSS salt length must equal the hash length");
    return hash;
}

void requireLogin(const Token& token) {
    const LoginState state = token.loginState();
    if (state == LoginState::UnblockPending) fail(CKR_PIN_EXPIRED, "PIN change pending (unblock)");
    if (state != LoginState::User) fail(CKR_USER_NOT_LOGGED_IN, "user not logged in");
}

}  // namespace

SignOperation startSign(const Token& token, std::shared_ptr<Object> key, const CK_MECHANISM& mechanism) {
    const MechanismSpec* spec = findMechanism(mechanism.mechanism);
    if (spec == nullptr || spec->scheme == Scheme::RsaPkcs1Decrypt || spec->scheme == Scheme::Digest ||
        !token.supports(mechanism.mechanism)) {
        fail(CKR_MECHANISM_INVALID, "mechanism not supported for signing");
    }
    const KeyBinding& k = requirePrivateKey(*key, CKA_SIGN);
    if (k.keyType != spec->keyType) fail(CKR_KEY_TYPE_INCONSISTENT, "key type does not match the mechanism");
    if (spec->scheme != Scheme::RsaPssSign && mechanism.ulParameterLen != 0) {
        fail(CKR_MECHANISM_PARAM_INVALID, "mechanism takes no parameter");
    }
    requireLogin(token);
    SignOperation op;
    op.mechanism = spec;
    op.key = std::move(key);
    if (spec->scheme == Scheme::RsaPssSign) op.pssHash = checkPssParameters(mechanism, *spec);
    if (spec->hash != Hash::None) {
        op.digest.reset(EVP_MD_CTX_new());
        if (!op.digest || EVP_DigestInit_ex(op.digest.get(), evpDigest(spec->hash), nullptr) != 1) {
            fail(CKR_HOST_MEMORY, "digest init failed");
        }
    }
    return op;
}

std::size_t signatureLength(const SignOperation& op) {
    const std::size_t n = keyBytes(*op.key->key());
    return op.mechanism->scheme == Scheme::EcdsaSign ? 2 * n : n;
}

void addSignInput(SignOperation& op, apdu::ByteView data) {
    if (op.digest) {
        if (EVP_DigestUpdate(op.digest.get(), data.data(), data.size()) != 1) fail(CKR_FUNCTION_FAILED, "digest failed");
        return;
    }
    const std::size_t limit = op.mechanism->scheme == Scheme::RsaPkcs1Sign ? keyBytes(*op.key->key()) - kPkcs1Overhead
                              : op.mechanism->scheme == Scheme::RsaPssSign ? digestSize(op.pssHash)
                                                                            : kMaxRawEcdsaInput;
    if (op.rawInput.size() + data.size() > limit) fail(CKR_DATA_LEN_RANGE, "input too long for the mechanism");
    op.rawInput.insert(op.rawInput.end(), data.begin(), data.end());
}

Bytes completeSign(Token& token, SignOperation& op) {
    const KeyBinding& k = *op.key->key();
    if (k.alwaysAuthenticate && !op.contextLoginDone) fail(CKR_USER_NOT_LOGGED_IN, "key needs CKU_CONTEXT_SPECIFIC login");
    apdu::SecureBytes input;
    Hash hash = op.mechanism->hash;
    if (op.digest) {
        Bytes digest(static_cast<std::size_t>(EVP_MD_CTX_get_size(op.digest.get())));
        unsigned int n = 0;
        if (EVP_DigestFinal_ex(op.digest.get(), digest.data(), &n) != 1) fail(CKR_FUNCTION_FAILED, "digest failed");
        if (op.mechanism->scheme == Scheme::RsaPkcs1Sign) {
            const Bytes prefix = digestInfoPrefix(hash);
            input.assign(prefix.begin(), prefix.end());
        }
        input.insert(input.end(), digest.begin(), digest.begin() + n);
    } else {
        input = op.rawInput;
        if (op.mechanism->scheme == Scheme::RsaPssSign && input.size() != digestSize(op.pssHash)) {
            fail(CKR_DATA_LEN_RANGE, "PSS input must be a hash of the parameter's length");
        }
        if (op.mechanism->scheme == Scheme::RsaPkcs1Sign && input.empty()) fail(CKR_DATA_LEN_RANGE, "empty input");
        if (op.mechanism->scheme == Scheme::EcdsaSign && input.empty()) fail(CKR_DATA_LEN_RANGE, "empty input");
    }
    return token.sign(*op.key, *op.mechanism, input, op.pssHash);
}

DigestOperation startDigest(const CK_MECHANISM& mechanism) {
    const MechanismSpec* spec = findMechanism(mechanism.mechanism);
    if (spec == nullptr || spec->scheme != Scheme::Digest) fail(CKR_MECHANISM_INVALID, "not a digest mechanism");
    if (mechanism.pParameter != nullptr || mechanism.ulParameterLen != 0) {
        fail(CKR_MECHANISM_PARAM_INVALID, "mechanism takes no parameter");
    }
    DigestOperation op;
    op.context.reset(EVP_MD_CTX_new());
    if (!op.context || EVP_DigestInit_ex(op.context.get(), evpDigest(spec->hash), nullptr) != 1) {
        fail(CKR_HOST_MEMORY, "digest init failed");
    }
    op.size = digestSize(spec->hash);
    return op;
}

void addDigestInput(DigestOperation& op, apdu::ByteView data) {
    if (EVP_DigestUpdate(op.context.get(), data.data(), data.size()) != 1) fail(CKR_FUNCTION_FAILED, "digest failed");
}

Bytes finishDigest(DigestOperation& op) {
    Bytes out(op.size);
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(op.context.get(), out.data(), &n) != 1 || n != op.size) fail(CKR_FUNCTION_FAILED, "digest failed");
    return out;
}

DecryptOperation startDecrypt(const Token& token, std::shared_ptr<Object> key, const CK_MECHANISM& mechanism) {
    if (mechanism.mechanism != CKM_RSA_PKCS) fail(CKR_MECHANISM_INVALID, "only CKM_RSA_PKCS decryption");
    if (mechanism.ulParameterLen != 0) fail(CKR_MECHANISM_PARAM_INVALID, "mechanism takes no parameter");
    const KeyBinding& k = requirePrivateKey(*key, CKA_DECRYPT);
    if (k.keyType != CKK_RSA) fail(CKR_KEY_TYPE_INCONSISTENT, "not an RSA key");
    requireLogin(token);
    DecryptOperation op;
    op.key = std::move(key);
    return op;
}

std::size_t decryptOutputBound(const DecryptOperation& op) { return keyBytes(*op.key->key()) - kPkcs1Overhead; }

apdu::SecureBytes runDecrypt(Token& token, DecryptOperation& op, apdu::ByteView cryptogram) {
    const KeyBinding& k = *op.key->key();
    if (cryptogram.size() != keyBytes(k)) fail(CKR_ENCRYPTED_DATA_LEN_RANGE, "ciphertext length differs from the modulus");
    if (k.alwaysAuthenticate && !op.contextLoginDone) fail(CKR_USER_NOT_LOGGED_IN, "key needs CKU_CONTEXT_SPECIFIC login");
    try {
        return token.decrypt(*op.key, cryptogram);
    } catch (const card::CardError& e) {
        if (e.kind() == card::CardErrorKind::WrongData) fail(CKR_ENCRYPTED_DATA_INVALID, "card refused the ciphertext");
        throw;
    }
}

}  // namespace ias::p11
