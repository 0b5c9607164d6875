// SPDX-License-Identifier: Apache-2.0
// The Store over SqlConnection, shared by the SQLite and PostgreSQL backends.
// Lock discipline: a transaction that changes a case first locks the case row
// (SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite locks the database).
#include <atomic>
#include <mutex>
#include <ostream>

#include "store/revocation_queue.hpp"
#include "store/sql.hpp"
#include "store/store.hpp"

namespace ias::service::store {

namespace {

constexpr const char* kCaseColumns =
    "id, serial, email, language, state, created_at, link_expires_at, answer_failures, secret_salt, secret_mac, "
    "secret_issued_at, secret_expires_at, secret_tries_left, cryptograms_used, closed_reason";

constexpr const char* kOutboxColumns =
    "id, case_id, recipient, subject, created_at, sent_at, state, attempts, next_attempt_at, last_error";


OutboxMail toOutbox(const SqlRow& r) {
    return {num(r[0]), num(r[1]), text(r[2]), text(r[3]), num(r[4]), num(r[5]),
            text(r[6]), static_cast<int>(num(r[7])), num(r[8]), text(r[9])};
}

CaseRecord toCase(const SqlRow& r) {
    CaseRecord c;
    c.id = num(r[0]);
    c.serial = text(r[1]);
    c.email = text(r[2]);
    c.language = text(r[3]);
    c.state = caseStateFromString(text(r[4]));
    c.createdAt = num(r[5]);
    c.linkExpiresAt = num(r[6]);
    c.answerFailures = static_cast<int>(num(r[7]));
    c.secretSalt = text(r[8]);
    c.secretMac = text(r[9]);
    c.secretIssuedAt = num(r[10]);
    c.secretExpiresAt = num(r[11]);
    c.secretTriesLeft = static_cast<int>(num(r[12]));
    c.cryptogramsUsed = static_cast<int>(num(r[13]));
    c.closedReason = text(r[14]);
    return c;
}

class SqlStore final : public Store {
    // (Defined first: its return type is deduced.)
    // Every operation borrows a connection of the pool; the first one migrates if that
    // could not be done at start.
    template <class F>
    auto with(F&& f) {
        return pool_.with([&](SqlConnection& c) {
            if (!migrated_.load()) {
                std::lock_guard lock(migrateMutex_);
                if (!migrated_.load()) {
                    migrate(c);
                    migrated_ = true;
                }
            }
            c.setDurable(true);  // unless the operation says otherwise
            return f(c);
        });
    }

public:
    // The schema is migrated now; if the database is unavailable (and `tolerant`), on the
    // first operation that finds it available instead.
    SqlStore(std::vector<std::unique_ptr<SqlConnection>> connections, std::ostream* tolerant)
        : pool_(std::move(connections)) {
        try {
            migrate(pool_.first());
            migrated_ = true;
        } catch (const StoreError& e) {
            if (!tolerant || !e.unavailable()) throw;
            const std::string what = e.what();
            *tolerant << "ias-unblockd: database unavailable at start (" << what.substr(0, what.find('\n'))
                      << "); requests are answered 503 until it is available" << std::endl;
        }
    }

    bool changeCase(std::int64_t caseId, const CaseDecision& decide, Time now, bool durable) override {
        return with([&](SqlConnection& c) {
            Transaction tx(c, durable);
            const auto cs = loadCase(c, "id = ?", {caseId}, true);
            if (!cs) return false;
            apply(c, *cs, decide(*cs), now, tx);
            return true;
        });
    }

    bool changeCaseOfTicket(const std::string& ticketHash, const TicketDecision& decide, Time now) override {
        return with([&](SqlConnection& c) {
            Transaction tx(c);
            const auto t = c.query("SELECT case_id FROM tickets WHERE hash = ?", {ticketHash});
            if (t.empty()) return false;
            const auto cs = loadCase(c, "id = ?", {num(t[0][0])}, true);
            // Read again under the case lock: another transaction may have replaced it.
            const auto again = c.query("SELECT state, expires_at FROM tickets WHERE hash = ?", {ticketHash});
            if (!cs || again.empty()) return false;
            apply(c, *cs, decide(*cs, TicketRecord{text(again[0][0]) == "live", num(again[0][1])}), now, tx);
            return true;
        });
    }

