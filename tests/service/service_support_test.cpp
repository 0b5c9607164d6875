// SPDX-License-Identifier: Apache-2.0
// The support console (/support/) over HTTPS, without a browser (the browser run is
// tests/service/support_console_selenium.py): sign-in with password + TOTP, replay, lockout,
// session expiry, CSRF, the auditor role, escaping, and open / resend / close of a case.
#include <filesystem>
#include <fstream>
#include <regex>

#include "core/support_console.hpp"
#include "service_fixture.hpp"

using namespace ias;
using namespace ias::service;
using namespace ias::service::test;

namespace {

constexpr const char* kPassword = "correct horse battery";
const std::string kSessionCookie = "__Host-ias-support=";

// A failed request (a timeout) is a test failure with status -1, not a null result.
httplib::Result orFailed(httplib::Result r) {
    if (r) return r;
    ADD_FAILURE() << "HTTP request failed: " << httplib::to_string(r.error());
    auto failed = std::make_unique<httplib::Response>();
    failed->status = -1;
    return httplib::Result(std::move(failed), httplib::Error::Success);
}

class SupportConsoleTest : public ServiceWorld {
protected:
    void adjustConfig(ServiceConfig& c) override {
        outbox = std::filesystem::temp_directory_path() / ("ias-support-outbox-" + std::to_string(::getpid()) + "-" +
                                                           std::to_string(reinterpret_cast<std::uintptr_t>(this)));
        std::filesystem::create_directories(outbox);
        c.outboxDir = outbox.string();
        c.console.scryptLog2N = 10;
        c.console.clientBurst = c.console.clientPerMinute = 1000;
        c.console.accountBurst = c.console.accountPerMinute = 1000;
    }
    void TearDown() override {
        ServiceWorld::TearDown();
        std::error_code ec;
        std::filesystem::remove_all(outbox, ec);
    }

    // Adds an account; returns its TOTP seed.
    apdu::SecureBytes addStaff(const std::string& name, staff::Role role) {
        SupportConsole console(*service);
        console.addStaff(name, role, kPassword);
        const auto account = store::SupportStore(*store).staffByName(name);
        return staff::totpSeed(account->totpNonce, service->hsmMac());
    }
    std::string codeNow(const apdu::SecureBytes& seed, int stepOffset = 0) {
        return staff::hotp(seed, static_cast<std::uint64_t>(staff::totpStep(clock.now()) + stepOffset));
    }

