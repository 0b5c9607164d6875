// SPDX-License-Identifier: Apache-2.0
// APDU replay scripts: a text format for recorded exchanges, a recorder, and a fake card.
//
// Format (one item per line, UTF-8/ASCII):
//     # name: card init (Amos ATR)      optional, before the first command
//     # any other comment               ignored, as are blank lines
//     > 00 A4 00 0C 02 3F 00            command APDU, hex (spaces optional)
//     < 90 00                           its response: data then SW1 SW2
//     >! 00 20 00 01 08 .. .. .. .. .. .. .. ..
//     < 63 C2
// A `>!` line is a sensitive command (PIN, key): errors never show its data, and its
// data bytes may be written `..` (any byte matches) so that no secret is stored. `..`
// is refused on `>` lines. Every command must be followed by exactly one response.
// Parse errors throw Error(Malformed) with "line N: …".
//
// Use:
//     auto script = ReplayScript::parse(text);          // or ReplayScript::load(path)
//     ReplayChannel card(script);                        // a fake card: CardChannel
//     IsoChannel iso(card); ... run the code under test ...
//     EXPECT_TRUE(card.finished());
//
//     ReplayRecorder rec(liveChannel, "select MF");      // records a live exchange
//     rec.transmit(...); rec.script().save(path);        // or rec.script().toText()
//
// ReplayChannel expects exactly the next recorded command (byte for byte, after the
// wildcards) and returns the recorded response; a mismatch throws Error(Malformed)
// naming the script line and both headers, never command data.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ias/apdu/channel.hpp"

namespace ias::apdu {

struct ReplayExchange {
    Bytes command;              // encoded command; wildcard positions hold 00
    std::vector<bool> anyByte;  // same size as command: true where the script says `..`
    bool sensitive = false;     // `>!`
    Bytes response;             // data || SW1 SW2
    std::size_t commandLine = 0;
    std::size_t responseLine = 0;

    // "00 A4 00 0C" from the command bytes.
    std::string header() const;
    bool matches(ByteView encoded) const;
};

struct ReplayScript {
    std::string name;
    std::vector<ReplayExchange> exchanges;

    static ReplayScript parse(std::string_view text);
    // Reads a file; throws Error(Malformed) if it cannot be read or parsed.
    static ReplayScript load(const std::string& path);
    std::string toText() const;
    // Writes toText() to a file; throws Error(Internal) on I/O failure.
    void save(const std::string& path) const;
};

struct RecorderOptions {
    // Write the data bytes of sensitive commands as `..` (default), or verbatim (test
    // PINs only).
    bool maskSensitiveData = true;
};

// Decorator that records every exchange passing through it.
class ReplayRecorder : public CardChannel {
public:
    explicit ReplayRecorder(CardChannel& inner, std::string name = {}, RecorderOptions options = {});
    ResponseApdu transmit(const CommandApdu& command) override;
    const ReplayScript& script() const { return script_; }

private:
    CardChannel& inner_;
    ReplayScript script_;
    RecorderOptions options_;
};

// Fake card replaying a script.
class ReplayChannel : public CardChannel {
public:
    explicit ReplayChannel(ReplayScript script);
    ResponseApdu transmit(const CommandApdu& command) override;

    bool finished() const { return next_ == script_.exchanges.size(); }
    std::size_t remaining() const { return script_.exchanges.size() - next_; }
    const ReplayScript& script() const { return script_; }

private:
    ReplayScript script_;
    std::size_t next_ = 0;
};

}  // namespace ias::apdu
