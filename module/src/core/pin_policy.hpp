// The holder PIN policy (protocol/pin_rule.hpp, shared with ias-unblock) as CK_RVs.
#pragma once

#include "ias/apdu/bytes.hpp"
#include "ias/p11/pkcs11.hpp"

namespace ias::p11 {

// CKR_OK, or why `pin` cannot be a new user PIN: CKR_PIN_INVALID (not digits),
// CKR_PIN_LEN_RANGE (not 4), CKR_PIN_TOO_WEAK (3.x callers) / CKR_PIN_INVALID (2.x) for
// 1234 and repeated digits.
CK_RV checkNewUserPin(apdu::ByteView pin, bool version3Caller) noexcept;

}  // namespace ias::p11
