// SPDX-License-Identifier: Apache-2.0
// The decisions of the support console, independent of HTTP: staff sign-in (password + TOTP,
// rate limits per address and per account, lockout), sessions (idle and absolute expiry),
// roles (`auditor` reads only), and the support actions on cases, each audited with the
// person's name and recorded in the case's history (support_events).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/rate_limit.hpp"
#include "core/staff.hpp"
#include "core/unblock_service.hpp"
#include "store/support_store.hpp"

namespace ias::service {

struct StaffIdentity {
    std::int64_t id = 0;
    std::string name;
    staff::Role role = staff::Role::Auditor;
    std::string sessionHash;
};

// Staff account management (ias-unblockd staff ...).
struct NewStaff {
    std::string provisioningUri;  // printed once; holds the TOTP seed
};

class SupportConsole {
public:
    explicit SupportConsole(UnblockService& service);

    // A new session (the cookie value) for a right name, password and unused TOTP code.
    // Refusals: RateLimitedError, or ApiException(Unauthorized) for anything else (unknown
    // name, wrong password or code, replayed code, locked or disabled account: one answer).
    apdu::SecureBytes signIn(const std::string& name, std::string_view password, std::string_view code,
                             const RequestContext& ctx);
    // The person of a live session; nullopt when unknown, expired (idle or absolute) or the
    // account is disabled. `activity`: a page the person asked for (resets the idle time);
    // the live refresh of a case page is not activity.
    std::optional<StaffIdentity> session(std::string_view token, bool activity);
    void signOut(const StaffIdentity& who, const RequestContext& ctx);

    // Whether `who` may change cases; a refusal is audited ("staff_forbidden").
    bool mayChange(const StaffIdentity& who, const std::string& action, const RequestContext& ctx);
    CreatedCase openCase(const StaffIdentity& who, const std::string& serial, const std::string& email,
                         const std::string& language, const std::vector<QuestionAnswer>& qa, const RequestContext& ctx);
    // nullopt: the case is not open; else whether the new mail was handed over.
    std::optional<bool> resendLink(const StaffIdentity& who, std::int64_t caseId, const RequestContext& ctx);
    bool closeCase(const StaffIdentity& who, std::int64_t caseId, const std::string& reason, const RequestContext& ctx);
    // A read, audited (who looked at which case, or searched for what kind of key).
    void recordView(const StaffIdentity& who, const std::string& event, std::optional<std::int64_t> caseId,
                    const RequestContext& ctx);

    std::vector<store::CaseRecord> findCases(const std::string& query);
    store::CaseActivity activity(std::int64_t caseId) { return store_.activity(caseId); }

    // --- accounts (CLI)
    NewStaff addStaff(const std::string& name, staff::Role role, std::string_view password);
    void setPassword(const std::string& name, std::string_view password);
    NewStaff resetTotp(const std::string& name);
    void disable(const std::string& name);
    std::vector<store::StaffAccount> listStaff() { return store_.listStaff(); }

    UnblockService& service() noexcept { return service_; }

private:
    [[noreturn]] void refuseSignIn(const StaffIdentity& who, const std::string& why, const RequestContext& ctx);
    void record(const StaffIdentity& who, const std::string& event, const std::string& result,
                std::optional<std::int64_t> caseId, const RequestContext& ctx);
    std::string provisioning(const std::string& name, const std::string& nonceHex);
    staff::ScryptCost cost() const;

    UnblockService& service_;
    store::SupportStore store_;
    RateLimiter limits_;  // sign-in attempts: client address, then account name
    // A hash at the configured cost for names that have no account, so that an unknown name
    // costs the same scrypt run as a known one (made at the first such sign-in).
    std::once_flag dummyOnce_;
    std::string dummyHash_;
};

}  // namespace ias::service
