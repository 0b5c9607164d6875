// SPDX-License-Identifier: Apache-2.0
// A PKCS#11 module loaded with dlopen (SoftHSMv2 by default), its function list, and RAII
// sessions. Knows nothing of what the keys are for (see hsm.hpp).
#pragma once

#include <p11-kit-1/p11-kit/pkcs11.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ias/apdu/bytes.hpp"

namespace ias::service::hsm {

// A PKCS#11 failure: the function name and the CK_RV, never data.
class HsmError : public std::runtime_error {
public:
    HsmError(const std::string& what, CK_RV rv);
    CK_RV rv() const noexcept { return rv_; }

private:
    CK_RV rv_;
};

void check(CK_RV rv, const char* function);

class Pkcs11Module {
public:
    // One loaded+initialised instance per path and process (C_Initialize is process-wide).
    static std::shared_ptr<Pkcs11Module> open(const std::string& path);
    ~Pkcs11Module();
    Pkcs11Module(const Pkcs11Module&) = delete;
    Pkcs11Module& operator=(const Pkcs11Module&) = delete;

    CK_FUNCTION_LIST* fn() const noexcept { return fn_; }
    // Slot whose initialised token has this label (re-reads the slot list).
    std::optional<CK_SLOT_ID> findToken(const std::string& label) const;
    // First slot with a token that is not initialised yet.
    std::optional<CK_SLOT_ID> findFreeSlot() const;
    // C_Finalize + C_Initialize, which is the only way SoftHSMv2 frees destroyed session
    // objects (its SessionObjectStore keeps every one until C_Finalize). Only when this
    // instance did the C_Initialize and nobody else holds it (no Session either): returns
    // false and does nothing otherwise.
    bool reinitialize(const std::shared_ptr<Pkcs11Module>& self);

private:
    Pkcs11Module(void* handle, CK_FUNCTION_LIST* fn, bool finalize);
    void* handle_;
    CK_FUNCTION_LIST* fn_;
    bool finalize_;
};

class Session {
public:
    Session(std::shared_ptr<Pkcs11Module> module, CK_SLOT_ID slot, bool readWrite);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    CK_SESSION_HANDLE handle() const noexcept { return h_; }
    CK_FUNCTION_LIST* fn() const noexcept { return module_->fn(); }
    // C_Login; CKR_USER_ALREADY_LOGGED_IN counts as success.
    void login(CK_USER_TYPE user, apdu::ByteView pin);
    // Handles of objects of this class with this label.
    std::vector<CK_OBJECT_HANDLE> find(CK_OBJECT_CLASS cls, const std::string& label);

private:
    std::shared_ptr<Pkcs11Module> module_;
    CK_SESSION_HANDLE h_ = CK_INVALID_HANDLE;
};

// A session object destroyed at scope exit (derived per-card keys).
class ScopedObject {
public:
    ScopedObject(const Session& s, CK_OBJECT_HANDLE h) : s_(s), h_(h) {}
    ~ScopedObject();
    ScopedObject(const ScopedObject&) = delete;
    ScopedObject& operator=(const ScopedObject&) = delete;
    CK_OBJECT_HANDLE get() const noexcept { return h_; }

private:
    const Session& s_;
    CK_OBJECT_HANDLE h_;
};

// Space-padded 32-byte token label.
std::string paddedLabel(const std::string& label);

}  // namespace ias::service::hsm
