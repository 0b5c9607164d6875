// SPDX-License-Identifier: Apache-2.0
// Rate limits shared by every instance (issue #5): token buckets in the database (table
// rate_buckets), per serial and per client address, on SQLite and PostgreSQL. Store level:
// burst, refill, exact counting under concurrency from two stores (two processes' worth of
// connections), purge of full buckets. Service level: 429 at the right count, audit record
// of the refusal, a restart keeps the window, X-Forwarded-For only from trusted proxies.
// (Two real processes sharing a database: service_instances_test.cpp.)
#include <thread>

#include "service_fixture.hpp"

using namespace ias;
using namespace ias::service;
using namespace ias::service::test;

namespace {

std::int64_t bucketRows(const TestDatabase& db) {
    return std::stoll(db.connection()->query("SELECT COUNT(*) FROM rate_buckets").at(0).at(0).value_or("-1"));
}

store::RateTake take(store::Store& st, const std::string& kind, const std::string& subject, const store::RateRule& rule,
                     store::Time now) {
    const auto out = st.takeRateTokens({{kind, subject, rule}}, now);
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? store::RateTake{} : out[0];
}

class RateStore : public ::testing::Test {
protected:
    TestDatabase db;
    std::unique_ptr<store::Store> s = db.open();
};

}  // namespace

TEST_F(RateStore, BurstThenRefillAtTheRate) {
    const store::RateRule rule{10, 3};  // 3 at once, then one every 6 s
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(take(*s, "serial", "0A0B", rule, 1000).allowed) << i;
    EXPECT_FALSE(take(*s, "serial", "0A0B", rule, 1000).allowed);
    EXPECT_TRUE(take(*s, "serial", "0A0C", rule, 1000).allowed) << "other subject";
    EXPECT_TRUE(take(*s, "client", "0A0B", rule, 1000).allowed) << "other kind";
    EXPECT_FALSE(take(*s, "serial", "0A0B", rule, 1005).allowed) << "5 s: 5/6 of a token";
    const store::RateTake t = take(*s, "serial", "0A0B", rule, 1006);
    EXPECT_TRUE(t.allowed);
    EXPECT_EQ(t.emptyUntil, 1012) << "empty again: the next token in 6 s";
    EXPECT_FALSE(take(*s, "serial", "0A0B", rule, 1011).allowed);
    // A clock that goes back does not drain the bucket (nor refill it).
    EXPECT_FALSE(take(*s, "serial", "0A0B", rule, 900).allowed);
    EXPECT_TRUE(take(*s, "serial", "0A0B", rule, 1012).allowed);
    // A long pause fills the bucket up to the burst, not beyond.
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(take(*s, "serial", "0A0B", rule, 1'000'000).allowed) << i;
    EXPECT_FALSE(take(*s, "serial", "0A0B", rule, 1'000'000).allowed);
}

TEST_F(RateStore, SeveralBucketsStopAtTheFirstRefusal) {
    const store::RateRule one{1, 1}, many{1, 100};
    EXPECT_TRUE(take(*s, "client", "c", one, 1000).allowed);
    const auto out = s->takeRateTokens({{"client", "c", one}, {"serial", "s", many}}, 1000);
    ASSERT_EQ(out.size(), 1u) << "the serial's bucket is not tried";
    EXPECT_FALSE(out[0].allowed);
    const auto both = s->takeRateTokens({{"serial", "s", many}, {"client", "d", one}}, 1000);
    ASSERT_EQ(both.size(), 2u);
    EXPECT_TRUE(both[0].allowed && both[1].allowed);
    EXPECT_EQ(both[0].emptyUntil, 0) << "99 tokens left";
    EXPECT_EQ(both[1].emptyUntil, 1060);
    EXPECT_EQ(bucketRows(db), 3);
    EXPECT_TRUE(s->takeRateTokens({}, 1000).empty());
}

TEST_F(RateStore, ParallelTakesFromTwoStoresCountExactly) {
    auto other = db.open();
    const store::RateRule rule{1, 25};
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            store::Store& st = t % 2 == 0 ? *s : *other;
            for (int i = 0; i < 10; ++i)
                if (take(st, "serial", "0A0B", rule, 1000).allowed) ++allowed;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(allowed.load(), 25) << "80 takes, burst 25";
    EXPECT_FALSE(take(*other, "serial", "0A0B", rule, 1000).allowed);
}

TEST_F(RateStore, PurgeDeletesOnlyFullBuckets) {
    const store::RateRule rule{60, 5};  // full again 5 s after any take
    EXPECT_TRUE(take(*s, "serial", "a", rule, 1000).allowed);
    EXPECT_TRUE(take(*s, "serial", "b", rule, 1005).allowed);
    EXPECT_TRUE(take(*s, "client", "a", rule, 1000).allowed);
    EXPECT_EQ(bucketRows(db), 3);
    s->purgeRateBuckets("serial", rule, 1009);
    EXPECT_EQ(bucketRows(db), 2) << "serial/a is full at 1005 and gone; serial/b (4 s) and client/a stay";
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(take(*s, "serial", "a", rule, 1009).allowed) << i;
    EXPECT_FALSE(take(*s, "serial", "a", rule, 1009).allowed);
    s->purgeRateBuckets("client", rule, 2000);
    s->purgeRateBuckets("serial", rule, 2000);
    EXPECT_EQ(bucketRows(db), 0);
}