    httplib::Result get(const std::string& path, const std::string& cookie) {
        auto res = orFailed(client()->Get(path, httplib::Headers{{"Cookie", cookie}}));
        keep(res);
        return res;
    }
    httplib::Result post(const std::string& path, const std::string& cookie, const httplib::Params& params) {
        auto res = orFailed(client()->Post(path, httplib::Headers{{"Cookie", cookie}}, params));
        keep(res);
        return res;
    }
    static std::string cookieOf(const httplib::Result& res) {
        const std::string c = res->get_header_value("Set-Cookie");
        return c.substr(0, c.find(';'));
    }
    static std::string csrfOf(const std::string& html) {
        const std::string key = "name=\"csrf\" value=\"";
        const auto p = html.find(key);
        return p == std::string::npos ? "" : html.substr(p + key.size(), 64);
    }
    // The sign-in form, then its POST: the response (303 + session cookie when accepted).
    httplib::Result signIn(const std::string& name, const std::string& password, const std::string& code) {
        auto form = orFailed(client()->Get("/support/login"));
        EXPECT_EQ(form->status, 200);
        const std::string pre = cookieOf(form);
        EXPECT_EQ(pre.rfind("__Host-ias-support-pre=", 0), 0u);
        return post("/support/login", pre, {{"csrf", csrfOf(form->body)}, {"name", name}, {"password", password}, {"code", code}});
    }
    std::string session(const std::string& name, const apdu::SecureBytes& seed) {
        auto res = signIn(name, kPassword, codeNow(seed));
        EXPECT_TRUE(res);
        if (!res) return "";
        EXPECT_EQ(res->status, 303) << res->body;
        const std::string setCookie = res->get_header_value("Set-Cookie");
        for (const char* attr : {"Secure", "HttpOnly", "SameSite=Strict", "Path=/"})
            EXPECT_NE(setCookie.find(attr), std::string::npos) << attr;
        EXPECT_EQ(setCookie.rfind(kSessionCookie, 0), 0u);
        return cookieOf(res);
    }
    static std::string csrfFor(const std::string& cookie) {
        return tokenHash("csrf:" + cookie.substr(cookie.find('=') + 1));
    }
    bool signedIn(const std::string& cookie) {
        auto res = get("/support/", cookie);
        return res && res->status == 200;
    }
    // Opens a case from the console; returns its id.
    std::int64_t openCase(const std::string& cookie, const std::string& serial) {
        auto res = post("/support/cases", cookie,
                        {{"csrf", csrfFor(cookie)}, {"serial", serial}, {"email", "holder@example.org"}, {"holder_lang", "fr"},
                         {"q0", "Ville de naissance ?"}, {"a0", "Lyon"}, {"q1", "Nom de jeune fille de votre mère ?"},
                         {"a1", "Durand-Canary1"}});
        EXPECT_TRUE(res);
        if (!res) return 0;
        EXPECT_EQ(res->status, 303) << res->body;
        const std::string location = res->get_header_value("Location");
        std::smatch m;
        EXPECT_TRUE(std::regex_search(location, m, std::regex("/support/cases/(\\d+)\\?")));
        EXPECT_NE(location.find("done=opened"), std::string::npos) << location;
        return m.empty() ? 0 : std::stoll(m[1]);
    }
    // The link token of the case's latest mail (outbox_dir).
    std::string linkOf(std::int64_t caseId) {
        std::ifstream in(outbox / ("case-" + std::to_string(caseId) + ".eml"));
        const std::string mail((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::smatch m;
        EXPECT_TRUE(std::regex_search(mail, m, std::regex("/h/([0-9a-f]{64})")));
        return m.empty() ? "" : m[1].str();
    }
    json status(const std::string& cookie, std::int64_t caseId) {
        auto res = get("/support/cases/" + std::to_string(caseId) + "/status", cookie);
        EXPECT_TRUE(res && res->status == 200);
        return res ? json::parse(res->body, nullptr, false) : json();
    }
    // Whether one audit line has this event, result and person.
    bool audited(const std::string& event, const std::string& result, const std::string& who) {
        std::istringstream lines(auditText.str());
        for (std::string line; std::getline(lines, line);) {
            const json j = json::parse(line, nullptr, false);
            if (j.value("event", "") == event && j.value("result", "") == result && j.value("staff", "") == who) return true;
        }
        return false;
    }
    std::string stateOf(std::int64_t caseId) { return store::toString(store->caseById(caseId)->state); }

    std::filesystem::path outbox;
};

}  // namespace

TEST_F(SupportConsoleTest, SignInNeedsPasswordAndAnUnusedCode) {
    const auto seed = addStaff("alice", staff::Role::Support);
    EXPECT_EQ(orFailed(client()->Get("/support/"))->status, 303) << "no session: the sign-in page";
    auto wrongPassword = signIn("alice", "correct horse batterY", codeNow(seed));
    EXPECT_EQ(wrongPassword->status, 401);
    EXPECT_NE(wrongPassword->body.find("id=\"refused\""), std::string::npos);
    EXPECT_EQ(signIn("alice", kPassword, codeNow(seed, 3))->status, 401) << "code of another time";
    EXPECT_EQ(signIn("nobody", kPassword, codeNow(seed))->status, 401);
    const std::string cookie = session("alice", seed);
    EXPECT_TRUE(signedIn(cookie));
    // The same code again (replay), even from another browser: refused.
    EXPECT_EQ(signIn("alice", kPassword, codeNow(seed))->status, 401);
    EXPECT_EQ(signIn("alice", kPassword, codeNow(seed, -1))->status, 401) << "an earlier step than the used one";
    clock.advance(30);
    EXPECT_EQ(signIn("alice", kPassword, codeNow(seed))->status, 303);
    EXPECT_TRUE(audited("staff_signin", "code_replayed", "alice"));
    EXPECT_TRUE(audited("staff_signin", "ok", "alice"));
    EXPECT_EQ(auditText.str().find(kPassword), std::string::npos) << "no password in the audit log";
}

TEST_F(SupportConsoleTest, FailedSignInsLockTheAccountAndAreAudited) {
    const auto seed = addStaff("alice", staff::Role::Support);
    for (int i = 0; i < config.console.lockoutFailures; ++i)
        EXPECT_EQ(signIn("alice", "wrong password here", codeNow(seed))->status, 401);
    EXPECT_TRUE(audited("staff_lockout", "locked", "alice"));
    EXPECT_EQ(signIn("alice", kPassword, codeNow(seed))->status, 401) << "locked, even with the right credentials";
    EXPECT_TRUE(audited("staff_signin", "locked", "alice"));
    clock.advance(config.console.lockoutSeconds);
    EXPECT_EQ(signIn("alice", kPassword, codeNow(seed))->status, 303);
}

TEST_F(SupportConsoleTest, SessionsExpireWhenIdleAndAtTheirMaximumAge) {
    const auto seed = addStaff("alice", staff::Role::Support);
    const std::string cookie = session("alice", seed);
    const std::int64_t id = openCase(cookie, kSerial);
    clock.advance(config.console.sessionIdle - 1);
    EXPECT_TRUE(signedIn(cookie)) << "a page resets the idle time";
    // The live refresh is not activity: it does not keep an idle session alive.
    clock.advance(config.console.sessionIdle / 2);
    EXPECT_EQ(get("/support/cases/" + std::to_string(id) + "/status", cookie)->status, 200);
    clock.advance(config.console.sessionIdle - config.console.sessionIdle / 2);
    EXPECT_EQ(get("/support/cases/" + std::to_string(id) + "/status", cookie)->status, 401)
        << "idle since the last page, although refreshed";
    EXPECT_FALSE(signedIn(cookie)) << "idle";

    clock.advance(30);
    const std::string second = session("alice", seed);
    for (store::Time t = 0; t + 600 < config.console.sessionMax; t += 600) {
        clock.advance(600);
        ASSERT_TRUE(signedIn(second)) << t;
    }
    clock.advance(600);
    EXPECT_FALSE(signedIn(second)) << "absolute expiry";
}

TEST_F(SupportConsoleTest, PostsWithoutTheSessionsCsrfTokenAreRefused) {
    const auto seed = addStaff("alice", staff::Role::Support);
    const std::string cookie = session("alice", seed);
    const std::int64_t id = openCase(cookie, kSerial);
    const std::string close = "/support/cases/" + std::to_string(id) + "/close";
    EXPECT_EQ(post(close, cookie, {{"reason", "test"}})->status, 403);
    EXPECT_EQ(post(close, cookie, {{"reason", "test"}, {"csrf", std::string(64, '0')}})->status, 403);
    EXPECT_EQ(post("/support/cases/" + std::to_string(id) + "/resend", cookie, {})->status, 403);
    EXPECT_EQ(stateOf(id), "open");
    // The sign-in form too: without its cookie's token, no sign-in.
    EXPECT_EQ(post("/support/login", "", {{"name", "alice"}, {"password", kPassword}, {"code", codeNow(seed)}})->status, 403);
    EXPECT_EQ(post(close, cookie, {{"reason", "test"}, {"csrf", csrfFor(cookie)}})->status, 303);
    EXPECT_EQ(stateOf(id), "closed");
}

TEST_F(SupportConsoleTest, AnAuditorReadsButCannotChangeAnything) {
    const std::string support = session("alice", addStaff("alice", staff::Role::Support));
    const std::int64_t id = openCase(support, kSerial);
    const std::string auditor = session("bob", addStaff("bob", staff::Role::Auditor));
    const std::string path = "/support/cases/" + std::to_string(id);
    auto page = get(path, auditor);
    ASSERT_EQ(page->status, 200);
    EXPECT_NE(page->body.find(kSerial), std::string::npos);
    EXPECT_EQ(page->body.find("id=\"resend\""), std::string::npos);
    EXPECT_EQ(page->body.find("id=\"close\""), std::string::npos);
    EXPECT_EQ(page->body.find("id=\"new-case\""), std::string::npos);
    // Enforced by the server, with a valid CSRF token.
    const std::string csrf = csrfFor(auditor);
    EXPECT_EQ(post(path + "/close", auditor, {{"csrf", csrf}, {"reason", "x"}})->status, 403);
    EXPECT_EQ(post(path + "/resend", auditor, {{"csrf", csrf}})->status, 403);
    EXPECT_EQ(get("/support/cases/new", auditor)->status, 403);
    EXPECT_EQ(post("/support/cases", auditor,
                   {{"csrf", csrf}, {"serial", "0010000000123460"}, {"email", "h@example.org"}, {"q0", "Q ?"}, {"a0", "A"}})
                  ->status,
              403);
    EXPECT_EQ(stateOf(id), "open");
    EXPECT_EQ(store->listCases().size(), 1u);
    for (const char* action : {"close", "resend", "open"}) EXPECT_TRUE(audited("staff_forbidden", action, "bob")) << action;
}

TEST_F(SupportConsoleTest, DynamicValuesAreEscaped) {
    const std::string cookie = session("alice", addStaff("alice", staff::Role::Support));
    auto search = get("/support/?q=%3Cscript%3Ealert(1)%3C/script%3E%22", cookie);
    ASSERT_EQ(search->status, 200);
    EXPECT_EQ(search->body.find("<script>alert"), std::string::npos);
    EXPECT_NE(search->body.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;"), std::string::npos);
    auto res = post("/support/cases", cookie,
                    {{"csrf", csrfFor(cookie)}, {"serial", kSerial}, {"email", "holder@example.org"},
                     {"q0", "<img src=x onerror=alert(1)> & \"q\""}, {"a0", "A"}});
    ASSERT_EQ(res->status, 303);
    auto page = get(res->get_header_value("Location"), cookie);
    EXPECT_EQ(page->body.find("<img src=x"), std::string::npos);
    EXPECT_NE(page->body.find("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;"), std::string::npos);
    EXPECT_EQ(page->body.find("<script>"), std::string::npos) << "no inline script";
    EXPECT_NE(page->get_header_value("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
}

TEST_F(SupportConsoleTest, OpenFollowResendAndCloseACase) {
    const std::string cookie = session("alice", addStaff("alice", staff::Role::Support));
    const std::int64_t id = openCase(cookie, kSerial);
    EXPECT_EQ(stateOf(id), "open");
    auto found = get("/support/?q=Holder%40Example.org", cookie);
    EXPECT_NE(found->body.find("/support/cases/" + std::to_string(id)), std::string::npos) << "found by e-mail";
    found = get(std::string("/support/?q=") + kSerial, cookie);
    EXPECT_NE(found->body.find("/support/cases/" + std::to_string(id)), std::string::npos) << "found by serial";
    EXPECT_NE(status(cookie, id)["fields"]["f-link"].get<std::string>().find("0 fois"), std::string::npos);

    // The holder opens the link: the console sees it.
    const std::string oldLink = linkOf(id);
    EXPECT_EQ(orFailed(client()->Get("/h/" + oldLink))->status, 303);
    EXPECT_NE(status(cookie, id)["fields"]["f-link"].get<std::string>().find("1 fois"), std::string::npos);

    // Resend: a new link; the old one and its holder session stop working.
    EXPECT_EQ(post("/support/cases/" + std::to_string(id) + "/resend", cookie, {{"csrf", csrfFor(cookie)}})->status, 303);
    const std::string newLink = linkOf(id);
    EXPECT_NE(newLink, oldLink);
    EXPECT_EQ(orFailed(client()->Get("/h/" + oldLink))->status, 404) << "old link refused";
    EXPECT_EQ(orFailed(client()->Get("/h/" + newLink))->status, 303);

    // Wrong answers through the holder API show up live.
    EXPECT_EQ(ServiceWorld::post("/v1/holder/answers", {{"answers", {"x", "y"}}}, newLink).status, 403);
    const json st = status(cookie, id);
    EXPECT_EQ(st["fields"]["f-answers"].get<std::string>().rfind("1 ", 0), 0u) << st.dump();
    EXPECT_NE(st["history"].dump().find("alice"), std::string::npos);

    EXPECT_EQ(post("/support/cases/" + std::to_string(id) + "/close", cookie,
                   {{"csrf", csrfFor(cookie)}, {"reason", "holder called back"}})
                  ->status,
              303);
    EXPECT_EQ(stateOf(id), "closed");
    EXPECT_EQ(store->caseById(id)->closedReason, "holder called back");
    auto page = get("/support/cases/" + std::to_string(id), cookie);
    EXPECT_NE(page->body.find("holder called back"), std::string::npos);
    EXPECT_EQ(page->body.find("id=\"resend\""), std::string::npos);
    const std::string audit = auditText.str();
    for (const char* event : {"support_case_open", "support_case_resend", "support_case_close", "support_case_view"})
        EXPECT_TRUE(audited(event, "ok", "alice")) << event << "\n" << audit;
    EXPECT_EQ(audit.find(oldLink), std::string::npos);
    EXPECT_EQ(audit.find(newLink), std::string::npos);
}

TEST_F(SupportConsoleTest, ADisabledAccountLosesItsSessions) {
    const std::string cookie = session("alice", addStaff("alice", staff::Role::Support));
    EXPECT_TRUE(signedIn(cookie));
    SupportConsole(*service).disable("alice");
    EXPECT_FALSE(signedIn(cookie));
}
