// SPDX-License-Identifier: Apache-2.0
#include "ias/config/config.hpp"

#include <sys/auxv.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ias::config {

namespace {

constexpr std::size_t kMaxFileSize = std::size_t{64} * 1024;
constexpr std::size_t kMaxLineLength = 4096;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::optional<long> parseMillis(std::string_view v, long min, long max) {
    long out = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc{} || ptr != v.data() + v.size() || out < min || out > max) return std::nullopt;
    return out;
}

bool printable(std::string_view v) {
    for (unsigned char c : v) {
        if (c < 0x20 || c == 0x7F) return false;
    }
    return true;
}

// A key as echoed in a diagnostic: control characters (terminal escapes, CR, ...) become '?'
// so that a diagnostic is always one printable log line.
std::string shownKey(std::string_view key) {
    std::string out(key);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
    }
    return out;
}

std::optional<bool> yesNo(std::string_view v) {
    if (v == "yes" || v == "on" || v == "true") return true;
    if (v == "no" || v == "off" || v == "false") return false;
    return std::nullopt;
}

std::vector<std::string> splitList(std::string_view v) {
    std::vector<std::string> out;
    while (!v.empty()) {
        const std::size_t comma = v.find(',');
        const std::string_view item = trim(v.substr(0, comma));
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace

const char* toString(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::Off: return "off";
        case LogLevel::Error: return "error";
        case LogLevel::Warn: return "warn";
        case LogLevel::Info: return "info";
        case LogLevel::Debug: return "debug";
    }
    return "error";
}

std::optional<LogLevel> parseLogLevel(std::string_view text) noexcept {
    if (text == "off" || text == "none") return LogLevel::Off;
    if (text == "error") return LogLevel::Error;
    if (text == "warn" || text == "warning") return LogLevel::Warn;
    if (text == "info") return LogLevel::Info;
    if (text == "debug") return LogLevel::Debug;
    return std::nullopt;
}

LoadResult parse(std::string_view text, const std::string& name) {
    LoadResult r;
    auto problem = [&](std::size_t line, const std::string& what) {
        r.diagnostics.push_back(name + ":" + std::to_string(line) + ": " + what);
    };
    std::size_t lineNo = 0;
    while (!text.empty()) {
        ++lineNo;
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (line.size() > kMaxLineLength) {
            problem(lineNo, "line too long, ignored");
            continue;
        }
        if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty()) continue;
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) {
            problem(lineNo, "expected 'key = value', line ignored");
            continue;
        }
        const std::string_view key = trim(line.substr(0, eq));
        const std::string_view value = trim(line.substr(eq + 1));
        if (!printable(value)) {
            problem(lineNo, "control characters in value of '" + shownKey(key) + "', ignored");
            continue;
        }
        Config& c = r.config;
        if (key == "log_level") {
            if (auto l = parseLogLevel(value)) c.logLevel = *l;
            else problem(lineNo, "log_level must be off, error, warn, info or debug; keeping " + std::string(toString(c.logLevel)));
        } else if (key == "log_file") {
            if (value.empty() || value == kLogToSyslog || value.front() == '/') c.logFile = std::string(value);
            else problem(lineNo, "log_file must be an absolute path or syslog; logging to stderr");
        } else if (key == "reader_filter") {
            c.readerFilter = splitList(value);
        } else if (key == "service_url") {
            if (value.rfind("https://", 0) == 0) c.serviceUrl = std::string(value);
            else problem(lineNo, "service_url must start with https://; unblock disabled");
        } else if (key == "service_pin_sha256") {
            c.servicePinSha256 = std::string(value);
        } else if (key == "service_ca_file") {
            c.serviceCaFile = std::string(value);
        } else if (key == "service_timeout_ms" || key == "service_connect_timeout_ms") {
            const auto ms = parseMillis(value, 100, 120000);
            if (!ms) {
                problem(lineNo, std::string(key) + " must be a number of milliseconds in 100..120000; keeping default");
            } else if (key == "service_timeout_ms") {
                c.serviceTimeout = std::chrono::milliseconds(*ms);
            } else {
                c.serviceConnectTimeout = std::chrono::milliseconds(*ms);
            }
        } else if (key == "so_login") {
            if (value == "unblock_secret") c.soLogin = Config::SoLogin::UnblockSecret;
            else if (value == "puk") c.soLogin = Config::SoLogin::Puk;
            else problem(lineNo, "so_login must be unblock_secret or puk; keeping unblock_secret");
        } else if (key == "unblock_secret_as_user_pin") {
            if (const auto yes = yesNo(value)) c.secretAsUserPin = *yes;
            else problem(lineNo, "unblock_secret_as_user_pin must be yes or no; keeping yes");
        } else if (key == "cache") {
            if (const auto yes = yesNo(value)) c.cache = *yes;
            else problem(lineNo, "cache must be yes or no; keeping " + std::string(c.cache ? "yes" : "no"));
        } else if (key == "cache_dir") {
            if (value.starts_with('/')) c.cacheDir = std::string(value);
            else problem(lineNo, "cache_dir must be an absolute path; keeping the default");
        } else if (key == "admin_keyset_ref") {
            unsigned v = 0;
            const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v, 16);
            if (ec != std::errc{} || ptr != value.data() + value.size() || v == 0 || v > 0xFF) {
                problem(lineNo, "admin_keyset_ref must be a hex byte (e.g. 81); keeping default");
            } else {
                c.adminKeysetRef = static_cast<std::uint8_t>(v);
            }
        } else {
            problem(lineNo, "unknown key '" + shownKey(key) + "', ignored");
        }
    }
    return r;
}

