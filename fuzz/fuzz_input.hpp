// SPDX-License-Identifier: Apache-2.0
// A front-to-back reader over the fuzz input, shared by the targets that split their input
// into fields (card_responses, sim, pkcs15). Unlike FuzzedDataProvider it consumes in file
// order, so seeds can be written by hand or by scripts (fuzz/make_seeds.py). Reading past
// the end yields zeros / empty spans; it never fails.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ias::fuzz {

class Input {
public:
    Input(const std::uint8_t* data, std::size_t size) : data_(data, size) {}

    bool empty() const { return pos_ >= data_.size(); }
    std::size_t remaining() const { return data_.size() - pos_; }

    std::uint8_t u8() { return empty() ? 0 : data_[pos_++]; }
    std::uint16_t u16() {  // big-endian
        const std::uint8_t hi = u8();
        return static_cast<std::uint16_t>(hi << 8 | u8());
    }
    // Up to n bytes (fewer at the end of the input).
    std::span<const std::uint8_t> bytes(std::size_t n) {
        n = std::min(n, remaining());
        auto out = data_.subspan(pos_, n);
        pos_ += n;
        return out;
    }
    std::span<const std::uint8_t> rest() { return bytes(remaining()); }

private:
    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
};

// Aborts with a message: a property the target checks did not hold (a finding).
[[noreturn]] void fail(const char* what);

}  // namespace ias::fuzz
