// SPDX-License-Identifier: Apache-2.0
// `ias-unblockd staff ...`: the support console's accounts. Passwords are read from standard
// input (one line); the TOTP provisioning URI is printed once, on standard output, and is not
// kept anywhere (its seed is derived in the HSM when needed).
#include <fstream>
#include <iostream>

#include "cli/cli.hpp"
#include "core/support_console.hpp"
#include "ias/apdu/crypto.hpp"

namespace ias::service::cli {

namespace {

apdu::SecureBytes readPassword() {
    std::cerr << "password (one line on standard input): " << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) throw std::runtime_error("missing password on standard input");
    apdu::SecureBytes out = apdu::secureCopy(std::string_view(line));
    apdu::wipeMemory(line.data(), line.size());
    return out;
}

std::string oneName(const std::vector<std::string>& args, const std::string& action) {
    if (args.size() != 1) throw std::runtime_error("staff " + action + " NAME");
    return args[0];
}

}  // namespace

int staffCommand(std::vector<std::string> args) {
    ServiceConfig c = configFrom(args);
    if (args.empty()) throw std::runtime_error("staff: missing action\n" + usage());
    const std::string action = args[0];
    args.erase(args.begin());
    // Passwords and TOTP seeds are keyed with the HMAC key of the HSM.
    const bool keyed = action == "add" || action == "passwd" || action == "totp-reset";
    OfflineService offline(c, keyed ? "staff " + action : "");
    SupportConsole console(offline.service());
    AuditLog& audit = offline.audit();
    const RequestContext& ctx = offline.ctx();
    const auto audited = [&](const std::string& event, const std::string& name) {
        AuditEvent ev{ctx.requestId, event, "ok", "", ctx.client, {}, {}, {}};
        ev.staff = name;
        audit.record(ev);
    };

    if (action == "add") {
        const std::string roleName = takeOption(args, "--role", "support");
        const auto role = staff::roleFromString(roleName);
        if (!role) throw std::runtime_error("--role must be support or auditor");
        const std::string name = oneName(args, action);
        const apdu::SecureBytes password = readPassword();
        const NewStaff added = console.addStaff(name, *role, asText(password));
        audited("staff_add", name);
        std::cerr << "account " << name << " (" << roleName
                  << ") added; enter this URI in the person's authenticator app (shown once):\n";
        std::cout << added.provisioningUri << "\n";
        return 0;
    }
    if (action == "passwd") {
        const std::string name = oneName(args, action);
        const apdu::SecureBytes password = readPassword();
        console.setPassword(name, asText(password));
        audited("staff_passwd", name);
        return 0;
    }
    if (action == "totp-reset") {
        const std::string name = oneName(args, action);
        const NewStaff reset = console.resetTotp(name);
        audited("staff_totp_reset", name);
        std::cerr << "new TOTP seed for " << name << " (the old codes no longer work), shown once:\n";
        std::cout << reset.provisioningUri << "\n";
        return 0;
    }
    if (action == "disable") {
        const std::string name = oneName(args, action);
        console.disable(name);
        audited("staff_disable", name);
        return 0;
    }
    if (action == "list") {
        if (!args.empty()) throw std::runtime_error("unexpected argument '" + args[0] + "'");
        const store::Time now = offline.clock().now();
        for (const auto& a : console.listStaff())
            std::cout << a.name << "\t" << a.role << "\t" << (a.disabled ? "disabled" : a.lockedUntil > now ? "locked" : "active")
                      << "\tcreated " << a.createdAt << "\n";
        return 0;
    }
    throw std::runtime_error("staff: unknown action '" + action + "'");
}

}  // namespace ias::service::cli
