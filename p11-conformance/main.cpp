// SPDX-License-Identifier: Apache-2.0
// main of p11_conformance.
//  - `--env=NAME=VALUE` arguments set the environment (ctest registers the same executable
//    twice, once per module, with these): the process runs itself again (execv of
//    /proc/self/exe) with them in its initial environment, so nothing calls setenv (not
//    thread-safe) and the modules under test see them from their first getenv.
//  - Known deviations of a module we do not own (known-deviations.txt: "<profile> <test glob>")
//    still fail their assertions and are printed as "[ KNOWN DEVIATION ]", but do not fail the
//    process: the reference's bugs must not turn the unit suites red. REPORT.md lists them.
#include <fnmatch.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

namespace {

std::vector<std::string> knownDeviations(const std::string& profile) {
    const char* path = std::getenv("IAS_P11_KNOWN_DEVIATIONS");
    std::ifstream in(path ? path : IAS_CONFORMANCE_DIR "/known-deviations.txt");
    std::vector<std::string> globs;
    std::string who, glob;
    while (in >> who) {
        if (who[0] == '#') {
            std::getline(in, glob);
            continue;
        }
        if (in >> glob && who == profile) globs.push_back(glob);
    }
    return globs;
}

// Runs this executable again with `settings` ("NAME=VALUE") replacing or adding to the
// current environment, and `args` as its arguments. Returns only if execv failed.
void runWithEnvironment(const std::vector<std::string>& settings, std::vector<char*> args) {
    std::vector<std::string> names;
    names.reserve(settings.size());
    for (const auto& kv : settings) names.push_back(kv.substr(0, kv.find('=') + 1));
    std::vector<char*> env;
    for (char** e = environ; *e != nullptr; ++e) {
        bool replaced = false;
        for (const auto& name : names) replaced = replaced || std::strncmp(*e, name.c_str(), name.size()) == 0;
        if (!replaced) env.push_back(*e);
    }
    for (const auto& kv : settings) env.push_back(const_cast<char*>(kv.c_str()));
    env.push_back(nullptr);
    args.push_back(nullptr);
    ::execve("/proc/self/exe", args.data(), env.data());
    std::cerr << "p11_conformance: cannot run itself again: " << std::error_code(errno, std::generic_category()).message() << "\n";
}

bool matches(const std::vector<std::string>& globs, const std::string& name) {
    for (const auto& g : globs)
        if (fnmatch(g.c_str(), name.c_str(), 0) == 0) return true;
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> settings;
    std::vector<char*> args{argv[0]};
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "--env=", 6) == 0) {
            const std::string kv = argv[i] + 6;
            const auto eq = kv.find('=');
            if (eq == std::string::npos || eq == 0) {
                std::cerr << "p11_conformance: --env= needs NAME=VALUE, not '" << kv << "'\n";
                return 2;
            }
            settings.push_back(kv);
            continue;
        }
        args.push_back(argv[i]);
    }
    if (!settings.empty()) {
        runWithEnvironment(settings, args);
        return 2;
    }
    testing::InitGoogleTest(&argc, argv);
    const int rc = RUN_ALL_TESTS();
    if (rc == 0) return 0;
    const char* profile = std::getenv("IAS_P11_PROFILE");
    const auto globs = knownDeviations(profile ? profile : "softhsm");
    const testing::UnitTest& unit = *testing::UnitTest::GetInstance();
    bool unexpected = false;
    for (int i = 0; i < unit.total_test_suite_count(); ++i) {
        const testing::TestSuite& suite = *unit.GetTestSuite(i);
        for (int j = 0; j < suite.total_test_count(); ++j) {
            const testing::TestInfo& test = *suite.GetTestInfo(j);
            if (!test.should_run() || !test.result()->Failed()) continue;
            const std::string name = std::string(suite.name()) + "." + test.name();
            if (matches(globs, name)) {
                std::cout << "[ KNOWN DEVIATION ] " << name << " (" << (profile ? profile : "") << ")\n";
            } else {
                unexpected = true;
            }
        }
    }
    if (unit.ad_hoc_test_result().Failed()) unexpected = true;
    return unexpected ? 1 : 0;
}
