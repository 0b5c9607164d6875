// SPDX-License-Identifier: Apache-2.0
// The token side of ias-unblock, through PKCS#11 only: the module is dlopen'ed, tokens are
// found with C_GetSlotList/C_GetTokenInfo, the holder's name comes from a certificate object,
// and the reset is C_OpenSession(RW) + C_Login(CKU_SO, secret) + C_InitPIN(new PIN).
// `TokenAccess` is the interface the steps use (faked in the unit tests).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exit_codes.hpp"
#include "ias/apdu/bytes.hpp"
#include "ias/p11/pkcs11.hpp"

namespace ias::tools {

struct TokenState {
    CK_SLOT_ID slot = 0;
    std::string serial;       // CK_TOKEN_INFO.serialNumber, trimmed
    std::string label;        // trimmed
    std::string holderName;   // CN of a certificate's subject; empty if none
    CK_FLAGS flags = 0;       // CKF_USER_PIN_LOCKED / _FINAL_TRY / _COUNT_LOW …
};

struct ResetResult {
    ResetStage stage = ResetStage::InitPin;  // the call that failed, or InitPin when all passed
    CK_RV rv = CKR_OK;
    bool ok() const noexcept { return rv == CKR_OK; }
};

class TokenAccess {
public:
    virtual ~TokenAccess() = default;
    // Tokens present now (holder names filled in).
    virtual std::vector<TokenState> tokens() = 0;
    // One token re-read (after the reset); nullopt if gone.
    virtual std::optional<TokenState> token(CK_SLOT_ID slot) = 0;
    // The reset: opens an R/W session, logs the SO in with `secret`, sets `newPin`, logs out.
    virtual ResetResult resetUserPin(CK_SLOT_ID slot, apdu::ByteView secret, apdu::ByteView newPin) = 0;
};

// Where the module is when there is no --module: the build tree's module when ias-unblock runs
// from the build tree, else /usr/lib/<triplet>/pkcs11/ias-pkcs11.so.
std::string defaultModulePath();
// The same for an ias-unblock in `executableDir` (testable without moving the binary).
std::string defaultModulePath(const std::filesystem::path& executableDir);

class Pkcs11Module final : public TokenAccess {
public:
    // Throws std::runtime_error (dlopen/dlsym/C_Initialize failure; message without secrets).
    explicit Pkcs11Module(const std::string& path);
    ~Pkcs11Module() override;
    Pkcs11Module(const Pkcs11Module&) = delete;
    Pkcs11Module& operator=(const Pkcs11Module&) = delete;

    std::vector<TokenState> tokens() override;
    std::optional<TokenState> token(CK_SLOT_ID slot) override;
    ResetResult resetUserPin(CK_SLOT_ID slot, apdu::ByteView secret, apdu::ByteView newPin) override;

private:
    std::optional<TokenState> read(CK_SLOT_ID slot, bool withHolderName);
    std::string holderName(CK_SLOT_ID slot);

    void* handle_ = nullptr;
    CK_FUNCTION_LIST_PTR fn_ = nullptr;
};

// "CKR_PIN_INCORRECT" style name, or 0x… for codes without a name here.
std::string rvName(CK_RV rv);

}  // namespace ias::tools
