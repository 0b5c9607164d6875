// SPDX-License-Identifier: Apache-2.0
// The holder pages over HTTPS, driven without a browser (the browser run is
// tests/service/holder_pages_selenium.py).
#include "service_fixture.hpp"

using namespace ias;
using namespace ias::service;
using namespace ias::service::test;

namespace {

class ServicePages : public ServiceWorld {
protected:
    // Opens the link: returns the session cookie ("name=value").
    std::string open(const std::string& link, const std::string& lang = "") {
        auto res = client()->Get("/h/" + link + (lang.empty() ? "" : "?lang=" + lang));
        EXPECT_TRUE(res);
        if (!res) return "";
        keep(res);
        EXPECT_EQ(res->status, 303);
        const std::string location = res->get_header_value("Location");
        EXPECT_EQ(location.find(link), std::string::npos) << "no token after the first visit";
        const std::string cookie = res->get_header_value("Set-Cookie");
        EXPECT_NE(cookie.find("Secure"), std::string::npos);
        EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
        EXPECT_NE(cookie.find("SameSite="), std::string::npos);
        return cookie.substr(0, cookie.find(';'));
    }
    httplib::Result page(const std::string& path, const std::string& cookie) {
        auto res = client()->Get(path, httplib::Headers{{"Cookie", cookie}});
        if (res) keep(res);
        return res;
    }
    std::string csrfOf(const std::string& html) {
        const std::string key = "name=\"csrf\" value=\"";
        const auto p = html.find(key);
        return p == std::string::npos ? "" : html.substr(p + key.size(), 64);
    }
    httplib::Result answer(const std::string& cookie, const std::string& csrf, const std::string& a0,
                           const std::string& a1) {
        httplib::Params params{{"csrf", csrf}, {"a0", a0}, {"a1", a1}};
        auto res = client()->Post("/holder/answers", httplib::Headers{{"Cookie", cookie}}, params);
        if (res) keep(res);
        return res;
    }
};
}  // namespace

TEST_F(ServicePages, FrenchFlowShowsTheSecretOnce) {
    const std::string cookie = open(createCase(kSerial));
    auto init = page("/holder", cookie);
    ASSERT_TRUE(init);
    EXPECT_EQ(init->status, 200);
    EXPECT_NE(init->body.find("Débloquer mon support"), std::string::npos);
    EXPECT_NE(init->body.find(kSerial), std::string::npos);
    EXPECT_NE(init->get_header_value("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
    auto q = page("/holder/questions", cookie);
    ASSERT_TRUE(q);
    EXPECT_NE(q->body.find("Afficher les valeurs"), std::string::npos);
    EXPECT_NE(q->body.find("type=\"password\""), std::string::npos);
    EXPECT_EQ(q->body.find("<script>"), std::string::npos) << "no inline script";
    const std::string csrf = csrfOf(q->body);
    ASSERT_EQ(csrf.size(), 64u);
    auto s = answer(cookie, csrf, "Durand-Canary1", "Lyon");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->status, 200);
    const auto p = s->body.find("id=\"secret\">");
    ASSERT_NE(p, std::string::npos);
    const std::string secret = s->body.substr(p + 12, 22);
    EXPECT_TRUE(protocol::parseSecret(secret).ok());
    EXPECT_NE(s->body.find("pkcs11-tool"), std::string::npos);
    EXPECT_NE(s->body.find("Firefox"), std::string::npos);
    // Shown once.
    auto again = page("/holder", cookie);
    EXPECT_EQ(again->status, 410);
    EXPECT_EQ(again->body.find(secret), std::string::npos);
    EXPECT_EQ(verify(kSerial, secret).status, 200);
}

TEST_F(ServicePages, EnglishOnRequest) {
    const std::string cookie = open(createCase(kSerial), "en");
    auto init = page("/holder?lang=en", cookie);
    EXPECT_NE(init->body.find("Unblock my token"), std::string::npos);
    EXPECT_NE(init->body.find("lang=\"en\""), std::string::npos);
}

TEST_F(ServicePages, ThreeWrongSubmissionsShowTheBlockAndSupport) {
    const std::string cookie = open(createCase(kSerial));
    const std::string csrf = csrfOf(page("/holder/questions", cookie)->body);
    auto w1 = answer(cookie, csrf, "durand-canary1", "Lyon");
    EXPECT_EQ(w1->status, 403);
    EXPECT_NE(w1->body.find("Il vous reste 2 essai(s)"), std::string::npos);
    answer(cookie, csrf, "x", "y");
    auto blocked = answer(cookie, csrf, "x", "y");
    EXPECT_EQ(blocked->status, 410);
    EXPECT_NE(blocked->body.find("Réponses erronées"), std::string::npos);
    EXPECT_NE(blocked->body.find(config.support.phone), std::string::npos);
    EXPECT_NE(blocked->body.find(config.support.hours.substr(0, 8)), std::string::npos);
    EXPECT_NE(blocked->body.find(config.brand.revocationUrl), std::string::npos);
    EXPECT_EQ(get("/v1/admin/revocations", kAdminToken).body.size(), 1u);
}

TEST_F(ServicePages, CsrfAndSessionAreRequired) {
    const std::string cookie = open(createCase(kSerial));
    auto bad = answer(cookie, std::string(64, '0'), "Durand-Canary1", "Lyon");
    EXPECT_EQ(bad->status, 403);
    EXPECT_NE(bad->body.find("data-error=\"csrf\""), std::string::npos);
    auto noSession = answer("__Host-ias-holder=" + std::string(64, 'a'), std::string(64, '0'), "a", "b");
    EXPECT_EQ(noSession->status, 401);
    EXPECT_EQ(page("/holder", "")->status, 401);
    // The failed CSRF attempt spent no try.
    EXPECT_EQ(store->listCases()[0].answerFailures, 0);
}

TEST_F(ServicePages, ExpiredAndUnknownLinks) {
    const std::string link = createCase(kSerial);
    clock.advance(24L * 3600);
    auto res = client()->Get("/h/" + link);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 410);
    EXPECT_NE(res->body.find("Lien expiré"), std::string::npos);
    EXPECT_NE(res->body.find(config.support.email), std::string::npos);
    auto unknown = client()->Get("/h/" + std::string(64, 'c'));
    EXPECT_EQ(unknown->status, 404);
    EXPECT_NE(unknown->body.find("Lien invalide"), std::string::npos);
}

