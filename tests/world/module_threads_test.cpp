// SPDX-License-Identifier: Apache-2.0
// ias-pkcs11.so under concurrency, fork and card removal, against the real PC/SC test world
// (ctest LABELS world). Built in every variant; scripts/test.sh also runs it from the TSan
// build, where any data race is a failure.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "module_loader.hpp"

namespace {

const std::string kRepo = IAS_SOURCE_DIR;

class ModuleThreads : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ias::world_test::loadModule(lib_, p11_);
        if (HasFatalFailure()) return;
    }

    void SetUp() override {
        ASSERT_EQ(std::system(("bash " + kRepo + "/tests/world/fresh_card.sh >/dev/null").c_str()), 0);
        const std::string conf = ::testing::TempDir() + "/ias-threads.conf";
        std::ofstream(conf) << "reader_filter = Virtual PCD 00 00\n";
        setenv("IAS_PKCS11_CONF", conf.c_str(), 1);
        CK_C_INITIALIZE_ARGS args{};
        args.flags = CKF_OS_LOCKING_OK;
        ASSERT_EQ(p11_->C_Initialize(&args), CKR_OK);
        CK_ULONG n = 1;
        ASSERT_EQ(p11_->C_GetSlotList(CK_TRUE, &slot_, &n), CKR_OK);
        ASSERT_EQ(n, 1u);
    }
    void TearDown() override { p11_->C_Finalize(nullptr); }

    CK_SESSION_HANDLE open() {
        CK_SESSION_HANDLE s = 0;
        EXPECT_EQ(p11_->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &s), CKR_OK);
        return s;
    }
    CK_OBJECT_HANDLE find(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls) {
        CK_BYTE id = 0x45;
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, &id, 1}};
        CK_OBJECT_HANDLE h = 0;
        CK_ULONG n = 0;
        EXPECT_EQ(p11_->C_FindObjectsInit(s, t, 2), CKR_OK);
        EXPECT_EQ(p11_->C_FindObjects(s, &h, 1, &n), CKR_OK);
        EXPECT_EQ(p11_->C_FindObjectsFinal(s), CKR_OK);
        EXPECT_EQ(n, 1u);
        return h;
    }
    CK_RV login(CK_SESSION_HANDLE s) {
        static const char pin[] = "4711";
        return p11_->C_Login(s, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin)), 4);
    }
    // The public key of key 45 from its certificate, to verify signatures independently.
    EVP_PKEY* publicKey(CK_SESSION_HANDLE s) {
        const CK_OBJECT_HANDLE cert = find(s, CKO_CERTIFICATE);
        std::vector<CK_BYTE> der(4096);
        CK_ATTRIBUTE a{CKA_VALUE, der.data(), der.size()};
        EXPECT_EQ(p11_->C_GetAttributeValue(s, cert, &a, 1), CKR_OK);
        const unsigned char* p = der.data();
        X509* x = d2i_X509(nullptr, &p, static_cast<long>(a.ulValueLen));
        EVP_PKEY* k = x ? X509_get_pubkey(x) : nullptr;
        X509_free(x);
        return k;
    }
    static bool verifies(EVP_PKEY* key, const std::string& message, const std::vector<CK_BYTE>& sig) {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        const bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                        EVP_DigestVerify(ctx, sig.data(), sig.size(), reinterpret_cast<const unsigned char*>(message.data()),
                                         message.size()) == 1;
        EVP_MD_CTX_free(ctx);
        return ok;
    }

    // Encrypts `message` with the certificate's key (OpenSSL, PKCS#1 v1.5) and decrypts it on the token.
    bool decryptsBack(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, EVP_PKEY* pub, const std::string& message) {
        EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(pub, nullptr);
        std::vector<CK_BYTE> enc(512);
        std::size_t encLen = enc.size();
        const bool encrypted = ctx && EVP_PKEY_encrypt_init(ctx) == 1 &&
                               EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
                               EVP_PKEY_encrypt(ctx, enc.data(), &encLen,
                                                reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
        EVP_PKEY_CTX_free(ctx);
        if (!encrypted) return false;
        CK_MECHANISM mech{CKM_RSA_PKCS, nullptr, 0};
        std::vector<CK_BYTE> plain(512);
        CK_ULONG len = plain.size();
        if (p11_->C_DecryptInit(s, &mech, key) != CKR_OK || p11_->C_Decrypt(s, enc.data(), encLen, plain.data(), &len) != CKR_OK)
            return false;
        plain.resize(len);
        return std::string(plain.begin(), plain.end()) == message;
    }

    static inline void* lib_ = nullptr;
    static inline CK_FUNCTION_LIST* p11_ = nullptr;
    CK_SLOT_ID slot_ = 0;
};

