// SPDX-License-Identifier: Apache-2.0
// Sub-commands of ias-unblockd. Each returns the process exit status; errors are thrown.
#pragma once

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/unblock_service.hpp"

namespace ias::service::cli {

std::string usage();
int serve(std::vector<std::string> args);
int hsmInit(std::vector<std::string> args);
int admin(std::vector<std::string> args);
int staffCommand(std::vector<std::string> args);

// The service as an offline command uses it (admin, staff): the audit log of `audit_log`, the
// database, the HSM when `hsmNeededFor` is not empty (its text names why in the error when
// hsm.pin_file is not set), and a request context "cli-<random>".
class OfflineService {
public:
    OfflineService(ServiceConfig& c, const std::string& hsmNeededFor);
    ~OfflineService() = default;
    OfflineService(const OfflineService&) = delete;
    OfflineService& operator=(const OfflineService&) = delete;
    OfflineService(OfflineService&&) = delete;
    OfflineService& operator=(OfflineService&&) = delete;
    UnblockService& service() { return *service_; }
    store::Store& store() { return *store_; }
    AuditLog& audit() { return *audit_; }
    const Clock& clock() const { return clock_; }
    const RequestContext& ctx() const { return ctx_; }

private:
    SystemClock clock_;
    std::ofstream auditFile_;
    std::unique_ptr<AuditLog> audit_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<hsm::Hsm> hsm_;
    std::unique_ptr<UnblockService> service_;
    RequestContext ctx_;
};

// Removes "--name value" from args; returns value or `fallback`.
std::string takeOption(std::vector<std::string>& args, const std::string& name, const std::string& fallback = "");
// --config FILE and repeated --set key=value.
ServiceConfig configFrom(std::vector<std::string>& args);

}  // namespace ias::service::cli
