// SPDX-License-Identifier: Apache-2.0
// Storage of ias-unblockd: cases, secret state, tickets, revocation requests, outbox, holder
// sessions. One interface, two backends (SQLite, PostgreSQL) sharing one SQL implementation.
// Every state change is one transaction; counters (tries, cryptograms, answer submissions)
// are read and updated under a lock on the case row, so concurrent requests count exactly.
// Nothing secret is stored in clear: secrets and answers as keyed hashes (HMAC with a key in
// the HSM), tickets, links and holder sessions as SHA-256 of high-entropy random tokens. The
// outbox records that a mail was handed over for delivery, never its body (it has the link).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace ias::service::store {

class SqlConnection;

using Time = std::int64_t;  // Unix seconds, from the service's (injectable) clock

enum class CaseState { Open, SecretIssued, Blocked, Closed, Consumed };
const char* toString(CaseState s) noexcept;
CaseState caseStateFromString(const std::string& s);

struct Question {
    std::string text;
    std::string answerHash;  // core/tokens.hpp: "hmac-pbkdf2-sha256$<iter>$<salt hex>$<mac hex>"
};

// An answer hash as stored, for the upgrade of the old unkeyed form (core/tokens.hpp).
struct StoredAnswerHash {
    std::int64_t caseId = 0;
    int position = 0;
    std::string answerHash;
};

struct CaseRecord {
    std::int64_t id = 0;
    std::string serial;
    std::string email;
    std::string language;
    CaseState state = CaseState::Open;
    Time createdAt = 0;
    Time linkExpiresAt = 0;
    int answerFailures = 0;
    std::vector<Question> questions;
    std::string secretSalt;  // hex, empty until issued
    std::string secretMac;   // hex HMAC, empty until issued
    Time secretIssuedAt = 0;
    Time secretExpiresAt = 0;
    int secretTriesLeft = 0;
    int cryptogramsUsed = 0;
    std::string closedReason;
};

struct NewCase {
    std::string serial;
    std::string email;
    std::string language;
    std::vector<Question> questions;
    std::string linkHash;  // hex SHA-256 of the link token
    Time linkExpiresAt = 0;
    // The outbox row of the e-mail (recipient = email), in the same transaction; its body
    // (with the link) is never stored: the caller hands it over, then calls markMailSent.
    std::string mailSubject;
};

struct RevocationRequest {
    std::int64_t id = 0;
    std::int64_t caseId = 0;
    std::string serial;
    std::string reason;
    Time createdAt = 0;
};

struct OutboxMail {
    std::int64_t id = 0;
    std::int64_t caseId = 0;  // 0 for rows from before schema migration 5
    std::string recipient;
    std::string subject;
    Time createdAt = 0;
    Time sentAt = 0;  // when it was handed over for delivery; 0 = not handed over
};

// Result of one answer submission.
enum class AnswerResult { Accepted, Wrong, Blocked, Expired, NotOpen };
struct AnswerOutcome {
    AnswerResult result = AnswerResult::NotOpen;
    int triesLeft = 0;
};
struct SecretIssue {
    std::string saltHex;
    std::string macHex;
    Time expiresAt = 0;
    int tries = 3;
};

enum class VerifyResult { Ticket, Wrong, UsedUp, Expired, Blocked, NoCase };
struct VerifyOutcome {
    VerifyResult result = VerifyResult::NoCase;
    int triesLeft = 0;
};

enum class TicketResult { Ok, BadTicket, Limit };
struct TicketOutcome {
    TicketResult result = TicketResult::BadTicket;
    std::string serial;
    std::int64_t caseId = 0;
};

// A rate limit shared by every instance: a token bucket of `burst` tokens refilled at
// `perMinute` tokens a minute (both > 0, at most 1e9), one row per (kind, subject) in
// rate_buckets. A full bucket is the same as no row, so full buckets are purged.
struct RateRule {
    double perMinute = 0;
    double burst = 0;
};
struct RateRequest {
    std::string kind;     // "client", "serial"
    std::string subject;  // the address, the serial
    RateRule rule;
};
struct RateTake {
    bool allowed = false;
    // Before this time the bucket cannot hold a whole token, whatever any instance does
    // (tokens only go down, and come back at the rule's rate): a request can be refused
    // without asking the database again. 0 when unknown (refused).
    Time emptyUntil = 0;
};

struct HolderSession {
    std::int64_t caseId = 0;
    std::string csrfHash;
    Time expiresAt = 0;
};

