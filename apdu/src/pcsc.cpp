// SPDX-License-Identifier: Apache-2.0
#include "ias/apdu/pcsc.hpp"
#include "ias/apdu/connection.hpp"

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <type_traits>

namespace ias::apdu {

static_assert(std::is_same_v<SCARDCONTEXT, long>, "pcsc-lite handle types changed: adjust pcsc.hpp");
static_assert(std::is_same_v<SCARDHANDLE, long>, "pcsc-lite handle types changed: adjust pcsc.hpp");
static_assert(std::is_same_v<LONG, long>, "pcsc-lite handle types changed: adjust pcsc.hpp");
static_assert(std::is_same_v<DWORD, unsigned long>, "pcsc-lite DWORD changed: adjust ReaderState");

// ---- the one table ------------------------------------------------------------------

namespace {

#define IAS_PCSC_ENTRY(code, kind) PcscErrorInfo{code, #code, ErrorKind::kind}

// SCARD_E_UNSUPPORTED_FEATURE has the same value as SCARD_E_UNEXPECTED in pcsc-lite.
constexpr PcscErrorInfo kTable[] = {
    IAS_PCSC_ENTRY(SCARD_F_INTERNAL_ERROR, Internal),
    IAS_PCSC_ENTRY(SCARD_E_CANCELLED, Transport),
    IAS_PCSC_ENTRY(SCARD_E_INVALID_HANDLE, Transport),
    IAS_PCSC_ENTRY(SCARD_E_INVALID_PARAMETER, Internal),
    IAS_PCSC_ENTRY(SCARD_E_INVALID_TARGET, Internal),
    IAS_PCSC_ENTRY(SCARD_E_NO_MEMORY, Internal),
    IAS_PCSC_ENTRY(SCARD_F_WAITED_TOO_LONG, Transport),
    IAS_PCSC_ENTRY(SCARD_E_INSUFFICIENT_BUFFER, Internal),
    IAS_PCSC_ENTRY(SCARD_E_UNKNOWN_READER, NoReader),
    IAS_PCSC_ENTRY(SCARD_E_TIMEOUT, Transport),
    IAS_PCSC_ENTRY(SCARD_E_SHARING_VIOLATION, Transport),
    IAS_PCSC_ENTRY(SCARD_E_NO_SMARTCARD, CardRemoved),
    IAS_PCSC_ENTRY(SCARD_E_UNKNOWN_CARD, Transport),
    IAS_PCSC_ENTRY(SCARD_E_CANT_DISPOSE, Transport),
    IAS_PCSC_ENTRY(SCARD_E_PROTO_MISMATCH, Transport),
    IAS_PCSC_ENTRY(SCARD_E_NOT_READY, Transport),
    IAS_PCSC_ENTRY(SCARD_E_INVALID_VALUE, Internal),
    IAS_PCSC_ENTRY(SCARD_E_SYSTEM_CANCELLED, NoService),
    IAS_PCSC_ENTRY(SCARD_F_COMM_ERROR, Transport),
    IAS_PCSC_ENTRY(SCARD_F_UNKNOWN_ERROR, Transport),
    IAS_PCSC_ENTRY(SCARD_E_INVALID_ATR, Transport),
    IAS_PCSC_ENTRY(SCARD_E_NOT_TRANSACTED, Transport),
    IAS_PCSC_ENTRY(SCARD_E_READER_UNAVAILABLE, NoReader),
    IAS_PCSC_ENTRY(SCARD_P_SHUTDOWN, NoService),
    IAS_PCSC_ENTRY(SCARD_E_PCI_TOO_SMALL, Internal),
    IAS_PCSC_ENTRY(SCARD_E_READER_UNSUPPORTED, NoReader),
    IAS_PCSC_ENTRY(SCARD_E_DUPLICATE_READER, NoReader),
    IAS_PCSC_ENTRY(SCARD_E_CARD_UNSUPPORTED, Transport),
    IAS_PCSC_ENTRY(SCARD_E_NO_SERVICE, NoService),
    IAS_PCSC_ENTRY(SCARD_E_SERVICE_STOPPED, NoService),
    IAS_PCSC_ENTRY(SCARD_E_UNEXPECTED, Transport),
    IAS_PCSC_ENTRY(SCARD_E_ICC_INSTALLATION, Transport),
    IAS_PCSC_ENTRY(SCARD_E_ICC_CREATEORDER, Transport),
    IAS_PCSC_ENTRY(SCARD_E_DIR_NOT_FOUND, Transport),
    IAS_PCSC_ENTRY(SCARD_E_FILE_NOT_FOUND, Transport),
    IAS_PCSC_ENTRY(SCARD_E_NO_DIR, Transport),
    IAS_PCSC_ENTRY(SCARD_E_NO_FILE, Transport),
    IAS_PCSC_ENTRY(SCARD_E_NO_ACCESS, Transport),
    IAS_PCSC_ENTRY(SCARD_E_WRITE_TOO_MANY, Transport),
    IAS_PCSC_ENTRY(SCARD_E_BAD_SEEK, Transport),
    IAS_PCSC_ENTRY(SCARD_E_INVALID_CHV, Transport),
    IAS_PCSC_ENTRY(SCARD_E_UNKNOWN_RES_MNG, Transport),
    IAS_PCSC_ENTRY(SCARD_E_NO_SUCH_CERTIFICATE, Transport),
    IAS_PCSC_ENTRY(SCARD_E_CERTIFICATE_UNAVAILABLE, Transport),
    IAS_PCSC_ENTRY(SCARD_E_NO_READERS_AVAILABLE, NoReader),
    IAS_PCSC_ENTRY(SCARD_E_COMM_DATA_LOST, Transport),
    IAS_PCSC_ENTRY(SCARD_E_NO_KEY_CONTAINER, Transport),
    IAS_PCSC_ENTRY(SCARD_E_SERVER_TOO_BUSY, NoService),
    IAS_PCSC_ENTRY(SCARD_W_UNSUPPORTED_CARD, Transport),
    IAS_PCSC_ENTRY(SCARD_W_UNRESPONSIVE_CARD, Transport),
    IAS_PCSC_ENTRY(SCARD_W_UNPOWERED_CARD, Transport),
    IAS_PCSC_ENTRY(SCARD_W_RESET_CARD, CardReset),
    IAS_PCSC_ENTRY(SCARD_W_REMOVED_CARD, CardRemoved),
    IAS_PCSC_ENTRY(SCARD_W_SECURITY_VIOLATION, Transport),
    IAS_PCSC_ENTRY(SCARD_W_WRONG_CHV, Transport),
    IAS_PCSC_ENTRY(SCARD_W_CHV_BLOCKED, Transport),
    IAS_PCSC_ENTRY(SCARD_W_EOF, Transport),
    IAS_PCSC_ENTRY(SCARD_W_CANCELLED_BY_USER, Transport),
    IAS_PCSC_ENTRY(SCARD_W_CARD_NOT_AUTHENTICATED, Transport),
};

#undef IAS_PCSC_ENTRY

constexpr std::size_t kMaxExtendedResponse = 65536 + 2;

}  // namespace

PcscErrorInfo pcscErrorInfo(long code) noexcept {
    for (const auto& e : kTable) {
        if (e.code == code) return e;
    }
    return {code, "SCARD_unknown", ErrorKind::Transport};
}

std::span<const PcscErrorInfo> pcscErrorTable() noexcept { return kTable; }

void checkPcsc(long code, const char* function) {
    if (code == SCARD_S_SUCCESS) return;
    const PcscErrorInfo info = pcscErrorInfo(code);
    char hex[16];
    (void)std::snprintf(hex, sizeof hex, "0x%08lX", static_cast<unsigned long>(code) & 0xFFFFFFFFUL);
    throw Error(info.kind, std::string(function) + ": " + info.name + " (" + hex + ")");
}

// ---- reader state -------------------------------------------------------------------

bool ReaderState::changed() const { return eventState & SCARD_STATE_CHANGED; }
bool ReaderState::present() const { return eventState & SCARD_STATE_PRESENT; }
bool ReaderState::empty() const { return eventState & SCARD_STATE_EMPTY; }
bool ReaderState::unavailable() const { return eventState & (SCARD_STATE_UNAVAILABLE | SCARD_STATE_UNKNOWN); }
bool ReaderState::inUse() const { return eventState & SCARD_STATE_INUSE; }
void ReaderState::acknowledge() { currentState = eventState & ~static_cast<unsigned long>(SCARD_STATE_CHANGED); }

// ---- context ------------------------------------------------------------------------

PcscContext::PcscContext() {
    SCARDCONTEXT ctx = 0;
    checkPcsc(SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx), "SCardEstablishContext");
    context_ = ctx;
}

