// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <unistd.h>

#include "pkcs11_client.hpp"

namespace ias::tools {

namespace {
bool isSystemModule(const std::string& path) {
    return path.starts_with("/usr/lib/") && path.ends_with("/pkcs11/ias-pkcs11.so");
}
}  // namespace

// ias-unblock run from the build tree (where ctest and the developers run it) loads the module
// built next to it, not an older installed one.
TEST(DefaultModule, FromTheBuildTreeIsTheTreesModule) {
    const std::filesystem::path got = defaultModulePath(std::filesystem::path(IAS_TEST_UNBLOCK_DIR));
    EXPECT_TRUE(std::filesystem::equivalent(got, std::filesystem::path(IAS_TEST_MODULE_FILE))) << got;
}

// Anywhere else (the package's /usr/bin, a copy in a home directory) it is the installed module.
TEST(DefaultModule, OutsideABuildTreeIsTheInstalledModule) {
    const auto dir = std::filesystem::temp_directory_path() / ("ias-unblock-path-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir / "bin");
    EXPECT_TRUE(isSystemModule(defaultModulePath(dir / "bin"))) << defaultModulePath(dir / "bin");
    EXPECT_TRUE(isSystemModule(defaultModulePath("/usr/bin")));
    EXPECT_TRUE(isSystemModule(defaultModulePath("/nonexistent/dir")));
    std::filesystem::remove_all(dir);
}

}  // namespace ias::tools
