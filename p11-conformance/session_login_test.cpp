// SPDX-License-Identifier: Apache-2.0
// Chapter "Session management" (PKCS#11 v2.40 §5.6; session states §4 of the usage guide /
// v2.40 §5.6 tables): C_OpenSession, C_CloseSession, C_CloseAllSessions, C_GetSessionInfo,
// C_Login, C_Logout, C_InitPIN, C_SetPIN. Login state is per token per application: every
// session of the application shares it.
#include "harness.hpp"

namespace conf {
namespace {

using Session = P11Test;

CK_STATE state(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE s) {
    CK_SESSION_INFO info{};
    EXPECT_RV(CKR_OK, f->C_GetSessionInfo(s, &info));
    return info.state;
}

TEST_F(Session, OpenWithoutSerialFlag) {
    CK_SESSION_HANDLE s = 0;
    EXPECT_RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED, f->C_OpenSession(slot_, 0, nullptr, nullptr, &s));
}

TEST_F(Session, OpenInvalidSlotAndNullHandle) {
    CK_SESSION_HANDLE s = 0;
    EXPECT_RV(CKR_SLOT_ID_INVALID, f->C_OpenSession(0x7FFFFFF0, CKF_SERIAL_SESSION, nullptr, nullptr, &s));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, nullptr));
}

TEST_F(Session, InfoOfPublicSessions) {
    const CK_SESSION_HANDLE ro = openSession(false), rw = openSession(true);
    EXPECT_NE(ro, rw);
    EXPECT_NE(ro, CK_INVALID_HANDLE);
    CK_SESSION_INFO info{};
    ASSERT_RV(CKR_OK, f->C_GetSessionInfo(ro, &info));
    EXPECT_EQ(info.slotID, slot_);
    EXPECT_EQ(info.state, CKS_RO_PUBLIC_SESSION);
    EXPECT_EQ(info.flags, CKF_SERIAL_SESSION);
    ASSERT_RV(CKR_OK, f->C_GetSessionInfo(rw, &info));
    EXPECT_EQ(info.state, CKS_RW_PUBLIC_SESSION);
    EXPECT_EQ(info.flags, CKF_SERIAL_SESSION | CKF_RW_SESSION);
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetSessionInfo(ro, nullptr));
}

TEST_F(Session, UserLoginChangesEverySession) {
    const CK_SESSION_HANDLE ro = openSession(false), rw = openSession(true);
    loginUser(ro);
    EXPECT_EQ(state(f, ro), CKS_RO_USER_FUNCTIONS);
    EXPECT_EQ(state(f, rw), CKS_RW_USER_FUNCTIONS);
    // A session opened while logged in starts in the user state (v2.40 §5.6 "session states").
    const CK_SESSION_HANDLE later = openSession(false);
    EXPECT_EQ(state(f, later), CKS_RO_USER_FUNCTIONS);
    EXPECT_RV(CKR_OK, f->C_Logout(rw));
    EXPECT_EQ(state(f, ro), CKS_RO_PUBLIC_SESSION);
    EXPECT_EQ(state(f, rw), CKS_RW_PUBLIC_SESSION);
}

TEST_F(Session, UserAlreadyLoggedIn) {
    const CK_SESSION_HANDLE a = openSession(false), b = openSession(false);
    loginUser(a);
    EXPECT_RV(CKR_USER_ALREADY_LOGGED_IN, login(a, CKU_USER, profile().userPin));
    EXPECT_RV(CKR_USER_ALREADY_LOGGED_IN, login(b, CKU_USER, profile().userPin));
}

TEST_F(Session, LogoutWhenNotLoggedIn) {
    const CK_SESSION_HANDLE s = openSession(false);
    EXPECT_RV(CKR_USER_NOT_LOGGED_IN, f->C_Logout(s));
}

TEST_F(Session, WrongPinThenRightPin) {
    const CK_SESSION_HANDLE s = openSession(false);
    EXPECT_RV(CKR_PIN_INCORRECT, login(s, CKU_USER, profile().userPin == "0000" ? "1111" : "0000"));
    EXPECT_EQ(state(f, s), CKS_RO_PUBLIC_SESSION);
    loginUser(s);  // also restores the retry counter of a card
    const CK_TOKEN_INFO t = tokenInfo();
    EXPECT_FALSE(t.flags & CKF_USER_PIN_COUNT_LOW) << "a good PIN resets the counter";
}

