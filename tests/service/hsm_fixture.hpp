// SPDX-License-Identifier: Apache-2.0
// A private SoftHSMv2 token in a temporary directory (SOFTHSM2_CONF), provisioned once per
// test process with a known master key so that results can be compared with protocol/.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <utility>
#include <unistd.h>

#include "hsm/hsm.hpp"
#include "ias/protocol/admin_key.hpp"

namespace ias::service::test {

inline const apdu::Bytes& knownMasterKey() {
    static const apdu::Bytes k = apdu::fromHex("00112233445566778899AABBCCDDEEFF");
    return k;
}

// The cryptogram the service must compute for this card and challenge under the known master.
inline apdu::Bytes knownCryptogram(const apdu::Bytes& sn8, const apdu::Bytes& challenge) {
    return protocol::externalAuthCryptogram(protocol::deriveAdminKeys(knownMasterKey(), sn8), challenge, sn8);
}

inline hsm::HsmConfig testHsmConfig() {
    hsm::HsmConfig c;
    c.tokenLabel = "ias-unblockd-test";
    c.userPin = apdu::secureCopy(std::string_view("test-user-pin"));
    c.sessions = 4;
    return c;
}

// Creates the token directory and the config once, provisions the token once.
inline void ensureTestToken() {
    static bool done = false;
    if (done) return;
    // Removed at exit, after the shared Hsm (constructed later, destroyed earlier).
    struct TempDir {
        explicit TempDir(std::filesystem::path p) : path(std::move(p)) {}
        TempDir(const TempDir&) = delete;
        TempDir& operator=(const TempDir&) = delete;
        std::filesystem::path path;
        ~TempDir() {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    };
    static TempDir tmp{std::filesystem::temp_directory_path() / ("ias-unblockd-hsm-" + std::to_string(::getpid()))};
    const auto& dir = tmp.path;
    std::filesystem::create_directories(dir / "tokens");
    {
        std::ofstream conf(dir / "softhsm2.conf");
        conf << "directories.tokendir = " << (dir / "tokens").string() << "\n"
             << "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";
    }
    // SoftHSM reads its configuration only from this variable. NOLINTNEXTLINE(concurrency-mt-unsafe): set once, before the first SoftHSM call, by the set-up code of a test or the benchmark's main before it starts threads
    ::setenv("SOFTHSM2_CONF", (dir / "softhsm2.conf").c_str(), 1);
    hsm::ProvisionOptions o;
    o.hsm = testHsmConfig();
    o.soPin = apdu::secureCopy(std::string_view("test-so-pin"));
    o.masterKey = apdu::secureCopy(knownMasterKey());
    hsm::provisionToken(o);
    done = true;
}

inline std::shared_ptr<hsm::Hsm>& sharedTestHsmSlot() {
    static std::shared_ptr<hsm::Hsm> h;
    return h;
}

inline std::shared_ptr<hsm::Hsm> sharedTestHsm() {
    auto& h = sharedTestHsmSlot();
    if (!h) {
        ensureTestToken();
        h = std::make_shared<hsm::Hsm>(testHsmConfig());
    }
    return h;
}

// Closes the shared HSM before exit: SoftHSM's own static objects may be gone by the time
// function-local statics are destroyed.
class HsmEnvironment : public ::testing::Environment {
public:
    void TearDown() override { sharedTestHsmSlot().reset(); }
};
inline const bool kHsmEnvironmentRegistered = (::testing::AddGlobalTestEnvironment(new HsmEnvironment), true);  // NOLINT(cert-err58-cpp): GoogleTest's way to register an environment before main; bad_alloc here stops the test binary at start-up, visibly (as tests/.clang-tidy says for test code)

}  // namespace ias::service::test
