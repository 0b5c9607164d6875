// SPDX-License-Identifier: Apache-2.0
// Persistent card state: JSON round trip, atomic save, a locked PIN stays locked.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ias/apdu/error.hpp"
#include "sim_fixture.hpp"

namespace ias::sim::test {

namespace {
std::filesystem::path tempPath(const char* name) {
    return std::filesystem::temp_directory_path() / (std::string(name) + "-" + std::to_string(::getpid()) + ".json");
}
}  // namespace

TEST_F(SimCard, StatePersistsAcrossReload) {
    const auto path = tempPath("ias-sim-state");
    personalisedCard().state.save(path);
    {
        Card card(CardState::load(path), [&](const CardState& s) { s.save(path); });
        card.powerOn();
        auto run = [&](const std::string& hex) { return ResponseApdu::parse(card.process(fromHex(hex))).sw.value(); };
        run("00A4040C0EE828BD080FD25047656E65726963");
        for (const char* wrong : {"0020008104 31313131", "0020008104 32323232", "0020008104 33333333"}) run(wrong);
        EXPECT_EQ(run("00200081"), 0x6983);
    }
    {
        Card card(CardState::load(path));
        card.powerOn();
        auto run = [&](const std::string& hex) { return ResponseApdu::parse(card.process(fromHex(hex))).sw.value(); };
        run("00A4040C0EE828BD080FD25047656E65726963");
        EXPECT_EQ(run("00200081"), 0x6983);  // still locked after a "restart"
    }
    EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
    EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::others_read, std::filesystem::perms::none);
    std::filesystem::remove(path);
}

TEST_F(SimCard, JsonRoundTripKeepsEverything) {
    const CardState& original = personalisedCard().state;
    const CardState copy = CardState::fromJson(original.toJson());
    EXPECT_EQ(copy.toJson(), original.toJson());
    EXPECT_EQ(copy.serial, kSerial);
    EXPECT_EQ(copy.keys.size(), original.keys.size());
}

TEST_F(SimCard, ChangedPinIsPersisted) {
    selectApplication();
    ASSERT_EQ(swOf("0024008108" + apdu::toHex(Bytes{'4', '7', '1', '1', '2', '5', '8', '0'})), 0x9000);
    Card reloaded(CardState::fromJson(saved_.toJson()));
    reloaded.powerOn();
    reloaded.process(fromHex("00A4040C0EE828BD080FD25047656E65726963"));
    EXPECT_EQ(ResponseApdu::parse(reloaded.process(fromHex("002000810432353830"))).sw.value(), 0x9000);
}

TEST_F(SimCard, BrokenStateFilesAreRefused) {
    EXPECT_THROW(CardState::fromJson("{"), apdu::Error);
    EXPECT_THROW(CardState::fromJson("{\"format\": 99}"), apdu::Error);
    std::string text = personalisedCard().state.toJson();
    text.replace(text.find("\"tries_left\": 3"), 15, "\"tries_left\": 9");
    EXPECT_THROW(CardState::fromJson(text), apdu::Error);
    EXPECT_THROW(CardState::load("/nonexistent/ias-sim.json"), apdu::Error);
}

TEST_F(SimCard, PersistFailureIsReportedNotFatal) {
    Card card(personalisedCard().state, [](const CardState&) { throw std::runtime_error("disk full"); });
    card.powerOn();
    card.process(fromHex("00A4040C0EE828BD080FD25047656E65726963"));
    EXPECT_EQ(ResponseApdu::parse(card.process(fromHex("002000810431313131"))).sw.value(), 0x6581);
}

}  // namespace ias::sim::test
