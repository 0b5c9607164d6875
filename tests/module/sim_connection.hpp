// SPDX-License-Identifier: Apache-2.0
// The simulator's card behind the apdu::CardConnection seam (no pcscd), shared by the token
// tests: every command header is recorded, so a test counts the APDUs an operation costs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ias/apdu/connection.hpp"
#include "ias/apdu/response.hpp"
#include "ias/sim/card.hpp"
#include "ias/sim/personalise.hpp"
#include "ias/sim/personality.hpp"

namespace ias::p11::test {

using apdu::Bytes;
using apdu::ByteView;

// The simulator's card as a connection: transactions are trivially exclusive, a reset
// resets the card's security state.
class SimConnection final : public apdu::CardConnection {
public:
    explicit SimConnection(std::shared_ptr<sim::Card> card) : card_(std::move(card)), channel_(*this) {}
    // The card presenting another ATR than its personality's (a layout hint's family).
    SimConnection(std::shared_ptr<sim::Card> card, Bytes atr) : card_(std::move(card)), channel_(*this), atr_(std::move(atr)) {}
    void beginTransaction() override {}
    void endTransaction() noexcept override {}
    apdu::CardChannel& channel() override { return channel_; }
    std::uint64_t resetCount() const override { return resets_; }
    void resetCard() override {
        card_->reset();
        ++resets_;
    }
    Bytes atr() override { return atr_.empty() ? Bytes(card_->atr().begin(), card_->atr().end()) : atr_; }
    std::vector<Bytes>& commands() { return commands_; }

private:
    class Channel final : public apdu::CardChannel {
    public:
        explicit Channel(SimConnection& owner) : owner_(owner) {}
        apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override {
            const apdu::SecureBytes raw = command.encode();
            owner_.commands_.emplace_back(raw.begin(), raw.begin() + 4);
            const Bytes answer = owner_.card_->process(ByteView(raw.data(), raw.size()));
            if (std::getenv("IAS_TEST_APDU_HEADERS") != nullptr) {
                // Headers and status words only: never command or response data.
                std::fprintf(stderr, "  %s -> %02X%02X\n", apdu::toHex(ByteView(raw.data(), 4)).c_str(),
                             answer[answer.size() - 2], answer[answer.size() - 1]);
            }
            return apdu::ResponseApdu::parse(answer);
        }

    private:
        SimConnection& owner_;
    };

    std::shared_ptr<sim::Card> card_;
    Channel channel_;
    std::uint64_t resets_ = 0;
    std::vector<Bytes> commands_;
    Bytes atr_;
};

inline std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) throw std::runtime_error("cannot read " + path);
    return ss.str();
}

// Fixed test keys (tests/replay/keys): no RSA key generation per test.
inline sim::PersonalisationOptions fixedCardOptions(const std::string& personality = sim::kDefaultPersonality, bool ec = false) {
    const std::string dir = IAS_TEST_KEYS_DIR;
    sim::PersonalisationOptions o;
    o.serial = apdu::fromHex("0010000000123456");
    o.caKeyPem = readFile(dir + "/ca.key");
    o.caCertPem = readFile(dir + "/ca.crt");
    // The fixed keys are RSA; a personality with EC keys gets new ones (cheap to generate).
    const sim::Personality* p = sim::findPersonality(personality);
    if (p == nullptr) throw std::runtime_error("no personality " + personality);
    if (p->keys.at(0).curve.empty()) o.authKeyPem = readFile(dir + "/auth.key");
    if (p->keys.at(1).curve.empty()) o.signKeyPem = readFile(dir + "/sign.key");
    o.personality = personality;
    o.withEcKey = ec;
    return o;
}

}  // namespace ias::p11::test
