// SPDX-License-Identifier: Apache-2.0
// PC/SC transport against the real stack (pcscd + vpcd + simulated card). Label: world.
#include <PCSC/winscard.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "ias/apdu/iso_channel.hpp"
#include "ias/apdu/pcsc.hpp"
#include "ias/apdu/trace.hpp"

using namespace ias::apdu;
using namespace std::chrono_literals;

namespace {

std::string testReader() {
    const char* r = std::getenv("IAS_TEST_READER");
    return r != nullptr && *r != '\0' ? r : "Virtual PCD 00 00";
}

CommandApdu selectMf() { return CommandApdu::parse(fromHex("00A4000C023F00")); }

// Waits (bounded) until the reader reports a card, so tests do not race the simulator.
void waitForCard(const PcscContext& ctx, const std::string& reader) {
    std::vector<ReaderState> states{ReaderState(reader)};
    for (int i = 0; i < 50; ++i) {
        if (ctx.waitForChange(states, 100ms) == WaitResult::Changed && states[0].present()) return;
        states[0].acknowledge();
    }
    FAIL() << "no card in " << reader;
}

}  // namespace

class Transport : public ::testing::Test {
protected:
    void SetUp() override { waitForCard(ctx, reader); }
    PcscContext ctx;
    std::string reader = testReader();
};

TEST_F(Transport, ListsTheTestReader) {
    const auto readers = ctx.listReaders();
    EXPECT_NE(std::find(readers.begin(), readers.end(), reader), readers.end()) << "reader " << reader;
    EXPECT_TRUE(ctx.isValid());
}

TEST_F(Transport, ConnectsWithT1AndReadsAtr) {
    PcscCard card(ctx, reader);
    const Bytes atr = card.atr();
    ASSERT_GE(atr.size(), 2u);
    EXPECT_EQ(atr[0], 0x3B);
    EXPECT_EQ(card.protocol(), CardProtocol::T1);
}

TEST_F(Transport, SelectMfInsideATransaction) {
    PcscCard card(ctx, reader);
    ApduCounter counter;
    Transaction tx(card);
    PcscChannel wire(card);
    TracingChannel traced(wire, counter.hook());
    IsoChannel iso(traced);
    const ResponseApdu r = iso.transmit(selectMf());
    EXPECT_EQ(r.sw.value(), 0x9000) << r.sw.describe();
    EXPECT_EQ(counter.commands(), 1u);
}

TEST_F(Transport, TransactionsAreReleasedOnScopeExit) {
    PcscCard a(ctx, reader);
    PcscContext ctx2;
    PcscCard b(ctx2, reader);
    for (int i = 0; i < 3; ++i) {
        {
            Transaction tx(a);
            PcscChannel ch(a);
            EXPECT_TRUE(ch.transmit(selectMf()).isSuccess());
        }
        {
            // Would block forever if a's transaction had leaked.
            Transaction tx(b);
            PcscChannel ch(b);
            EXPECT_TRUE(ch.transmit(selectMf()).isSuccess());
        }
    }
}

TEST_F(Transport, ResetByAnotherConnectionIsCardReset) {
    PcscCard a(ctx, reader);
    PcscChannel ch(a);
    {
        Transaction tx(a);
        ASSERT_TRUE(ch.transmit(selectMf()).isSuccess());
    }
    PcscContext ctx2;
    PcscCard b(ctx2, reader);
    b.resetCard();
    EXPECT_EQ(b.resetCount(), 1u);

    // a learns of the reset on its next use, as a CardReset event, already reconnected.
    try {
        Transaction tx(a);
        ch.transmit(selectMf());
        FAIL() << "reset not reported";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::CardReset) << e.what();
    }
    EXPECT_EQ(a.resetCount(), 1u);
    Transaction tx(a);
    EXPECT_TRUE(ch.transmit(selectMf()).isSuccess());
}

TEST_F(Transport, WaitForChangeTimesOutAndCanBeCancelled) {
    std::vector<ReaderState> states{ReaderState(reader)};
    ASSERT_EQ(ctx.waitForChange(states, std::chrono::milliseconds::zero()), WaitResult::Changed);
    EXPECT_TRUE(states[0].present());
    EXPECT_FALSE(states[0].atr.empty());
    states[0].acknowledge();
    EXPECT_EQ(ctx.waitForChange(states, 200ms), WaitResult::Timeout);

    std::thread canceller([&] {
        std::this_thread::sleep_for(200ms);
        ctx.cancel();
    });
    const auto start = std::chrono::steady_clock::now();
    const WaitResult r = ctx.waitForChange(states, -1ms);
    canceller.join();
    EXPECT_EQ(r, WaitResult::Cancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(Transport, PnpNotificationReaderIsAccepted) {
    std::vector<ReaderState> states{ReaderState(PcscContext::kPnpNotification)};
    // Reader count unknown to us (0): pcsc-lite answers at once or after the timeout;
    // either way the special name must not be rejected.
    const WaitResult r = ctx.waitForChange(states, 200ms);
    EXPECT_TRUE(r == WaitResult::Changed || r == WaitResult::Timeout);
}

TEST(TransportNoCard, UnknownReaderIsNoReader) {
    PcscContext ctx;
    try {
        PcscCard card(ctx, "No Such Reader 99 99");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::NoReader) << e.what();
    }
}
