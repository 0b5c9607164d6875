// SPDX-License-Identifier: Apache-2.0
#include "http/server.hpp"

#include <openssl/crypto.h>

#include <chrono>
#include <utility>

#include "core/metrics.hpp"
#include "http/common.hpp"
#include "http/connection_limits.hpp"

namespace ias::service::http {

namespace {
// connect-src 'self': the support console's case page refreshes itself from its own origin.
constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

// When the request on this thread was routed (httplib routes and answers a request on one
// thread): the latency of /metrics. Zero outside a request.
// (Nanoseconds of steady_clock: a plain integer, nothing to construct.)
thread_local std::int64_t t_routedAtNs = 0;

std::int64_t steadyNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void wipe(std::string& s) {
    s.resize(s.capacity());  // no reallocation: the whole buffer, not only its current size
    OPENSSL_cleanse(s.data(), s.size());
    s.clear();
}

}  // namespace

// httplib hands the handlers a const view of its own (non-const) request object.
void wipeRequest(const httplib::Request& req) {
    auto& r = const_cast<httplib::Request&>(req);
    wipe(r.body);
    for (auto& [key, value] : r.params) wipe(value);
    for (auto& [key, file] : r.files) wipe(file.content);
    for (const char* name : {"Authorization", "Cookie"}) {  // Headers compare names case-insensitively
        const auto [first, last] = r.headers.equal_range(name);
        for (auto it = first; it != last; ++it) wipe(it->second);
    }
    if (r.path.rfind("/h/", 0) == 0) {
        wipe(r.path);
        wipe(r.target);
    }
}

void configureServer(httplib::Server& s, Routes& r) {
    const ServiceConfig& c = r.service.config();
    s.set_keep_alive_max_count(1000);
    s.set_keep_alive_timeout(5);
    s.set_payload_max_length(static_cast<std::size_t>(c.httpMaxBody));
    s.set_read_timeout(c.httpReadTimeout);
    s.set_write_timeout(c.httpWriteTimeout);
    s.set_default_headers({
        {"Strict-Transport-Security", "max-age=31536000"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-store"},
        {"Content-Security-Policy", kCsp},
    });
    // No partial content: httplib would cut any response to the client's Range (a JSON body,
    // the one-time display of a secret) and still send it as 200. Range is ignored (RFC 9110
    // §14.2): the ranges httplib parsed into its own (non-const) request are dropped.
    s.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
        const_cast<httplib::Request&>(req).ranges.clear();
        RequestLimits::requestRead(req);  // line and headers read: the body is counted afresh
        t_routedAtNs = steadyNs();
        return httplib::Server::HandlerResponse::Unhandled;
    });
    s.set_post_routing_handler([](const httplib::Request& req, const httplib::Response& res) {
        RequestLimits::requestRead(req);  // the body was read and answered: writing is not timed
        const std::int64_t routedAt = std::exchange(t_routedAtNs, 0);
        const double seconds = routedAt == 0 ? 0.0 : static_cast<double>(steadyNs() - routedAt) / 1e9;
        metrics().observeRequest(routeLabel(req.path, res.status), res.status, seconds);
        wipeRequest(req);
    });
    s.set_error_handler([&r](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        const RequestContext ctx = contextFor(r, req, res);
        const int status = res.status;
        sendError(res, ctx, status == 404 ? protocol::ApiError::NotFound : protocol::ApiError::BadRequest);
        res.status = status;
    });
    installModuleRoutes(s, r);
    installAdminRoutes(s, r);
    installHolderApiRoutes(s, r);
    installHolderPages(s, r);
    installSupportRoutes(s, r);
}

Server::Server(UnblockService& service, const std::string& adminTokenHash, std::ostream& diagnostics)
    : routes_(std::make_unique<Routes>(Routes{service, adminTokenHash, diagnostics})) {
    const ServiceConfig& c = service.config();
    server_ = std::make_unique<httplib::SSLServer>(c.tlsCert.c_str(), c.tlsKey.c_str());
    if (!server_->is_valid()) throw std::runtime_error("cannot set up TLS with tls.cert / tls.key");
    SSL_CTX_set_min_proto_version(server_->ssl_context(), TLS1_2_VERSION);
    const int threads = std::max(2, c.threads);
    server_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    server_->set_tcp_nodelay(true);
    // What one request may send: line, headers, body, and the TLS records' own bytes.
    const std::size_t request = static_cast<std::size_t>(c.httpMaxHead) + static_cast<std::size_t>(c.httpMaxBody);
    limits_ = std::make_unique<RequestLimits>(server_->ssl_context(), request + request / 256 + std::size_t{16} * 1024,
                                              c.httpRequestTimeout);
    configureServer(*server_, *routes_);
}

Server::~Server() { stop(); }

std::size_t Server::connectionsCut() const { return limits_ ? limits_->cut() : 0; }

int Server::bind() {
    const ServiceConfig& c = routes_->service.config();
    if (c.port == 0) {
        const int port = server_->bind_to_any_port(c.listen);
        if (port <= 0) throw std::runtime_error("cannot bind " + c.listen);
        return port;
    }
    if (!server_->bind_to_port(c.listen, c.port)) throw std::runtime_error("cannot bind " + c.listen + ":" + std::to_string(c.port));
    return c.port;
}

void Server::serve() { server_->listen_after_bind(); }

void Server::start() {
    thread_ = std::thread([this] { serve(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void Server::stop() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace ias::service::http
