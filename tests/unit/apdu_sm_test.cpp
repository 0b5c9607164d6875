// SPDX-License-Identifier: Apache-2.0
// Secure messaging: fixed vectors (computed independently with Python `cryptography`),
// and a round trip against a card-side model written here from the crypto primitives only.
#include <gtest/gtest.h>

#include "apdu_test_util.hpp"
#include "ias/apdu/crypto.hpp"
#include "ias/apdu/iso_channel.hpp"
#include "ias/apdu/secure_messaging.hpp"
#include "ias/apdu/trace.hpp"

using namespace ias::apdu;
using namespace ias::apdu::test;
namespace c = ias::apdu::crypto;

namespace {

const std::string kEnc = "0123456789ABCDEFFEDCBA9876543210";
const std::string kMac = "00112233445566778899AABBCCDDEEFF";

SmSession fixedSession() { return SmSession(secure(kEnc), secure(kMac), secure("0000000000000041")); }

CommandApdu verifyPin(const std::string& pinHex = "31323334FFFFFFFF") {
    CommandApdu v = cmd("00200001" "08" + pinHex);
    v.sensitive = true;
    return v;
}

Bytes pad(ByteView d) { return plain(c::padIso9797m2(d)); }
Bytes padIfNeeded(const Bytes& d) { return d.size() % 8 == 0 ? d : pad(d); }
void inc(Bytes& ssc) {
    for (std::size_t i = 8; i-- > 0;) {
        if (++ssc[i] != 0) break;
    }
}
Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// Card side of CWA 14890 mutual authentication and SM, from the primitives only.
class CardModel {
public:
    Bytes staticEnc = fromHex(kEnc), staticMac = fromHex(kMac);
    Bytes snIcc = fromHex("0000000012345678"), snIfd = fromHex("4946445345524931");
    Bytes rndIcc = fromHex("1122334455667788"), kIcc = Bytes(32, 0x5A);
    MacVariant variant = MacVariant::Standard;
    Bytes sessEnc, sessMac, ssc;
    bool tamperResponseMac = false;
    bool plainErrorAnswer = false;
    Bytes pin = fromHex("31323334FFFFFFFF");
    int tries = 3;
    std::vector<Bytes> plainCommandsSeen;

    ResponseApdu handle(const CommandApdu& cmdIn) {
        if (cmdIn.ins == 0x84) return ResponseApdu{secureCopy(rndIcc), StatusWord(0x9000)};
        if (cmdIn.ins == 0x82) return mutualAuth(cmdIn);
        if ((cmdIn.cla & 0x0C) == 0x0C) return smCommand(cmdIn);
        return ResponseApdu{{}, StatusWord(0x6982)};
    }

private:
    ResponseApdu mutualAuth(const CommandApdu& m) {
        EXPECT_EQ(m.data.size(), 0x48u);
        const Bytes e(m.data.begin(), m.data.begin() + 64);
        const Bytes mIfd(m.data.begin() + 64, m.data.end());
        EXPECT_EQ(c::retailMac(staticMac, pad(e), variant), mIfd);
        const Bytes s = plain(c::des3CbcDecrypt(staticEnc, e));
        EXPECT_EQ(Bytes(s.begin() + 16, s.begin() + 24), rndIcc);
        EXPECT_EQ(Bytes(s.begin() + 24, s.begin() + 32), snIcc);
        const Bytes rndIfd(s.begin(), s.begin() + 8);
        const Bytes kIfd(s.begin() + 32, s.end());
        const Bytes eIcc = plain(c::des3CbcEncrypt(staticEnc, cat({rndIcc, snIcc, rndIfd, Bytes(s.begin() + 8, s.begin() + 16), kIcc})));
        Bytes x(36, 0);
        for (int i = 0; i < 32; ++i) x[i] = kIfd[i] ^ kIcc[i];
        x[35] = 1;
        sessEnc = c::sha1(x);
        sessEnc.resize(16);
        x[35] = 2;
        sessMac = c::sha1(x);
        sessMac.resize(16);
        ssc = cat({Bytes(rndIcc.begin() + 4, rndIcc.end()), Bytes(rndIfd.begin() + 4, rndIfd.end())});
        return ResponseApdu{secureCopy(cat({eIcc, c::retailMac(staticMac, pad(eIcc), variant)})), StatusWord(0x9000)};
    }

