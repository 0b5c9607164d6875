// SPDX-License-Identifier: Apache-2.0
// Admin/support API under /v1/admin (bearer token): cases, revocation requests, outbox (which
// mails were handed over for delivery, never their links).
#include <openssl/crypto.h>

#include <charconv>

#include "core/tokens.hpp"
#include "http/common.hpp"

namespace ias::service::http {

using nlohmann::json;
using protocol::ApiError;
using protocol::ApiException;

namespace {

void requireAdmin(Routes& r, const httplib::Request& req, const RequestContext& ctx) {
    const apdu::SecureBytes token = bearerToken(req);
    const std::string presented = token.empty() ? std::string() : tokenHash(token);
    const bool ok = !r.adminTokenHash.empty() && presented.size() == r.adminTokenHash.size() &&
                    CRYPTO_memcmp(presented.data(), r.adminTokenHash.data(), presented.size()) == 0;
    r.service.admitAdmin(ok, req.method + " " + req.path, ctx);
}

json caseJson(const store::CaseRecord& c) {
    json q = json::array();
    for (const auto& x : c.questions) q.push_back(x.text);
    return {{"id", c.id},
            {"serial", c.serial},
            {"email", c.email},
            {"language", c.language},
            {"state", store::toString(c.state)},
            {"created_at", c.createdAt},
            {"link_expires_at", c.linkExpiresAt},
            {"answer_failures", c.answerFailures},
            {"secret_expires_at", c.secretExpiresAt},
            {"secret_tries_left", c.secretTriesLeft},
            {"cryptograms_used", c.cryptogramsUsed},
            {"closed_reason", c.closedReason},
            {"questions", q}};
}

// The delivery state of a mail: that it was handed over or is queued, its attempts and last
// error; never its body or link.
json mailJson(const store::OutboxMail& m) {
    return {{"id", m.id},
            {"case", m.caseId ? json(m.caseId) : json(nullptr)},
            {"to", m.recipient},
            {"subject", m.subject},
            {"created_at", m.createdAt},
            {"sent_at", m.sentAt ? json(m.sentAt) : json(nullptr)},
            {"state", m.state},
            {"attempts", m.attempts},
            {"next_attempt_at", m.state == "queued" ? json(m.nextAttemptAt) : json(nullptr)},
            {"last_error", m.lastError.empty() ? json(nullptr) : json(m.lastError)}};
}

json revocationJson(const store::RevocationRequest& x) {
    return {{"id", x.id},
            {"case", x.caseId},
            {"serial", x.serial},
            {"reason", x.reasonCode},
            {"reason_text", x.reason},
            {"requested_by", x.requestedBy},
            {"created_at", x.createdAt},
            {"state", x.state == store::RevocationState::Delivered ? "delivered" : "pending"},
            {"attempts", x.attempts},
            {"next_attempt_at", x.state == store::RevocationState::Pending ? json(x.nextAttemptAt) : json(nullptr)},
            {"delivered_at", x.deliveredAt ? json(x.deliveredAt) : json(nullptr)},
            {"last_error", x.lastError.empty() ? json(nullptr) : json(x.lastError)},
            {"idempotency_key", x.idempotencyKey}};
}


std::string str(const json& j, const char* key, bool required = true) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string()) {
        if (!required) return "";
        throw ApiException(ApiError::BadRequest, std::string(key) + " missing or not a string");
    }
    return it->get<std::string>();
}

}  // namespace

