// SPDX-License-Identifier: Apache-2.0
// ias-card-sim: personalise / run / show.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "ias/apdu/error.hpp"
#include "ias/protocol/admin_key.hpp"
#include "ias/sim/card.hpp"
#include "ias/sim/personalise.hpp"
#include "ias/sim/vpcd.hpp"

namespace {

using namespace ias;
using namespace ias::sim;

std::atomic<bool> gStop{false};
void onSignal(int) { gStop = true; }

const char* kUsage =
    "usage:\n"
    "  ias-card-sim personalise --state FILE --serial HEX [--personality NAME] [--pin 4711] [--puk 12345678]\n"
    "               [--sign-pin 12345]\n"
    "               [--master-key HEX16] [--sm-enc HEX16 --sm-mac HEX16] [--label TEXT] [--holder NAME]\n"
    "               [--ca-dir DIR | --ca-key PEM --ca-cert PEM] [--auth-key PEM] [--sign-key PEM]\n"
    "               [--ec [--ec-key PEM]] [--sm] [--force]\n"
    "  ias-card-sim run --state FILE [--host 127.0.0.1] [--port 35963] [--latency-ms N]\n"
    "               [--fault drop-before=N|drop-after=N|sw6f00=N] [--apdu-log FILE] [--apdu-trace FILE]\n"
    "               [--opensc-mac] [--force-get-response]\n"
    "  ias-card-sim show --state FILE\n"
    "  ias-card-sim personalities          (names and the card family each imitates)\n"
    "Defaults: master key 00112233445566778899AABBCCDDEEFF (test only), SM keys 40..4F / 50..5F.\n";

struct Args {
    std::map<std::string, std::string> values;
    std::vector<std::string> flags;
    bool has(const std::string& k) const { return values.count(k) || std::find(flags.begin(), flags.end(), k) != flags.end(); }
    std::string get(const std::string& k, const std::string& def = {}) const {
        const auto it = values.find(k);
        return it == values.end() ? def : it->second;
    }
};

Args parseArgs(int argc, char** argv, int from, const std::vector<std::string>& flagNames) {
    Args a;
    for (int i = from; i < argc; ++i) {
        const std::string k = argv[i];
        if (k.rfind("--", 0) != 0) throw std::runtime_error("unexpected argument " + k);
        if (std::find(flagNames.begin(), flagNames.end(), k) != flagNames.end()) {
            a.flags.push_back(k);
            continue;
        }
        if (i + 1 >= argc) throw std::runtime_error("missing value for " + k);
        a.values[k] = argv[++i];
    }
    return a;
}

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeText(const std::filesystem::path& path, const std::string& text, bool secret) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + path.string());
    out << text;
    out.close();
    if (secret) std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

int personaliseCommand(const Args& a) {
    const std::string statePath = a.get("--state");
    if (statePath.empty() || a.get("--serial").empty()) throw std::runtime_error("--state and --serial are required");
    if (std::filesystem::exists(statePath) && !a.has("--force")) {
        throw std::runtime_error(statePath + " exists (use --force to replace the card)");
    }
    PersonalisationOptions o;
    o.serial = apdu::fromHex(a.get("--serial"));
    o.personality = a.get("--personality", o.personality);
    o.pin = a.get("--pin", o.pin);
    o.signPin = a.get("--sign-pin", o.signPin);
    o.puk = a.get("--puk", o.puk);
    if (a.has("--master-key")) o.masterKey = apdu::fromHex(a.get("--master-key"));
    if (a.has("--sm-enc")) o.smEncKey = apdu::fromHex(a.get("--sm-enc"));
    if (a.has("--sm-mac")) o.smMacKey = apdu::fromHex(a.get("--sm-mac"));
    o.label = a.get("--label", o.label);
    o.holder = a.get("--holder", o.holder);
    o.withEcKey = a.has("--ec");
    o.smRequired = a.has("--sm");
    if (a.has("--auth-key")) o.authKeyPem = readText(a.get("--auth-key"));
    if (a.has("--sign-key")) o.signKeyPem = readText(a.get("--sign-key"));
    if (a.has("--ec-key")) o.ecKeyPem = readText(a.get("--ec-key"));
    const std::string caDir = a.get("--ca-dir");
    if (a.has("--ca-key") || a.has("--ca-cert")) {
        o.caKeyPem = readText(a.get("--ca-key"));
        o.caCertPem = readText(a.get("--ca-cert"));
    } else if (!caDir.empty() && std::filesystem::exists(std::filesystem::path(caDir) / "ca.key")) {
        o.caKeyPem = readText((std::filesystem::path(caDir) / "ca.key").string());
        o.caCertPem = readText((std::filesystem::path(caDir) / "ca.crt").string());
    }
    const PersonalisedCard card = personalise(o);
    if (!caDir.empty() && !std::filesystem::exists(std::filesystem::path(caDir) / "ca.key")) {
        std::filesystem::create_directories(caDir);
        writeText(std::filesystem::path(caDir) / "ca.key", card.caKeyPem, true);
        writeText(std::filesystem::path(caDir) / "ca.crt", card.caCertPem, false);
    }
    card.state.save(statePath);
    std::cout << "personalised card " << apdu::toHex(protocol::serialIcc(card.state.serial)) << " in " << statePath << "\n";
    return 0;
}

