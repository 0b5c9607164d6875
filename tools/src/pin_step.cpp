// SPDX-License-Identifier: Apache-2.0
// Step 2, "Choix du PIN": the policy is explained before anything is asked; the PIN is typed
// twice without echo and checked locally with the module's own rule.
#include "flow.hpp"
#include "pin_policy.hpp"

namespace ias::tools {

namespace {
constexpr int kMaxPinAttempts = 3;
}

ExitCode UnblockFlow::choosePin() {
    showStep(2);
    con_.say(msg_.text(Msg::PinPolicy));
    if (preset_.newPin) {
        newPin_ = std::move(*preset_.newPin);
        preset_.newPin.reset();
        const PinVerdict v = checkNewPin(newPin_);
        if (v != PinVerdict::Ok) {
            con_.warn(msg_.text(explain(v)));
            return ExitCode::PinPolicy;
        }
        con_.say(msg_.text(Msg::PinAccepted));
        return ExitCode::Ok;
    }
    if (!interactive()) return ExitCode::Usage;  // options.cpp requires a PIN source
    for (int attempt = 0; attempt < kMaxPinAttempts; ++attempt) {
        auto first = con_.askSecret(msg_.text(Msg::PinPrompt), false);
        if (!first) {
            con_.warn(msg_.text(Msg::Cancelled));
            return ExitCode::Usage;
        }
        const PinVerdict v = checkNewPin(*first);
        if (v != PinVerdict::Ok) {
            con_.warn(msg_.text(explain(v)));
            continue;
        }
        auto second = con_.askSecret(msg_.text(Msg::PinPromptAgain), false);
        if (!second) {
            con_.warn(msg_.text(Msg::Cancelled));
            return ExitCode::Usage;
        }
        if (!apdu::constantTimeEqual(*first, *second)) {
            con_.warn(msg_.text(Msg::PinMismatch));
            continue;
        }
        newPin_ = std::move(*first);
        con_.say(msg_.text(Msg::PinAccepted));
        return ExitCode::Ok;
    }
    con_.warn(msg_.text(Msg::TooManyAttempts));
    return ExitCode::PinPolicy;
}

}  // namespace ias::tools