// Every handle of class `cls` the session finds, in the order the module returns them.
std::vector<CK_OBJECT_HANDLE> findAll(CK_FUNCTION_LIST* p11, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls) {
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}};
    std::vector<CK_OBJECT_HANDLE> all;
    if (p11->C_FindObjectsInit(s, t, 1) != CKR_OK) return {CK_INVALID_HANDLE};
    CK_OBJECT_HANDLE h[4];
    CK_ULONG n = 0;
    while (p11->C_FindObjects(s, h, 4, &n) == CKR_OK && n > 0) all.insert(all.end(), h, h + n);
    if (p11->C_FindObjectsFinal(s) != CKR_OK) return {CK_INVALID_HANDLE};
    return all;
}

// Issue 9: 8 threads x 100 sessions (all kept open until the thread ends) on one token,
// each session: token info, C_Login (already logged in), exact find results, a signature
// verified against the certificate's public key, and every 10th a decrypt round trip.
// scripts/test.sh runs this from the TSan build too (world-tsan): a data race fails it.
TEST_F(ModuleThreads, EightThreadsSignFindAndPollConcurrently) {
    const CK_SESSION_HANDLE first = open();
    ASSERT_EQ(login(first), CKR_OK);  // login is per token: every session of this process is logged in
    EVP_PKEY* pub = publicKey(first);
    ASSERT_NE(pub, nullptr);
    const std::vector<CK_OBJECT_HANDLE> keys = findAll(p11_, first, CKO_PRIVATE_KEY);
    const std::vector<CK_OBJECT_HANDLE> certs = findAll(p11_, first, CKO_CERTIFICATE);
    ASSERT_FALSE(keys.empty());
    ASSERT_FALSE(certs.empty());
    const CK_OBJECT_HANDLE key45 = find(first, CKO_PRIVATE_KEY);
    CK_TOKEN_INFO reference{};
    ASSERT_EQ(p11_->C_GetTokenInfo(slot_, &reference), CKR_OK);
    constexpr int kThreads = 8;
    constexpr int kSessions = 100;
    std::atomic<int> signatures{0};
    std::atomic<int> decryptions{0};
    std::atomic<int> bad{0};
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            auto wrong = [&](const std::string& what) {
                ++bad;
                if (errors[t].size() < 400) errors[t] += what + "; ";
            };
            std::vector<CK_SESSION_HANDLE> mine;
            for (int r = 0; r < kSessions; ++r) {
                CK_SESSION_HANDLE s = 0;
                if (p11_->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) {
                    wrong("open");
                    continue;
                }
                mine.push_back(s);
                CK_TOKEN_INFO info{};
                if (p11_->C_GetTokenInfo(slot_, &info) != CKR_OK ||
                    std::memcmp(info.serialNumber, reference.serialNumber, sizeof info.serialNumber) != 0 ||
                    (info.flags & CKF_USER_PIN_LOCKED)) {
                    wrong("token info");
                }
                if (login(s) != CKR_USER_ALREADY_LOGGED_IN) wrong("login");
                if (findAll(p11_, s, CKO_PRIVATE_KEY) != keys) wrong("private keys found");
                if (findAll(p11_, s, CKO_CERTIFICATE) != certs) wrong("certificates found");
                const std::string message = "thread " + std::to_string(t) + " session " + std::to_string(r);
                CK_MECHANISM mech{CKM_SHA256_RSA_PKCS, nullptr, 0};
                std::vector<CK_BYTE> sig(512);
                CK_ULONG len = sig.size();
                const bool signedOk =
                    p11_->C_SignInit(s, &mech, key45) == CKR_OK &&
                    p11_->C_Sign(s, reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(message.data())), message.size(),
                                 sig.data(), &len) == CKR_OK;
                if (signedOk) sig.resize(len);
                if (signedOk && verifies(pub, message, sig)) {
                    ++signatures;
                } else {
                    wrong("signature");
                }
                if (r % 10 == 0) {
                    if (decryptsBack(s, key45, pub, message)) ++decryptions;
                    else wrong("decrypt");
                }
            }
            for (CK_SESSION_HANDLE s : mine) {
                if (p11_->C_CloseSession(s) != CKR_OK) wrong("close");
            }
        });
    }
    for (auto& th : threads) th.join();
    EVP_PKEY_free(pub);
    for (const std::string& e : errors) EXPECT_TRUE(e.empty()) << e;
    EXPECT_EQ(bad.load(), 0);
    EXPECT_EQ(signatures.load(), kThreads * kSessions);
    EXPECT_EQ(decryptions.load(), kThreads * kSessions / 10);
    CK_SESSION_INFO info{};
    EXPECT_EQ(p11_->C_GetSessionInfo(first, &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RO_USER_FUNCTIONS);  // the first session outlived the 800 others
}