void installAdminRoutes(httplib::Server& s, Routes& r) {
    s.Post("/v1/admin/cases", [&r](const httplib::Request& req, httplib::Response& res) {
        guarded(r, req, res, [&](const RequestContext& ctx) {
            requireAdmin(r, req, ctx);
            json j = json::parse(req.body, nullptr, false);
            if (!j.is_object()) throw ApiException(ApiError::BadRequest, "body is not a JSON object");
            std::vector<QuestionAnswer> qa;
            auto qs = j.find("questions");
            if (qs == j.end() || !qs->is_array()) throw ApiException(ApiError::BadRequest, "questions missing");
            for (auto& q : *qs) {
                if (!q.is_object()) throw ApiException(ApiError::BadRequest, "question is not an object");
                QuestionAnswer x{str(q, "question"), {}};
                auto a = q.find("answer");
                if (a == q.end() || !a->is_string()) throw ApiException(ApiError::BadRequest, "answer missing");
                std::string& ref = a->get_ref<std::string&>();
                x.answer.assign(ref.begin(), ref.end());
                apdu::wipeMemory(ref.data(), ref.size());
                qa.push_back(std::move(x));
            }
            std::string language = str(j, "language", false);
            const auto created = r.service.createCase(str(j, "serial"), str(j, "email"),
                                                      language.empty() ? "fr" : language, qa, ctx);
            sendJson(res, 201,
                     json{{"id", created.id},
                          {"link", asText(created.link)},
                          {"link_expires_at", created.linkExpiresAt},
                          {"mail_sent", created.mailSent},
                          {"mail_queued", created.mailQueued}}
                         .dump());
        });
    });
    s.Get("/v1/admin/cases", [&r](const httplib::Request& req, httplib::Response& res) {
        guarded(r, req, res, [&](const RequestContext& ctx) {
            requireAdmin(r, req, ctx);
            json out = json::array();
            for (const auto& c : r.service.store().listCases()) out.push_back(caseJson(c));
            sendJson(res, 200, out.dump());
        });
    });
    // One case, with its mail's delivery state and its revocation request (null when none).
    s.Get(R"(/v1/admin/cases/(\d+))", [&r](const httplib::Request& req, httplib::Response& res) {
        guarded(r, req, res, [&](const RequestContext& ctx) {
            requireAdmin(r, req, ctx);
            const auto id = caseIdOf(req);
            const auto c = id ? r.service.store().caseById(*id) : std::nullopt;
            if (!c) throw ApiException(ApiError::NoCase, "no_case");
            json out = caseJson(*c);
            const auto m = r.service.store().mailOfCase(c->id);
            out["mail"] = m ? mailJson(*m) : json(nullptr);
            out["revocation"] = nullptr;
            for (const auto& x : r.service.store().listRevocationRequests())
                if (x.caseId == c->id) out["revocation"] = revocationJson(x);
            sendJson(res, 200, out.dump());
        });
    });
    s.Post(R"(/v1/admin/cases/(\d+)/close)", [&r](const httplib::Request& req, httplib::Response& res) {
        guarded(r, req, res, [&](const RequestContext& ctx) {
            requireAdmin(r, req, ctx);
            const json j = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
            const std::string reason = j.is_object() ? str(j, "reason", false) : "";
            const auto id = caseIdOf(req);
            if (!id || !r.service.closeCase(*id, reason.empty() ? "closed by support" : reason, ctx))
                throw ApiException(ApiError::NotFound, "not_found");
            res.status = 204;
        });
    });
    s.Get("/v1/admin/revocations", [&r](const httplib::Request& req, httplib::Response& res) {
        guarded(r, req, res, [&](const RequestContext& ctx) {
            requireAdmin(r, req, ctx);
            json out = json::array();
            for (const auto& x : r.service.store().listRevocationRequests()) out.push_back(revocationJson(x));
            sendJson(res, 200, out.dump());
        });
    });
    // Support asks the CA to revoke the case's certificates: {"reason": "keyCompromise" |
    // "cessationOfOperation"}. 200 with the case's request (an existing one is kept as it is).
    s.Post(R"(/v1/admin/cases/(\d+)/revoke)", [&r](const httplib::Request& req, httplib::Response& res) {
        guarded(r, req, res, [&](const RequestContext& ctx) {
            requireAdmin(r, req, ctx);
            const json j = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
            if (!j.is_object()) throw ApiException(ApiError::BadRequest, "body is not a JSON object");
            const std::string reason = str(j, "reason", false);
            const auto id = caseIdOf(req);
            const auto x = id ? r.service.requestRevocation(*id, reason.empty() ? "keyCompromise" : reason, ctx)
                              : std::nullopt;
            if (!x) throw ApiException(ApiError::NotFound, "not_found");
            sendJson(res, 200, revocationJson(*x).dump());
        });
    });
    s.Get("/v1/admin/outbox", [&r](const httplib::Request& req, httplib::Response& res) {
        guarded(r, req, res, [&](const RequestContext& ctx) {
            requireAdmin(r, req, ctx);
            json out = json::array();
            for (const auto& m : r.service.store().listOutbox()) out.push_back(mailJson(m));
            sendJson(res, 200, out.dump());
        });
    });
}

}  // namespace ias::service::http
