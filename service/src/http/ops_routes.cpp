// SPDX-License-Identifier: Apache-2.0
#include "http/ops_routes.hpp"

#include <httplib.h>

#include "core/metrics.hpp"
#include "hsm/pkcs11_module.hpp"
#include "store/sql.hpp"

namespace ias::service::http {

std::string metricsText(store::Store& store, const Clock& clock, const ServiceConfig& config) {
    OperationalState s;
    s.now = clock.now();
    s.revocationAlertAfter = config.revocation.alertAfter;
    try {
        s.casesByState = store.caseCountsByState();
        s.mail = store.mailQueueStats();
        s.revocation = store.revocationQueueStats();
    } catch (const store::StoreError&) {
        metrics().databaseError();
        s.databaseUp = false;
    }
    return metrics().exposition(s);
}

OpsServer::OpsServer(store::Store& store, hsm::Hsm* hsm, const Clock& clock, const ServiceConfig& config)
    : store_(store), hsm_(hsm), clock_(clock), config_(config), server_(std::make_unique<httplib::Server>()) {
    server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
    server_->set_read_timeout(5);
    server_->set_write_timeout(5);
    server_->set_payload_max_length(1024);
    server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(metricsText(store_, clock_, config_), "text/plain; version=0.0.4; charset=utf-8");
    });
    server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
    server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
        std::string problems;
        try {
            store_.ping();
        } catch (const store::StoreError&) {
            metrics().databaseError();
            problems += "database unavailable\n";
        }
        if (hsm_) {
            try {
                static constexpr std::uint8_t kProbe[] = {'r', 'e', 'a', 'd', 'y'};
                (void)hsm_->hmacSha256(apdu::ByteView(kProbe, sizeof kProbe));
            } catch (const hsm::HsmError&) {
                metrics().hsmError();
                problems += "HSM unavailable\n";
            }
        }
        res.status = problems.empty() ? 200 : 503;
        res.set_content(problems.empty() ? "ready\n" : problems, "text/plain");
    });
}

OpsServer::~OpsServer() { stop(); }

int OpsServer::start() {
    const std::string& l = config_.metricsListen;
    const auto colon = l.rfind(':');
    if (colon == std::string::npos || colon == 0) throw std::runtime_error("metrics.listen must be address:port");
    std::string host = l.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = 0;
    try {
        port = std::stoi(l.substr(colon + 1));
    } catch (const std::exception&) {
        port = -1;
    }
    if (port < 0 || port > 65535) throw std::runtime_error("metrics.listen must be address:port");
    if (port == 0) {
        port = server_->bind_to_any_port(host);
        if (port <= 0) throw std::runtime_error("cannot bind metrics.listen " + l);
    } else if (!server_->bind_to_port(host, port)) {
        throw std::runtime_error("cannot bind metrics.listen " + l);
    }
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return port;
}

void OpsServer::stop() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace ias::service::http
