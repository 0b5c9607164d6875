// SPDX-License-Identifier: Apache-2.0
#include "ias/apdu/replay.hpp"

#include <fstream>
#include <sstream>
#include <utility>

#include "ias/apdu/error.hpp"

namespace ias::apdu {

namespace {

[[noreturn]] void lineError(std::size_t line, const std::string& what) {
    throw Error(ErrorKind::Malformed, "replay script line " + std::to_string(line) + ": " + what);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Hex with optional `..` wildcards (only when allowed).
void parseBytes(std::string_view text, std::size_t line, bool allowWildcards, Bytes& out, std::vector<bool>& any) {
    std::string hex;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (ch == ' ' || ch == '\t') continue;
        if (ch == '.') {
            if (!allowWildcards) lineError(line, "`..` is only allowed on `>!` lines");
            if (i + 1 >= text.size() || text[i + 1] != '.' || hex.size() % 2 != 0) lineError(line, "bad `..` wildcard");
            if (!hex.empty()) {
                for (std::uint8_t b : fromHex(hex)) {
                    out.push_back(b);
                    any.push_back(false);
                }
                hex.clear();
            }
            out.push_back(0);
            any.push_back(true);
            ++i;
            continue;
        }
        hex.push_back(ch);
    }
    try {
        for (std::uint8_t b : fromHex(hex)) {
            out.push_back(b);
            any.push_back(false);
        }
    } catch (const Error&) {
        lineError(line, "invalid hex");
    }
}

}  // namespace

std::string ReplayExchange::header() const {
    if (command.size() < 4) return "(short command)";
    return toHex(ByteView(command).first(4), ' ');
}

bool ReplayExchange::matches(ByteView encoded) const {
    if (encoded.size() != command.size()) return false;
    bool same = true;
    for (std::size_t i = 0; i < command.size(); ++i) same &= anyByte[i] || command[i] == encoded[i];
    return same;
}

ReplayScript ReplayScript::parse(std::string_view text) {
    ReplayScript script;
    bool pending = false;
    std::size_t lineNo = 0;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++lineNo;
        if (line.empty()) continue;
        if (line.front() == '#') {
            std::string_view body = trim(line.substr(1));
            if (body.substr(0, 5) == "name:") {
                if (!script.exchanges.empty() || !script.name.empty()) lineError(lineNo, "`# name:` must come first, once");
                script.name = std::string(trim(body.substr(5)));
            }
            continue;
        }
        if (line.front() == '>') {
            if (pending) lineError(lineNo, "command without a response before it");
            ReplayExchange ex;
            ex.sensitive = line.size() > 1 && line[1] == '!';
            ex.commandLine = lineNo;
            parseBytes(line.substr(ex.sensitive ? 2 : 1), lineNo, ex.sensitive, ex.command, ex.anyByte);
            try {
                (void)CommandApdu::parse(ex.command);
            } catch (const Error&) {
                lineError(lineNo, "not a valid command APDU");
            }
            script.exchanges.push_back(std::move(ex));
            pending = true;
            continue;
        }
        if (line.front() == '<') {
            if (!pending) lineError(lineNo, "response without a command");
            ReplayExchange& ex = script.exchanges.back();
            std::vector<bool> any;
            parseBytes(line.substr(1), lineNo, false, ex.response, any);
            if (ex.response.size() < 2) lineError(lineNo, "response needs at least SW1 SW2");
            ex.responseLine = lineNo;
            pending = false;
            continue;
        }
        lineError(lineNo, "expected `>`, `>!`, `<` or `#`");
    }
    if (pending) lineError(script.exchanges.back().commandLine, "command without a response at end of script");
    return script;
}

ReplayScript ReplayScript::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::Malformed, "cannot read replay script " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    try {
        return parse(ss.str());
    } catch (const Error& e) {
        throw Error(ErrorKind::Malformed, path + ": " + e.what());
    }
}

std::string ReplayScript::toText() const {
    std::string out;
    if (!name.empty()) out += "# name: " + name + "\n";
    for (const auto& ex : exchanges) {
        out += ex.sensitive ? ">! " : "> ";
        for (std::size_t i = 0; i < ex.command.size(); ++i) {
            if (i != 0) out += ' ';
            out += ex.anyByte[i] ? std::string("..") : toHex(ByteView(ex.command).subspan(i, 1));
        }
        out += "\n< " + toHex(ex.response, ' ') + "\n";
    }
    return out;
}

void ReplayScript::save(const std::string& path) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << toText();
    if (!out) throw Error(ErrorKind::Internal, "cannot write replay script " + path);
}

ReplayRecorder::ReplayRecorder(CardChannel& inner, std::string name, RecorderOptions options)
    : inner_(inner), options_(options) {
    script_.name = std::move(name);
}

ResponseApdu ReplayRecorder::transmit(const CommandApdu& command) {
    ResponseApdu r = inner_.transmit(command);
    ReplayExchange ex;
    const SecureBytes encoded = command.encode();
    ex.command.assign(encoded.begin(), encoded.end());
    ex.anyByte.assign(ex.command.size(), false);
    ex.sensitive = command.sensitive;
    if (command.sensitive && options_.maskSensitiveData && !command.data.empty()) {
        // Data sits after the header and the Lc field (1 or 3 bytes).
        const std::size_t start = 4 + (command.needsExtended() ? 3 : 1);
        for (std::size_t i = 0; i < command.data.size(); ++i) {
            ex.command[start + i] = 0;
            ex.anyByte[start + i] = true;
        }
    }
    const SecureBytes resp = r.encode();
    ex.response.assign(resp.begin(), resp.end());
    ex.commandLine = ex.responseLine = 0;
    script_.exchanges.push_back(std::move(ex));
    return r;
}

ReplayChannel::ReplayChannel(ReplayScript script) : script_(std::move(script)) {}

ResponseApdu ReplayChannel::transmit(const CommandApdu& command) {
    const SecureBytes encoded = command.encode();
    if (finished()) {
        throw Error(ErrorKind::Malformed, "replay: command " + command.header() + " after the end of the script");
    }
    const ReplayExchange& ex = script_.exchanges[next_];
    if (!ex.matches(encoded)) {
        std::string why = ex.header() == command.header() ? " (same header, different length/data)" : "";
        throw Error(ErrorKind::Malformed, "replay: script line " + std::to_string(ex.commandLine) + " expects " +
                                              ex.header() + ", got " + command.header() + why);
    }
    ++next_;
    return ResponseApdu::parse(ex.response);
}

}  // namespace ias::apdu
