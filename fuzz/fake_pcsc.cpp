// SPDX-License-Identifier: Apache-2.0
// The fake PC/SC layer of the p11_api target (see fake_pcsc.hpp). Defined in the fuzz
// executable, these SCard* functions take precedence over libpcsclite's for every call the
// statically linked module makes. Semantics follow pcsc-lite where the module depends on
// them: two-call SCardListReaders, the event counter in the upper 16 bits of dwEventState,
// SCARD_W_RESET_CARD until SCardReconnect, SCARD_W_REMOVED_CARD on handles of a pulled card,
// SCARD_E_INSUFFICIENT_BUFFER for short receive buffers. Nothing ever blocks.
#include "fake_pcsc.hpp"

#include <PCSC/winscard.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "fuzz_input.hpp"
#include "ias/sim/card.hpp"
#include "sim_card.hpp"

namespace ias::fuzz::pcsc {
namespace {

struct Handle {
    SCARDCONTEXT context = 0;
    unsigned insertion = 0;
    bool resetPending = false;
};

struct World {
    std::optional<sim::Card> card;
    bool present = false;
    bool secondReader = false;
    unsigned insertion = 0;  // bumped on every insertion: old handles see the removal
    unsigned events = 0;     // pcsc-lite's event counter (insertions and removals)
    std::set<SCARDCONTEXT> contexts;
    std::map<SCARDHANDLE, Handle> handles;
    std::optional<std::vector<std::uint8_t>> forgedNext;
    bool forged = false;
    std::size_t commands = 0;
    long nextId = 0x1000;
};

World& world() {
    static World w;
    return w;
}

std::string readerList() {
    std::string s(kReaderName);
    s.push_back('\0');
    if (world().secondReader) {
        s += kEmptyReaderName;
        s.push_back('\0');
    }
    s.push_back('\0');
    return s;
}

// The state of the handle for a call that talks to the card.
LONG useHandle(SCARDHANDLE h, bool consumeReset) {
    World& w = world();
    const auto it = w.handles.find(h);
    if (it == w.handles.end()) return SCARD_E_INVALID_HANDLE;
    if (!w.present || it->second.insertion != w.insertion) return SCARD_W_REMOVED_CARD;
    if (it->second.resetPending) {
        if (consumeReset) it->second.resetPending = false;
        return SCARD_W_RESET_CARD;
    }
    return SCARD_S_SUCCESS;
}

void resetBy(SCARDHANDLE except) {
    World& w = world();
    if (w.card) w.card->reset();
    for (auto& [h, handle] : w.handles) {
        if (h != except) handle.resetPending = true;
    }
}

}  // namespace

void begin(bool secondReader) {
    World& w = world();
    w = World{};
    w.card.emplace(pristineCard(), [](const sim::CardState&) {});
    w.card->powerOn();
    w.present = true;
    w.secondReader = secondReader;
    w.insertion = 1;
    w.events = 1;
}

void end() {
    World& w = world();
    if (!w.handles.empty()) fail("a PC/SC card handle left open after C_Finalize");
    if (!w.contexts.empty()) fail("a PC/SC context left open after C_Finalize");
    w.card.reset();
}

void replaceNextAnswer(std::vector<std::uint8_t> answer) { world().forgedNext = std::move(answer); }

void removeCard() {
    World& w = world();
    if (!w.present) return;
    w.present = false;
    ++w.events;
    if (w.card) w.card->powerOff();
}

void insertCard() {
    World& w = world();
    if (w.present) return;
    w.present = true;
    ++w.insertion;
    ++w.events;
    if (w.card) w.card->powerOn();
}

void resetCard() {
    if (world().present) resetBy(0);
}

bool answersForged() { return world().forged; }
std::size_t commandCount() { return world().commands; }

}  // namespace ias::fuzz::pcsc

using namespace ias::fuzz::pcsc;
using ias::fuzz::pcsc::world;

