// SPDX-License-Identifier: Apache-2.0
// GET CHALLENGE, EXTERNAL AUTHENTICATE with the administration key set (UNBLOCK.md),
// MUTUAL AUTHENTICATE and secure messaging (IAS-ECC-reference §8, §9).
#include "ias/apdu/crypto.hpp"
#include "ias/apdu/tlv.hpp"
#include "ias/protocol/admin_key.hpp"
#include "ias/sim/key_ops.hpp"
#include "ias/sim/secure_messaging.hpp"
#include "sim_fixture.hpp"

namespace ias::sim::test {

namespace crypto = apdu::crypto;

namespace {
const Bytes kSn8 = protocol::serialIcc(kSerial);
}  // namespace

class SimAuth : public SimCard {
protected:
    Bytes challenge() {
        const ResponseApdu r = tx("0084000008");
        EXPECT_EQ(r.sw.value(), 0x9000);
        EXPECT_EQ(r.data.size(), 8u);
        return data(r);
    }
    protocol::AdminKeys adminKeys() const { return protocol::deriveAdminKeys(kMaster, kSn8); }
    std::uint16_t externalAuthenticate(const Bytes& cryptogram) {
        return swOf("0082000018" + apdu::toHex(cryptogram));
    }
    void blockUserPin() {
        for (const char* wrong : {"1111", "2222", "3333"}) swOf("0020008104" + hexOf(wrong));
        ASSERT_EQ(swOf("00200081"), 0x6983);
    }
};

TEST_F(SimAuth, GetChallengeIsFreshAndEightBytes) {
    EXPECT_NE(challenge(), challenge());
    EXPECT_EQ(swOf("0084000000"), 0x6C08);
    EXPECT_EQ(swOf("0084010008"), 0x6A86);
}

TEST_F(SimAuth, ExternalAuthenticateOpensResetRetryCounter) {
    selectApplication();
    blockUserPin();
    EXPECT_EQ(swOf("00228 1A4 06 80011C 830181"), 0x9000);
    const Bytes rnd = challenge();
    EXPECT_EQ(externalAuthenticate(protocol::externalAuthCryptogram(adminKeys(), rnd, kSn8)), 0x9000);
    EXPECT_TRUE(card_->isExternallyAuthenticated());
    EXPECT_EQ(swOf("002C028104" + hexOf("2580")), 0x9000);
    EXPECT_EQ(swOf("0020008104" + hexOf("2580")), 0x9000);
    // Re-selecting the application ends the role authentication.
    selectApplication();
    EXPECT_FALSE(card_->isExternallyAuthenticated());
    EXPECT_EQ(swOf("002C0381"), 0x6982);
}

TEST_F(SimAuth, ExternalAuthenticateRefusesWrongAndReplayedCryptograms) {
    selectApplication();
    blockUserPin();
    EXPECT_EQ(swOf("002281A40680011C830181"), 0x9000);
    // Without a challenge.
    EXPECT_EQ(externalAuthenticate(Bytes(24, 0)), 0x6985);
    // Wrong key (other master key).
    Bytes rnd = challenge();
    const auto wrongKeys = protocol::deriveAdminKeys(fromHex("FFEEDDCCBBAA99887766554433221100"), kSn8);
    EXPECT_EQ(externalAuthenticate(protocol::externalAuthCryptogram(wrongKeys, rnd, kSn8)), 0x6300);
    // Good cryptogram for a challenge already consumed by the failed attempt: replay refused.
    EXPECT_EQ(externalAuthenticate(protocol::externalAuthCryptogram(adminKeys(), rnd, kSn8)), 0x6985);
    // Good cryptogram, then the same one again after a new challenge.
    rnd = challenge();
    const Bytes good = protocol::externalAuthCryptogram(adminKeys(), rnd, kSn8);
    EXPECT_EQ(externalAuthenticate(good), 0x9000);
    card_->reset();
    selectApplication();
    EXPECT_EQ(swOf("002281A40680011C830181"), 0x9000);
    challenge();
    EXPECT_EQ(externalAuthenticate(good), 0x6300);
    EXPECT_FALSE(card_->isExternallyAuthenticated());
    EXPECT_EQ(swOf("002C028104" + hexOf("2580")), 0x6982);
    // Another card's serial.
    rnd = challenge();
    const Bytes otherSn = fromHex("0010000000999999");
    EXPECT_EQ(externalAuthenticate(protocol::externalAuthCryptogram(protocol::deriveAdminKeys(kMaster, otherSn), rnd, otherSn)),
              0x6300);
    // Wrong length.
    challenge();
    EXPECT_EQ(swOf("0082000010" + std::string(32, '0')), 0x6700);
}

TEST_F(SimAuth, ExternalAuthenticateAcceptsOpenScMacVariant) {
    selectApplication();
    EXPECT_EQ(swOf("002281A40680011C830101"), 0x9000);
    const Bytes rnd = challenge();
    const auto keys = adminKeys();
    Bytes plain = rnd + kSn8;
    const apdu::SecureBytes e = crypto::des3CbcEncrypt(keys.enc, plain);
    Bytes cryptogram(e.begin(), e.end());
    cryptogram += crypto::retailMac(keys.mac, crypto::padIso9797m2(e), crypto::MacVariant::OpenSc);
    EXPECT_EQ(externalAuthenticate(cryptogram), 0x9000);
}

TEST_F(SimAuth, MseForExternalAuthenticationChecksKeyset) {
    EXPECT_EQ(swOf("002281A40680011C830109"), 0x6A88);
    EXPECT_EQ(swOf("002281A40680010C830101"), 0x6A80);
    EXPECT_EQ(swOf("002281B60680011C830101"), 0x6A86);
}

// Host side of §8.2/§8.3 computed with apdu crypto, for both MAC variants.
class SimSecureMessaging : public SimAuth, public ::testing::WithParamInterface<crypto::MacVariant> {
protected:
    void establish() {
        const Bytes kEnc = fromHex(kDefaultSmEncKey);
        const Bytes kMac = fromHex(kDefaultSmMacKey);
        ASSERT_EQ(swOf("0022C1A40680010C830102"), 0x9000);
        const Bytes rndIcc = challenge();
        const Bytes rndIfd = fromHex("0102030405060708");
        const Bytes snIfd = fromHex("1122334455667788");
        Bytes kIfd(32);
        for (std::size_t i = 0; i < 32; ++i) kIfd[i] = static_cast<std::uint8_t>(0xA0 + i);
        const Bytes plain = rndIfd + snIfd + rndIcc + kSn8 + kIfd;
        const apdu::SecureBytes eIfd = crypto::des3CbcEncrypt(kEnc, plain);
        const Bytes mIfd = crypto::retailMac(kMac, crypto::padIso9797m2(eIfd), GetParam());
        const ResponseApdu r = tx("0082000048" + apdu::toHex(eIfd) + apdu::toHex(mIfd) + "48");
        ASSERT_EQ(r.sw.value(), 0x9000);
        ASSERT_EQ(r.data.size(), 0x48u);
        const ByteView eIcc = ByteView(r.data).first(64);
        EXPECT_EQ(crypto::retailMac(kMac, crypto::padIso9797m2(eIcc), GetParam()), Bytes(r.data.begin() + 64, r.data.end()));
        const apdu::SecureBytes answer = crypto::des3CbcDecrypt(kEnc, eIcc);
        EXPECT_EQ(Bytes(answer.begin(), answer.begin() + 8), rndIcc);
        EXPECT_EQ(Bytes(answer.begin() + 8, answer.begin() + 16), kSn8);
        EXPECT_EQ(Bytes(answer.begin() + 16, answer.begin() + 24), rndIfd);
        const ByteView kIcc = ByteView(answer).subspan(32, 32);
        encKey_ = deriveSessionKey(kIfd, kIcc, 1, false);
        macKey_ = deriveSessionKey(kIfd, kIcc, 2, false);
        ssc_ = Bytes(rndIcc.begin() + 4, rndIcc.end()) + Bytes(rndIfd.begin() + 4, rndIfd.end());
        EXPECT_TRUE(card_->hasSecureMessaging());
    }
    void incrementSsc() {
        for (std::size_t i = ssc_.size(); i-- > 0;) {
            if (++ssc_[i] != 0) break;
        }
    }
    static Bytes padMac(const Bytes& in) {
        if (in.size() % 8 == 0) return in;
        const apdu::SecureBytes p = crypto::padIso9797m2(in);
        return Bytes(p.begin(), p.end());
    }
    // OpenSC-style wrapping: 87 (even INS), 97 always, 8E.
    Bytes wrap(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data, std::uint8_t le) {
        incrementSsc();
        const apdu::SecureBytes enc = crypto::des3CbcEncrypt(encKey_, crypto::padIso9797m2(data));
        Bytes do87{0x01};
        do87.insert(do87.end(), enc.begin(), enc.end());
        const Bytes body = apdu::encodeTlv(0x87, do87) + Bytes{0x97, 0x01, le};
        // cppcheck-suppress redundantAssignment ; cppcheck 2.10 misparses `x + Bytes{...}` as an assignment to x
        const Bytes macInput = ssc_ + Bytes{0x0C, ins, p1, p2, 0x80, 0, 0, 0} + body;
        const Bytes mac = crypto::retailMac(macKey_, padMac(macInput), GetParam());
        // cppcheck-suppress redundantAssignment ; same misparse (`body + Bytes{...}`)
        const Bytes all = body + Bytes{0x8E, 0x08} + mac;
        return Bytes{0x0C, ins, p1, p2, static_cast<std::uint8_t>(all.size())} + all + Bytes{0x00};
    }
    // Checks the response MAC and returns the inner status word.
    std::uint16_t unwrap(const ResponseApdu& r) {
        incrementSsc();
        const auto items = apdu::TlvParser::parseAll(r.data);
        EXPECT_GE(items.size(), 2u);
        Bytes macInput = ssc_;
        for (std::size_t i = 0; i + 1 < items.size(); ++i) macInput.insert(macInput.end(), items[i].raw.begin(), items[i].raw.end());
        EXPECT_EQ(crypto::retailMac(macKey_, padMac(macInput), GetParam()),
                  Bytes(items.back().value.begin(), items.back().value.end()));
        const auto status = apdu::TlvParser::find(r.data, 0x99);
        return status ? static_cast<std::uint16_t>(status->value[0] << 8 | status->value[1]) : 0;
    }

