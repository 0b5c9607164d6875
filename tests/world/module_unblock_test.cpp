// SPDX-License-Identifier: Apache-2.0
// The built-in unblock through the PKCS#11 interface of ias-pkcs11.so, against the real
// PC/SC test world and a real ias-unblockd (issue 6: every refusal row of UNBLOCK.md).
// ctest LABELS world; needs scripts/test-world.sh and scripts/unblock-world.sh started.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include "module_loader.hpp"

namespace {

const std::string kRepo = IAS_SOURCE_DIR;
const std::string kFixture = kRepo + "/tests/world/unblock_fixture.sh";
constexpr const char* kSerial = "0010000000123456";
constexpr const char* kOtherSerial = "0010000000999999";

std::string run(const std::string& command) {
    std::string out;
    std::unique_ptr<FILE, decltype(&pclose)> p(popen(command.c_str(), "r"), &pclose);
    if (!p) return out;
    std::array<char, 256> buf{};
    while (fgets(buf.data(), buf.size(), p.get())) out += buf.data();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

class ModuleUnblock : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ias::world_test::loadModule(lib_, p11_);
        if (HasFatalFailure()) return;
    }

    void TearDown() override {
        if (initialised_) p11_->C_Finalize(nullptr);
    }

    // Writes the module config (our reader + the given service lines) and initialises.
    void initialise(const std::string& serviceLines) {
        const std::string conf = ::testing::TempDir() + "/ias-unblock-test.conf";
        std::ofstream(conf) << "reader_filter = Virtual PCD 00 00\n" << serviceLines << "\n";
        setenv("IAS_PKCS11_CONF", conf.c_str(), 1);
        CK_C_INITIALIZE_ARGS args{};
        args.flags = CKF_OS_LOCKING_OK;
        ASSERT_EQ(p11_->C_Initialize(&args), CKR_OK);
        initialised_ = true;
        CK_ULONG n = 1;
        ASSERT_EQ(p11_->C_GetSlotList(CK_TRUE, &slot_, &n), CKR_OK);
        ASSERT_EQ(n, 1u);
    }
    void initialiseWithService() { initialise(run(kFixture + " module-conf")); }

    static void freshLockedCard(const char* serial = kSerial) {
        ASSERT_EQ(std::system((kFixture + " card " + serial + " >/dev/null").c_str()), 0);
    }
    static std::string issueSecret(const char* serial = kSerial) { return run(kFixture + " secret " + serial); }

    CK_SESSION_HANDLE open(bool readWrite = true) {
        CK_SESSION_HANDLE s = 0;
        EXPECT_EQ(p11_->C_OpenSession(slot_, CKF_SERIAL_SESSION | (readWrite ? CKF_RW_SESSION : 0), nullptr, nullptr, &s),
                  CKR_OK);
        return s;
    }
    CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const std::string& pin) {
        return p11_->C_Login(s, who, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.data())), pin.size());
    }
    CK_RV initPin(CK_SESSION_HANDLE s, const std::string& pin) {
        return p11_->C_InitPIN(s, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.data())), pin.size());
    }
    CK_FLAGS tokenFlags() {
        CK_TOKEN_INFO info{};
        EXPECT_EQ(p11_->C_GetTokenInfo(slot_, &info), CKR_OK);
        return info.flags;
    }
    void lockToken() {
        const CK_SESSION_HANDLE s = open(false);
        for (int i = 0; i < 3; ++i) EXPECT_EQ(login(s, CKU_USER, "0000"), CKR_PIN_INCORRECT);
        EXPECT_EQ(login(s, CKU_USER, "4711"), CKR_PIN_LOCKED);
        p11_->C_CloseSession(s);
        ASSERT_TRUE(tokenFlags() & CKF_USER_PIN_LOCKED);
    }
    // A well-formed secret (valid check symbols) that is not the issued one.
    static std::string otherSecret() { return "0000-0000-0000-0000-00"; }

    static inline void* lib_ = nullptr;
    static inline CK_FUNCTION_LIST* p11_ = nullptr;
    CK_SLOT_ID slot_ = 0;
    bool initialised_ = false;
};

