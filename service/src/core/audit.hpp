// SPDX-License-Identifier: Apache-2.0
// The audit log: one JSON line per decision, with the request id. Only structured fields
// are accepted (event, serial, result, case id, counters, client address, limit), so that no secret,
// answer, ticket, link or key can reach it.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

#include "core/clock.hpp"

namespace ias::service {

struct AuditEvent {
    std::string requestId;
    std::string event;    // "verify", "cryptogram", "confirm", "answers", "case_create", ...
    std::string result;   // "ok" or an API error name
    std::string serial;   // card serial (not a secret)
    std::string client;   // client address
    std::optional<std::int64_t> caseId;
    std::optional<int> triesLeft;
    std::optional<int> count;  // cryptograms used, tries_after, ...
    std::string limit{};       // rate_limited: the limit that refused ("client" or "serial")
    std::string staff{};       // support console: the signed-in person (account name)
};

class AuditLog {
public:
    AuditLog(std::ostream& out, const Clock& clock) : out_(out), clock_(clock) {}
    void record(const AuditEvent& e);

private:
    std::ostream& out_;
    const Clock& clock_;
    std::mutex mutex_;
};

}  // namespace ias::service
