// SPDX-License-Identifier: Apache-2.0
// Rate-limit buckets in the database (table rate_buckets, migration 3), shared by every
// instance. A bucket is (tokens, updated_at) in integer units of 1/60000 token, so that
// `perMinute` tokens a minute is exactly perMinute * 1000 units a second. One token is taken
// by one INSERT ... ON CONFLICT DO UPDATE ... WHERE statement: the refill and the take happen
// under the row lock of that statement (PostgreSQL) or the database write lock (SQLite), so
// concurrent takes from any number of processes count exactly. The update's WHERE leaves a
// refused take without effect and without a returned row. On PostgreSQL a take that finds its
// connection broken is sent once more on a new one (SqlConnection::queryRetryingOnce): if the
// server had run it before the connection broke, that request counted twice (stricter, never
// looser).
#include <cmath>
#include <algorithm>
#include <optional>

#include "store/sql.hpp"

namespace ias::service::store {

namespace {

constexpr std::int64_t kUnitsPerToken = 60000;

struct Units {
    std::int64_t capacity;  // burst, in units
    std::int64_t refill;    // units a second
    std::int64_t fullAfter; // seconds after which any bucket is full again
};

Units unitsOf(const RateRule& rule) {
    // The service refuses other values at start (RateLimiter); 1e9 keeps every product far
    // below 2^63 (capacity 6e13, refill 1e12 a second).
    if (!(rule.burst >= 1 && rule.burst <= 1e9 && rule.perMinute > 0 && rule.perMinute <= 1e9))
        throw StoreError("rate rule out of range");
    Units u{std::llround(rule.burst * static_cast<double>(kUnitsPerToken)), std::llround(rule.perMinute * 1000.0), 0};
    u.refill = std::max<std::int64_t>(1, u.refill);
    u.fullAfter = (u.capacity + u.refill - 1) / u.refill;
    return u;
}

std::string dialectSql(Dialect d, std::string sql) {
    const bool pg = d == Dialect::Postgres;
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"{MIN}", pg ? "LEAST" : "MIN"},
                                   std::pair<std::string, std::string>{"{MAX}", pg ? "GREATEST" : "MAX"}})
        for (std::size_t p = 0; (p = sql.find(from, p)) != std::string::npos;) sql.replace(p, from.size(), to);
    return sql;
}

// The level after refill: min(capacity, tokens + min(max(now - updated_at, 0), fullAfter) * refill).
constexpr const char* kLevel =
    "{MIN}(CAST(? AS BIGINT), rate_buckets.tokens + {MIN}({MAX}(excluded.updated_at - rate_buckets.updated_at, 0), "
    "CAST(? AS BIGINT)) * CAST(? AS BIGINT))";

// The statement text, constant per dialect (both backends keep it prepared).
const std::string& takeSql(Dialect d) {
    static const auto make = [](Dialect dialect) {
        return dialectSql(dialect,
                          std::string("INSERT INTO rate_buckets (kind, subject, tokens, updated_at) VALUES (?, ?, "
                                      "CAST(? AS BIGINT), CAST(? AS BIGINT)) ON CONFLICT (kind, subject) DO UPDATE SET "
                                      "tokens = ") +
                              kLevel + " - CAST(? AS BIGINT), updated_at = {MAX}(rate_buckets.updated_at, "
                                       "excluded.updated_at) WHERE " +
                              kLevel + " >= CAST(? AS BIGINT) RETURNING tokens, updated_at");
    };
    static const std::string sqlite = make(Dialect::Sqlite), postgres = make(Dialect::Postgres);
    return d == Dialect::Postgres ? postgres : sqlite;
}

}  // namespace

std::vector<RateTake> takeRateTokens(SqlConnection& c, const std::vector<RateRequest>& buckets, Time now) {
    std::vector<RateTake> out;
    if (buckets.empty()) return out;
    const std::string& sql = takeSql(c.dialect());
    // SQLite: one transaction for all the buckets of a request (one commit; the database is
    // locked for the whole of it in any case). PostgreSQL: each take in its own implicit
    // transaction, so that a row lock (one client address may be a hot row) is held for one
    // statement, not for the round trips of the following ones and of a COMMIT.
    const bool sqlite = c.dialect() == Dialect::Sqlite;
    std::optional<Transaction> tx;
    // Not durable: a power loss that undoes the last takes gives back a few requests.
    if (sqlite) tx.emplace(c, false);
    for (const RateRequest& b : buckets) {
        const Units u = unitsOf(b.rule);
        const auto rows =
            c.queryRetryingOnce(sql, {b.kind, b.subject, u.capacity - kUnitsPerToken, now, u.capacity, u.fullAfter,
                                      u.refill, kUnitsPerToken, u.capacity, u.fullAfter, u.refill, kUnitsPerToken});
        RateTake& t = out.emplace_back();
        if (rows.empty()) break;
        t.allowed = true;
        const std::int64_t tokens = std::stoll(rows[0].at(0).value_or("0"));
        const Time at = std::stoll(rows[0].at(1).value_or("0"));
        if (tokens < kUnitsPerToken) t.emptyUntil = at + (kUnitsPerToken - tokens + u.refill - 1) / u.refill;
    }
    if (tx) tx->commit();
    return out;
}

void purgeRateBuckets(SqlConnection& c, const std::string& kind, const RateRule& rule, Time now) {
    const Units u = unitsOf(rule);
    c.setDurable(false);
    // A bucket untouched for fullAfter seconds is full: the same as no row.
    c.queryRetryingOnce("DELETE FROM rate_buckets WHERE kind = ? AND updated_at <= CAST(? AS BIGINT)",
                        {kind, now - u.fullAfter});
}

}  // namespace ias::service::store
