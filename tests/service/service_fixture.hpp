// SPDX-License-Identifier: Apache-2.0
// An ias-unblockd served in-process over HTTPS on an ephemeral loopback port, with a
// manual clock, a fresh database (SQLite or PostgreSQL), the test HSM token and captured
// audit/diagnostic output. Every response body is kept for the canary test.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/tokens.hpp"
#include "core/unblock_service.hpp"
#include "hsm_fixture.hpp"
#include "http/server.hpp"
#include "store_fixture.hpp"
#include "tls_fixture.hpp"

namespace ias::service::test {

using nlohmann::json;

constexpr const char* kAdminToken = "admin-token-for-tests";

struct Reply {  // NOLINT(bugprone-exception-escape): nlohmann::json's destructor may allocate (its iterative destroy), not ours to change
    int status = 0;
    json body;
    std::string raw;
    std::string retryAfter;  // the Retry-After header, if any
};

class ServiceWorld : public ::testing::Test {
protected:
    void SetUp() override {
        config.listen = "127.0.0.1";
        config.port = 0;
        config.tlsCert = testTls().cert;
        config.tlsKey = testTls().key;
        config.answerIterations = 1000;
        config.serialPerMinute = config.serialBurst = 1000;
        config.clientPerMinute = config.clientBurst = 100000;
        adjustConfig(config);
        store = db.open(8);
        service = std::make_unique<UnblockService>(config, *store, sharedTestHsm().get(), clock, audit);
        server = std::make_unique<http::Server>(*service, tokenHash(std::string_view(kAdminToken)), diagnostics);
        port = server->bind();
        config.publicUrl = "https://127.0.0.1:" + std::to_string(port);
        server->start();
    }
    void TearDown() override { server->stop(); }
    virtual void adjustConfig(ServiceConfig&) {}

    std::unique_ptr<httplib::SSLClient> client() const {
        auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
        c->set_ca_cert_path(testTls().cert);
        c->enable_server_certificate_verification(true);
        c->set_connection_timeout(5);
        c->set_read_timeout(10);
        return c;
    }

    Reply keep(const httplib::Result& r) {
        Reply out;
        if (!r) {
            ADD_FAILURE() << "HTTP request failed: " << httplib::to_string(r.error());
            return out;
        }
        out.status = r->status;
        out.raw = r->body;
        out.retryAfter = r->get_header_value("Retry-After");
        out.body = json::parse(r->body, nullptr, false);
        std::lock_guard lock(bodiesMutex);
        bodies.push_back(r->body);
        for (const auto& h : r->headers) bodies.push_back(h.first + ": " + h.second);
        return out;
    }

    Reply post(const std::string& path, const json& body, const std::string& bearer = "") {
        httplib::Headers h;
        if (!bearer.empty()) h.emplace("Authorization", "Bearer " + bearer);
        return keep(client()->Post(path, h, body.dump(), "application/json"));
    }
    Reply get(const std::string& path, const std::string& bearer = "") {
        httplib::Headers h;
        if (!bearer.empty()) h.emplace("Authorization", "Bearer " + bearer);
        return keep(client()->Get(path, h));
    }

    // Creates a case through the admin API; returns the link token (from the link).
    std::string createCase(const std::string& serial, const json& questions = json::array({
                                                          {{"question", "Nom de jeune fille de votre mère ?"},
                                                           {"answer", "Durand-Canary1"}},
                                                          {{"question", "Ville de naissance ?"}, {"answer", "Lyon"}},
                                                      })) {
        const Reply r = post("/v1/admin/cases", {{"serial", serial}, {"email", "holder@example.org"}, {"questions", questions}},
                             kAdminToken);
        EXPECT_EQ(r.status, 201) << r.raw;
        const std::string link = r.body.value("link", "");
        return link.substr(link.rfind('/') + 1);
    }
    // Case + correct answers: returns the secret as displayed.
    std::string issueSecret(const std::string& serial) {
        const std::string link = createCase(serial);
        const Reply r = post("/v1/holder/answers", {{"answers", {"Durand-Canary1", "Lyon"}}}, link);
        EXPECT_EQ(r.status, 200) << r.raw;
        return r.body.value("secret", "");
    }
    Reply verify(const std::string& serial, const std::string& secret) {
        return post("/v1/unblock/verify", {{"serial", serial}, {"secret", secret}});
    }
    Reply cryptogram(const std::string& ticket, const std::string& challengeHex) {
        return post("/v1/unblock/cryptogram", {{"ticket", ticket}, {"challenge", challengeHex}});
    }
    Reply confirm(const std::string& ticket, const std::string& outcome, int triesAfter = 3) {
        return post("/v1/unblock/confirm", {{"ticket", ticket}, {"outcome", outcome}, {"tries_after", triesAfter}});
    }

    ServiceConfig config;
    ManualClock clock;
    std::ostringstream auditText, diagnostics;
    AuditLog audit{auditText, clock};
    TestDatabase db;
    std::unique_ptr<store::Store> store;
    std::unique_ptr<UnblockService> service;
    std::unique_ptr<http::Server> server;
    int port = 0;
    std::mutex bodiesMutex;
    std::vector<std::string> bodies;
};

}  // namespace ias::service::test
