// SPDX-License-Identifier: Apache-2.0
// ias-unblockd's HTTPS server: TLS (cert/key from the config), security headers on every
// response, the module API, the admin API, the holder API and the holder pages.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include "core/unblock_service.hpp"

namespace httplib {
class SSLServer;
}

namespace ias::service::http {

struct Routes;
class RequestLimits;

class Server {
public:
    // adminTokenHash: hex SHA-256 of the admin bearer token (empty disables the admin API).
    Server(UnblockService& service, const std::string& adminTokenHash, std::ostream& diagnostics);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds config().listen:config().port (port 0: an ephemeral port); returns the port.
    int bind();
    // Serves until stop() (blocking).
    void serve();
    // Starts serve() on a thread (tests).
    void start();
    void stop();

    // Connections cut by the request limits (http.max_head + http.max_body,
    // http.request_timeout).
    std::size_t connectionsCut() const;

private:
    std::unique_ptr<Routes> routes_;
    std::unique_ptr<RequestLimits> limits_;  // outlives server_'s connections
    std::unique_ptr<httplib::SSLServer> server_;
    std::thread thread_;
};

}  // namespace ias::service::http
