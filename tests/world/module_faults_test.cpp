// SPDX-License-Identifier: Apache-2.0
// Issue 9, faults: pcscd killed and restarted, card removed and reinserted, reader unplugged
// while a thread of the same process signs in a loop. For each fault: the CK_RVs the module
// reports (in-flight loop, the old session afterwards), that the same process recovers
// (C_GetSlotList, C_OpenSession, C_Login, C_Sign work again) without C_Finalize, and that the
// process's file descriptor count is back to where it was. Prints the matrix. From the ASan
// build (scripts/test.sh world-asan) leaks are reported at exit. ctest LABELS world.
#include <dirent.h>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "module_loader.hpp"

namespace {

const std::string kRepo = IAS_SOURCE_DIR;
const std::string kFixture = "bash " + kRepo + "/tests/world/faults_fixture.sh ";

int openFds() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (readdir(d)) ++n;
        closedir(d);
    }
    return n - 3;  // ".", ".." and the DIR's own descriptor
}

std::string rvName(CK_RV rv) {
    static const std::map<CK_RV, std::string> names = {
        {CKR_OK, "CKR_OK"},
        {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
        {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
        {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
        {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
        {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID"},
        {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
        {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
        {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
        {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
        {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE"},
    };
    const auto it = names.find(rv);
    if (it != names.end()) return it->second;
    std::ostringstream hex;
    hex << "0x" << std::uppercase << std::hex << std::setfill('0') << std::setw(8) << rv;
    return hex.str();
}

std::string join(const std::set<CK_RV>& rvs) {
    std::string out;
    for (CK_RV rv : rvs) out += (out.empty() ? "" : ",") + rvName(rv);
    return out.empty() ? "-" : out;
}

struct Row {
    std::string fault;
    std::string inFlight;
    std::string oldSession;
    std::string recovery;
    int fdsBefore = 0;
    int fdsAfter = 0;
};
std::vector<Row>& matrix() {
    static std::vector<Row> rows;
    return rows;
}

class ModuleFaults : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ias::world_test::loadModule(lib_, p11_);
        if (HasFatalFailure()) return;
        const std::string conf = ::testing::TempDir() + "/ias-faults.conf";
        std::ofstream(conf) << "reader_filter = Virtual PCD 00 00\n";
        setenv("IAS_PKCS11_CONF", conf.c_str(), 1);
    }
    static void TearDownTestSuite() {
        std::printf("\n%-34s %-52s %-28s %-24s %s\n", "fault", "in-flight C_Sign loop saw", "old session after",
                    "recovery (no C_Finalize)", "fds before/after");
        for (const Row& r : matrix()) {
            std::printf("%-34s %-52s %-28s %-24s %d/%d\n", r.fault.c_str(), r.inFlight.c_str(), r.oldSession.c_str(),
                        r.recovery.c_str(), r.fdsBefore, r.fdsAfter);
        }
        EXPECT_EQ(std::fflush(stdout), 0) << "the fault matrix did not reach stdout";
    }

    void SetUp() override {
        ASSERT_EQ(std::system((kFixture + "restart >/dev/null").c_str()), 0);
        CK_C_INITIALIZE_ARGS args{};
        args.flags = CKF_OS_LOCKING_OK;
        ASSERT_EQ(p11_->C_Initialize(&args), CKR_OK);
    }
    void TearDown() override {
        p11_->C_Finalize(nullptr);
        // The world as the next test expects it.
        EXPECT_EQ(std::system((kFixture + "restart >/dev/null").c_str()), 0) << "world restart failed";
    }

    static CK_RV loginUser(CK_SESSION_HANDLE s) {
        static const char pin[] = "4711";
        const CK_RV rv = p11_->C_Login(s, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin)), 4);
        return rv == CKR_USER_ALREADY_LOGGED_IN ? CKR_OK : rv;
    }
    static CK_RV findKey(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE* key) {
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        CK_BYTE id = 0x45;
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, &id, 1}};
        CK_ULONG n = 0;
        CK_RV rv = p11_->C_FindObjectsInit(s, t, 2);
        if (rv != CKR_OK) return rv;
        rv = p11_->C_FindObjects(s, key, 1, &n);
        p11_->C_FindObjectsFinal(s);
        if (rv == CKR_OK && n != 1) rv = CKR_GENERAL_ERROR;
        return rv;
    }
    static CK_RV sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key) {
        CK_MECHANISM mech{CKM_SHA256_RSA_PKCS, nullptr, 0};
        CK_BYTE data[] = "fault matrix";
        CK_BYTE sig[512];
        CK_ULONG len = sizeof sig;
        const CK_RV rv = p11_->C_SignInit(s, &mech, key);
        if (rv != CKR_OK) return rv;
        return p11_->C_Sign(s, data, sizeof data - 1, sig, &len);
    }
    // A whole use from scratch: slot list, session, login, find, sign, close.
    static CK_RV fullUse() {
        CK_SLOT_ID slot = 0;
        CK_ULONG n = 1;
        CK_RV rv = p11_->C_GetSlotList(CK_TRUE, &slot, &n);
        if (rv != CKR_OK) return rv;
        if (n != 1) return CKR_TOKEN_NOT_PRESENT;
        CK_SESSION_HANDLE s = 0;
        rv = p11_->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s);
        if (rv != CKR_OK) return rv;
        CK_OBJECT_HANDLE key = 0;
        rv = loginUser(s);
        if (rv == CKR_OK) rv = findKey(s, &key);
        if (rv == CKR_OK) rv = sign(s, key);
        p11_->C_CloseSession(s);
        return rv;
    }

    // Runs one fault: a logged-in session and a thread signing on it in a loop, the fault,
    // then the world back, then the same process must work again.
    void runFault(const std::string& name, const std::string& fault, const std::set<CK_RV>& allowedAfter) {
        ASSERT_EQ(fullUse(), CKR_OK);
        const int fdsBefore = openFds();
        CK_SLOT_ID slot = 0;
        CK_ULONG n = 1;
        ASSERT_EQ(p11_->C_GetSlotList(CK_TRUE, &slot, &n), CKR_OK);
        CK_SESSION_HANDLE s = 0;
        ASSERT_EQ(p11_->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s), CKR_OK);
        ASSERT_EQ(loginUser(s), CKR_OK);
        CK_OBJECT_HANDLE key = 0;
        ASSERT_EQ(findKey(s, &key), CKR_OK);
        std::atomic<bool> stop{false};
        std::mutex seenMutex;
        std::set<CK_RV> seen;
        int okBefore = 0;
        std::thread signer([&] {
            while (!stop) {
                const CK_RV rv = sign(s, key);
                std::lock_guard lock(seenMutex);
                if (rv == CKR_OK) ++okBefore;
                seen.insert(rv);
            }
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        ASSERT_EQ(std::system((kFixture + fault + " >/dev/null").c_str()), 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
        stop = true;
        signer.join();
        const CK_RV old = sign(s, key);
        EXPECT_TRUE(allowedAfter.count(old)) << name << ": old session " << rvName(old);
        const CK_RV whileDown = fullUse();
        EXPECT_NE(whileDown, CKR_OK) << name << ": a full use worked while the fault lasted";
        EXPECT_TRUE(allowedAfter.count(whileDown) || whileDown == CKR_TOKEN_NOT_PRESENT) << rvName(whileDown);
        ASSERT_EQ(std::system((kFixture + "restart >/dev/null").c_str()), 0);
        const auto start = std::chrono::steady_clock::now();
        int attempts = 0;
        CK_RV rv = CKR_GENERAL_ERROR;
        std::set<CK_RV> recoverySeen;
        while (std::chrono::steady_clock::now() - start < std::chrono::seconds(15)) {
            ++attempts;
            rv = fullUse();
            if (rv == CKR_OK) break;
            recoverySeen.insert(rv);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        EXPECT_EQ(rv, CKR_OK) << name << ": no recovery, saw " << join(recoverySeen);
        EXPECT_EQ(fullUse(), CKR_OK);
        p11_->C_CloseSession(s);
        const int fdsAfter = openFds();
        EXPECT_EQ(fdsAfter, fdsBefore) << name << ": file descriptors";
        EXPECT_GT(okBefore, 0) << name << ": the loop never signed before the fault";
        std::set<CK_RV> failures = seen;
        failures.erase(CKR_OK);
        // The call whose transmission the fault cut may see CKR_DEVICE_ERROR; later calls must
        // see the removal (or the closed session).
        for (CK_RV f : failures) {
            EXPECT_TRUE(allowedAfter.count(f) || f == CKR_DEVICE_ERROR) << name << ": in-flight " << rvName(f);
        }
        Row row;
        row.fault = name;
        row.inFlight = std::to_string(okBefore) + " ok, then " + join(failures);
        row.oldSession = rvName(old);
        const long ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
        row.recovery = rv == CKR_OK ? "ok, " + std::to_string(attempts) + " try, " + std::to_string(ms) + " ms"
                                    : "FAILED " + join(recoverySeen);
        row.fdsBefore = fdsBefore;
        row.fdsAfter = fdsAfter;
        matrix().push_back(row);
    }

    static inline void* lib_ = nullptr;
    static inline CK_FUNCTION_LIST* p11_ = nullptr;
};

TEST_F(ModuleFaults, CardRemovedAndReinserted) {
    runFault("card removed + reinserted", "remove", {CKR_DEVICE_REMOVED, CKR_SESSION_HANDLE_INVALID});
}

TEST_F(ModuleFaults, PcscdKilledAndRestarted) {
    runFault("pcscd killed (-9) + restarted", "kill-pcscd", {CKR_DEVICE_REMOVED, CKR_SESSION_HANDLE_INVALID});
}

TEST_F(ModuleFaults, ReaderUnpluggedAndPluggedBack) {
    runFault("reader unplugged + plugged back", "unplug-reader", {CKR_DEVICE_REMOVED, CKR_SESSION_HANDLE_INVALID});
}

}  // namespace