class Store {
public:
    virtual ~Store() = default;

    // --- admin / support
    // Refuses (nullopt) when the serial already has a case that is open or has a live secret
    // (a unique index: also across concurrent transactions and instances).
    virtual std::optional<std::int64_t> createCase(const NewCase& c, Time now) = 0;
    // The case's mail was handed over for delivery at `now`.
    virtual void markMailSent(std::int64_t caseId, Time now) = 0;
    virtual std::optional<CaseRecord> caseById(std::int64_t id) = 0;
    virtual std::vector<CaseRecord> listCases() = 0;
    // Open/secret-issued -> closed. False when unknown or already final.
    virtual bool closeCase(std::int64_t id, const std::string& reason, Time now) = 0;
    virtual std::vector<RevocationRequest> listRevocationRequests() = 0;
    virtual std::vector<OutboxMail> listOutbox() = 0;
    // Answer hashes whose text starts with `prefix` (the upgrade of an old form).
    virtual std::vector<StoredAnswerHash> answerHashesWithPrefix(const std::string& prefix) = 0;
    // Replaces one answer hash if it still is `oldHash` (false otherwise: another instance did).
    virtual bool replaceAnswerHash(const StoredAnswerHash& old, const std::string& newHash) = 0;

    // --- holder
    virtual std::optional<CaseRecord> caseByLinkHash(const std::string& linkHash) = 0;
    // One answer submission, under the case row lock: when `correct`, the secret is recorded
    // (state -> secret_issued); otherwise one submission is spent, and the third blocks the
    // case and records a revocation request.
    virtual AnswerOutcome submitAnswers(std::int64_t caseId, bool correct, const SecretIssue& issue, Time now) = 0;
    virtual void createHolderSession(const std::string& sessionHash, const HolderSession& s) = 0;
    virtual std::optional<HolderSession> holderSession(const std::string& sessionHash, Time now) = 0;

    // --- module
    // The case of this serial that holds a secret (the latest), if any.
    virtual std::optional<CaseRecord> secretCaseForSerial(const std::string& serial) = 0;
    // Under the case row lock: checks the secret's state; compares `presentedMac` in constant
    // time with the stored one; on a match replaces any live ticket by `ticketHash`; on a
    // mismatch spends one try.
    virtual VerifyOutcome verifySecret(std::int64_t caseId, const std::string& presentedMacHex,
                                       const std::string& ticketHash, Time ticketExpiresAt, Time now) = 0;
    // Spends one of the secret's cryptograms for a live ticket.
    virtual TicketOutcome useTicketForCryptogram(const std::string& ticketHash, Time now) = 0;
    // done: consumes ticket and secret. failed: the ticket stays usable (within its limits).
    virtual TicketOutcome confirm(const std::string& ticketHash, bool done, int triesAfter, Time now) = 0;

    // --- rate limits
    // Takes one token from each bucket in order, up to the first that has none (nothing is
    // taken from the later ones): one RateTake per bucket tried. Each take is one atomic
    // statement: exact across threads and processes sharing the database.
    virtual std::vector<RateTake> takeRateTokens(const std::vector<RateRequest>& buckets, Time now) = 0;
    // Deletes the buckets of `kind` that are full at `now` (bounds the table).
    virtual void purgeRateBuckets(const std::string& kind, const RateRule& rule, Time now) = 0;

    // --- other parts' tables (store/support_store.hpp): `f` runs on a borrowed connection of
    // this store's pool, after the schema migrations.
    virtual void withConnection(const std::function<void(SqlConnection&)>& f) = 0;
};

// With `tolerant` (the service), a database that is unavailable at start (read-only or
// missing volume, server down) is reported there and the store opens anyway: operations throw
// StoreError::Kind::Unavailable (HTTP 503) until the database can be used. Without it, that
// is an error at once (admin CLI, tests).
std::unique_ptr<Store> openSqliteStore(const std::string& path, std::ostream* tolerant = nullptr);
// conninfo: libpq connection string; poolSize connections.
std::unique_ptr<Store> openPostgresStore(const std::string& conninfo, std::size_t poolSize,
                                         std::ostream* tolerant = nullptr);
// "sqlite:<path>" or "postgres:<conninfo>".
std::unique_ptr<Store> openStore(const std::string& spec, std::size_t poolSize, std::ostream* tolerant = nullptr);

}  // namespace ias::service::store
