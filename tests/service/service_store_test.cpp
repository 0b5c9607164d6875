// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>

#include "core/case_machine.hpp"
#include "store_fixture.hpp"

using namespace ias::service;
using namespace ias::service::store;
using namespace ias::service::cases;

namespace {

NewCase newStoreCase(const std::string& serial, const std::string& link) {
    NewCase n;
    n.serial = serial;
    n.email = "holder@example.org";
    n.language = "fr";
    n.questions = {{"Q1", "h1"}, {"Q2", "h2"}};
    n.linkHash = link;
    n.linkExpiresAt = 1000 + 86400;
    n.mailSubject = "subject";
    return n;
}

SecretIssue issue() { return SecretIssue{"00ff", "AA", 1000 + 86400}; }

class ServiceStore : public ::testing::Test {
protected:
    test::TestDatabase db;
    std::unique_ptr<Store> s = db.open();
};

}  // namespace

TEST_F(ServiceStore, CaseLifecycleAndOutbox) {
    const auto id = s->createCase(newStoreCase("0102", "L1"), 1000);
    ASSERT_TRUE(id);
    EXPECT_FALSE(s->createCase(newStoreCase("0102", "L2"), 1000)) << "one live case per serial";
    const auto c = s->caseById(*id);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->serial, "0102");
    EXPECT_EQ(c->state, CaseState::Open);
    ASSERT_EQ(c->questions.size(), 2u);
    EXPECT_EQ(c->questions[1].text, "Q2");
    EXPECT_EQ(s->caseByLinkHash("L1")->id, *id);
    EXPECT_FALSE(s->caseByLinkHash("nope"));
    ASSERT_EQ(s->listOutbox().size(), 1u);
    EXPECT_EQ(s->listOutbox()[0].caseId, *id);
    EXPECT_EQ(s->listOutbox()[0].subject, "subject");
    EXPECT_EQ(s->listOutbox()[0].sentAt, 0) << "not handed over yet";
    s->markMailSent(*id, 1000);
    EXPECT_EQ(s->listOutbox()[0].sentAt, 1000);
    EXPECT_TRUE(cases::close(*s, *id, "support", 1001));
    EXPECT_FALSE(cases::close(*s, *id, "support", 1001));
    EXPECT_EQ(s->caseById(*id)->state, CaseState::Closed);
    EXPECT_TRUE(s->createCase(newStoreCase("0102", "L3"), 1002)) << "a closed case frees the serial";
    EXPECT_EQ(s->listCases().size(), 2u);
}

TEST_F(ServiceStore, MigrationsAreIdempotent) {
    s->createCase(newStoreCase("0102", "L1"), 1000);
    auto again = db.open();
    EXPECT_EQ(again->listCases().size(), 1u);
}

TEST_F(ServiceStore, ThreeWrongAnswerSubmissionsBlockAndRequestRevocation) {
    const auto id = *s->createCase(newStoreCase("0102", "L1"), 1000);
    EXPECT_EQ(submitAnswers(*s, id, false, issue(), 1001).result, AnswerResult::Wrong);
    const auto second = submitAnswers(*s, id, false, issue(), 1001);
    EXPECT_EQ(second.result, AnswerResult::Wrong);
    EXPECT_EQ(second.triesLeft, 1);
    EXPECT_EQ(submitAnswers(*s, id, false, issue(), 1001).result, AnswerResult::Blocked);
    EXPECT_EQ(submitAnswers(*s, id, true, issue(), 1001).result, AnswerResult::Blocked);
    EXPECT_EQ(s->caseById(id)->state, CaseState::Blocked);
    ASSERT_EQ(s->listRevocationRequests().size(), 1u);
    EXPECT_EQ(s->listRevocationRequests()[0].serial, "0102");
}

TEST_F(ServiceStore, AnswersAfterLinkExpiryAreRefused) {
    const auto id = *s->createCase(newStoreCase("0102", "L1"), 1000);
    EXPECT_EQ(submitAnswers(*s, id, true, issue(), 1000 + 86400).result, AnswerResult::Expired);
    EXPECT_EQ(submitAnswers(*s, id, true, issue(), 1000 + 86399).result, AnswerResult::Accepted);
    EXPECT_EQ(submitAnswers(*s, id, true, issue(), 1001).result, AnswerResult::NotOpen) << "secret shown once";
}

