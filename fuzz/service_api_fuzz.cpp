// SPDX-License-Identifier: Apache-2.0
// service_api_fuzz: ias-unblockd's HTTP API and holder forms — the module API
// (/v1/unblock/verify|cryptogram|confirm), the admin API (/v1/admin), the holder JSON API
// (/v1/holder) and the holder pages (/h/<link>, /holder, form posts) — through the daemon's
// own route configuration and httplib's request processing, with real storage, decisions
// and HSM keys (service_world.hpp). Input format and checked properties: service_session.hpp.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "service_session.hpp"

namespace {
constexpr std::size_t kMaxSteps = 32;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    ias::fuzz::svc::setUpOnce();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ias::fuzz::svc::Session session;
    session.run(std::string_view(reinterpret_cast<const char*>(data), size), kMaxSteps);
    return 0;
}
