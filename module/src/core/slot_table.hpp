// SPDX-License-Identifier: Apache-2.0
// Slots = PC/SC readers. A slot ID is given to a reader name once and kept for the life of
// the library (a reader that comes back gets its old ID). Presence comes from pcscd
// (SCardGetStatusChange with a zero timeout: no card I/O); a Token is created on first use
// after insertion, outside the table lock.
//
// Slot events (C_WaitForSlotEvent): the readers and cards seen when the table is made
// (C_Initialize) are the starting point, not events. Afterwards each reader or card arriving
// or leaving (also a card swapped between two looks: pcsc-lite's event counter) marks its slot
// once; C_WaitForSlotEvent reports and clears one mark per call. A blocking wait sleeps in
// SCardGetStatusChange on the readers and the PnP pseudo-reader (readers plugged in count
// too), on a PC/SC context of its own, in slices of kWaitSlice: C_Finalize cancels it
// (SCardCancel), and a cancel that comes just before the wait begins is seen at the end of
// the slice. No thread is ever created.
//
// Lock order: Library sessions lock -> SlotTable::creationMutex_ -> SlotTable::mutex_ ->
// Token locks. The table lock is never held during card I/O or a blocking wait; the
// context_ is used only under mutex_ (pcsc-lite contexts are not for concurrent use).
#pragma once

#include <condition_variable>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ias/apdu/pcsc.hpp"
#include "ias/config/config.hpp"
#include "mutex.hpp"
#include "object_factory.hpp"
#include "token.hpp"

namespace ias::p11 {

struct SlotView {
    CK_SLOT_ID id = 0;
    std::string reader;
    bool readerPresent = false;
    bool cardPresent = false;
};

class SlotTable {
public:
    // `cache` (may be null): the public cache every token of the table uses.
    SlotTable(const MutexFactory& mutexes, std::vector<std::string> readerFilter, HandleAllocator objectHandles,
              std::shared_ptr<const card::CacheDirectory> cache = nullptr);
    ~SlotTable();
    SlotTable(const SlotTable&) = delete;
    SlotTable& operator=(const SlotTable&) = delete;

    // Refreshes from pcscd and lists the slots (only those with a card if tokenPresent).
    std::vector<CK_SLOT_ID> list(bool tokenPresent);
    // Refreshes presence; throws CKR_SLOT_ID_INVALID for an unknown ID.
    SlotView slot(CK_SLOT_ID id);
    // The token in the slot; connects and reads the card's identity on first use.
    // Throws CKR_TOKEN_NOT_PRESENT / CKR_SLOT_ID_INVALID / CKR_DEVICE_ERROR.
    std::shared_ptr<Token> token(CK_SLOT_ID id);
    // The token if one is already known (no refresh, no card I/O).
    std::shared_ptr<Token> knownToken(CK_SLOT_ID id) const;

    // C_WaitForSlotEvent: a slot with an event not reported yet (each event once). With
    // block = false returns nullopt when there is none; when blocking, waits until an event or
    // cancelWaits() (then throws CKR_CRYPTOKI_NOT_INITIALIZED), also in every later call.
    std::optional<CK_SLOT_ID> waitForEvent(bool block);
    // Ends every blocked waitForEvent (C_Finalize, from any thread).
    void cancelWaits() noexcept;

private:
    struct Slot {
        CK_SLOT_ID id = 0;
        std::string reader;
        bool readerPresent = false;
        bool cardPresent = false;
        unsigned long pcscState = 0;  // last SCARD_STATE_* seen, with pcsc-lite's event count
        std::shared_ptr<Token> token;
        bool eventPending = false;
    };

    void refreshLocked();
    // pcscd failed: every token's card handle is dead; slots learn their cards again.
    void forgetAllTokensLocked();
    bool ensureContextLocked();
    Slot* findLocked(CK_SLOT_ID id);
    const Slot* findLocked(CK_SLOT_ID id) const;
    std::optional<CK_SLOT_ID> takeEventLocked();
    // The readers' states to wait on (present slots, as last seen).
    std::vector<apdu::ReaderState> waitStatesLocked() const;
    // One slice of a blocking wait on `states` (with the PnP reader last); false if cancelled.
    bool waitSlice(std::unique_ptr<apdu::PcscContext>& context, std::vector<apdu::ReaderState>& states);
    bool wanted(const std::string& reader) const;

    std::unique_ptr<Mutex> mutex_;
    // Held while a token is created (card I/O), so that concurrent first uses of a slot create
    // one token; taken before mutex_, never while holding it.
    std::unique_ptr<Mutex> creationMutex_;
    std::vector<std::string> readerFilter_;
    HandleAllocator objectHandles_;
    std::shared_ptr<const card::CacheDirectory> cache_;
    std::unique_ptr<apdu::PcscContext> context_;  // guarded by mutex_
    std::vector<Slot> slots_;                     // guarded by mutex_
    CK_SLOT_ID nextId_ = 0;
    // Contexts of the blocking waits, so that cancelWaits() can interrupt them; the condition
    // ends a wait that sleeps because pcscd is unavailable. Taken alone (never with mutex_).
    std::unique_ptr<Mutex> waitMutex_;
    std::condition_variable_any cancelSignal_;
    std::vector<const apdu::PcscContext*> waitContexts_;  // guarded by waitMutex_
    bool cancelled_ = false;                        // guarded by waitMutex_
};

}  // namespace ias::p11
