// SPDX-License-Identifier: Apache-2.0
// The revocation delivery queue (issue #21) on both backends: a block queues one request,
// support's request joins it, attempts back off exponentially and carry the same document
// and idempotency key, and two instances (two stores, two workers) never deliver a request
// twice. Schema migration 7 turns the requests recorded before into pending ones.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/case_machine.hpp"
#include "core/revocation.hpp"
#include "store_fixture.hpp"

using namespace ias::service;
using namespace ias::service::store;

namespace {

NewCase newCase(const std::string& serial, const std::string& link) {
    return test::newTestCase(serial, link, 1'700'000'000 + 86400);  // ManualClock's start + 1 day
}

// Answers from a script (true = delivered), records every attempt.
class ScriptedTransport final : public RevocationTransport {
public:
    explicit ScriptedTransport(std::vector<bool> answers = {}) : answers_(std::move(answers)) {}
    DeliveryResult deliver(const std::string& document, const std::string& key) override {
        std::lock_guard lock(mutex_);
        documents.push_back(document);
        keys.push_back(key);
        const bool ok = calls_ < answers_.size() ? answers_[calls_] : true;
        ++calls_;
        return {ok, ok ? "" : "HTTP 503"};
    }
    std::vector<std::string> documents, keys;

private:
    std::mutex mutex_;
    std::vector<bool> answers_;
    std::size_t calls_ = 0;
};

class ServiceRevocation : public ::testing::Test {
protected:
    std::int64_t blockedCase(const std::string& serial) {
        const auto id = *s->createCase(newCase(serial, "L" + serial), clock.now());
        for (int i = 0; i < 3; ++i) cases::submitAnswers(*s, id, false, SecretIssue{}, clock.now());
        return id;
    }
    test::TestDatabase db;
    std::unique_ptr<Store> s = db.open();
    ManualClock clock;
    RevocationConfig config;  // retry 30 s doubling to 3600 s
    std::ostringstream log;
};

}  // namespace

TEST_F(ServiceRevocation, ABlockQueuesOnePendingRequestWithAKey) {
    const auto id = blockedCase("0102");
    const auto all = s->listRevocationRequests();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].caseId, id);
    EXPECT_EQ(all[0].reasonCode, "keyCompromise");
    EXPECT_EQ(all[0].requestedBy, "block");
    EXPECT_EQ(all[0].state, RevocationState::Pending);
    EXPECT_EQ(all[0].idempotencyKey.size(), 32u);
    EXPECT_EQ(s->revocationQueueStats().depth, 1);
    EXPECT_EQ(s->revocationQueueStats().oldestCreatedAt, clock.now());
    // Another case, another key.
    blockedCase("0103");
    EXPECT_NE(s->listRevocationRequests()[1].idempotencyKey, all[0].idempotencyKey);
}

TEST_F(ServiceRevocation, SupportRequestJoinsTheCasesRequest) {
    const auto blocked = blockedCase("0102");
    const auto again = s->requestRevocation(blocked, "cessationOfOperation", "requested by support", clock.now());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->reasonCode, "keyCompromise") << "the block's request is kept as it is";
    const auto open = *s->createCase(newCase("0104", "L4"), clock.now());
    const auto r = s->requestRevocation(open, "cessationOfOperation", "requested by support", clock.now());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->requestedBy, "support");
    EXPECT_EQ(r->reasonCode, "cessationOfOperation");
    EXPECT_EQ(r->serial, "0104");
    EXPECT_FALSE(s->requestRevocation(99999, "keyCompromise", "x", clock.now()));
    EXPECT_EQ(s->listRevocationRequests().size(), 2u);
    // Blocking a case support already asked about queues nothing more.
    for (int i = 0; i < 3; ++i) cases::submitAnswers(*s, open, false, SecretIssue{}, clock.now());
    EXPECT_EQ(s->listRevocationRequests().size(), 2u);
}

TEST_F(ServiceRevocation, RetriesBackOffWithTheSameDocumentUntilDelivered) {
    blockedCase("0102");
    ScriptedTransport t({false, false, true});
    RevocationWorker w(*s, clock, config, t, log);
    ASSERT_TRUE(w.runOnce());
    auto r = s->listRevocationRequests().at(0);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(r.state, RevocationState::Pending);
    EXPECT_EQ(r.lastError, "HTTP 503");
    EXPECT_EQ(r.nextAttemptAt, clock.now() + 30);
    EXPECT_FALSE(w.runOnce()) << "not due yet";
    clock.advance(29);
    EXPECT_FALSE(w.runOnce());
    clock.advance(1);
    ASSERT_TRUE(w.runOnce());
    r = s->listRevocationRequests().at(0);
    EXPECT_EQ(r.nextAttemptAt, clock.now() + 60) << "doubled";
    clock.advance(60);
    ASSERT_TRUE(w.runOnce());
    r = s->listRevocationRequests().at(0);
    EXPECT_EQ(r.state, RevocationState::Delivered);
    EXPECT_EQ(r.deliveredAt, clock.now());
    EXPECT_EQ(r.attempts, 3);
    EXPECT_TRUE(r.lastError.empty());
    clock.advance(100000);
    EXPECT_FALSE(w.runOnce()) << "delivered: never again";
    ASSERT_EQ(t.documents.size(), 3u);
    EXPECT_EQ(t.documents[0], t.documents[1]);
    EXPECT_EQ(t.documents[1], t.documents[2]);
    EXPECT_EQ(t.keys[0], r.idempotencyKey);
    EXPECT_EQ(t.keys[2], r.idempotencyKey);
    EXPECT_EQ(s->revocationQueueStats().depth, 0);
}

