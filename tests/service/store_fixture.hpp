// SPDX-License-Identifier: Apache-2.0
// A fresh store per test: SQLite in a temporary file, or (IAS_TEST_BACKEND=postgres: the
// "pg." tests of service_backend_tests, label postgres) a fresh PostgreSQL database on the
// server started by scripts/service-world.sh (connection string in IAS_TEST_PG, e.g.
// "host=/tmp/x port=5433"). One binary serves both backends, so its heavy test sources are
// compiled once per build tree.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "store/sql.hpp"
#include "store/store.hpp"

namespace ias::service::test {

// The card serial and the challenge the service suites use.
inline constexpr const char* kSerial = "9250001000000012345F";
inline constexpr const char* kChallenge = "0102030405060708";

// The secret with its first character changed: a wrong secret of the right form.
inline std::string wrongOf(std::string secret) {
    secret[0] = secret[0] == '0' ? '1' : '0';
    return secret;
}

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

// The backend of this test process: IAS_TEST_BACKEND, "sqlite" (or unset) or "postgres".
inline bool onPostgres() {
    static const bool postgres = [] {
        const char* v = std::getenv("IAS_TEST_BACKEND");
        const std::string_view backend = v != nullptr ? v : "sqlite";
        if (backend != "sqlite" && backend != "postgres")
            throw std::runtime_error("IAS_TEST_BACKEND must be sqlite or postgres");
        return backend == "postgres";
    }();
    return postgres;
}

class TestDatabase {
public:
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;
    TestDatabase() {
        static std::atomic<int> counter{0};
        const std::string name = "ias_t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
        if (postgres_) {
            const char* base = std::getenv("IAS_TEST_PG");
            if (!base) throw std::runtime_error("IAS_TEST_PG is not set (run scripts/service-world.sh)");
            base_ = base;
            store::openPostgres(base_ + " dbname=postgres")->exec("CREATE DATABASE " + name);
            name_ = name;
            conninfo_ = base_ + " dbname=" + name;
        } else {
            path_ = std::filesystem::temp_directory_path() / (name + ".sqlite");
        }
    }
    ~TestDatabase() {
        if (postgres_) {
            try {
                store::openPostgres(base_ + " dbname=postgres")->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
            } catch (...) {
            }
        } else {
            std::error_code ec;
            for (const char* suffix : {"", "-wal", "-shm"})
                std::filesystem::remove(path_.string() + suffix, ec);
        }
    }
    std::unique_ptr<store::Store> open(std::size_t pool = 4) const {
        if (postgres_) return store::openPostgresStore(conninfo_, pool);
        return store::openSqliteStore(path_.string());
    }
    std::string path() const { return path_.string(); }
    // A plain SQL connection to this database (for checks below the Store interface).
    std::unique_ptr<store::SqlConnection> connection() const {
        if (postgres_) return store::openPostgres(conninfo_);
        return store::openSqlite(path_.string());
    }
    // The `database` setting of ias-unblockd for this database.
    std::string spec() const {
        if (postgres_) return "postgres:" + conninfo_;
        return "sqlite:" + path_.string();
    }
    static const char* backend() { return onPostgres() ? "postgres" : "sqlite"; }

private:
    bool postgres_ = onPostgres();
    std::string base_, name_, conninfo_;
    std::filesystem::path path_;
};

}  // namespace ias::service::test
