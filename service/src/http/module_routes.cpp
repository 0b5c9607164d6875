// SPDX-License-Identifier: Apache-2.0
// POST /v1/unblock/verify, /cryptogram, /confirm (UNBLOCK.md table).
#include "core/tokens.hpp"
#include "http/common.hpp"

namespace ias::service::http {

void installModuleRoutes(httplib::Server& s, Routes& r) {
    s.Post("/v1/unblock/verify", [&r](const httplib::Request& req, httplib::Response& res) {
        guarded(r, req, res, [&](const RequestContext& ctx) {
            const auto resp = r.service.verify(protocol::parseVerifyRequest(req.body), ctx);
            const apdu::SecureBytes body = protocol::toJson(resp);
            sendJson(res, 200, std::string(asText(body)));
        });
    });
    s.Post("/v1/unblock/cryptogram", [&r](const httplib::Request& req, httplib::Response& res) {
        guarded(r, req, res, [&](const RequestContext& ctx) {
            const auto resp = r.service.cryptogram(protocol::parseCryptogramRequest(req.body), ctx);
            sendJson(res, 200, protocol::toJson(resp));
        });
    });
    s.Post("/v1/unblock/confirm", [&r](const httplib::Request& req, httplib::Response& res) {
        guarded(r, req, res, [&](const RequestContext& ctx) {
            r.service.confirm(protocol::parseConfirmRequest(req.body), ctx);
            res.status = 204;
        });
    });
}

}  // namespace ias::service::http
