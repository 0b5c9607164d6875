// SPDX-License-Identifier: Apache-2.0
// Issue 9, security checks through the PKCS#11 interface against the real test world and
// ias-unblockd: empty and NULL PINs/secrets never authenticate and reach neither the card
// (simulator APDU log) nor the service (audit log); PIN and secret lengths at and around every
// limit; non-ASCII and embedded NUL input. ctest LABELS world.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "module_loader.hpp"

namespace {

const std::string kRepo = IAS_SOURCE_DIR;
const std::string kFixture = kRepo + "/tests/world/unblock_fixture.sh";

std::string run(const std::string& command) {
    std::string out;
    std::unique_ptr<FILE, decltype(&pclose)> p(popen(command.c_str(), "r"), &pclose);
    if (!p) return out;
    std::array<char, 256> buf{};
    while (fgets(buf.data(), buf.size(), p.get())) out += buf.data();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

std::string envOr(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v ? v : fallback;
}

long lines(const std::string& path) {
    std::ifstream in(path);
    long n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    return n;
}

class ModuleSecurity : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ias::world_test::loadModule(lib_, p11_);
        if (HasFatalFailure()) return;
    }
    void SetUp() override {
        ASSERT_EQ(std::system((kFixture + " card 0010000000123456 >/dev/null").c_str()), 0);
        const std::string conf = ::testing::TempDir() + "/ias-security.conf";
        std::ofstream(conf) << "reader_filter = Virtual PCD 00 00\n" << run(kFixture + " module-conf") << "\n";
        setenv("IAS_PKCS11_CONF", conf.c_str(), 1);
        CK_C_INITIALIZE_ARGS args{};
        args.flags = CKF_OS_LOCKING_OK;
        ASSERT_EQ(p11_->C_Initialize(&args), CKR_OK);
        CK_ULONG n = 1;
        ASSERT_EQ(p11_->C_GetSlotList(CK_TRUE, &slot_, &n), CKR_OK);
        ASSERT_EQ(n, 1u);
        ASSERT_EQ(p11_->C_OpenSession(slot_, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session_), CKR_OK);
    }
    void TearDown() override { p11_->C_Finalize(nullptr); }

    CK_RV login(CK_USER_TYPE who, const std::string& pin) {
        return p11_->C_Login(session_, who, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.data())), pin.size());
    }
    CK_TOKEN_INFO tokenInfo() {
        CK_TOKEN_INFO info{};
        EXPECT_EQ(p11_->C_GetTokenInfo(slot_, &info), CKR_OK);
        return info;
    }

    const std::string apduLog_ = envOr("IAS_WORLD_DIR", kRepo + "/test-world") + "/apdu.log";
    const std::string auditLog_ = envOr("IAS_UNBLOCK_WORLD_DIR", kRepo + "/test-world/unblockd") + "/audit.log";
    static inline void* lib_ = nullptr;
    static inline CK_FUNCTION_LIST* p11_ = nullptr;
    CK_SLOT_ID slot_ = 0;
    CK_SESSION_HANDLE session_ = 0;
};

TEST_F(ModuleSecurity, EmptyOrNullPinAndSecretNeverAuthenticateAndReachNothing) {
    const long apdus = lines(apduLog_);
    const long audit = lines(auditLog_);
    EXPECT_EQ(login(CKU_USER, ""), CKR_PIN_INCORRECT);  // CKR_PIN_LEN_RANGE is no C_Login value
    EXPECT_EQ(p11_->C_Login(session_, CKU_USER, nullptr, 0), CKR_ARGUMENTS_BAD);
    EXPECT_EQ(login(CKU_SO, ""), CKR_PIN_INCORRECT);
    EXPECT_EQ(p11_->C_Login(session_, CKU_SO, nullptr, 0), CKR_ARGUMENTS_BAD);
    EXPECT_EQ(login(CKU_CONTEXT_SPECIFIC, ""), CKR_OPERATION_NOT_INITIALIZED);  // no operation waits for it
    // C_SetPIN with an empty old PIN or secret, C_InitPIN without an SO login.
    CK_UTF8CHAR newPin[] = "2580";
    EXPECT_EQ(p11_->C_SetPIN(session_, newPin, 0, newPin, 4), CKR_PIN_INCORRECT);  // an empty old PIN is not it
    EXPECT_EQ(p11_->C_InitPIN(session_, newPin, 0), CKR_USER_NOT_LOGGED_IN);
    EXPECT_EQ(lines(apduLog_), apdus) << "an empty PIN reached the card";
    EXPECT_EQ(lines(auditLog_), audit) << "an empty secret reached the service";
    CK_SESSION_INFO info{};
    ASSERT_EQ(p11_->C_GetSessionInfo(session_, &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RW_PUBLIC_SESSION);
    EXPECT_FALSE(tokenInfo().flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_LOCKED));
}

