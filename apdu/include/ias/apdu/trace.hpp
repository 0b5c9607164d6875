// SPDX-License-Identifier: Apache-2.0
// TracingChannel: reports every exchange to a hook, for logs, tests and APDU counts.
//
// What a trace entry may contain: header bytes, Lc, Ne, response length, status word,
// elapsed time. Data bytes are off by default; when enabled they are still never shown
// for a command marked `sensitive` (PIN, PUK, secret, key), in either direction.
// Place the tracer right above the transport to see (and count) what goes on the wire,
// GET RESPONSE and chained parts included:
//     PcscChannel wire(card); TracingChannel traced(wire, hook); IsoChannel iso(traced);
//
// The hook runs on the transmitting thread, synchronously; exceptions it throws are
// swallowed (a trace must never change the outcome of a command). No output of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "ias/apdu/channel.hpp"
#include "ias/apdu/error.hpp"

namespace ias::apdu {

enum class TraceDirection {
    Command,   // about to be sent
    Response,  // answer received
    Failure,   // the inner channel threw (error kind in `error`)
};

struct TraceEntry {
    TraceDirection direction = TraceDirection::Command;
    std::uint64_t sequence = 0;       // exchange number; Command and its Response share it
    std::string header;               // "00 A4 00 0C"
    std::uint8_t ins = 0;
    std::size_t lc = 0;               // command data length
    std::size_t ne = 0;               // expected response length (0 = no Le)
    std::size_t responseLength = 0;   // response data length (Response only)
    StatusWord sw;                    // Response only
    std::chrono::microseconds elapsed{0};  // Response / Failure only
    bool redacted = false;            // the command is sensitive: no data bytes at all
    std::string dataHex;              // only with TraceOptions data flags, never if redacted
    ErrorKind error = ErrorKind::Internal;  // Failure only

    // One line, e.g. "> #3 00 20 00 01 Lc=8 [redacted]" or "< #3 63C2 len=0 412us".
    std::string text() const;
};

using TraceHook = std::function<void(const TraceEntry&)>;

struct TraceOptions {
    // Debug only: command data bytes of non-sensitive commands.
    bool includeCommandData = false;
    // Debug only: response data of non-sensitive commands. Beware: that can still be
    // decrypted plaintext (PSO DECIPHER is not marked sensitive); keep it off in production.
    bool includeResponseData = false;
};

class TracingChannel : public CardChannel {
public:
    // `inner` must outlive this object.
    TracingChannel(CardChannel& inner, TraceHook hook, TraceOptions options = {});

    ResponseApdu transmit(const CommandApdu& command) override;

private:
    void emit(const TraceEntry& e) noexcept;

    CardChannel& inner_;
    TraceHook hook_;
    TraceOptions options_;
    std::uint64_t sequence_ = 0;
};

// Counts the APDUs that pass a TracingChannel (Command entries). Thread-safe counters.
//     ApduCounter counter; TracingChannel t(wire, counter.hook());
//     counter.reset(); doOperation(); EXPECT_EQ(counter.commands(), 4u);
class ApduCounter {
public:
    TraceHook hook();
    std::size_t commands() const { return commands_.load(); }
    std::size_t failures() const { return failures_.load(); }
    // Commands with this INS byte (e.g. 0xC0 to count GET RESPONSE).
    std::size_t commandsWithIns(std::uint8_t ins) const { return perIns_[ins].load(); }
    void reset();

private:
    std::atomic<std::size_t> commands_{0};
    std::atomic<std::size_t> failures_{0};
    std::atomic<std::size_t> perIns_[256] = {};
};

// A hook that forwards to both hooks (either may be empty).
TraceHook combineHooks(TraceHook first, TraceHook second);

}  // namespace ias::apdu