    ResponseApdu smCommand(const CommandApdu& w) {
        inc(ssc);
        const Bytes d(w.data.begin(), w.data.end());
        // Expect [87 L 01 ENC] [97 01 Le] 8E 08 MAC, short lengths only in these tests.
        std::size_t pos = 0;
        const auto at = [&d](std::size_t i) { return d.begin() + static_cast<std::ptrdiff_t>(i); };
        Bytes do87, do97, data;
        if (d[pos] == 0x87) {
            do87.assign(d.begin(), d.begin() + 2 + d[1]);
            data = plain(c::unpadIso9797m2(c::des3CbcDecrypt(sessEnc, Bytes(do87.begin() + 3, do87.end()))));
            pos += do87.size();
        }
        if (d[pos] == 0x97) {
            do97.assign(at(pos), at(pos + 3));
            pos += 3;
        }
        EXPECT_EQ(d[pos], 0x8E);
        const Bytes mac(at(pos + 2), d.end());
        const Bytes macIn = padIfNeeded(cat({ssc, {w.cla, w.ins, w.p1, w.p2, 0x80, 0, 0, 0}, do87, do97}));
        inc(ssc);
        if (c::retailMac(sessMac, macIn, variant) != mac) return ResponseApdu{{}, StatusWord(0x6988)};
        plainCommandsSeen.push_back(cat({{static_cast<std::uint8_t>(w.cla & ~0x0C), w.ins, w.p1, w.p2}, data}));
        // The plain command: VERIFY or READ BINARY.
        Bytes out;
        StatusWord sw(0x9000);
        if (w.ins == 0x20) {
            if (data == pin) tries = 3;
            else sw = StatusWord(0x63, static_cast<std::uint8_t>(0xC0 | --tries));
        } else if (w.ins == 0xB0) {
            for (int i = 0; i < 20; ++i) out.push_back(static_cast<std::uint8_t>(i));
        }
        if (plainErrorAnswer) return ResponseApdu{{}, sw};
        Bytes do87r;
        if (!out.empty()) {
            const Bytes enc = plain(c::des3CbcEncrypt(sessEnc, pad(out)));
            do87r = cat({{0x87, static_cast<std::uint8_t>(enc.size() + 1), 0x01}, enc});
        }
        const Bytes do99 = {0x99, 0x02, sw.sw1(), sw.sw2()};
        Bytes rmac = c::retailMac(sessMac, padIfNeeded(cat({ssc, do87r, do99})), variant);
        if (tamperResponseMac) rmac[7] ^= 0x01;
        return ResponseApdu{secureCopy(cat({do87r, do99, {0x8E, 0x08}, rmac})), sw};
    }
};

SmParameters params(const CardModel& card) {
    return SmParameters{{secure(kEnc), secure(kMac)}, card.snIfd, card.snIcc, card.variant, SmKeyDerivation::Sha1};
}

}  // namespace

TEST(SecureMessaging, FixedVectorVerifyStandard) {
    QueueChannel card({"990290008E08EE865788201990B99000"});
    SecureMessagingChannel sm(card, fixedSession());
    const ResponseApdu r = sm.transmit(verifyPin());
    ASSERT_EQ(card.sent.size(), 1u);
    EXPECT_EQ(card.sent[0], "0C2000011D871101A4B07BD1FD0EC0D0E326C92FFE9B51878E08B5CC1868A8F0773300");
    EXPECT_EQ(r.sw.value(), 0x9000);
    EXPECT_TRUE(sm.isOpen());
}

