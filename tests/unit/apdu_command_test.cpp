// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "ias/apdu/command.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/response.hpp"

using namespace ias::apdu;

namespace {
Bytes enc(const CommandApdu& c) {
    auto e = c.encode();
    return Bytes(e.begin(), e.end());
}
}  // namespace

TEST(CommandApdu, EncodesAllShortCases) {
    CommandApdu c{0x00, 0xA4, 0x00, 0x0C, {}, 0, false};
    EXPECT_EQ(enc(c), fromHex("00A4000C"));
    c.ne = 256;
    EXPECT_EQ(enc(c), fromHex("00A4000C00"));
    c.ne = 0;
    c.data = {0x3F, 0x00};
    EXPECT_EQ(enc(c), fromHex("00A4000C023F00"));
    c.ne = 0x10;
    EXPECT_EQ(enc(c), fromHex("00A4000C023F0010"));
}

TEST(CommandApdu, EncodesExtended) {
    CommandApdu c{0x00, 0x2A, 0x80, 0x86, SecureBytes(300, 0xAB), 256, false};
    const Bytes e = enc(c);
    ASSERT_EQ(e.size(), 4u + 3u + 300u + 2u);
    EXPECT_EQ(e[4], 0x00);
    EXPECT_EQ(e[5], 0x01);
    EXPECT_EQ(e[6], 0x2C);
    EXPECT_EQ(e[e.size() - 2], 0x01);
    EXPECT_EQ(e[e.size() - 1], 0x00);
    const CommandApdu p = CommandApdu::parse(e);
    EXPECT_EQ(p.data.size(), 300u);
    EXPECT_EQ(p.ne, 256u);
    CommandApdu only{0x00, 0xB0, 0, 0, {}, 65536, false};
    EXPECT_EQ(enc(only), fromHex("00B00000000000"));
    EXPECT_EQ(CommandApdu::parse(enc(only)).ne, 65536u);
}

TEST(CommandApdu, ParsesShortCases) {
    EXPECT_EQ(CommandApdu::parse(fromHex("00200081")).ne, 0u);
    EXPECT_EQ(CommandApdu::parse(fromHex("0084000008")).ne, 8u);
    EXPECT_EQ(CommandApdu::parse(fromHex("00B0000000")).ne, 256u);
    const auto c3 = CommandApdu::parse(fromHex("00A4000C023F00"));
    EXPECT_EQ(c3.data.size(), 2u);
    EXPECT_EQ(c3.ne, 0u);
    const auto c4 = CommandApdu::parse(fromHex("00A4090402 2F01 00"));
    EXPECT_EQ(c4.data.size(), 2u);
    EXPECT_EQ(c4.ne, 256u);
}

TEST(CommandApdu, RejectsMalformed) {
    EXPECT_THROW(CommandApdu::parse(fromHex("00A400")), Error);
    EXPECT_THROW(CommandApdu::parse(fromHex("00A4000C053F00")), Error);       // Lc too big
    EXPECT_THROW(CommandApdu::parse(fromHex("00A4000C013F0000AA")), Error);   // trailing bytes
    EXPECT_THROW(CommandApdu::parse(fromHex("00A4000C0000")), Error);         // truncated ext
    EXPECT_THROW(CommandApdu::parse(fromHex("00A4000C000000AA")), Error);     // ext Lc 0
    EXPECT_THROW(CommandApdu::parse(fromHex("00A4000C000002AA")), Error);     // ext truncated
}

TEST(CommandApdu, ChainsWithClaBit) {
    CommandApdu c{0x00, 0x2A, 0x80, 0x86, SecureBytes(257, 0x55), 256, false};
    const auto parts = c.chained(255);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].cla, 0x10);
    EXPECT_EQ(parts[0].data.size(), 255u);
    EXPECT_EQ(parts[0].ne, 0u);
    EXPECT_EQ(parts[1].cla, 0x00);
    EXPECT_EQ(parts[1].data.size(), 2u);
    EXPECT_EQ(parts[1].ne, 256u);
    EXPECT_EQ(c.chained(300).size(), 1u);
}

TEST(CommandApdu, DescribeRedactsSensitiveData) {
    CommandApdu v{0x00, 0x20, 0x00, 0x81, secureCopy(std::string_view("1234")), 0, true};
    const std::string d = v.describe();
    EXPECT_EQ(d, "00 20 00 81 Lc=4 [redacted]");
    EXPECT_EQ(d.find("31"), std::string::npos);
}

TEST(ResponseApdu, ParsesAndEncodes) {
    const auto r = ResponseApdu::parse(fromHex("0102 9000"));
    EXPECT_TRUE(r.isSuccess());
    EXPECT_EQ(r.data.size(), 2u);
    const auto e = r.encode();
    EXPECT_EQ(Bytes(e.begin(), e.end()), fromHex("01029000"));
    EXPECT_THROW(ResponseApdu::parse(fromHex("90")), Error);
    EXPECT_EQ(ResponseApdu::parse(fromHex("6A82")).sw.value(), 0x6A82);
}