namespace {

class RateService : public ServiceWorld {
protected:
    void adjustConfig(ServiceConfig& c) override {
        c.serialBurst = 5;
        c.serialPerMinute = 5;
    }
    // The service as after a restart of the process: new store, limiter, server.
    void restart() {
        server->stop();
        server.reset();
        service.reset();
        store = db.open(8);
        service = std::make_unique<UnblockService>(config, *store, sharedTestHsm().get(), clock, audit);
        server = std::make_unique<http::Server>(*service, tokenHash(std::string_view(kAdminToken)), diagnostics);
        port = server->bind();
        server->start();
    }
    Reply postFrom(const std::string& path, const json& body, const std::vector<std::string>& forwardedFor) {
        httplib::Headers h;
        for (const auto& f : forwardedFor) h.emplace("X-Forwarded-For", f);
        return keep(client()->Post(path, h, body.dump(), "application/json"));
    }
    std::vector<json> auditLines(const std::string& result) const {
        std::vector<json> out;
        std::istringstream in(auditText.str());
        for (std::string line; std::getline(in, line);) {
            json j = json::parse(line, nullptr, false);
            if (j.is_object() && j.value("result", "") == result) out.push_back(j);
        }
        return out;
    }
};

class ClientRate : public RateService {
protected:
    void adjustConfig(ServiceConfig& c) override {
        c.clientBurst = 4;
        c.clientPerMinute = 4;
        c.trustedProxies = parseNetworks(proxies);
    }
    std::string proxies = "127.0.0.1";
};
class ClientRateNoProxy : public ClientRate {
protected:
    ClientRateNoProxy() { proxies = ""; }
};

}  // namespace

TEST_F(RateService, SerialLimitIsAuditedAndSurvivesARestart) {
    const std::string serial = "0010000000123480";
    const std::string secret = issueSecret(serial);
    std::vector<std::string> tickets;
    for (int i = 0; i < 5; ++i) {
        const Reply r = verify(serial, secret);
        ASSERT_EQ(r.status, 200) << i << r.raw;
        tickets.push_back(r.body["ticket"]);
    }
    const Reply refused = verify(serial, secret);
    EXPECT_EQ(refused.status, 429) << refused.raw;
    EXPECT_EQ(refused.body["error"], "rate_limited");
    EXPECT_EQ(refused.retryAfter, "12") << "5 a minute: a token every 12 s";
    restart();
    EXPECT_EQ(verify(serial, secret).status, 429) << "the window is in the database";
    clock.advance(12);  // 5 a minute: one token back
    EXPECT_EQ(verify(serial, secret).status, 200);
    EXPECT_EQ(verify(serial, secret).status, 429);

    const auto lines = auditLines("rate_limited");
    ASSERT_EQ(lines.size(), 3u) << auditText.str();
    EXPECT_EQ(lines[0].value("rid", ""), refused.body.value("request_id", "?"));
    for (const json& j : lines) {
        EXPECT_EQ(j.value("event", ""), "verify");
        EXPECT_EQ(j.value("serial", ""), serial);
        EXPECT_EQ(j.value("limit", ""), "serial");
        EXPECT_EQ(j.value("client", ""), "127.0.0.1");
    }
    std::string compact = secret;
    std::erase(compact, '-');
    const std::string all = auditText.str() + diagnostics.str();
    EXPECT_EQ(all.find(secret), std::string::npos);
    EXPECT_EQ(all.find(compact), std::string::npos);
    for (const auto& t : tickets) EXPECT_EQ(all.find(t), std::string::npos);
}

TEST_F(ClientRate, ForwardedForNamesTheClientBehindATrustedProxy) {
    auto unknown = [&](const std::vector<std::string>& xff) {
        return postFrom("/v1/unblock/verify", {{"serial", "0A0B"}, {"secret", "x"}}, xff).status;
    };
    for (int i = 0; i < 4; ++i) EXPECT_EQ(unknown({"203.0.113.9"}), 404) << i;
    EXPECT_EQ(unknown({"203.0.113.9"}), 429);
    EXPECT_EQ(unknown({"203.0.113.10"}), 404) << "another client behind the proxy";
    // The entries left of the proxy's own are the client's word: ignored.
    EXPECT_EQ(unknown({"203.0.113.10, 203.0.113.9"}), 429);
    EXPECT_EQ(unknown({"203.0.113.10", "203.0.113.9"}), 429) << "several headers are one list";
    // A chain of trusted proxies is walked to the first untrusted address.
    EXPECT_EQ(unknown({"203.0.113.9, 127.0.0.1"}), 429);
    EXPECT_EQ(unknown({}), 404) << "no header: the proxy itself is the client";
    const auto lines = auditLines("rate_limited");
    ASSERT_EQ(lines.size(), 4u);
    for (const json& j : lines) {
        EXPECT_EQ(j.value("client", ""), "203.0.113.9");
        EXPECT_EQ(j.value("limit", ""), "client");
    }
}