TEST(SecureMessaging, FixedVectorVerifyOpenScCompatible) {
    QueueChannel card({"990290008E084F5675D9201990B99000"});
    SecureMessagingChannel sm(card, fixedSession(), SmOptions::openScCompatible());
    EXPECT_EQ(sm.transmit(verifyPin()).sw.value(), 0x9000);
    EXPECT_EQ(card.sent.at(0), "0C20000120871101A4B07BD1FD0EC0D0E326C92FFE9B518797010E8E085AC7B441D31129540E");
}

TEST(SecureMessaging, WrappedCommandStaysSensitive) {
    QueueChannel card;
    SecureMessagingChannel sm(card, fixedSession());
    EXPECT_TRUE(sm.wrap(verifyPin()).sensitive);
}

TEST(SecureMessaging, ResponseMacTamperEndsSession) {
    QueueChannel card({"990290008E08EE865788201990B89000"});  // last MAC bit flipped
    SecureMessagingChannel sm(card, fixedSession());
    try {
        sm.transmit(verifyPin());
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::SecureMessaging);
        EXPECT_EQ(std::string(e.what()).find("3132"), std::string::npos);
    }
    EXPECT_FALSE(sm.isOpen());
    EXPECT_THROW(sm.transmit(verifyPin()), Error);
    EXPECT_EQ(card.sent.size(), 1u);  // nothing sent once closed
}

TEST(SecureMessaging, OpenScMacIsNotAcceptedInStandardMode) {
    QueueChannel card({"990290008E084F5675D9201990B99000"});
    SecureMessagingChannel sm(card, fixedSession());
    EXPECT_THROW(sm.transmit(verifyPin()), Error);
}

TEST(SecureMessaging, MalformedAnswersEndSession) {
    for (const char* bad : {"9000",                                  // no SM objects
                            "8E08EE865788201990B99000",              // no 99
                            "990290008E07EE865788201990" "9000",     // short MAC
                            "8E08EE865788201990B9990290009000",      // 99 after 8E
                            "99029000" "9000",                       // no MAC
                            "990290008E08EE86"}) {                   // truncated TLV
        QueueChannel card({bad});
        SecureMessagingChannel sm(card, fixedSession());
        EXPECT_THROW(sm.transmit(verifyPin()), Error) << bad;
        EXPECT_FALSE(sm.isOpen()) << bad;
    }
}

TEST(SecureMessaging, TransportErrorEndsSession) {
    QueueChannel card;  // throws Transport
    SecureMessagingChannel sm(card, fixedSession());
    EXPECT_THROW(sm.transmit(verifyPin()), Error);
    EXPECT_FALSE(sm.isOpen());
}

TEST(SecureMessaging, RoundTripWithCardModel) {
    CardModel model;
    FunctionChannel card([&](const CommandApdu& cm) { return model.handle(cm); });
    IsoChannel iso(card);
    SmSession session = establishSmSession(iso, params(model));
    ASSERT_TRUE(session.isOpen());
    EXPECT_EQ(Bytes(session.ssc().begin(), session.ssc().begin() + 4), fromHex("55667788"));
    EXPECT_EQ(plain(session.encKey()), model.sessEnc);
    EXPECT_EQ(plain(session.macKey()), model.sessMac);

    SecureMessagingChannel sm(iso, std::move(session));
    EXPECT_EQ(sm.transmit(verifyPin()).sw.value(), 0x9000);
    const ResponseApdu wrong = sm.transmit(verifyPin("39393939FFFFFFFF"));
    EXPECT_EQ(wrong.sw.triesLeft(), 2u);
    const ResponseApdu read = sm.transmit(cmd("00B0000014"));
    EXPECT_EQ(read.sw.value(), 0x9000);
    ASSERT_EQ(read.data.size(), 20u);
    EXPECT_EQ(read.data[19], 19);
    ASSERT_EQ(model.plainCommandsSeen.size(), 3u);
    EXPECT_EQ(model.plainCommandsSeen[0], fromHex("0020000131323334FFFFFFFF"));
    EXPECT_EQ(model.plainCommandsSeen[2], fromHex("00B00000"));
    EXPECT_TRUE(sm.isOpen());
}

