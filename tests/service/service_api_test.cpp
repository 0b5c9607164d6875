// SPDX-License-Identifier: Apache-2.0
// The module API, row by row of UNBLOCK.md's table, with its limits and expiry (manual clock).
#include <thread>

#include "ias/protocol/admin_key.hpp"
#include "service_fixture.hpp"

using namespace ias;
using namespace ias::service;
using namespace ias::service::test;

namespace {

std::string expectedCryptogram(const std::string& serial, const std::string& challenge) {
    const apdu::Bytes sn8 = protocol::serialIcc(apdu::fromHex(serial));
    return apdu::toHex(protocol::externalAuthCryptogram(protocol::deriveAdminKeys(knownMasterKey(), sn8),
                                                        apdu::fromHex(challenge), sn8));
}

class ServiceApi : public ServiceWorld {};
}  // namespace

TEST_F(ServiceApi, VerifyGivesATicketAndTheCryptogramIsTheCardsOne) {
    const std::string secret = issueSecret(kSerial);
    ASSERT_EQ(secret.size(), 22u);
    const Reply v = verify(kSerial, secret);
    ASSERT_EQ(v.status, 200) << v.raw;
    const std::string ticket = v.body["ticket"];
    EXPECT_EQ(ticket.size(), 64u);
    EXPECT_EQ(v.body["expires_in"], 600);
    const Reply c = cryptogram(ticket, kChallenge);
    ASSERT_EQ(c.status, 200) << c.raw;
    EXPECT_EQ(c.body["cryptogram"], expectedCryptogram(kSerial, kChallenge));
    // The card-side check accepts it.
    const apdu::Bytes sn8 = protocol::serialIcc(apdu::fromHex(kSerial));
    EXPECT_TRUE(protocol::checkExternalAuthCryptogram(protocol::deriveAdminKeys(knownMasterKey(), sn8),
                                                      apdu::fromHex(kChallenge), sn8,
                                                      apdu::fromHex(c.body["cryptogram"].get<std::string>())));
    EXPECT_EQ(confirm(ticket, "done").status, 204);
}

TEST_F(ServiceApi, SecretIsAcceptedInAnyTypedForm) {
    std::string secret = issueSecret(kSerial);
    std::string typed;
    for (char ch : secret)
        if (ch != '-') typed += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(verify(kSerial, typed).status, 200);
}

TEST_F(ServiceApi, WrongSecretCountsDownThenBlocks) {
    const std::string secret = issueSecret(kSerial);
    std::string wrong = secret;
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    for (int left : {2, 1, 0}) {
        const Reply r = verify(kSerial, wrong);
        EXPECT_EQ(r.status, 401);
        EXPECT_EQ(r.body["error"], "wrong_secret");
        EXPECT_EQ(r.body["tries_left"], left);
        EXPECT_TRUE(r.body.contains("request_id"));
    }
    const Reply r = verify(kSerial, secret);
    EXPECT_EQ(r.status, 410);
    EXPECT_EQ(r.body["error"], "blocked");
}

TEST_F(ServiceApi, MalformedSecretIsAWrongSecret) {
    issueSecret(kSerial);
    const Reply r = verify(kSerial, "not-a-secret");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.body["tries_left"], 2);
}

TEST_F(ServiceApi, UnknownSerialIsNoCase) {
    const Reply r = verify("0102030405060708", "0000-0000-0000-0000-00");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body["error"], "no_case");
    createCase("0102030405060709");  // a case whose secret is not issued yet
    EXPECT_EQ(verify("0102030405060709", "0000-0000-0000-0000-00").status, 404);
}

TEST_F(ServiceApi, SecretIsBoundToItsSerial) {
    const std::string secretA = issueSecret(kSerial);
    issueSecret("0010000000123460");
    const Reply r = verify("0010000000123460", secretA);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.body["error"], "wrong_secret");
}

TEST_F(ServiceApi, SecretExpiresAfter24Hours) {
    const std::string secret = issueSecret(kSerial);
    clock.advance(24 * 3600 - 1);
    const Reply ok = verify(kSerial, secret);
    EXPECT_EQ(ok.status, 200);
    clock.advance(1);
    const Reply r = verify(kSerial, secret);
    EXPECT_EQ(r.status, 410);
    EXPECT_EQ(r.body["error"], "expired");
    EXPECT_EQ(cryptogram(ok.body["ticket"], kChallenge).status, 401) << "a ticket dies with its secret";
}

TEST_F(ServiceApi, ConfirmedResetUsesTheSecretUp) {
    const std::string secret = issueSecret(kSerial);
    const std::string ticket = verify(kSerial, secret).body["ticket"];
    ASSERT_EQ(cryptogram(ticket, kChallenge).status, 200);
    EXPECT_EQ(confirm(ticket, "done").status, 204);
    const Reply again = confirm(ticket, "done");
    EXPECT_EQ(again.status, 401);
    EXPECT_EQ(again.body["error"], "bad_ticket");
    EXPECT_EQ(cryptogram(ticket, kChallenge).status, 401) << "replayed ticket";
    const Reply r = verify(kSerial, secret);
    EXPECT_EQ(r.status, 410);
    EXPECT_EQ(r.body["error"], "used_up");
}

