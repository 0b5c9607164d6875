// SPDX-License-Identifier: Apache-2.0
// The service's keys in the HSM. The service never holds key bytes:
//   - "ias-unblock-master" (CKK_DES2, token, sensitive, non-extractable, CKA_DERIVE only):
//     the issuer master key; per-card keys are derived from it inside the HSM for one
//     request (session objects, destroyed right after) — protocol/admin_key.hpp.
//   - "ias-unblock-hmac" (CKK_GENERIC_SECRET 32 bytes, sensitive, non-extractable, CKA_SIGN):
//     HMAC-SHA256 of the stored secrets.
// Thread-safe: a pool of logged-in sessions, one borrowed per operation.
//
// SoftHSMv2 frees a destroyed session object only at C_Finalize (its SessionObjectStore keeps
// them all), so each cryptogram's 4 derived keys would stay in memory for the daemon's life.
// After `reinitAfterCryptograms` cryptograms the pool waits until every session is back,
// then closes them, re-initialises the module (C_Finalize + C_Initialize), logs in again and
// finds the keys again; new operations wait meanwhile (tens of ms). If that fails (HSM
// gone), operations fail with HsmError (the service answers 503) and the next one retries.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hsm/pkcs11_module.hpp"

namespace ias::service::hsm {

constexpr const char* kMasterKeyLabel = "ias-unblock-master";
constexpr const char* kHmacKeyLabel = "ias-unblock-hmac";

struct HsmConfig {
    std::string modulePath = "/usr/lib/softhsm/libsofthsm2.so";
    std::string tokenLabel = "ias-unblockd";
    apdu::SecureBytes userPin;
    std::size_t sessions = 4;
    // 0 = never (an HSM that frees destroyed objects).
    std::size_t reinitAfterCryptograms = 2000;
};

class Hsm {
public:
    explicit Hsm(const HsmConfig& config);
    ~Hsm();
    Hsm(const Hsm&) = delete;
    Hsm& operator=(const Hsm&) = delete;

    // E || M (24 bytes) for the card with this SN.ICC (8 bytes) and challenge (8 bytes):
    // byte-identical to protocol::externalAuthCryptogram(deriveAdminKeys(master, sn8), ...).
    apdu::Bytes cryptogram(apdu::ByteView sn8, apdu::ByteView challenge8);
    // HMAC-SHA256 with the HMAC key (32 bytes).
    apdu::Bytes hmacSha256(apdu::ByteView data);
    // How many times the module was re-initialised to free the derived keys.
    std::size_t reinitialisations() const;

private:
    class Lease;
    // Opens the session pool, logs in and finds the keys; mutex_ held (or constructing).
    void openLocked();
    // Re-initialises once the pool is drained, if enough cryptograms were computed.
    void maybeReinitialise();

    HsmConfig config_;
    std::shared_ptr<Pkcs11Module> module_;
    std::vector<std::unique_ptr<Session>> sessions_;
    std::vector<Session*> idle_;
    mutable std::mutex mutex_;
    std::condition_variable available_;  // a session is idle, or the pool was re-opened
    std::condition_variable drained_;    // every session is idle (a re-initialisation waits)
    bool reinitialising_ = false;
    std::size_t cryptogramsSinceInit_ = 0;
    std::size_t reinitialisations_ = 0;
    CK_OBJECT_HANDLE master_ = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE hmac_ = CK_INVALID_HANDLE;
};

// Token setup (`ias-unblockd hsm-init`): initialises the token if no token has this label
// (C_InitToken on a free slot, then the user PIN), then creates the keys that are missing:
// the master key imported from `masterKey` (16 bytes) when given, else generated in the HSM;
// the HMAC key is always generated. Returns a line per action, for the operator.
struct ProvisionOptions {
    HsmConfig hsm;
    apdu::SecureBytes soPin;
    std::optional<apdu::SecureBytes> masterKey;
};
std::vector<std::string> provisionToken(const ProvisionOptions& options);

}  // namespace ias::service::hsm
