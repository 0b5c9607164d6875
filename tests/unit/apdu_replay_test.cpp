// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "apdu_test_util.hpp"
#include "ias/apdu/iso_channel.hpp"
#include "ias/apdu/replay.hpp"

using namespace ias::apdu;
using namespace ias::apdu::test;

namespace {

const char* kInit = R"(# name: card init
# SELECT MF, then a read with GET RESPONSE

> 00 A4 00 0C 02 3F 00
< 90 00
> 00B0000000
< 0102 6102
>00C0000002
<0304 9000
>! 00 20 00 01 08 .. .. .. .. .. .. .. ..
< 63 C2
)";

std::string errorOf(std::string_view text) {
    try {
        ReplayScript::parse(text);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Malformed);
        return e.what();
    }
    return "no error";
}

CommandApdu verifyPin(const std::string& pin) {
    CommandApdu c = cmd("0020000108" + pin);
    c.sensitive = true;
    return c;
}

}  // namespace

TEST(Replay, ParsesScript) {
    const ReplayScript s = ReplayScript::parse(kInit);
    EXPECT_EQ(s.name, "card init");
    ASSERT_EQ(s.exchanges.size(), 4u);
    EXPECT_EQ(s.exchanges[0].commandLine, 4u);
    EXPECT_EQ(s.exchanges[0].responseLine, 5u);
    EXPECT_EQ(s.exchanges[1].response, fromHex("01026102"));
    EXPECT_TRUE(s.exchanges[3].sensitive);
    EXPECT_TRUE(s.exchanges[3].anyByte[5]);
    EXPECT_FALSE(s.exchanges[3].anyByte[4]);
    // Round trip through the writer.
    const ReplayScript again = ReplayScript::parse(s.toText());
    EXPECT_EQ(again.toText(), s.toText());
    EXPECT_NE(s.toText().find(">! 00 20 00 01 08 .. .."), std::string::npos);
}

TEST(Replay, StrictParserNamesTheLine) {
    EXPECT_NE(errorOf("> 00A4000C023F00\n> 00A4000C023F00\n").find("line 2"), std::string::npos);
    EXPECT_NE(errorOf("< 9000\n").find("line 1"), std::string::npos);
    EXPECT_NE(errorOf("\n\n> 00A4000C023F00\n").find("line 3"), std::string::npos);  // dangling
    EXPECT_NE(errorOf("> 00A4000C023F\n< 9000\n").find("line 1"), std::string::npos);  // bad Lc
    EXPECT_NE(errorOf("> 00A4000C\n< 90\n").find("line 2"), std::string::npos);        // no SW
    EXPECT_NE(errorOf("> 00A4000C\n< 9000\nfoo\n").find("line 3"), std::string::npos);
    EXPECT_NE(errorOf("> 00A4000C\n< 9G00\n").find("line 2"), std::string::npos);
    EXPECT_NE(errorOf("> 00A4000C02....\n< 9000\n").find("line 1"), std::string::npos);  // `..` on `>`
    EXPECT_NE(errorOf("> 00A4000C\n< 9000\n# name: late\n").find("line 3"), std::string::npos);
    EXPECT_EQ(ReplayScript::parse("").exchanges.size(), 0u);
}

TEST(Replay, FakeCardReplaysThroughIsoChannel) {
    ReplayChannel card(ReplayScript::parse(kInit));
    IsoChannel iso(card);
    EXPECT_TRUE(iso.transmit(cmd("00A4000C023F00")).isSuccess());
    const ResponseApdu r = iso.transmit(cmd("00B0000000"));
    EXPECT_EQ(plain(r.data), fromHex("01020304"));
    EXPECT_FALSE(card.finished());
    EXPECT_EQ(iso.transmit(verifyPin("31323334FFFFFFFF")).sw.value(), 0x63C2);  // wildcard data
    EXPECT_TRUE(card.finished());
    EXPECT_THROW(iso.transmit(cmd("00A4000C023F00")), Error);  // past the end
}

TEST(Replay, MismatchNamesLineAndHeadersButNoData) {
    ReplayChannel card(ReplayScript::parse("> 00 20 00 01 08 31 32 33 34 FF FF FF FF\n< 90 00\n"));
    try {
        card.transmit(verifyPin("39393939FFFFFFFF"));
        FAIL();
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("line 1"), std::string::npos) << what;
        EXPECT_NE(what.find("00 20 00 01"), std::string::npos) << what;
        EXPECT_EQ(what.find("39"), std::string::npos) << what;
        EXPECT_EQ(what.find("31 32"), std::string::npos) << what;
    }
    try {
        card.transmit(cmd("00A4000C023F00"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("expects 00 20 00 01, got 00 A4 00 0C"), std::string::npos) << e.what();
    }
    EXPECT_EQ(card.remaining(), 1u);
}

TEST(Replay, RecorderWritesReplayableScriptWithoutPin) {
    QueueChannel live({"9000", "63C1"});
    ReplayRecorder rec(live, "login");
    rec.transmit(cmd("00A4000C023F00"));
    rec.transmit(verifyPin("31323334FFFFFFFF"));
    const std::string text = rec.script().toText();
    EXPECT_EQ(text, "# name: login\n> 00 A4 00 0C 02 3F 00\n< 90 00\n>! 00 20 00 01 08 .. .. .. .. .. .. .. ..\n< 63 C1\n");
    EXPECT_EQ(text.find("31 32"), std::string::npos);

    const auto path = std::filesystem::temp_directory_path() / "ias_apdu_replay_test.apdu";
    rec.script().save(path.string());
    ReplayChannel card(ReplayScript::load(path.string()));
    std::filesystem::remove(path);
    card.transmit(cmd("00A4000C023F00"));
    EXPECT_EQ(card.transmit(verifyPin("39393939FFFFFFFF")).sw.value(), 0x63C1);
    EXPECT_TRUE(card.finished());
}

TEST(Replay, RecorderCanKeepTestPins) {
    QueueChannel live({"9000"});
    ReplayRecorder rec(live, "", {.maskSensitiveData = false});
    rec.transmit(verifyPin("31323334FFFFFFFF"));
    EXPECT_EQ(rec.script().toText(), ">! 00 20 00 01 08 31 32 33 34 FF FF FF FF\n< 90 00\n");
}

TEST(Replay, LoadMissingFileIsAnError) {
    EXPECT_THROW(ReplayScript::load("/nonexistent/ias.apdu"), Error);
}
