// SPDX-License-Identifier: Apache-2.0
#include "core/audit.hpp"

#include <nlohmann/json.hpp>

namespace ias::service {

void AuditLog::record(const AuditEvent& e) {
    nlohmann::json j{{"ts", clock_.now()}, {"rid", e.requestId}, {"event", e.event}, {"result", e.result}};
    if (!e.serial.empty()) j["serial"] = e.serial;
    if (!e.client.empty()) j["client"] = e.client;
    if (e.caseId) j["case"] = *e.caseId;
    if (e.triesLeft) j["tries_left"] = *e.triesLeft;
    if (e.count) j["count"] = *e.count;
    if (!e.limit.empty()) j["limit"] = e.limit;
    if (!e.staff.empty()) j["staff"] = e.staff;
    const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::lock_guard lock(mutex_);
    out_ << line << '\n';
    out_.flush();
}

}  // namespace ias::service
