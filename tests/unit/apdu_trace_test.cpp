// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "apdu_test_util.hpp"
#include "ias/apdu/iso_channel.hpp"
#include "ias/apdu/trace.hpp"

using namespace ias::apdu;
using namespace ias::apdu::test;

namespace {
CommandApdu verifyPin1234() {
    // VERIFY PIN 1234 padded with FF (reference §6.2): 31 32 33 34 FF FF FF FF.
    CommandApdu c = cmd("0020000108" "31323334FFFFFFFF");
    c.sensitive = true;
    return c;
}
}  // namespace

TEST(Trace, PinNeverAppearsInTrace) {
    QueueChannel card({"63C2", "9000"});
    std::vector<TraceEntry> entries;
    std::string all;
    // Even with every data flag on, a sensitive command shows no data.
    TracingChannel t(card, [&](const TraceEntry& e) {
        entries.push_back(e);
        all += e.text() + "\n";
    }, {.includeCommandData = true, .includeResponseData = true});
    t.transmit(verifyPin1234());
    t.transmit(verifyPin1234());
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(all.find("31323334"), std::string::npos);
    EXPECT_EQ(all.find("31 32 33 34"), std::string::npos);
    EXPECT_EQ(all.find("FF FF"), std::string::npos);
    for (const auto& e : entries) {
        EXPECT_TRUE(e.redacted);
        EXPECT_TRUE(e.dataHex.empty());
    }
    EXPECT_NE(all.find("00 20 00 01 Lc=8"), std::string::npos);
    EXPECT_NE(all.find("63C2"), std::string::npos);
    EXPECT_EQ(entries[1].sequence, 1u);
    EXPECT_EQ(entries[1].direction, TraceDirection::Response);
    EXPECT_EQ(entries[1].sw.value(), 0x63C2);
}

TEST(Trace, NoDataByDefault) {
    QueueChannel card({"3F00" "9000"});
    std::string all;
    TracingChannel t(card, [&](const TraceEntry& e) { all += e.text() + "\n"; });
    t.transmit(cmd("00A4000C023F0000"));
    EXPECT_EQ(all.find("3F"), std::string::npos);
    EXPECT_NE(all.find("len=2"), std::string::npos);
    EXPECT_NE(all.find("Ne=256"), std::string::npos);
}

TEST(Trace, DataOnlyWhenAskedAndNotSensitive) {
    QueueChannel card({"A1B2" "9000"});
    std::vector<TraceEntry> entries;
    TracingChannel t(card, [&](const TraceEntry& e) { entries.push_back(e); },
                     {.includeCommandData = true, .includeResponseData = true});
    t.transmit(cmd("00A4000C023F0000"));
    EXPECT_EQ(entries.at(0).dataHex, "3F 00");
    EXPECT_EQ(entries.at(1).dataHex, "A1 B2");
}

TEST(Trace, FailureIsReportedAndRethrown) {
    QueueChannel card;  // no answers: throws Transport
    std::vector<TraceEntry> entries;
    TracingChannel t(card, [&](const TraceEntry& e) { entries.push_back(e); });
    EXPECT_THROW(t.transmit(cmd("00A4000C023F00")), Error);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[1].direction, TraceDirection::Failure);
    EXPECT_EQ(entries[1].error, ErrorKind::Transport);
}

TEST(Trace, ThrowingHookDoesNotBreakTransmission) {
    QueueChannel card({"9000"});
    TracingChannel t(card, [](const TraceEntry&) { throw std::runtime_error("hook"); });
    EXPECT_TRUE(t.transmit(cmd("00A4000C023F00")).isSuccess());
}

namespace { std::string hexN(std::size_t n) { return toHex(Bytes(n, 0x11)); } }

TEST(Trace, CounterCountsWireApdusBelowIsoChannel) {
    QueueChannel card({"6110", hexN(16) + "9000", "9000"});
    ApduCounter counter;
    std::size_t lines = 0;
    TracingChannel t(card, combineHooks(counter.hook(), [&](const TraceEntry&) { ++lines; }));
    IsoChannel iso(t);
    iso.transmit(cmd("00B0000000"));
    EXPECT_EQ(counter.commands(), 2u);
    EXPECT_EQ(counter.commandsWithIns(0xC0), 1u);
    iso.transmit(cmd("00A4000C023F00"));
    EXPECT_EQ(counter.commands(), 3u);
    EXPECT_EQ(lines, 6u);
    counter.reset();
    EXPECT_EQ(counter.commands(), 0u);
    EXPECT_EQ(counter.commandsWithIns(0xC0), 0u);
}
