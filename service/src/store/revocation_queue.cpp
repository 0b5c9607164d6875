// SPDX-License-Identifier: Apache-2.0
#include "store/revocation_queue.hpp"

#include "ias/apdu/bytes.hpp"
#include "ias/apdu/crypto.hpp"

namespace ias::service::store {

namespace {

constexpr const char* kColumns =
    "id, case_id, serial, reason, created_at, reason_code, requested_by, idempotency_key, state, attempts, "
    "next_attempt_at, delivered_at, last_error";


RevocationRequest toRequest(const SqlRow& r) {
    RevocationRequest x;
    x.id = num(r[0]);
    x.caseId = num(r[1]);
    x.serial = text(r[2]);
    x.reason = text(r[3]);
    x.createdAt = num(r[4]);
    x.reasonCode = text(r[5]);
    x.requestedBy = text(r[6]);
    x.idempotencyKey = text(r[7]);
    x.state = text(r[8]) == "delivered" ? RevocationState::Delivered : RevocationState::Pending;
    x.attempts = static_cast<int>(num(r[9]));
    x.nextAttemptAt = num(r[10]);
    x.deliveredAt = num(r[11]);
    x.lastError = text(r[12]);
    return x;
}

QueueStats stats(const std::vector<SqlRow>& rows) {
    if (rows.empty()) return {};
    return {num(rows[0][0]), num(rows[0][1])};
}

}  // namespace

std::int64_t enqueueRevocation(SqlConnection& c, const NewRevocation& r, Time now) {
    const auto existing = c.query("SELECT id FROM revocation_requests WHERE case_id = ?", {r.caseId});
    if (!existing.empty()) return num(existing[0][0]);
    const std::string key = apdu::toHex(apdu::crypto::randomBytes(16));
    const auto rows = c.query(
        "INSERT INTO revocation_requests (case_id, serial, reason, created_at, reason_code, requested_by, "
        "idempotency_key, state, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?) RETURNING id",
        {r.caseId, r.serial, r.reason, now, r.reasonCode, r.requestedBy, key, now});
    return num(rows.at(0).at(0));
}

std::vector<RevocationRequest> listRevocations(SqlConnection& c, std::int64_t caseId) {
    std::vector<RevocationRequest> out;
    const std::string sql = std::string("SELECT ") + kColumns + " FROM revocation_requests" +
                            (caseId ? " WHERE case_id = ?" : "") + " ORDER BY id";
    for (const auto& r : c.query(sql, caseId ? std::vector<SqlValue>{caseId} : std::vector<SqlValue>{}))
        out.push_back(toRequest(r));
    return out;
}

std::optional<RevocationRequest> claimRevocation(SqlConnection& c, const std::string& owner, Time leaseUntil, Time now) {
    Transaction tx(c);
    // PostgreSQL: a row another instance is claiming is skipped, not waited for. SQLite: the
    // write transaction already excludes every other writer.
    const std::string lock = c.dialect() == Dialect::Postgres ? " FOR UPDATE SKIP LOCKED" : "";
    const auto rows = c.query(std::string("SELECT ") + kColumns +
                                  " FROM revocation_requests WHERE state = 'pending' AND next_attempt_at <= ? "
                                  "AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_attempt_at, id LIMIT 1" +
                                  lock,
                              {now, now});
    if (rows.empty()) return std::nullopt;
    RevocationRequest r = toRequest(rows[0]);
    c.exec("UPDATE revocation_requests SET lease_owner = ?, lease_until = ? WHERE id = ?", {owner, leaseUntil, r.id});
    tx.commit();
    return r;
}

void finishRevocation(SqlConnection& c, std::int64_t id, const std::string& owner, const RevocationAttempt& a, Time now) {
    Transaction tx(c);
    if (a.delivered) {
        c.exec("UPDATE revocation_requests SET state = 'delivered', delivered_at = ?, attempts = attempts + 1, "
               "last_error = NULL, lease_owner = NULL, lease_until = NULL "
               "WHERE id = ? AND lease_owner = ? AND state = 'pending'",
               {now, id, owner});
    } else {
        c.exec("UPDATE revocation_requests SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, "
               "lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND state = 'pending'",
               {a.retryAt, a.error.substr(0, 200), id, owner});
    }
    tx.commit();
}

QueueStats revocationQueueStats(SqlConnection& c) {
    return stats(c.query("SELECT COUNT(*), MIN(created_at) FROM revocation_requests WHERE state = 'pending'"));
}

QueueStats mailQueueStats(SqlConnection& c) {
    // Mails waiting in the delivery queue (schema 6: state 'queued' until sent or failed).
    return stats(c.query("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state = 'queued'"));
}

std::vector<std::pair<std::string, std::int64_t>> caseCountsByState(SqlConnection& c) {
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& r : c.query("SELECT state, COUNT(*) FROM cases GROUP BY state ORDER BY state"))
        out.emplace_back(text(r[0]), num(r[1]));
    return out;
}

}  // namespace ias::service::store
