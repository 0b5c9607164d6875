// PostgreSQL backend of SqlConnection (libpq). '?' placeholders become $1..$n; rows locked
// with SELECT ... FOR UPDATE inside READ COMMITTED transactions. Errors of a server that
// cannot serve now are StoreError::Kind::Unavailable; a broken connection is re-established
// on its next use.
#include <libpq-fe.h>

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

    Dialect dialect() const noexcept override { return Dialect::Postgres; }
    const char* beginWrite() const noexcept override { return "BEGIN"; }
    const char* forUpdate() const noexcept override { return " FOR UPDATE"; }

    void exec(const std::string& sql, const std::vector<SqlValue>& params) override { run(sql, params, nullptr); }
    std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlValue>& params) override {
        std::vector<SqlRow> rows;
        run(sql, params, &rows);
        return rows;
    }

private:
    struct Result {
        PGresult* r;
        ~Result() { PQclear(r); }
    };

    void run(const std::string& sql, const std::vector<SqlValue>& params, std::vector<SqlRow>* rows) {
        if (PQstatus(conn_) != CONNECTION_OK) {
            // A broken connection has no transaction left to roll back.
            if (sql == "ROLLBACK") return;
            PQreset(conn_);
            if (PQstatus(conn_) != CONNECTION_OK)
                throw StoreError("PostgreSQL unavailable: " + firstLine(PQerrorMessage(conn_)),
                                 StoreError::Kind::Unavailable);
            run("SET client_min_messages TO warning", {}, nullptr);
        }
        std::vector<std::string> text(params.size());
        std::vector<const char*> values(params.size(), nullptr);
        for (std::size_t i = 0; i < params.size(); ++i) {
            if (auto* n = std::get_if<std::int64_t>(&params[i])) {
                text[i] = std::to_string(*n);
                values[i] = text[i].c_str();
            } else if (auto* t = std::get_if<std::string>(&params[i])) {
                values[i] = t->c_str();
            }
        }
        const std::string converted = toDollarPlaceholders(sql);
        Result res{PQexecParams(conn_, converted.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                                nullptr, nullptr, 0)};
        const auto status = PQresultStatus(res.r);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            const char* state = PQresultErrorField(res.r, PG_DIAG_SQLSTATE);
            throw StoreError(std::string("PostgreSQL: ") + PQresultErrorMessage(res.r),
                             unavailableState(state) || PQstatus(conn_) != CONNECTION_OK ? StoreError::Kind::Unavailable
                                                                                       : StoreError::Kind::Internal);
        }
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

    PGconn* conn_;
};

}  // namespace

std::unique_ptr<SqlConnection> openPostgres(const std::string& conninfo) { return std::make_unique<PgConnection>(conninfo); }

}  // namespace ias::service::store