TEST_F(ModuleThreads, SessionHandlesAreNeverReused) {
    std::vector<CK_SESSION_HANDLE> seen;
    for (int i = 0; i < 50; ++i) {
        const CK_SESSION_HANDLE s = open();
        for (CK_SESSION_HANDLE old : seen) ASSERT_NE(old, s);
        seen.push_back(s);
        ASSERT_EQ(p11_->C_CloseSession(s), CKR_OK);
    }
    EXPECT_EQ(p11_->C_CloseSession(seen.front()), CKR_SESSION_HANDLE_INVALID);
}

TEST_F(ModuleThreads, ForkedChildInitialisesAFreshModule) {
    const CK_SESSION_HANDLE s = open();
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // The parent's state is not the child's: C_Initialize must succeed and work.
        CK_C_INITIALIZE_ARGS args{};
        args.flags = CKF_OS_LOCKING_OK;
        if (p11_->C_Initialize(&args) != CKR_OK) _exit(1);
        CK_SLOT_ID slot = 0;
        CK_ULONG n = 1;
        if (p11_->C_GetSlotList(CK_TRUE, &slot, &n) != CKR_OK || n != 1) _exit(2);
        CK_TOKEN_INFO info;
        if (p11_->C_GetTokenInfo(slot, &info) != CKR_OK) _exit(3);
        if (p11_->C_Finalize(nullptr) != CKR_OK) _exit(4);
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    // The parent is unaffected.
    CK_SESSION_INFO info;
    EXPECT_EQ(p11_->C_GetSessionInfo(s, &info), CKR_OK);
    EXPECT_EQ(login(s), CKR_OK);
}

