// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "ias/config/config.hpp"

using namespace ias::config;

TEST(Config, ParsesKnownKeys) {
    const auto r = parse(
        "# comment\n"
        "log_level = debug\n"
        "log_file=/tmp/x.log   # trailing comment\n"
        "reader_filter = Virtual PCD, Gemalto\n"
        "service_url = https://unblock.example.fr\n"
        "service_timeout_ms = 2500\n",
        "t.conf");
    EXPECT_TRUE(r.diagnostics.empty());
    EXPECT_EQ(r.config.logLevel, LogLevel::Debug);
    EXPECT_EQ(r.config.logFile, "/tmp/x.log");
    ASSERT_EQ(r.config.readerFilter.size(), 2u);
    EXPECT_EQ(r.config.readerFilter[1], "Gemalto");
    EXPECT_EQ(r.config.serviceUrl, "https://unblock.example.fr");
    EXPECT_EQ(r.config.serviceTimeout.count(), 2500);
}

TEST(Config, BadInputKeepsDefaultsWithDiagnostics) {
    const auto r = parse(
        "log_level = verbose\n"
        "nonsense line\n"
        "service_url = http://plain.example\n"
        "service_timeout_ms = 12abc\n"
        "service_connect_timeout_ms = 5\n"
        "wat = 1\n"
        "log_file = a\x01" "b\n",
        "bad.conf");
    EXPECT_EQ(r.config.logLevel, LogLevel::Error);
    EXPECT_TRUE(r.config.serviceUrl.empty());
    EXPECT_EQ(r.config.serviceTimeout.count(), 5000);
    EXPECT_EQ(r.config.serviceConnectTimeout.count(), 3000);
    EXPECT_TRUE(r.config.logFile.empty());
    ASSERT_EQ(r.diagnostics.size(), 7u);
    EXPECT_EQ(r.diagnostics[0].rfind("bad.conf:1:", 0), 0u);
    EXPECT_NE(r.diagnostics[5].find("unknown key 'wat'"), std::string::npos);
}

TEST(Config, HugeAndBinaryInputDoesNotCrash) {
    std::string junk(200000, '\0');
    for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i * 131);
    const auto r = parse(junk, "junk");
    EXPECT_EQ(r.config.logLevel, LogLevel::Error);
}

TEST(Config, MissingFileIsDefaults) {
    const auto r = loadFile("/nonexistent/ias-pkcs11.conf");
    EXPECT_TRUE(r.diagnostics.empty());
    EXPECT_EQ(r.config.logLevel, LogLevel::Error);
}

TEST(Config, EnvironmentOverridesLevelAndFile) {
    const std::string path = testing::TempDir() + "/ias-env.conf";
    std::ofstream(path) << "log_level = warn\n";
    setenv("IAS_PKCS11_CONF", path.c_str(), 1);
    setenv("IAS_PKCS11_LOG", "debug:/tmp/ias-debug.log", 1);
    const auto r = loadFromEnvironment();
    unsetenv("IAS_PKCS11_CONF");
    unsetenv("IAS_PKCS11_LOG");
    EXPECT_EQ(r.config.logLevel, LogLevel::Debug);
    EXPECT_EQ(r.config.logFile, "/tmp/ias-debug.log");
}

TEST(Config, PrivilegedProcessIgnoresTheEnvironment) {
    const std::string path = testing::TempDir() + "/ias-env-priv.conf";
    std::ofstream(path) << "log_level = warn\nservice_url = https://evil.example\n";
    setenv("IAS_PKCS11_CONF", path.c_str(), 1);
    setenv("IAS_PKCS11_LOG", "debug:/tmp/ias-debug.log", 1);
    const std::string system = testing::TempDir() + "/ias-env-system.conf";
    std::ofstream(system) << "log_level = info\n";
    const auto r = loadFromEnvironment(true, system);
    const auto unprivileged = loadFromEnvironment();  // this test runs without AT_SECURE
    unsetenv("IAS_PKCS11_CONF");
    unsetenv("IAS_PKCS11_LOG");
    EXPECT_FALSE(privilegedProcess());
    EXPECT_EQ(unprivileged.config.serviceUrl, "https://evil.example");
    EXPECT_EQ(r.config.logLevel, LogLevel::Info) << "the system config";
    EXPECT_TRUE(r.config.logFile.empty());
    EXPECT_NE(r.config.serviceUrl, "https://evil.example");
    ASSERT_FALSE(r.diagnostics.empty());
    EXPECT_NE(r.diagnostics.front().find("AT_SECURE"), std::string::npos) << r.diagnostics.front();
}