PcscContext::~PcscContext() { SCardReleaseContext(context_); }

std::vector<std::string> PcscContext::listReaders() const {
    for (int attempt = 0; attempt < 4; ++attempt) {
        DWORD len = 0;
        LONG rv = SCardListReaders(context_, nullptr, nullptr, &len);
        if (rv == SCARD_E_NO_READERS_AVAILABLE) return {};
        checkPcsc(rv, "SCardListReaders");
        std::string buf(len, '\0');
        rv = SCardListReaders(context_, nullptr, buf.data(), &len);
        if (rv == SCARD_E_NO_READERS_AVAILABLE) return {};
        if (rv == SCARD_E_INSUFFICIENT_BUFFER) continue;  // a reader appeared in between
        checkPcsc(rv, "SCardListReaders");
        buf.resize(std::min<std::size_t>(len, buf.size()));
        std::vector<std::string> out;
        for (std::size_t pos = 0; pos < buf.size() && buf[pos] != '\0';) {
            const std::size_t end = buf.find('\0', pos);
            const std::size_t stop = end == std::string::npos ? buf.size() : end;
            out.emplace_back(buf, pos, stop - pos);
            pos = stop + 1;
        }
        return out;
    }
    throw Error(ErrorKind::Transport, "SCardListReaders: reader list kept changing");
}