TEST_F(ModuleUnblock, SecretResetsALockedTokenAndTheNewPinWorksInTheSameProcess) {
    freshLockedCard();
    const std::string secret = issueSecret();
    ASSERT_EQ(secret.size(), 22u);
    initialiseWithService();
    lockToken();
    const CK_SESSION_HANDLE s = open();
    ASSERT_EQ(login(s, CKU_SO, secret), CKR_OK);
    CK_SESSION_INFO info{};
    ASSERT_EQ(p11_->C_GetSessionInfo(s, &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RW_SO_FUNCTIONS);
    ASSERT_EQ(initPin(s, "2580"), CKR_OK);
    EXPECT_FALSE(tokenFlags() & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY));
    ASSERT_EQ(p11_->C_Logout(s), CKR_OK);
    EXPECT_EQ(login(s, CKU_USER, "2580"), CKR_OK);
    p11_->C_Logout(s);
    // The secret is spent: a second SO login is refused.
    EXPECT_EQ(login(s, CKU_SO, secret), CKR_PIN_LOCKED);
}

TEST_F(ModuleUnblock, WrongSecretIsPinIncorrectAndThreeBlockTheCase) {
    freshLockedCard();
    const std::string secret = issueSecret();
    initialiseWithService();
    const CK_SESSION_HANDLE s = open();
    // Wrong secrets with valid check symbols reach the service and cost a try each.
    const std::string wrong[] = {"008J-4CT4-ANK7-F24S-5X", otherSecret(), "008J-4CT4-ANK7-F24S-5X"};
    for (const std::string& w : wrong) EXPECT_EQ(login(s, CKU_SO, w), CKR_PIN_INCORRECT);
    // Blocked: even the right secret is refused now.
    EXPECT_EQ(login(s, CKU_SO, secret), CKR_PIN_LOCKED);
}

