// SPDX-License-Identifier: Apache-2.0
// The holder steps as JSON (for `ias-unblock <link>`), the admin API, and the canary test.
#include <fstream>
#include <iterator>

#include "service_fixture.hpp"

using namespace ias;
using namespace ias::service;
using namespace ias::service::test;

namespace {
class ServiceHolderApi : public ServiceWorld {};

int occurrences(const std::vector<std::string>& texts, const std::string& needle) {
    int n = 0;
    for (const auto& t : texts)
        if (t.find(needle) != std::string::npos) ++n;
    return n;
}
}  // namespace

TEST_F(ServiceHolderApi, CaseSummaryThenSecretShownOnce) {
    const std::string link = createCase(kSerial);
    const Reply c = get("/v1/holder/case", link);
    ASSERT_EQ(c.status, 200) << c.raw;
    EXPECT_EQ(c.body["serial"], kSerial);
    EXPECT_EQ(c.body["questions"].size(), 2u);
    EXPECT_EQ(c.body["questions"][1], "Ville de naissance ?");
    EXPECT_EQ(c.body["tries_left"], 3);
    EXPECT_EQ(c.body["expires_in"], 86400);
    EXPECT_EQ(c.body["support"]["phone"], config.support.phone);
    const Reply a = post("/v1/holder/answers", {{"answers", {"Durand-Canary1", "Lyon"}}}, link);
    ASSERT_EQ(a.status, 200);
    const std::string secret = a.body["secret"];
    EXPECT_TRUE(protocol::parseSecret(secret).ok());
    EXPECT_EQ(a.body["expires_in"], 86400);
    // Shown once: the link is spent.
    const Reply again = post("/v1/holder/answers", {{"answers", {"Durand-Canary1", "Lyon"}}}, link);
    EXPECT_EQ(again.status, 410);
    EXPECT_EQ(again.body["error"], "used_up");
    EXPECT_EQ(get("/v1/holder/case", link).body["error"], "used_up");
    EXPECT_EQ(verify(kSerial, secret).status, 200);
}

TEST_F(ServiceHolderApi, AnswersAreCaseSensitiveAndThreeWrongSubmissionsBlock) {
    const std::string link = createCase(kSerial);
    const Reply w1 = post("/v1/holder/answers", {{"answers", {"durand-canary1", "Lyon"}}}, link);
    EXPECT_EQ(w1.status, 403);
    EXPECT_EQ(w1.body["error"], "wrong_answers");
    EXPECT_EQ(w1.body["tries_left"], 2);
    EXPECT_EQ(post("/v1/holder/answers", {{"answers", {"Durand-Canary1"}}}, link).body["tries_left"], 1);
    EXPECT_EQ(get("/v1/holder/case", link).body["tries_left"], 1);
    const Reply blocked = post("/v1/holder/answers", {{"answers", {"Durand-Canary1", "lyon"}}}, link);
    EXPECT_EQ(blocked.status, 410);
    EXPECT_EQ(blocked.body["error"], "blocked");
    EXPECT_EQ(blocked.body["support"]["email"], config.support.email);
    // Definitive: even the right answers are refused now, and a revocation is requested.
    EXPECT_EQ(post("/v1/holder/answers", {{"answers", {"Durand-Canary1", "Lyon"}}}, link).body["error"], "blocked");
    const Reply rev = get("/v1/admin/revocations", kAdminToken);
    ASSERT_EQ(rev.body.size(), 1u);
    EXPECT_EQ(rev.body[0]["serial"], kSerial);
    EXPECT_EQ(verify(kSerial, "0000-0000-0000-0000-00").body["error"], "no_case");
}