TEST_F(ClientRateNoProxy, ForwardedForIsIgnoredFromOtherPeers) {
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(postFrom("/v1/unblock/verify", {{"serial", "0A0B"}, {"secret", "x"}}, {"203.0.113." + std::to_string(i)})
                      .status,
                  404)
            << i;
    EXPECT_EQ(postFrom("/v1/unblock/verify", {{"serial", "0A0B"}, {"secret", "x"}}, {"203.0.113.99"}).status, 429);
    // Every limited endpoint counts on the same bucket.
    EXPECT_EQ(post("/v1/unblock/cryptogram", {{"ticket", std::string(64, 'a')}, {"challenge", "0102030405060708"}}).status,
              429);
    EXPECT_EQ(post("/v1/unblock/confirm", {{"ticket", std::string(64, 'a')}, {"outcome", "done"}}).status, 429);
    EXPECT_EQ(get("/v1/holder/case", std::string(64, 'a')).status, 429);
    const auto lines = auditLines("rate_limited");
    ASSERT_EQ(lines.size(), 4u);
    for (const json& j : lines) EXPECT_EQ(j.value("client", ""), "127.0.0.1");
}

namespace {
class AdminRate : public RateService {
protected:
    void adjustConfig(ServiceConfig& c) override {
        c.adminBurst = 3;
        c.adminPerMinute = 2;
    }
};
}  // namespace

// Every admin request counts, before the token is looked at: a client guessing tokens gets
// 429 after the burst, the right token too until a token comes back (Retry-After).
TEST_F(AdminRate, AdminRequestsAreLimitedPerClientBeforeTheTokenCheck) {
    EXPECT_EQ(get("/v1/admin/cases", kAdminToken).status, 200);
    EXPECT_EQ(get("/v1/admin/cases", "wrong-token-guess").status, 401);
    EXPECT_EQ(get("/v1/admin/outbox").status, 401);
    const Reply limited = get("/v1/admin/cases", kAdminToken);
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.body["error"], "rate_limited");
    EXPECT_EQ(limited.retryAfter, "30") << "2 a minute";
    EXPECT_EQ(get("/v1/admin/cases", "wrong-token-guess").status, 429);
    clock.advance(30);
    EXPECT_EQ(get("/v1/admin/cases", kAdminToken).status, 200);
    // The holder and module APIs have their own buckets.
    EXPECT_EQ(get("/v1/holder/case", std::string(64, 'a')).status, 404);
    const auto limitedLines = auditLines("rate_limited");
    ASSERT_EQ(limitedLines.size(), 2u) << auditText.str();
    for (const json& j : limitedLines) EXPECT_EQ(j.value("limit", ""), "admin");
    const auto unauthorized = auditLines("unauthorized");
    ASSERT_EQ(unauthorized.size(), 2u) << auditText.str();
    EXPECT_EQ(unauthorized[0].value("event", ""), "admin GET /v1/admin/cases");
    const std::string all = auditText.str() + diagnostics.str();
    EXPECT_EQ(all.find(kAdminToken), std::string::npos);
    EXPECT_EQ(all.find("wrong-token-guess"), std::string::npos);
}

// A database that turns read-only (a failover to a standby): the limiter's write fails and
// the request is answered the same 503 as any storage error; once writable, counting resumes
// where it was.
class RateServiceOnPostgres : public RateService {};  // only in the PostgreSQL run (CMakeLists.txt)
TEST_F(RateServiceOnPostgres, ReadOnlyDatabaseGives503FromTheLimiter) {
    EXPECT_EQ(verify("0A0B", "x").status, 404);
    auto admin = db.connection();
    const std::string name = admin->query("SELECT current_database()").at(0).at(0).value_or("");
    auto dropAll = [&] {
        admin->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()");
    };
    admin->exec("ALTER DATABASE " + name + " SET default_transaction_read_only = on");
    dropAll();
    const Reply r = verify("0A0B", "x");
    EXPECT_EQ(r.status, 503) << r.raw;
    EXPECT_EQ(r.body["error"], "unavailable");
    EXPECT_NE(diagnostics.str().find("storage unavailable"), std::string::npos) << diagnostics.str();
    admin->exec("ALTER DATABASE " + name + " RESET default_transaction_read_only");
    dropAll();
    for (int i = 0; i < 4; ++i) EXPECT_EQ(verify("0A0B", "x").status, 404) << i;
    EXPECT_EQ(verify("0A0B", "x").status, 429) << "the refused request took no token";
}
