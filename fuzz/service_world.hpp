// SPDX-License-Identifier: Apache-2.0
// The ias-unblockd world of the service_api fuzz target: the daemon's real HTTP
// configuration (http::configureServer: limits, security headers, error handler, every
// route) driven in-process through httplib's own request processing over an in-memory
// stream (no sockets, no TLS, no threads), with the real decisions (UnblockService), real
// storage (SQLite in a temporary file) and real keys (a SoftHSMv2 token in a temporary
// directory, provisioned once per process with a known master key).
//
// Every input starts from the same database: a template made once at start with
//   case 1  serial 0102030405060708 (fr), open, a holder session opened through GET /h/<link>;
//   case 2  serial 1122334455667788 (en), answers given: a secret issued and a live ticket;
// both with the same two questions. Their tokens (links, secret, ticket, session) are
// random per process and given to the input through placeholders (service_session.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/unblock_service.hpp"
#include "hsm/hsm.hpp"

namespace ias::service::http {
struct Routes;
}

namespace ias::fuzz::svc {

// The known values of the template database.
struct Fixture {
    std::string serial1 = "0102030405060708";
    std::string serial2 = "1122334455667788";
    std::int64_t case1 = 0, case2 = 0;
    std::string answer0 = "Dupont-Kq7Zp0x";  // distinctive: searched for in every response
    std::string answer1 = "Marseille-4Wv9T";
    std::string link1, link2;                 // link tokens (64 hex)
    std::string secret2;                      // displayed form XXXX-XXXX-XXXX-XXXX-CC
    std::string ticket2;
    std::string session1;                     // holder session cookie value of case 1
    std::string adminToken = "fuzz-admin-token-3f9a";
    std::vector<std::string> questions = {"Nom de jeune fille de votre mère ?", "Ville de naissance ?"};
    std::int64_t startTime = 1'700'000'000;   // the clock of the template and of every input
};

// One HTTP response as written on the wire.
struct Reply {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string wire;  // everything written, 100-continue included
    // The request as the server parsed it (from the server's logger; empty when the request
    // line could not be parsed).
    std::string method, path, requestBody;
    bool head = false;  // answer to a HEAD request: no body
    // First value of a header (case-insensitive name); empty when absent.
    std::string header(const std::string& name) const;
    bool hasHeader(const std::string& name) const;
};

// Once per process: HSM token, template database, fixture values. Later calls return it.
const Fixture& setUpOnce();
// The master key the token was provisioned with (for checking cryptograms).
const apdu::Bytes& masterKey();
// The service configuration of every input (ias-unblockd's defaults where they matter).
const service::ServiceConfig& fuzzConfig();

// One input's service over a fresh copy of the template database.
class World {
public:
    World();
    ~World();
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    // Runs one raw HTTP request (bytes as a client sends them) through the daemon's request
    // processing. `answered` is false when the server wrote nothing (no request line).
    Reply exchange(const std::string& request, const std::string& clientIp, bool& answered);

    service::store::Store& store() { return *store_; }
    service::ManualClock& clock() { return clock_; }
    // Audit log (one JSON line per decision) and operator diagnostics written so far.
    std::string audit() const { return audit_.str(); }
    std::string diagnostics() const { return diagnostics_.str(); }

private:
    class Server;
    service::ManualClock clock_;
    std::ostringstream audit_, diagnostics_;
    service::AuditLog auditLog_{audit_, clock_};
    std::unique_ptr<service::store::Store> store_;
    std::unique_ptr<service::UnblockService> service_;
    std::unique_ptr<service::http::Routes> routes_;
    std::unique_ptr<Server> server_;
    struct Seen {
        std::string method, path, body;
    } seen_;
    bool hsmUsed_ = false;
};

// Parses what the server wrote; false when it is not a well-formed HTTP/1.1 response.
bool parseReply(const std::string& wire, bool headRequest, Reply& out);

}  // namespace ias::fuzz::svc
