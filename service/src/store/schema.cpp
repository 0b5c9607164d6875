// SPDX-License-Identifier: Apache-2.0
// Schema migrations, applied in order inside one transaction each; the applied versions are
// recorded in schema_migrations. Binary values (hashes, salts) are stored as hex text.
#include <string>

#include "store/sql.hpp"

namespace ias::service::store {

namespace {

struct Migration {
    int version;
    const char* sql;  // statements separated by ';', "{PK}" = auto-increment primary key
};

constexpr Migration kMigrations[] = {
    {1, R"(
CREATE TABLE cases (
  id {PK},
  serial TEXT NOT NULL,
  email TEXT NOT NULL,
  language TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  link_hash TEXT NOT NULL UNIQUE,
  link_expires_at BIGINT NOT NULL,
  answer_failures INTEGER NOT NULL DEFAULT 0,
  secret_salt TEXT,
  secret_mac TEXT,
  secret_issued_at BIGINT,
  secret_expires_at BIGINT,
  secret_tries_left INTEGER NOT NULL DEFAULT 0,
  cryptograms_used INTEGER NOT NULL DEFAULT 0,
  closed_reason TEXT,
  closed_at BIGINT
);
CREATE INDEX cases_serial ON cases(serial);
CREATE TABLE questions (
  case_id BIGINT NOT NULL REFERENCES cases(id),
  position INTEGER NOT NULL,
  question TEXT NOT NULL,
  answer_hash TEXT NOT NULL,
  PRIMARY KEY (case_id, position)
);
CREATE TABLE tickets (
  hash TEXT PRIMARY KEY,
  case_id BIGINT NOT NULL REFERENCES cases(id),
  issued_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  state TEXT NOT NULL
);
CREATE INDEX tickets_case ON tickets(case_id);
CREATE TABLE revocation_requests (
  id {PK},
  case_id BIGINT NOT NULL REFERENCES cases(id),
  serial TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE outbox (
  id {PK},
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE holder_sessions (
  hash TEXT PRIMARY KEY,
  case_id BIGINT NOT NULL REFERENCES cases(id),
  csrf_hash TEXT NOT NULL,
  expires_at BIGINT NOT NULL
)
)"},
    // Every verify replaces the secret's live ticket: "UPDATE tickets ... WHERE case_id = ? AND
    // state = 'live'" walked all of the case's old tickets through tickets_case (the bench's
    // hot spot, sqlite3BtreeTableMoveto). The live ticket of a case is one index entry now.
    {2, R"(
CREATE INDEX tickets_live ON tickets(case_id) WHERE state = 'live'
)"},
    // Rate limits shared by every instance (issue #5): one token bucket per (kind, subject),
    // tokens in 1/60000 of a token (integers: the same arithmetic on both backends).
    {3, R"(
CREATE TABLE rate_buckets (
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  tokens BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (kind, subject)
)
)"},
    // At most one live case per serial, enforced by the database (issue #18): the FOR UPDATE
    // of createCase locks nothing when no row exists yet, so two PostgreSQL transactions could
    // both insert. A database that already holds such pairs keeps the newest live case of the
    // serial (the one the module's verify uses) and closes the older ones and their tickets.
    {4, R"(
UPDATE tickets SET state = 'closed' WHERE state = 'live' AND case_id IN (
  SELECT id FROM cases WHERE state IN ('open', 'secret_issued') AND EXISTS (
    SELECT 1 FROM cases newer WHERE newer.serial = cases.serial AND newer.state IN ('open', 'secret_issued')
      AND newer.id > cases.id));
UPDATE cases SET state = 'closed', closed_reason = 'duplicate live case, closed by schema migration 4',
  closed_at = created_at
  WHERE state IN ('open', 'secret_issued') AND EXISTS (
    SELECT 1 FROM cases newer WHERE newer.serial = cases.serial AND newer.state IN ('open', 'secret_issued')
      AND newer.id > cases.id);
CREATE UNIQUE INDEX cases_live_serial ON cases(serial) WHERE state IN ('open', 'secret_issued')
)"},
    // No holder link at rest (issue #18): the outbox keeps that a mail was handed over for
    // delivery (sent_at) and to whom, never its body; the body column stays empty. The
    // bodies of existing rows (each with a link in clear) are wiped; they were handed over
    // when written (outbox_dir file or the admin API of the time).
    {5, R"(
ALTER TABLE outbox ADD COLUMN case_id BIGINT;
ALTER TABLE outbox ADD COLUMN sent_at BIGINT;
UPDATE outbox SET body = '', sent_at = created_at
)"},
    // The mail delivery queue (issue #21): each outbox row has a delivery state (queued |
    // sent | failed | not_sent), its attempts, the time of the next one, a lease (the instance
    // sending it now) and the last error. A queued row holds its link sealed (AES-256-GCM
    // under a key that only the HSM derives, docs/threat-model.md), wiped once the row is
    // sent or failed.
    {6, R"(
ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'not_sent';
UPDATE outbox SET state = 'sent' WHERE sent_at IS NOT NULL;
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at BIGINT;
ALTER TABLE outbox ADD COLUMN lease_until BIGINT;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN link_sealed TEXT;
CREATE INDEX outbox_queued ON outbox(next_attempt_at) WHERE state = 'queued'
)"},
    // Revocation reaches the CA (issue #21): revocation_requests becomes a delivery queue
    // (store/revocation_queue.hpp). Each request gets an idempotency key (the same on every
    // attempt), a state and a lease; a case has at most one request. Requests recorded before
    // were never delivered: they are pending now, reason keyCompromise (a block).
    {7, R"(
ALTER TABLE revocation_requests ADD COLUMN reason_code TEXT NOT NULL DEFAULT 'keyCompromise';
ALTER TABLE revocation_requests ADD COLUMN requested_by TEXT NOT NULL DEFAULT 'block';
ALTER TABLE revocation_requests ADD COLUMN idempotency_key TEXT;
ALTER TABLE revocation_requests ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE revocation_requests ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE revocation_requests ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE revocation_requests ADD COLUMN lease_owner TEXT;
ALTER TABLE revocation_requests ADD COLUMN lease_until BIGINT;
ALTER TABLE revocation_requests ADD COLUMN delivered_at BIGINT;
ALTER TABLE revocation_requests ADD COLUMN last_error TEXT;
UPDATE revocation_requests SET idempotency_key = {RANDOM_KEY} WHERE idempotency_key IS NULL;
CREATE UNIQUE INDEX revocation_requests_key ON revocation_requests(idempotency_key);
CREATE UNIQUE INDEX revocation_requests_case ON revocation_requests(case_id);
CREATE INDEX revocation_requests_due ON revocation_requests(next_attempt_at) WHERE state = 'pending'
)"},
    // The support console (issue #21, docs/support.md): per-person staff accounts (scrypt
    // password keyed with the HSM, TOTP seed derived in the HSM from totp_nonce, the last TOTP
    // step used), their sessions (SHA-256 of the cookie) and what each person did to a case.
    {8, R"(
CREATE TABLE staff (
  id {PK},
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  totp_nonce TEXT NOT NULL,
  totp_last_step BIGINT NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  locked_until BIGINT NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE TABLE staff_sessions (
  hash TEXT PRIMARY KEY,
  staff_id BIGINT NOT NULL REFERENCES staff(id),
  created_at BIGINT NOT NULL,
  last_seen BIGINT NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions(staff_id);
CREATE TABLE support_events (
  id {PK},
  case_id BIGINT NOT NULL REFERENCES cases(id),
  staff TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX support_events_case ON support_events(case_id)
)"},
};

constexpr int kOutboxWipeVersion = 5;

std::string expand(std::string sql, Dialect d) {
    const std::string pk = d == Dialect::Sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
    for (std::size_t p = 0; (p = sql.find("{PK}")) != std::string::npos;) sql.replace(p, 4, pk);
    // 32 random hex digits per row (an idempotency key: unique, not secret).
    const std::string key = d == Dialect::Sqlite ? "lower(hex(randomblob(16)))"
                                                 : "replace(CAST(gen_random_uuid() AS TEXT), '-', '')";
    for (std::size_t p = 0; (p = sql.find("{RANDOM_KEY}")) != std::string::npos;) sql.replace(p, 12, key);
    return sql;
}

}  // namespace

void migrate(SqlConnection& c, int upToVersion) {
    if (c.dialect() == Dialect::Postgres) {
        // Several instances may start at once: serialise migrations on an advisory lock.
        c.exec("SELECT pg_advisory_lock(4242001)");
    }
    struct Unlock {
        explicit Unlock(SqlConnection& conn) : c(conn) {}
        Unlock(const Unlock&) = delete;
        Unlock& operator=(const Unlock&) = delete;
        SqlConnection& c;
        ~Unlock() {
            if (c.dialect() == Dialect::Postgres) {
                try {
                    c.exec("SELECT pg_advisory_unlock(4242001)");
                } catch (...) {
                }
            }
        }
    } unlock{c};
    c.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
    bool wipedOutbox = false;
    for (const Migration& m : kMigrations) {
        if (m.version > upToVersion) break;
        Transaction tx(c);
        if (!c.query("SELECT version FROM schema_migrations WHERE version = ?", {std::int64_t{m.version}}).empty())
            continue;
        const std::string all = expand(m.sql, c.dialect());
        std::size_t start = 0;
        while (start < all.size()) {
            std::size_t end = all.find(';', start);
            if (end == std::string::npos) end = all.size();
            const std::string stmt = all.substr(start, end - start);
            if (stmt.find_first_not_of(" \n\t") != std::string::npos) c.exec(stmt);
            start = end + 1;
        }
        c.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)", {std::int64_t{m.version}});
        tx.commit();
        wipedOutbox = wipedOutbox || m.version == kOutboxWipeVersion;
    }
    // SQLite: the wiped bodies were zeroed in their pages (secure_delete), but the WAL still
    // holds the old page images until a checkpoint restarts it: copy and truncate it now.
    // PostgreSQL keeps the old row versions until VACUUM (docs/threat-model.md).
    if (wipedOutbox && c.dialect() == Dialect::Sqlite) c.query("PRAGMA wal_checkpoint(TRUNCATE)");
}

}  // namespace ias::service::store
