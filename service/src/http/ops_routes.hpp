// SPDX-License-Identifier: Apache-2.0
// The operations listener (metrics.listen, plain HTTP, default off): /metrics (Prometheus
// text format, core/metrics.hpp), /healthz (the process answers) and /readyz (the database
// and the HSM can be used now: 200, else 503). Never on the public listener: it is meant for
// the monitoring network, and says nothing of any holder.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "hsm/hsm.hpp"
#include "store/store.hpp"

namespace httplib {
class Server;
}

namespace ias::service::http {

// The metrics text of now (reads the database; a database error leaves database_up 0).
std::string metricsText(store::Store& store, const Clock& clock, const ServiceConfig& config);

class OpsServer {
public:
    // `hsm` may be null (readiness then checks the database only).
    OpsServer(store::Store& store, hsm::Hsm* hsm, const Clock& clock, const ServiceConfig& config);
    ~OpsServer();
    OpsServer(const OpsServer&) = delete;
    OpsServer& operator=(const OpsServer&) = delete;
    // Binds metrics.listen ("address:port", port 0: ephemeral) and serves on a thread;
    // returns the port.
    int start();
    void stop();

private:
    store::Store& store_;
    hsm::Hsm* hsm_;
    const Clock& clock_;
    const ServiceConfig& config_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
};

}  // namespace ias::service::http
