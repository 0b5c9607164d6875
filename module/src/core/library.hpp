// SPDX-License-Identifier: Apache-2.0
// Library state between C_Initialize and C_Finalize, and the accessors every entry point
// goes through (STYLE.md practice 9): currentLibrary() checks initialisation (and that we
// are not a forked child using the parent's state), sessionFor() checks the handle and
// that the session's token is still the one in the slot.
//
// Lock order: gLifecycle (library.cpp, init/finalize only) -> Library::sessionsMutex_ ->
// SlotTable -> Session::mutex() -> Token::cardMutex_ -> Token::stateMutex_.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <map>
#include <memory>

#include "ias/config/config.hpp"
#include "mutex.hpp"
#include "session.hpp"
#include "slot_table.hpp"

namespace ias::p11 {

class Library {
public:
    Library(const CK_C_INITIALIZE_ARGS* args, const config::Config& config);
    ~Library();
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;

    SlotTable& slots() { return *slots_; }
    const config::Config& config() const { return config_; }
    const UnblockSettings& unblock() const { return unblock_; }

    CK_SESSION_HANDLE openSession(CK_SLOT_ID slot, CK_FLAGS flags);
    // Throws CKR_SESSION_HANDLE_INVALID, or CKR_DEVICE_REMOVED (and drops the session)
    // when the card was removed.
    std::shared_ptr<Session> session(CK_SESSION_HANDLE handle);
    void closeSession(CK_SESSION_HANDLE handle);
    void closeAllSessions(CK_SLOT_ID slot);
    // Sessions on this slot: {all, read/write}.
    std::pair<CK_ULONG, CK_ULONG> sessionCounts(CK_SLOT_ID slot);
    bool hasReadOnlySession(CK_SLOT_ID slot);
    // When the last session of a token closes, PKCS#11 says the user is logged out.
    void onLastSessionClosed(const std::shared_ptr<Token>& token);

    CK_OBJECT_HANDLE nextObjectHandle() { return nextObjectHandle_.fetch_add(1); }

    pid_t owner() const { return owner_; }
    MutexFactory& mutexes() { return mutexes_; }

private:
    MutexFactory mutexes_;
    config::Config config_;
    pid_t owner_;
    std::atomic<CK_OBJECT_HANDLE> nextObjectHandle_{1};
    UnblockSettings unblock_;
    std::unique_ptr<SlotTable> slots_;
    std::unique_ptr<Mutex> sessionsMutex_;
    std::map<CK_SESSION_HANDLE, std::shared_ptr<Session>> sessions_;  // guarded by sessionsMutex_
    CK_SESSION_HANDLE nextSessionHandle_ = 1;                          // guarded; never reused
};

// The application took the 3.0 interface (C_GetInterface / C_GetInterfaceList): 3.0
// return codes such as CKR_PIN_TOO_WEAK may be used. Process-wide, set before C_Initialize.
void markVersion3Caller() noexcept;
bool version3Caller() noexcept;

CK_RV initializeLibrary(CK_VOID_PTR args) noexcept;
CK_RV finalizeLibrary(CK_VOID_PTR reserved) noexcept;
// Throws CKR_CRYPTOKI_NOT_INITIALIZED.
std::shared_ptr<Library> currentLibrary();

}  // namespace ias::p11
