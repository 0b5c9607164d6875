// SPDX-License-Identifier: Apache-2.0
// Two `ias-unblockd serve` processes (A and B) sharing one database: PostgreSQL in
// service_pg_tests (label postgres, issue #5: several stateless instances behind a load
// balancer), one SQLite file in service_unit_tests. Every counter must stay exact whichever
// instance answers: the row lock on the case is taken in the database, not in a process.
#include <algorithm>
#include <sstream>
#include <thread>

#include "daemon_fixture.hpp"
#include "store_fixture.hpp"

using namespace ias::service::test;

namespace {


class TwoInstances : public ::testing::Test {
protected:
    void SetUp() override {
        a.start();
        b.start();
    }
    const Daemon& pick(int i) const { return i % 2 == 0 ? a : b; }
    TestDatabase db;
    DaemonFiles files;
    Daemon a{files, "A", db.spec()};
    Daemon b{files, "B", db.spec()};
};

}  // namespace

TEST_F(TwoInstances, CaseFromAVerifiedOnBConfirmedOnB) {
    const std::string serial = "9250001000000012345F";
    const std::string secret = a.issueSecret(serial);
    ASSERT_EQ(secret.size(), 22u);
    const auto v = b.must("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", secret}});
    ASSERT_EQ(v.status, 200) << v.raw;
    const std::string ticket = v.body["ticket"];
    // The ticket B issued works on A, and A's cryptogram counts on B.
    EXPECT_EQ(a.must("POST", "/v1/unblock/cryptogram", {{"ticket", ticket}, {"challenge", kChallenge}}).status, 200);
    // A ticket from A confirmed on B.
    const auto v2 = a.must("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", secret}});
    ASSERT_EQ(v2.status, 200);
    const std::string ticketA = v2.body["ticket"];
    EXPECT_EQ(b.must("POST", "/v1/unblock/cryptogram", {{"ticket", ticket}, {"challenge", kChallenge}}).body["error"],
              "bad_ticket")
        << "replaced by A's verify";
    EXPECT_EQ(b.must("POST", "/v1/unblock/confirm", {{"ticket", ticketA}, {"outcome", "done"}, {"tries_after", 3}}).status,
              204);
    // Consumed for both.
    EXPECT_EQ(a.must("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", secret}}).body["error"], "used_up");
    EXPECT_EQ(b.must("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", secret}}).body["error"], "used_up");
    EXPECT_EQ(a.must("POST", "/v1/unblock/confirm", {{"ticket", ticketA}, {"outcome", "done"}}).status, 401);
    const auto cases = b.must("GET", "/v1/admin/cases", nullptr, DaemonFiles::kToken);
    ASSERT_EQ(cases.body.size(), 1u);
    EXPECT_EQ(cases.body[0]["state"], "consumed");
    EXPECT_EQ(cases.body[0]["cryptograms_used"], 1);
}

// Rounds of 8 simultaneous verifies of one secret, alternating A and B: each round leaves
// exactly one live ticket (a verify replaces the previous one), and however the cryptogram
// requests are spread, the secret gives exactly 3 cryptograms in total.
TEST_F(TwoInstances, ParallelVerifiesAcrossInstancesNeverExceedTheLimits) {
    const std::string serial = "0010000000123460";
    const std::string secret = a.issueSecret(serial);
    int cryptograms = 0;
    for (int round = 0; round < 4; ++round) {
        std::vector<std::string> tickets(8);
        std::vector<std::thread> threads;
        threads.reserve(8);
        for (int i = 0; i < 8; ++i)
            threads.emplace_back([&, i] {
                const auto r = pick(i).call("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", secret}});
                if (r && r->status == 200) tickets[static_cast<std::size_t>(i)] = r->body["ticket"];
            });
        for (auto& t : threads) t.join();
        threads.clear();
        std::vector<int> ok(8, 0);
        for (int i = 0; i < 8; ++i)
            threads.emplace_back([&, i] {
                const auto& t = tickets[static_cast<std::size_t>(i)];
                if (t.empty()) return;
                const auto r = pick(i + 1).call("POST", "/v1/unblock/cryptogram", {{"ticket", t}, {"challenge", kChallenge}});
                ok[static_cast<std::size_t>(i)] = r && r->status == 200 ? 1 : 0;
            });
        for (auto& t : threads) t.join();
        const int usable = static_cast<int>(std::count(ok.begin(), ok.end(), 1));
        const int issued = static_cast<int>(std::count_if(tickets.begin(), tickets.end(), [](auto& t) { return !t.empty(); }));
        if (round < 3) {
            EXPECT_EQ(issued, 8) << "round " << round;
            EXPECT_EQ(usable, 1) << "round " << round << ": one live ticket per secret";
        } else {
            EXPECT_EQ(issued, 0) << "3 cryptograms spent: no more tickets";
            EXPECT_EQ(usable, 0);
        }
        cryptograms += usable;
    }
    EXPECT_EQ(cryptograms, 3);
    EXPECT_EQ(b.must("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", secret}}).body["error"], "used_up");
}

