// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "exit_codes.hpp"
#include "pin_policy.hpp"

namespace ias::tools {

namespace {
PinVerdict check(std::string_view pin) { return checkNewPin(apdu::secureCopy(pin)); }
}  // namespace

TEST(PinPolicy, SameRuleAsTheModule) {
    EXPECT_EQ(check("4711"), PinVerdict::Ok);
    EXPECT_EQ(check("2580"), PinVerdict::Ok);
    EXPECT_EQ(check("0123"), PinVerdict::Ok);
    EXPECT_EQ(check("1234"), PinVerdict::Weak);
    for (const char* rep : {"0000", "1111", "9999"}) EXPECT_EQ(check(rep), PinVerdict::Weak) << rep;
    EXPECT_EQ(check("123"), PinVerdict::Length);
    EXPECT_EQ(check("12345"), PinVerdict::Length);
    EXPECT_EQ(check(""), PinVerdict::Length);
    EXPECT_EQ(check("12a4"), PinVerdict::NotDigits);
    EXPECT_EQ(check("47 1"), PinVerdict::NotDigits);
}

TEST(PinPolicy, EachRefusalExplained) {
    EXPECT_EQ(explain(PinVerdict::Weak), Msg::PinWeak);
    EXPECT_EQ(explain(PinVerdict::Length), Msg::PinLength);
    EXPECT_EQ(explain(PinVerdict::NotDigits), Msg::PinNotDigits);
    EXPECT_EQ(explain(PinVerdict::Ok), Msg::PinAccepted);
}

// UNBLOCK.md "In the module": CK_RV -> what the holder is told and the exit code.
TEST(ExitCodes, ResetFailuresMapped) {
    struct Row {
        ResetStage stage;
        CK_RV rv;
        ExitCode code;
        Msg msg;
    };
    const Row rows[] = {
        {ResetStage::Login, CKR_PIN_INCORRECT, ExitCode::WrongSecret, Msg::FailWrongSecret},
        {ResetStage::Login, CKR_PIN_INVALID, ExitCode::WrongSecret, Msg::FailWrongSecret},
        {ResetStage::Login, CKR_PIN_LOCKED, ExitCode::Blocked, Msg::FailSecretLocked},
        {ResetStage::Login, CKR_FUNCTION_FAILED, ExitCode::Unreachable, Msg::FailUnreachable},
        {ResetStage::Login, CKR_FUNCTION_NOT_SUPPORTED, ExitCode::NotConfigured, Msg::FailNotConfigured},
        {ResetStage::OpenSession, CKR_TOKEN_NOT_PRESENT, ExitCode::NoToken, Msg::FailTokenGone},
        {ResetStage::InitPin, CKR_DEVICE_REMOVED, ExitCode::NoToken, Msg::FailTokenGone},
        {ResetStage::InitPin, CKR_PIN_INVALID, ExitCode::PinPolicy, Msg::FailPolicy},
        {ResetStage::InitPin, CKR_PIN_LEN_RANGE, ExitCode::PinPolicy, Msg::FailPolicy},
        {ResetStage::InitPin, CKR_PIN_TOO_WEAK, ExitCode::PinPolicy, Msg::FailPolicy},
        {ResetStage::InitPin, CKR_FUNCTION_FAILED, ExitCode::Unreachable, Msg::FailUnreachable},
        {ResetStage::InitPin, CKR_USER_NOT_LOGGED_IN, ExitCode::CardError, Msg::FailLoginExpired},
        {ResetStage::OpenSession, CKR_SESSION_READ_ONLY_EXISTS, ExitCode::CardError, Msg::FailSessionBusy},
        {ResetStage::InitPin, CKR_DEVICE_ERROR, ExitCode::CardError, Msg::FailCard},
    };
    for (const Row& r : rows) {
        const Failure f = failureFor(r.stage, r.rv);
        EXPECT_EQ(f.code, r.code) << std::hex << r.rv;
        EXPECT_EQ(f.message, r.msg) << std::hex << r.rv;
    }
    EXPECT_EQ(toInt(ExitCode::Ok), 0);
    EXPECT_EQ(toInt(ExitCode::NotConfigured), 8);
}

}  // namespace ias::tools
