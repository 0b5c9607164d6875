// SPDX-License-Identifier: Apache-2.0
// PC/SC transport over pcsc-lite: context, card connection, transaction guard, channel.
//
// Errors: every PC/SC return code is mapped to an ErrorKind by one table
// (pcscErrorInfo). Card reset and removal are normal events, reported as
// Error(CardReset) / Error(CardRemoved): on CardReset the connection has already been
// re-established (SCardReconnect) and PcscCard::resetCount() incremented, so the caller
// drops its cached security state (PIN verified, SM session, selected file) and retries.
//
// Threads: none are created. A PcscContext may be shared: cancel() is meant to be called
// from another thread to interrupt waitForChange() (pcsc-lite's SCardCancel). A PcscCard
// and the channels on it are used by one thread at a time (the caller's per-slot lock);
// no lock is taken here. Nothing is printed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ias/apdu/bytes.hpp"
#include "ias/apdu/channel.hpp"
#include "ias/apdu/error.hpp"

namespace ias::apdu {

// ---- error table -------------------------------------------------------------------

struct PcscErrorInfo {
    long code;          // SCARD_* value (pcsc-lite LONG)
    const char* name;   // "SCARD_W_RESET_CARD"
    ErrorKind kind;
};

// Entry for `code`; unknown codes yield {code, "SCARD_unknown", Transport}.
PcscErrorInfo pcscErrorInfo(long code) noexcept;
// Every entry of the table (for tests and documentation).
std::span<const PcscErrorInfo> pcscErrorTable() noexcept;
// Throws Error(kind, "<function>: <NAME> (0x8010xxxx)") unless code is SCARD_S_SUCCESS.
void checkPcsc(long code, const char* function);

// ---- context ------------------------------------------------------------------------

struct ReaderState {
    ReaderState() = default;
    explicit ReaderState(std::string name, unsigned long known = 0) : reader(std::move(name)), currentState(known) {}

    std::string reader;              // reader name, or PcscContext::kPnpNotification
    unsigned long currentState = 0;  // what the caller knows (SCARD_STATE_* bits); 0 = unaware
    unsigned long eventState = 0;    // filled by waitForChange
    Bytes atr;                       // filled by waitForChange when a card is present

    bool changed() const;   // SCARD_STATE_CHANGED
    bool present() const;   // SCARD_STATE_PRESENT
    bool empty() const;     // SCARD_STATE_EMPTY
    bool unavailable() const;  // SCARD_STATE_UNAVAILABLE / UNKNOWN (reader gone)
    bool inUse() const;     // SCARD_STATE_INUSE
    // Copies eventState (without CHANGED) into currentState for the next wait.
    void acknowledge();
};

enum class WaitResult { Changed, Timeout, Cancelled };

class PcscContext {
public:
    // The special reader name that reports reader insertion/removal.
    static constexpr const char* kPnpNotification = "\\\\?PnP?\\Notification";

    // SCardEstablishContext(SCARD_SCOPE_SYSTEM). Throws Error(NoService) if pcscd is down.
    PcscContext();
    ~PcscContext();
    PcscContext(const PcscContext&) = delete;
    PcscContext& operator=(const PcscContext&) = delete;

    // Reader names; empty when no reader is plugged in.
    std::vector<std::string> listReaders() const;

    // SCardGetStatusChange on `states`; a timeout of zero polls, a negative one waits
    // forever. Cancelled when cancel() is called from another thread.
    WaitResult waitForChange(std::vector<ReaderState>& states, std::chrono::milliseconds timeout) const;

    // Interrupts a blocking waitForChange from any thread. Never throws.
    void cancel() const noexcept;

    // True while pcsc-lite still considers the context valid (SCardIsValidContext).
    bool isValid() const noexcept;

    long handle() const { return context_; }

private:
    long context_ = 0;
};

// ---- card connection ----------------------------------------------------------------

enum class CardProtocol { T0, T1 };

class PcscCard {
public:
    // SCardConnect in shared mode, T=1 preferred (T=0 accepted if T=1 is refused).
    // Throws Error(NoCard / NoReader / NoService / ...).
    PcscCard(const PcscContext& context, std::string reader);
    // SCardDisconnect(SCARD_LEAVE_CARD).
    ~PcscCard();
    PcscCard(const PcscCard&) = delete;
    PcscCard& operator=(const PcscCard&) = delete;

    const std::string& reader() const { return reader_; }
    CardProtocol protocol() const { return protocol_; }
    // ATR through SCardStatus (fresh each call).
    Bytes atr();

    // One SCardTransmit. `maxResponse` bounds the receive buffer (258 for short APDUs).
    // SCARD_W_RESET_CARD: reconnects, counts the reset and throws Error(CardReset).
    SecureBytes transmit(ByteView command, std::size_t maxResponse = 258);

    // SCardReconnect(SCARD_LEAVE_CARD) after someone else reset the card; bumps resetCount.
    void reconnect();
    // SCardReconnect(SCARD_RESET_CARD): resets the card ourselves; bumps resetCount.
    void resetCard();

    // Number of resets seen on this connection: compare to detect lost security state.
    std::uint64_t resetCount() const { return resets_.load(); }

    long handle() const { return card_; }

    // Turns SCARD_W_RESET_CARD into reconnect + Error(CardReset); other codes via the table,
    // except that a transmission failure of a card that is no longer there is CardRemoved.
    void check(long code, const char* function);

    // After a failed exchange: has the card left the reader? pcscd notices a removal by
    // polling, so this asks again for up to 2 s before answering no.
    bool cardLeft() const;

private:
    void reconnectWith(unsigned long initialization);

    std::string reader_;
    long card_ = 0;
    CardProtocol protocol_ = CardProtocol::T1;
    std::atomic<std::uint64_t> resets_{0};
};

// SCardBeginTransaction on construction, SCardEndTransaction(SCARD_LEAVE_CARD) on
// destruction (errors there are ignored: the card may be gone). If the card was reset by
// someone else, the constructor reconnects and throws Error(CardReset); the caller drops
// its state and opens a new Transaction.
class Transaction {
public:
    explicit Transaction(PcscCard& card);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

private:
    PcscCard& card_;
};

// CardChannel over a connected card: encodes the command (short, or extended when needed),
// transmits it, parses the answer. Use inside a Transaction.
class PcscChannel : public CardChannel {
public:
    explicit PcscChannel(PcscCard& card) : card_(card) {}
    ResponseApdu transmit(const CommandApdu& command) override;

private:
    PcscCard& card_;
};

}  // namespace ias::apdu
