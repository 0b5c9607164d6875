// SPDX-License-Identifier: Apache-2.0
// Chapter "General-purpose functions" (PKCS#11 v2.40 §5.4, v3.0 §5.4): C_Initialize,
// C_Finalize, C_GetInfo, C_GetFunctionList, C_GetInterfaceList/C_GetInterface (3.0), and the
// rule that nothing but those works before C_Initialize (v2.40 §5.1 / §11.1 of the usage guide).
#include <atomic>
#include <cstring>
#include <mutex>

#include "harness.hpp"

namespace conf {
namespace {

using General = UninitialisedTest;
using GeneralInitialised = P11Test;

TEST_F(General, GetFunctionListNullIsArgumentsBad) { EXPECT_RV(CKR_ARGUMENTS_BAD, getFunctionList()(nullptr)); }

TEST_F(General, FunctionListVersionIs2x) {
    EXPECT_EQ(f->version.major, 2) << "the list returned by C_GetFunctionList is a CK_FUNCTION_LIST (v2.40 §5.4)";
    for (auto fn : {reinterpret_cast<void*>(f->C_Initialize), reinterpret_cast<void*>(f->C_Finalize),
                    reinterpret_cast<void*>(f->C_GetSlotList), reinterpret_cast<void*>(f->C_WaitForSlotEvent)}) {
        EXPECT_NE(fn, nullptr) << "every CK_FUNCTION_LIST entry must be set (stubs return CKR_FUNCTION_NOT_SUPPORTED)";
    }
}

TEST_F(General, CallsBeforeInitializeAreRefused) {
    CK_INFO info{};
    CK_ULONG n = 0;
    CK_SESSION_HANDLE s = 0;
    EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_GetInfo(&info));
    EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_GetSlotList(CK_FALSE, nullptr, &n));
    EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &s));
    EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_CloseSession(1));
    EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_Finalize(nullptr));
}

TEST_F(General, InitializeNullArgs) {
    EXPECT_RV(CKR_OK, f->C_Initialize(nullptr));
    EXPECT_RV(CKR_OK, f->C_Finalize(nullptr));
}

TEST_F(General, InitializeTwiceIsAlreadyInitialized) {
    ASSERT_RV(CKR_OK, f->C_Initialize(nullptr));
    EXPECT_RV(CKR_CRYPTOKI_ALREADY_INITIALIZED, f->C_Initialize(nullptr));
    EXPECT_RV(CKR_OK, f->C_Finalize(nullptr));
}

TEST_F(General, InitializeReservedNonNullIsArgumentsBad) {
    int dummy = 0;
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    args.pReserved = &dummy;
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_Initialize(&args));
}

CK_RV createMutex(CK_VOID_PTR_PTR m);
CK_RV destroyMutex(CK_VOID_PTR m);
CK_RV lockMutex(CK_VOID_PTR m);
CK_RV unlockMutex(CK_VOID_PTR m);
std::atomic<int> gMutexCalls{0};
CK_RV createMutex(CK_VOID_PTR_PTR m) {
    ++gMutexCalls;
    *m = new std::mutex;
    return CKR_OK;
}
CK_RV destroyMutex(CK_VOID_PTR m) {
    delete static_cast<std::mutex*>(m);
    return CKR_OK;
}
CK_RV lockMutex(CK_VOID_PTR m) {
    ++gMutexCalls;
    static_cast<std::mutex*>(m)->lock();
    return CKR_OK;
}
CK_RV unlockMutex(CK_VOID_PTR m) {
    static_cast<std::mutex*>(m)->unlock();
    return CKR_OK;
}

TEST_F(General, InitializeSomeMutexCallbacksIsArgumentsBad) {
    // v2.40 §5.4 C_Initialize: the four function pointers are all supplied or all NULL_PTR.
    CK_C_INITIALIZE_ARGS args{};
    args.CreateMutex = createMutex;
    args.LockMutex = lockMutex;
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_Initialize(&args));
}

