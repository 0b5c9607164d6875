// SPDX-License-Identifier: Apache-2.0
#include "mutex.hpp"

#include <mutex>

#include "error.hpp"

namespace ias::p11 {

namespace {

class OsMutex final : public Mutex {
public:
    void lock() override { m_.lock(); }
    void unlock() override { m_.unlock(); }

private:
    std::mutex m_;
};

class CallbackMutex final : public Mutex {
public:
    CallbackMutex(CK_CREATEMUTEX create, CK_DESTROYMUTEX destroy, CK_LOCKMUTEX lock, CK_UNLOCKMUTEX unlock)
        : destroy_(destroy), lock_(lock), unlock_(unlock) {
        if (create(&handle_) != CKR_OK) fail(CKR_CANT_LOCK, "application CreateMutex failed");
    }
    ~CallbackMutex() override { destroy_(handle_); }
    CallbackMutex(const CallbackMutex&) = delete;
    CallbackMutex& operator=(const CallbackMutex&) = delete;
    void lock() override {
        if (lock_(handle_) != CKR_OK) fail(CKR_CANT_LOCK, "application LockMutex failed");
    }
    void unlock() override { unlock_(handle_); }

private:
    CK_DESTROYMUTEX destroy_;
    CK_LOCKMUTEX lock_;
    CK_UNLOCKMUTEX unlock_;
    void* handle_ = nullptr;
};

}  // namespace

MutexFactory::MutexFactory(const CK_C_INITIALIZE_ARGS* args) {
    if (args == nullptr) return;
    const int given = (args->CreateMutex != nullptr) + (args->DestroyMutex != nullptr) +
                      (args->LockMutex != nullptr) + (args->UnlockMutex != nullptr);
    if (given != 0 && given != 4) fail(CKR_ARGUMENTS_BAD, "some but not all mutex callbacks given");
    // OS locking is preferred whenever allowed; callbacks only when they are the sole option.
    if (given == 4 && (args->flags & CKF_OS_LOCKING_OK) == 0) {
        useCallbacks_ = true;
        create_ = args->CreateMutex;
        destroy_ = args->DestroyMutex;
        lock_ = args->LockMutex;
        unlock_ = args->UnlockMutex;
    }
}

std::unique_ptr<Mutex> MutexFactory::make() const {
    if (useCallbacks_) return std::make_unique<CallbackMutex>(create_, destroy_, lock_, unlock_);
    return std::make_unique<OsMutex>();
}

}  // namespace ias::p11
