// PostgreSQL backend of SqlConnection (libpq). '?' placeholders become $1..$n; rows locked
// with SELECT ... FOR UPDATE inside READ COMMITTED transactions.
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

class PgConnection final : public SqlConnection {
public:
    explicit PgConnection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
        if (PQstatus(conn_) != CONNECTION_OK) {
            const std::string msg = PQerrorMessage(conn_);
            PQfinish(conn_);
            throw StoreError("cannot connect to PostgreSQL: " + msg);
        }
        exec("SET client_min_messages TO warning", {});
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
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
            throw StoreError(std::string("PostgreSQL: ") + PQresultErrorMessage(res.r));
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
