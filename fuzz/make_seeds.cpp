// SPDX-License-Identifier: Apache-2.0
// fuzz_make_seeds OUTDIR: writes seed inputs recorded from real exchanges with the
// deterministic simulator card (sim_card.hpp) into OUTDIR/<target>/:
//   card_responses/  the card layer's operations (card_responses.hpp framing) with the R-APDUs
//                    the simulator actually gave, as the module's token does them;
//   pkcs15/          the card's ODF, TokenInfo, AODF, PrKDF, CDF and certificates per mode;
//   tlv/             the same files and EF.SN, FCPs.
// Not part of CI: run by hand when the card layout changes (cmake --build build/fuzz
// --target fuzz_make_seeds). fuzz/seeds_from_replay.py covers the replay scripts.
#include <cstdio>
#include <fstream>
#include <string>

#include "card/ias_card.hpp"
#include "card_responses.hpp"
#include "ias/apdu/iso_channel.hpp"
#include "ias/sim/card.hpp"
#include "ias/sim/layout.hpp"
#include "sim_card.hpp"

using namespace ias;
using apdu::Bytes;

namespace {

std::string outDir;

void write(const std::string& target, const std::string& name, const Bytes& data) {
    const std::string dir = outDir + "/" + target;
    std::ofstream(dir + "/" + name, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                                             static_cast<std::streamsize>(data.size()));
}

// The simulator behind a channel that appends every R-APDU to the seed being built.
class Recorder : public apdu::CardChannel {
public:
    Recorder(sim::Card& card, Bytes& seed) : card_(card), seed_(seed) {}
    apdu::ResponseApdu transmit(const apdu::CommandApdu& c) override {
        apdu::ResponseApdu r = card_.process(c);
        fuzz::appendResponse(seed_, r.encode());
        return r;
    }

private:
    sim::Card& card_;
    Bytes& seed_;
};

const sim::FileNode* findFile(const sim::FileNode& n, std::uint16_t fid) {
    if (n.fid == fid) return &n;
    for (const auto& c : n.children) {
        if (const auto* f = findFile(c, fid)) return f;
    }
    return nullptr;
}

struct Session {
    sim::Card card{fuzz::pristineCard(), [](const sim::CardState&) {}};
    Bytes seed{0x00};  // options: no forced chaining
    Recorder rec{card, seed};
    apdu::IsoChannel iso{rec};
    card::IasCard ias{iso};
    void op(fuzz::Op o, std::initializer_list<std::uint8_t> params = {}) {
        seed.push_back(o);
        seed.insert(seed.end(), params);
    }
};

void cardResponses() {
    const std::uint8_t pin[] = {'4', '7', '1', '1'};
    const card::PinEncoding enc{0, 0xFF};  // the simulator compares the PIN as typed
    auto hi = [](std::uint16_t v) { return static_cast<std::uint8_t>(v >> 8); };
    auto lo = [](std::uint16_t v) { return static_cast<std::uint8_t>(v); };
    auto run = [&](const std::string& name, auto&& body) {
        Session s;
        try {
            body(s);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "seed %s: %s\n", name.c_str(), e.what());
        }
        write("card_responses", name, s.seed);
    };
    run("serial", [&](Session& s) { s.op(fuzz::kReadSerialNumber); (void)s.ias.readSerialNumber(); });
    for (std::uint16_t fid : {sim::layout::kFidOdf, sim::layout::kFidTokenInfo, sim::layout::kFidAodf,
                              sim::layout::kFidPrkdf, sim::layout::kFidCdf}) {
        run("readfile-" + std::to_string(fid), [&](Session& s) {
            s.op(fuzz::kSelectApplication); s.ias.selectApplication(card::kGenericPkiAid);
            s.op(fuzz::kReadFile, {hi(fid), lo(fid), 0x00, 0x40, 0x00}); (void)s.ias.readFile(fid, std::nullopt, 0x4000);
        });
    }
    for (std::uint16_t fid : {sim::layout::kFidCertAuth, sim::layout::kFidCertSign, sim::layout::kFidCertEc}) {
        run("cert-" + std::to_string(fid), [&](Session& s) {
            s.op(fuzz::kSelectApplication); s.ias.selectApplication(card::kGenericPkiAid);
            s.op(fuzz::kReadDerObject, {hi(fid), lo(fid), 0x40, 0x00}); (void)s.ias.readDerObject(fid, 0x4000);
        });
    }
    run("pin-status-verify", [&](Session& s) {
        s.op(fuzz::kPinStatus, {0x81}); (void)s.ias.pinStatus(0x81);
        s.op(fuzz::kVerifyPin, {0x81, 4, '4', '7', '1', '1', 0, 0xFF}); s.ias.verifyPin(0x81, pin, enc);
        s.op(fuzz::kPinStatus, {0x81}); (void)s.ias.pinStatus(0x81);
    });
    run("wrong-pin", [&](Session& s) {
        const std::uint8_t bad[] = {'0', '0', '0', '0'};
        s.op(fuzz::kVerifyPin, {0x81, 4, '0', '0', '0', '0', 0, 0xFF}); s.ias.verifyPin(0x81, bad, enc);
    });
    run("sign", [&](Session& s) {
        Bytes di(51, 0x5A);
        s.op(fuzz::kVerifyPin, {0x81, 4, '4', '7', '1', '1', 0, 0xFF}); s.ias.verifyPin(0x81, pin, enc);
        s.op(fuzz::kSetSecurityEnv, {0, 0x81, 0x02}); s.ias.setSecurityEnvironment(card::Crt::Authentication, 0x81, 0x02);
        s.seed.push_back(fuzz::kInternalAuthenticate);
        s.seed.push_back(static_cast<std::uint8_t>(di.size()));
        s.seed.insert(s.seed.end(), di.begin(), di.end());
        s.seed.push_back(0x01);
        s.seed.push_back(0x00);
        (void)s.ias.internalAuthenticate(di, 256);
    });
    run("decipher", [&](Session& s) {
        Bytes cryptogram(256, 0x11);
        s.op(fuzz::kVerifyPin, {0x81, 4, '4', '7', '1', '1', 0, 0xFF}); s.ias.verifyPin(0x81, pin, enc);
        s.op(fuzz::kSetSecurityEnv, {2, 0x81, 0x1A}); s.ias.setSecurityEnvironment(card::Crt::Confidentiality, 0x81, 0x1A);
        s.op(fuzz::kDecipher, {0x01, 0x00});
        s.seed.insert(s.seed.end(), cryptogram.begin(), cryptogram.end());
        (void)s.ias.decipher(cryptogram);
    });
    run("challenge", [&](Session& s) {
        s.op(fuzz::kSetExternalAuthKey, {0x81}); s.ias.setExternalAuthenticationKey(0x81);
        s.op(fuzz::kGetChallenge, {8}); (void)s.ias.getChallenge(8);
        Bytes crypt(24, 0x42);
        s.seed.push_back(fuzz::kExternalAuthenticate);
        s.seed.push_back(24);
        s.seed.insert(s.seed.end(), crypt.begin(), crypt.end());
        s.ias.externalAuthenticate(crypt);
    });
}

