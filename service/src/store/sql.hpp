// SPDX-License-Identifier: Apache-2.0
// A minimal SQL connection abstraction so that one Store implementation (sql_store.cpp)
// serves both SQLite and PostgreSQL. Statements use '?' placeholders; values travel as
// text or integers; result cells come back as text (NULL = nullopt).
#pragma once

#include <condition_variable>
#include <deque>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "store/store.hpp"

namespace ias::service::store {

class StoreError : public std::runtime_error {
public:
    // Unavailable: the database cannot be used now (disk full, read-only or missing file,
    // I/O error, lock timeout, server down or restarting); the transaction did not happen,
    // and the connection reopens on its next use. UniqueViolation: a statement would have
    // broken a UNIQUE constraint (the transaction is aborted; roll it back). Internal:
    // anything else (a bug, corruption).
    enum class Kind { Internal, Unavailable, UniqueViolation };
    explicit StoreError(const std::string& what, Kind kind = Kind::Internal) : std::runtime_error(what), kind_(kind) {}
    bool unavailable() const noexcept { return kind_ == Kind::Unavailable; }
    bool uniqueViolation() const noexcept { return kind_ == Kind::UniqueViolation; }

private:
    Kind kind_;
};

using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::string>;
using SqlRow = std::vector<std::optional<std::string>>;

// A result cell as an integer / as text (NULL: 0 / "").
inline std::int64_t num(const std::optional<std::string>& v) { return v ? std::stoll(*v) : 0; }
inline std::string text(const std::optional<std::string>& v) { return v.value_or(""); }

enum class Dialect { Sqlite, Postgres };

class SqlConnection {
public:
    virtual ~SqlConnection() = default;
    virtual Dialect dialect() const noexcept = 0;
    virtual void exec(const std::string& sql, const std::vector<SqlValue>& params = {}) = 0;
    virtual std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlValue>& params = {}) = 0;
    // One statement in its own implicit transaction (outside any transaction). PostgreSQL:
    // sent once more on a new connection when the connection turns out to be broken, so its
    // effect may happen twice if the connection broke after the server ran it: only for
    // statements where that is harmless (a rate-limit take: one more token counted, never
    // one less). SQLite: query().
    virtual std::vector<SqlRow> queryRetryingOnce(const std::string& sql, const std::vector<SqlValue>& params) = 0;
    // Statement that starts a write transaction (BEGIN IMMEDIATE / BEGIN).
    virtual const char* beginWrite() const noexcept = 0;
    // Suffix that locks the selected rows until commit ("" / " FOR UPDATE").
    virtual const char* forUpdate() const noexcept = 0;
    // Whether the next commits must survive a power loss; outside transactions only, and
    // true again at the start of each store operation. SQLite: synchronous=FULL (the WAL is
    // synced at every commit) or NORMAL (synced at checkpoints: a power loss may undo the
    // last commits, never corrupts). PostgreSQL: nothing (the server's synchronous_commit).
    virtual void setDurable(bool /*durable*/) {}
};

// RAII transaction: rolls back unless committed.
class Transaction {
public:
    // durable = false only where losing the commit to a power loss weakens nothing (a new
    // ticket, a rate-limit count, a holder session): see SqlConnection::setDurable.
    explicit Transaction(SqlConnection& c, bool durable = true) : c_(c) {
        c_.setDurable(durable);
        c_.exec(c_.beginWrite());
    }
    ~Transaction() {
        if (!done_) {
            try {
                c_.exec("ROLLBACK");
            } catch (...) {
            }
        }
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
        c_.exec("COMMIT");
        done_ = true;
    }

private:
    SqlConnection& c_;
    bool done_ = false;
};

// A fixed set of connections; each operation borrows one. First come, first served: a returned
// connection goes straight to the longest waiter (a plain condition variable would let a newly
// arriving thread take it first, so under load a waiter could be passed over for seconds).
class ConnectionPool {
public:
    explicit ConnectionPool(std::vector<std::unique_ptr<SqlConnection>> connections);
    template <class F>
    auto with(F&& f) {
        Lease l(*this);
        return f(*l.c);
    }
    SqlConnection& first() { return *all_.front(); }
    // Threads waiting for a connection now (tests).
    std::size_t waiting();

private:
    struct Lease {
        explicit Lease(ConnectionPool& p);
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ConnectionPool& p;
        SqlConnection* c;
    };
    // A waiting thread, on its own stack: the releasing thread hands it the connection.
    struct Waiter {
        std::condition_variable handedOver;
        SqlConnection* c = nullptr;
    };
    std::vector<std::unique_ptr<SqlConnection>> all_;
    std::vector<SqlConnection*> idle_;
    std::deque<Waiter*> waiters_;
    std::mutex mutex_;
};

std::unique_ptr<SqlConnection> openSqlite(const std::string& path);
std::unique_ptr<SqlConnection> openPostgres(const std::string& conninfo);

// Store::takeRateTokens / purgeRateBuckets over one connection (rate_buckets.cpp).
std::vector<RateTake> takeRateTokens(SqlConnection& c, const std::vector<RateRequest>& buckets, Time now);
void purgeRateBuckets(SqlConnection& c, const std::string& kind, const RateRule& rule, Time now);

// Applies the schema migrations that are missing (schema_migrations table), up to
// `upToVersion` (tests build an old schema with it).
void migrate(SqlConnection& c, int upToVersion = std::numeric_limits<int>::max());

}  // namespace ias::service::store
