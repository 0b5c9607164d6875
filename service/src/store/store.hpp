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
#include <utility>
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
    // (with the link) is never stored. With `sealedLink` the row is queued for the mail
    // sender (claimMail); without, the caller hands the mail over and calls markMailSent.
    std::string mailSubject;
    std::string sealedLink;  // hex, the link token sealed by core/mail_queue.hpp
};

// A request to the CA to revoke the certificates of a case's card (store/revocation_queue.hpp:
// the durable delivery queue, schema migration 7).
enum class RevocationState { Pending, Delivered };
struct RevocationRequest {
    std::int64_t id = 0;
    std::int64_t caseId = 0;
    std::string serial;
    std::string reason;      // why, in words ("wrong answers to the secret questions")
    Time createdAt = 0;
    std::string reasonCode;  // RFC 5280 CRLReason: "keyCompromise" | "cessationOfOperation"
    std::string requestedBy;  // "block" (the third wrong answer) | "support"
    std::string idempotencyKey;  // the same on every delivery attempt (hex, 32)
    RevocationState state = RevocationState::Pending;
    int attempts = 0;
    Time nextAttemptAt = 0;
    Time deliveredAt = 0;
    std::string lastError;  // of the last failed attempt (status, transport error; no secret)
};
struct NewRevocation {
    std::int64_t caseId = 0;
    std::string serial;
    std::string reason;
    std::string reasonCode;
    std::string requestedBy;
};
// How one delivery attempt of a claimed request ended.
struct RevocationAttempt {
    bool delivered = false;
    Time retryAt = 0;       // when not delivered: the next attempt
    std::string error;      // when not delivered
};
struct QueueStats {
    std::int64_t depth = 0;      // not yet delivered
    Time oldestCreatedAt = 0;    // of those; 0 when none
};

struct OutboxMail {
    std::int64_t id = 0;
    std::int64_t caseId = 0;  // 0 for rows from before schema migration 5
    std::string recipient;
    std::string subject;
    Time createdAt = 0;
    Time sentAt = 0;  // when it was handed over for delivery; 0 = not handed over
    std::string state;  // queued | sent | failed | not_sent
    int attempts = 0;
    Time nextAttemptAt = 0;  // queued: not before this time
    std::string lastError;   // of the last failed attempt (never the message)
};

// A queued mail claimed by one sender until `leaseUntil`: no other instance takes it meanwhile.
struct ClaimedMail {
    std::int64_t id = 0;
    std::int64_t caseId = 0;
    std::string recipient;
    std::string sealedLink;
    int attempts = 0;  // including this one; also the claim's fencing number
    Time createdAt = 0;
};

// What one delivery attempt leaves (core/mail_queue.hpp decides it).
struct MailOutcome {
    enum class Kind { Sent, Retry, Failed };
    Kind kind = Kind::Retry;
    Time retryAt = 0;   // Retry: the next attempt not before
    std::string error;  // Retry, Failed: why (no secret)
};

// A secret recorded for a case (core/case_machine.hpp decides when, and how many tries).
struct SecretIssue {
    std::string saltHex;
    std::string macHex;
    Time expiresAt = 0;
};

struct NewTicket {
    std::string hash;  // hex SHA-256 of the ticket
    Time expiresAt = 0;
};

// A ticket as stored: whether it is the case's live one, and until when.
struct TicketRecord {
    bool live = false;
    Time expiresAt = 0;
};

// What one decision of the case state machine (core/case_machine.hpp) changes in a case.
// Store::changeCase applies it in the transaction that read the case under its row lock.
struct CaseChange {
    // What happens to the case's live ticket (if any).
    enum class LiveTicket { Keep, Replaced, Consumed, Closed };

    std::optional<CaseState> state;
    std::optional<std::string> closedReason;  // recorded with closed_at = now
    std::optional<int> answerFailures;
    std::optional<SecretIssue> secret;  // recorded with secret_issued_at = now, no cryptogram used
    std::optional<int> secretTriesLeft;
    bool countCryptogram = false;  // one more of the secret's cryptograms used
    LiveTicket liveTicket = LiveTicket::Keep;
    std::optional<NewTicket> newTicket;  // the new live ticket (after liveTicket)
    std::optional<std::string> revocationReason;  // a revocation request for the case's serial

