// SPDX-License-Identifier: Apache-2.0
// HTTP plumbing shared by the route files: request ids, client address, JSON and error
// responses, and the guard that turns exceptions into API errors (no exception text that
// could carry request data reaches a response or a log).
#pragma once

#include <httplib.h>

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>
#include <string>

#include "core/unblock_service.hpp"

namespace ias::service::http {

struct Routes {
    UnblockService& service;
    std::string adminTokenHash;  // hex SHA-256 of the admin bearer token; empty = admin API off
    std::ostream& diagnostics;   // operator diagnostics (no request data)
};

// The caller's X-Request-Id when it is 1..64 of [A-Za-z0-9._-], else a fresh random id.
std::string requestIdFor(const httplib::Request& req);
// Request id, and the client address (X-Forwarded-For only from `trusted_proxies`).
RequestContext contextFor(const Routes& r, const httplib::Request& req, httplib::Response& res);

// Retry-After of a rate-limit refusal: when the refusing bucket holds a token again.
void setRetryAfter(httplib::Response& res, const protocol::ApiException& e);

void sendJson(httplib::Response& res, int status, const std::string& body);
void sendError(httplib::Response& res, const RequestContext& ctx, protocol::ApiError e,
               std::optional<int> triesLeft = std::nullopt, const nlohmann::json& extra = nullptr);

// Runs `f(ctx)`; ApiException -> its error response; anything else -> 500 "internal".
void guarded(Routes& r, const httplib::Request& req, httplib::Response& res,
             const std::function<void(const RequestContext&)>& f,
             const std::function<nlohmann::json()>& refusalExtra = nullptr);

// The bearer token of an "Authorization: Bearer <token>" header (empty when absent).
apdu::SecureBytes bearerToken(const httplib::Request& req);

nlohmann::json supportJson(const ServiceConfig& c);

// --- pages (holder and support console)
// The value of cookie `name` from the Cookie header, in a wiping buffer (empty when absent).
apdu::SecureBytes cookieValue(const httplib::Request& req, std::string_view name);
// The CSRF token of a session: SHA-256("csrf:" || session id), hex.
std::string csrfFor(std::string_view session);
// Whether the form's "csrf" field is csrfFor(session) (constant-time comparison).
bool csrfMatches(const httplib::Request& req, std::string_view session);
void sendPage(httplib::Response& res, int status, const std::string& html);
// A form field, urlencoded or multipart/form-data (the pages post urlencoded; a script may
// post multipart, whose fields httplib keeps apart from the parameters).
// Returned in a wiping buffer; the copies httplib hands out are wiped here.
apdu::SecureBytes formValue(const httplib::Request& req, const std::string& key);

// Everything of the daemon's HTTP behaviour that is not TLS, sockets or threads: limits,
// security headers, the error handler and all routes (server.cpp; the fuzz target drives
// the same configuration without sockets).
void configureServer(httplib::Server& s, Routes& r);

// After a response was made (configureServer's post-routing handler): the copies of what the
// client sent that httplib keeps until the next request (body with secrets or answers, form
// fields and files, Authorization and Cookie headers, a /h/<link> path) are wiped.
void wipeRequest(const httplib::Request& req);

void installModuleRoutes(httplib::Server& s, Routes& r);
void installAdminRoutes(httplib::Server& s, Routes& r);
void installHolderApiRoutes(httplib::Server& s, Routes& r);
void installHolderPages(httplib::Server& s, Routes& r);
void installSupportRoutes(httplib::Server& s, Routes& r);

// The case id of a route's (\d+) match; nullopt when it does not fit 64 bits (it names no
// case; std::stoll would throw -> 500).
std::optional<std::int64_t> caseIdOf(const httplib::Request& req);

}  // namespace ias::service::http
