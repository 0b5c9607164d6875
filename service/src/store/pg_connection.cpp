// SPDX-License-Identifier: Apache-2.0
// PostgreSQL backend of SqlConnection (libpq). '?' placeholders become $1..$n; rows locked
// with SELECT ... FOR UPDATE inside READ COMMITTED transactions. Errors of a server that
// cannot serve now are StoreError::Kind::Unavailable; a broken connection is re-established
// on its next use.
#include <libpq-fe.h>

#include <string_view>
#include <unordered_map>

#include "store/sql.hpp"

namespace ias::service::store {

namespace {

std::string toDollarPlaceholders(const std::string& sql) {
    std::string out;
    int n = 0;
    bool quoted = false;
    for (char c : sql) {
        if (c == '\'') quoted = !quoted;
        if (c == '?' && !quoted) {
            out += '$' + std::to_string(++n);
        } else {
            out += c;
        }
    }
    return out;
}

std::string firstLine(const char* s) {
    const std::string t = s ? s : "";
    return t.substr(0, t.find('\n'));
}

// SQLSTATEs of a server that cannot serve now: no state (the connection broke), connection
// exceptions (08), insufficient resources such as disk full (53), operator intervention such
// as a shutdown (57), system errors (58), read-only transaction (25006), serialization
// failure and deadlock (40001, 40P01).
bool unavailableState(const char* state) {
    if (!state) return true;
    const std::string s = state;
    for (const char* cls : {"08", "53", "57", "58"})
        if (s.rfind(cls, 0) == 0) return true;
    return s == "25006" || s == "40001" || s == "40P01";
}

class PgConnection final : public SqlConnection {
public:
    // A server that is down now is not fatal: the connection is re-established (PQreset) on
    // the first statement after it broke.
    explicit PgConnection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
        if (!conn_) throw StoreError("PostgreSQL: out of memory");
        if (PQstatus(conn_) == CONNECTION_OK) exec("SET client_min_messages TO warning", {});
    }
    ~PgConnection() override { PQfinish(conn_); }
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    Dialect dialect() const noexcept override { return Dialect::Postgres; }
    const char* beginWrite() const noexcept override { return "BEGIN"; }
    const char* forUpdate() const noexcept override { return " FOR UPDATE"; }

    void exec(const std::string& sql, const std::vector<SqlValue>& params) override { run(sql, params, nullptr); }
    std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlValue>& params) override {
        std::vector<SqlRow> rows;
        run(sql, params, &rows);
        return rows;
    }
    std::vector<SqlRow> queryRetryingOnce(const std::string& sql, const std::vector<SqlValue>& params) override {
        std::vector<SqlRow> rows;
        run(sql, params, &rows, true);
        return rows;
    }

private:
    struct Result {
        explicit Result(PGresult* result) : r(result) {}
        ~Result() { PQclear(r); }
        Result(const Result&) = delete;
        Result& operator=(const Result&) = delete;
        PGresult* r;
    };

    void reconnect() {
        PQreset(conn_);
        prepared_.clear();  // they lived in the old server session
        if (PQstatus(conn_) != CONNECTION_OK)
            throw StoreError("PostgreSQL unavailable: " + firstLine(PQerrorMessage(conn_)), StoreError::Kind::Unavailable);
        run("SET client_min_messages TO warning", {}, nullptr);
    }

    void run(const std::string& sql, const std::vector<SqlValue>& params, std::vector<SqlRow>* rows,
             bool retryOnce = false) {
        if (PQstatus(conn_) != CONNECTION_OK) {
            // A broken connection has no transaction left to roll back.
            if (sql == "ROLLBACK") return;
            reconnect();
        }
        // A statement that starts a transaction or only reads, sent outside a transaction, is
        // sent once more on a new connection when the old one turns out to be broken (server
        // restarted, backend terminated): it had no effect.
        // (And a statement whose caller accepts that: queryRetryingOnce.)
        const bool retryable = PQtransactionStatus(conn_) == PQTRANS_IDLE &&
                               (retryOnce || sql == beginWrite() || sql.rfind("SELECT ", 0) == 0);
        for (int attempt = 0;; ++attempt) {
            try {
                execute(sql, params, rows);
                return;
            } catch (const StoreError&) {
                if (!retryable || attempt > 0 || PQstatus(conn_) == CONNECTION_OK) throw;
            }
            reconnect();
        }
    }

    void execute(const std::string& sql, const std::vector<SqlValue>& params, std::vector<SqlRow>* rows) {
        std::vector<std::string> numbers(params.size());  // integers as text, alive until the call
        std::vector<const char*> values(params.size(), nullptr);
        for (std::size_t i = 0; i < params.size(); ++i) {
            if (auto* n = std::get_if<std::int64_t>(&params[i])) {
                numbers[i] = std::to_string(*n);
                values[i] = numbers[i].c_str();
            } else if (auto* t = std::get_if<std::string>(&params[i])) {
                values[i] = t->c_str();
            }
        }
        const int n = static_cast<int>(params.size());
        Result res{nullptr};
        if (params.empty()) {
            res.r = PQexecParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
        } else {
            // Statements with parameters are prepared once per connection (named s<n>): the
            // server no longer parses and plans them on every request (bench/service).
            auto it = prepared_.find(sql);
            if (it == prepared_.end()) {
                const std::string name = "s" + std::to_string(prepared_.size());
                const Result p{PQprepare(conn_, name.c_str(), toDollarPlaceholders(sql).c_str(), n, nullptr)};
                check(p.r);
                it = prepared_.emplace(sql, name).first;
            }
            res.r = PQexecPrepared(conn_, it->second.c_str(), n, values.data(), nullptr, nullptr, 0);
        }
        check(res.r);
        if (!rows) return;
        const int nr = PQntuples(res.r), nc = PQnfields(res.r);
        for (int r = 0; r < nr; ++r) {
            SqlRow row;
            for (int c = 0; c < nc; ++c) {
                if (PQgetisnull(res.r, r, c)) {
                    row.emplace_back(std::nullopt);
                } else {
                    row.emplace_back(std::string(PQgetvalue(res.r, r, c), static_cast<std::size_t>(PQgetlength(res.r, r, c))));
                }
            }
            rows->push_back(std::move(row));
        }
    }

    void check(PGresult* r) {
        const auto status = PQresultStatus(r);
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
        const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        const bool unique = state && std::string_view(state) == "23505";  // unique_violation
        throw StoreError(std::string("PostgreSQL: ") + (r ? PQresultErrorMessage(r) : PQerrorMessage(conn_)),
                         unavailableState(state) || PQstatus(conn_) != CONNECTION_OK ? StoreError::Kind::Unavailable
                         : unique                                                    ? StoreError::Kind::UniqueViolation
                                                                                     : StoreError::Kind::Internal);
    }

    PGconn* conn_;
    std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

}  // namespace

std::unique_ptr<SqlConnection> openPostgres(const std::string& conninfo) { return std::make_unique<PgConnection>(conninfo); }

}  // namespace ias::service::store
