// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "ias/apdu/error.hpp"
#include "ias/apdu/tlv.hpp"

using namespace ias::apdu;

TEST(Tlv, ParsesMultiByteTagsAndLengths) {
    // CHV 7F41 answer from the reference: 70 0D BF 81 01 09 7F 41 06 80 01 08 81 01 04
    const Bytes in = fromHex("700DBF8101097F4106800108810104");
    const auto top = TlvParser::parseAllChecked(in);
    ASSERT_EQ(top.size(), 1u);
    EXPECT_EQ(top[0].tag, 0x70u);
    const auto t = TlvParser::findPath(in, {0x70, 0xBF8101, 0x7F41});
    ASSERT_TRUE(t.has_value());
    const auto items = TlvParser::parseAll(t->value);
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].tag, 0x80u);
    EXPECT_EQ(items[0].value[0], 0x08);
    EXPECT_EQ(items[1].value[0], 0x04);
}

TEST(Tlv, LongLengths) {
    const Bytes v(300, 0x11);
    const Bytes e = encodeTlv(0x5F20, v);
    EXPECT_EQ(e[0], 0x5F);
    EXPECT_EQ(e[2], 0x82);
    std::size_t n = 0;
    const Tlv t = TlvParser::parseOne(e, n);
    EXPECT_EQ(n, e.size());
    EXPECT_EQ(t.value.size(), 300u);
    EXPECT_EQ(encodeTlv(0x80, Bytes(0x80, 0))[1], 0x81);
}

TEST(Tlv, RejectsTruncatedAndOverlong) {
    std::size_t n = 0;
    EXPECT_THROW(TlvParser::parseOne(fromHex("5A05010203"), n), Error);      // value short
    EXPECT_THROW(TlvParser::parseOne(fromHex("5A"), n), Error);              // no length
    EXPECT_THROW(TlvParser::parseOne(fromHex("5A81"), n), Error);            // truncated len
    EXPECT_THROW(TlvParser::parseOne(fromHex("5A80"), n), Error);            // indefinite
    EXPECT_THROW(TlvParser::parseOne(fromHex("5A8400000001AA"), n), Error);  // 4 length bytes
    EXPECT_THROW(TlvParser::parseOne(fromHex("BF"), n), Error);              // truncated tag
    EXPECT_THROW(TlvParser::parseOne(fromHex("BF818181010100"), n), Error);  // tag > 3 bytes
    EXPECT_THROW(TlvParser::parseOne(fromHex("5A82FFFF00"), n), Error);      // huge length
}

TEST(Tlv, PaddingOnlyWhenAsked) {
    const Bytes in = fromHex("4301400000FF");
    EXPECT_THROW(TlvParser::parseAll(in), Error);
    EXPECT_EQ(TlvParser::parseAll(in, true).size(), 1u);
}

TEST(Tlv, DepthLimit) {
    Bytes nested = fromHex("8001AA");
    for (int i = 0; i < 12; ++i) nested = encodeTlv(0xA1, nested);
    EXPECT_THROW(TlvParser::parseAllChecked(nested, 8), Error);
    EXPECT_NO_THROW(TlvParser::parseAllChecked(nested, 16));
}

TEST(Tlv, BuilderProducesReferenceBytes) {
    TlvBuilder inner;
    inner.add(0x8C, {0x72, 0x11, 0x00, 0x12, 0xFF});
    TlvBuilder docp;
    docp.nest(0xA1, inner).addByte(0x9A, 3).addByte(0x9B, 3);
    EXPECT_EQ(encodeTlv(0xA0, docp.bytes()), fromHex("A00FA1078C0572110012FF9A01039B0103"));
    EXPECT_THROW(TlvParser::children(Tlv{0x80, {}, {}}), Error);
}
