// SPDX-License-Identifier: Apache-2.0
#include "slot_table.hpp"

#include <pcsclite.h>

#include <algorithm>
#include <mutex>

#include "error.hpp"
#include "ias/apdu/error.hpp"
#include "log.hpp"

namespace ias::p11 {

namespace {
constexpr unsigned long kEventCountMask = 0xFFFF0000UL;
// A blocking wait's slice: how late a C_Finalize that comes just before the wait begins ends it.
constexpr std::chrono::milliseconds kWaitSlice{1000};
}  // namespace

SlotTable::SlotTable(const MutexFactory& mutexes, std::vector<std::string> readerFilter, HandleAllocator objectHandles,
                     std::shared_ptr<const card::CacheDirectory> cache)
    : mutex_(mutexes.make()),
      creationMutex_(mutexes.make()),
      readerFilter_(std::move(readerFilter)),
      objectHandles_(std::move(objectHandles)),
      cache_(std::move(cache)),
      waitMutex_(mutexes.make()) {
    // The readers and cards present now are where slot events start from (no card I/O).
    std::lock_guard lock(*mutex_);
    refreshLocked();
    for (Slot& s : slots_) s.eventPending = false;
}

SlotTable::~SlotTable() {
    // Tokens hold card handles of context_: release them first.
    slots_.clear();
    context_.reset();
}

bool SlotTable::wanted(const std::string& reader) const {
    if (readerFilter_.empty()) return true;
    return std::any_of(readerFilter_.begin(), readerFilter_.end(),
                       [&](const std::string& f) { return reader.find(f) != std::string::npos; });
}

bool SlotTable::ensureContextLocked() {
    if (context_ && context_->isValid()) return true;
    try {
        context_ = std::make_unique<apdu::PcscContext>();
        return true;
    } catch (const apdu::Error& e) {
        logf(LogLevel::Info, "PC/SC unavailable: %s", e.what());
        context_.reset();
        return false;
    }
}

void SlotTable::refreshLocked() {
    std::vector<std::string> readers;
    // pcsc-lite keeps a context "valid" after pcscd died (SCardIsValidContext checks only the
    // client side): a failed listing drops the context and tries once with a new one.
    for (int attempt = 0; attempt < 2 && ensureContextLocked(); ++attempt) {
        try {
            readers = context_->listReaders();
            break;
        } catch (const apdu::Error& e) {
            logf(LogLevel::Info, "listing readers failed: %s", e.what());
            context_.reset();
            forgetAllTokensLocked();  // their card handles belong to the pcscd that failed
        }
    }
    readers.erase(std::remove_if(readers.begin(), readers.end(), [&](const std::string& r) { return !wanted(r); }),
                  readers.end());
    for (Slot& s : slots_) {
        const bool present = std::find(readers.begin(), readers.end(), s.reader) != readers.end();
        if (!present && s.readerPresent) {
            s.readerPresent = false;
            s.cardPresent = false;
            if (s.token) s.token->markRemoved();
            s.token.reset();
            s.eventPending = true;
        }
    }
    for (const std::string& r : readers) {
        auto it = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.reader == r; });
        if (it == slots_.end()) {
            Slot s;
            s.id = nextId_++;
            s.reader = r;
            slots_.push_back(s);
            it = slots_.end() - 1;
        }
        if (!it->readerPresent) {
            it->readerPresent = true;
            it->pcscState = 0;
            it->eventPending = true;
        }
    }
    if (readers.empty() || !context_) return;
    std::vector<apdu::ReaderState> states;
    for (const Slot& s : slots_) {
        if (!s.readerPresent) continue;
        apdu::ReaderState st;
        st.reader = s.reader;
        st.currentState = s.pcscState;
        states.push_back(st);
    }
    try {
        context_->waitForChange(states, std::chrono::milliseconds(0));
    } catch (const apdu::Error& e) {
        logf(LogLevel::Info, "reader status failed: %s", e.what());
        return;
    }
    for (const auto& st : states) {
        auto it = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.reader == st.reader; });
        if (it == slots_.end() || !st.changed()) continue;
        const bool present = st.present() && !st.unavailable();
        const bool newEvent = (st.eventState & kEventCountMask) != (it->pcscState & kEventCountMask);
        if (present != it->cardPresent || newEvent) {
            // Removed, inserted, or swapped between two polls (pcsc-lite's event counter),
            // whether or not the card was used: a slot event either way.
            if (it->token) it->token->markRemoved();
            it->token.reset();
            it->eventPending = true;
        }
        it->cardPresent = present;
        it->pcscState = st.eventState & ~static_cast<unsigned long>(SCARD_STATE_CHANGED);
    }
    for (Slot& s : slots_) {
        if (s.token && s.token->isRemoved()) {
            s.token.reset();
            s.eventPending = true;
        }
    }
}