    std::optional<std::int64_t> createCase(const NewCase& n, Time now) override {
        return with([&](SqlConnection& c) -> std::optional<std::int64_t> {
            Transaction tx(c);
            const auto live = c.query("SELECT id FROM cases WHERE serial = ? AND state IN ('open', 'secret_issued')" +
                                          std::string(c.forUpdate()),
                                      {n.serial});
            if (!live.empty()) return std::nullopt;
            std::vector<SqlRow> rows;
            try {
                rows = c.query(
                    "INSERT INTO cases (serial, email, language, state, created_at, link_hash, link_expires_at) "
                    "VALUES (?, ?, ?, 'open', ?, ?, ?) RETURNING id",
                    {n.serial, n.email, n.language, now, n.linkHash, n.linkExpiresAt});
            } catch (const StoreError& e) {
                // Another transaction inserted a live case for this serial after our check
                // (PostgreSQL: nothing was there to lock): cases_live_serial refused ours.
                if (e.uniqueViolation()) return std::nullopt;
                throw;
            }
            const std::int64_t id = num(rows.at(0).at(0));
            for (std::size_t i = 0; i < n.questions.size(); ++i) {
                c.exec("INSERT INTO questions (case_id, position, question, answer_hash) VALUES (?, ?, ?, ?)",
                       {id, static_cast<std::int64_t>(i), n.questions[i].text, n.questions[i].answerHash});
            }
            if (n.sealedLink.empty())
                c.exec("INSERT INTO outbox (recipient, subject, body, created_at, case_id, state) "
                       "VALUES (?, ?, '', ?, ?, 'not_sent')",
                       {n.email, n.mailSubject, now, id});
            else
                c.exec("INSERT INTO outbox (recipient, subject, body, created_at, case_id, state, next_attempt_at, "
                       "link_sealed) VALUES (?, ?, '', ?, ?, 'queued', ?, ?)",
                       {n.email, n.mailSubject, now, id, now, n.sealedLink});
            tx.commit();
            return id;
        });
    }

    void markMailSent(std::int64_t caseId, Time now) override {
        with([&](SqlConnection& c) {
            c.exec("UPDATE outbox SET sent_at = ?, state = 'sent' WHERE case_id = ? AND sent_at IS NULL", {now, caseId});
            return 0;
        });
    }

    std::vector<StoredAnswerHash> answerHashesWithPrefix(const std::string& prefix) override {
        return with([&](SqlConnection& c) {
            std::vector<StoredAnswerHash> out;
            // substr, not LIKE: '_' and '%' in the prefix are plain characters here.
            for (const auto& r : c.query("SELECT case_id, position, answer_hash FROM questions "
                                         "WHERE substr(answer_hash, 1, ?) = ? ORDER BY case_id, position",
                                         {static_cast<std::int64_t>(prefix.size()), prefix}))
                out.push_back({num(r[0]), static_cast<int>(num(r[1])), text(r[2])});
            return out;
        });
    }

    bool replaceAnswerHash(const StoredAnswerHash& old, const std::string& newHash) override {
        return with([&](SqlConnection& c) {
            Transaction tx(c);
            const auto rows = c.query("UPDATE questions SET answer_hash = ? WHERE case_id = ? AND position = ? "
                                      "AND answer_hash = ? RETURNING case_id",
                                      {newHash, old.caseId, std::int64_t{old.position}, old.answerHash});
            tx.commit();
            return !rows.empty();
        });
    }

    std::optional<CaseRecord> caseById(std::int64_t id) override {
        return with([&](SqlConnection& c) { return loadCase(c, "id = ?", {id}, false); });
    }

    std::vector<CaseRecord> listCases() override {
        return with([&](SqlConnection& c) {
            std::vector<CaseRecord> out;
            for (const auto& r : c.query(std::string("SELECT ") + kCaseColumns + " FROM cases ORDER BY id"))
                out.push_back(toCase(r));
            return out;
        });
    }

