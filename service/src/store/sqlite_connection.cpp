// SQLite backend of SqlConnection: WAL journal, foreign keys, busy timeout for the case where
// several processes share the file.
#include <sqlite3.h>

#include "store/sql.hpp"

namespace ias::service::store {

namespace {

class SqliteConnection final : public SqlConnection {
public:
    explicit SqliteConnection(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK) {
            const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw StoreError("cannot open SQLite database: " + msg);
        }
        sqlite3_busy_timeout(db_, 5000);
        exec("PRAGMA journal_mode=WAL", {});
        exec("PRAGMA synchronous=NORMAL", {});
        exec("PRAGMA foreign_keys=ON", {});
    }
    ~SqliteConnection() override { sqlite3_close(db_); }

    Dialect dialect() const noexcept override { return Dialect::Sqlite; }
    const char* beginWrite() const noexcept override { return "BEGIN IMMEDIATE"; }
    const char* forUpdate() const noexcept override { return ""; }

    void exec(const std::string& sql, const std::vector<SqlValue>& params) override { run(sql, params, nullptr); }

    std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlValue>& params) override {
        std::vector<SqlRow> rows;
        run(sql, params, &rows);
        return rows;
    }

private:
    struct Stmt {
        sqlite3_stmt* s = nullptr;
        ~Stmt() { sqlite3_finalize(s); }
    };

    void fail(const char* what) { throw StoreError(std::string(what) + ": " + sqlite3_errmsg(db_)); }

    void run(const std::string& sql, const std::vector<SqlValue>& params, std::vector<SqlRow>* rows) {
        Stmt st;
        if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &st.s, nullptr) != SQLITE_OK)
            fail("SQLite prepare");
        for (std::size_t i = 0; i < params.size(); ++i) {
            const int idx = static_cast<int>(i + 1);
            int rc = SQLITE_OK;
            if (std::holds_alternative<std::nullptr_t>(params[i])) {
                rc = sqlite3_bind_null(st.s, idx);
            } else if (auto* n = std::get_if<std::int64_t>(&params[i])) {
                rc = sqlite3_bind_int64(st.s, idx, *n);
            } else {
                const auto& t = std::get<std::string>(params[i]);
                rc = sqlite3_bind_text(st.s, idx, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
            }
            if (rc != SQLITE_OK) fail("SQLite bind");
        }
        for (;;) {
            const int rc = sqlite3_step(st.s);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) fail("SQLite step");
            if (!rows) continue;
            SqlRow row;
            const int n = sqlite3_column_count(st.s);
            for (int c = 0; c < n; ++c) {
                if (sqlite3_column_type(st.s, c) == SQLITE_NULL) {
                    row.emplace_back(std::nullopt);
                } else {
                    const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st.s, c));
                    row.emplace_back(std::string(t, static_cast<std::size_t>(sqlite3_column_bytes(st.s, c))));
                }
            }
            rows->push_back(std::move(row));
        }
    }

    sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<SqlConnection> openSqlite(const std::string& path) { return std::make_unique<SqliteConnection>(path); }

}  // namespace ias::service::store