void SlotTable::forgetAllTokensLocked() {
    for (Slot& s : slots_) {
        if (s.token) {
            s.token->markRemoved();
            s.token.reset();
            s.eventPending = true;
        }
        s.cardPresent = false;
        s.pcscState = 0;
    }
}

SlotTable::Slot* SlotTable::findLocked(CK_SLOT_ID id) {
    auto it = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.id == id; });
    return it == slots_.end() ? nullptr : &*it;
}

const SlotTable::Slot* SlotTable::findLocked(CK_SLOT_ID id) const {
    auto it = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.id == id; });
    return it == slots_.end() ? nullptr : &*it;
}

std::vector<CK_SLOT_ID> SlotTable::list(bool tokenPresent) {
    std::lock_guard lock(*mutex_);
    refreshLocked();
    std::vector<CK_SLOT_ID> ids;
    for (const Slot& s : slots_) {
        if (s.readerPresent && (!tokenPresent || s.cardPresent)) ids.push_back(s.id);
    }
    return ids;
}

SlotView SlotTable::slot(CK_SLOT_ID id) {
    std::lock_guard lock(*mutex_);
    refreshLocked();  // also learns the readers when C_GetSlotList was not called yet
    const Slot* s = findLocked(id);
    if (s == nullptr) fail(CKR_SLOT_ID_INVALID, "unknown slot");
    return SlotView{s->id, s->reader, s->readerPresent, s->cardPresent};
}

std::shared_ptr<Token> SlotTable::knownToken(CK_SLOT_ID id) const {
    std::lock_guard lock(*mutex_);
    const Slot* s = findLocked(id);
    return s ? s->token : nullptr;
}

std::shared_ptr<Token> SlotTable::token(CK_SLOT_ID id) {
    {
        std::lock_guard lock(*mutex_);
        Slot* s = findLocked(id);
        if (s && s->token && !s->token->isRemoved()) return s->token;
    }
    // First use after insertion: one thread connects, the others wait for its token.
    std::lock_guard creation(*creationMutex_);
    std::string reader;
    unsigned long stateSeen = 0;
    {
        std::lock_guard lock(*mutex_);
        refreshLocked();
        Slot* s = findLocked(id);
        if (s == nullptr) fail(CKR_SLOT_ID_INVALID, "unknown slot");
        if (!s->readerPresent || !s->cardPresent) fail(CKR_TOKEN_NOT_PRESENT, "no card in the reader");
        if (s->token) return s->token;
        if (!context_) fail(CKR_DEVICE_ERROR, "PC/SC unavailable");
        reader = s->reader;
        stateSeen = s->pcscState;
    }
    // Card I/O (connect, identity) outside the table lock.
    std::shared_ptr<Token> token;
    try {
        token = std::make_shared<Token>(apdu::connectPcsc(reader), objectHandles_, cache_);
    } catch (const card::CardError& e) {
        logf(LogLevel::Warn, "card in '%s' is not a usable IAS-ECC token: %s", reader.c_str(), e.what());
        fail(CKR_TOKEN_NOT_RECOGNIZED, "not an IAS-ECC token");
    }
    std::lock_guard lock(*mutex_);
    Slot* s = findLocked(id);
    if ((s->pcscState & kEventCountMask) != (stateSeen & kEventCountMask) || !s->cardPresent) {
        token->markRemoved();
        fail(CKR_DEVICE_REMOVED, "card changed while connecting");
    }
    s->token = token;
    return token;
}

