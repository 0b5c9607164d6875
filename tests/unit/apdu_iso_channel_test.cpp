// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "apdu_test_util.hpp"
#include "ias/apdu/iso_channel.hpp"

using namespace ias::apdu;
using namespace ias::apdu::test;

namespace {
std::string hexN(std::size_t n, std::uint8_t b = 0xAB) { return toHex(Bytes(n, b)); }
}  // namespace

TEST(IsoChannel, PassesSimpleCommandThrough) {
    QueueChannel card({"9000"});
    IsoChannel iso(card);
    ResponseApdu r = iso.transmit(cmd("00A4000C023F00"));
    EXPECT_TRUE(r.isSuccess());
    EXPECT_EQ(card.sent, (std::vector<std::string>{"00A4000C023F00"}));
}

TEST(IsoChannel, FollowsGetResponseAndAccumulates) {
    // 300 bytes: 256 with the first answer... the card gives 100, then 61C8 (200) then 0 left.
    QueueChannel card({hexN(100, 1) + "61C8", hexN(200, 2) + "6110", hexN(16, 3) + "9000"});
    IsoChannel iso(card);
    ResponseApdu r = iso.transmit(cmd("00B0000000"));
    EXPECT_EQ(r.sw.value(), 0x9000);
    ASSERT_EQ(r.data.size(), 316u);
    EXPECT_EQ(r.data[0], 1);
    EXPECT_EQ(r.data[100], 2);
    EXPECT_EQ(r.data[315], 3);
    EXPECT_EQ(card.sent, (std::vector<std::string>{"00B0000000", "00C00000C8", "00C0000010"}));
}

TEST(IsoChannel, GetResponse6100MeansFull256) {
    QueueChannel card({"6100", hexN(256) + "9000"});
    IsoChannel iso(card);
    ResponseApdu r = iso.transmit(cmd("00880000" "03010203" "00"));
    EXPECT_EQ(r.data.size(), 256u);
    EXPECT_EQ(card.sent.at(1), "00C0000000");
}

TEST(IsoChannel, FinalErrorStatusAfterGetResponseIsKept) {
    QueueChannel card({"6104", "0102" "6282"});
    IsoChannel iso(card);
    ResponseApdu r = iso.transmit(cmd("00B0000000"));
    EXPECT_EQ(r.sw.value(), 0x6282);
    EXPECT_EQ(plain(r.data), fromHex("0102"));
}

TEST(IsoChannel, ResendsOnceWithLeFrom6Cxx) {
    QueueChannel card({"6C10", hexN(16) + "9000"});
    IsoChannel iso(card);
    ResponseApdu r = iso.transmit(cmd("00CB3FFF04" "4D02FF00" "00"));
    EXPECT_EQ(r.data.size(), 16u);
    EXPECT_EQ(card.sent.at(1), "00CB3FFF044D02FF0010");
}

TEST(IsoChannel, Repeated6CxxIsMalformed) {
    QueueChannel card({"6C10", "6C08"});
    IsoChannel iso(card);
    try {
        iso.transmit(cmd("00B0000000"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Malformed);
    }
}

TEST(IsoChannel, SplitsLongDataIntoChaining) {
    // PSO DECIPHER with 81 || 256-byte cryptogram: 255 + 2 bytes (reference §7.3).
    QueueChannel card({"9000", hexN(4, 7) + "9000"});
    IsoChannel iso(card);
    CommandApdu c;
    c.ins = 0x2A;
    c.p1 = 0x80;
    c.p2 = 0x86;
    c.data = secure("81" + hexN(256));
    c.ne = 256;
    ResponseApdu r = iso.transmit(c);
    ASSERT_EQ(card.sent.size(), 2u);
    EXPECT_EQ(card.sent[0].substr(0, 12), "102A8086FF81");
    EXPECT_EQ(card.sent[0].size(), (5u + 255u) * 2);
    EXPECT_EQ(card.sent[1], "002A808602ABAB00");
    EXPECT_EQ(r.data.size(), 4u);
}

TEST(IsoChannel, ChainRefusedMidwayReturnsTheError) {
    QueueChannel card({"6A80"});
    IsoChannel iso(card, {.maxCommandData = 4});
    CommandApdu c = cmd("00DA0000" "08" "0102030405060708");
    ResponseApdu r = iso.transmit(c);
    EXPECT_EQ(r.sw.value(), 0x6A80);
    EXPECT_EQ(card.sent.size(), 1u);
}

TEST(IsoChannel, MoreDataInTheMiddleOfAChainIsMalformed) {
    QueueChannel card({"6110"});
    IsoChannel iso(card, {.maxCommandData = 4});
    EXPECT_THROW(iso.transmit(cmd("00DA0000" "08" "0102030405060708")), Error);
}

TEST(IsoChannel, ExtendedAllowedSendsOneApdu) {
    QueueChannel card({"9000"});
    IsoChannel iso(card, {.maxCommandData = 4096, .maxResponseData = 65536});
    CommandApdu c;
    c.ins = 0xDA;
    c.data = secure(hexN(300));
    iso.transmit(c);
    ASSERT_EQ(card.sent.size(), 1u);
    EXPECT_EQ(card.sent[0].substr(0, 14), "00DA000000012C");
}

TEST(IsoChannel, NeIsCappedAtShortMaximum) {
    QueueChannel card({"9000"});
    IsoChannel iso(card);
    CommandApdu c = cmd("00B00000");
    c.ne = 65536;
    iso.transmit(c);
    EXPECT_EQ(card.sent.at(0), "00B0000000");
}

TEST(IsoChannel, EndlessMoreDataIsBounded) {
    FunctionChannel card([](const CommandApdu&) { return rsp("6100"); });
    IsoChannel iso(card, {.maxGetResponse = 10});
    try {
        iso.transmit(cmd("00B0000000"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Malformed);
    }
    EXPECT_EQ(card.count, 11);
}

TEST(IsoChannel, EndlessDataIsBoundedBySize) {
    FunctionChannel card([](const CommandApdu&) { return rsp(toHex(Bytes(256, 1)) + "6100"); });
    IsoChannel iso(card, {.maxTotalResponse = 1024});
    EXPECT_THROW(iso.transmit(cmd("00B0000000")), Error);
    EXPECT_LE(card.count, 5);
}

TEST(IsoChannel, AnswerLongerThanLeIsMalformed) {
    QueueChannel card({hexN(20) + "9000"});
    IsoChannel iso(card);
    EXPECT_THROW(iso.transmit(cmd("00B0000010")), Error);
}

TEST(IsoChannel, GetResponseCarriesSensitivity) {
    FunctionChannel card([](const CommandApdu& c) {
        if (c.ins == 0xC0) {
            EXPECT_TRUE(c.sensitive);
            return rsp("0102" "9000");
        }
        return rsp("6102");
    });
    IsoChannel iso(card);
    CommandApdu c = cmd("0020000108" "31323334FFFFFFFF");
    c.sensitive = true;
    EXPECT_EQ(iso.transmit(c).data.size(), 2u);
}

TEST(IsoChannel, RejectsZeroLimits) {
    QueueChannel card;
    EXPECT_THROW(IsoChannel(card, {.maxCommandData = 0}), Error);
}