TEST_F(ModuleUnblock, TyposAreCaughtLocallyWithoutSpendingATry) {
    freshLockedCard();
    const std::string secret = issueSecret();
    initialiseWithService();
    const CK_SESSION_HANDLE s = open();
    std::string typo = secret;
    typo[0] = typo[0] == 'A' ? 'B' : 'A';
    for (int i = 0; i < 4; ++i) EXPECT_EQ(login(s, CKU_SO, typo), CKR_PIN_INVALID);
    EXPECT_EQ(login(s, CKU_SO, "ABCD"), CKR_PIN_LEN_RANGE);
    EXPECT_EQ(login(s, CKU_SO, "!!!!-@@@@-####-$$$$-%%"), CKR_PIN_INVALID);
    EXPECT_EQ(login(s, CKU_SO, ""), CKR_PIN_INCORRECT);
    // Lower case, spaces, O for 0 and I/L for 1 are accepted forms of the same secret.
    std::string relaxed;
    for (char c : secret) {
        if (c == '-') relaxed += ' ';
        else relaxed += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    EXPECT_EQ(login(s, CKU_SO, relaxed), CKR_OK);
}

TEST_F(ModuleUnblock, SessionRulesOfTheSoLogin) {
    freshLockedCard();
    const std::string secret = issueSecret();
    initialiseWithService();
    const CK_SESSION_HANDLE ro = open(false);
    EXPECT_EQ(login(ro, CKU_SO, secret), CKR_SESSION_READ_ONLY_EXISTS);
    const CK_SESSION_HANDLE rw = open();
    EXPECT_EQ(login(rw, CKU_SO, secret), CKR_SESSION_READ_ONLY_EXISTS);
    p11_->C_CloseSession(ro);
    EXPECT_EQ(initPin(rw, "2580"), CKR_USER_NOT_LOGGED_IN);
    EXPECT_EQ(login(rw, CKU_SO, secret), CKR_OK);
    EXPECT_EQ(login(rw, CKU_USER, "4711"), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
}

TEST_F(ModuleUnblock, WeakPinsAreRefusedBeforeAnyCardOrServiceWork) {
    freshLockedCard();
    const std::string secret = issueSecret();
    initialiseWithService();
    lockToken();
    const CK_SESSION_HANDLE s = open();
    ASSERT_EQ(login(s, CKU_SO, secret), CKR_OK);
    // This process took the 2.40 function list: weak PINs are CKR_PIN_INVALID.
    EXPECT_EQ(initPin(s, "1234"), CKR_PIN_INVALID);
    EXPECT_EQ(initPin(s, "0000"), CKR_PIN_INVALID);
    EXPECT_EQ(initPin(s, "12345"), CKR_PIN_LEN_RANGE);
    EXPECT_EQ(initPin(s, "12a4"), CKR_PIN_INVALID);
    EXPECT_TRUE(tokenFlags() & CKF_USER_PIN_LOCKED);
    // The ticket is still good for a valid PIN.
    EXPECT_EQ(initPin(s, "9137"), CKR_OK);
    EXPECT_FALSE(tokenFlags() & CKF_USER_PIN_LOCKED);
}

TEST_F(ModuleUnblock, SecretOfAnotherTokenIsRefused) {
    freshLockedCard(kSerial);
    const std::string secretForOther = issueSecret(kOtherSerial);
    initialiseWithService();
    const CK_SESSION_HANDLE s = open();
    EXPECT_EQ(login(s, CKU_SO, secretForOther), CKR_PIN_LOCKED);  // no case for this card's serial
}

TEST_F(ModuleUnblock, ExpiredSecretIsPinLocked) {
    freshLockedCard();
    const std::string secret = issueSecret();
    ASSERT_EQ(run(kFixture + " age-secret " + kSerial), "1") << "one issued secret made 25 h old";
    initialiseWithService();
    lockToken();
    const CK_SESSION_HANDLE s = open();
    EXPECT_EQ(login(s, CKU_SO, secret), CKR_PIN_LOCKED);
    const std::string audit = run(kFixture + " last-audit");
    EXPECT_NE(audit.find("\"expired\""), std::string::npos) << audit;
    EXPECT_TRUE(tokenFlags() & CKF_USER_PIN_LOCKED);
}

TEST_F(ModuleUnblock, NotConfiguredIsFunctionNotSupported) {
    freshLockedCard();
    initialise("");
    const CK_SESSION_HANDLE s = open();
    EXPECT_EQ(login(s, CKU_SO, "008J-4CT4-ANK7-F24S-5X"), CKR_FUNCTION_NOT_SUPPORTED);
}

TEST_F(ModuleUnblock, ServiceDownOrImpersonatedSpendsNothing) {
    freshLockedCard();
    const std::string secret = issueSecret();
    const std::string lines = run(kFixture + " module-conf");
    // Nobody listens on port 9: connection refused.
    std::string down = lines;
    const std::size_t host = down.find("127.0.0.1:");
    ASSERT_NE(host, std::string::npos);
    const std::size_t portEnd = down.find_first_not_of("0123456789", host + 10);
    down.replace(host, portEnd - host, "127.0.0.1:9");
    initialise(down);
    CK_SESSION_HANDLE s = open();
    EXPECT_EQ(login(s, CKU_SO, secret), CKR_FUNCTION_FAILED);
    p11_->C_Finalize(nullptr);
    initialised_ = false;
    // The right server, but the pinned key is another one (service impersonation).
    std::string impostor;
    for (std::size_t start = 0; start < lines.size();) {
        const std::size_t end = lines.find('\n', start);
        const std::string line = lines.substr(start, end - start);
        if (line.rfind("service_pin_sha256", 0) == 0) impostor += "service_pin_sha256 = sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        else if (line.rfind("service_ca_file", 0) != 0) impostor += line + "\n";
        if (end == std::string::npos) break;
        start = end + 1;
    }
    initialise(impostor);
    s = open();
    EXPECT_EQ(login(s, CKU_SO, secret), CKR_FUNCTION_FAILED);
    p11_->C_Finalize(nullptr);
    initialised_ = false;
    // Nothing was spent: the secret still resets the token.
    initialiseWithService();
    s = open();
    ASSERT_EQ(login(s, CKU_SO, secret), CKR_OK);
    EXPECT_EQ(initPin(s, "2580"), CKR_OK);
}

// The Firefox/Thunderbird "Change Password" sequence on a locked token (FIREFOX-RESET.md
// 1.2/2.3: C_Logout + C_Login(CKU_USER, current) on NSS's R/O default session, then
// C_SetPIN(current, new) on a new R/W session), with the unblock secret as "current".
TEST_F(ModuleUnblock, SecretAsCurrentPasswordResetsLikeFirefoxDoes) {
    freshLockedCard();
    const std::string secret = issueSecret();
    initialiseWithService();
    lockToken();
    const CK_SESSION_HANDLE nssDefault = open(false);
    EXPECT_EQ(p11_->C_Logout(nssDefault), CKR_USER_NOT_LOGGED_IN);
    EXPECT_EQ(login(nssDefault, CKU_USER, "0815"), CKR_PIN_LOCKED);              // a PIN: still locked
    EXPECT_EQ(login(nssDefault, CKU_USER, "008J-4CT4-ANK7-F24S-5X"), CKR_PIN_INCORRECT);  // wrong secret
    std::string typo = secret;
    typo[1] = typo[1] == 'A' ? 'B' : 'A';
    EXPECT_EQ(login(nssDefault, CKU_USER, typo), CKR_PIN_INCORRECT);             // typo, caught locally
    ASSERT_EQ(login(nssDefault, CKU_USER, secret), CKR_OK);
    CK_SESSION_INFO info{};
    ASSERT_EQ(p11_->C_GetSessionInfo(nssDefault, &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RO_USER_FUNCTIONS);
    EXPECT_TRUE(tokenFlags() & CKF_USER_PIN_TO_BE_CHANGED);
    EXPECT_TRUE(tokenFlags() & CKF_USER_PIN_INITIALIZED);
    // Restricted: no key use until the PIN is changed.
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}};
    ASSERT_EQ(p11_->C_FindObjectsInit(nssDefault, t, 1), CKR_OK);
    CK_OBJECT_HANDLE cert = 0;
    CK_ULONG n = 0;
    ASSERT_EQ(p11_->C_FindObjects(nssDefault, &cert, 1, &n), CKR_OK);
    ASSERT_EQ(p11_->C_FindObjectsFinal(nssDefault), CKR_OK);
    CK_MECHANISM mech{CKM_SHA256_RSA_PKCS, nullptr, 0};
    EXPECT_EQ(p11_->C_SignInit(nssDefault, &mech, cert), CKR_PIN_EXPIRED);
    // PK11_ChangePW: a new R/W session, C_SetPIN(current = secret, new).
    const CK_SESSION_HANDLE rw = open();
    const std::string weak = "1234";
    EXPECT_EQ(p11_->C_SetPIN(rw, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(secret.data())), secret.size(),
                             reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(weak.data())), weak.size()),
              CKR_PIN_INVALID);
    const std::string other = "0000-0000-0000-0000-00";
    const std::string newPin = "2580";
    EXPECT_EQ(p11_->C_SetPIN(rw, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(other.data())), other.size(),
                             reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(newPin.data())), newPin.size()),
              CKR_PIN_INCORRECT);
    ASSERT_EQ(p11_->C_SetPIN(rw, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(secret.data())), secret.size(),
                             reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(newPin.data())), newPin.size()),
              CKR_OK);
    p11_->C_CloseSession(rw);
    EXPECT_FALSE(tokenFlags() & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_TO_BE_CHANGED));
    // Logged in normally with the new PIN.
    ASSERT_EQ(p11_->C_GetSessionInfo(nssDefault, &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RO_USER_FUNCTIONS);
    EXPECT_EQ(login(nssDefault, CKU_USER, newPin), CKR_USER_ALREADY_LOGGED_IN);
    ASSERT_EQ(p11_->C_Logout(nssDefault), CKR_OK);
    EXPECT_EQ(login(nssDefault, CKU_USER, newPin), CKR_OK);
}