    std::vector<RevocationRequest> listRevocationRequests() override {
        return with([&](SqlConnection& c) { return listRevocations(c); });
    }

    std::optional<RevocationRequest> requestRevocation(std::int64_t caseId, const std::string& reasonCode,
                                                       const std::string& reason, Time now) override {
        return with([&](SqlConnection& c) -> std::optional<RevocationRequest> {
            Transaction tx(c);
            const auto cs = loadCase(c, "id = ?", {caseId}, true);
            if (!cs) return std::nullopt;
            enqueueRevocation(c, {caseId, cs->serial, reason, reasonCode, "support"}, now);
            tx.commit();
            return listRevocations(c, caseId).at(0);
        });
    }

    std::optional<RevocationRequest> claimRevocation(const std::string& owner, Time leaseUntil, Time now) override {
        return with([&](SqlConnection& c) { return store::claimRevocation(c, owner, leaseUntil, now); });
    }

    void finishRevocation(std::int64_t id, const std::string& owner, const RevocationAttempt& a, Time now) override {
        with([&](SqlConnection& c) {
            store::finishRevocation(c, id, owner, a, now);
            return 0;
        });
    }

    QueueStats revocationQueueStats() override {
        return with([&](SqlConnection& c) { return store::revocationQueueStats(c); });
    }
    QueueStats mailQueueStats() override {
        return with([&](SqlConnection& c) { return store::mailQueueStats(c); });
    }
    std::vector<std::pair<std::string, std::int64_t>> caseCountsByState() override {
        return with([&](SqlConnection& c) { return store::caseCountsByState(c); });
    }
    void ping() override {
        with([&](SqlConnection& c) { return c.query("SELECT 1").size(); });
    }

    std::vector<OutboxMail> listOutbox() override {
        return with([&](SqlConnection& c) {
            std::vector<OutboxMail> out;
            for (const auto& r : c.query(std::string("SELECT ") + kOutboxColumns + " FROM outbox ORDER BY id"))
                out.push_back(toOutbox(r));
            return out;
        });
    }

    std::optional<OutboxMail> mailOfCase(std::int64_t caseId) override {
        return with([&](SqlConnection& c) -> std::optional<OutboxMail> {
            const auto rows = c.query(std::string("SELECT ") + kOutboxColumns +
                                          " FROM outbox WHERE case_id = ? ORDER BY id DESC LIMIT 1",
                                      {caseId});
            if (rows.empty()) return std::nullopt;
            return toOutbox(rows[0]);
        });
    }

    std::optional<ClaimedMail> claimMail(Time now, Time leaseUntil) override {
        return with([&](SqlConnection& c) -> std::optional<ClaimedMail> {
            // One statement: the conditions are checked again on the row itself when it is
            // updated (PostgreSQL re-evaluates them after waiting for a concurrent claim's
            // row lock; SQLite runs one writer at a time), so one claim wins.
            const auto rows = c.query(
                "UPDATE outbox SET lease_until = ?, attempts = attempts + 1 WHERE id = ("
                "SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? "
                "AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_attempt_at, id LIMIT 1) "
                "AND state = 'queued' AND (lease_until IS NULL OR lease_until <= ?) "
                "RETURNING id, case_id, recipient, link_sealed, attempts, created_at",
                {leaseUntil, now, now, now});
            if (rows.empty()) return std::nullopt;
            const auto& r = rows[0];
            return ClaimedMail{num(r[0]), num(r[1]), text(r[2]), text(r[3]), static_cast<int>(num(r[4])), num(r[5])};
        });
    }

