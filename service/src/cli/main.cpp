// SPDX-License-Identifier: Apache-2.0
// ias-unblockd: the issuer's unblock service.
//   ias-unblockd serve    --config FILE [--set key=value]...
//   ias-unblockd hsm-init --config FILE --so-pin-file FILE [--master-key-file FILE]
//   ias-unblockd admin    --config FILE <create-case|list-cases|close-case|revocations|outbox> ...
//   ias-unblockd staff    --config FILE <add|passwd|totp-reset|disable|list> ...
#include <sys/prctl.h>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.hpp"

int main(int argc, char** argv) {
    // No core dump, no ptrace by the same user, /proc/<pid>/mem and environ root-only: the
    // process holds the HSM PIN, answers, secrets and links in memory.
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        std::cerr << "ias-unblockd: prctl(PR_SET_DUMPABLE, 0) failed\n";
        return 1;
    }
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << ias::service::cli::usage();
        return args.empty() ? 2 : 0;
    }
    try {
        const std::string command = args[0];
        args.erase(args.begin());
        if (command == "serve") return ias::service::cli::serve(args);
        if (command == "hsm-init") return ias::service::cli::hsmInit(args);
        if (command == "admin") return ias::service::cli::admin(args);
        if (command == "staff") return ias::service::cli::staffCommand(args);
        std::cerr << "ias-unblockd: unknown command '" << command << "'\n" << ias::service::cli::usage();
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "ias-unblockd: " << e.what() << "\n";
        return 1;
    }
}
