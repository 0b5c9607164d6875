// SPDX-License-Identifier: Apache-2.0
// Test helpers for the apdu channel tests: a programmable fake card.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "ias/apdu/channel.hpp"
#include "ias/apdu/error.hpp"

namespace ias::apdu::test {

inline Bytes plain(const SecureBytes& s) { return Bytes(s.begin(), s.end()); }
inline std::string str(const SecureBytes& s) { return std::string(s.begin(), s.end()); }
inline SecureBytes secure(const std::string& hex) {
    const Bytes b = fromHex(hex);
    return SecureBytes(b.begin(), b.end());
}
inline CommandApdu cmd(const std::string& hex) { return CommandApdu::parse(fromHex(hex)); }
inline ResponseApdu rsp(const std::string& hex) { return ResponseApdu::parse(fromHex(hex)); }

// Answers from a queue of responses (hex, SW included) and records the encoded commands.
class QueueChannel : public CardChannel {
public:
    explicit QueueChannel(std::vector<std::string> responses = {}) {
        for (auto& r : responses) queue.push_back(std::move(r));
    }
    ResponseApdu transmit(const CommandApdu& c) override {
        sent.push_back(toHex(c.encode()));
        if (queue.empty()) throw Error(ErrorKind::Transport, "fake card: no more responses");
        std::string r = queue.front();
        queue.pop_front();
        return rsp(r);
    }
    std::deque<std::string> queue;
    std::vector<std::string> sent;  // upper-case hex, no spaces
};

// Answers through a function (a card-side model).
class FunctionChannel : public CardChannel {
public:
    explicit FunctionChannel(std::function<ResponseApdu(const CommandApdu&)> f) : f_(std::move(f)) {}
    ResponseApdu transmit(const CommandApdu& c) override {
        ++count;
        return f_(c);
    }
    int count = 0;

private:
    std::function<ResponseApdu(const CommandApdu&)> f_;
};

}  // namespace ias::apdu::test
