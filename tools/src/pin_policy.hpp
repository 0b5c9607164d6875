// The new-PIN rule, checked before anything is sent to the card: the module's own rule
// (module/src/core/pin_policy.cpp, compiled in), so tool and module never disagree.
#pragma once

#include "ias/apdu/bytes.hpp"
#include "messages_fr_en.hpp"

namespace ias::tools {

enum class PinVerdict { Ok, NotDigits, Length, Weak };

PinVerdict checkNewPin(apdu::ByteView pin) noexcept;

// The message that explains a refusal (Msg::PinAccepted for Ok).
Msg explain(PinVerdict v) noexcept;

}  // namespace ias::tools