TEST_F(General, InitializeWithMutexCallbacks) {
    // Callbacks, no CKF_OS_LOCKING_OK: the library uses them or answers CKR_CANT_LOCK.
    CK_C_INITIALIZE_ARGS args{};
    args.CreateMutex = createMutex;
    args.DestroyMutex = destroyMutex;
    args.LockMutex = lockMutex;
    args.UnlockMutex = unlockMutex;
    const CK_RV rv = f->C_Initialize(&args);
    EXPECT_RV_IN(rv, CKR_OK, CKR_CANT_LOCK);
    if (rv != CKR_OK) return;
    CK_INFO info{};
    EXPECT_RV(CKR_OK, f->C_GetInfo(&info));
    EXPECT_RV(CKR_OK, f->C_Finalize(nullptr));
}

TEST_F(General, InitializeWithOsLockingAndCallbacks) {
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    args.CreateMutex = createMutex;
    args.DestroyMutex = destroyMutex;
    args.LockMutex = lockMutex;
    args.UnlockMutex = unlockMutex;
    EXPECT_RV(CKR_OK, f->C_Initialize(&args));
    EXPECT_RV(CKR_OK, f->C_Finalize(nullptr));
}

TEST_F(General, InitializeNoOsThreads) {
    // CKF_LIBRARY_CANT_CREATE_OS_THREADS: OK, or CKR_NEED_TO_CREATE_THREADS if the library needs them.
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK | CKF_LIBRARY_CANT_CREATE_OS_THREADS;
    const CK_RV rv = f->C_Initialize(&args);
    EXPECT_RV_IN(rv, CKR_OK, CKR_NEED_TO_CREATE_THREADS);
    if (rv == CKR_OK) {
        EXPECT_RV(CKR_OK, f->C_Finalize(nullptr));
    }
}

TEST_F(General, FinalizeReservedNonNullIsArgumentsBad) {
    ASSERT_RV(CKR_OK, f->C_Initialize(nullptr));
    int dummy = 0;
    EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_Finalize(&dummy));
    EXPECT_RV(CKR_OK, f->C_Finalize(nullptr));
}

TEST_F(General, FinalizeTwice) {
    ASSERT_RV(CKR_OK, f->C_Initialize(nullptr));
    EXPECT_RV(CKR_OK, f->C_Finalize(nullptr));
    EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_Finalize(nullptr));
}

TEST_F(General, ReinitializeAfterFinalize) {
    for (int i = 0; i < 3; ++i) {
        ASSERT_RV(CKR_OK, f->C_Initialize(nullptr));
        CK_ULONG n = 0;
        EXPECT_RV(CKR_OK, f->C_GetSlotList(CK_TRUE, nullptr, &n));
        EXPECT_GE(n, 1u);
        ASSERT_RV(CKR_OK, f->C_Finalize(nullptr));
    }
}

TEST_F(GeneralInitialised, FinalizeWithOpenSessionsClosesThem) {
    const CK_SESSION_HANDLE s = openSession(true);
    loginUser(s);
    ASSERT_RV(CKR_OK, f->C_Finalize(nullptr));
    ASSERT_RV(CKR_OK, f->C_Initialize(nullptr));
    CK_SESSION_INFO info{};
    EXPECT_RV_IN(f->C_GetSessionInfo(s, &info), CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED);
    const CK_TOKEN_INFO t = tokenInfo();
    if (t.ulSessionCount != CK_UNAVAILABLE_INFORMATION) {
        EXPECT_EQ(t.ulSessionCount, 0u);
    }
    // The login went with the sessions (v2.40 §5.6: logged out when the last session closes).
    const CK_SESSION_HANDLE s2 = openSession(false);
    EXPECT_RV(CKR_OK, f->C_GetSessionInfo(s2, &info));
    EXPECT_EQ(info.state, CKS_RO_PUBLIC_SESSION);
}

