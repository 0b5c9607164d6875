// SPDX-License-Identifier: Apache-2.0
// Step 3: with the e-mail link, "Réponses secrètes" (the questions asked here, answers sent
// to the holder API, the secret received directly and never shown); without it, the secret
// the holder pages showed, typed or pasted and checked locally (protocol::parseSecret) before
// a try is spent. Then the reset through PKCS#11: C_Login(CKU_SO, secret) + C_InitPIN.
#include "flow.hpp"
#include "ias/protocol/secret.hpp"

namespace ias::tools {

namespace {

constexpr int kMaxSecretTries = 3;      // the service's limit (UNBLOCK.md)
constexpr int kMaxTypingAttempts = 6;   // local typos, no try spent

Msg typoMessage(protocol::SecretParseError e) {
    switch (e) {
        case protocol::SecretParseError::BadLength: return Msg::SecretBadLength;
        case protocol::SecretParseError::BadSymbol: return Msg::SecretBadSymbol;
        default: return Msg::SecretBadCheck;
    }
}

apdu::ByteView view(const apdu::SecureBytes& b) { return {b.data(), b.size()}; }

}  // namespace

ExitCode UnblockFlow::authenticateAndReset() {
    showStep(3);
    if (!holder_) return resetWithTypedSecret();
    apdu::SecureBytes secret;
    if (const ExitCode c = secretByAnswers(secret); c != ExitCode::Ok) return c;
    con_.say(msg_.text(Msg::Resetting));
    // The service's display form; the module normalises it. Canonical when it parses.
    const auto parsed = protocol::parseSecret(view(secret));
    const apdu::SecureBytes canonical = parsed.ok() ? parsed.secret->canonical() : secret;
    return reset(canonical, nullptr);
}

ExitCode UnblockFlow::secretByAnswers(apdu::SecureBytes& secret) {
    const std::vector<std::string>& questions = case_->questions;
    con_.say(msg_.format(Msg::QuestionsIntro, {std::to_string(case_->triesLeft)}));
    if (preset_.answers && preset_.answers->size() != questions.size()) {
        con_.warn(msg_.format(Msg::AnswersCountMismatch,
                              {std::to_string(preset_.answers->size()), std::to_string(questions.size())}));
        return ExitCode::Usage;
    }
    bool show = options_.showAnswers;
    if (interactive() && !show) {
        const auto a = con_.ask(msg_.text(Msg::ShowValuesPrompt));
        show = a && Messages::isYes(*a);
    }
    for (;;) {
        std::vector<apdu::SecureBytes> answers;
        if (preset_.answers) {
            answers = std::move(*preset_.answers);
            preset_.answers.reset();
        } else if (interactive()) {
            for (const std::string& q : questions) {
                con_.say(show ? q : q + " " + std::string(msg_.text(Msg::MaskedHint)));
                auto a = con_.askSecret("> ", show);
                if (!a) {
                    con_.warn(msg_.text(Msg::Cancelled));
                    return ExitCode::Usage;
                }
                answers.push_back(std::move(*a));
            }
        } else {
            return ExitCode::WrongSecret;  // the answers file was used once
        }
        con_.say(msg_.text(Msg::CheckingAnswers));
        try {
            secret = holder_->submitAnswers(answers);
            con_.say(msg_.text(Msg::AnswersAccepted));
            return ExitCode::Ok;
        } catch (const HolderApiError& e) {
            if (e.kind() == HolderRefusal::WrongAnswers) {
                con_.warn(msg_.format(Msg::WrongAnswers, {std::to_string(e.triesLeft().value_or(0))}));
                if (!interactive()) return ExitCode::WrongSecret;
                continue;
            }
            if (e.kind() == HolderRefusal::Blocked) {
                con_.warn(msg_.text(Msg::AnswersErroneous));
                con_.warn(msg_.text(Msg::RevocationAdvice));
                showSupport(e.support().empty() ? support_ : e.support());
                return ExitCode::Blocked;
            }
            return reportHolderRefusal(e);
        }
    }
}

ExitCode UnblockFlow::resetWithTypedSecret() {
    con_.say(msg_.text(Msg::SecretIntro));
    int serviceTries = 0;
    for (int attempt = 0; attempt < kMaxTypingAttempts; ++attempt) {
        std::optional<apdu::SecureBytes> typed;
        if (preset_.secret) {
            typed = std::move(preset_.secret);
            preset_.secret.reset();
        } else if (interactive()) {
            typed = con_.askSecret(msg_.text(Msg::SecretPrompt), options_.showAnswers);
            if (!typed) {
                con_.warn(msg_.text(Msg::Cancelled));
                return ExitCode::Usage;
            }
        } else {
            return ExitCode::WrongSecret;  // the secret file was used once
        }
        const auto parsed = protocol::parseSecret(view(*typed));
        if (!parsed.ok()) {
            con_.warn(msg_.text(typoMessage(parsed.error)));
            if (!interactive()) return ExitCode::WrongSecret;
            con_.warn(msg_.text(Msg::SecretRetry));
            continue;
        }
        con_.say(msg_.text(Msg::Resetting));
        bool wrong = false;
        const ExitCode c = reset(parsed.secret->canonical(), &wrong);
        if (!wrong || !interactive() || ++serviceTries >= kMaxSecretTries) return c;
        con_.warn(msg_.text(Msg::SecretRetry));
    }
    con_.warn(msg_.text(Msg::TooManyAttempts));
    return ExitCode::WrongSecret;
}

ExitCode UnblockFlow::reset(apdu::ByteView secret, bool* wrongSecret) {
    const ResetResult r = tokens_.resetUserPin(token_.slot, secret, newPin_);
    if (r.ok()) return ExitCode::Ok;
    const Failure f = failureFor(r.stage, r.rv);
    con_.warn(msg_.text(f.message));
    if (f.code == ExitCode::WrongSecret && wrongSecret) {
        *wrongSecret = true;
        return f.code;
    }
    if (f.code == ExitCode::CardError) con_.warn(msg_.format(Msg::CardCode, {rvName(r.rv)}));
    if (f.code != ExitCode::Unreachable && f.code != ExitCode::PinPolicy) showSupport(support_);
    return f.code;
}

}  // namespace ias::tools