int showCommand(const Args& a) {
    const CardState s = CardState::load(a.get("--state"));
    std::cout << "serial (EF.SN): " << apdu::toHex(s.serial) << "\n";
    std::cout << "SN.ICC:         " << apdu::toHex(protocol::serialIcc(s.serial)) << "\n";
    std::cout << "label:          " << s.label << "\n";
    std::cout << "personality:    " << s.personality << "\n";
    for (const PinObject& p : s.pins) {
        std::cout << "CHV 0x" << apdu::toHex(apdu::Bytes{static_cast<std::uint8_t>(p.ref | 0x80)})
                  << (p.ref == 1 ? " (user PIN)" : p.ref == 2 ? " (PUK)" : "") << ": " << static_cast<int>(p.triesLeft)
                  << "/" << static_cast<int>(p.maxTries) << " tries left" << (p.triesLeft == 0 ? ", BLOCKED" : "") << "\n";
    }
    for (const KeyObject& k : s.keys) {
        std::cout << "key 0x" << apdu::toHex(apdu::Bytes{static_cast<std::uint8_t>(k.ref | 0x80)}) << ": "
                  << (k.kind == KeyKind::Rsa ? "RSA" : "EC") << "\n";
    }
    return 0;
}

int runCommand(const Args& a) {
    const std::string statePath = a.get("--state");
    if (statePath.empty()) throw std::runtime_error("--state is required");
    VpcdOptions v;
    v.host = a.get("--host", v.host);
    v.port = static_cast<std::uint16_t>(std::stoul(a.get("--port", "35963")));
    v.latencyMs = static_cast<unsigned>(std::stoul(a.get("--latency-ms", "0")));
    if (a.has("--fault")) {
        const auto f = FaultPlan::parse(a.get("--fault"));
        if (!f) throw std::runtime_error("bad --fault (drop-before=N, drop-after=N or sw6f00=N)");
        v.fault = *f;
    }
    v.apduLog = a.get("--apdu-log");
    v.apduTrace = a.get("--apdu-trace");
    CardOptions co;
    co.forceGetResponse = a.has("--force-get-response");
    co.openScMac = a.has("--opensc-mac");
    Card card(CardState::load(statePath), [statePath](const CardState& s) { s.save(statePath); }, co);

    struct sigaction sa{};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    (void)std::signal(SIGPIPE, SIG_IGN);  // cannot fail for SIGPIPE
    const int rc = serveVpcd(card, v, gStop);
    std::cerr << "ias-card-sim: stopped\n";
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << kUsage;
        return 2;
    }
    const std::string cmd = argv[1];
    try {
        if (cmd == "personalise" || cmd == "personalize") {
            return personaliseCommand(parseArgs(argc, argv, 2, {"--ec", "--sm", "--force"}));
        }
        if (cmd == "run") return runCommand(parseArgs(argc, argv, 2, {"--opensc-mac", "--force-get-response"}));
        if (cmd == "show") return showCommand(parseArgs(argc, argv, 2, {}));
        if (cmd == "personalities") {
            for (const Personality& p : personalities()) std::cout << p.name << "\t" << p.family << "\n";
            std::cout << "default\t= " << kDefaultPersonality << "\n";
            return 0;
        }
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            std::cout << kUsage;
            return 0;
        }
        std::cerr << kUsage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "ias-card-sim: " << e.what() << "\n";
        return 1;
    }
}
