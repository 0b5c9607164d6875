// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "ias/apdu/bytes.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/status_word.hpp"

using namespace ias::apdu;

TEST(Bytes, HexRoundTrip) {
    const Bytes b{0x00, 0x0A, 0xFF, 0x3F};
    EXPECT_EQ(toHex(b), "000AFF3F");
    EXPECT_EQ(toHex(b, ' '), "00 0A FF 3F");
    EXPECT_EQ(fromHex("00 0a ff:3F"), b);
}

TEST(Bytes, HexRejectsGarbage) {
    EXPECT_THROW(fromHex("0G"), Error);
    EXPECT_THROW(fromHex("ABC"), Error);
}

TEST(Bytes, ConstantTimeEqual) {
    const Bytes a{1, 2, 3};
    const Bytes b{1, 2, 3};
    const Bytes c{1, 2, 4};
    const Bytes d{1, 2};
    EXPECT_TRUE(constantTimeEqual(a, b));
    EXPECT_FALSE(constantTimeEqual(a, c));
    EXPECT_FALSE(constantTimeEqual(a, d));
    EXPECT_TRUE(constantTimeEqual(Bytes{}, Bytes{}));
}

TEST(Bytes, SecureBytesHoldsData) {
    SecureBytes s = secureCopy(std::string_view("1234"));
    s.push_back('5');
    ASSERT_EQ(s.size(), 5u);
    EXPECT_EQ(s[4], '5');
}

TEST(StatusWord, Meanings) {
    EXPECT_TRUE(StatusWord(0x9000).isSuccess());
    EXPECT_EQ(StatusWord(0x63C2).triesLeft(), 2u);
    EXPECT_EQ(StatusWord(0x6983).triesLeft(), 0u);
    EXPECT_FALSE(StatusWord(0x6A82).triesLeft().has_value());
    EXPECT_TRUE(StatusWord(0x6110).hasMoreData());
    EXPECT_TRUE(StatusWord(0x6C20).isWrongLe());
    EXPECT_EQ(StatusWord(0x6A82).describe(), "6A82 (file or application not found)");
    EXPECT_STREQ(StatusWord(0x6123).meaning(), "response bytes still available");
}