TEST(Config, PrivilegedProcessLogsToSyslogNotToAFileAndNotToTheService) {
    // The system file itself may name a file and a service: in a privileged process neither.
    const std::string system = testing::TempDir() + "/ias-priv-system.conf";
    std::ofstream(system) << "log_file = /var/log/ias.log\nservice_url = https://unblock.example\n";
    const auto r = loadFromEnvironment(true, system);
    EXPECT_EQ(r.config.logFile, kLogToSyslog);
    EXPECT_TRUE(r.config.serviceUrl.empty());
    EXPECT_EQ(loadFromEnvironment(false, system).config.logFile, "/var/log/ias.log");
}

TEST(Config, LogFileMustBeAbsoluteOrSyslog) {
    auto r = parse("log_file = ias.log\n", "u.conf");
    EXPECT_TRUE(r.config.logFile.empty());
    EXPECT_EQ(r.diagnostics.size(), 1u);
    r = parse("log_file = syslog\n", "u.conf");
    EXPECT_EQ(r.config.logFile, kLogToSyslog);
    EXPECT_TRUE(r.diagnostics.empty());
    setenv("IAS_PKCS11_LOG", "debug:relative.log", 1);
    r = loadFromEnvironment();
    unsetenv("IAS_PKCS11_LOG");
    EXPECT_EQ(r.config.logLevel, LogLevel::Debug);
    EXPECT_NE(r.config.logFile, "relative.log");
}

TEST(Config, UnblockKeys) {
    auto r = parse("so_login = puk\nadmin_keyset_ref = 01\nunblock_secret_as_user_pin = no\n", "u.conf");
    EXPECT_FALSE(r.config.secretAsUserPin);
    EXPECT_TRUE(r.diagnostics.empty());
    EXPECT_EQ(r.config.soLogin, Config::SoLogin::Puk);
    EXPECT_EQ(r.config.adminKeysetRef, 0x01);
    r = parse("so_login = pin\nadmin_keyset_ref = 1FF\nadmin_keyset_ref = zz\n", "u.conf");
    EXPECT_EQ(r.diagnostics.size(), 3u);
    EXPECT_EQ(r.config.soLogin, Config::SoLogin::UnblockSecret);
    EXPECT_EQ(r.config.adminKeysetRef, 0x81);
}

TEST(Config, CacheKeys) {
    auto r = parse("", "c.conf");
    EXPECT_TRUE(r.config.cache);
    EXPECT_TRUE(r.config.cacheDir.empty());
    r = parse("cache = no\ncache_dir = /var/cache/ias\n", "c.conf");
    EXPECT_TRUE(r.diagnostics.empty());
    EXPECT_FALSE(r.config.cache);
    EXPECT_EQ(r.config.cacheDir, "/var/cache/ias");
    r = parse("cache = maybe\ncache_dir = relative/dir\ncache_dir =\n", "c.conf");
    EXPECT_EQ(r.diagnostics.size(), 3u);
    EXPECT_TRUE(r.config.cache);
    EXPECT_TRUE(r.config.cacheDir.empty());
}

// fuzz/corpus/config/regressions/key-control-chars: a key with control characters was echoed
// verbatim into the diagnostic (terminal escapes / forged lines in the module's log).
TEST(Config, DiagnosticsNeverEchoControlCharacters) {
    const auto r = parse("\x1b[2J\x0bkey = 1\nk\x7f\x01 = \x02\n", "t.conf");
    ASSERT_EQ(r.diagnostics.size(), 2u);
    EXPECT_NE(r.diagnostics[0].find("unknown key '?[2J?key'"), std::string::npos);
    EXPECT_NE(r.diagnostics[1].find("value of 'k?" "?'"), std::string::npos);
    for (const auto& d : r.diagnostics) {
        for (unsigned char c : d) EXPECT_FALSE(c < 0x20 || c == 0x7F) << d;
    }
}