TEST_F(ModuleSecurity, UserPinLengthsNonAsciiAndNulNeverAuthenticate) {
    const CK_TOKEN_INFO info = tokenInfo();
    // The card's own limits (its AODF: 4 to 8), not the module's.
    ASSERT_EQ(info.ulMinPinLen, 4u);
    ASSERT_EQ(info.ulMaxPinLen, 8u);
    // Out of the card's limits: not the PIN (CKR_PIN_LEN_RANGE is not among C_Login's return
    // values, v2.40 §5.6), refused locally (no APDU), and no try spent.
    const std::string outside[] = {std::string(info.ulMinPinLen - 1, '4'), std::string(info.ulMaxPinLen + 1, '4'),
                                   "471147114711", std::string(255, '4'), std::string(256, '4'),
                                   std::string(65536, '4')};
    for (const std::string& pin : outside) {
        if (pin.empty()) continue;
        const long apdus = lines(apduLog_);
        EXPECT_EQ(login(CKU_USER, pin), CKR_PIN_INCORRECT) << pin.size();
        EXPECT_EQ(lines(apduLog_), apdus) << pin.size() << " digits reached the card";
        EXPECT_FALSE(tokenInfo().flags & CKF_USER_PIN_COUNT_LOW) << pin.size() << " digits spent a try";
    }
    // The same for C_SetPIN's old PIN; a new PIN outside the policy stays CKR_PIN_LEN_RANGE.
    const std::string tooLong = "471147114711";
    const std::string good = "2580";
    const auto setPin = [&](const std::string& o, const std::string& n) {
        return p11_->C_SetPIN(session_, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(o.data())), o.size(),
                              reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(n.data())), n.size());
    };
    const long apdus = lines(apduLog_);
    EXPECT_EQ(setPin(tooLong, good), CKR_PIN_INCORRECT);
    EXPECT_EQ(setPin("4711", tooLong), CKR_PIN_LEN_RANGE);
    EXPECT_EQ(lines(apduLog_), apdus) << "a PIN outside the limits reached the card";
    // Within the limits but not the PIN: the card says no, and 4711 still works (the tries
    // counter restarts), also after input that a C string would cut at the NUL.
    const std::string wrong[] = {std::string(info.ulMinPinLen, '0'), std::string(info.ulMaxPinLen, '9'),
                                 std::string("4711\0", 5), std::string("47\0" "11", 5), std::string("\0" "4711", 5),
                                 std::string("\xC3\xA9") + "711", "4711 "};
    for (const std::string& pin : wrong) {
        const CK_RV rv = login(CKU_USER, pin);
        EXPECT_EQ(rv, CKR_PIN_INCORRECT) << std::hex << rv << " for a " << std::dec << pin.size() << "-byte input";
        ASSERT_EQ(login(CKU_USER, "4711"), CKR_OK);
        ASSERT_EQ(p11_->C_Logout(session_), CKR_OK);
    }
    EXPECT_FALSE(tokenInfo().flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_LOCKED));
}

TEST_F(ModuleSecurity, SecretLengthsNonAsciiAndNulAreRefusedLocally) {
    const std::string secret = run(kFixture + " secret 0010000000123456");
    ASSERT_EQ(secret.size(), 22u);
    const long audit = lines(auditLog_);
    const long apdus = lines(apduLog_);
    struct Case {
        std::string input;
        CK_RV rv;
    };
    const Case cases[] = {
        {secret.substr(0, 21), CKR_PIN_LEN_RANGE},          // one symbol short
        {secret + "0", CKR_PIN_LEN_RANGE},                   // one symbol long
        {std::string(255, 'A'), CKR_PIN_LEN_RANGE},
        {std::string(256, 'A'), CKR_PIN_LEN_RANGE},
        {std::string(65536, 'A'), CKR_PIN_LEN_RANGE},
        {secret + std::string("\0", 1), CKR_PIN_INVALID},   // the secret and a NUL
        {std::string("\0", 1) + secret, CKR_PIN_INVALID},
        {secret.substr(0, 10) + std::string("\0", 1) + secret.substr(11), CKR_PIN_INVALID},
        {secret.substr(0, 10) + "\xC3\xA9" + secret.substr(11), CKR_PIN_INVALID},  // é for one symbol
    };
    for (const Case& c : cases) {
        const CK_RV rv = login(CKU_SO, c.input);
        EXPECT_NE(rv, CKR_OK) << c.input.size();
        EXPECT_TRUE(rv == c.rv || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE)
            << std::hex << rv << " for a " << std::dec << c.input.size() << "-byte input";
    }
    EXPECT_EQ(lines(auditLog_), audit) << "a malformed secret reached the service";
    EXPECT_EQ(lines(apduLog_), apdus) << "a malformed secret reached the card";
    // Nothing was spent: the secret itself is still good.
    EXPECT_EQ(login(CKU_SO, secret), CKR_OK);
}

}  // namespace