TEST_F(ModuleThreads, CardRemovalInvalidatesSessionsAndReinsertionWorks) {
    const CK_SESSION_HANDLE s = open();
    ASSERT_EQ(login(s), CKR_OK);
    const CK_OBJECT_HANDLE key = find(s, CKO_PRIVATE_KEY);
    ASSERT_EQ(std::system(("bash " + kRepo + "/scripts/test-world.sh remove 2>/dev/null").c_str()), 0);
    CK_SLOT_INFO slotInfo;
    ASSERT_EQ(p11_->C_GetSlotInfo(slot_, &slotInfo), CKR_OK);
    EXPECT_FALSE(slotInfo.flags & CKF_TOKEN_PRESENT);
    CK_SLOT_ID event = 99;
    EXPECT_EQ(p11_->C_WaitForSlotEvent(CKF_DONT_BLOCK, &event, nullptr), CKR_OK);
    EXPECT_EQ(event, slot_);
    CK_MECHANISM mech{CKM_SHA256_RSA_PKCS, nullptr, 0};
    const CK_RV rv = p11_->C_SignInit(s, &mech, key);
    EXPECT_TRUE(rv == CKR_DEVICE_REMOVED || rv == CKR_SESSION_HANDLE_INVALID) << std::hex << rv;
    CK_TOKEN_INFO tokenInfo;
    EXPECT_EQ(p11_->C_GetTokenInfo(slot_, &tokenInfo), CKR_TOKEN_NOT_PRESENT);
    ASSERT_EQ(std::system(("bash " + kRepo + "/tests/world/fresh_card.sh >/dev/null").c_str()), 0);
    ASSERT_EQ(p11_->C_GetSlotInfo(slot_, &slotInfo), CKR_OK);
    EXPECT_TRUE(slotInfo.flags & CKF_TOKEN_PRESENT);
    const CK_SESSION_HANDLE again = open();
    EXPECT_NE(again, s);
    EXPECT_EQ(login(again), CKR_OK);
}

// Issue 20: C_WaitForSlotEvent(CKF_DONT_BLOCK) reports each insertion or removal once, then
// CKR_NO_EVENT until the next one (it answered CKR_OK again and again). What C_Initialize
// found is the starting point, not an event, and using the token is no event either.
TEST_F(ModuleThreads, DontBlockReportsEachSlotEventOnce) {
    CK_SLOT_ID event = 99;
    const auto noEvents = [&](const char* when) {
        for (int i = 0; i < 3; ++i) {
            EXPECT_EQ(p11_->C_WaitForSlotEvent(CKF_DONT_BLOCK, &event, nullptr), CKR_NO_EVENT) << when << ", call " << i;
        }
    };
    noEvents("after C_Initialize and C_GetSlotList");
    {
        const CK_SESSION_HANDLE s = open();
        ASSERT_EQ(login(s), CKR_OK);
        CK_TOKEN_INFO info;
        ASSERT_EQ(p11_->C_GetTokenInfo(slot_, &info), CKR_OK);
        ASSERT_EQ(p11_->C_Logout(s), CKR_OK);  // may reset the card to end the PIN's validity
        ASSERT_EQ(p11_->C_CloseSession(s), CKR_OK);
    }
    noEvents("after using the token");
    ASSERT_EQ(std::system(("bash " + kRepo + "/scripts/test-world.sh remove 2>/dev/null").c_str()), 0);
    ASSERT_EQ(p11_->C_WaitForSlotEvent(CKF_DONT_BLOCK, &event, nullptr), CKR_OK);
    EXPECT_EQ(event, slot_);
    noEvents("after the removal was reported");
    CK_SLOT_INFO slotInfo;
    ASSERT_EQ(p11_->C_GetSlotInfo(slot_, &slotInfo), CKR_OK);  // a look at the slot is no event
    noEvents("after C_GetSlotInfo of the empty slot");
    ASSERT_EQ(std::system(("bash " + kRepo + "/tests/world/fresh_card.sh >/dev/null").c_str()), 0);
    event = 99;
    ASSERT_EQ(p11_->C_WaitForSlotEvent(CKF_DONT_BLOCK, &event, nullptr), CKR_OK);
    EXPECT_EQ(event, slot_);
    noEvents("after the insertion was reported");
    // Pulled and another card inserted between two looks: one event (pcsc-lite's event counter).
    ASSERT_EQ(std::system(("bash " + kRepo + "/tests/world/fresh_card.sh >/dev/null").c_str()), 0);
    ASSERT_EQ(p11_->C_WaitForSlotEvent(CKF_DONT_BLOCK, &event, nullptr), CKR_OK);
    EXPECT_EQ(event, slot_);
    noEvents("after the swap was reported");
}

