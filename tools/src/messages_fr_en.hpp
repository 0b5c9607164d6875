// SPDX-License-Identifier: Apache-2.0
// Everything ias-unblock tells the holder, in French (default) and English. The wording of
// the issuer's procedure is kept (UNBLOCK.md): "Initialisation", "Choix du PIN", "Réponses
// secrètes", "Confirmation", "Les réponses sont erronées", the 24 h link, the support contacts.
// No message ever carries the PIN, the secret or an answer.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace ias::tools {

enum class Lang { Fr, En };

// --lang wins; then LC_ALL, LC_MESSAGES, LANG (POSIX order, first one set): English when it
// starts with "en", French otherwise and by default.
Lang chooseLanguage(std::optional<Lang> fromCommandLine, const char* lcAll, const char* lcMessages,
                    const char* lang) noexcept;
Lang chooseLanguageFromEnvironment(std::optional<Lang> fromCommandLine) noexcept;
std::optional<Lang> parseLang(std::string_view text) noexcept;

enum class Msg {
    Title,
    StepInit, StepPin, StepAnswers, StepSecret, StepConfirm,
    // 1 Initialisation
    ContactingService, CaseFor, LinkValidity, TokenFound, HolderName, TokenLabel,
    PinStateLocked, PinStateFinalTry, PinStateCountLow, PinStateOk, PinNotLockedNote,
    WhatHappensLink, WhatHappensSecret, ReadInstructions, ConfirmContinue, Cancelled,
    NoTokenRetry, NoToken, CaseTokenMissing, SeveralTokens, ChooseToken, SeveralTokensUseSerial,
    SerialNotFound,
    // 2 Choix du PIN
    PinPolicy, PinPrompt, PinPromptAgain, PinMismatch, PinNotDigits, PinLength, PinWeak, PinAccepted,
    TooManyAttempts,
    // 3 Réponses secrètes / secret
    QuestionsIntro, ShowValuesPrompt, MaskedHint, CheckingAnswers, WrongAnswers, AnswersErroneous,
    RevocationAdvice, AnswersAccepted, AnswersCountMismatch,
    LinkExpired, LinkUsed, LinkUnknown, LinkBlocked, ServiceUnreachable, ServiceUnexpected,
    SecretIntro, SecretPrompt, SecretBadLength, SecretBadSymbol, SecretBadCheck, SecretRetry,
    Resetting,
    // errors of the reset (per CK_RV)
    FailWrongSecret, FailSecretLocked, FailUnreachable, FailNotConfigured, FailPolicy,
    FailTokenGone, FailSessionBusy, FailLoginExpired, FailCard, CardCode, Detail,
    ModuleLoadFailed,
    // 4 Confirmation
    Done, StillLocked,
    // support contacts
    SupportHeader, SupportWeb, SupportEmail, SupportPhone, SupportHours, SupportGeneric,
    // command line
    UsageHint, OptUnknown, OptMissingValue, OptBadValue, OptNeedPin, OptNeedAuth, OptAnswersNeedLink,
    OptSecretWithLink, OptTwoPinSources, OptBadLink, OptExtraArgument, InputUnreadable,
    LinkOtherService,
    Help,
    Count_
};

class Messages {
public:
    explicit Messages(Lang lang) noexcept : lang_(lang) {}
    Lang lang() const noexcept { return lang_; }
    // The text; "{}" placeholders are filled in order by format().
    std::string_view text(Msg m) const noexcept;
    std::string format(Msg m, std::initializer_list<std::string_view> args = {}) const;
    // "o", "oui", "y", "yes" (any case) in both languages.
    static bool isYes(std::string_view answer) noexcept;

private:
    Lang lang_;
};

// Fills "{}" placeholders in order; missing arguments leave "{}".
std::string fill(std::string_view text, std::initializer_list<std::string_view> args);

}  // namespace ias::tools
