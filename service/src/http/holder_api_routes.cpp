// SPDX-License-Identifier: Apache-2.0
// The holder steps as JSON, for the guided `ias-unblock` tool (link token as bearer):
//   GET  /v1/holder/case      -> serial, questions, tries_left, expires_in, support contacts
//   POST /v1/holder/answers   {"answers": [...]} -> {"secret": "XXXX-XXXX-XXXX-XXXX-CC", ...}
// Same rules as the pages: case-sensitive answers, 3 wrong submissions -> blocked.
#include "core/tokens.hpp"
#include "http/common.hpp"

namespace ias::service::http {

using nlohmann::json;
using protocol::ApiError;
using protocol::ApiException;

void installHolderApiRoutes(httplib::Server& s, Routes& r) {
    auto extra = [&r] { return supportJson(r.service.config()); };
    s.Get("/v1/holder/case", [&r, extra](const httplib::Request& req, httplib::Response& res) {
        guarded(
            r, req, res,
            [&](const RequestContext& ctx) {
                const auto c = r.service.openCaseByLink(bearerToken(req), ctx);
                json q = json::array();
                for (const auto& x : c.questions) q.push_back(x.text);
                json out{{"serial", c.serial},
                         {"language", c.language},
                         {"questions", q},
                         {"tries_left", protocol::kMaxAnswerSubmissions - c.answerFailures},
                         {"expires_in", c.linkExpiresAt - r.service.clock().now()}};
                out.update(extra());
                sendJson(res, 200, out.dump());
            },
            extra);
    });
    s.Post("/v1/holder/answers", [&r, extra](const httplib::Request& req, httplib::Response& res) {
        guarded(
            r, req, res,
            [&](const RequestContext& ctx) {
                const auto c = r.service.openCaseByLink(bearerToken(req), ctx);
                json j = json::parse(req.body, nullptr, false);
                auto a = j.is_object() ? j.find("answers") : j.end();
                if (!j.is_object() || a == j.end() || !a->is_array())
                    throw ApiException(ApiError::BadRequest, "answers missing");
                std::vector<apdu::SecureBytes> answers;
                for (auto& x : *a) {
                    if (!x.is_string()) throw ApiException(ApiError::BadRequest, "answer is not a string");
                    std::string& ref = x.get_ref<std::string&>();
                    answers.emplace_back(ref.begin(), ref.end());
                    apdu::wipeMemory(ref.data(), ref.size());
                }
                const IssuedSecret issued = r.service.submitAnswers(c.id, answers, ctx);
                const apdu::SecureBytes display = issued.secret.display();
                json out{{"serial", issued.serial},
                         {"secret", asText(display)},
                         {"expires_in", issued.expiresAt - r.service.clock().now()},
                         {"tries", protocol::kMaxSecretTries}};
                res.set_header("Cache-Control", "no-store");
                std::string body = out.dump();
                sendJson(res, 200, body);
                apdu::wipeMemory(body.data(), body.size());
                std::string& s = out["secret"].get_ref<std::string&>();
                apdu::wipeMemory(s.data(), s.size());
            },
            extra);
    });
}

}  // namespace ias::service::http