    bool finishMail(const ClaimedMail& m, const MailOutcome& o, Time now) override {
        return with([&](SqlConnection& c) {
            const std::string claim = " WHERE id = ? AND attempts = ? AND state = 'queued' RETURNING id";
            const SqlValue id = m.id, attempts = std::int64_t{m.attempts};
            std::vector<SqlRow> rows;
            switch (o.kind) {
                case MailOutcome::Kind::Sent:
                    rows = c.query("UPDATE outbox SET state = 'sent', sent_at = ?, link_sealed = NULL, lease_until = NULL, "
                                   "last_error = NULL" + claim,
                                   {now, id, attempts});
                    break;
                case MailOutcome::Kind::Retry:
                    rows = c.query("UPDATE outbox SET next_attempt_at = ?, lease_until = NULL, last_error = ?" + claim,
                                   {o.retryAt, o.error, id, attempts});
                    break;
                case MailOutcome::Kind::Failed:
                    rows = c.query("UPDATE outbox SET state = 'failed', link_sealed = NULL, lease_until = NULL, "
                                   "last_error = ?" + claim,
                                   {o.error, id, attempts});
                    break;
            }
            return !rows.empty();
        });
    }

    std::optional<CaseRecord> caseByLinkHash(const std::string& linkHash) override {
        return with([&](SqlConnection& c) { return loadCase(c, "link_hash = ?", {linkHash}, false); });
    }

    void createHolderSession(const std::string& sessionHash, const HolderSession& s) override {
        with([&](SqlConnection& c) {
            c.setDurable(false);  // lost to a power loss: the holder opens the link again
            c.exec("INSERT INTO holder_sessions (hash, case_id, csrf_hash, expires_at) VALUES (?, ?, ?, ?)",
                   {sessionHash, s.caseId, s.csrfHash, s.expiresAt});
            return 0;
        });
    }

    std::optional<HolderSession> holderSession(const std::string& sessionHash, Time now) override {
        return with([&](SqlConnection& c) -> std::optional<HolderSession> {
            const auto rows = c.query("SELECT case_id, csrf_hash, expires_at FROM holder_sessions WHERE hash = ?",
                                      {sessionHash});
            if (rows.empty() || num(rows[0][2]) <= now) return std::nullopt;
            return HolderSession{num(rows[0][0]), text(rows[0][1]), num(rows[0][2])};
        });
    }

    std::optional<CaseRecord> secretCaseForSerial(const std::string& serial) override {
        return with([&](SqlConnection& c) -> std::optional<CaseRecord> {
            const auto rows = c.query(std::string("SELECT ") + kCaseColumns +
                                          " FROM cases WHERE serial = ? AND secret_mac IS NOT NULL ORDER BY id DESC LIMIT 1",
                                      {serial});
            if (rows.empty()) return std::nullopt;
            return toCase(rows[0]);
        });
    }

    std::vector<RateTake> takeRateTokens(const std::vector<RateRequest>& buckets, Time now) override {
        return with([&](SqlConnection& c) { return store::takeRateTokens(c, buckets, now); });
    }

    void purgeRateBuckets(const std::string& kind, const RateRule& rule, Time now) override {
        with([&](SqlConnection& c) {
            store::purgeRateBuckets(c, kind, rule, now);
            return 0;
        });
    }

    void withConnection(const std::function<void(SqlConnection&)>& f) override {
        with([&](SqlConnection& c) {
            f(c);
            return 0;
        });
    }

private:
    std::optional<CaseRecord> loadCase(SqlConnection& c, const std::string& where, const std::vector<SqlValue>& params,
                                       bool lock) {
        const auto rows = c.query(std::string("SELECT ") + kCaseColumns + " FROM cases WHERE " + where +
                                      (lock ? c.forUpdate() : ""),
                                  params);
        if (rows.empty()) return std::nullopt;
        CaseRecord cs = toCase(rows[0]);
        for (const auto& q : c.query("SELECT question, answer_hash FROM questions WHERE case_id = ? ORDER BY position",
                                     {cs.id}))
            cs.questions.push_back({text(q[0]), text(q[1])});
        return cs;
    }

