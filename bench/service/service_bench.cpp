// SPDX-License-Identifier: Apache-2.0
// Load benchmark of POST /v1/unblock/verify: an in-process ias-unblockd (HTTPS, SoftHSM,
// SQLite or PostgreSQL) and N keep-alive clients, each verifying its own case's secret with
// the right secret (HMAC in the HSM + one write transaction: the new ticket replaces the
// old one). The clients are closed-loop with no think time: each sends its next request
// as soon as the previous answer arrives, so by Little's law mean latency = N / throughput
// once the server is saturated. Clients and server share the machine's cores (the clients'
// TLS and JSON cost is included in "cpu ms/call").
// Prints calls/s, p50/p99 latency, process CPU time per call and cores busy per level, and
// the load average (other processes on the machine) before each level.
// IAS_BENCH_RATE=R makes the clients open-loop instead: together they offer R calls/s, each
// on a fixed schedule (R/N a second, staggered), and a call's latency counts from the time
// it was due, so a server that falls behind is charged for the wait (no coordinated
// omission). That measures the latency at a given load with N clients connected.
//   service_bench [sqlite|postgres] [seconds per level] [client counts...]
//   (postgres: IAS_TEST_PG from scripts/service-world.sh start)
// Exits 1 if any call failed (used as a short smoke test by ctest).
#include <httplib.h>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "bench_args.hpp"
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

double cpuSeconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string loadAverage() {
    std::ifstream f("/proc/loadavg");
    std::string one;
    f >> one;
    return one;
}

int usage(const std::string& why) {
    std::cerr << "service_bench: " << why
              << "\nusage: service_bench [sqlite|postgres] [seconds per level] [client counts...]\n";
    return 2;
}

std::unique_ptr<httplib::SSLClient> client(int port) {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    c->set_ca_cert_path(test::testTls().cert);
    c->enable_server_certificate_verification(true);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    return c;
}

}  // namespace