TEST_F(ModuleUnblock, SecretAsOldPinOfAnUnloggedSetPin) {
    freshLockedCard();
    const std::string secret = issueSecret();
    initialiseWithService();
    lockToken();
    const CK_SESSION_HANDLE rw = open();
    const std::string newPin = "3691";
    ASSERT_EQ(p11_->C_SetPIN(rw, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(secret.data())), secret.size(),
                             reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(newPin.data())), newPin.size()),
              CKR_OK);
    EXPECT_FALSE(tokenFlags() & CKF_USER_PIN_LOCKED);
}

TEST_F(ModuleUnblock, SecretAsUserPinCanBeSwitchedOff) {
    freshLockedCard();
    const std::string secret = issueSecret();
    initialise(run(kFixture + " module-conf") + "\nunblock_secret_as_user_pin = no\n");
    lockToken();
    const CK_SESSION_HANDLE s = open(false);
    // An ordinary PIN then, too long for the card: never sent, and the token stays locked.
    EXPECT_EQ(login(s, CKU_USER, secret), CKR_PIN_LOCKED);
    EXPECT_TRUE(tokenFlags() & CKF_USER_PIN_LOCKED);
}

// Issue 9: two processes on one token. A child process signs in a loop (its own
// C_Initialize, user PIN) while this process resets the PIN with the unblock secret; the
// reset runs in one PC/SC transaction, so the child's signatures never interleave with it.
// Both succeed; the card ends reset (new PIN, full tries: the child never spent one).
TEST_F(ModuleUnblock, SecondProcessSignsWhileThisOneResets) {
    freshLockedCard();
    const std::string secret = issueSecret();
    ASSERT_EQ(secret.size(), 22u);
    const std::string conf = ::testing::TempDir() + "/ias-unblock-test.conf";
    std::ofstream(conf) << "reader_filter = Virtual PCD 00 00\n" << run(kFixture + " module-conf") << "\n";
    setenv("IAS_PKCS11_CONF", conf.c_str(), 1);
    int ready[2];
    int stop[2];
    ASSERT_EQ(pipe(ready), 0);
    ASSERT_EQ(pipe(stop), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // The signer: exit 0 = signed before and after the reset and saw only CKR_OK or
        // the end of its login (the reset ends the card's security status).
        close(ready[0]);
        close(stop[1]);
        CK_C_INITIALIZE_ARGS args{};
        args.flags = CKF_OS_LOCKING_OK;
        CK_SLOT_ID slot = 0;
        CK_ULONG n = 1;
        CK_SESSION_HANDLE s = 0;
        if (p11_->C_Initialize(&args) != CKR_OK || p11_->C_GetSlotList(CK_TRUE, &slot, &n) != CKR_OK || n != 1 ||
            p11_->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) {
            _exit(10);
        }
        static const char pin[] = "4711";
        if (p11_->C_Login(s, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin)), 4) != CKR_OK) _exit(11);
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        CK_BYTE id = 0x45;
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, &id, 1}};
        CK_OBJECT_HANDLE key = 0;
        if (p11_->C_FindObjectsInit(s, t, 2) != CKR_OK || p11_->C_FindObjects(s, &key, 1, &n) != CKR_OK || n != 1) _exit(12);
        p11_->C_FindObjectsFinal(s);
        int okBefore = 0;
        std::set<CK_RV> others;
        bool signalled = false;
        const time_t deadline = time(nullptr) + 60;
        while (time(nullptr) < deadline) {
            CK_MECHANISM mech{CKM_SHA256_RSA_PKCS, nullptr, 0};
            CK_BYTE data[] = "two processes";
            CK_BYTE sig[512];
            CK_ULONG len = sizeof sig;
            CK_RV rv = p11_->C_SignInit(s, &mech, key);
            if (rv == CKR_OK) rv = p11_->C_Sign(s, data, sizeof data - 1, sig, &len);
            if (rv == CKR_OK) {
                if (++okBefore == 3) (void)!write(ready[1], "r", 1);
            } else {
                others.insert(rv);
            }
            if (okBefore >= 3 && !signalled) {
                fd_set fds;
                FD_ZERO(&fds);
                FD_SET(stop[0], &fds);
                timeval zero{0, 0};
                if (select(stop[0] + 1, &fds, nullptr, nullptr, &zero) == 1) signalled = true;
            }
            if (signalled) break;
        }
        others.erase(CKR_USER_NOT_LOGGED_IN);
        p11_->C_Finalize(nullptr);
        _exit(signalled && okBefore >= 3 && others.empty() ? 0 : 13);
    }
    close(ready[1]);
    close(stop[0]);
    char c = 0;
    ASSERT_EQ(read(ready[0], &c, 1), 1) << "the signer never signed";
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    ASSERT_EQ(p11_->C_Initialize(&args), CKR_OK);
    initialised_ = true;
    CK_ULONG n = 1;
    ASSERT_EQ(p11_->C_GetSlotList(CK_TRUE, &slot_, &n), CKR_OK);
    const CK_SESSION_HANDLE s = open();
    ASSERT_EQ(login(s, CKU_SO, secret), CKR_OK);
    EXPECT_EQ(initPin(s, "2580"), CKR_OK);
    ASSERT_EQ(write(stop[1], "s", 1), 1);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    close(ready[0]);
    close(stop[1]);
    EXPECT_FALSE(tokenFlags() & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY));
    ASSERT_EQ(p11_->C_Logout(s), CKR_OK);
    EXPECT_EQ(login(s, CKU_USER, "4711"), CKR_PIN_INCORRECT);
    EXPECT_EQ(login(s, CKU_USER, "2580"), CKR_OK);
}

}  // namespace
