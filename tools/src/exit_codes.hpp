// SPDX-License-Identifier: Apache-2.0
// Exit codes of ias-unblock (documented in --help and in the report of issue 6), and the
// translation of the module's CK_RV into what the holder is told and how the tool exits.
// One table, in exit_codes.cpp.
#pragma once

#include "ias/p11/pkcs11.hpp"
#include "messages_fr_en.hpp"

namespace ias::tools {

enum class ExitCode : int {
    Ok = 0,
    Usage = 1,           // bad command line, unreadable input file, cancelled by the holder
    NoToken = 2,         // no token / not the token of the case / token removed
    WrongSecret = 3,     // wrong unblock secret or wrong answers (tries remain)
    Blocked = 4,         // secret used up / expired / blocked, link expired, definitive block
    Unreachable = 5,     // service unreachable or TLS failure: nothing was spent
    PinPolicy = 6,       // the new PIN breaks the policy
    CardError = 7,       // the card or the module failed otherwise
    NotConfigured = 8,   // unblock not configured in this installation (or no module)
};

constexpr int toInt(ExitCode c) noexcept { return static_cast<int>(c); }

// What a failed PKCS#11 call of the reset means for the holder.
struct Failure {
    ExitCode code;
    Msg message;
};

// The three calls of the reset, in order.
enum class ResetStage { OpenSession, Login, InitPin };

Failure failureFor(ResetStage stage, CK_RV rv) noexcept;

}  // namespace ias::tools