int main(int argc, char** argv) try {
    const std::string backend = argc > 1 ? argv[1] : "sqlite";
    if (backend != "sqlite" && backend != "postgres") return usage("unknown backend '" + backend + "'");
    int seconds = 5;
    if (argc > 2) {
        const auto parsed = bench::parseCount(argv[2], 1, 3600);
        if (!parsed) return usage("seconds per level must be 1..3600, not '" + std::string(argv[2]) + "'");
        seconds = *parsed;
    }
    std::vector<int> levels;
    for (int i = 3; i < argc; ++i) {
        const auto parsed = bench::parseCount(argv[i], 1, 10000);
        if (!parsed) return usage("a client count must be 1..10000, not '" + std::string(argv[i]) + "'");
        levels.push_back(*parsed);
    }
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
    // One server thread per keep-alive connection (cpp-httplib), plus spare: a connection
    // holds its thread until it closes or idles out. IAS_BENCH_THREADS overrides.
    config.threads = maxClients + 8;
    if (const char* threads = std::getenv("IAS_BENCH_THREADS")) {
        const auto parsed = bench::parseCount(threads, 1, 100000);
        if (!parsed) return usage("IAS_BENCH_THREADS must be 1..100000, not '" + std::string(threads) + "'");
        config.threads = *parsed;
    }
    double offeredRate = 0;  // calls/s over all clients; 0 = closed loop
    if (const char* rate = std::getenv("IAS_BENCH_RATE")) {
        const auto parsed = bench::parseCount(rate, 1, 1000000);
        if (!parsed) return usage("IAS_BENCH_RATE must be 1..1000000 calls/s, not '" + std::string(rate) + "'");
        offeredRate = *parsed;
    }
    const std::string dbPath = backend == "sqlite" ? "/tmp/ias-bench-" + std::to_string(::getpid()) + ".sqlite" : "";
    const bench::RemoveSqliteFiles cleanup(dbPath);
    std::string pgBase, pgDb;
    std::unique_ptr<store::Store> store;
    if (backend == "postgres") {
        const char* pg = std::getenv("IAS_TEST_PG");
        if (!pg) {
            std::cerr << "IAS_TEST_PG not set (eval $(scripts/service-world.sh start))\n";
            return 2;
        }
        pgBase = pg;
        pgDb = "ias_bench_" + std::to_string(::getpid());
        store::openPostgres(pgBase + " dbname=postgres")->exec("CREATE DATABASE " + pgDb);
        store = store::openPostgresStore(pgBase + " dbname=" + pgDb, 16);
    } else {
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
        (void)std::snprintf(serial, sizeof serial, "00100000%08X", i);
        auto c = client(port);
        auto r = c->Post("/v1/admin/cases", httplib::Headers{{"Authorization", "Bearer bench-admin"}},
                         json{{"serial", serial}, {"email", "b@example.org"},
                              {"questions", {{{"question", "q"}, {"answer", "a"}}}}}.dump(), "application/json");
        if (!r || r->status != 201) throw std::runtime_error("creating the bench cases failed");
        const std::string link = json::parse(r->body)["link"];
        auto a = c->Post("/v1/holder/answers", httplib::Headers{{"Authorization", "Bearer " + link.substr(link.rfind('/') + 1)}},
                         json{{"answers", {"a"}}}.dump(), "application/json");
        if (!a || a->status != 200) throw std::runtime_error("answering the bench cases failed");
        secrets.emplace_back(serial, json::parse(a->body)["secret"].get<std::string>());
    }

    std::printf("backend=%s seconds=%d cores=%u server_threads=%d load=%s\n", backend.c_str(), seconds,
                std::thread::hardware_concurrency(), config.threads,
                offeredRate > 0 ? ("open loop, " + std::to_string(static_cast<long>(offeredRate)) + " calls/s offered").c_str()
                                : "closed loop");
    std::printf("%8s %12s %10s %10s %12s %10s %8s %8s %8s %8s\n", "clients", "verify/s", "p50 ms", "p99 ms", "cpu ms/call",
                "cores", "load1", "served", "max ms", "errors");
    long totalErrors = 0;
    for (int n : levels) {
        std::vector<std::vector<double>> lat(static_cast<std::size_t>(n));
        std::atomic<long> errors{0};
        std::atomic<bool> stop{false}, go{false};
        std::atomic<int> ready{0};
        std::vector<std::thread> threads;
        threads.reserve(static_cast<std::size_t>(n));
        for (int t = 0; t < n; ++t) {
            threads.emplace_back([&, t] {
                auto c = client(port);
                const std::string body =
                    json{{"serial", secrets[static_cast<std::size_t>(t)].first}, {"secret", secrets[static_cast<std::size_t>(t)].second}}.dump();
                // The connection and TLS handshake happen before the clock starts.
                auto first = c->Post("/v1/unblock/verify", body, "application/json");
                if (!first || first->status != 200) ++errors;
                ++ready;
                while (!go) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                // Open loop: call k of this client is due at first + k * interval.
                const auto interval = std::chrono::duration_cast<Steady::duration>(
                    std::chrono::duration<double>(offeredRate > 0 ? n / offeredRate : 0.0));
                auto due = Steady::now() + interval * t / n;
                for (;;) {
                    if (offeredRate > 0) std::this_thread::sleep_until(due);
                    if (stop) break;
                    const auto t0 = offeredRate > 0 ? due : Steady::now();
                    due += interval;
                    auto r = c->Post("/v1/unblock/verify", body, "application/json");
                    const double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
                    if (!r || r->status != 200) ++errors;
                    lat[static_cast<std::size_t>(t)].push_back(ms);
                }
            });
        }
        while (ready < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        go = true;
        const std::string load = loadAverage();
        const double cpu0 = cpuSeconds();
        const auto start = Steady::now();
        std::this_thread::sleep_for(std::chrono::seconds(seconds));
        stop = true;
        for (auto& th : threads) th.join();
        const double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
        const double cpu = cpuSeconds() - cpu0;
        std::vector<double> all;
        int served = 0;  // clients with at least one answered call (a starved one has none)
        for (auto& v : lat) {
            all.insert(all.end(), v.begin(), v.end());
            served += v.empty() ? 0 : 1;
        }
        std::sort(all.begin(), all.end());
        auto pct = [&](double p) { return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * static_cast<double>(all.size() - 1))]; };
        std::printf("%8d %12.0f %10.2f %10.2f %12.3f %10.2f %8s %8d %8.0f %8ld\n", n, static_cast<double>(all.size()) / elapsed,
                    pct(0.5), pct(0.99), all.empty() ? 0.0 : cpu * 1000.0 / static_cast<double>(all.size()),
                    cpu / elapsed, load.c_str(), served, all.empty() ? 0.0 : all.back(), errors.load());
        totalErrors += errors.load() + (n - served);
        if (std::fflush(stdout) != 0) throw std::runtime_error("cannot write the results to stdout");
    }
    server.stop();
    if (!pgDb.empty()) {
        store.reset();
        store::openPostgres(pgBase + " dbname=postgres")->exec("DROP DATABASE IF EXISTS " + pgDb + " WITH (FORCE)");
    }
    return totalErrors == 0 ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "service_bench: " << e.what() << "\n";
    return 2;
} catch (...) {
    std::cerr << "service_bench: unknown exception\n";
    return 2;
}
