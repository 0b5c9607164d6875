// SPDX-License-Identifier: Apache-2.0
// Storage of the support console (schema migration 8): staff accounts, staff sessions, what
// each person did to a case (support_events), case search, a case's activity as the database
// records it, and the renewal of a case's link. Runs on the connections of the service's Store
// (Store::withConnection). Decisions (expiry, lockout, roles) are in core/support_console.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace ias::service::store {

struct StaffAccount {
    std::int64_t id = 0;
    std::string name;
    std::string role;
    std::string passwordHash;
    std::string totpNonce;  // hex; the TOTP seed is derived from it in the HSM
    std::int64_t totpLastStep = 0;
    int failures = 0;
    Time lockedUntil = 0;
    bool disabled = false;
    Time createdAt = 0;
};

struct StaffSessionRow {
    StaffAccount staff;
    Time createdAt = 0;
    Time lastSeen = 0;
};

struct SupportEvent {
    std::int64_t caseId = 0;
    std::string staff;
    std::string action;  // "open", "resend", "close"
    std::string detail;  // the close reason
    Time at = 0;
};

// What the database records about a case beyond its row.
struct CaseActivity {
    int linkOpenings = 0;  // holder sessions opened with the link
    int tickets = 0;       // module tickets issued against the secret (right secret presented)
    std::vector<OutboxMail> mails;
    std::vector<RevocationRequest> revocations;
    std::vector<SupportEvent> events;
    // Delivery states kept by the mail and revocation queues, when the schema has them
    // (empty otherwise): see deliveryState in support_store.cpp.
    std::string mailDelivery;
    std::string revocationDelivery;
};

class SupportStore {
public:
    explicit SupportStore(Store& store) : store_(store) {}

    // --- accounts (ias-unblockd staff ...)
    bool addStaff(const StaffAccount& a, Time now);  // false: the name exists
    std::optional<StaffAccount> staffByName(const std::string& name);
    std::vector<StaffAccount> listStaff();
    bool setPassword(const std::string& name, const std::string& passwordHash);
    // New TOTP nonce: the used-step memory, failures and lock start afresh.
    bool setTotpNonce(const std::string& name, const std::string& nonceHex);
    // Disabled: the account's sessions are deleted in the same transaction.
    bool disable(const std::string& name);

    // --- sign-in
    // One failed sign-in: failures + 1; at `lockAfter` failures the account is locked until
    // `lockUntil`. Returns the failures after this one.
    int recordLoginFailure(std::int64_t staffId, int lockAfter, Time lockUntil);
    // A right password and code: accepted when `step` is later than the last used step (it
    // becomes the last; failures reset), in one statement (two instances cannot both accept
    // one code).
    bool acceptLogin(std::int64_t staffId, std::int64_t step);
    void createSession(const std::string& sessionHash, std::int64_t staffId, Time now);
    std::optional<StaffSessionRow> session(const std::string& sessionHash);
    void touchSession(const std::string& sessionHash, Time now);
    void deleteSession(const std::string& sessionHash);
    // Sessions created before `createdBefore` or idle since before `idleBefore`.
    void purgeSessions(Time createdBefore, Time idleBefore);

    // --- cases
    void recordEvent(const SupportEvent& e);
    // Cases of this serial or this e-mail (case-insensitive), newest first, at most `limit`.
    std::vector<std::int64_t> findCases(const std::string& serial, const std::string& email, int limit);
    CaseActivity activity(std::int64_t caseId);
    // An open case gets a new link (the old link and every holder session of it end) and a new
    // outbox row for the mail; false when the case is not open.
    bool renewLink(std::int64_t caseId, const std::string& linkHash, Time linkExpiresAt, const std::string& mailSubject,
                   const std::string& sealedLink, Time now);

private:
    Store& store_;
};

}  // namespace ias::service::store