TEST_F(GeneralInitialised, GetInfoFields) {
    CK_INFO info{};
    ASSERT_RV(CKR_OK, f->C_GetInfo(&info));
    EXPECT_TRUE(info.cryptokiVersion.major == 2 || info.cryptokiVersion.major == 3);
    if (info.cryptokiVersion.major == 2) {
        EXPECT_GE(info.cryptokiVersion.minor, 1);
    }
    EXPECT_TRUE(blankPadded(info.manufacturerID, sizeof info.manufacturerID));
    EXPECT_TRUE(blankPadded(info.libraryDescription, sizeof info.libraryDescription));
    EXPECT_EQ(info.flags, 0u) << "v2.40 §3.1 CK_INFO: flags bit flags reserved for future versions, must be zero";
}

TEST_F(GeneralInitialised, GetInfoNullIsArgumentsBad) { EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_GetInfo(nullptr)); }

TEST_F(GeneralInitialised, LegacyParallelFunctions) {
    // v2.40 §5.16: C_GetFunctionStatus / C_CancelFunction are legacy and return CKR_FUNCTION_NOT_PARALLEL.
    const CK_SESSION_HANDLE s = openSession();
    EXPECT_RV(CKR_FUNCTION_NOT_PARALLEL, f->C_GetFunctionStatus(s));
    EXPECT_RV(CKR_FUNCTION_NOT_PARALLEL, f->C_CancelFunction(s));
}

// --- PKCS#11 3.0 interface discovery (v3.0 §5.4.3, §5.4.4); skipped for a 2.40-only module ---

class Interfaces : public UninitialisedTest {
protected:
    void SetUp() override {
        UninitialisedTest::SetUp();
        if (!getInterface() || !getInterfaceList()) GTEST_SKIP() << "the module is PKCS#11 2.40 only (no C_GetInterface)";
    }
};

TEST_F(Interfaces, ListLengthConvention) {
    CK_ULONG n = 0;
    ASSERT_RV(CKR_OK, getInterfaceList()(nullptr, &n));
    ASSERT_GE(n, 1u);
    std::vector<CK_INTERFACE> list(n);
    CK_ULONG small = 0;
    EXPECT_RV(CKR_BUFFER_TOO_SMALL, getInterfaceList()(list.data(), &small));
    EXPECT_EQ(small, n);
    ASSERT_RV(CKR_OK, getInterfaceList()(list.data(), &n));
    bool standard = false;
    for (const CK_INTERFACE& i : list)
        if (std::strcmp(reinterpret_cast<const char*>(i.pInterfaceName), "PKCS 11") == 0) standard = true;
    EXPECT_TRUE(standard) << "no \"PKCS 11\" interface";
    EXPECT_RV(CKR_ARGUMENTS_BAD, getInterfaceList()(list.data(), nullptr));
}

TEST_F(Interfaces, DefaultInterface) {
    CK_INTERFACE_PTR i = nullptr;
    ASSERT_RV(CKR_OK, getInterface()(nullptr, nullptr, &i, 0));
    ASSERT_NE(i, nullptr);
    const auto* v = static_cast<const CK_VERSION*>(i->pFunctionList);
    EXPECT_TRUE(v->major == 2 || v->major == 3);
    EXPECT_RV(CKR_ARGUMENTS_BAD, getInterface()(nullptr, nullptr, nullptr, 0));
}

TEST_F(Interfaces, RequestedVersions) {
    CK_UTF8CHAR name[] = "PKCS 11";
    CK_VERSION v240{2, 40}, v30{3, 0};
    CK_INTERFACE_PTR i = nullptr;
    ASSERT_RV(CKR_OK, getInterface()(name, &v240, &i, 0));
    EXPECT_EQ(static_cast<const CK_VERSION*>(i->pFunctionList)->major, 2);
    ASSERT_RV(CKR_OK, getInterface()(name, &v30, &i, 0));
    EXPECT_EQ(static_cast<const CK_VERSION*>(i->pFunctionList)->major, 3);
    CK_UTF8CHAR other[] = "Vendor XYZ";
    EXPECT_RV(CKR_ARGUMENTS_BAD, getInterface()(other, nullptr, &i, 0));
}

}  // namespace
}  // namespace conf
