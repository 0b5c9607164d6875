// SPDX-License-Identifier: Apache-2.0
// ISO 7816-4 command APDU: value type, encoding (short/extended), strict parsing, chaining.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ias/apdu/bytes.hpp"

namespace ias::apdu {

struct CommandApdu {
    std::uint8_t cla = 0x00;
    std::uint8_t ins = 0x00;
    std::uint8_t p1 = 0x00;
    std::uint8_t p2 = 0x00;
    SecureBytes data;
    // Ne: number of response bytes expected. 0 = no Le field. 256 (short) or 65536
    // (extended) are encoded as 00 / 0000.
    std::size_t ne = 0;
    // The data field carries a PIN, PUK, secret or key: traces show its length only.
    bool sensitive = false;

    static constexpr std::size_t kMaxShortLc = 255;
    static constexpr std::size_t kMaxShortNe = 256;
    static constexpr std::size_t kMaxExtendedLc = 65535;
    static constexpr std::size_t kMaxExtendedNe = 65536;
    static constexpr std::uint8_t kChainingBit = 0x10;

    bool needsExtended() const { return data.size() > kMaxShortLc || ne > kMaxShortNe; }

    // Encodes in short form when possible, extended otherwise. Throws Error(Malformed) if
    // the data or Ne exceeds the extended limits.
    SecureBytes encode() const;

    // Strict parse of cases 1, 2S, 3S, 4S, 2E, 3E, 4E. Throws Error(Malformed) on anything
    // else (e.g. Lc not matching the remaining length).
    static CommandApdu parse(ByteView raw);

    // Splits into ISO command chaining (CLA bit 0x10 on all but the last) with at most
    // maxChunk data bytes per command; Ne goes on the last command only.
    std::vector<CommandApdu> chained(std::size_t maxChunk) const;

    // "00 A4 04 0C" — the 4 header bytes only; safe to log.
    std::string header() const;
    // Header, Lc and Ne for traces; data shown as a byte count, or redacted when sensitive.
    std::string describe() const;
};

}  // namespace ias::apdu