namespace {
long threadCount() {
    long n = 0;
    for (std::ifstream in("/proc/self/status"); in;) {
        std::string key;
        in >> key;
        if (key == "Threads:") {
            in >> n;
            break;
        }
        in.ignore(1 << 16, '\n');
    }
    return n;
}
}  // namespace

TEST_F(ModuleThreads, BlockingWaitForSlotEventSeesRemovalAndFinalizeEndsIt) {
    std::atomic<CK_RV> rv{CKR_GENERAL_ERROR};
    CK_SLOT_ID event = 99;
    std::thread waiter([&] { rv = p11_->C_WaitForSlotEvent(0, &event, nullptr); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(rv.load(), CKR_GENERAL_ERROR) << "returned without an event";
    ASSERT_EQ(std::system(("bash " + kRepo + "/scripts/test-world.sh remove 2>/dev/null").c_str()), 0);
    waiter.join();
    // Counted once a thread of ours has run (TSan starts a helper thread of its own then).
    const long threadsBefore = threadCount();
    EXPECT_EQ(rv.load(), CKR_OK);
    EXPECT_EQ(event, slot_);
    // The insertion ends the next wait, and that event is not reported a second time.
    rv = CKR_GENERAL_ERROR;
    event = 99;
    std::thread inserted([&] { rv = p11_->C_WaitForSlotEvent(0, &event, nullptr); });
    ASSERT_EQ(std::system(("bash " + kRepo + "/tests/world/fresh_card.sh >/dev/null").c_str()), 0);
    inserted.join();
    EXPECT_EQ(rv.load(), CKR_OK);
    EXPECT_EQ(event, slot_);
    EXPECT_EQ(p11_->C_WaitForSlotEvent(CKF_DONT_BLOCK, &event, nullptr), CKR_NO_EVENT);
    // Waits blocked when the application finalizes (two threads) return
    // CKR_CRYPTOKI_NOT_INITIALIZED, promptly (SCardCancel), and no thread is left behind.
    // Under TSan one waiter only: libpcsclite 1.9.9 fills one global buffer (readerStates)
    // in SCardGetStatusChange/SCardListReaders of any context, locked per context, so two
    // waiters race inside pcsc-lite itself; the release and ASan runs have both.
#if defined(__SANITIZE_THREAD__)
    constexpr bool kTwoWaiters = false;
#else
    constexpr bool kTwoWaiters = true;
#endif
    std::atomic<CK_RV> rv2{CKR_CRYPTOKI_NOT_INITIALIZED};
    CK_SLOT_ID event2 = 99;
    std::thread blocked([&] { rv = p11_->C_WaitForSlotEvent(0, &event, nullptr); });
    std::thread blocked2([&] {
        if (kTwoWaiters) rv2 = p11_->C_WaitForSlotEvent(0, &event2, nullptr);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const auto finalized = std::chrono::steady_clock::now();
    ASSERT_EQ(p11_->C_Finalize(nullptr), CKR_OK);
    blocked.join();
    blocked2.join();
    EXPECT_LT(std::chrono::steady_clock::now() - finalized, std::chrono::milliseconds(1500));
    EXPECT_EQ(rv.load(), CKR_CRYPTOKI_NOT_INITIALIZED);
    EXPECT_EQ(rv2.load(), CKR_CRYPTOKI_NOT_INITIALIZED);
    EXPECT_EQ(threadCount(), threadsBefore) << "the module left threads behind";
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    ASSERT_EQ(p11_->C_Initialize(&args), CKR_OK);  // for TearDown
}

}  // namespace
