// SPDX-License-Identifier: Apache-2.0
// Locks of the module. With CKF_OS_LOCKING_OK (or no arguments) they are OS mutexes; when
// the application passes only mutex callbacks, they are the application's mutexes
// (PKCS#11 v2.40 §5.4 C_Initialize). No condition variables, no threads.
#pragma once

#include <memory>

#include "ias/p11/pkcs11.hpp"

namespace ias::p11 {

class Mutex {
public:
    virtual ~Mutex() = default;
    virtual void lock() = 0;
    virtual void unlock() = 0;
};

class MutexFactory {
public:
    // From C_Initialize arguments (null = OS locking). Throws Error(CKR_ARGUMENTS_BAD) when
    // only some callbacks are given.
    explicit MutexFactory(const CK_C_INITIALIZE_ARGS* args);
    std::unique_ptr<Mutex> make() const;
    bool usesApplicationCallbacks() const { return useCallbacks_; }

private:
    bool useCallbacks_ = false;
    CK_CREATEMUTEX create_ = nullptr;
    CK_DESTROYMUTEX destroy_ = nullptr;
    CK_LOCKMUTEX lock_ = nullptr;
    CK_UNLOCKMUTEX unlock_ = nullptr;
};

}  // namespace ias::p11
