// SPDX-License-Identifier: Apache-2.0
// The simulated card the sim target and the seed generator run against: the deterministic
// replay card of tests/replay/keys (serial 0010000000777777, PIN 4711, PUK 12345678, plus
// the EC key), personalised once per process into memory.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "ias/apdu/bytes.hpp"
#include "ias/sim/personalise.hpp"

#ifndef IAS_FUZZ_KEYS_DIR
#error "IAS_FUZZ_KEYS_DIR must name tests/replay/keys"
#endif

namespace ias::fuzz {

inline std::string readKeyFile(const char* name) {
    std::ifstream in(std::string(IAS_FUZZ_KEYS_DIR) + "/" + name);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();  // empty when missing: personalise generates a key instead
}

inline const sim::CardState& pristineCard() {
    static const sim::CardState state = [] {
        sim::PersonalisationOptions o;
        o.serial = apdu::fromHex("0010000000777777");
        o.masterKey = apdu::fromHex(sim::kDefaultTestMasterKey);
        o.smEncKey = apdu::fromHex(sim::kDefaultSmEncKey);
        o.smMacKey = apdu::fromHex(sim::kDefaultSmMacKey);
        o.withEcKey = true;
        o.caKeyPem = readKeyFile("ca.key");
        o.caCertPem = readKeyFile("ca.crt");
        if (o.caKeyPem.empty() || o.caCertPem.empty()) o.caKeyPem.clear(), o.caCertPem.clear();
        o.authKeyPem = readKeyFile("auth.key");
        o.signKeyPem = readKeyFile("sign.key");
        return sim::personalise(o).state;
    }();
    return state;
}

}  // namespace ias::fuzz