// A Range header is ignored (found by fuzz/service_api): httplib would otherwise send the
// first bytes of the one-time secret response, labelled 200, and the secret would be lost.
TEST_F(ServiceHolderApi, RangeHeaderIsIgnored) {
    const std::string link = createCase(kSerial);
    const httplib::Headers h{{"Authorization", "Bearer " + link}, {"Range", "bytes=0-9"}};
    const Reply c = keep(client()->Get("/v1/holder/case", h));
    EXPECT_EQ(c.status, 200);
    ASSERT_TRUE(c.body.is_object()) << "cut to the range: " << c.raw;
    EXPECT_EQ(c.body["serial"], kSerial);
    const Reply a = keep(client()->Post("/v1/holder/answers", h, R"({"answers":["Durand-Canary1","Lyon"]})",
                                        "application/json"));
    ASSERT_EQ(a.status, 200);
    ASSERT_TRUE(a.body.is_object()) << "cut to the range: " << a.raw.size() << " bytes";
    EXPECT_EQ(verify(kSerial, a.body.value("secret", "")).status, 200);
}

TEST_F(ServiceHolderApi, LinkExpiresAfter24Hours) {
    const std::string link = createCase(kSerial);
    clock.advance(store::Time{24} * 3600);
    const Reply r = get("/v1/holder/case", link);
    EXPECT_EQ(r.status, 410);
    EXPECT_EQ(r.body["error"], "expired");
    EXPECT_EQ(post("/v1/holder/answers", {{"answers", {"Durand-Canary1", "Lyon"}}}, link).body["error"], "expired");
}

TEST_F(ServiceHolderApi, UnknownOrMissingLinkIsNoCase) {
    EXPECT_EQ(get("/v1/holder/case", std::string(64, 'b')).body["error"], "no_case");
    EXPECT_EQ(get("/v1/holder/case").status, 404);
}

TEST_F(ServiceHolderApi, AdminApiNeedsTheBearerToken) {
    EXPECT_EQ(get("/v1/admin/cases").status, 401);
    EXPECT_EQ(get("/v1/admin/cases", "wrong").body["error"], "unauthorized");
    EXPECT_EQ(post("/v1/admin/cases", {{"serial", "01"}}, "wrong").status, 401);
    createCase(kSerial);
    const Reply dup = post("/v1/admin/cases",
                           {{"serial", kSerial}, {"email", "a@b"}, {"questions", {{{"question", "q"}, {"answer", "a"}}}}},
                           kAdminToken);
    EXPECT_EQ(dup.status, 400) << "one live case per serial";
    EXPECT_EQ(post("/v1/admin/cases", {{"serial", "01"}, {"email", "nope"}, {"questions", json::array()}}, kAdminToken)
                  .status,
              400);
    const Reply cases = get("/v1/admin/cases", kAdminToken);
    ASSERT_EQ(cases.body.size(), 1u);
    EXPECT_EQ(cases.body[0]["state"], "open");
    EXPECT_FALSE(cases.body[0].contains("answer_hash"));
    const Reply outbox = get("/v1/admin/outbox", kAdminToken);
    ASSERT_EQ(outbox.body.size(), 1u);
    EXPECT_EQ(outbox.body[0]["to"], "holder@example.org");
    EXPECT_EQ(outbox.body[0]["case"], cases.body[0]["id"]);
    EXPECT_TRUE(outbox.body[0]["sent_at"].is_null()) << "no outbox_dir here: the mail was not handed over";
    EXPECT_FALSE(outbox.body[0].contains("body")) << "the admin API never shows a mail's link";
    EXPECT_EQ(outbox.raw.find("/h/"), std::string::npos);
    EXPECT_EQ(post("/v1/admin/cases/999/close", json::object(), kAdminToken).status, 404);
}

