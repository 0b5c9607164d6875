// SPDX-License-Identifier: Apache-2.0
// The conformance harness: loads one PKCS#11 module by path (dlopen + C_GetInterface or
// C_GetFunctionList), describes what its token can do (Profile), and gives the tests a
// fixture with an initialised library and the slot under test.
//
// Environment:
//   IAS_P11_MODULE        path of the module (required)
//   IAS_P11_PROFILE       softhsm | ias | path of a profile file (key = value lines)
//   IAS_P11_PIN           user PIN (overrides the profile)
//   IAS_P11_SO_PIN        SO PIN; empty: the SO tests are skipped (a one-time secret on ias)
//   IAS_P11_TOKEN_LABEL   the token to test (first slot whose token has this label)
//   IAS_P11_SLOT_INDEX    else: index in C_GetSlotList(CK_TRUE) (default 0)
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ias/p11/pkcs11.hpp"

namespace conf {

using Bytes = std::vector<std::uint8_t>;

struct Profile {
    std::string name;
    std::string userPin;
    std::string soPin;            // empty: no SO tests
    std::string tokenLabel;       // empty: slot by index
    unsigned long slotIndex = 0;
    bool tokenInit = true;        // C_InitToken may be exercised (with a wrong SO PIN only)
    bool objectCreation = true;   // session objects can be created
    unsigned threads = 8;         // threads in the concurrency tests
    // C_CloseAllSessions may race other threads' session calls. SoftHSMv2 2.6.1 crashes there
    // now and then (its session manager frees sessions still in use): NOTES.md.
    bool concurrentCloseAll = true;
};

const Profile& profile();

// The module's 2.40 function list (never null once loaded; a test fails if it cannot load).
CK_FUNCTION_LIST* p11();
// The module's C_GetInterface / C_GetInterfaceList, or null when it does not export them.
using GetInterfaceFn = CK_RV (*)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS);
using GetInterfaceListFn = CK_RV (*)(CK_INTERFACE_PTR, CK_ULONG_PTR);
GetInterfaceFn getInterface();
GetInterfaceListFn getInterfaceList();
using GetFunctionListFn = CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR);
GetFunctionListFn getFunctionList();

std::string rvName(CK_RV rv);
std::string mechanismName(CK_MECHANISM_TYPE m);

// EXPECT_RV(CKR_OK, p11()->C_X(...)): prints return values by name.
testing::AssertionResult rvEquals(const char* expectedExpr, const char* actualExpr, CK_RV expected, CK_RV actual);
#define EXPECT_RV(expected, call) EXPECT_PRED_FORMAT2(::conf::rvEquals, expected, call)
#define ASSERT_RV(expected, call) ASSERT_PRED_FORMAT2(::conf::rvEquals, expected, call)
// One of several codes the standard allows.
testing::AssertionResult rvIn(CK_RV actual, std::initializer_list<CK_RV> allowed);
#define EXPECT_RV_IN(call, ...) EXPECT_TRUE(::conf::rvIn(call, {__VA_ARGS__}))

// Blank-padded fixed text field: no NUL, printable, trailing blanks only.
testing::AssertionResult blankPadded(const CK_UTF8CHAR* field, std::size_t size);
std::string trimmed(const CK_UTF8CHAR* field, std::size_t size);

// Fixture: C_Initialize (OS locking) before each test, C_Finalize after; slot_ is the slot
// under test. Tests that exercise C_Initialize itself use UninitialisedTest.
class P11Test : public testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    CK_SESSION_HANDLE openSession(bool readWrite = false);
    void loginUser(CK_SESSION_HANDLE s);
    void requireSo();  // GTEST_SKIP unless the profile has an SO PIN
    CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE user, const std::string& pin);
    std::vector<CK_OBJECT_HANDLE> find(CK_SESSION_HANDLE s, std::vector<CK_ATTRIBUTE> templ);
    Bytes attribute(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type);
    CK_ULONG ulongAttribute(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type);
    bool boolAttribute(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, bool fallback = false);
    std::vector<CK_MECHANISM_TYPE> mechanisms();
    bool supports(CK_MECHANISM_TYPE m, CK_FLAGS flag);
    CK_TOKEN_INFO tokenInfo();

    CK_FUNCTION_LIST* f = nullptr;
    CK_SLOT_ID slot_ = 0;
    bool initialised_ = false;
};

class UninitialisedTest : public testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;  // finalizes whatever the test left initialised
    CK_FUNCTION_LIST* f = nullptr;
};

// A key pair on the token: the private key (visible after login) and its public half
// (from a public key object or, failing that, the certificate with the same CKA_ID).
struct KeyPair {
    CK_OBJECT_HANDLE privateKey = CK_INVALID_HANDLE;
    CK_KEY_TYPE keyType = 0;
    Bytes id;
    Bytes publicKeyDer;   // SubjectPublicKeyInfo
    bool alwaysAuthenticate = false;
};

// Template helpers.
template <class T>
CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE type, T& value) {
    return {type, &value, sizeof value};
}
inline CK_ATTRIBUTE attrBytes(CK_ATTRIBUTE_TYPE type, void* p, CK_ULONG n) { return {type, p, n}; }
extern CK_BBOOL kTrue;
extern CK_BBOOL kFalse;

}  // namespace conf
