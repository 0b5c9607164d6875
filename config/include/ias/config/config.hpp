// SPDX-License-Identifier: Apache-2.0
// /etc/ias-pkcs11/ias-pkcs11.conf: parsing and validation.
//
// Format: one `key = value` per line, `#` starts a comment, blank lines ignored.
// Unknown keys, bad values and unreadable files never fail the load: each problem is
// reported as a diagnostic (to be logged by the caller) and the safe default is kept.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ias::config {

enum class LogLevel { Off, Error, Warn, Info, Debug };

const char* toString(LogLevel level) noexcept;
std::optional<LogLevel> parseLogLevel(std::string_view text) noexcept;

struct Config {
    LogLevel logLevel = LogLevel::Error;
    std::string logFile;                 // empty = stderr, kLogToSyslog = syslog, else an absolute path
    std::vector<std::string> readerFilter;  // reader name substrings; empty = all readers
    std::string serviceUrl;              // unblock service base URL; empty = unblock not configured
    std::string servicePinSha256;        // base64 SHA-256 of the service's public key (SPKI)
    std::string serviceCaFile;           // optional CA bundle for the service
    std::chrono::milliseconds serviceTimeout{5000};
    std::chrono::milliseconds serviceConnectTimeout{3000};
    // What C_Login(CKU_SO) takes: the one-time unblock secret (checked by the service) or,
    // for deployments with a PUK (OpenSC's init_pin_in_so_session users), the card's PUK.
    enum class SoLogin { UnblockSecret, Puk } soLogin = SoLogin::UnblockSecret;
    std::uint8_t adminKeysetRef = 0x81;  // keyset of EXTERNAL AUTHENTICATE (card profile)
    // While the PIN is locked, accept the unblock secret as the *user* PIN (Firefox/Thunderbird
    // "Current password" reset, FIREFOX-RESET.md): a deliberate, documented deviation.
    bool secretAsUserPin = true;
    // The persistent cache of the cards' public PKCS#15 data (docs/cache.md) and its directory
    // (absolute; empty = $XDG_CACHE_HOME/ias-pkcs11 or ~/.cache/ias-pkcs11).
    bool cache = true;
    std::string cacheDir;
};

struct LoadResult {
    Config config;
    std::vector<std::string> diagnostics;  // "ias-pkcs11.conf:12: unknown key 'foo'" — no values of secrets
};

constexpr const char* kDefaultPath = "/etc/ias-pkcs11/ias-pkcs11.conf";
constexpr const char* kLogToSyslog = "syslog";

// Parses config text (name is used in diagnostics).
LoadResult parse(std::string_view text, const std::string& name);

// Loads the file at `path` (a missing file is not an error: defaults, no diagnostic).
LoadResult loadFile(const std::string& path);

// Path from IAS_PKCS11_CONF, else kDefaultPath; then IAS_PKCS11_LOG overrides the level
// (and "debug:/path" or "/path" style is accepted: see config.cpp).
// In a privileged process (AT_SECURE: set-user-ID, set-group-ID, file capabilities) both
// variables are ignored and the system config alone is used; a log_file path there becomes
// syslog (root never creates or appends to a file for the user) and the unblock service is
// not used (libcurl takes SSLKEYLOGFILE and proxies from the environment).
LoadResult loadFromEnvironment();
LoadResult loadFromEnvironment(bool privileged, const std::string& systemPath);

// True in an AT_SECURE process.
bool privilegedProcess() noexcept;

}  // namespace ias::config