TEST_F(ServiceStore, VerifyTicketCryptogramConfirm) {
    const auto id = *s->createCase(newStoreCase("0102", "L1"), 1000);
    submitAnswers(*s, id, true, issue(), 1000);
    EXPECT_EQ(s->secretCaseForSerial("0102")->id, id);
    EXPECT_FALSE(s->secretCaseForSerial("0103"));
    EXPECT_EQ(verifySecret(*s, *s->caseById(id), "AB", {"T1", 1600}, 1000).result, VerifyResult::Wrong);
    EXPECT_EQ(verifySecret(*s, *s->caseById(id), "AA", {"T1", 1600}, 1000).result, VerifyResult::Ticket);
    EXPECT_EQ(useTicketForCryptogram(*s, "T1", 1001).result, TicketResult::Ok);
    EXPECT_EQ(useTicketForCryptogram(*s, "T1", 1600).result, TicketResult::BadTicket) << "ticket expiry";
    EXPECT_EQ(useTicketForCryptogram(*s, "T0", 1001).result, TicketResult::BadTicket);
    // A new verify replaces the live ticket.
    EXPECT_EQ(verifySecret(*s, *s->caseById(id), "AA", {"T2", 1700}, 1100).result, VerifyResult::Ticket);
    EXPECT_EQ(useTicketForCryptogram(*s, "T1", 1101).result, TicketResult::BadTicket);
    EXPECT_EQ(confirm(*s, "T2", false, 1101).result, TicketResult::Ok);
    EXPECT_EQ(confirm(*s, "T2", true, 1102).result, TicketResult::Ok);
    EXPECT_EQ(confirm(*s, "T2", true, 1102).result, TicketResult::BadTicket);
    EXPECT_EQ(verifySecret(*s, *s->caseById(id), "AA", {"T3", 1700}, 1103).result, VerifyResult::UsedUp);
}

TEST_F(ServiceStore, CryptogramLimitAndSecretExpiry) {
    const auto id = *s->createCase(newStoreCase("0102", "L1"), 1000);
    submitAnswers(*s, id, true, issue(), 1000);
    ASSERT_EQ(verifySecret(*s, *s->caseById(id), "AA", {"T1", 1600}, 1000).result, VerifyResult::Ticket);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(useTicketForCryptogram(*s, "T1", 1001).result, TicketResult::Ok);
    EXPECT_EQ(useTicketForCryptogram(*s, "T1", 1001).result, TicketResult::Limit);
    EXPECT_EQ(verifySecret(*s, *s->caseById(id), "AA", {"T2", 1600}, 1001).result, VerifyResult::UsedUp);
    EXPECT_EQ(verifySecret(*s, *s->caseById(id), "AA", {"T2", 1000 + 86400 + 600}, 1000 + 86400).result, VerifyResult::Expired);
}

TEST_F(ServiceStore, ParallelWrongTriesCountExactly) {
    const auto id = *s->createCase(newStoreCase("0102", "L1"), 1000);
    submitAnswers(*s, id, true, issue(), 1000);
    std::vector<std::thread> threads;
    threads.reserve(6);
    std::atomic<int> wrong{0}, blocked{0};
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            auto r = verifySecret(*s, *s->caseById(id), "B" + std::to_string(t), {"T" + std::to_string(t), 1600}, 1000);
            if (r.result == VerifyResult::Wrong) ++wrong;
            if (r.result == VerifyResult::Blocked) ++blocked;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(wrong.load(), 3);
    EXPECT_EQ(blocked.load(), 3);
    EXPECT_EQ(s->caseById(id)->secretTriesLeft, 0);
    EXPECT_EQ(verifySecret(*s, *s->caseById(id), "AA", {"T9", 1600}, 1000).result, VerifyResult::Blocked);
}

TEST_F(ServiceStore, ParallelVerifiesLeaveOneLiveTicket) {
    const auto id = *s->createCase(newStoreCase("0102", "L1"), 1000);
    submitAnswers(*s, id, true, issue(), 1000);
    std::vector<std::thread> threads;
    threads.reserve(4);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] { verifySecret(*s, *s->caseById(id), "AA", {"T" + std::to_string(t), 1600}, 1000); });
    for (auto& t : threads) t.join();
    int usable = 0;
    for (int t = 0; t < 4; ++t)
        if (useTicketForCryptogram(*s, "T" + std::to_string(t), 1001).result == TicketResult::Ok) ++usable;
    EXPECT_EQ(usable, 1);
}

// Migration 2: replacing the live ticket of a case goes through the partial index, not
// through all the case's old tickets (the verify bench's hot spot before). SQLite's plan
// (the suffix OnSqlite keeps it out of the PostgreSQL run: CMakeLists.txt).
class ServiceStoreOnSqlite : public ServiceStore {};
TEST_F(ServiceStoreOnSqlite, LiveTicketIsFoundThroughItsIndex) {
    auto c = db.connection();
    std::string plan;
    for (const auto& row : c->query("EXPLAIN QUERY PLAN UPDATE tickets SET state = 'replaced' "
                                    "WHERE case_id = ? AND state = 'live'",
                                    {std::int64_t{1}}))
        plan += row.back().value_or("") + "\n";
    EXPECT_NE(plan.find("USING INDEX tickets_live"), std::string::npos) << plan;
    EXPECT_EQ(c->query("SELECT COUNT(*) FROM schema_migrations WHERE version = 2").at(0).at(0), "1");
}

