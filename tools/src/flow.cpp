// SPDX-License-Identifier: Apache-2.0
#include "flow.hpp"

#include <algorithm>
#include <cctype>

namespace ias::tools {

namespace {

constexpr CK_FLAGS kPinTrouble = CKF_USER_PIN_LOCKED | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW;
constexpr int kMaxNoTokenRetries = 10;

bool sameSerial(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
           });
}

}  // namespace

std::string stepIndicator(const Messages& msg, int current, bool withLink) {
    const Msg names[] = {Msg::StepInit, Msg::StepPin, withLink ? Msg::StepAnswers : Msg::StepSecret,
                         Msg::StepConfirm};
    std::string out;
    for (int i = 1; i <= 4; ++i) {
        if (i > 1) out += " · ";
        std::string item = std::to_string(i) + " " + std::string(msg.text(names[i - 1]));
        out += i == current ? "[" + item + "]" : item;
    }
    return out;
}

UnblockFlow::UnblockFlow(const Options& options, const Messages& msg, Console& console, TokenAccess& tokens,
                         HolderApi* holder, PresetInputs preset)
    : options_(options), msg_(msg), con_(console), tokens_(tokens), holder_(holder), preset_(std::move(preset)) {}

ExitCode UnblockFlow::run() {
    con_.say(msg_.text(Msg::Title));
    for (auto step : {&UnblockFlow::initialisation, &UnblockFlow::choosePin, &UnblockFlow::authenticateAndReset,
                      &UnblockFlow::confirmation}) {
        const ExitCode c = (this->*step)();
        if (c != ExitCode::Ok) return c;
    }
    return ExitCode::Ok;
}

void UnblockFlow::showStep(int step) {
    con_.say("");
    con_.say(stepIndicator(msg_, step, holder_ != nullptr));
}

void UnblockFlow::showSupport(const SupportContacts& s) {
    if (s.empty()) {
        con_.warn(msg_.text(Msg::SupportGeneric));
        return;
    }
    con_.warn(msg_.text(Msg::SupportHeader));
    if (!s.web.empty()) con_.warn(msg_.format(Msg::SupportWeb, {s.web}));
    if (!s.email.empty()) con_.warn(msg_.format(Msg::SupportEmail, {s.email}));
    if (!s.phone.empty()) con_.warn(msg_.format(Msg::SupportPhone, {s.phone}));
    if (!s.hours.empty()) con_.warn(msg_.format(Msg::SupportHours, {s.hours}));
}

ExitCode UnblockFlow::reportHolderRefusal(const HolderApiError& e) {
    const SupportContacts& s = e.support().empty() ? support_ : e.support();
    switch (e.kind()) {
        case HolderRefusal::Unreachable:
            con_.warn(msg_.text(Msg::ServiceUnreachable));
            con_.warn(msg_.format(Msg::Detail, {e.what()}));
            return ExitCode::Unreachable;
        case HolderRefusal::Unexpected:
            con_.warn(msg_.text(Msg::ServiceUnexpected));
            con_.warn(msg_.format(Msg::Detail, {e.what()}));
            showSupport(s);
            return ExitCode::Unreachable;
        case HolderRefusal::Expired: con_.warn(msg_.text(Msg::LinkExpired)); break;
        case HolderRefusal::UsedUp: con_.warn(msg_.text(Msg::LinkUsed)); break;
        case HolderRefusal::NoCase: con_.warn(msg_.text(Msg::LinkUnknown)); break;
        case HolderRefusal::Blocked: con_.warn(msg_.text(Msg::LinkBlocked)); break;
        case HolderRefusal::WrongAnswers:
            con_.warn(msg_.format(Msg::WrongAnswers, {std::to_string(e.triesLeft().value_or(0))}));
            return ExitCode::WrongSecret;
    }
    showSupport(s);
    return ExitCode::Blocked;
}

