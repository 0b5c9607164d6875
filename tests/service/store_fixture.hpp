// SPDX-License-Identifier: Apache-2.0
// A fresh store per test: SQLite in a temporary file, or (service_pg_tests, built with
// IAS_TEST_POSTGRES) a fresh PostgreSQL database on the server started by
// scripts/service-world.sh (connection string in IAS_TEST_PG, e.g. "host=/tmp/x port=5433").
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "store/sql.hpp"
#include "store/store.hpp"

namespace ias::service::test {

// A case for store-level tests: one question, link valid until linkExpiresAt.
inline store::NewCase newTestCase(const std::string& serial, const std::string& link,
                                  store::Time linkExpiresAt = 1000 + 86400) {
    store::NewCase n;
    n.serial = serial;
    n.email = "holder@example.org";
    n.language = "fr";
    n.questions = {{"Q1", "h1"}};
    n.linkHash = link;
    n.linkExpiresAt = linkExpiresAt;
    n.mailSubject = "subject";
    return n;
}

class TestDatabase {
public:
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;
    TestDatabase() {
        static std::atomic<int> counter{0};
        const std::string name = "ias_t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
#ifdef IAS_TEST_POSTGRES
        const char* base = std::getenv("IAS_TEST_PG");
        if (!base) throw std::runtime_error("IAS_TEST_PG is not set (run scripts/service-world.sh)");
        base_ = base;
        store::openPostgres(base_ + " dbname=postgres")->exec("CREATE DATABASE " + name);
        name_ = name;
        conninfo_ = base_ + " dbname=" + name;
#else
        path_ = std::filesystem::temp_directory_path() / (name + ".sqlite");
#endif
    }
    ~TestDatabase() {
#ifdef IAS_TEST_POSTGRES
        try {
            store::openPostgres(base_ + " dbname=postgres")->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
        } catch (...) {
        }
#else
        std::error_code ec;
        for (const char* suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(path_.string() + suffix, ec);
#endif
    }
    std::unique_ptr<store::Store> open(std::size_t pool = 4) const {
#ifdef IAS_TEST_POSTGRES
        return store::openPostgresStore(conninfo_, pool);
#else
        (void)pool;
        return store::openSqliteStore(path_.string());
#endif
    }
    std::string path() const { return path_.string(); }
    // A plain SQL connection to this database (for checks below the Store interface).
    std::unique_ptr<store::SqlConnection> connection() const {
#ifdef IAS_TEST_POSTGRES
        return store::openPostgres(conninfo_);
#else
        return store::openSqlite(path_.string());
#endif
    }
    // The `database` setting of ias-unblockd for this database.
    std::string spec() const {
#ifdef IAS_TEST_POSTGRES
        return "postgres:" + conninfo_;
#else
        return "sqlite:" + path_.string();
#endif
    }
    static const char* backend() {
#ifdef IAS_TEST_POSTGRES
        return "postgres";
#else
        return "sqlite";
#endif
    }

private:
    std::string base_, name_, conninfo_;
    std::filesystem::path path_;
};

}  // namespace ias::service::test
