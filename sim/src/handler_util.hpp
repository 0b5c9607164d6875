// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the instruction handlers (private to sim/src).
#pragma once

#include <cstdint>

#include "ias/apdu/response.hpp"
#include "ias/sim/card_state.hpp"
#include "ias/sim/layout.hpp"

namespace ias::sim::detail {

using apdu::ResponseApdu;
using apdu::StatusWord;

inline ResponseApdu sw(std::uint16_t value) { return ResponseApdu{{}, StatusWord(value)}; }
inline ResponseApdu ok() { return sw(StatusWord::kSuccess); }
inline ResponseApdu ok(ByteView data) { return ResponseApdu{apdu::secureCopy(data), StatusWord(StatusWord::kSuccess)}; }
inline ResponseApdu triesLeft(unsigned n) { return sw(static_cast<std::uint16_t>(0x63C0 | (n & 0x0F))); }

// AMB bits of the compact ACL (tag 8C), IAS-ECC-reference §2.3 and §4.4.
namespace amb {
inline constexpr std::uint8_t kRead = 0x01;                  // EF: READ BINARY
inline constexpr std::uint8_t kUpdate = 0x02;                // EF: UPDATE BINARY
inline constexpr std::uint8_t kChvChange = 0x40;             // CHV: CHANGE REFERENCE DATA
inline constexpr std::uint8_t kChvVerify = 0x20;             // CHV: VERIFY
inline constexpr std::uint8_t kChvReset = 0x10;              // CHV: RESET RETRY COUNTER
inline constexpr std::uint8_t kKeySign = 0x40;               // key: PSO COMPUTE DIGITAL SIGNATURE
inline constexpr std::uint8_t kKeyInternalAuth = 0x20;       // key: INTERNAL AUTHENTICATE
inline constexpr std::uint8_t kKeyDecipher = 0x10;           // key: PSO DECIPHER
inline constexpr std::uint8_t kKeysetExternalAuth = 0x20;    // key set: EXTERNAL AUTHENTICATE
inline constexpr std::uint8_t kKeysetMutualAuth = 0x08;      // key set: MUTUAL AUTHENTICATE
}  // namespace amb

// SCB of one operation in a compact ACL: one SCB per AMB bit set, from bit 0x40 down to 0x01;
// an operation whose bit is not set is "never".
inline std::uint8_t scbFor(const Bytes& acl, std::uint8_t ambBit) {
    if (acl.empty()) return layout::kScbNever;
    const std::uint8_t amb = acl[0];
    if ((amb & ambBit) == 0) return layout::kScbNever;
    std::size_t index = 1;
    for (std::uint8_t bit = 0x40; bit > ambBit; bit >>= 1) {
        if (amb & bit) ++index;
    }
    return index < acl.size() ? acl[index] : layout::kScbNever;
}

}  // namespace ias::sim::detail