LoadResult loadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::string text(kMaxFileSize + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileSize) {
        LoadResult r;
        r.diagnostics.push_back(path + ": larger than 64 KiB, ignored; using defaults");
        return r;
    }
    return parse(text, path);
}

bool privilegedProcess() noexcept { return getauxval(AT_SECURE) != 0; }

LoadResult loadFromEnvironment() { return loadFromEnvironment(privilegedProcess(), kDefaultPath); }

LoadResult loadFromEnvironment(bool privileged, const std::string& systemPath) {
    // secure_getenv: nothing in a set-user-ID, set-group-ID or file-capability process, where
    // the environment belongs to the user who started it; `privileged` also covers a caller
    // that knows better (tests).
    const char* path = privileged ? nullptr : secure_getenv("IAS_PKCS11_CONF");
    LoadResult r = loadFile(path && *path ? std::string(path) : systemPath);
    // IAS_PKCS11_LOG=debug | info | ... | debug:/path/to/file
    if (const char* env = privileged ? nullptr : secure_getenv("IAS_PKCS11_LOG"); env && *env) {
        std::string_view v(env);
        std::string_view level = v;
        if (const std::size_t colon = v.find(':'); colon != std::string_view::npos) {
            level = v.substr(0, colon);
            const std::string_view file = v.substr(colon + 1);
            if (file == kLogToSyslog || file.starts_with('/')) r.config.logFile = std::string(file);
            else r.diagnostics.emplace_back("IAS_PKCS11_LOG: the log file must be an absolute path or syslog");
        }
        if (auto l = parseLogLevel(level)) r.config.logLevel = *l;
        else r.diagnostics.push_back("IAS_PKCS11_LOG: unknown level, keeping " + std::string(toString(r.config.logLevel)));
    }
    if (privileged) {
        r.diagnostics.push_back(std::string("privileged process (AT_SECURE): IAS_PKCS11_CONF and IAS_PKCS11_LOG ignored, using ") +
                                systemPath);
        if (!r.config.logFile.empty() && r.config.logFile != kLogToSyslog) {
            // Never a file created or appended to by root for a user: syslog instead.
            r.diagnostics.push_back("privileged process: log_file " + r.config.logFile + " not opened, logging to syslog");
            r.config.logFile = kLogToSyslog;
        }
        if (!r.config.serviceUrl.empty()) {
            // libcurl reads SSLKEYLOGFILE, proxies etc. from the environment with getenv.
            r.diagnostics.emplace_back("privileged process: unblock service not used (libcurl trusts the environment)");
            r.config.serviceUrl.clear();
        }
    }
    return r;
}

}  // namespace ias::config
