// SPDX-License-Identifier: Apache-2.0
// Memory of the service's HSM pool over many cryptograms: SoftHSMv2 frees destroyed session
// objects (3 derived keys per cryptogram) only at C_Finalize, so without re-initialisation
// the resident size grows with every cryptogram (hsm/hsm.hpp, hsm.reinit_after).
//   hsm_memory [cryptograms] [reinit_after]     defaults: 100000 2000; reinit_after 0 = never
// Prints the resident size (VmRSS) every tenth of the run, the re-initialisations and the
// cryptograms per second. Exits 1 if a cryptogram is wrong.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "hsm_fixture.hpp"

using namespace ias;
using namespace ias::service;

namespace {

long rssKiB() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

std::optional<long> parseCount(std::string_view text, long max) {
    long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max)
        return std::nullopt;
    return value;
}

}  // namespace

int main(int argc, char** argv) {
    const std::optional<long> total = parseCount(argc > 1 ? argv[1] : "100000", 100000000);
    const std::optional<long> reinit = parseCount(argc > 2 ? argv[2] : "2000", 100000000);
    if (!total || *total < 10 || !reinit) {
        std::fputs("usage: hsm_memory [cryptograms >= 10] [reinit_after, 0 = never]\n", stderr);
        return 2;
    }
    test::ensureTestToken();
    hsm::HsmConfig config = test::testHsmConfig();
    config.reinitAfterCryptograms = static_cast<std::size_t>(*reinit);
    hsm::Hsm h(config);
    const apdu::Bytes sn8 = apdu::fromHex("001000000012345F");
    const apdu::Bytes rnd = apdu::fromHex("1122334455667788");
    const apdu::Bytes expected = test::knownCryptogram(sn8, rnd);
    std::printf("cryptograms reinit_after=%ld\n%12s %12s %8s\n", *reinit, "done", "VmRSS KiB", "reinits");
    std::printf("%12d %12ld %8zu\n", 0, rssKiB(), h.reinitialisations());
    const auto start = std::chrono::steady_clock::now();
    for (long i = 1; i <= *total; ++i) {
        if (h.cryptogram(sn8, rnd) != expected) {
            std::fputs("hsm_memory: wrong cryptogram\n", stderr);
            return 1;
        }
        if (i % (*total / 10) == 0) std::printf("%12ld %12ld %8zu\n", i, rssKiB(), h.reinitialisations());
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.0f cryptograms/s\n", static_cast<double>(*total) / secs);
    return 0;
}
