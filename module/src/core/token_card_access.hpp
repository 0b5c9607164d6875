// SPDX-License-Identifier: Apache-2.0
// Token::withCard, the one way card I/O happens (shared by token*.cpp): takes the card
// lock, opens one PC/SC transaction, builds the channel stack (ISO rules over tracing over
// PC/SC) and runs the operation. A reset seen at transaction start drops the login state and
// retries once (nothing was sent); removal (or pcscd gone) marks the token removed.
#pragma once

#include "error.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/iso_channel.hpp"
#include "log.hpp"
#include "token.hpp"

namespace ias::p11 {

inline void traceToLog(const apdu::TraceEntry& e) {
    if (logEnabled(LogLevel::Debug)) logLine(LogLevel::Debug, ("apdu " + e.text()).c_str());
}

template <class Operation>
auto Token::withCard(Operation&& op) {
    std::lock_guard cardLock(cardMutex_);
    {
        std::lock_guard stateLock(stateMutex_);
        if (removed_) fail(CKR_DEVICE_REMOVED, "card removed");
    }
    for (int attempt = 0;; ++attempt) {
        try {
            apdu::ConnectionTransaction transaction(*connection_);
            if (connection_->resetCount() != knownResets_) onCardReset();
            apdu::TracingChannel traced(connection_->channel(), traceToLog);
            apdu::IsoChannel iso(traced);
            card::IasCard card(iso, selectRules_);
            return op(card);
        } catch (const apdu::Error& e) {
            if (e.kind() == apdu::ErrorKind::CardReset) {
                onCardReset();
                if (attempt == 0) continue;  // reset seen at transaction start: nothing was sent
            }
            // pcscd gone (NoService): this connection is dead for good, like a removal.
            if (e.kind() == apdu::ErrorKind::CardRemoved || e.kind() == apdu::ErrorKind::NoCard ||
                e.kind() == apdu::ErrorKind::NoReader || e.kind() == apdu::ErrorKind::NoService) {
                std::lock_guard stateLock(stateMutex_);
                removed_ = true;
                soTicket_.reset();  // a ticket never outlives its card
            }
            throw;
        }
    }
}

}  // namespace ias::p11
