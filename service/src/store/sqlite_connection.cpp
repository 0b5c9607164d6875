// SPDX-License-Identifier: Apache-2.0
// SQLite backend of SqlConnection: WAL journal, foreign keys, busy timeout for the case where
// several processes share the file. A database that cannot be used (disk full, read-only,
// I/O error) gives StoreError::Kind::Unavailable; after a read-only/I-O/open error the file is
// opened again on the next statement, so the service recovers once the condition is gone.
#include <sqlite3.h>

#include <unordered_map>

#include "store/sql.hpp"

namespace ias::service::store {

namespace {

// Errors that say "the database cannot be used now", not "this statement is wrong".
bool unavailableCode(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_NOMEM:
        case SQLITE_READONLY:
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_CANTOPEN:
        case SQLITE_PROTOCOL:
        case SQLITE_PERM: return true;
        default: return false;
    }
}
// Of those, the ones after which the file must be opened again (a read-only or vanished
// file, a failing device): the connection is closed and reopened on its next statement.
bool reopenCode(int rc) {
    switch (rc & 0xff) {
        case SQLITE_READONLY:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
        case SQLITE_PERM: return true;
        default: return false;
    }
}

class SqliteConnection final : public SqlConnection {
public:
    // An unusable file now is not fatal: it is opened again on the first statement.
    explicit SqliteConnection(std::string path) : path_(std::move(path)) {
        try {
            open();
        } catch (const StoreError& e) {
            if (!e.unavailable()) throw;
        }
    }
    ~SqliteConnection() override { close(); }
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    Dialect dialect() const noexcept override { return Dialect::Sqlite; }
    const char* beginWrite() const noexcept override { return "BEGIN IMMEDIATE"; }
    const char* forUpdate() const noexcept override { return ""; }

    void exec(const std::string& sql, const std::vector<SqlValue>& params) override { run(sql, params, nullptr); }

    std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlValue>& params) override {
        std::vector<SqlRow> rows;
        run(sql, params, &rows);
        return rows;
    }

    std::vector<SqlRow> queryRetryingOnce(const std::string& sql, const std::vector<SqlValue>& params) override {
        return query(sql, params);
    }

    void setDurable(bool durable) override {
        if (!db_ || durable == durable_) return;
        run(durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", {}, nullptr);
        durable_ = durable;
    }

private:
    struct Stmt {
        Stmt() = default;
        ~Stmt() { sqlite3_finalize(s); }
        Stmt(const Stmt&) = delete;
        Stmt& operator=(const Stmt&) = delete;
        sqlite3_stmt* s = nullptr;
    };

    void close() {
        for (auto& cached : cache_) sqlite3_finalize(cached.second);
        cache_.clear();
        sqlite3_close(db_);
        db_ = nullptr;
    }

    void open() {
        close();
        const int rc = sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                       nullptr);
        if (rc != SQLITE_OK) {
            const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            db_ = nullptr;
            throw StoreError("cannot open SQLite database: " + msg, StoreError::Kind::Unavailable);
        }
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, 5000);
        reopen_ = false;
        try {
            run("PRAGMA journal_mode=WAL", {}, nullptr);
            run("PRAGMA synchronous=FULL", {}, nullptr);
            durable_ = true;
            run("PRAGMA foreign_keys=ON", {}, nullptr);
            // Deleted and overwritten content is zeroed in the file, not left in free space.
            run("PRAGMA secure_delete=ON", {}, nullptr);
        } catch (...) {
            close();
            throw;
        }
    }

    void fail(const char* what, int rc) {
        if (reopenCode(rc)) reopen_ = true;
        throw StoreError(std::string(what) + ": " + sqlite3_errmsg(db_) + " (" + std::to_string(rc) + ")",
                         unavailableCode(rc)                   ? StoreError::Kind::Unavailable
                         : rc == SQLITE_CONSTRAINT_UNIQUE ? StoreError::Kind::UniqueViolation
                                                               : StoreError::Kind::Internal);
    }

    void run(const std::string& sql, const std::vector<SqlValue>& params, std::vector<SqlRow>* rows) {
        if (!db_ || reopen_) {
            // Closing a connection rolls its transaction back: nothing to roll back then.
            if (sql == "ROLLBACK") return;
            open();
        }
        // Prepared statements are kept by SQL text (the store uses a fixed set of texts):
        // parsing and planning were about a tenth of a verify's CPU time (bench/service).
        Stmt st;  // owns a statement only when the cache is full
        sqlite3_stmt* stmt = nullptr;
        if (const auto it = cache_.find(sql); it != cache_.end()) {
            stmt = it->second;
        } else {
            if (const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                                  &stmt, nullptr);
                rc != SQLITE_OK)
                fail("SQLite prepare", rc);
            if (cache_.size() < kCacheSize) {
                cache_.emplace(sql, stmt);
            } else {
                st.s = stmt;
            }
        }
        struct Reset {
            sqlite3_stmt* s;
            explicit Reset(sqlite3_stmt* statement) : s(statement) {}
            Reset(const Reset&) = delete;
            Reset& operator=(const Reset&) = delete;
            Reset(Reset&&) = delete;
            Reset& operator=(Reset&&) = delete;
            ~Reset() {
                sqlite3_reset(s);
                sqlite3_clear_bindings(s);
            }
        } reset{stmt};
        for (std::size_t i = 0; i < params.size(); ++i) {
            const int idx = static_cast<int>(i + 1);
            int rc = SQLITE_OK;
            if (std::holds_alternative<std::nullptr_t>(params[i])) {
                rc = sqlite3_bind_null(stmt, idx);
            } else if (auto* n = std::get_if<std::int64_t>(&params[i])) {
                rc = sqlite3_bind_int64(stmt, idx, *n);
            } else {
                const auto& t = std::get<std::string>(params[i]);
                rc = sqlite3_bind_text(stmt, idx, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
            }
            if (rc != SQLITE_OK) fail("SQLite bind", rc);
        }
        for (;;) {
            const int rc = sqlite3_step(stmt);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) fail("SQLite step", rc);
            if (!rows) continue;
            SqlRow row;
            const int n = sqlite3_column_count(stmt);
            for (int c = 0; c < n; ++c) {
                if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
                    row.emplace_back(std::nullopt);
                } else {
                    const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
                    row.emplace_back(std::string(t, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
                }
            }
            rows->push_back(std::move(row));
        }
    }

    static constexpr std::size_t kCacheSize = 64;
    std::string path_;
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
    bool reopen_ = false;
    bool durable_ = true;
};

}  // namespace

std::unique_ptr<SqlConnection> openSqlite(const std::string& path) { return std::make_unique<SqliteConnection>(path); }

}  // namespace ias::service::store