// Step 1.
ExitCode UnblockFlow::initialisation() {
    showStep(1);
    if (holder_) {
        con_.say(msg_.text(Msg::ContactingService));
        try {
            case_ = holder_->fetchCase();
        } catch (const HolderApiError& e) {
            return reportHolderRefusal(e);
        }
        support_ = case_->support;
        con_.say(msg_.format(Msg::CaseFor, {case_->serial}));
        const long minutes = std::max(0L, case_->expiresIn) / 60;
        con_.say(msg_.format(Msg::LinkValidity, {std::to_string(minutes / 60), std::to_string(minutes % 60)}));
    }
    if (const ExitCode c = findToken(); c != ExitCode::Ok) return c;
    con_.say(msg_.format(Msg::TokenFound, {token_.serial}));
    if (!token_.holderName.empty()) con_.say(msg_.format(Msg::HolderName, {token_.holderName}));
    if (!token_.label.empty()) con_.say(msg_.format(Msg::TokenLabel, {token_.label}));
    if (token_.flags & CKF_USER_PIN_LOCKED) {
        con_.say(msg_.text(Msg::PinStateLocked));
    } else {
        if (token_.flags & CKF_USER_PIN_FINAL_TRY) con_.say(msg_.text(Msg::PinStateFinalTry));
        else if (token_.flags & CKF_USER_PIN_COUNT_LOW) con_.say(msg_.text(Msg::PinStateCountLow));
        else con_.say(msg_.text(Msg::PinStateOk));
        con_.say(msg_.text(Msg::PinNotLockedNote));
    }
    con_.say(msg_.text(holder_ ? Msg::WhatHappensLink : Msg::WhatHappensSecret));
    if (interactive() && !options_.yes) {
        con_.say(msg_.text(Msg::ReadInstructions));
        const auto answer = con_.ask(msg_.text(Msg::ConfirmContinue));
        if (!answer || !Messages::isYes(*answer)) {
            con_.warn(msg_.text(Msg::Cancelled));
            return ExitCode::Usage;
        }
    }
    return ExitCode::Ok;
}

// The token of the case (link), the one named by --serial, the only one, or the holder's choice.
ExitCode UnblockFlow::findToken() {
    const std::string wanted = case_ ? case_->serial : options_.serial;
    for (int attempt = 0;; ++attempt) {
        const std::vector<TokenState> all = tokens_.tokens();
        std::optional<TokenState> chosen;
        if (!wanted.empty()) {
            for (const auto& t : all)
                if (sameSerial(t.serial, wanted)) chosen = t;
        } else if (all.size() == 1) {
            chosen = all.front();
        } else if (all.size() > 1) {
            if (!interactive()) {
                con_.warn(msg_.text(Msg::SeveralTokensUseSerial));
                return ExitCode::Usage;
            }
            con_.say(msg_.text(Msg::SeveralTokens));
            for (std::size_t i = 0; i < all.size(); ++i)
                con_.say("  " + std::to_string(i + 1) + ". " + all[i].serial + "  " + all[i].label + "  " +
                         all[i].holderName);
            const auto pick = con_.ask(msg_.format(Msg::ChooseToken, {std::to_string(all.size())}));
            std::size_t n = 0;
            if (pick && !pick->empty() && pick->size() < 4 &&
                std::all_of(pick->begin(), pick->end(), [](char c) { return c >= '0' && c <= '9'; }))
                n = std::stoul(*pick);
            if (n < 1 || n > all.size()) {
                con_.warn(msg_.text(Msg::Cancelled));
                return ExitCode::Usage;
            }
            chosen = all[n - 1];
        }
        if (chosen) {
            token_ = *chosen;
            return ExitCode::Ok;
        }
        if (!wanted.empty() && !all.empty()) {
            std::string found;
            for (const auto& t : all) found += (found.empty() ? "" : ", ") + t.serial;
            con_.warn(case_ ? msg_.format(Msg::CaseTokenMissing, {wanted, found})
                            : msg_.format(Msg::SerialNotFound, {wanted}));
        }
        if (!interactive() || attempt >= kMaxNoTokenRetries) {
            if (all.empty()) con_.warn(msg_.text(Msg::NoToken));
            return ExitCode::NoToken;
        }
        const auto answer = con_.ask(msg_.text(Msg::NoTokenRetry));
        if (!answer || *answer == "q" || *answer == "Q") {
            con_.warn(msg_.text(Msg::NoToken));
            return ExitCode::NoToken;
        }
    }
}

// Step 4.
ExitCode UnblockFlow::confirmation() {
    showStep(4);
    const auto t = tokens_.token(token_.slot);
    if (t && !(t->flags & kPinTrouble)) {
        con_.say(msg_.text(Msg::Done));
        return ExitCode::Ok;
    }
    con_.warn(msg_.text(Msg::StillLocked));
    showSupport(support_);
    return ExitCode::CardError;
}

}  // namespace ias::tools