    bool empty() const noexcept {
        return !state && !closedReason && !answerFailures && !secret && !secretTriesLeft && !countCryptogram &&
               liveTicket == LiveTicket::Keep && !newTicket && !revocationReason;
    }
};
// Decides, from the case as locked, what changes (an empty change: nothing to write).
using CaseDecision = std::function<CaseChange(const CaseRecord&)>;
using TicketDecision = std::function<CaseChange(const CaseRecord&, const TicketRecord&)>;

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

    // --- the case state machine (its decisions: core/case_machine.hpp)
    // Loads the case under its row lock, asks `decide` what changes, applies that and commits,
    // all in one transaction (`durable`: see Transaction in store/sql.hpp). False when there
    // is no such case (`decide` is not called).
    virtual bool changeCase(std::int64_t caseId, const CaseDecision& decide, Time now, bool durable) = 0;
    // The same for the case of the ticket `ticketHash`, with the ticket as stored. False
    // when there is no such ticket.
    virtual bool changeCaseOfTicket(const std::string& ticketHash, const TicketDecision& decide, Time now) = 0;

    // --- admin / support
    // Refuses (nullopt) when the serial already has a case that is open or has a live secret
    // (a unique index: also across concurrent transactions and instances).
    virtual std::optional<std::int64_t> createCase(const NewCase& c, Time now) = 0;
    // The case's mail was handed over for delivery at `now`.
    virtual void markMailSent(std::int64_t caseId, Time now) = 0;
    virtual std::optional<CaseRecord> caseById(std::int64_t id) = 0;
    virtual std::vector<CaseRecord> listCases() = 0;
    virtual std::vector<RevocationRequest> listRevocationRequests() = 0;
    // Support's request to revoke the case's certificates: the case's request (a case has at
    // most one: its block may already have made it), nullopt when the case does not exist.
    virtual std::optional<RevocationRequest> requestRevocation(std::int64_t caseId, const std::string& reasonCode,
                                                               const std::string& reason, Time now) = 0;

    // --- revocation delivery (core/revocation.hpp): a worker claims the oldest due request
    // under its row lock and leases it to `owner` until `leaseUntil` (no other instance
    // claims it meanwhile), delivers it, then records the attempt (ignored if the lease was
    // lost: another instance may own the request now).
    virtual std::optional<RevocationRequest> claimRevocation(const std::string& owner, Time leaseUntil, Time now) = 0;
    virtual void finishRevocation(std::int64_t id, const std::string& owner, const RevocationAttempt& a, Time now) = 0;

    // --- operations (metrics, readiness)
    virtual QueueStats revocationQueueStats() = 0;
    virtual QueueStats mailQueueStats() = 0;
    virtual std::vector<std::pair<std::string, std::int64_t>> caseCountsByState() = 0;
    // Throws StoreError when the database cannot be used.
    virtual void ping() = 0;
    virtual std::vector<OutboxMail> listOutbox() = 0;
    // The latest outbox row of a case.
    virtual std::optional<OutboxMail> mailOfCase(std::int64_t caseId) = 0;

    // --- the mail queue (its decisions: core/mail_queue.hpp)
    // Takes the oldest queued mail that is due and not leased by another sender, in one
    // atomic statement (exact across threads and instances), leased until `leaseUntil`.
    virtual std::optional<ClaimedMail> claimMail(Time now, Time leaseUntil) = 0;
    // Records the outcome of the attempt of `m` if the row is still that claim's (false
    // otherwise). Sent and Failed wipe the sealed link.
    virtual bool finishMail(const ClaimedMail& m, const MailOutcome& o, Time now) = 0;
    // Answer hashes whose text starts with `prefix` (the upgrade of an old form).
    virtual std::vector<StoredAnswerHash> answerHashesWithPrefix(const std::string& prefix) = 0;
    // Replaces one answer hash if it still is `oldHash` (false otherwise: another instance did).
    virtual bool replaceAnswerHash(const StoredAnswerHash& old, const std::string& newHash) = 0;

    // --- holder
    virtual std::optional<CaseRecord> caseByLinkHash(const std::string& linkHash) = 0;
    virtual void createHolderSession(const std::string& sessionHash, const HolderSession& s) = 0;
    virtual std::optional<HolderSession> holderSession(const std::string& sessionHash, Time now) = 0;

    // --- module
    // The case of this serial that holds a secret (the latest), if any.
    virtual std::optional<CaseRecord> secretCaseForSerial(const std::string& serial) = 0;
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
