// SPDX-License-Identifier: Apache-2.0
// Chapter "Slot and token management" (PKCS#11 v2.40 §5.5, types §3.2): C_GetSlotList,
// C_GetSlotInfo, C_GetTokenInfo, C_WaitForSlotEvent, C_GetMechanismList, C_GetMechanismInfo,
// C_InitToken. Text fields are blank padded, not NUL terminated (v2.40 §3.2).
#include "harness.hpp"

namespace conf {
namespace {

using SlotToken = P11Test;

constexpr CK_SLOT_ID kBadSlot = 0x7FFFFFF0;
constexpr CK_MECHANISM_TYPE kBadMechanism = CKM_VENDOR_DEFINED | 0x4242;

TEST_F(SlotToken, SlotListLengthConvention) {
    CK_ULONG all = 0, present = 0;
    ASSERT_RV(CKR_OK, f->C_GetSlotList(CK_FALSE, nullptr, &all));
    ASSERT_RV(CKR_OK, f->C_GetSlotList(CK_TRUE, nullptr, &present));
    EXPECT_GE(all, present);
    ASSERT_GE(present, 1u);
    std::vector<CK_SLOT_ID> slots(present);
    CK_ULONG small = 0;
    EXPECT_RV(CKR_BUFFER_TOO_SMALL, f->C_GetSlotList(CK_TRUE, slots.data(), &small));
    EXPECT_EQ(small, present) << "v2.40 §5.2: a short buffer returns CKR_BUFFER_TOO_SMALL and the needed count";
    ASSERT_RV(CKR_OK, f->C_GetSlotList(CK_TRUE, slots.data(), &present));
    EXPECT_NE(std::find(slots.begin(), slots.end(), slot_), slots.end());
}

TEST_F(SlotToken, SlotListNullCountIsArgumentsBad) {
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetSlotList(CK_FALSE, nullptr, nullptr));
}

TEST_F(SlotToken, SlotInfoFields) {
    CK_SLOT_INFO info{};
    ASSERT_RV(CKR_OK, f->C_GetSlotInfo(slot_, &info));
    EXPECT_TRUE(blankPadded(info.slotDescription, sizeof info.slotDescription));
    EXPECT_TRUE(blankPadded(info.manufacturerID, sizeof info.manufacturerID));
    EXPECT_TRUE(info.flags & CKF_TOKEN_PRESENT);
    EXPECT_EQ(info.flags & ~(CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE | CKF_HW_SLOT), 0u) << "undefined slot flags";
}

TEST_F(SlotToken, SlotInfoInvalidSlot) {
    CK_SLOT_INFO info{};
    EXPECT_RV(CKR_SLOT_ID_INVALID, f->C_GetSlotInfo(kBadSlot, &info));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetSlotInfo(slot_, nullptr));
}

TEST_F(SlotToken, TokenInfoFields) {
    const CK_TOKEN_INFO t = tokenInfo();
    EXPECT_TRUE(blankPadded(t.label, sizeof t.label));
    EXPECT_TRUE(blankPadded(t.manufacturerID, sizeof t.manufacturerID));
    EXPECT_TRUE(blankPadded(t.model, sizeof t.model));
    EXPECT_TRUE(blankPadded(t.serialNumber, sizeof t.serialNumber));
    EXPECT_FALSE(trimmed(t.serialNumber, sizeof t.serialNumber).empty());
    EXPECT_TRUE(t.flags & CKF_TOKEN_INITIALIZED);
    EXPECT_TRUE(t.flags & CKF_USER_PIN_INITIALIZED);
    EXPECT_LE(t.ulMinPinLen, t.ulMaxPinLen);
    EXPECT_GE(profile().userPin.size(), t.ulMinPinLen);
    EXPECT_LE(profile().userPin.size(), t.ulMaxPinLen);
    if (t.flags & CKF_CLOCK_ON_TOKEN) {
        for (CK_CHAR c : t.utcTime) EXPECT_TRUE(c >= '0' && c <= '9') << "utcTime is YYYYMMDDhhmmss00";
    }
    if (!profile().objectCreation) {
        EXPECT_TRUE(t.flags & CKF_WRITE_PROTECTED) << "a token that refuses object creation should say so";
    }
    // CKF_USER_PIN_FINAL_TRY and CKF_USER_PIN_LOCKED imply a low count (v2.40 §3.2 table 11).
    if (t.flags & CKF_USER_PIN_FINAL_TRY) {
        EXPECT_TRUE(t.flags & CKF_USER_PIN_COUNT_LOW);
    }
    EXPECT_FALSE(t.flags & CKF_USER_PIN_LOCKED) << "the test token's PIN must not be locked";
}

TEST_F(SlotToken, TokenInfoSessionCounts) {
    const CK_SESSION_HANDLE ro = openSession(false);
    const CK_SESSION_HANDLE rw = openSession(true);
    CK_TOKEN_INFO t = tokenInfo();
    if (t.ulSessionCount != CK_UNAVAILABLE_INFORMATION) {
        EXPECT_EQ(t.ulSessionCount, 2u);
    }
    if (t.ulRwSessionCount != CK_UNAVAILABLE_INFORMATION) {
        EXPECT_EQ(t.ulRwSessionCount, 1u);
    }
    EXPECT_RV(CKR_OK, f->C_CloseSession(rw));
    t = tokenInfo();
    if (t.ulRwSessionCount != CK_UNAVAILABLE_INFORMATION) {
        EXPECT_EQ(t.ulRwSessionCount, 0u);
    }
    EXPECT_RV(CKR_OK, f->C_CloseSession(ro));
}

