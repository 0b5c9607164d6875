// SPDX-License-Identifier: Apache-2.0
// Replays APDU scripts recorded from Debian 12 OpenSC 0.23 runs (tests/replay/*.apdu) against
// a freshly personalised, deterministic card (fixed keys and test CA from tests/replay/keys):
// the simulator must answer byte for byte as it did when OpenSC accepted it.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ias/apdu/replay.hpp"
#include "sim_fixture.hpp"

namespace ias::sim::test {

namespace {

const std::filesystem::path kReplayDir = IAS_REPLAY_DIR;

std::string readText(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

CardState replayCard() {
    PersonalisationOptions o;
    o.serial = fromHex("0010000000777777");
    o.pin = "4711";
    o.puk = "12345678";
    o.caKeyPem = readText(kReplayDir / "keys" / "ca.key");
    o.caCertPem = readText(kReplayDir / "keys" / "ca.crt");
    o.authKeyPem = readText(kReplayDir / "keys" / "auth.key");
    o.signKeyPem = readText(kReplayDir / "keys" / "sign.key");
    return personalise(o).state;
}

// The scripts mask PIN data (`..`); the test card's values are known: fill them in.
Bytes withTestSecrets(const apdu::ReplayExchange& e) {
    Bytes c = e.command;
    const bool masked = std::find(e.anyByte.begin(), e.anyByte.end(), true) != e.anyByte.end();
    if (!masked) return c;
    if (c.size() < 5 || c[1] != 0x20) throw std::runtime_error("masked data on a command other than VERIFY");
    const std::string secret = c[3] == 0x82 ? "12345678" : "4711";
    if (c[4] != secret.size()) throw std::runtime_error("masked VERIFY of unexpected length");
    std::copy(secret.begin(), secret.end(), c.begin() + 5);
    return c;
}

std::vector<std::filesystem::path> scripts() {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::directory_iterator(kReplayDir)) {
        if (entry.path().extension() == ".apdu") out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

class SimReplay : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(SimReplay, OpenScExchangeReplaysByteForByte) {
    static const CardState state = replayCard();
    const apdu::ReplayScript script = apdu::ReplayScript::load(GetParam().string());
    ASSERT_FALSE(script.exchanges.empty());
    Card card(state);
    card.powerOn();
    for (const apdu::ReplayExchange& e : script.exchanges) {
        const Bytes response = card.process(withTestSecrets(e));
        ASSERT_EQ(apdu::toHex(response, ' '), apdu::toHex(e.response, ' '))
            << GetParam().filename() << " line " << e.commandLine << ": " << e.header();
    }
}

INSTANTIATE_TEST_SUITE_P(Recorded, SimReplay, ::testing::ValuesIn(scripts()),
                         [](const auto& info) {
                             std::string n = info.param.stem().string();
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

}  // namespace ias::sim::test