WaitResult PcscContext::waitForChange(std::vector<ReaderState>& states, std::chrono::milliseconds timeout) const {
    std::vector<SCARD_READERSTATE> raw(states.size());
    for (std::size_t i = 0; i < states.size(); ++i) {
        raw[i] = SCARD_READERSTATE{};
        raw[i].szReader = states[i].reader.c_str();
        raw[i].dwCurrentState = states[i].currentState;
    }
    const DWORD ms = timeout.count() < 0 ? INFINITE : static_cast<DWORD>(timeout.count());
    const LONG rv = SCardGetStatusChange(context_, ms, raw.data(), static_cast<DWORD>(raw.size()));
    if (rv == SCARD_E_TIMEOUT) return WaitResult::Timeout;
    if (rv == SCARD_E_CANCELLED) return WaitResult::Cancelled;
    checkPcsc(rv, "SCardGetStatusChange");
    for (std::size_t i = 0; i < states.size(); ++i) {
        states[i].eventState = raw[i].dwEventState;
        const std::size_t n = std::min<std::size_t>(raw[i].cbAtr, sizeof raw[i].rgbAtr);
        states[i].atr.assign(raw[i].rgbAtr, raw[i].rgbAtr + n);
    }
    return WaitResult::Changed;
}

void PcscContext::cancel() const noexcept { SCardCancel(context_); }

bool PcscContext::isValid() const noexcept { return SCardIsValidContext(context_) == SCARD_S_SUCCESS; }

// ---- card ---------------------------------------------------------------------------

namespace {
struct CardStatus {
    LONG result = SCARD_S_SUCCESS;
    DWORD state = 0;
    Bytes atr;
};

CardStatus queryStatus(SCARDHANDLE card) {
    char name[MAX_READERNAME];
    DWORD nameLen = sizeof name;
    DWORD proto = 0;
    std::uint8_t atr[MAX_ATR_SIZE];
    DWORD atrLen = sizeof atr;
    CardStatus status;
    status.result = SCardStatus(card, name, &nameLen, &status.state, &proto, atr, &atrLen);
    if (status.result == SCARD_S_SUCCESS) status.atr.assign(atr, atr + std::min<std::size_t>(atrLen, sizeof atr));
    return status;
}

DWORD protocolMask(CardProtocol p) { return p == CardProtocol::T1 ? SCARD_PROTOCOL_T1 : SCARD_PROTOCOL_T0; }
CardProtocol fromActive(DWORD active) { return active == SCARD_PROTOCOL_T0 ? CardProtocol::T0 : CardProtocol::T1; }
}  // namespace

PcscCard::PcscCard(const PcscContext& context, std::string reader) : reader_(std::move(reader)) {
    SCARDHANDLE h = 0;
    DWORD active = 0;
    LONG rv = SCardConnect(context.handle(), reader_.c_str(), SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &h, &active);
    if (rv == SCARD_E_PROTO_MISMATCH) {
        rv = SCardConnect(context.handle(), reader_.c_str(), SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0, &h, &active);
    }
    if (rv == SCARD_E_NO_SMARTCARD || rv == SCARD_W_REMOVED_CARD) {
        throw Error(ErrorKind::NoCard, "SCardConnect: " + std::string(pcscErrorInfo(rv).name));
    }
    checkPcsc(rv, "SCardConnect");
    card_ = h;
    protocol_ = fromActive(active);
}

PcscCard::~PcscCard() { SCardDisconnect(card_, SCARD_LEAVE_CARD); }

void PcscCard::reconnectWith(unsigned long initialization) {
    DWORD active = 0;
    checkPcsc(SCardReconnect(card_, SCARD_SHARE_SHARED, protocolMask(protocol_), initialization, &active),
              "SCardReconnect");
    protocol_ = fromActive(active);
    resets_.fetch_add(1);
}

void PcscCard::reconnect() { reconnectWith(SCARD_LEAVE_CARD); }
void PcscCard::resetCard() { reconnectWith(SCARD_RESET_CARD); }