extern "C" {

const SCARD_IO_REQUEST g_rgSCardT0Pci = {SCARD_PROTOCOL_T0, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardT1Pci = {SCARD_PROTOCOL_T1, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardRawPci = {SCARD_PROTOCOL_RAW, sizeof(SCARD_IO_REQUEST)};

LONG SCardEstablishContext(DWORD, LPCVOID, LPCVOID, LPSCARDCONTEXT phContext) {
    if (phContext == nullptr) return SCARD_E_INVALID_PARAMETER;
    *phContext = world().nextId++;
    world().contexts.insert(*phContext);
    return SCARD_S_SUCCESS;
}

LONG SCardReleaseContext(SCARDCONTEXT hContext) {
    return world().contexts.erase(hContext) == 1 ? SCARD_S_SUCCESS : SCARD_E_INVALID_HANDLE;
}

LONG SCardIsValidContext(SCARDCONTEXT hContext) {
    return world().contexts.count(hContext) == 1 ? SCARD_S_SUCCESS : SCARD_E_INVALID_HANDLE;
}

LONG SCardListReaders(SCARDCONTEXT hContext, LPCSTR, LPSTR mszReaders, LPDWORD pcchReaders) {
    if (world().contexts.count(hContext) == 0) return SCARD_E_INVALID_HANDLE;
    if (pcchReaders == nullptr) return SCARD_E_INVALID_PARAMETER;
    const std::string list = readerList();
    if (mszReaders == nullptr) {
        *pcchReaders = static_cast<DWORD>(list.size());
        return SCARD_S_SUCCESS;
    }
    if (*pcchReaders < list.size()) {
        *pcchReaders = static_cast<DWORD>(list.size());
        return SCARD_E_INSUFFICIENT_BUFFER;
    }
    list.copy(mszReaders, list.size());  // the multi-string with its NULs
    *pcchReaders = static_cast<DWORD>(list.size());
    return SCARD_S_SUCCESS;
}

LONG SCardGetStatusChange(SCARDCONTEXT hContext, DWORD, SCARD_READERSTATE* rgReaderStates, DWORD cReaders) {
    World& w = world();
    if (w.contexts.count(hContext) == 0) return SCARD_E_INVALID_HANDLE;
    if (rgReaderStates == nullptr && cReaders > 0) return SCARD_E_INVALID_PARAMETER;
    bool changed = false;
    for (DWORD i = 0; i < cReaders; ++i) {
        SCARD_READERSTATE& s = rgReaderStates[i];
        if (s.dwCurrentState & SCARD_STATE_IGNORE) continue;
        DWORD now = 0;
        s.cbAtr = 0;
        if (s.szReader != nullptr && std::strcmp(s.szReader, kReaderName) == 0) {
            now = w.present ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY;
            if (w.present && !w.handles.empty()) now |= SCARD_STATE_INUSE;
            if (w.present) {
                const auto atr = w.card->atr();
                s.cbAtr = static_cast<DWORD>(std::min<std::size_t>(atr.size(), sizeof s.rgbAtr));
                std::memcpy(s.rgbAtr, atr.data(), s.cbAtr);
            }
        } else if (s.szReader != nullptr && w.secondReader && std::strcmp(s.szReader, kEmptyReaderName) == 0) {
            now = SCARD_STATE_EMPTY;
        } else {
            now = SCARD_STATE_UNKNOWN;
        }
        now |= static_cast<DWORD>(w.events & 0xFFFF) << 16;
        if (now != (s.dwCurrentState & ~static_cast<DWORD>(SCARD_STATE_CHANGED))) {
            now |= SCARD_STATE_CHANGED;
            changed = true;
        }
        s.dwEventState = now;
    }
    // Nothing happens in this world while the module waits: an unchanged state times out.
    return changed ? SCARD_S_SUCCESS : SCARD_E_TIMEOUT;
}

LONG SCardCancel(SCARDCONTEXT hContext) {
    return world().contexts.count(hContext) == 1 ? SCARD_S_SUCCESS : SCARD_E_INVALID_HANDLE;
}

LONG SCardFreeMemory(SCARDCONTEXT, LPCVOID) { return SCARD_S_SUCCESS; }

LONG SCardConnect(SCARDCONTEXT hContext, LPCSTR szReader, DWORD, DWORD dwPreferredProtocols, LPSCARDHANDLE phCard,
                  LPDWORD pdwActiveProtocol) {
    World& w = world();
    if (w.contexts.count(hContext) == 0) return SCARD_E_INVALID_HANDLE;
    if (szReader == nullptr || phCard == nullptr || pdwActiveProtocol == nullptr) return SCARD_E_INVALID_PARAMETER;
    if (w.secondReader && std::strcmp(szReader, kEmptyReaderName) == 0) return SCARD_E_NO_SMARTCARD;
    if (std::strcmp(szReader, kReaderName) != 0) return SCARD_E_UNKNOWN_READER;
    if (!w.present) return SCARD_E_NO_SMARTCARD;
    if ((dwPreferredProtocols & SCARD_PROTOCOL_T1) == 0) return SCARD_E_PROTO_MISMATCH;
    *phCard = w.nextId++;
    *pdwActiveProtocol = SCARD_PROTOCOL_T1;
    w.handles[*phCard] = Handle{hContext, w.insertion, false};
    return SCARD_S_SUCCESS;
}

LONG SCardReconnect(SCARDHANDLE hCard, DWORD, DWORD dwPreferredProtocols, DWORD dwInitialization, LPDWORD pdwActiveProtocol) {
    World& w = world();
    const auto it = w.handles.find(hCard);
    if (it == w.handles.end()) return SCARD_E_INVALID_HANDLE;
    if (!w.present || it->second.insertion != w.insertion) return SCARD_W_REMOVED_CARD;
    if ((dwPreferredProtocols & SCARD_PROTOCOL_T1) == 0) return SCARD_E_PROTO_MISMATCH;
    it->second.resetPending = false;
    if (dwInitialization == SCARD_RESET_CARD || dwInitialization == SCARD_UNPOWER_CARD) resetBy(hCard);
    if (pdwActiveProtocol != nullptr) *pdwActiveProtocol = SCARD_PROTOCOL_T1;
    return SCARD_S_SUCCESS;
}

LONG SCardDisconnect(SCARDHANDLE hCard, DWORD disposition) {
    World& w = world();
    if (w.handles.erase(hCard) == 0) return SCARD_E_INVALID_HANDLE;
    if (w.present && (disposition == SCARD_RESET_CARD || disposition == SCARD_UNPOWER_CARD)) resetBy(hCard);
    return SCARD_S_SUCCESS;
}

LONG SCardBeginTransaction(SCARDHANDLE hCard) { return useHandle(hCard, false); }

LONG SCardEndTransaction(SCARDHANDLE hCard, DWORD) {
    return world().handles.count(hCard) == 1 ? SCARD_S_SUCCESS : SCARD_E_INVALID_HANDLE;
}

LONG SCardStatus(SCARDHANDLE hCard, LPSTR mszReaderName, LPDWORD pcchReaderLen, LPDWORD pdwState, LPDWORD pdwProtocol, LPBYTE pbAtr,
                 LPDWORD pcbAtrLen) {
    World& w = world();
    const LONG rv = useHandle(hCard, false);
    if (rv != SCARD_S_SUCCESS) return rv;
    const std::size_t need = std::strlen(kReaderName) + 2;  // multi-string
    if (pcchReaderLen != nullptr) {
        if (mszReaderName != nullptr && *pcchReaderLen < need) return SCARD_E_INSUFFICIENT_BUFFER;
        if (mszReaderName != nullptr) {
            std::memset(mszReaderName, 0, need);
            std::memcpy(mszReaderName, kReaderName, need - 2);
        }
        *pcchReaderLen = static_cast<DWORD>(need);
    }
    const auto cardAtr = w.card->atr();
    if (pcbAtrLen != nullptr) {
        if (pbAtr != nullptr && *pcbAtrLen < cardAtr.size()) return SCARD_E_INSUFFICIENT_BUFFER;
        if (pbAtr != nullptr) std::memcpy(pbAtr, cardAtr.data(), cardAtr.size());
        *pcbAtrLen = static_cast<DWORD>(cardAtr.size());
    }
    if (pdwState != nullptr) *pdwState = SCARD_PRESENT | SCARD_POWERED | SCARD_NEGOTIABLE | SCARD_SPECIFIC;
    if (pdwProtocol != nullptr) *pdwProtocol = SCARD_PROTOCOL_T1;
    return SCARD_S_SUCCESS;
}

LONG SCardTransmit(SCARDHANDLE hCard, const SCARD_IO_REQUEST* pioSendPci, LPCBYTE pbSendBuffer, DWORD cbSendLength,
                   SCARD_IO_REQUEST*, LPBYTE pbRecvBuffer, LPDWORD pcbRecvLength) {
    World& w = world();
    const LONG rv = useHandle(hCard, false);
    if (rv != SCARD_S_SUCCESS) return rv;
    if (pioSendPci == nullptr || pbSendBuffer == nullptr || pbRecvBuffer == nullptr || pcbRecvLength == nullptr || cbSendLength == 0) {
        return SCARD_E_INVALID_PARAMETER;
    }
    if (pioSendPci->dwProtocol != SCARD_PROTOCOL_T1) return SCARD_E_PROTO_MISMATCH;
    ++w.commands;
    ias::apdu::Bytes answer = w.card->process(ias::apdu::ByteView(pbSendBuffer, cbSendLength));
    if (w.forgedNext) {
        answer.assign(w.forgedNext->begin(), w.forgedNext->end());
        w.forgedNext.reset();
        w.forged = true;
    }
    if (answer.size() > *pcbRecvLength) {
        *pcbRecvLength = static_cast<DWORD>(answer.size());
        return SCARD_E_INSUFFICIENT_BUFFER;
    }
    if (!answer.empty()) std::memcpy(pbRecvBuffer, answer.data(), answer.size());
    *pcbRecvLength = static_cast<DWORD>(answer.size());
    return SCARD_S_SUCCESS;
}

}  // extern "C"
