// SPDX-License-Identifier: Apache-2.0
// A PKCS#11 session and its active operations (find, sign, decrypt, digest).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <vector>

#include "mechanisms.hpp"
#include "mutex.hpp"
#include "object.hpp"
#include "token.hpp"

namespace ias::p11 {

struct FindOperation {
    std::vector<CK_OBJECT_HANDLE> results;
    std::size_t next = 0;
};

struct SignOperation {
    const MechanismSpec* mechanism = nullptr;
    std::shared_ptr<Object> key;
    Hash pssHash = Hash::None;              // CKM_RSA_PKCS_PSS: hash named by the parameters
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> digest{nullptr, &EVP_MD_CTX_free};
    apdu::SecureBytes rawInput;             // input of the unhashed mechanisms
    bool updated = false;                   // C_SignUpdate used: C_Sign no longer allowed
    bool singlePart = false;                // C_Sign used (length query, short buffer): no C_SignUpdate/Final
    bool contextLoginDone = false;          // CKU_CONTEXT_SPECIFIC done for this operation
};

struct DigestOperation {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context{nullptr, &EVP_MD_CTX_free};
    std::size_t size = 0;
    bool updated = false;     // C_DigestUpdate used: C_Digest no longer allowed
    bool singlePart = false;  // C_Digest used (length query, short buffer): no C_DigestUpdate/Final
};

struct DecryptOperation {
    std::shared_ptr<Object> key;
    bool contextLoginDone = false;
    std::optional<apdu::SecureBytes> pending;  // result kept for the second call of the length convention
};

class Session {
public:
    Session(CK_SESSION_HANDLE handle, CK_SLOT_ID slot, CK_FLAGS flags, std::shared_ptr<Token> token,
            std::unique_ptr<Mutex> mutex)
        : handle_(handle), slot_(slot), flags_(flags), token_(std::move(token)), mutex_(std::move(mutex)) {}

    CK_SESSION_HANDLE handle() const { return handle_; }
    CK_SLOT_ID slot() const { return slot_; }
    CK_FLAGS flags() const { return flags_; }
    bool readWrite() const { return (flags_ & CKF_RW_SESSION) != 0; }
    const std::shared_ptr<Token>& token() const { return token_; }
    // Serialises calls on this session (an application may share it between threads).
    Mutex& mutex() { return *mutex_; }

    // Guarded by mutex().
    std::optional<FindOperation> find;
    std::optional<SignOperation> sign;
    std::optional<DecryptOperation> decrypt;
    std::optional<DigestOperation> digest;

private:
    CK_SESSION_HANDLE handle_;
    CK_SLOT_ID slot_;
    CK_FLAGS flags_;
    std::shared_ptr<Token> token_;
    std::unique_ptr<Mutex> mutex_;
};

}  // namespace ias::p11