void pkcs15Files() {
    const sim::CardState& st = fuzz::pristineCard();
    struct F { std::uint16_t fid; std::uint8_t mode; const char* name; };
    const F files[] = {{sim::layout::kFidOdf, 0, "odf"}, {sim::layout::kFidTokenInfo, 1, "tokeninfo"},
                       {sim::layout::kFidAodf, 2, "aodf"}, {sim::layout::kFidPrkdf, 3, "prkdf"},
                       {sim::layout::kFidCdf, 4, "cdf"}, {sim::layout::kFidCertAuth, 6, "cert-auth"},
                       {sim::layout::kFidCertSign, 6, "cert-sign"}, {sim::layout::kFidCertEc, 6, "cert-ec"}};
    Bytes whole{7};
    auto put = [&](const Bytes& b) {
        whole.push_back(static_cast<std::uint8_t>(b.size() >> 8));
        whole.push_back(static_cast<std::uint8_t>(b.size()));
        whole.insert(whole.end(), b.begin(), b.end());
    };
    for (const F& f : files) {
        const sim::FileNode* n = findFile(st.mf, f.fid);
        if (!n) continue;
        Bytes seed{f.mode};
        seed.insert(seed.end(), n->content.begin(), n->content.end());
        write("pkcs15", f.name, seed);
        write("tlv", f.name, n->content);
    }
    for (std::uint16_t fid : {sim::layout::kFidTokenInfo, sim::layout::kFidPrkdf, sim::layout::kFidCdf,
                              sim::layout::kFidCertAuth, sim::layout::kFidCertSign, sim::layout::kFidCertEc}) {
        if (const sim::FileNode* n = findFile(st.mf, fid)) put(n->content);
    }
    write("pkcs15", "whole-card", whole);
    if (const sim::FileNode* n = findFile(st.mf, sim::layout::kFidEfSn)) write("tlv", "ef-sn", n->content);
    if (const sim::FileNode* n = findFile(st.mf, sim::layout::kFidEfDir)) write("tlv", "ef-dir", n->content);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_make_seeds OUTDIR (e.g. fuzz/corpus)\n");
        return 2;
    }
    outDir = argv[1];
    cardResponses();
    pkcs15Files();
    return 0;
}
