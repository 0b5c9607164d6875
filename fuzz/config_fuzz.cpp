// SPDX-License-Identifier: Apache-2.0
// config_fuzz: ias::config::parse on arbitrary text. It must never throw; every value it
// keeps must satisfy the documented validation, and diagnostics (logged by the module) must
// be printable text that never repeats a value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_input.hpp"
#include "ias/config/config.hpp"

using namespace ias;
using ias::fuzz::fail;

namespace {

bool printable(std::string_view s) {
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7F) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const config::LoadResult r = config::parse(text, "fuzz.conf");
    const config::Config& c = r.config;
    if (!c.serviceUrl.empty() && c.serviceUrl.rfind("https://", 0) != 0) fail("service_url without https://");
    if (c.serviceTimeout.count() < 100 || c.serviceTimeout.count() > 120000) fail("service_timeout_ms out of range");
    if (c.serviceConnectTimeout.count() < 100 || c.serviceConnectTimeout.count() > 120000) {
        fail("service_connect_timeout_ms out of range");
    }
    if (c.adminKeysetRef == 0) fail("admin_keyset_ref 0");
    if (!c.logFile.empty() && c.logFile != config::kLogToSyslog && c.logFile.front() != '/') {
        fail("log_file neither absolute nor syslog");
    }
    for (const std::string* s : {&c.logFile, &c.serviceUrl, &c.servicePinSha256, &c.serviceCaFile}) {
        if (!printable(*s)) fail("control character in a kept value");
    }
    for (const auto& f : c.readerFilter) {
        if (f.empty() || !printable(f)) fail("bad reader_filter item");
    }
    for (const auto& d : r.diagnostics) {
        if (d.rfind("fuzz.conf:", 0) != 0) fail("diagnostic without file:line");
        if (!printable(d)) fail("control character in a diagnostic");
    }
    (void)config::toString(c.logLevel);
    (void)config::parseLogLevel(text);
    return 0;
}
