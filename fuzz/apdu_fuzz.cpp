// SPDX-License-Identifier: Apache-2.0
// apdu_fuzz: CommandApdu::parse / encode / chained and ResponseApdu::parse / encode on
// arbitrary bytes. Expected failure: apdu::Error(Malformed). Properties:
//  * parse(encode(c)) == c for every parsed command c, and encode is stable;
//  * an input already in the shortest form is re-encoded byte for byte;
//  * chaining splits the data without loss, CLA chaining bit on all but the last part;
//  * ResponseApdu::parse(raw).encode() == raw.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "ias/apdu/command.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/response.hpp"

using namespace ias::apdu;
using ias::fuzz::fail;

namespace {

bool same(const CommandApdu& a, const CommandApdu& b) {
    return a.cla == b.cla && a.ins == b.ins && a.p1 == b.p1 && a.p2 == b.p2 && a.ne == b.ne && a.data == b.data;
}

template <class A, class B>
bool equalBytes(const A& a, const B& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

void commandProperties(ByteView raw) {
    CommandApdu c;
    try {
        c = CommandApdu::parse(raw);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Malformed) fail("CommandApdu::parse threw a non-Malformed error");
        return;
    }
    if (c.data.size() > CommandApdu::kMaxExtendedLc || c.ne > CommandApdu::kMaxExtendedNe) fail("parse out of limits");
    const SecureBytes enc = c.encode();  // within the limits: must not throw
    const CommandApdu back = CommandApdu::parse(enc);
    if (!same(back, c)) fail("parse(encode(c)) != c");
    if (!equalBytes(back.encode(), enc)) fail("encode not stable");
    if (enc.size() > raw.size()) fail("re-encoding longer than the input");
    if (enc.size() == raw.size() && !equalBytes(enc, raw)) fail("shortest-form input not re-encoded identically");
    (void)c.header();
    (void)c.describe();

    // Chaining with a chunk size derived from the input.
    const std::size_t chunk = 1 + (raw.size() > 1 ? raw[1] % 64 : 0);
    const auto parts = c.chained(chunk);
    SecureBytes joined;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const bool last = i + 1 == parts.size();
        const auto& p = parts[i];
        if (p.data.size() > chunk) fail("chunk too big");
        if (p.ins != c.ins || p.p1 != c.p1 || p.p2 != c.p2) fail("chained header");
        if (parts.size() > 1) {
            const bool bit = (p.cla & CommandApdu::kChainingBit) != 0;
            if (bit == last) fail("chaining bit");
            if (!last && p.ne != 0) fail("Ne on a middle part");
        }
        append(joined, ByteView(p.data));
    }
    if (joined != c.data) fail("chained data lost");
    if (parts.back().ne != c.ne) fail("Ne not on the last part");
}

void responseProperties(ByteView raw) {
    try {
        const ResponseApdu r = ResponseApdu::parse(raw);
        if (!equalBytes(r.encode(), raw)) fail("ResponseApdu round trip");
        (void)r.sw.describe();
        (void)r.sw.triesLeft();
    } catch (const Error&) {
        if (raw.size() >= 2) fail("ResponseApdu::parse refused 2+ bytes");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView raw(data, size);
    commandProperties(raw);
    responseProperties(raw);
    return 0;
}
