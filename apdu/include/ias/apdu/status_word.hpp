// SPDX-License-Identifier: Apache-2.0
// ISO 7816-4 status words as a value type with their meaning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ias::apdu {

class StatusWord {
public:
    constexpr StatusWord() = default;
    constexpr explicit StatusWord(std::uint16_t value) : value_(value) {}
    constexpr StatusWord(std::uint8_t sw1, std::uint8_t sw2)
        : value_(static_cast<std::uint16_t>(sw1 << 8 | sw2)) {}

    constexpr std::uint16_t value() const { return value_; }
    constexpr std::uint8_t sw1() const { return static_cast<std::uint8_t>(value_ >> 8); }
    constexpr std::uint8_t sw2() const { return static_cast<std::uint8_t>(value_ & 0xFF); }

    constexpr bool isSuccess() const { return value_ == 0x9000; }
    // 61xx: more data available with GET RESPONSE (xx bytes, 00 = 256).
    constexpr bool hasMoreData() const { return sw1() == 0x61; }
    // 6Cxx: wrong Le, re-send with Le = xx.
    constexpr bool isWrongLe() const { return sw1() == 0x6C; }
    // 63Cx: verification failed / counter, x tries left.
    std::optional<unsigned> triesLeft() const;
    // 6983: authentication method blocked.
    constexpr bool isBlocked() const { return value_ == 0x6983; }

    // "6A82" and a short English meaning, e.g. "6A82 (file or application not found)".
    std::string describe() const;
    const char* meaning() const;

    constexpr bool operator==(const StatusWord&) const = default;

    static constexpr std::uint16_t kSuccess = 0x9000;
    static constexpr std::uint16_t kEndOfFile = 0x6282;
    static constexpr std::uint16_t kWrongLength = 0x6700;
    static constexpr std::uint16_t kSecurityNotSatisfied = 0x6982;
    static constexpr std::uint16_t kAuthBlocked = 0x6983;
    static constexpr std::uint16_t kReferenceDataNotUsable = 0x6984;
    static constexpr std::uint16_t kConditionsNotSatisfied = 0x6985;
    static constexpr std::uint16_t kCommandNotAllowed = 0x6986;
    static constexpr std::uint16_t kSmObjectsMissing = 0x6987;
    static constexpr std::uint16_t kSmObjectsIncorrect = 0x6988;
    static constexpr std::uint16_t kWrongData = 0x6A80;
    static constexpr std::uint16_t kFunctionNotSupported = 0x6A81;
    static constexpr std::uint16_t kFileNotFound = 0x6A82;
    static constexpr std::uint16_t kRecordNotFound = 0x6A83;
    static constexpr std::uint16_t kNotEnoughMemory = 0x6A84;
    static constexpr std::uint16_t kLcInconsistentWithP1P2 = 0x6A85;
    static constexpr std::uint16_t kIncorrectP1P2 = 0x6A86;
    static constexpr std::uint16_t kLcInconsistent = 0x6A87;
    static constexpr std::uint16_t kReferenceNotFound = 0x6A88;
    static constexpr std::uint16_t kWrongP1P2 = 0x6B00;
    static constexpr std::uint16_t kInsNotSupported = 0x6D00;
    static constexpr std::uint16_t kClaNotSupported = 0x6E00;
    static constexpr std::uint16_t kNoPreciseDiagnosis = 0x6F00;

private:
    std::uint16_t value_ = 0;
};

}  // namespace ias::apdu