// Issue #18: two concurrent creations for one serial could both insert on PostgreSQL (the
// FOR UPDATE of the check locks nothing when no row exists yet). The unique index
// cases_live_serial refuses the second, which is answered like the check's refusal.
TEST_F(ServiceStore, ParallelCreationsLeaveOneLiveCasePerSerial) {
    constexpr int kRounds = 20, kThreads = 8;
    for (int round = 0; round < kRounds; ++round) {
        const std::string serial = "0200" + std::to_string(1000 + round);
        std::atomic<int> ready{0}, created{0}, refused{0}, failed{0};
        std::vector<std::thread> threads;
        threads.reserve(kThreads);
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&, t] {
                ++ready;
                while (ready.load() < kThreads) std::this_thread::yield();
                try {
                    if (s->createCase(newStoreCase(serial, "R" + std::to_string(round) + "-" + std::to_string(t)), 1000))
                        ++created;
                    else
                        ++refused;
                } catch (const std::exception&) {
                    ++failed;
                }
            });
        for (auto& t : threads) t.join();
        EXPECT_EQ(created.load(), 1) << "round " << round;
        EXPECT_EQ(refused.load(), kThreads - 1) << "round " << round << ": refused as 'already open', not an error";
        EXPECT_EQ(failed.load(), 0);
    }
    auto c = db.connection();
    EXPECT_EQ(c->query("SELECT COUNT(*) FROM cases WHERE state IN ('open', 'secret_issued')").at(0).at(0),
              std::to_string(kRounds));
    EXPECT_EQ(c->query("SELECT COUNT(*) FROM outbox").at(0).at(0), std::to_string(kRounds)) << "one mail per case";
}

// The index holds against any writer, not only createCase's check.
TEST_F(ServiceStore, DatabaseRefusesASecondLiveCaseForASerial) {
    ASSERT_TRUE(s->createCase(newStoreCase("0102", "L1"), 1000));
    auto c = db.connection();
    try {
        c->exec("INSERT INTO cases (serial, email, language, state, created_at, link_hash, link_expires_at) "
                "VALUES ('0102', 'a@b.c', 'fr', 'secret_issued', 1, 'L2', 2)");
        ADD_FAILURE() << "a second live case was stored";
    } catch (const StoreError& e) {
        EXPECT_TRUE(e.uniqueViolation());
    }
    c->exec("INSERT INTO cases (serial, email, language, state, created_at, link_hash, link_expires_at) "
            "VALUES ('0102', 'a@b.c', 'fr', 'closed', 1, 'L3', 2)");  // a closed one is no conflict
}

// A database of schema version 3 (before issue #18): two live cases for one serial (the race
// above), and outbox rows with their link in clear. Migrations 4 and 5 keep the newest live
// case, close the older one and its ticket, and wipe the mail bodies.
TEST_F(ServiceStore, MigrationFromVersion3ClosesDuplicatesAndWipesMailBodies) {
    test::TestDatabase old;
    {
        auto c = old.connection();
        migrate(*c, 3);
        EXPECT_EQ(c->query("SELECT MAX(version) FROM schema_migrations").at(0).at(0), "3");
        for (const char* link : {"L1", "L2"}) {
            c->exec("INSERT INTO cases (serial, email, language, state, created_at, link_hash, link_expires_at) "
                    "VALUES ('0102', 'a@b.c', 'fr', 'secret_issued', 10, ?, 20)",
                    {std::string(link)});
            c->exec("INSERT INTO outbox (recipient, subject, body, created_at) VALUES ('a@b.c', 's', ?, 10)",
                    {std::string("Open https://unblock.example/h/LINK-IN-CLEAR-") + link});
        }
        c->exec("INSERT INTO tickets (hash, case_id, issued_at, expires_at, state) VALUES ('T1', 1, 10, 20, 'live')");
    }
    auto migrated = old.open();
    const auto cases = migrated->listCases();
    ASSERT_EQ(cases.size(), 2u);
    EXPECT_EQ(cases[0].state, CaseState::Closed);
    EXPECT_EQ(cases[0].closedReason, "duplicate live case, closed by schema migration 4");
    EXPECT_EQ(cases[1].state, CaseState::SecretIssued) << "the newest live case stays";
    auto c = old.connection();
    EXPECT_EQ(c->query("SELECT state FROM tickets WHERE hash = 'T1'").at(0).at(0), "closed");
    for (const auto& row : c->query("SELECT body, sent_at, created_at FROM outbox")) {
        EXPECT_EQ(row.at(0), "");
        EXPECT_EQ(row.at(1), row.at(2)) << "recorded as handed over when written";
    }
    for (const auto& m : migrated->listOutbox()) EXPECT_EQ(m.sentAt, 10);
    EXPECT_FALSE(migrated->createCase(newStoreCase("0102", "L9"), 1000)) << "the serial still has its live case";
    if (!test::onPostgres()) {
        migrated.reset();
        c.reset();
        for (const char* suffix : {"", "-wal"}) {
            std::ifstream f(old.path() + suffix, std::ios::binary);
            const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            EXPECT_EQ(bytes.find("LINK-IN-CLEAR"), std::string::npos) << "in the database file" << suffix;
        }
    }
}