TEST_F(ServiceApi, FailedOutcomeKeepsTheTicketWithinItsLimits) {
    const std::string secret = issueSecret(kSerial);
    const std::string ticket = verify(kSerial, secret).body["ticket"];
    EXPECT_EQ(cryptogram(ticket, kChallenge).status, 200);
    EXPECT_EQ(confirm(ticket, "failed", 0).status, 204);
    EXPECT_EQ(cryptogram(ticket, "1112131415161718").status, 200);
    EXPECT_EQ(cryptogram(ticket, "2122232425262728").status, 200);
    const Reply limit = cryptogram(ticket, "3132333435363738");
    EXPECT_EQ(limit.status, 410);
    EXPECT_EQ(limit.body["error"], "limit");
    const Reply r = verify(kSerial, secret);
    EXPECT_EQ(r.status, 410);
    EXPECT_EQ(r.body["error"], "used_up");
}

TEST_F(ServiceApi, CryptogramLimitCountsAcrossTickets) {
    const std::string secret = issueSecret(kSerial);
    for (int i = 0; i < 3; ++i) {
        const std::string t = verify(kSerial, secret).body["ticket"];
        EXPECT_EQ(cryptogram(t, kChallenge).status, 200);
    }
    EXPECT_EQ(verify(kSerial, secret).body["error"], "used_up");
}

TEST_F(ServiceApi, TicketLastsTenMinutesAndIsReplacedByANewVerify) {
    const std::string secret = issueSecret(kSerial);
    const std::string t1 = verify(kSerial, secret).body["ticket"];
    const std::string t2 = verify(kSerial, secret).body["ticket"];
    EXPECT_EQ(cryptogram(t1, kChallenge).body["error"], "bad_ticket");
    clock.advance(599);
    EXPECT_EQ(cryptogram(t2, kChallenge).status, 200);
    clock.advance(1);
    EXPECT_EQ(cryptogram(t2, kChallenge).status, 401);
    EXPECT_EQ(confirm(t2, "done").status, 401);
}

TEST_F(ServiceApi, UnknownTicketAndBadBodies) {
    EXPECT_EQ(cryptogram(std::string(64, 'a'), kChallenge).body["error"], "bad_ticket");
    EXPECT_EQ(confirm(std::string(64, 'a'), "done").status, 401);
    const std::string secret = issueSecret(kSerial);
    const std::string t = verify(kSerial, secret).body["ticket"];
    EXPECT_EQ(cryptogram(t, "0102").status, 400);
    EXPECT_EQ(cryptogram(t, "zz02030405060708").status, 400);
    EXPECT_EQ(post("/v1/unblock/verify", json::array()).status, 400);
    EXPECT_EQ(post("/v1/unblock/verify", {{"serial", "XYZ"}, {"secret", "x"}}).body["error"], "bad_request");
    EXPECT_EQ(post("/v1/unblock/confirm", {{"ticket", t}, {"outcome", "maybe"}}).status, 400);
    EXPECT_EQ(get("/v1/nothing").status, 404);
}

// Numbers that do not fit the field are 400 bad_request naming the field, and change nothing:
// the ticket is still live and the secret still unconsumed afterwards.
TEST_F(ServiceApi, OutOfRangeNumbersAreBadRequestsAndChangeNothing) {
    const std::string secret = issueSecret(kSerial);
    const std::string t = verify(kSerial, secret).body["ticket"];
    for (const json& n : {json(4294967299LL), json(-4294967293LL), json(18446744073709551615ULL), json(3.0), json(-2),
                          json(16), json(nullptr), json("3")}) {
        const Reply r = post("/v1/unblock/confirm", {{"ticket", t}, {"outcome", "done"}, {"tries_after", n}});
        EXPECT_EQ(r.status, 400) << n.dump();
        EXPECT_EQ(r.body["error"], "bad_request") << n.dump();
    }
    // A number too large even for 64 bits, as raw JSON text.
    auto raw = client()->Post("/v1/unblock/confirm",
                              R"({"ticket":")" + t + R"(","outcome":"done","tries_after":99999999999999999999999})",
                              "application/json");
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->status, 400);
    EXPECT_EQ(store->secretCaseForSerial(kSerial)->state, store::CaseState::SecretIssued);
    EXPECT_EQ(cryptogram(t, kChallenge).status, 200) << "the ticket is still live";
    EXPECT_EQ(confirm(t, "done", 3).status, 204);
    EXPECT_EQ(post("/v1/admin/cases/99999999999999999999999/close", json::object(), kAdminToken).status, 404);
    EXPECT_EQ(diagnostics.str(), "") << "no internal error";
}