TEST_F(ServicePages, StaticAssetsAndBranding) {
    auto js = client()->Get("/static/holder.js");
    ASSERT_TRUE(js);
    EXPECT_NE(js->body.find("'text' : 'password'"), std::string::npos);
    auto css = client()->Get("/static/holder.css");
    EXPECT_NE(css->body.find(config.brand.accentColor), std::string::npos);
}

// A script may post the form as multipart/form-data: the same fields, the same decisions
// (it used to be refused as a CSRF failure, the fields being kept apart from the parameters).
TEST_F(ServicePages, MultipartFormIsReadLikeTheUrlencodedOne) {
    const std::string cookie = open(createCase(kSerial));
    const std::string csrf = csrfOf(page("/holder/questions", cookie)->body);
    ASSERT_EQ(csrf.size(), 64u);
    auto post = [&](const std::string& token, const std::string& a0) {
        const httplib::MultipartFormDataItems items{
            {"csrf", token, "", ""}, {"a0", a0, "", ""}, {"a1", "Lyon", "", ""}};
        auto res = client()->Post("/holder/answers", httplib::Headers{{"Cookie", cookie}}, items);
        if (res) keep(res);
        return res;
    };
    auto forged = post(std::string(64, '0'), "Durand-Canary1");
    ASSERT_TRUE(forged);
    EXPECT_EQ(forged->status, 403);
    EXPECT_NE(forged->body.find("data-error=\"csrf\""), std::string::npos);
    auto wrong = post(csrf, "durand-canary1");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 403);
    EXPECT_EQ(wrong->body.find("data-error=\"csrf\""), std::string::npos) << "a wrong answer, not a CSRF refusal";
    EXPECT_EQ(store->listCases()[0].answerFailures, 1);
    auto right = post(csrf, "Durand-Canary1");
    ASSERT_TRUE(right);
    EXPECT_EQ(right->status, 200);
    EXPECT_NE(right->body.find("id=\"secret\">"), std::string::npos);
}
