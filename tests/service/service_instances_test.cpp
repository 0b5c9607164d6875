// Two `ias-unblockd serve` processes (A and B) sharing one database: PostgreSQL in
// service_pg_tests (label postgres, issue #5: several stateless instances behind a load
// balancer), one SQLite file in service_unit_tests. Every counter must stay exact whichever
// instance answers: the row lock on the case is taken in the database, not in a process.
#include <algorithm>
#include <thread>

#include "daemon_fixture.hpp"
#include "store_fixture.hpp"

using namespace ias::service::test;

namespace {

constexpr const char* kChallenge = "0102030405060708";

class TwoInstances : public ::testing::Test {
protected:
    void SetUp() override {
        a.start();
        b.start();
    }
    const Daemon& pick(int i) const { return i % 2 == 0 ? a : b; }
    static std::string wrongOf(std::string secret) {
        secret[0] = secret[0] == '0' ? '1' : '0';
        return secret;
    }

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