// Known values are searched in every response body, header, audit line and diagnostic:
// none may appear, except the secret in its one display response (and the ticket in the
// verify response that delivers it).
TEST_F(ServiceHolderApi, CanaryValuesNeverLeak) {
    const std::string answerCanary = "Durand-Canary1";
    const std::string pinCanary = "CANARY-PIN-9731";
    const std::string link = createCase(kSerial);
    post("/v1/holder/answers", {{"answers", {"Durand-Canary-wrong", "Lyon"}}}, link);
    const Reply a = post("/v1/holder/answers", {{"answers", {answerCanary, "Lyon"}}}, link);
    const std::string secret = a.body["secret"];
    std::string canonical;
    for (char ch : secret)
        if (ch != '-') canonical += ch;
    std::string wrong = secret;
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    verify(kSerial, wrong);
    post("/v1/unblock/verify", {{"serial", kSerial}, {"secret", "garbage"}, {"pin", pinCanary}});
    const Reply v = verify(kSerial, secret);
    const std::string ticket = v.body["ticket"];
    cryptogram(ticket, "0102030405060708");
    post("/v1/unblock/cryptogram", {{"ticket", ticket}, {"challenge", "zz"}});
    post("/v1/unblock/confirm", {{"ticket", ticket}, {"outcome", "done"}, {"tries_after", 3}, {"pin", pinCanary}});
    get("/v1/admin/cases", kAdminToken);
    get("/v1/admin/outbox", kAdminToken);

    std::vector<std::string> logs{auditText.str(), diagnostics.str()};
    ASSERT_FALSE(logs[0].empty());
    for (const std::string& canary : {answerCanary, std::string("Durand-Canary-wrong"), pinCanary, secret, canonical,
                                      wrong, ticket, link}) {
        EXPECT_EQ(occurrences(logs, canary), 0) << "in logs";
    }
    for (const std::string& canary : {answerCanary, std::string("Durand-Canary-wrong"), pinCanary, wrong})
        EXPECT_EQ(occurrences(bodies, canary), 0) << "in responses";
    EXPECT_EQ(occurrences(bodies, secret), 1) << "the secret is shown once";
    EXPECT_EQ(occurrences(bodies, canonical), 0);
    EXPECT_EQ(occurrences(bodies, ticket), 1) << "the ticket is delivered once";
    if (!onPostgres()) {
        // The database holds no clear secret, answer or ticket either.
        store.reset();
        for (const char* suffix : {"", "-wal"}) {
            std::ifstream f(db.path() + suffix, std::ios::binary);
            const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            for (const std::string& canary : {answerCanary, secret, canonical, ticket})
                EXPECT_EQ(bytes.find(canary), std::string::npos) << "in the database" << suffix;
        }
    }
}

// The address goes to the To: line of the mail: a CR or LF would start new headers.
TEST_F(ServiceHolderApi, CaseEmailAndQuestionsAreValidatedAndRefusalsChangeNothing) {
    auto create = [&](const std::string& email, const std::string& question, const std::string& answer) {
        return post("/v1/admin/cases",
                    {{"serial", "0010000000123499"}, {"email", email},
                     {"questions", {{{"question", question}, {"answer", answer}}}}},
                    kAdminToken);
    };
    for (const std::string& bad :
         {std::string("holder@example.org\rBcc: x@evil.example"), std::string("holder@example.org\nBcc: x@evil.example"),
          std::string("holder@example.org\r"), std::string("a b@example.org"), std::string("<a@example.org>"),
          std::string("a@b@example.org"), std::string("@example.org"), std::string("holder@"), std::string("holder@.org"),
          std::string("holder@example..org"), std::string("holder\t@example.org"), std::string("holder@exa\0mple.org", 19),
          std::string(65, 'a') + "@example.org", "a@" + std::string(253, 'b')}) {
        const Reply r = create(bad, "Ville ?", "Lyon");
        EXPECT_EQ(r.status, 400) << bad;
        EXPECT_EQ(r.body["error"], "bad_request");
    }
    EXPECT_EQ(create("holder@example.org", "Ville ?\nBcc: x", "Lyon").status, 400) << "question on two lines";
    EXPECT_EQ(create("holder@example.org", std::string(501, 'q'), "Lyon").status, 400);
    EXPECT_EQ(create("holder@example.org", "Ville ?", std::string(501, 'a')).status, 400);
    EXPECT_TRUE(get("/v1/admin/cases", kAdminToken).body.empty()) << "no refused case was stored";
    EXPECT_TRUE(get("/v1/admin/outbox", kAdminToken).body.empty()) << "and no mail written";
    EXPECT_EQ(create("jean.dupont+ias@mail.example.org", "Ville de naissance ?", "Lyon").status, 201);
}