TEST_F(Session, PinOutsideTokenLimitsIsIncorrect) {
    // C_GetTokenInfo states the PIN lengths the token takes; a PIN outside them is not the PIN.
    // v2.40 §5.6 C_Login has no CKR_PIN_LEN_RANGE among its return values (C_InitPIN and
    // C_SetPIN have, for the new PIN): CKR_PIN_INCORRECT, and a card spends no try on it.
    const CK_TOKEN_INFO t = tokenInfo();
    ASSERT_LE(t.ulMinPinLen, t.ulMaxPinLen);
    const CK_SESSION_HANDLE s = openSession(false);
    if (t.ulMaxPinLen < 4096) {
        EXPECT_RV(CKR_PIN_INCORRECT, login(s, CKU_USER, std::string(t.ulMaxPinLen + 1, '1'))) << "ulMaxPinLen + 1";
    }
    if (t.ulMinPinLen > 1) {
        EXPECT_RV(CKR_PIN_INCORRECT, login(s, CKU_USER, std::string(t.ulMinPinLen - 1, '1'))) << "ulMinPinLen - 1";
    }
    EXPECT_EQ(state(f, s), CKS_RO_PUBLIC_SESSION);
    loginUser(s);
}

TEST_F(Session, InvalidUserType) {
    const CK_SESSION_HANDLE s = openSession(true);
    EXPECT_RV(CKR_USER_TYPE_INVALID, login(s, 0x4242, profile().userPin));
}

TEST_F(Session, LoginNullPinWithLength) {
    const CK_SESSION_HANDLE s = openSession(false);
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_Login(s, CKU_USER, nullptr, 4));
}

TEST_F(Session, SoLoginInReadOnlySession) {
    // v2.40 §5.6 C_Login: "C_Login ... CKR_SESSION_READ_ONLY_EXISTS" when the application has a
    // R/O session open, "then it cannot log the SO in"; the SO PIN is not needed to see that.
    const CK_SESSION_HANDLE ro = openSession(false);
    EXPECT_RV(CKR_SESSION_READ_ONLY_EXISTS, login(ro, CKU_SO, profile().soPin.empty() ? "00000000" : profile().soPin));
}

TEST_F(Session, SoLoginWhileReadOnlySessionExists) {
    const CK_SESSION_HANDLE rw = openSession(true);
    openSession(false);
    EXPECT_RV(CKR_SESSION_READ_ONLY_EXISTS, login(rw, CKU_SO, profile().soPin.empty() ? "00000000" : profile().soPin));
}

TEST_F(Session, SoLoginWhileUserLoggedIn) {
    const CK_SESSION_HANDLE rw = openSession(true);
    loginUser(rw);
    EXPECT_RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
              login(rw, CKU_SO, profile().soPin.empty() ? "00000000" : profile().soPin));
}

TEST_F(Session, SoSessionStates) {
    requireSo();
    const CK_SESSION_HANDLE rw = openSession(true);
    ASSERT_RV(CKR_OK, login(rw, CKU_SO, profile().soPin));
    EXPECT_EQ(state(f, rw), CKS_RW_SO_FUNCTIONS);
    EXPECT_RV(CKR_USER_ALREADY_LOGGED_IN, login(rw, CKU_SO, profile().soPin));
    EXPECT_RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN, login(rw, CKU_USER, profile().userPin));
    // v2.40 §5.6 C_OpenSession: no R/O session while the SO is logged in.
    CK_SESSION_HANDLE ro = 0;
    EXPECT_RV(CKR_SESSION_READ_WRITE_SO_EXISTS, f->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &ro));
    EXPECT_RV(CKR_OK, f->C_Logout(rw));
    EXPECT_EQ(state(f, rw), CKS_RW_PUBLIC_SESSION);
}