// 5 simultaneous wrong tries, spread over A and B: exactly three are counted (2, 1, 0),
// the others find the secret blocked; tries_left is 0 exactly, and the right secret is refused.
TEST_F(TwoInstances, ParallelWrongTriesAcrossInstancesLeaveZeroExactly) {
    const std::string serial = "0010000000123461";
    const std::string secret = b.issueSecret(serial);
    const std::string wrong = wrongOf(secret);
    std::vector<std::string> results(5);
    std::vector<std::thread> threads;
    threads.reserve(results.size());
    for (int i = 0; i < 5; ++i)
        threads.emplace_back([&, i] {
            const auto r = pick(i).must("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", wrong}});
            results[static_cast<std::size_t>(i)] = r.body.value("error", "?") +
                                                   (r.body.contains("tries_left") ? std::to_string(r.body["tries_left"].get<int>()) : "");
        });
    for (auto& t : threads) t.join();
    std::sort(results.begin(), results.end());
    EXPECT_EQ(results, (std::vector<std::string>{"blocked", "blocked", "wrong_secret0", "wrong_secret1", "wrong_secret2"}));
    const auto cases = a.must("GET", "/v1/admin/cases", nullptr, DaemonFiles::kToken);
    ASSERT_EQ(cases.body.size(), 1u);
    EXPECT_EQ(cases.body[0]["secret_tries_left"], 0);
    EXPECT_EQ(a.must("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", secret}}).body["error"], "blocked");
    EXPECT_EQ(b.must("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", secret}}).body["error"], "blocked");
}

// The per-serial limit holds for A and B together (issue #5): 12 simultaneous verifies spread
// over both, with a burst of 6 and no refill to speak of during the test (0.01 a minute),
// give exactly 6 answers and 6 refusals (429); restarting both keeps the window (it is in the
// database); each refusal is in the audit log of the instance that gave it, with the limit's
// name, and no secret or ticket is in either log.
TEST(TwoInstancesRateLimit, PerSerialLimitHoldsInTotalAndAcrossRestarts) {
    TestDatabase db;
    DaemonFiles files;
    const std::vector<std::string> limit{"rate.serial_burst=6", "rate.serial_per_minute=0.01"};
    Daemon a{files, "A", db.spec(), limit};
    Daemon b{files, "B", db.spec(), limit};
    ASSERT_NO_FATAL_FAILURE(a.start());
    ASSERT_NO_FATAL_FAILURE(b.start());
    const std::string serial = "0010000000123470";
    const std::string secret = a.issueSecret(serial);
    std::vector<int> status(12, 0);
    std::vector<std::string> tickets(12);
    std::vector<std::thread> threads;
    threads.reserve(12);
    for (int i = 0; i < 12; ++i)
        threads.emplace_back([&, i] {
            const auto r = (i % 2 == 0 ? a : b).must("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", secret}});
            status[static_cast<std::size_t>(i)] = r.status;
            if (r.status == 200) tickets[static_cast<std::size_t>(i)] = r.body.value("ticket", "");
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(std::count(status.begin(), status.end(), 200), 6);
    EXPECT_EQ(std::count(status.begin(), status.end(), 429), 6);
    a.stop();
    b.stop();
    ASSERT_NO_FATAL_FAILURE(b.start());
    ASSERT_NO_FATAL_FAILURE(a.start());
    EXPECT_EQ(a.must("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", secret}}).status, 429);
    EXPECT_EQ(b.must("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", secret}}).status, 429);
    EXPECT_EQ(a.must("POST", "/v1/unblock/verify", {{"serial", "0010000000123471"}, {"secret", secret}}).status, 404)
        << "another serial";

    int refusals = 0;
    std::string compact = secret;
    std::erase(compact, '-');
    for (const Daemon* d : {&a, &b}) {
        const std::string log = readWhole(d->auditPath());
        std::istringstream in(log);
        for (std::string line; std::getline(in, line);) {
            const auto j = nlohmann::json::parse(line, nullptr, false);
            if (!j.is_object() || j.value("result", "") != "rate_limited") continue;
            ++refusals;
            EXPECT_EQ(j.value("limit", ""), "serial") << line;
            EXPECT_EQ(j.value("serial", ""), serial) << line;
            EXPECT_FALSE(j.value("rid", "").empty()) << line;
        }
        EXPECT_EQ(log.find(secret), std::string::npos);
        EXPECT_EQ(log.find(compact), std::string::npos);
        for (const auto& t : tickets) {
            if (!t.empty()) {
                EXPECT_EQ(log.find(t), std::string::npos);
            }
        }
    }
    EXPECT_EQ(refusals, 8);
}