void PcscCard::check(long code, const char* function) {
    if (code == SCARD_W_RESET_CARD) {
        reconnect();  // may itself throw CardRemoved / NoService
        throw Error(ErrorKind::CardReset, std::string(function) + ": card was reset, security state lost");
    }
    if (code != SCARD_S_SUCCESS && pcscErrorInfo(code).kind == ErrorKind::Transport && cardLeft()) {
        throw Error(ErrorKind::CardRemoved,
                    std::string(function) + ": " + pcscErrorInfo(code).name + ", the card has left the reader");
    }
    checkPcsc(code, function);
}

bool PcscCard::cardLeft() const {
    // pcsc-lite polls readers without events every 400 ms; on a loaded host its event
    // thread can lag: up to 2 s (only after a failed exchange, never on the normal path).
    constexpr int kRounds = 40;
    constexpr auto kPause = std::chrono::milliseconds(50);
    for (int round = 0; round < kRounds; ++round) {
        const CardStatus status = queryStatus(card_);
        const LONG rv = status.result;
        if (rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD || rv == SCARD_E_READER_UNAVAILABLE) return true;
        if (rv == SCARD_S_SUCCESS && (status.state & SCARD_ABSENT) != 0) return true;
        if (rv != SCARD_S_SUCCESS && rv != SCARD_W_RESET_CARD) return false;  // pcscd itself is in trouble
        std::this_thread::sleep_for(kPause);
    }
    return false;
}

Bytes PcscCard::atr() {
    CardStatus status = queryStatus(card_);
    check(status.result, "SCardStatus");
    return std::move(status.atr);
}

SecureBytes PcscCard::transmit(ByteView command, std::size_t maxResponse) {
    maxResponse = std::min(std::max<std::size_t>(maxResponse, 2), kMaxExtendedResponse);
    SecureBytes out(maxResponse);
    DWORD len = static_cast<DWORD>(out.size());
    const SCARD_IO_REQUEST* pci = protocol_ == CardProtocol::T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
    check(SCardTransmit(card_, pci, command.data(), static_cast<DWORD>(command.size()), nullptr, out.data(), &len),
          "SCardTransmit");
    out.resize(std::min<std::size_t>(len, out.size()));
    return out;
}

// ---- transaction and channel ------------------------------------------------------

Transaction::Transaction(PcscCard& card) : card_(card) {
    card_.check(SCardBeginTransaction(card_.handle()), "SCardBeginTransaction");
}

Transaction::~Transaction() { SCardEndTransaction(card_.handle(), SCARD_LEAVE_CARD); }

ResponseApdu PcscChannel::transmit(const CommandApdu& command) {
    const SecureBytes raw = command.encode();
    const SecureBytes answer = card_.transmit(raw, command.needsExtended() ? kMaxExtendedResponse : 258);
    if (answer.empty()) {
        // Nothing at all came back (a card pulled during the exchange: vpcd reports it so,
        // and pcscd may not have seen the removal yet). Its security state is gone either way.
        throw Error(ErrorKind::CardRemoved, "no answer from the card (command " + command.header() + "): removed");
    }
    if (answer.size() < 2) {
        throw Error(ErrorKind::Malformed, "answer shorter than a status word (command " + command.header() + ")");
    }
    return ResponseApdu::parse(answer);
}

}  // namespace ias::apdu

namespace ias::apdu {

CardConnection::~CardConnection() = default;

namespace {

class PcscConnection final : public CardConnection {
public:
    explicit PcscConnection(const std::string& reader)
        : context_(std::make_unique<PcscContext>()), card_(std::make_unique<PcscCard>(*context_, reader)), channel_(*card_) {}
    ~PcscConnection() override {
        card_.reset();  // SCardDisconnect before the context is released
    }
    PcscConnection(const PcscConnection&) = delete;
    PcscConnection& operator=(const PcscConnection&) = delete;

    void beginTransaction() override { card_->check(SCardBeginTransaction(card_->handle()), "SCardBeginTransaction"); }
    void endTransaction() noexcept override { SCardEndTransaction(card_->handle(), SCARD_LEAVE_CARD); }
    CardChannel& channel() override { return channel_; }
    std::uint64_t resetCount() const override { return card_->resetCount(); }
    void resetCard() override { card_->resetCard(); }
    Bytes atr() override { return card_->atr(); }

private:
    std::unique_ptr<PcscContext> context_;
    std::unique_ptr<PcscCard> card_;
    PcscChannel channel_;
};

}  // namespace

std::unique_ptr<CardConnection> connectPcsc(const std::string& reader) { return std::make_unique<PcscConnection>(reader); }

}  // namespace ias::apdu