std::optional<CK_SLOT_ID> SlotTable::takeEventLocked() {
    for (Slot& s : slots_) {
        if (s.eventPending) {
            s.eventPending = false;
            return s.id;
        }
    }
    return std::nullopt;
}

std::vector<apdu::ReaderState> SlotTable::waitStatesLocked() const {
    std::vector<apdu::ReaderState> states;
    for (const Slot& s : slots_) {
        if (s.readerPresent) states.emplace_back(s.reader, s.pcscState);
    }
    return states;
}

bool SlotTable::waitSlice(std::unique_ptr<apdu::PcscContext>& context, std::vector<apdu::ReaderState>& states) {
    if (!context || !context->isValid()) {
        try {
            context = std::make_unique<apdu::PcscContext>();
        } catch (const apdu::Error&) {
            context.reset();  // pcscd unavailable: sleep below, then look again
        }
    }
    const apdu::PcscContext* registered = context.get();
    {
        std::lock_guard lock(*waitMutex_);
        if (cancelled_) return false;
        if (registered) waitContexts_.push_back(registered);
    }
    apdu::WaitResult result = apdu::WaitResult::Timeout;
    bool waited = false;
    if (context) {
        try {
            result = context->waitForChange(states, kWaitSlice);
            waited = true;
        } catch (const apdu::Error& e) {
            logf(LogLevel::Info, "waiting for slot events failed: %s", e.what());
        }
    }
    std::unique_lock lock(*waitMutex_);
    waitContexts_.erase(std::remove(waitContexts_.begin(), waitContexts_.end(), registered), waitContexts_.end());
    if (!waited) {
        context.reset();  // unregistered first (cancelWaits() may use it until then); a new one next time
        // No PC/SC wait happened: never spin, sleep the slice (cancelWaits() wakes us).
        cancelSignal_.wait_for(lock, kWaitSlice, [this] { return cancelled_; });
    }
    // cppcheck-suppress knownConditionTrueFalse ; cancelWaits() sets it from another thread while we wait
    return !cancelled_ && result != apdu::WaitResult::Cancelled;
}

std::optional<CK_SLOT_ID> SlotTable::waitForEvent(bool block) {
    std::unique_ptr<apdu::PcscContext> context;  // this wait's own context, kept over its slices
    apdu::ReaderState pnp(apdu::PcscContext::kPnpNotification);
    for (;;) {
        std::vector<apdu::ReaderState> states;
        {
            std::lock_guard lock(*mutex_);
            refreshLocked();
            if (auto id = takeEventLocked()) return id;
            if (!block) return std::nullopt;
            states = waitStatesLocked();
        }
        // The PnP reader's state carries the reader count pcsc-lite last told us: a reader
        // plugged in between two slices still ends the next one.
        states.push_back(pnp);
        if (!waitSlice(context, states)) fail(CKR_CRYPTOKI_NOT_INITIALIZED, "finalized while waiting");
        // What pcsc-lite reported (eventState is left 0 by a slice that timed out): the reader
        // count only, never its other bits (SCARD_STATE_IGNORE would silence the PnP reader).
        if (states.back().eventState != 0) pnp.currentState = states.back().eventState & kEventCountMask;
    }
}

void SlotTable::cancelWaits() noexcept {
    try {
        std::lock_guard lock(*waitMutex_);
        cancelled_ = true;
        for (const apdu::PcscContext* c : waitContexts_) c->cancel();
        cancelSignal_.notify_all();
    } catch (...) {
    }
}

}  // namespace ias::p11
