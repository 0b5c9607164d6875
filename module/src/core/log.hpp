// SPDX-License-Identifier: Apache-2.0
// The module's log: off/error by default, IAS_PKCS11_LOG or log_level in the config file.
// Lines go to stderr, syslog (log_file = syslog) or a file (append; refused, with a warning on
// stderr, in a directory others can write to), never to stdout. Callers log headers, status
// words, CK_RVs — never PIN, PUK, secret, ticket or key bytes.
#pragma once

#include "ias/config/config.hpp"

namespace ias::p11 {

using LogLevel = config::LogLevel;

// (Re)configures the sink; safe to call again on C_Initialize.
void configureLog(LogLevel level, const std::string& file);
bool logEnabled(LogLevel level) noexcept;
void logLine(LogLevel level, const char* text) noexcept;
void logf(LogLevel level, const char* format, ...) noexcept __attribute__((format(printf, 2, 3)));

}  // namespace ias::p11
