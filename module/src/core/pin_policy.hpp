// SPDX-License-Identifier: Apache-2.0
// The holder PIN policy (protocol/pin_rule.hpp, shared with ias-unblock) as CK_RVs, and the
// card's own limits on the PIN it checks (its AODF entry).
#pragma once

#include <cstddef>

#include "../card/pkcs15.hpp"
#include "ias/apdu/bytes.hpp"
#include "ias/p11/pkcs11.hpp"

namespace ias::p11 {

// PIN lengths (bytes) the card accepts for one PIN: C_GetTokenInfo's ulMinPinLen/ulMaxPinLen.
struct PinLengthRange {
    unsigned min = 1;
    unsigned max = 255;
    bool contains(std::size_t length) const noexcept { return length >= min && length <= max; }
};

// From the PKCS#15 PinAttributes: minLength (at least 1: an empty VERIFY only reads the
// counter), maxLength, else storedLength (the PIN cannot be longer than what the card stores),
// else 255 (the most a short VERIFY carries). A card whose minimum exceeds its maximum gets
// its maximum for both (the range is never empty, min <= max always).
PinLengthRange pinLengthRange(const card::pkcs15::Pin& pin) noexcept;

// CKR_OK, or why `pin` cannot be a new user PIN: CKR_PIN_INVALID (not digits),
// CKR_PIN_LEN_RANGE (not 4), CKR_PIN_TOO_WEAK (3.x callers) / CKR_PIN_INVALID (2.x) for
// 1234 and repeated digits.
CK_RV checkNewUserPin(apdu::ByteView pin, bool version3Caller) noexcept;

}  // namespace ias::p11
