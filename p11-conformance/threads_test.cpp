// SPDX-License-Identifier: Apache-2.0
// Calls from many threads at once (PKCS#11 v2.40 §5.1.9 / §6.7 "Cryptoki and multiple
// threads"): with CKF_OS_LOCKING_OK the library must be safe to call from several threads;
// sessions are independent, the login state is shared by the application. Run under TSan
// (IAS_SANITIZE=thread) for data races.
#include <atomic>
#include <thread>

#include "crypto.hpp"

namespace conf {
namespace {

using Threads = KeyTest;

template <class Body>
void inThreads(unsigned n, Body body) {
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < n; ++i) threads.emplace_back(body, i);
    for (auto& t : threads) t.join();
}

TEST_F(Threads, IndependentSessions) {
    std::atomic<int> failures{0};
    inThreads(profile().threads, [&](unsigned) {
        for (int round = 0; round < 5; ++round) {
            CK_SESSION_HANDLE s = 0;
            if (f->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) {
                ++failures;
                continue;
            }
            CK_TOKEN_INFO t{};
            CK_SESSION_INFO info{};
            Bytes r(16);
            if (f->C_GetTokenInfo(slot_, &t) != CKR_OK) ++failures;
            if (f->C_GetSessionInfo(s, &info) != CKR_OK || info.slotID != slot_) ++failures;
            if (f->C_GenerateRandom(s, r.data(), r.size()) != CKR_OK) ++failures;
            CK_OBJECT_HANDLE h[8];
            CK_ULONG n = 0;
            if (f->C_FindObjectsInit(s, nullptr, 0) != CKR_OK || f->C_FindObjects(s, h, 8, &n) != CKR_OK ||
                f->C_FindObjectsFinal(s) != CKR_OK || n == 0) {
                ++failures;
            }
            if (f->C_CloseSession(s) != CKR_OK) ++failures;
        }
    });
    EXPECT_EQ(failures.load(), 0);
}

TEST_F(Threads, ConcurrentLoginExactlyOneWins) {
    std::vector<CK_SESSION_HANDLE> sessions;
    for (unsigned i = 0; i < profile().threads; ++i) sessions.push_back(openSession(false));
    std::atomic<int> ok{0}, already{0}, other{0};
    inThreads(profile().threads, [&](unsigned i) {
        const CK_RV rv = login(sessions[i], CKU_USER, profile().userPin);
        if (rv == CKR_OK) ++ok;
        else if (rv == CKR_USER_ALREADY_LOGGED_IN) ++already;
        else ++other;
    });
    EXPECT_EQ(ok.load(), 1) << "exactly one C_Login succeeds, the others see CKR_USER_ALREADY_LOGGED_IN";
    EXPECT_EQ(other.load(), 0);
}

TEST_F(Threads, ConcurrentSignatures) {
    const CK_SESSION_HANDLE main = openSession(false);
    loginUser(main);
    const MechanismCase* m = nullptr;
    for (const MechanismCase& c : signMechanisms()) {
        if (c.type == CKM_SHA256_RSA_PKCS && supports(c.type, CKF_SIGN)) m = &c;
    }
    if (!m) GTEST_SKIP() << "no CKM_SHA256_RSA_PKCS";
    const KeyPair key = keyPair(main, CKK_RSA, CKA_SIGN);
    ASSERT_NE(key.privateKey, CK_INVALID_HANDLE);
    const Bytes input = signInput(*m);
    std::atomic<int> failures{0}, bad{0};
    inThreads(profile().threads, [&](unsigned) {
        CK_SESSION_HANDLE s = 0;
        if (f->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) {
            ++failures;
            return;
        }
        for (int round = 0; round < 3; ++round) {
            CK_MECHANISM mech = mechanismFor(*m);
            Bytes data = input, sig(1024);
            CK_ULONG len = sig.size();
            if (f->C_SignInit(s, &mech, key.privateKey) != CKR_OK) {
                ++failures;
                continue;
            }
            if (key.alwaysAuthenticate) {
                std::string pin = profile().userPin;
                f->C_Login(s, CKU_CONTEXT_SPECIFIC, reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data()), pin.size());
            }
            if (f->C_Sign(s, data.data(), data.size(), sig.data(), &len) != CKR_OK) {
                ++failures;
                continue;
            }
            sig.resize(len);
            if (!verifySignature(key.publicKeyDer, *m, input, sig)) ++bad;
        }
        f->C_CloseSession(s);
    });
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(bad.load(), 0) << "signatures made concurrently must all verify";
}

TEST_F(Threads, CloseWhileOthersUseTheSlot) {
    if (!profile().concurrentCloseAll) {
        GTEST_SKIP() << "profile " << profile().name << ": C_CloseAllSessions under concurrent use crashes the module (NOTES.md)";
    }
    std::atomic<bool> stop{false};
    std::atomic<int> unexpected{0};
    std::thread closer([&] {
        for (int i = 0; i < 20; ++i) {
            CK_SESSION_HANDLE s = 0;
            if (f->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &s) == CKR_OK) f->C_CloseSession(s);
        }
        f->C_CloseAllSessions(slot_);
        stop = true;
    });
    inThreads(profile().threads / 2 + 1, [&](unsigned) {
        while (!stop) {
            CK_SESSION_HANDLE s = 0;
            if (f->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) {
                ++unexpected;
                continue;
            }
            CK_SESSION_INFO info{};
            const CK_RV rv = f->C_GetSessionInfo(s, &info);  // may have been closed by C_CloseAllSessions
            if (rv != CKR_OK && rv != CKR_SESSION_HANDLE_INVALID && rv != CKR_SESSION_CLOSED) ++unexpected;
            const CK_RV closed = f->C_CloseSession(s);
            if (closed != CKR_OK && closed != CKR_SESSION_HANDLE_INVALID && closed != CKR_SESSION_CLOSED) ++unexpected;
        }
    });
    closer.join();
    EXPECT_EQ(unexpected.load(), 0);
}

}  // namespace
}  // namespace conf
