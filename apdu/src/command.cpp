// SPDX-License-Identifier: Apache-2.0
#include "ias/apdu/command.hpp"

#include <algorithm>

#include "ias/apdu/error.hpp"

namespace ias::apdu {

namespace {
std::uint8_t shortLe(std::size_t ne) { return ne == CommandApdu::kMaxShortNe ? 0 : static_cast<std::uint8_t>(ne); }
}  // namespace

SecureBytes CommandApdu::encode() const {
    if (data.size() > kMaxExtendedLc) throw Error(ErrorKind::Malformed, "command data too long");
    if (ne > kMaxExtendedNe) throw Error(ErrorKind::Malformed, "Ne too large");
    SecureBytes out{cla, ins, p1, p2};
    out.reserve(9 + data.size());
    if (!needsExtended()) {
        if (!data.empty()) {
            out.push_back(static_cast<std::uint8_t>(data.size()));
            out.insert(out.end(), data.begin(), data.end());
        }
        if (ne != 0) out.push_back(shortLe(ne));
        return out;
    }
    out.push_back(0x00);
    if (!data.empty()) {
        out.push_back(static_cast<std::uint8_t>(data.size() >> 8));
        out.push_back(static_cast<std::uint8_t>(data.size()));
        out.insert(out.end(), data.begin(), data.end());
    }
    if (ne != 0) {
        const std::size_t le = ne == kMaxExtendedNe ? 0 : ne;
        out.push_back(static_cast<std::uint8_t>(le >> 8));
        out.push_back(static_cast<std::uint8_t>(le));
    }
    return out;
}

CommandApdu CommandApdu::parse(ByteView raw) {
    if (raw.size() < 4) throw Error(ErrorKind::Malformed, "command APDU shorter than 4 bytes");
    CommandApdu c;
    c.cla = raw[0];
    c.ins = raw[1];
    c.p1 = raw[2];
    c.p2 = raw[3];
    const std::size_t len = raw.size();
    if (len == 4) return c;  // case 1
    const std::size_t b5 = raw[4];
    if (len == 5) {  // case 2S
        c.ne = b5 == 0 ? kMaxShortNe : b5;
        return c;
    }
    if (b5 != 0) {
        if (len == 5 + b5) {  // case 3S
            c.data.assign(raw.begin() + 5, raw.end());
            return c;
        }
        if (len == 6 + b5) {  // case 4S
            c.data.assign(raw.begin() + 5, raw.begin() + 5 + static_cast<std::ptrdiff_t>(b5));
            c.ne = raw[len - 1] == 0 ? kMaxShortNe : raw[len - 1];
            return c;
        }
        throw Error(ErrorKind::Malformed, "Lc does not match the command length");
    }
    // b5 == 0 and more bytes follow: extended length.
    if (len < 7) throw Error(ErrorKind::Malformed, "truncated extended length");
    const std::size_t b67 = static_cast<std::size_t>(raw[5]) << 8 | raw[6];
    if (len == 7) {  // case 2E
        c.ne = b67 == 0 ? kMaxExtendedNe : b67;
        return c;
    }
    if (b67 == 0) throw Error(ErrorKind::Malformed, "extended Lc of zero");
    if (len == 7 + b67) {  // case 3E
        c.data.assign(raw.begin() + 7, raw.end());
        return c;
    }
    if (len == 9 + b67) {  // case 4E
        c.data.assign(raw.begin() + 7, raw.begin() + 7 + static_cast<std::ptrdiff_t>(b67));
        const std::size_t le = static_cast<std::size_t>(raw[len - 2]) << 8 | raw[len - 1];
        c.ne = le == 0 ? kMaxExtendedNe : le;
        return c;
    }
    throw Error(ErrorKind::Malformed, "extended Lc does not match the command length");
}

std::vector<CommandApdu> CommandApdu::chained(std::size_t maxChunk) const {
    if (maxChunk == 0) throw Error(ErrorKind::Internal, "chunk size of zero");
    if (data.size() <= maxChunk) return {*this};
    std::vector<CommandApdu> parts;
    for (std::size_t off = 0; off < data.size(); off += maxChunk) {
        const std::size_t n = std::min(maxChunk, data.size() - off);
        CommandApdu part;
        part.ins = ins;
        part.p1 = p1;
        part.p2 = p2;
        part.sensitive = sensitive;
        part.data.assign(data.begin() + static_cast<std::ptrdiff_t>(off),
                         data.begin() + static_cast<std::ptrdiff_t>(off + n));
        const bool last = off + n == data.size();
        part.cla = last ? static_cast<std::uint8_t>(cla & ~kChainingBit) : static_cast<std::uint8_t>(cla | kChainingBit);
        part.ne = last ? ne : 0;
        parts.push_back(std::move(part));
    }
    return parts;
}

std::string CommandApdu::header() const {
    const std::uint8_t h[4] = {cla, ins, p1, p2};
    return toHex(h, ' ');
}

std::string CommandApdu::describe() const {
    std::string out = header();
    if (!data.empty()) {
        out += " Lc=" + std::to_string(data.size());
        out += sensitive ? " [redacted]" : "";
    }
    if (ne != 0) out += " Ne=" + std::to_string(ne);
    return out;
}

}  // namespace ias::apdu
