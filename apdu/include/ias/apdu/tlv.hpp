// SPDX-License-Identifier: Apache-2.0
// Strict BER-TLV (ISO 7816-4 / X.690 tag and length rules) parser and builder.
//
// The parser never reads past its input: truncated tags, lengths or values, indefinite
// lengths, lengths of more than 3 bytes and tags of more than 3 bytes are rejected with
// Error(Malformed). Views returned point into the caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ias/apdu/bytes.hpp"

namespace ias::apdu {

struct Tlv {
    std::uint32_t tag = 0;  // tag bytes big-endian, e.g. 0xBF8101, 0x7F41, 0x5A
    ByteView value;         // the value field
    ByteView raw;           // tag + length + value

    // Bit 6 of the first tag byte: the value is itself a sequence of TLVs.
    bool isConstructed() const;
};

class TlvParser {
public:
    static constexpr unsigned kDefaultMaxDepth = 8;

    // Parses one TLV at the start of `in`; `consumed` receives its full size.
    static Tlv parseOne(ByteView in, std::size_t& consumed);

    // Parses a sequence of TLVs that must fill `in` exactly. When skipPadding is set,
    // 00 and FF bytes between objects are skipped (ISO 7816-4 5.2.2.1 padding).
    static std::vector<Tlv> parseAll(ByteView in, bool skipPadding = false);

    // Like parseAll, then descends into every constructed object down to maxDepth
    // levels, so that malformed nested content is rejected up front.
    static std::vector<Tlv> parseAllChecked(ByteView in, unsigned maxDepth = kDefaultMaxDepth);

    // Children of a constructed object.
    static std::vector<Tlv> children(const Tlv& parent);

    // First object with `tag` among the top-level objects of `in` (no descent).
    static std::optional<Tlv> find(ByteView in, std::uint32_t tag);

    // Follows a path of tags through constructed objects, e.g. {0x70, 0xBF8101, 0x7F41}.
    static std::optional<Tlv> findPath(ByteView in, std::initializer_list<std::uint32_t> path);
};

// Appends the BER encoding of a length (short form, 81 xx, 82 xx xx, 83 xx xx xx).
void appendLength(Bytes& out, std::size_t length);
// Appends the tag bytes (1 to 4 bytes, no leading zero bytes).
void appendTag(Bytes& out, std::uint32_t tag);

Bytes encodeTlv(std::uint32_t tag, ByteView value);
SecureBytes encodeSecureTlv(std::uint32_t tag, ByteView value);

// Fluent builder: TlvBuilder{}.add(0x80, {0x01}).nest(0xA1, inner).bytes()
class TlvBuilder {
public:
    TlvBuilder& add(std::uint32_t tag, ByteView value);
    TlvBuilder& add(std::uint32_t tag, std::initializer_list<std::uint8_t> value);
    TlvBuilder& addByte(std::uint32_t tag, std::uint8_t value);
    TlvBuilder& nest(std::uint32_t tag, const TlvBuilder& inner);
    TlvBuilder& raw(ByteView encoded);
    const Bytes& bytes() const { return out_; }
    Bytes take() { return std::move(out_); }

private:
    Bytes out_;
};

}  // namespace ias::apdu
