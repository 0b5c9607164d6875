// SPDX-License-Identifier: Apache-2.0
// cache_fuzz: card::parseCardRecord (the public cache file, docs/cache.md) on arbitrary bytes.
// It must never crash or throw; a record it accepts must satisfy the parser's limits, encode
// back to exactly the input (the format has one encoding) and parse again to itself. Inputs
// whose checksum is wrong are also tried with the right one, so that the fuzzer reaches the
// item parser instead of stopping at the SHA-256.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "card/public_cache.hpp"
#include "fuzz_input.hpp"
#include "ias/apdu/crypto.hpp"

using namespace ias;
using ias::fuzz::fail;

namespace {

constexpr std::size_t kTrailer = 5 + 32;  // 7F 00000020 SHA-256

void check(apdu::ByteView input) {
    const std::optional<card::CardRecord> r = card::parseCardRecord(input);
    if (!r) return;
    if (r->atr.empty() || r->serial.empty() || r->serial.size() > 32 || r->applications.empty()) fail("accepted a record without identity");
    if (r->applications.size() > 16) fail("too many applications");
    for (const auto& [key, content] : r->files) {
        if (key.first >= r->applications.size()) fail("file of an unlisted application");
    }
    for (const auto& key : r->missingFiles) {
        if (r->file(key.first, key.second) != nullptr) fail("file both present and missing");
    }
    const apdu::Bytes again = card::encodeCardRecord(*r);
    if (apdu::Bytes(input.begin(), input.end()) != again) fail("accepted a record that does not re-encode to itself");
    if (card::parseCardRecord(again) != r) fail("re-encoded record parses differently");
    (void)card::cacheFileName(r->serial);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const apdu::ByteView input(data, size);
    check(input);
    // The same bytes with a correct trailer over everything before it.
    if (size >= kTrailer) {
        apdu::Bytes fixed(data, data + size);
        const apdu::Bytes digest = apdu::crypto::sha256(apdu::ByteView(fixed.data(), size - kTrailer));
        const std::uint8_t head[] = {0x7F, 0x00, 0x00, 0x00, 0x20};
        std::copy(std::begin(head), std::end(head), fixed.end() - static_cast<std::ptrdiff_t>(kTrailer));
        std::copy(digest.begin(), digest.end(), fixed.end() - 32);
        check(fixed);
    }
    return 0;
}
