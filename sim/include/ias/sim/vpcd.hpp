// SPDX-License-Identifier: Apache-2.0
// The vpcd front end: the simulator is a TCP client of the vsmartcard vpcd reader driver
// loaded by pcscd. Framing: 2-byte big-endian length + payload. A 1-byte payload is a
// control message (00 power off, 01 power on, 02 reset, 04 "send the ATR"); anything else
// is a C-APDU answered with the R-APDU.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "ias/sim/card.hpp"

namespace ias::sim {

// Fault injection for robustness tests; each fault fires once, on the Nth C-APDU (1-based).
struct FaultPlan {
    enum class Kind { None, DropBefore, DropAfter, StatusWord6F00 };
    Kind kind = Kind::None;
    unsigned atApdu = 0;

    // "drop-before=N", "drop-after=N", "sw6f00=N"; nullopt when malformed.
    static std::optional<FaultPlan> parse(const std::string& spec);
};

struct VpcdOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 35963;
    unsigned latencyMs = 0;
    FaultPlan fault;
    std::string apduLog;    // header + Lc + SW per line, never any data
    std::string apduTrace;  // "> C-APDU" / "< R-APDU" lines (replay format); PIN/key data redacted
};

// Serves `card` until `stop` becomes true (checked at least every 200 ms). Reconnects when
// vpcd is not there yet or the connection drops. Returns 0 on a clean stop.
int serveVpcd(Card& card, const VpcdOptions& options, const std::atomic<bool>& stop);

// One log line for an exchange: "00 20 00 81 Lc=4 -> 63 C2" (no data, whatever the command).
std::string describeExchange(apdu::ByteView capdu, apdu::ByteView rapdu);
// Replay-format lines; the data of VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER,
// EXTERNAL/MUTUAL AUTHENTICATE and any SM command is replaced by "**" per byte.
std::string traceExchange(apdu::ByteView capdu, apdu::ByteView rapdu);

}  // namespace ias::sim
