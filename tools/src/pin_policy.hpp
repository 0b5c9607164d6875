// SPDX-License-Identifier: Apache-2.0
// The new-PIN rule, checked before anything is sent to the card: the rule the module applies
// (protocol/pin_rule.hpp, one definition for both), so tool and module never disagree.
#pragma once

#include "ias/apdu/bytes.hpp"
#include "ias/protocol/pin_rule.hpp"
#include "messages_fr_en.hpp"

namespace ias::tools {

using PinVerdict = protocol::PinVerdict;

PinVerdict checkNewPin(apdu::ByteView pin) noexcept;

// The message that explains a refusal (Msg::PinAccepted for Ok).
Msg explain(PinVerdict v) noexcept;

}  // namespace ias::tools
