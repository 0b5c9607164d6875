// SPDX-License-Identifier: Apache-2.0
// The holder PIN rule (UNBLOCK.md): exactly 4 digits; 1234 and repeated digits refused.
// One definition for the module (C_InitPIN / C_SetPIN, as CK_RVs) and ias-unblock (checked
// before anything is sent to the card), so the two never disagree.
#pragma once

#include "ias/apdu/bytes.hpp"

namespace ias::protocol {

enum class PinVerdict { Ok, NotDigits, Length, Weak };

PinVerdict checkNewUserPin(apdu::ByteView pin) noexcept;

}  // namespace ias::protocol