TEST_F(ServiceApi, ClosedCaseIsBlocked) {
    const std::string secret = issueSecret(kSerial);
    const Reply list = get("/v1/admin/cases", kAdminToken);
    const auto id = list.body[0]["id"].get<std::int64_t>();
    EXPECT_EQ(post("/v1/admin/cases/" + std::to_string(id) + "/close", {{"reason", "lost token"}}, kAdminToken).status,
              204);
    const Reply r = verify(kSerial, secret);
    EXPECT_EQ(r.status, 410);
    EXPECT_EQ(r.body["error"], "blocked");
}

TEST_F(ServiceApi, ResponsesCarryRequestIdsAndSecurityHeaders) {
    httplib::Headers h{{"X-Request-Id", "support-123"}};
    auto res = client()->Post("/v1/unblock/verify", h, R"({"serial":"01","secret":"x"})", "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->get_header_value("X-Request-Id"), "support-123");
    EXPECT_EQ(json::parse(res->body)["request_id"], "support-123");
    EXPECT_NE(res->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
    EXPECT_EQ(res->get_header_value("Cache-Control"), "no-store");
    EXPECT_NE(auditText.str().find("\"rid\":\"support-123\""), std::string::npos);
}

TEST_F(ServiceApi, TwoParallelVerifiesNeverYieldTwoUsableTickets) {
    const std::string secret = issueSecret(kSerial);
    for (int round = 0; round < 3; ++round) {
        std::string tickets[2];
        std::thread a([&] { tickets[0] = verify(kSerial, secret).body.value("ticket", ""); });
        std::thread b([&] { tickets[1] = verify(kSerial, secret).body.value("ticket", ""); });
        a.join();
        b.join();
        int usable = 0;
        for (const auto& t : tickets)
            if (!t.empty() && cryptogram(t, kChallenge).status == 200) ++usable;
        EXPECT_EQ(usable, 1) << "round " << round;
    }
    // Three cryptograms were spent: the limit holds whatever the races.
    EXPECT_EQ(verify(kSerial, secret).body["error"], "used_up");
}

TEST_F(ServiceApi, ThreeParallelWrongTriesLeaveZeroExactly) {
    const std::string secret = issueSecret(kSerial);
    std::string wrong = secret;
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    std::vector<int> left(3, -1);
    std::vector<std::thread> threads;
    threads.reserve(left.size());
    for (int i = 0; i < 3; ++i) threads.emplace_back([&, i] { left[i] = verify(kSerial, wrong).body.value("tries_left", -1); });
    for (auto& t : threads) t.join();
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(store->secretCaseForSerial(kSerial)->secretTriesLeft, 0);
    EXPECT_EQ(verify(kSerial, secret).body["error"], "blocked");
}

namespace {
class ServiceRateLimit : public ServiceWorld {
    void adjustConfig(ServiceConfig& c) override {
        c.serialBurst = 5;
        c.serialPerMinute = 5;
    }
};
}  // namespace

TEST_F(ServiceRateLimit, PerSerialLimitAnswers429) {
    for (int i = 0; i < 5; ++i) EXPECT_EQ(verify("0A0B", "x").status, 404);
    const Reply r = verify("0A0B", "x");
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.body["error"], "rate_limited");
    EXPECT_EQ(verify("0A0C", "x").status, 404) << "other serials unaffected";
    clock.advance(60);
    EXPECT_EQ(verify("0A0B", "x").status, 404);
}

// The server drops every connection of the service (as a PostgreSQL restart or failover
// does): the next requests reconnect, and nothing is lost or counted twice.
class ServiceApiOnPostgres : public ServiceApi {};  // only in the PostgreSQL run (CMakeLists.txt)
TEST_F(ServiceApiOnPostgres, DroppedDatabaseConnectionsAreReestablished) {
    const std::string secret = issueSecret(kSerial);
    std::string wrong = secret;
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    auto dropAll = [&] {
        const auto killed = db.connection()->query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()");
        EXPECT_FALSE(killed.empty());
    };
    dropAll();
    const Reply w = verify(kSerial, wrong);
    EXPECT_EQ(w.status, 401) << w.raw;
    EXPECT_EQ(w.body["tries_left"], 2);
    dropAll();
    const Reply v = verify(kSerial, secret);
    ASSERT_EQ(v.status, 200) << v.raw;
    dropAll();
    EXPECT_EQ(cryptogram(v.body["ticket"], kChallenge).status, 200);
    EXPECT_EQ(store->secretCaseForSerial(kSerial)->secretTriesLeft, 2);
    EXPECT_EQ(store->secretCaseForSerial(kSerial)->cryptogramsUsed, 1);
}