TEST_F(SlotToken, TokenInfoInvalidSlot) {
    CK_TOKEN_INFO info{};
    EXPECT_RV(CKR_SLOT_ID_INVALID, f->C_GetTokenInfo(kBadSlot, &info));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetTokenInfo(slot_, nullptr));
}

TEST_F(SlotToken, MechanismListLengthConvention) {
    CK_ULONG n = 0;
    ASSERT_RV(CKR_OK, f->C_GetMechanismList(slot_, nullptr, &n));
    ASSERT_GE(n, 1u);
    std::vector<CK_MECHANISM_TYPE> list(n);
    CK_ULONG small = 0;
    EXPECT_RV(CKR_BUFFER_TOO_SMALL, f->C_GetMechanismList(slot_, list.data(), &small));
    EXPECT_EQ(small, n);
    EXPECT_RV(CKR_OK, f->C_GetMechanismList(slot_, list.data(), &n));
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetMechanismList(slot_, nullptr, nullptr));
    EXPECT_RV(CKR_SLOT_ID_INVALID, f->C_GetMechanismList(kBadSlot, nullptr, &n));
}

TEST_F(SlotToken, MechanismInfoConsistent) {
    for (CK_MECHANISM_TYPE m : mechanisms()) {
        SCOPED_TRACE(mechanismName(m));
        CK_MECHANISM_INFO info{};
        ASSERT_RV(CKR_OK, f->C_GetMechanismInfo(slot_, m, &info));
        EXPECT_LE(info.ulMinKeySize, info.ulMaxKeySize);
        const CK_FLAGS functions = CKF_ENCRYPT | CKF_DECRYPT | CKF_DIGEST | CKF_SIGN | CKF_SIGN_RECOVER | CKF_VERIFY |
                                   CKF_VERIFY_RECOVER | CKF_GENERATE | CKF_GENERATE_KEY_PAIR | CKF_WRAP | CKF_UNWRAP |
                                   CKF_DERIVE;
        EXPECT_NE(info.flags & functions, 0u) << "a listed mechanism supports at least one function";
        if (m == CKM_RSA_PKCS || m == CKM_SHA256_RSA_PKCS) {
            EXPECT_GE(info.ulMaxKeySize, 1024u) << "RSA key sizes are in bits (v2.40 §3.5 CK_MECHANISM_INFO)";
        }
    }
}

TEST_F(SlotToken, MechanismInfoInvalid) {
    CK_MECHANISM_INFO info{};
    EXPECT_RV(CKR_MECHANISM_INVALID, f->C_GetMechanismInfo(slot_, kBadMechanism, &info));
    EXPECT_RV(CKR_SLOT_ID_INVALID, f->C_GetMechanismInfo(kBadSlot, CKM_RSA_PKCS, &info));
    const auto list = mechanisms();
    ASSERT_FALSE(list.empty());
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetMechanismInfo(slot_, list.front(), nullptr));
}

TEST_F(SlotToken, WaitForSlotEventDontBlock) {
    // Without pending events: CKR_NO_EVENT (v2.40 §5.5); a module may not support the function.
    // An event is reported once: what the module found at start-up may count as at most one
    // event per slot, then nothing happens and every call answers CKR_NO_EVENT.
    CK_ULONG slots = 0;
    ASSERT_RV(CKR_OK, f->C_GetSlotList(CK_FALSE, nullptr, &slots));
    CK_SLOT_ID s = 0;
    const CK_RV first = f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &s, nullptr);
    EXPECT_RV_IN(first, CKR_OK, CKR_NO_EVENT, CKR_FUNCTION_NOT_SUPPORTED);
    if (first == CKR_FUNCTION_NOT_SUPPORTED) return;
    CK_RV rv = first;
    for (CK_ULONG i = 1; i < slots && rv == CKR_OK; ++i) rv = f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &s, nullptr);
    for (int i = 0; i < 3; ++i) EXPECT_RV(CKR_NO_EVENT, f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &s, nullptr)) << "call " << i;
}

TEST_F(SlotToken, InitTokenWithSessionOpen) {
    // v2.40 §5.5 C_InitToken: "If there are sessions open, C_InitToken fails with CKR_SESSION_EXISTS".
    openSession(false);
    std::string so = "wrong-so-pin";
    CK_UTF8CHAR label[32];
    std::fill(std::begin(label), std::end(label), ' ');
    const CK_RV rv = f->C_InitToken(slot_, reinterpret_cast<CK_UTF8CHAR_PTR>(so.data()), so.size(), label);
    if (profile().tokenInit) {
        EXPECT_RV(CKR_SESSION_EXISTS, rv);
    } else {
        EXPECT_RV_IN(rv, CKR_SESSION_EXISTS, CKR_FUNCTION_NOT_SUPPORTED, CKR_TOKEN_WRITE_PROTECTED);
    }
}

TEST_F(SlotToken, InitTokenWrongSoPin) {
    if (!profile().tokenInit) GTEST_SKIP() << "profile " << profile().name << ": no token initialisation";
    std::string so = "wrong-so-pin";
    CK_UTF8CHAR label[32];
    std::fill(std::begin(label), std::end(label), ' ');
    EXPECT_RV(CKR_PIN_INCORRECT, f->C_InitToken(slot_, reinterpret_cast<CK_UTF8CHAR_PTR>(so.data()), so.size(), label));
    EXPECT_RV(CKR_SLOT_ID_INVALID,
              f->C_InitToken(kBadSlot, reinterpret_cast<CK_UTF8CHAR_PTR>(so.data()), so.size(), label));
}

}  // namespace
}  // namespace conf
