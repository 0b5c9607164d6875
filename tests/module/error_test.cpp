// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstdint>

#include "card/card_error.hpp"
#include "core/error.hpp"
#include "core/return_values.hpp"
#include "unblock/service_client.hpp"

using namespace ias;
using namespace ias::p11;

namespace {

CK_RV cardRefusal(card::CardErrorKind kind, std::uint16_t sw, const char* function) {
    return guarded(function, [&]() -> CK_RV { throw card::CardError(kind, apdu::StatusWord(sw), "operation"); });
}

CK_RV serviceRefusal(unblock::UnblockErrorKind kind, const char* function) {
    return guarded(function, [&]() -> CK_RV { throw unblock::UnblockError(kind, "service"); });
}

}  // namespace

// A card refusal keeps its meaning where the function may return it (return_values.hpp) ...
TEST(ErrorMapping, CardRefusalsKeepTheirMeaningWhereTheFunctionMayReturnIt) {
    using K = card::CardErrorKind;
    EXPECT_EQ(cardRefusal(K::PinIncorrect, 0x63C2, "C_Login"), CKR_PIN_INCORRECT);
    EXPECT_EQ(cardRefusal(K::PinBlocked, 0x6983, "C_LoginUser"), CKR_PIN_LOCKED);
    EXPECT_EQ(cardRefusal(K::PinIncorrect, 0x63C1, "C_SetPIN"), CKR_PIN_INCORRECT);
    EXPECT_EQ(cardRefusal(K::SecurityNotSatisfied, 0x6982, "C_Sign"), CKR_USER_NOT_LOGGED_IN);
    EXPECT_EQ(cardRefusal(K::ConditionsNotSatisfied, 0x6985, "C_Sign"), CKR_FUNCTION_REJECTED);
    EXPECT_EQ(cardRefusal(K::WrongData, 0x6A80, "C_Sign"), CKR_DATA_INVALID);
    EXPECT_EQ(cardRefusal(K::WrongLength, 0x6700, "C_SignUpdate"), CKR_DATA_LEN_RANGE);
    // The decryption functions' names for the same answers.
    EXPECT_EQ(cardRefusal(K::WrongData, 0x6A80, "C_Decrypt"), CKR_ENCRYPTED_DATA_INVALID);
    EXPECT_EQ(cardRefusal(K::WrongLength, 0x6700, "C_DecryptFinal"), CKR_ENCRYPTED_DATA_LEN_RANGE);
}

// ... and is a device error where it may not: a 6985 to a VERIFY (found by the p11_api fuzzer),
// wrong data at C_SignFinal (not in its v2.40 list), anything in a function the table omits.
TEST(ErrorMapping, CardRefusalsTheFunctionMayNotReturnAreDeviceErrors) {
    using K = card::CardErrorKind;
    EXPECT_EQ(cardRefusal(K::ConditionsNotSatisfied, 0x6985, "C_Login"), CKR_DEVICE_ERROR);
    EXPECT_EQ(cardRefusal(K::WrongData, 0x6A80, "C_SignFinal"), CKR_DEVICE_ERROR);
    EXPECT_EQ(cardRefusal(K::PinIncorrect, 0x63C2, "C_InitPIN"), CKR_DEVICE_ERROR);
    EXPECT_EQ(cardRefusal(K::SecurityNotSatisfied, 0x6982, "C_GetAttributeValue"), CKR_DEVICE_ERROR);
    EXPECT_EQ(cardRefusal(K::PinIncorrect, 0x63C2, "C_NotInTheTable"), CKR_DEVICE_ERROR);
    EXPECT_EQ(cardRefusal(K::Unexpected, 0x6F00, "C_Sign"), CKR_DEVICE_ERROR);
}

TEST(ErrorMapping, ServiceRefusalsFallBackToFunctionFailed) {
    using K = unblock::UnblockErrorKind;
    EXPECT_EQ(serviceRefusal(K::WrongSecret, "C_Login"), CKR_PIN_INCORRECT);
    EXPECT_EQ(serviceRefusal(K::Refused, "C_Login"), CKR_PIN_LOCKED);
    EXPECT_EQ(serviceRefusal(K::BadTicket, "C_InitPIN"), CKR_USER_NOT_LOGGED_IN);
    EXPECT_EQ(serviceRefusal(K::Unreachable, "C_Login"), CKR_FUNCTION_FAILED);
    EXPECT_EQ(serviceRefusal(K::WrongSecret, "C_InitPIN"), CKR_FUNCTION_FAILED);
}

// Every listed set has the universal values, and every function's set is found by its name.
TEST(ReturnValues, TableIsConsistent) {
    for (const rv::Named& n : rv::kByName) {
        ASSERT_NE(n.allowed, nullptr) << n.function;
        EXPECT_EQ(rv::allowedFor(n.function), n.allowed) << n.function;
        EXPECT_TRUE(n.allowed->has(CKR_OK)) << n.function;
        EXPECT_TRUE(n.allowed->has(CKR_FUNCTION_FAILED)) << n.function;
        EXPECT_FALSE(n.allowed->has(CKR_GENERAL_ERROR)) << n.function;
    }
    EXPECT_EQ(rv::allowedFor("C_Login"), rv::allowedFor("C_LoginUser"));
    EXPECT_EQ(rv::allowedFor("C_Nothing"), nullptr);
    static_assert(rv::allowedFor("C_Sign") == &rv::kSign);
}
