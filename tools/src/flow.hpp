// SPDX-License-Identifier: Apache-2.0
// The issuer's four steps (UNBLOCK.md "What the holder does"), driven through the Console,
// the token (PKCS#11) and, with the e-mail link, the holder API:
//   1 Initialisation: the case (link), the token, its serial, holder name, PIN state, what will happen
//   2 Choix du PIN: the policy first, the new PIN typed twice without echo, checked locally
//   3 Réponses secrètes (link) / secret de déblocage (no link), then C_Login(CKU_SO) + C_InitPIN
//   4 Confirmation: token info re-read, PIN unlocked with 3 tries
// flow.cpp: steps 1 and 4 and the reporting helpers; pin_step.cpp: step 2;
// secret_step.cpp: step 3 and the reset.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exit_codes.hpp"
#include "holder_api.hpp"
#include "ias/apdu/bytes.hpp"
#include "messages_fr_en.hpp"
#include "options.hpp"
#include "pkcs11_client.hpp"
#include "terminal.hpp"

namespace ias::tools {

// What --non-interactive reads from files before the steps start (main.cpp).
struct PresetInputs {
    std::optional<apdu::SecureBytes> newPin;
    std::optional<apdu::SecureBytes> secret;
    std::optional<std::vector<apdu::SecureBytes>> answers;
};

// "1 Initialisation · [2 Choix du PIN] · 3 Réponses secrètes · 4 Confirmation"
std::string stepIndicator(const Messages& msg, int current, bool withLink);

class UnblockFlow {
public:
    UnblockFlow(const Options& options, const Messages& msg, Console& console, TokenAccess& tokens,
                HolderApi* holder, PresetInputs preset);
    ExitCode run();

private:
    ExitCode initialisation();                                // step 1 (flow.cpp)
    ExitCode findToken();                                     // step 1 (flow.cpp)
    ExitCode choosePin();                                     // step 2 (pin_step.cpp)
    ExitCode authenticateAndReset();                          // step 3 (secret_step.cpp)
    ExitCode secretByAnswers(apdu::SecureBytes& secret);      // step 3, link
    ExitCode resetWithTypedSecret();                          // step 3, no link
    ExitCode reset(apdu::ByteView secret, bool* wrongSecret);  // C_Login(CKU_SO) + C_InitPIN
    ExitCode confirmation();                                  // step 4 (flow.cpp)

    void showStep(int step);
    void showSupport(const SupportContacts& s);
    ExitCode reportHolderRefusal(const HolderApiError& e);
    bool interactive() const noexcept { return !options_.nonInteractive; }

    const Options& options_;
    const Messages& msg_;
    Console& con_;
    TokenAccess& tokens_;
    HolderApi* holder_;
    PresetInputs preset_;
    std::optional<CaseInfo> case_;
    TokenState token_;
    apdu::SecureBytes newPin_;
    SupportContacts support_;
};

}  // namespace ias::tools