TEST_F(ServiceRevocation, BackoffDoublesUpToTheMaximum) {
    EXPECT_EQ(revocationRetryDelay(1, config), 30);
    EXPECT_EQ(revocationRetryDelay(2, config), 60);
    EXPECT_EQ(revocationRetryDelay(3, config), 120);
    EXPECT_EQ(revocationRetryDelay(7, config), 1920);
    EXPECT_EQ(revocationRetryDelay(8, config), 3600);
    EXPECT_EQ(revocationRetryDelay(1000, config), 3600);
}

TEST_F(ServiceRevocation, DocumentCarriesWhatTheCaseKnows) {
    const auto id = blockedCase("0102ABCD");
    const auto r = s->listRevocationRequests().at(0);
    const auto j = nlohmann::json::parse(revocationDocument(r));
    EXPECT_EQ(j["type"], "ias-unblockd.revocation-request");
    EXPECT_EQ(j["version"], 1);
    EXPECT_EQ(j["serial"], "0102ABCD");
    EXPECT_EQ(j["certificate_references"][0]["token_serial"], "0102ABCD");
    EXPECT_EQ(j["reason"], "keyCompromise");
    EXPECT_EQ(j["requested_by"], "block");
    EXPECT_EQ(j["case_id"], id);
    EXPECT_EQ(j["idempotency_key"], r.idempotencyKey);
    EXPECT_EQ(j["time"], rfc3339(clock.now()));
    EXPECT_EQ(rfc3339(1'700'000'000), "2023-11-14T22:13:20Z");
    EXPECT_FALSE(j.contains("email")) << "no holder data the CA does not need";
}

// A worker that lost its lease (it took longer than the lease) records nothing: the request
// belongs to the instance that claimed it since.
TEST_F(ServiceRevocation, ALeasedRequestIsNotClaimedTwice) {
    blockedCase("0102");
    auto other = db.open();
    const auto a = s->claimRevocation("A", clock.now() + 100, clock.now());
    ASSERT_TRUE(a);
    EXPECT_FALSE(other->claimRevocation("B", clock.now() + 100, clock.now())) << "leased to A";
    clock.advance(100);
    const auto b = other->claimRevocation("B", clock.now() + 100, clock.now());
    ASSERT_TRUE(b) << "A's lease ran out";
    EXPECT_EQ(b->idempotencyKey, a->idempotencyKey);
    s->finishRevocation(a->id, "A", {false, clock.now() + 30, "late"}, clock.now());
    EXPECT_EQ(s->listRevocationRequests()[0].attempts, 0) << "A's late result is ignored";
    other->finishRevocation(b->id, "B", {true, 0, ""}, clock.now());
    EXPECT_EQ(s->listRevocationRequests()[0].state, RevocationState::Delivered);
}

// Two instances (own store, own worker, own thread) drain one queue: every request is
// delivered exactly once.
TEST_F(ServiceRevocation, TwoInstancesDeliverEachRequestOnce) {
    for (int i = 0; i < 12; ++i) blockedCase("01" + std::to_string(10 + i));
    auto otherStore = db.open();
    ScriptedTransport ta;
    ScriptedTransport tb;
    RevocationWorker a(*s, clock, config, ta, log);
    RevocationWorker b(*otherStore, clock, config, tb, log);
    std::thread ra([&] {
        while (a.runOnce()) {
        }
    });
    std::thread rb([&] {
        while (b.runOnce()) {
        }
    });
    ra.join();
    rb.join();
    std::multiset<std::string> keys(ta.keys.begin(), ta.keys.end());
    keys.insert(tb.keys.begin(), tb.keys.end());
    EXPECT_EQ(keys.size(), 12u);
    EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 12u) << "no key delivered twice";
    EXPECT_EQ(s->revocationQueueStats().depth, 0);
}

TEST_F(ServiceRevocation, MigrationSevenMakesOldRequestsPending) {
    test::TestDatabase old;
    {
        auto c = old.connection();
        migrate(*c, 5);
        c->exec("INSERT INTO cases (serial, email, language, state, created_at, link_hash, link_expires_at) "
                "VALUES ('0102', 'h@example.org', 'fr', 'blocked', 5, 'L', 10)");
        c->exec("INSERT INTO revocation_requests (case_id, serial, reason, created_at) "
                "VALUES (1, '0102', 'wrong answers to the secret questions', 7)");
    }
    auto upgraded = old.open();
    const auto all = upgraded->listRevocationRequests();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].state, RevocationState::Pending);
    EXPECT_EQ(all[0].reasonCode, "keyCompromise");
    EXPECT_EQ(all[0].idempotencyKey.size(), 32u);
    EXPECT_EQ(all[0].idempotencyKey.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_TRUE(upgraded->claimRevocation("A", 100, 50)) << "due at once";
}

TEST_F(ServiceRevocation, OperationalCounts) {
    blockedCase("0102");
    // A mail queued for SMTP (its link sealed, schema 6) counts in the queue; a mail handed
    // over another way (outbox_dir, or none) does not.
    auto queued = newCase("0103", "L3");
    queued.sealedLink = "sealed";
    const auto id = s->createCase(queued, clock.now());
    ASSERT_TRUE(id.has_value());
    std::map<std::string, std::int64_t> counts;
    for (const auto& [state, n] : s->caseCountsByState()) counts[state] = n;
    EXPECT_EQ(counts["blocked"], 1);
    EXPECT_EQ(counts["open"], 1);
    EXPECT_EQ(s->mailQueueStats().depth, 1) << "one mail queued";
    s->markMailSent(*id, clock.now());
    EXPECT_EQ(s->mailQueueStats().depth, 0);
    EXPECT_NO_THROW(s->ping());
}
