// Load benchmark of POST /v1/unblock/verify: an in-process ias-unblockd (HTTPS, SoftHSM,
// SQLite or PostgreSQL) and N keep-alive clients, each verifying its own case's secret.
// Prints calls/s and p50/p99 latency per client count.
//   service_bench [sqlite|postgres] [seconds per level] [client counts...]
//   (postgres: IAS_TEST_PG from scripts/service-world.sh start)
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/tokens.hpp"
#include "core/unblock_service.hpp"
#include "hsm_fixture.hpp"
#include "http/server.hpp"
#include "store/sql.hpp"
#include "tls_fixture.hpp"

using namespace ias;
using namespace ias::service;
using Steady = std::chrono::steady_clock;
using nlohmann::json;

namespace {

struct Level {
    int clients;
    double callsPerSecond;
    double p50ms, p99ms;
    long errors;
};

std::unique_ptr<httplib::SSLClient> client(int port) {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    c->set_ca_cert_path(test::testTls().cert.c_str());
    c->enable_server_certificate_verification(true);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    return c;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string backend = argc > 1 ? argv[1] : "sqlite";
    const int seconds = argc > 2 ? std::atoi(argv[2]) : 5;
    std::vector<int> levels;
    for (int i = 3; i < argc; ++i) levels.push_back(std::atoi(argv[i]));
    if (levels.empty()) levels = {1, 10, 100};
    const int maxClients = *std::max_element(levels.begin(), levels.end());

    ServiceConfig config;
    config.listen = "127.0.0.1";
    config.port = 0;
    config.tlsCert = test::testTls().cert;
    config.tlsKey = test::testTls().key;
    config.answerIterations = 1000;
    config.serialPerMinute = config.serialBurst = 1e9;
    config.clientPerMinute = config.clientBurst = 1e9;
    config.threads = maxClients + 8;
    std::string dbPath;
    std::unique_ptr<store::Store> store;
    if (backend == "postgres") {
        const char* pg = std::getenv("IAS_TEST_PG");
        if (!pg) {
            std::cerr << "IAS_TEST_PG not set (eval $(scripts/service-world.sh start))\n";
            return 2;
        }
        const std::string db = "ias_bench_" + std::to_string(::getpid());
        store::openPostgres(std::string(pg) + " dbname=postgres")->exec("CREATE DATABASE " + db);
        store = store::openPostgresStore(std::string(pg) + " dbname=" + db, 16);
    } else {
        dbPath = "/tmp/ias-bench-" + std::to_string(::getpid()) + ".sqlite";
        store = store::openSqliteStore(dbPath);
    }
    SystemClock clock;
    std::ostringstream auditSink, diagnostics;
    AuditLog audit(auditSink, clock);
    config.hsm = test::testHsmConfig();
    config.hsm.sessions = 16;
    test::ensureTestToken();
    hsm::Hsm hsm(config.hsm);
    UnblockService service(config, *store, &hsm, clock, audit);
    http::Server server(service, tokenHash(std::string_view("bench-admin")), diagnostics);
    const int port = server.bind();
    config.publicUrl = "https://127.0.0.1:" + std::to_string(port);
    server.start();

    // One case and secret per client.
    std::vector<std::pair<std::string, std::string>> secrets;
    for (int i = 0; i < maxClients; ++i) {
        char serial[17];
        std::snprintf(serial, sizeof serial, "00100000%08X", i);
        auto c = client(port);
        auto r = c->Post("/v1/admin/cases", httplib::Headers{{"Authorization", "Bearer bench-admin"}},
                         json{{"serial", serial}, {"email", "b@example.org"},
                              {"questions", {{{"question", "q"}, {"answer", "a"}}}}}.dump(), "application/json");
        const std::string link = json::parse(r->body)["link"];
        auto a = c->Post("/v1/holder/answers", httplib::Headers{{"Authorization", "Bearer " + link.substr(link.rfind('/') + 1)}},
                         json{{"answers", {"a"}}}.dump(), "application/json");
        secrets.emplace_back(serial, json::parse(a->body)["secret"].get<std::string>());
    }

    std::printf("backend=%s seconds=%d cores=%u\n", backend.c_str(), seconds, std::thread::hardware_concurrency());
    std::printf("%8s %12s %10s %10s %8s\n", "clients", "verify/s", "p50 ms", "p99 ms", "errors");
    for (int n : levels) {
        std::vector<std::vector<double>> lat(static_cast<std::size_t>(n));
        std::atomic<long> errors{0};
        std::atomic<bool> stop{false};
        std::vector<std::thread> threads;
        for (int t = 0; t < n; ++t) {
            threads.emplace_back([&, t] {
                auto c = client(port);
                const std::string body =
                    json{{"serial", secrets[static_cast<std::size_t>(t)].first}, {"secret", secrets[static_cast<std::size_t>(t)].second}}.dump();
                while (!stop) {
                    const auto t0 = Steady::now();
                    auto r = c->Post("/v1/unblock/verify", body, "application/json");
                    const double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
                    if (!r || r->status != 200) ++errors;
                    lat[static_cast<std::size_t>(t)].push_back(ms);
                }
            });
        }
        const auto start = Steady::now();
        std::this_thread::sleep_for(std::chrono::seconds(seconds));
        stop = true;
        for (auto& th : threads) th.join();
        const double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
        std::vector<double> all;
        for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
        std::sort(all.begin(), all.end());
        auto pct = [&](double p) { return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * static_cast<double>(all.size() - 1))]; };
        std::printf("%8d %12.0f %10.2f %10.2f %8ld\n", n, static_cast<double>(all.size()) / elapsed, pct(0.5), pct(0.99),
                    errors.load());
        std::fflush(stdout);
    }
    server.stop();
    if (!dbPath.empty())
        for (const char* s : {"", "-wal", "-shm"}) std::remove((dbPath + s).c_str());
    return 0;
}