TEST_F(Session, SoWrongPin) {
    requireSo();
    const CK_SESSION_HANDLE rw = openSession(true);
    EXPECT_RV(CKR_PIN_INCORRECT, login(rw, CKU_SO, "wrong-so"));
    ASSERT_RV(CKR_OK, login(rw, CKU_SO, profile().soPin));
}

TEST_F(Session, CloseTwice) {
    const CK_SESSION_HANDLE s = openSession(false);
    EXPECT_RV(CKR_OK, f->C_CloseSession(s));
    EXPECT_RV_IN(f->C_CloseSession(s), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
    CK_SESSION_INFO info{};
    EXPECT_RV_IN(f->C_GetSessionInfo(s, &info), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
}

TEST_F(Session, ClosingLastSessionLogsOut) {
    CK_SESSION_HANDLE s = openSession(false);
    loginUser(s);
    EXPECT_RV(CKR_OK, f->C_CloseSession(s));
    s = openSession(false);
    EXPECT_EQ(state(f, s), CKS_RO_PUBLIC_SESSION) << "v2.40 §5.6 C_CloseSession: closing the last session logs the user out";
}

TEST_F(Session, CloseAllSessions) {
    const CK_SESSION_HANDLE a = openSession(false), b = openSession(true);
    loginUser(a);
    EXPECT_RV(CKR_OK, f->C_CloseAllSessions(slot_));
    CK_SESSION_INFO info{};
    EXPECT_RV_IN(f->C_GetSessionInfo(a, &info), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
    EXPECT_RV_IN(f->C_GetSessionInfo(b, &info), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
    const CK_SESSION_HANDLE c = openSession(false);
    EXPECT_EQ(state(f, c), CKS_RO_PUBLIC_SESSION);
    EXPECT_RV(CKR_SLOT_ID_INVALID, f->C_CloseAllSessions(0x7FFFFFF0));
}

TEST_F(Session, InitPinNeedsSo) {
    const CK_SESSION_HANDLE rw = openSession(true);
    std::string pin = profile().userPin;
    EXPECT_RV(CKR_USER_NOT_LOGGED_IN, f->C_InitPIN(rw, reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data()), pin.size()));
    loginUser(rw);
    EXPECT_RV(CKR_USER_NOT_LOGGED_IN, f->C_InitPIN(rw, reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data()), pin.size()));
}

TEST_F(Session, SetPinInReadOnlySession) {
    const CK_SESSION_HANDLE ro = openSession(false);
    std::string pin = profile().userPin;
    auto* p = reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data());
    EXPECT_RV(CKR_SESSION_READ_ONLY, f->C_SetPIN(ro, p, pin.size(), p, pin.size()));
}

TEST_F(Session, SetPinWrongOldPin) {
    const CK_SESSION_HANDLE rw = openSession(true);
    std::string wrong = profile().userPin == "0000" ? "1111" : "0000";
    std::string pin = profile().userPin;
    EXPECT_RV(CKR_PIN_INCORRECT, f->C_SetPIN(rw, reinterpret_cast<CK_UTF8CHAR_PTR>(wrong.data()), wrong.size(),
                                             reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data()), pin.size()));
    loginUser(rw);  // restores the retry counter
}

TEST_F(Session, SetPinAndBack) {
    const CK_SESSION_HANDLE rw = openSession(true);
    std::string pin = profile().userPin;
    std::string other = pin == "2580" ? "2581" : "2580";
    auto* p = reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data());
    auto* o = reinterpret_cast<CK_UTF8CHAR_PTR>(other.data());
    ASSERT_RV(CKR_OK, f->C_SetPIN(rw, p, pin.size(), o, other.size()));
    EXPECT_RV(CKR_PIN_INCORRECT, login(rw, CKU_USER, pin));
    EXPECT_RV(CKR_OK, login(rw, CKU_USER, other));
    // In the "R/W User Functions" state C_SetPIN changes the user's PIN too.
    ASSERT_RV(CKR_OK, f->C_SetPIN(rw, o, other.size(), p, pin.size()));
    EXPECT_RV(CKR_OK, f->C_Logout(rw));
    EXPECT_RV(CKR_OK, login(rw, CKU_USER, pin));
}

}  // namespace
}  // namespace conf
