// SPDX-License-Identifier: Apache-2.0
#include "ias/apdu/tlv.hpp"

#include "ias/apdu/error.hpp"

namespace ias::apdu {

namespace {

constexpr std::size_t kMaxTagBytes = 3;
constexpr std::size_t kMaxLengthBytes = 3;

[[noreturn]] void malformed(const char* what) { throw Error(ErrorKind::Malformed, what); }

std::uint8_t firstTagByte(std::uint32_t tag) {
    while (tag > 0xFF) tag >>= 8;
    return static_cast<std::uint8_t>(tag);
}

void parseChecked(ByteView in, unsigned depthLeft) {
    for (const Tlv& t : TlvParser::parseAll(in)) {
        if (!t.isConstructed()) continue;
        if (depthLeft == 0) malformed("TLV nesting too deep");
        parseChecked(t.value, depthLeft - 1);
    }
}

}  // namespace

bool Tlv::isConstructed() const { return (firstTagByte(tag) & 0x20) != 0; }

Tlv TlvParser::parseOne(ByteView in, std::size_t& consumed) {
    std::size_t pos = 0;
    if (in.empty()) malformed("TLV: no tag");
    std::uint32_t tag = in[pos++];
    if ((tag & 0x1F) == 0x1F) {
        for (;;) {
            if (pos >= in.size()) malformed("TLV: truncated tag");
            if (pos >= kMaxTagBytes) malformed("TLV: tag longer than 3 bytes");
            const std::uint8_t b = in[pos++];
            tag = tag << 8 | b;
            if ((b & 0x80) == 0) break;
        }
    }
    if (pos >= in.size()) malformed("TLV: truncated length");
    std::size_t length = in[pos++];
    if (length == 0x80) malformed("TLV: indefinite length");
    if (length > 0x80) {
        const std::size_t n = length & 0x7F;
        if (n > kMaxLengthBytes) malformed("TLV: length field longer than 3 bytes");
        if (in.size() - pos < n) malformed("TLV: truncated length");
        length = 0;
        for (std::size_t i = 0; i < n; ++i) length = length << 8 | in[pos++];
    }
    if (in.size() - pos < length) malformed("TLV: value longer than the data");
    Tlv t;
    t.tag = tag;
    t.value = in.subspan(pos, length);
    t.raw = in.subspan(0, pos + length);
    consumed = pos + length;
    return t;
}

std::vector<Tlv> TlvParser::parseAll(ByteView in, bool skipPadding) {
    std::vector<Tlv> out;
    std::size_t pos = 0;
    while (pos < in.size()) {
        if (skipPadding && (in[pos] == 0x00 || in[pos] == 0xFF)) {
            ++pos;
            continue;
        }
        if (in[pos] == 0x00 || in[pos] == 0xFF) malformed("TLV: invalid tag byte 00/FF");
        std::size_t n = 0;
        out.push_back(parseOne(in.subspan(pos), n));
        pos += n;
    }
    return out;
}

std::vector<Tlv> TlvParser::parseAllChecked(ByteView in, unsigned maxDepth) {
    parseChecked(in, maxDepth);
    return parseAll(in);
}

std::vector<Tlv> TlvParser::children(const Tlv& parent) {
    if (!parent.isConstructed()) malformed("TLV: primitive object has no children");
    return parseAll(parent.value);
}

std::optional<Tlv> TlvParser::find(ByteView in, std::uint32_t tag) {
    for (const Tlv& t : parseAll(in)) {
        if (t.tag == tag) return t;
    }
    return std::nullopt;
}

std::optional<Tlv> TlvParser::findPath(ByteView in, std::initializer_list<std::uint32_t> path) {
    std::optional<Tlv> current;
    ByteView scope = in;
    for (std::uint32_t tag : path) {
        current = find(scope, tag);
        if (!current) return std::nullopt;
        scope = current->value;
    }
    return current;
}

void appendLength(Bytes& out, std::size_t length) {
    if (length < 0x80) {
        out.push_back(static_cast<std::uint8_t>(length));
    } else if (length <= 0xFF) {
        out.push_back(0x81);
        out.push_back(static_cast<std::uint8_t>(length));
    } else if (length <= 0xFFFF) {
        out.push_back(0x82);
        out.push_back(static_cast<std::uint8_t>(length >> 8));
        out.push_back(static_cast<std::uint8_t>(length));
    } else if (length <= 0xFFFFFF) {
        out.push_back(0x83);
        out.push_back(static_cast<std::uint8_t>(length >> 16));
        out.push_back(static_cast<std::uint8_t>(length >> 8));
        out.push_back(static_cast<std::uint8_t>(length));
    } else {
        malformed("TLV: value too long to encode");
    }
}

void appendTag(Bytes& out, std::uint32_t tag) {
    bool started = false;
    for (int shift = 24; shift >= 0; shift -= 8) {
        const auto b = static_cast<std::uint8_t>(tag >> shift);
        if (b != 0 || started || shift == 0) {
            out.push_back(b);
            started = true;
        }
    }
}

Bytes encodeTlv(std::uint32_t tag, ByteView value) {
    Bytes out;
    out.reserve(value.size() + 8);
    appendTag(out, tag);
    appendLength(out, value.size());
    append(out, value);
    return out;
}

SecureBytes encodeSecureTlv(std::uint32_t tag, ByteView value) {
    Bytes header;
    appendTag(header, tag);
    appendLength(header, value.size());
    SecureBytes out(header.begin(), header.end());
    append(out, value);
    return out;
}

TlvBuilder& TlvBuilder::add(std::uint32_t tag, ByteView value) {
    append(out_, encodeTlv(tag, value));
    return *this;
}

TlvBuilder& TlvBuilder::add(std::uint32_t tag, std::initializer_list<std::uint8_t> value) {
    const Bytes v(value);
    return add(tag, v);
}

TlvBuilder& TlvBuilder::addByte(std::uint32_t tag, std::uint8_t value) { return add(tag, {value}); }

TlvBuilder& TlvBuilder::nest(std::uint32_t tag, const TlvBuilder& inner) { return add(tag, inner.bytes()); }

TlvBuilder& TlvBuilder::raw(ByteView encoded) {
    append(out_, encoded);
    return *this;
}

}  // namespace ias::apdu
