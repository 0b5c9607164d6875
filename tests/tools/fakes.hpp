// SPDX-License-Identifier: Apache-2.0
// Test doubles for the ias-unblock steps: a scripted console that records everything shown,
// a token whose PKCS#11 answers are chosen by the test, and a holder API.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "flow.hpp"

namespace ias::tools::test {

inline apdu::SecureBytes sb(std::string_view s) { return apdu::secureCopy(s); }

class FakeConsole final : public Console {
public:
    std::deque<std::string> answers;          // for ask()
    std::deque<std::string> secrets;          // for askSecret()
    std::string transcript;                   // everything shown (prompts included)
    std::vector<bool> secretShowFlags;        // the `show` argument of each askSecret()

    void say(std::string_view line) override { transcript += std::string(line) + "\n"; }
    void warn(std::string_view line) override { transcript += "E: " + std::string(line) + "\n"; }
    std::optional<std::string> ask(std::string_view prompt) override {
        transcript += std::string(prompt) + "\n";
        if (answers.empty()) return std::nullopt;
        std::string a = answers.front();
        answers.pop_front();
        return a;
    }
    std::optional<apdu::SecureBytes> askSecret(std::string_view prompt, bool show) override {
        transcript += std::string(prompt) + "\n";
        secretShowFlags.push_back(show);
        if (secrets.empty()) return std::nullopt;
        apdu::SecureBytes s = sb(secrets.front());
        secrets.pop_front();
        return s;
    }
};

class FakeToken final : public TokenAccess {
public:
    std::vector<TokenState> present;
    std::deque<ResetResult> results;          // answers of resetUserPin, in order (default OK)
    CK_FLAGS flagsAfterReset = 0;
    int resets = 0;
    std::string lastSecret, lastPin;

    std::vector<TokenState> tokens() override { return present; }
    std::optional<TokenState> token(CK_SLOT_ID slot) override {
        for (const auto& t : present)
            if (t.slot == slot) return t;
        return std::nullopt;
    }
    ResetResult resetUserPin(CK_SLOT_ID slot, apdu::ByteView secret, apdu::ByteView newPin) override {
        ++resets;
        lastSecret.assign(secret.begin(), secret.end());
        lastPin.assign(newPin.begin(), newPin.end());
        ResetResult r{ResetStage::InitPin, CKR_OK};
        if (!results.empty()) {
            r = results.front();
            results.pop_front();
        }
        if (r.ok())
            for (auto& t : present)
                if (t.slot == slot) t.flags = flagsAfterReset;
        return r;
    }
};

class FakeHolder final : public HolderApi {
public:
    CaseInfo info;
    std::optional<HolderApiError> caseError;
    std::deque<std::optional<HolderApiError>> submitResults;  // nullopt = accepted
    std::string secret;
    std::vector<std::vector<std::string>> submitted;

    CaseInfo fetchCase() override {
        if (caseError) throw *caseError;  // NOLINT(misc-throw-by-value-catch-by-reference,cert-err60-cpp): rethrows the configured error under test
        return info;
    }
    apdu::SecureBytes submitAnswers(const std::vector<apdu::SecureBytes>& answers) override {
        std::vector<std::string> copy;
        copy.reserve(answers.size());
        for (const auto& a : answers) copy.emplace_back(a.begin(), a.end());
        submitted.push_back(copy);
        if (!submitResults.empty()) {
            auto r = submitResults.front();
            submitResults.pop_front();
            if (r) throw *r;  // NOLINT(misc-throw-by-value-catch-by-reference,cert-err60-cpp): rethrows the configured error under test
        }
        return sb(secret);
    }
};

}  // namespace ias::tools::test