TEST(SecureMessaging, RoundTripOpenScVariantWithChaining) {
    CardModel model;
    model.variant = MacVariant::OpenSc;
    FunctionChannel card([&](const CommandApdu& cm) { return model.handle(cm); });
    SmSession session = establishSmSession(card, params(model));
    SecureMessagingChannel sm(card, std::move(session), {.mac = MacVariant::OpenSc, .maxPlainChunk = 8});
    CommandApdu update = cmd("00D60000" "14" "000102030405060708090A0B0C0D0E0F10111213");
    EXPECT_TRUE(sm.transmit(update).isSuccess());
    ASSERT_EQ(model.plainCommandsSeen.size(), 3u);
    EXPECT_EQ(model.plainCommandsSeen[0], fromHex("10D600000001020304050607"));
    EXPECT_EQ(model.plainCommandsSeen[2], fromHex("00D6000010111213"));
}

TEST(SecureMessaging, MutualAuthenticationRejectsWrongCardCryptogram) {
    CardModel model;
    FunctionChannel card([&](const CommandApdu& cm) { return model.handle(cm); });
    MutualAuthentication auth(params(model), fromHex("0102030405060708"), Bytes(32, 0x33));
    ResponseApdu answer = card.transmit(auth.command(model.rndIcc));
    ResponseApdu tampered = answer;
    tampered.data[70] ^= 0x01;  // M.ICC
    MutualAuthentication auth2(params(model), fromHex("0102030405060708"), Bytes(32, 0x33));
    auth2.command(model.rndIcc);
    EXPECT_THROW(auth2.finish(tampered), Error);
    ResponseApdu refused{{}, StatusWord(0x6300)};
    EXPECT_THROW(auth2.finish(refused), Error);
    // Cryptogram for another challenge: echo check fails.
    MutualAuthentication auth3(params(model), fromHex("0102030405060708"), Bytes(32, 0x33));
    auth3.command(fromHex("0000000000000000"));
    EXPECT_THROW(auth3.finish(answer), Error);
    // The untouched answer is accepted.
    EXPECT_TRUE(auth.finish(answer).isOpen());
}

TEST(SecureMessaging, InnerStatusIsAuthoritativeAndPlainErrorsRejected) {
    CardModel model;
    FunctionChannel card([&](const CommandApdu& cm) { return model.handle(cm); });
    SecureMessagingChannel sm(card, establishSmSession(card, params(model)));
    model.plainErrorAnswer = true;  // 63C2 without SM objects: not authenticated
    EXPECT_THROW(sm.transmit(verifyPin("39393939FFFFFFFF")), Error);
    EXPECT_FALSE(sm.isOpen());
}

TEST(SecureMessaging, CardModelTamperedMacDetected) {
    CardModel model;
    FunctionChannel card([&](const CommandApdu& cm) { return model.handle(cm); });
    SecureMessagingChannel sm(card, establishSmSession(card, params(model)));
    model.tamperResponseMac = true;
    EXPECT_THROW(sm.transmit(cmd("00B0000014")), Error);
}

TEST(SecureMessaging, SessionWipesAndSerial) {
    SmSession s = fixedSession();
    SmSession moved = std::move(s);
    EXPECT_FALSE(s.isOpen());  // NOLINT(bugprone-use-after-move,clang-analyzer-cplusplus.Move): checks the moved-from state
    EXPECT_TRUE(moved.isOpen());
    moved.close();
    EXPECT_TRUE(moved.encKey().empty());
    EXPECT_FALSE(moved.isOpen());
    EXPECT_EQ(smSerialFromCardSerial(fromHex("0102030405060708090A")), fromHex("030405060708090A"));
    EXPECT_EQ(smSerialFromCardSerial(fromHex("1234")), fromHex("0000000000001234"));
    SmSession carry(secure(kEnc), secure(kMac), secure("00000000000000FF"));
    carry.incrementSsc();
    EXPECT_EQ(plain(carry.ssc()), fromHex("0000000000000100"));
}
