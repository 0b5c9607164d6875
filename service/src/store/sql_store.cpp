// SPDX-License-Identifier: Apache-2.0
// The Store over SqlConnection, shared by the SQLite and PostgreSQL backends.
// Lock discipline: a transaction that changes a case first locks the case row
// (SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite locks the database).
#include <openssl/crypto.h>

#include <atomic>
#include <mutex>
#include <ostream>

#include "store/sql.hpp"
#include "store/store.hpp"

namespace ias::service::store {

namespace {

constexpr const char* kCaseColumns =
    "id, serial, email, language, state, created_at, link_expires_at, answer_failures, secret_salt, secret_mac, "
    "secret_issued_at, secret_expires_at, secret_tries_left, cryptograms_used, closed_reason";

std::int64_t num(const std::optional<std::string>& v) { return v ? std::stoll(*v) : 0; }
std::string text(const std::optional<std::string>& v) { return v.value_or(""); }

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

bool equalConstantTime(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
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
            c.exec("INSERT INTO outbox (recipient, subject, body, created_at, case_id) VALUES (?, ?, '', ?, ?)",
                   {n.email, n.mailSubject, now, id});
            tx.commit();
            return id;
        });
    }

    void markMailSent(std::int64_t caseId, Time now) override {
        with([&](SqlConnection& c) {
            c.exec("UPDATE outbox SET sent_at = ? WHERE case_id = ? AND sent_at IS NULL", {now, caseId});
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

    bool closeCase(std::int64_t id, const std::string& reason, Time now) override {
        return with([&](SqlConnection& c) {
            Transaction tx(c);
            auto cs = loadCase(c, "id = ?", {id}, true);
            if (!cs || (cs->state != CaseState::Open && cs->state != CaseState::SecretIssued)) return false;
            c.exec("UPDATE cases SET state = 'closed', closed_reason = ?, closed_at = ? WHERE id = ?", {reason, now, id});
            c.exec("UPDATE tickets SET state = 'closed' WHERE case_id = ? AND state = 'live'", {id});
            tx.commit();
            return true;
        });
    }

    std::vector<RevocationRequest> listRevocationRequests() override {
        return with([&](SqlConnection& c) {
            std::vector<RevocationRequest> out;
            for (const auto& r :
                 c.query("SELECT id, case_id, serial, reason, created_at FROM revocation_requests ORDER BY id"))
                out.push_back({num(r[0]), num(r[1]), text(r[2]), text(r[3]), num(r[4])});
            return out;
        });
    }

    std::vector<OutboxMail> listOutbox() override {
        return with([&](SqlConnection& c) {
            std::vector<OutboxMail> out;
            for (const auto& r :
                 c.query("SELECT id, case_id, recipient, subject, created_at, sent_at FROM outbox ORDER BY id"))
                out.push_back({num(r[0]), num(r[1]), text(r[2]), text(r[3]), num(r[4]), num(r[5])});
            return out;
        });
    }

    std::optional<CaseRecord> caseByLinkHash(const std::string& linkHash) override {
        return with([&](SqlConnection& c) { return loadCase(c, "link_hash = ?", {linkHash}, false); });
    }

    AnswerOutcome submitAnswers(std::int64_t caseId, bool correct, const SecretIssue& issue, Time now) override {
        return with([&](SqlConnection& c) {
            Transaction tx(c);
            auto cs = loadCase(c, "id = ?", {caseId}, true);
            AnswerOutcome out;
            if (!cs) return out;
            out.triesLeft = 3 - cs->answerFailures;
            if (cs->state == CaseState::Blocked) {
                out.result = AnswerResult::Blocked;
                return out;
            }
            if (cs->state != CaseState::Open) return out;  // NotOpen
            if (now >= cs->linkExpiresAt) {
                out.result = AnswerResult::Expired;
                return out;
            }
            if (correct) {
                c.exec("UPDATE cases SET state = 'secret_issued', secret_salt = ?, secret_mac = ?, secret_issued_at = ?, "
                       "secret_expires_at = ?, secret_tries_left = ?, cryptograms_used = 0 WHERE id = ?",
                       {issue.saltHex, issue.macHex, now, issue.expiresAt, std::int64_t{issue.tries}, caseId});
                out.result = AnswerResult::Accepted;
            } else {
                const int failures = cs->answerFailures + 1;
                out.triesLeft = std::max(0, 3 - failures);
                if (failures >= 3) {
                    c.exec("UPDATE cases SET answer_failures = ?, state = 'blocked', closed_reason = 'wrong answers', "
                           "closed_at = ? WHERE id = ?",
                           {std::int64_t{failures}, now, caseId});
                    c.exec("INSERT INTO revocation_requests (case_id, serial, reason, created_at) VALUES (?, ?, ?, ?)",
                           {caseId, cs->serial, std::string("wrong answers to the secret questions"), now});
                    out.result = AnswerResult::Blocked;
                } else {
                    c.exec("UPDATE cases SET answer_failures = ? WHERE id = ?", {std::int64_t{failures}, caseId});
                    out.result = AnswerResult::Wrong;
                }
            }
            tx.commit();
            return out;
        });
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

    VerifyOutcome verifySecret(std::int64_t caseId, const std::string& presentedMac, const std::string& ticketHash,
                               Time ticketExpiresAt, Time now) override {
        return with([&](SqlConnection& c) {
            // A right secret only replaces the ticket: a power loss may undo that (the module
            // verifies again). A wrong one spends a try: that must survive it. Peeked before
            // the transaction (durability is set outside one), decided again inside it.
            const auto peek = c.query("SELECT secret_mac FROM cases WHERE id = ?", {caseId});
            const bool likelyRight = !peek.empty() && peek[0][0] && equalConstantTime(*peek[0][0], presentedMac);
            Transaction tx(c, !likelyRight);
            VerifyOutcome out;
            auto cs = loadCase(c, "id = ?", {caseId}, true);
            if (!cs || cs->secretMac.empty()) return out;  // NoCase
            out.triesLeft = cs->secretTriesLeft;
            switch (cs->state) {
                case CaseState::Consumed: out.result = VerifyResult::UsedUp; return out;
                case CaseState::Blocked:
                case CaseState::Closed: out.result = VerifyResult::Blocked; return out;
                case CaseState::Open: return out;
                case CaseState::SecretIssued: break;
            }
            if (now >= cs->secretExpiresAt) {
                out.result = VerifyResult::Expired;
                return out;
            }
            if (cs->secretTriesLeft <= 0) {
                out.result = VerifyResult::Blocked;
                return out;
            }
            if (cs->cryptogramsUsed >= 3) {
                out.result = VerifyResult::UsedUp;
                return out;
            }
            if (!equalConstantTime(cs->secretMac, presentedMac)) {
                out.triesLeft = cs->secretTriesLeft - 1;
                c.exec("UPDATE cases SET secret_tries_left = ? WHERE id = ?", {std::int64_t{out.triesLeft}, caseId});
                if (out.triesLeft == 0)
                    c.exec("UPDATE tickets SET state = 'replaced' WHERE case_id = ? AND state = 'live'", {caseId});
                tx.commit();
                out.result = VerifyResult::Wrong;
                return out;
            }
            c.exec("UPDATE tickets SET state = 'replaced' WHERE case_id = ? AND state = 'live'", {caseId});
            c.exec("INSERT INTO tickets (hash, case_id, issued_at, expires_at, state) VALUES (?, ?, ?, ?, 'live')",
                   {ticketHash, caseId, now, ticketExpiresAt});
            tx.commit();
            out.result = VerifyResult::Ticket;
            return out;
        });
    }

    TicketOutcome useTicketForCryptogram(const std::string& ticketHash, Time now) override {
        return with([&](SqlConnection& c) {
            Transaction tx(c);
            TicketOutcome out;
            auto cs = liveTicketCase(c, ticketHash, now);
            if (!cs) return out;
            out.serial = cs->serial;
            out.caseId = cs->id;
            if (cs->cryptogramsUsed >= 3) {
                out.result = TicketResult::Limit;
                return out;
            }
            c.exec("UPDATE cases SET cryptograms_used = cryptograms_used + 1 WHERE id = ?", {cs->id});
            tx.commit();
            out.result = TicketResult::Ok;
            return out;
        });
    }

    TicketOutcome confirm(const std::string& ticketHash, bool done, int /*triesAfter*/, Time now) override {
        return with([&](SqlConnection& c) {
            Transaction tx(c);
            TicketOutcome out;
            auto cs = liveTicketCase(c, ticketHash, now);
            if (!cs) return out;
            out.serial = cs->serial;
            out.caseId = cs->id;
            if (done) {
                c.exec("UPDATE tickets SET state = 'consumed' WHERE case_id = ? AND state = 'live'", {cs->id});
                c.exec("UPDATE cases SET state = 'consumed', closed_reason = 'reset confirmed', closed_at = ? WHERE id = ?",
                       {now, cs->id});
            }
            tx.commit();
            out.result = TicketResult::Ok;
            return out;
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

    // Inside a transaction: the (locked) case of a live, unexpired ticket whose secret is live.
    std::optional<CaseRecord> liveTicketCase(SqlConnection& c, const std::string& ticketHash, Time now) {
        const auto t = c.query("SELECT case_id FROM tickets WHERE hash = ?", {ticketHash});
        if (t.empty()) return std::nullopt;
        auto cs = loadCase(c, "id = ?", {num(t[0][0])}, true);
        const auto again = c.query("SELECT state, expires_at FROM tickets WHERE hash = ?", {ticketHash});
        if (!cs || again.empty() || text(again[0][0]) != "live" || num(again[0][1]) <= now) return std::nullopt;
        if (cs->state != CaseState::SecretIssued || now >= cs->secretExpiresAt) return std::nullopt;
        return cs;
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