    apdu::SecureBytes encKey_;
    apdu::SecureBytes macKey_;
    Bytes ssc_;
};

TEST_P(SimSecureMessaging, MutualAuthenticationThenWrappedVerify) {
    selectApplication();
    establish();
    const ResponseApdu wrong = ResponseApdu::parse(card_->process(wrap(0x20, 0x00, 0x81, Bytes{'0', '0', '0', '0'}, 0x0E)));
    EXPECT_EQ(wrong.sw.value(), 0x63C2);  // outer SW carries the error (OpenSC looks there)
    EXPECT_EQ(unwrap(wrong), 0x63C2);
    const ResponseApdu good = ResponseApdu::parse(card_->process(wrap(0x20, 0x00, 0x81, Bytes{'4', '7', '1', '1'}, 0x0E)));
    EXPECT_EQ(good.sw.value(), 0x9000);
    EXPECT_EQ(unwrap(good), 0x9000);
    EXPECT_TRUE(card_->isPinVerified(0x81));
    // A corrupted MAC ends the session: 69 88, then plain SM commands get 69 87.
    Bytes bad = wrap(0x20, 0x00, 0x81, Bytes{'4', '7', '1', '1'}, 0x0E);
    bad[bad.size() - 2] ^= 0x01;
    EXPECT_EQ(ResponseApdu::parse(card_->process(bad)).sw.value(), 0x6988);
    EXPECT_FALSE(card_->hasSecureMessaging());
    EXPECT_EQ(ResponseApdu::parse(card_->process(wrap(0x20, 0x00, 0x81, Bytes{'4', '7', '1', '1'}, 0x0E))).sw.value(), 0x6987);
}

TEST_P(SimSecureMessaging, VerifyRuleFourRequiresSecureMessaging) {
    PersonalisationOptions o;
    o.serial = kSerial;
    o.smRequired = true;
    o.caKeyPem = personalisedCard().caKeyPem;
    o.caCertPem = personalisedCard().caCertPem;
    o.authKeyPem = keyops::privateKeyToPem(personalisedCard().state.keys[0].privateDer);
    o.signKeyPem = keyops::privateKeyToPem(personalisedCard().state.keys[1].privateDer);
    card_ = std::make_unique<Card>(personalise(o).state);
    selectApplication();
    EXPECT_EQ(swOf("0020008104" + hexOf("4711")), 0x6982);
    establish();
    const ResponseApdu good = ResponseApdu::parse(card_->process(wrap(0x20, 0x00, 0x81, Bytes{'4', '7', '1', '1'}, 0x0E)));
    EXPECT_EQ(unwrap(good), 0x9000);
}

INSTANTIATE_TEST_SUITE_P(MacVariants, SimSecureMessaging,
                         ::testing::Values(crypto::MacVariant::Standard, crypto::MacVariant::OpenSc));

TEST_F(SimAuth, MutualAuthenticationWithWrongKeysFails) {
    selectApplication();
    ASSERT_EQ(swOf("0022C1A40680010C830102"), 0x9000);
    const Bytes rndIcc = challenge();
    const Bytes plain = fromHex("0102030405060708") + fromHex("1122334455667788") + rndIcc + kSn8 + Bytes(32, 0x55);
    const Bytes wrongKey = fromHex("0F0E0D0C0B0A09080706050403020100");
    const apdu::SecureBytes e = crypto::des3CbcEncrypt(wrongKey, plain);
    const Bytes m = crypto::retailMac(wrongKey, crypto::padIso9797m2(e));
    EXPECT_EQ(swOf("0082000048" + apdu::toHex(e) + apdu::toHex(m) + "48"), 0x6300);
    EXPECT_FALSE(card_->hasSecureMessaging());
}

}  // namespace ias::sim::test
