// SPDX-License-Identifier: Apache-2.0
// CardConnection: one card in one reader, as the module's token uses it — exclusive
// transactions, a raw channel, the reset counter and a card reset. PcscConnection is the real
// one (pcsc-lite); tests give the token an in-process card instead (a simulator personality or
// a replayed trace), so the card application and the reset sequence run without pcscd.
//
// Threads: a connection is used by one thread at a time (the token's card lock).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ias/apdu/bytes.hpp"
#include "ias/apdu/channel.hpp"

namespace ias::apdu {

class CardConnection {
public:
    CardConnection() = default;
    CardConnection(const CardConnection&) = delete;
    CardConnection& operator=(const CardConnection&) = delete;
    virtual ~CardConnection();

    // Exclusive access until endTransaction(). If the card was reset by someone else since
    // the last transaction, reconnects, counts the reset and throws Error(CardReset).
    virtual void beginTransaction() = 0;
    virtual void endTransaction() noexcept = 0;
    // The raw channel (one C-APDU, one R-APDU); use inside a transaction.
    virtual CardChannel& channel() = 0;
    // Resets seen on this connection: a change means the card's security state is gone.
    virtual std::uint64_t resetCount() const = 0;
    // Resets the card ourselves (ends every verified PIN); counts as a reset.
    virtual void resetCard() = 0;
    virtual Bytes atr() = 0;
};

// RAII transaction on a connection.
class ConnectionTransaction {
public:
    explicit ConnectionTransaction(CardConnection& connection) : connection_(connection) { connection_.beginTransaction(); }
    ~ConnectionTransaction() { connection_.endTransaction(); }
    ConnectionTransaction(const ConnectionTransaction&) = delete;
    ConnectionTransaction& operator=(const ConnectionTransaction&) = delete;

private:
    CardConnection& connection_;
};

// The card in `reader` through pcsc-lite, with a PC/SC context of its own (pcsc-lite contexts
// must not be used by two threads at once). Throws Error(NoCard / NoReader / NoService).
std::unique_ptr<CardConnection> connectPcsc(const std::string& reader);

}  // namespace ias::apdu
