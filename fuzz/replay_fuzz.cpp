// SPDX-License-Identifier: Apache-2.0
// replay_fuzz: the APDU replay script parser (apdu/replay.hpp). Expected failure:
// apdu::Error(Malformed). Properties of an accepted script:
//  * every exchange has a command that parses, a response of 2+ bytes, a wildcard mask of
//    the command's size, wildcards only on `>!` lines;
//  * toText() parses back to the same script;
//  * a ReplayChannel fed the script's own commands replays it to the end.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_input.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/replay.hpp"

using namespace ias::apdu;
using ias::fuzz::fail;

namespace {

bool sameScript(const ReplayScript& a, const ReplayScript& b) {
    if (a.name != b.name || a.exchanges.size() != b.exchanges.size()) return false;
    for (std::size_t i = 0; i < a.exchanges.size(); ++i) {
        const auto& x = a.exchanges[i];
        const auto& y = b.exchanges[i];
        if (x.command != y.command || x.anyByte != y.anyByte || x.sensitive != y.sensitive || x.response != y.response) {
            return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    ReplayScript script;
    try {
        script = ReplayScript::parse(text);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Malformed) fail("parse threw a non-Malformed error");
        return 0;
    }
    for (const auto& ex : script.exchanges) {
        if (ex.anyByte.size() != ex.command.size()) fail("wildcard mask size");
        if (ex.response.size() < 2) fail("response shorter than SW1 SW2");
        bool wild = false;
        for (bool b : ex.anyByte) wild |= b;
        if (wild && !ex.sensitive) fail("wildcard on a `>` line");
        if (ex.commandLine == 0 || ex.responseLine <= ex.commandLine) fail("line numbers");
        (void)CommandApdu::parse(ex.command);  // the parser checked it: must not throw
        (void)ex.header();
        if (!ex.matches(ex.command)) fail("a command does not match itself");
    }
    ReplayScript again;
    try {
        again = ReplayScript::parse(script.toText());
    } catch (const Error&) {
        fail("toText() does not parse back");
    }
    if (!sameScript(script, again)) fail("toText() round trip");

    ReplayChannel channel(script);
    for (const auto& ex : script.exchanges) {
        try {
            const CommandApdu c = CommandApdu::parse(ex.command);
            const ResponseApdu r = channel.transmit(c);
            if (r.encode().size() != ex.response.size()) fail("replayed response size");
        } catch (const Error& e) {
            // A non-canonical command (e.g. extended form for short sizes) is re-encoded
            // differently and cannot match; replay stops there.
            if (e.kind() != ErrorKind::Malformed) fail("replay threw a non-Malformed error");
            break;
        }
    }
    return 0;
}