    // Writes one decision of the case state machine and commits (nothing to write: rolls back).
    static void apply(SqlConnection& c, const CaseRecord& cs, const CaseChange& ch, Time now, Transaction& tx) {
        if (ch.empty()) return;
        std::string sets;
        std::vector<SqlValue> params;
        const auto set = [&](const char* column, SqlValue v) {
            sets += std::string(sets.empty() ? "" : ", ") + column + " = ?";
            params.push_back(std::move(v));
        };
        if (ch.state) set("state", std::string(toString(*ch.state)));
        if (ch.closedReason) {
            set("closed_reason", *ch.closedReason);
            set("closed_at", now);
        }
        if (ch.answerFailures) set("answer_failures", std::int64_t{*ch.answerFailures});
        if (ch.secret) {
            set("secret_salt", ch.secret->saltHex);
            set("secret_mac", ch.secret->macHex);
            set("secret_issued_at", now);
            set("secret_expires_at", ch.secret->expiresAt);
            set("cryptograms_used", std::int64_t{0});
        }
        if (ch.secretTriesLeft) set("secret_tries_left", std::int64_t{*ch.secretTriesLeft});
        if (ch.countCryptogram) sets += std::string(sets.empty() ? "" : ", ") + "cryptograms_used = cryptograms_used + 1";
        if (!sets.empty()) {
            params.emplace_back(cs.id);
            c.exec("UPDATE cases SET " + sets + " WHERE id = ?", params);
        }
        if (const char* ticketState = liveTicketState(ch.liveTicket))
            c.exec("UPDATE tickets SET state = ? WHERE case_id = ? AND state = 'live'", {std::string(ticketState), cs.id});
        if (ch.newTicket)
            c.exec("INSERT INTO tickets (hash, case_id, issued_at, expires_at, state) VALUES (?, ?, ?, ?, 'live')",
                   {ch.newTicket->hash, cs.id, now, ch.newTicket->expiresAt});
        // The definitive block's revocation request, queued for the CA in the same transaction.
        if (ch.revocationReason)
            enqueueRevocation(c, {cs.id, cs.serial, *ch.revocationReason, "keyCompromise", "block"}, now);
        tx.commit();
    }

    static const char* liveTicketState(CaseChange::LiveTicket t) noexcept {
        switch (t) {
            case CaseChange::LiveTicket::Keep: return nullptr;
            case CaseChange::LiveTicket::Replaced: return "replaced";
            case CaseChange::LiveTicket::Consumed: return "consumed";
            case CaseChange::LiveTicket::Closed: return "closed";
        }
        return nullptr;
    }

    ConnectionPool pool_;
    std::atomic<bool> migrated_{false};
    std::mutex migrateMutex_;
};

}  // namespace

const char* toString(CaseState s) noexcept {
    switch (s) {
        case CaseState::Open: return "open";
        case CaseState::SecretIssued: return "secret_issued";
        case CaseState::Blocked: return "blocked";
        case CaseState::Closed: return "closed";
        case CaseState::Consumed: return "consumed";
    }
    return "closed";
}

CaseState caseStateFromString(const std::string& s) {
    for (CaseState st : {CaseState::Open, CaseState::SecretIssued, CaseState::Blocked, CaseState::Closed,
                         CaseState::Consumed})
        if (s == toString(st)) return st;
    throw StoreError("unknown case state in database");
}

std::unique_ptr<Store> openSqliteStore(const std::string& path, std::ostream* tolerant) {
    std::vector<std::unique_ptr<SqlConnection>> conns;
    conns.push_back(openSqlite(path));
    return std::make_unique<SqlStore>(std::move(conns), tolerant);
}

std::unique_ptr<Store> openPostgresStore(const std::string& conninfo, std::size_t poolSize, std::ostream* tolerant) {
    std::vector<std::unique_ptr<SqlConnection>> conns;
    for (std::size_t i = 0; i < std::max<std::size_t>(1, poolSize); ++i) conns.push_back(openPostgres(conninfo));
    return std::make_unique<SqlStore>(std::move(conns), tolerant);
}

std::unique_ptr<Store> openStore(const std::string& spec, std::size_t poolSize, std::ostream* tolerant) {
    if (spec.rfind("sqlite:", 0) == 0) return openSqliteStore(spec.substr(7), tolerant);
    if (spec.rfind("postgres:", 0) == 0) return openPostgresStore(spec.substr(9), poolSize, tolerant);
    throw StoreError("database must be sqlite:<path> or postgres:<conninfo>");
}

}  // namespace ias::service::store
