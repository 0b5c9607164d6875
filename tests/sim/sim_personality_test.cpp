// SPDX-License-Identifier: Apache-2.0
// Personalities (sim/src/personality.cpp): ATR, EF.ATR bytes, SELECT rules, FCP style, PIN SDO
// answers byte-exact against the real-card traces of ../shared/realcards, PIN blocks, and the
// IDEMIA non-repudiation key (PSO HASH + CDS signs, INTERNAL AUTHENTICATE refused).
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <map>

#include "ias/apdu/crypto.hpp"
#include "ias/apdu/tlv.hpp"
#include "ias/sim/key_ops.hpp"
#include "sim_fixture.hpp"

namespace ias::sim::test {

namespace {

const Bytes kPersonaMessage{'p', 'e', 'r', 's', 'o', 'n', 'a'};

// One card per personality, keys generated once per test binary, CA of the shared fixture.
const PersonalisedCard& cardOf(const std::string& personality) {
    static std::map<std::string, PersonalisedCard> cards;
    auto it = cards.find(personality);
    if (it == cards.end()) {
        PersonalisationOptions o;
        o.personality = personality;
        o.serial = kSerial;
        o.masterKey = kMaster;
        o.caKeyPem = personalisedCard().caKeyPem;
        o.caCertPem = personalisedCard().caCertPem;
        it = cards.emplace(personality, personalise(o)).first;
    }
    return it->second;
}

bool verifySha256(EVP_PKEY* key, const Bytes& message, const Bytes& signature) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                    EVP_DigestVerify(ctx, signature.data(), signature.size(), message.data(), message.size()) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

// r || s (the card's answer) against the certificate's EC key, over a hash.
bool verifyEcdsaRaw(EVP_PKEY* key, const Bytes& hash, const Bytes& rs) {
    if (rs.empty() || rs.size() % 2 != 0) return false;
    const int half = static_cast<int>(rs.size() / 2);
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(rs.data(), half, nullptr), BN_bin2bn(rs.data() + half, half, nullptr));
    unsigned char* der = nullptr;
    const int derLen = i2d_ECDSA_SIG(sig, &der);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
    const bool ok = derLen > 0 && EVP_PKEY_verify_init(ctx) == 1 &&
                    EVP_PKEY_verify(ctx, der, static_cast<std::size_t>(derLen), hash.data(), hash.size()) == 1;
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    return ok;
}

std::string pinBlock(const std::string& pin, std::size_t length, std::uint8_t pad) {
    Bytes b(pin.begin(), pin.end());
    b.resize(length, pad);
    return apdu::toHex(b);
}

}  // namespace

class Personalities : public SimCard {
protected:
    void use(const std::string& name) {
        state_ = cardOf(name).state;
        card_ = std::make_unique<Card>(state_, [this](const CardState& s) {
            ++saves_;
            saved_ = s;
        });
        card_->powerOn();
    }
    // Collects an answer sent through 61xx (T=0 cards, CPx/Gemalto SELECT and GET DATA).
    ResponseApdu txAll(const std::string& hex) {
        ResponseApdu r = tx(hex);
        Bytes all = data(r);
        while (r.sw.sw1() == 0x61) {
            char getResponse[16];
            (void)std::snprintf(getResponse, sizeof getResponse, "00C00000%02X", static_cast<unsigned>(r.sw.sw2()));
            r = tx(getResponse);
            all += data(r);
        }
        return ResponseApdu{apdu::secureCopy(all), r.sw};
    }
    Bytes readCurrent() {
        Bytes out;
        for (;;) {
            char hdr[16];
            (void)std::snprintf(hdr, sizeof hdr, "00B0%02X%02X00", static_cast<unsigned>(out.size() >> 8),
                                static_cast<unsigned>(out.size() & 0xFF));
            const ResponseApdu r = tx(hdr);
            if (r.sw.value() != 0x9000 || r.data.empty()) break;
            out += data(r);
        }
        return out;
    }
    std::shared_ptr<EVP_PKEY> certKey(const std::string& appAid, const std::string& fid) {
        EXPECT_EQ(swOf("00A4040C" + appAid), 0x9000);
        EXPECT_EQ(swOf("00A4020C02" + fid), 0x9000);
        return publicKeyOf(readCurrent());
    }
};

constexpr const char* kCosmoApp = "0EE828BD080FD250454343 2D654944";
constexpr const char* kGetPin1Docp = "00CB3FFF0A4D087006BF810102A08000";

TEST_F(Personalities, EveryPersonalityPersonalisesWithItsAtrAndEfAtr) {
    for (const Personality& p : personalities()) {
        SCOPED_TRACE(p.name);
        use(p.name);
        EXPECT_EQ(Bytes(card_->atr().begin(), card_->atr().end()), p.atr);
        EXPECT_EQ(card_->state().personality, p.name);
        ASSERT_EQ(swOf("00A4000C023F00"), 0x9000);
        ASSERT_EQ(swOf("00A4020C022F01"), 0x9000);
        EXPECT_EQ(readCurrent(), p.efAtr);
        // The state file round-trips with its personality.
        EXPECT_EQ(CardState::fromJson(state_.toJson()).personality, p.name);
    }
    EXPECT_EQ(findPersonality("default"), findPersonality("amos"));
    EXPECT_EQ(findPersonality("no-such-card"), nullptr);
}

TEST_F(Personalities, CosmoEfAtrIsTheDualCosmoFile) {
    use("cosmo-v7");
    const Bytes& efAtr = card_->personality().efAtr;
    ASSERT_EQ(efAtr.size(), 100U);  // realcards/oberthur_cosmo_iasecc: zero padding to 100 bytes
    EXPECT_EQ(efAtr[0], 0x80);
    EXPECT_EQ(efAtr[1], 0x00);
    EXPECT_EQ(apdu::toHex(Bytes(efAtr.begin() + 16, efAtr.begin() + 29)), "4F0BF0496173456363526F6F74");
    EXPECT_EQ(efAtr.back(), 0x00);
    use("cpx");
    EXPECT_EQ(card_->personality().efAtr.front(), 0x80);  // stray leading 80 (realcards/cpx)
}

TEST_F(Personalities, OldStateFilesLoadAsTheDefaultLayout) {
    std::string json = personalisedCard().state.toJson();
    const auto at = json.find("\"personality\"");
    ASSERT_NE(at, std::string::npos);
    json.erase(at, json.find('\n', at) - at + 1);
    EXPECT_EQ(CardState::fromJson(json).personality, "amos");
}

TEST_F(Personalities, CosmoSelectRules) {
    use("cosmo-v7");
    EXPECT_EQ(swOf("00A40000023F00"), 0x6A86);  // realcards/oberthur_cosmo_iasecc [A]
    EXPECT_EQ(swOf("00A4000C023F00"), 0x9000);
    // The MF by the Oberthur IAS-ECC AID and by "IasEccRoot" (FCP with P2=04).
    ResponseApdu r = tx("00A4040410A000000077010800070000FE0000010000");
    EXPECT_EQ(r.sw.value(), 0x9000);
    EXPECT_EQ(r.data.at(0), 0x62);
    EXPECT_EQ(swOf("00A4040C0BF0496173456363526F6F74"), 0x9000);
    // OpenSC selects EFs of Oberthur cards with P1=01.
    r = tx("00A40104022F0100");
    EXPECT_EQ(r.sw.value(), 0x9000);
    EXPECT_EQ(r.data.at(0), 0x62);
    // The SE SDO is unreadable (realcards/oberthur_cosmo_iasecc [B]).
    EXPECT_EQ(swOf("00CB3FFF0A4D087006BFFB03027B8000"), 0x6A88);
    use("amos");
    EXPECT_EQ(swOf("00A40000023F0000"), 0x9000);
    EXPECT_EQ(swOf("00A40104022F0100"), 0x6A82);
}

TEST_F(Personalities, CosmoV8AnswersMinimalFcps) {
    use("cosmo-v8");
    ASSERT_EQ(swOf("00A4040C0DE828BD080FF2504F5420415750"), 0x9000);
    const ResponseApdu r = tx("00A40204025031" "00");
    ASSERT_EQ(r.sw.value(), 0x9000);
    const Bytes fcp = data(r);
    ASSERT_EQ(fcp.size(), 6U);  // 62 04 80 02 <size> (realcards/lateid_idemia_v2 fcp)
    EXPECT_EQ(apdu::toHex(Bytes(fcp.begin(), fcp.begin() + 4)), "62048002");
}

// EF.DIR by its short EF identifier 1E where the family's EF.DIR has one: CPx shows it in the
// FCP (88 01 F0, realcards/cpx_french_health_iasecc [A]), Cosmo as CPx (gap); Gemalto's FCP has
// no 88 and the read is refused (realcards/uruguay_eid_gemalto_ias); Amos, Sagem: no trace, none.
// The read makes EF.DIR the current EF.
TEST_F(Personalities, EfDirShortIdentifierFollowsTheEvidence) {
    for (const Personality& p : personalities()) {
        use(p.name);
        const ResponseApdu bySfi = tx("00B09E0000");
        if (p.efDirSfi == 0) {
            EXPECT_EQ(bySfi.sw.value(), 0x6A82) << p.name;
            continue;
        }
        EXPECT_EQ(p.efDirSfi, 0x1E) << p.name;
        ASSERT_EQ(bySfi.sw.value(), 0x9000) << p.name;
        ASSERT_FALSE(bySfi.data.empty()) << p.name;
        EXPECT_EQ(bySfi.data.at(0), 0x61) << p.name;                 // an application template
        EXPECT_EQ(readCurrent(), data(bySfi)) << p.name << ": EF.DIR is the current EF";
    }
    for (const char* name : {"cosmo-v7", "cosmo-v8", "cosmo-v8-ec", "cpx"}) EXPECT_EQ(findPersonality(name)->efDirSfi, 0x1E) << name;
    for (const char* name : {"amos", "gemalto-multiapp", "sagem"}) EXPECT_EQ(findPersonality(name)->efDirSfi, 0) << name;
    use("cpx");
    const ResponseApdu fcp = txAll("00A40904022F0000");
    ASSERT_EQ(fcp.sw.value(), 0x9000);
    const auto sfi = apdu::TlvParser::findPath(fcp.data, {0x62, 0x88});
    ASSERT_TRUE(sfi);
    EXPECT_EQ(Bytes(sfi->value.begin(), sfi->value.end()), fromHex("F0"));
}

TEST_F(Personalities, CpxSelectRulesAndSeOnlyInMf) {
    use("cpx");
    // realcards/cpx_french_health_iasecc trace [F], [A], [E], [D].
    EXPECT_EQ(swOf("00A4020002" "2F01"), 0x6A86);  // trace [F] (FID A001, not on our card)
    ResponseApdu r = tx("00A40400088025000001FF010000");
    EXPECT_EQ(r.sw.value(), 0x9000);
    EXPECT_TRUE(r.data.empty());
    EXPECT_EQ(swOf("00A404000DE828BD080F8025000001FF0010"), 0x6A86);
    EXPECT_EQ(swOf("00A4040C0DE828BD080F8025000001FF0010"), 0x9000);
    EXPECT_EQ(swOf("00CB3FFF0A4D087006BFFB03027B8000"), 0x6A88);
    r = tx("00A40904023F0000");
    EXPECT_EQ(r.sw.value(), 0x9000);
    EXPECT_TRUE(r.data.empty());
    // FCPs come through 61xx (trace [A]); the SE SDO is readable with the MF current.
    r = tx("00A40904022F0100");
    EXPECT_EQ(r.sw.sw1(), 0x61);
    EXPECT_EQ(txAll("00A40904022F0100").data.at(0), 0x62);
    EXPECT_EQ(txAll("00A4000C023F00").sw.value(), 0x9000);
    EXPECT_EQ(txAll("00CB3FFF0A4D087006BFFB03027B8000").sw.value(), 0x9000);
}

TEST_F(Personalities, PinSdoAnswersMatchTheRealCards) {
    // realcards/esteid2018_idemia and lateid_idemia_v2 get_data_sdo, byte for byte.
    use("cosmo-v7");
    EXPECT_EQ(apdu::toHex(data(tx(kGetPin1Docp))), "701EBF81011AA0189A01039B0103A1108C06F30000734300" "9C06F30000734300");
    use("cosmo-v8");
    EXPECT_EQ(apdu::toHex(data(tx("00CB3FFF0A4D087006BF810502A08000"))),
              "701EBF81051AA0189A01039B0103A1108C06F3000073FF00" "9C06F3000073FF00");
    // realcards/cpx_french_health_iasecc [B]: through 61 18, no contactless ACL.
    use("cpx");
    const ResponseApdu first = tx("00CB3FFF0A4D087006BF810102A080");
    EXPECT_EQ(first.sw.value(), 0x6118);
    EXPECT_EQ(apdu::toHex(data(txAll("00CB3FFF0A4D087006BF810102A080"))), "7016BF810112A0109A01039B0103A1088C06F3000013FF00");
}

TEST_F(Personalities, GemaltoAnswersItsPinInformationNotTheChvSdo) {
    // realcards/uruguay_eid_gemalto_ias trace lines 75-82, byte for byte but for the counter
    // (the trace's card had 5 tries left on its user PIN; ours has 3, see personality.cpp).
    use("gemalto-multiapp");
    EXPECT_EQ(tx("00CB00FF05A003830111").sw.value(), 0x611F);  // as the trace: 61 1F, then 31 bytes
    EXPECT_EQ(apdu::toHex(data(txAll("00CB00FF05A003830111"))),
              "A01D830111" "8C04F0000000" "DF210403FFA501" "DF2702FFFF" "DF28010C" "DF2F0101");
    EXPECT_EQ(apdu::toHex(data(txAll("00CB00FF05A003830181"))),
              "A01B830181" "8C029000" "DF210403FFA500" "DF2702FFFF" "DF280110" "DF2F0101");
    // The counter follows the PIN; unknown PINs and malformed requests are refused.
    EXPECT_EQ(swOf("002000110C" + pinBlock("0000", 12, 0x00)), 0x63C2);
    EXPECT_EQ(apdu::toHex(data(txAll("00CB00FF05A003830111"))).substr(22, 14), "DF210402FFA501");
    EXPECT_EQ(swOf("00CB00FF05A003830112"), 0x6A88);
    EXPECT_EQ(swOf("00CB00FF05A003830101"), 0x6A88);  // 0x11 is global, 0x01 local: not a PIN here
    EXPECT_EQ(swOf("00CB00FF04A0028301"), 0x6A80);
    // The IAS-ECC CHV SDO is not answered (gap: refused as unknown), key SDOs are.
    EXPECT_EQ(swOf("00CB3FFF0A4D087006BF811102A08000"), 0x6A88);
    EXPECT_EQ(txAll("00CB3FFF0A4D087006BF900102A08000").sw.value(), 0x9000);
    // Other cards do not know the proprietary form.
    use("amos");
    EXPECT_EQ(swOf("00CB00FF05A003830181"), 0x6A86);
    EXPECT_EQ(tx(kGetPin1Docp).sw.value(), 0x9000);
}

TEST_F(Personalities, SagemSerialIsAPanOpenScReadsWithANibbleShift) {
    // OpenSC card-iasecc.c:iasecc_get_serialnr, SAGEM branch: serial[i] = low nibble of byte
    // i+offs+1 and high nibble of byte i+offs+2 of the READ BINARY answer (5A L value).
    auto openscSagemSerial = [](const Bytes& rbuf) {
        const std::size_t len = rbuf.at(1);
        const std::size_t offs = len > 8 ? len - 8 : 0;
        Bytes serial;
        for (std::size_t i = 0; i < len - offs; ++i) {
            serial.push_back(static_cast<std::uint8_t>((rbuf.at(i + offs + 1) & 0x0F) << 4 | (rbuf.at(i + offs + 2) & 0xF0) >> 4));
        }
        return serial;
    };
    // The example in OpenSC's comment.
    EXPECT_EQ(apdu::toHex(openscSagemSerial(fromHex("5A0A92500020101025000 13F"))), "0002010102500013");
    use("sagem");
    const ResponseApdu r = tx("00B09C0000");  // READ BINARY by SFI 1C, as OpenSC and the module
    ASSERT_EQ(r.sw.value(), 0x9000);
    const Bytes efSn = data(r);
    EXPECT_EQ(apdu::toHex(efSn), "5A0A925" + apdu::toHex(kSerial) + "F");
    EXPECT_EQ(openscSagemSerial(efSn), kSerial);
    EXPECT_EQ(card_->serialIcc(), kSerial);  // SN.ICC of the administration key set and SM
    // Every other card keeps 5A <serial>.
    use("amos");
    EXPECT_EQ(apdu::toHex(data(tx("00B09C0000"))), "5A08" + apdu::toHex(kSerial));
}

TEST_F(Personalities, CpxHasItsContactlessApplicationWithAKeyUnusableOverContact) {
    use("cpx");
    // EF.DIR: "CPX IAS", then "CPX IAS CL" with the contact application's AID as ddoAID.
    ASSERT_EQ(txAll("00A4000C023F00").sw.value(), 0x9000);
    ASSERT_EQ(txAll("00A40204022F00").sw.value(), 0x9000);  // FCP through 61xx
    const std::string dir = apdu::toHex(data(txAll("00B0000000")));
    const std::string contact = "E828BD080F8025000001FF0010";
    const std::string cl = "E828BD080F8025000001FF0020";
    EXPECT_EQ(dir.find("4F0D" + contact), 4u);
    EXPECT_NE(dir.find("4F0D" + cl + "500A" + apdu::toHex(Bytes{'C', 'P', 'X', ' ', 'I', 'A', 'S', ' ', 'C', 'L'}) + "730F4F0D" + contact),
              std::string::npos);
    // Its key: descriptor A1 {8C nothing, 9C INTERNAL AUTHENTICATE}; over contact it refuses all.
    ASSERT_EQ(swOf("00A4040C0D" + cl), 0x9000);
    const std::string docp = apdu::toHex(data(txAll("00CB3FFF0A4D087006BF900402A08000")));
    EXPECT_NE(docp.find("A1108C067AFFFFFFFFFF9C067AFF00FFFFFF"), std::string::npos) << docp;
    EXPECT_EQ(swOf("002000010434373131"), 0x9000);
    const std::uint16_t mse = swOf("002241A406800102840184");
    EXPECT_TRUE(mse == 0x9000 || mse == 0x6982) << std::hex << mse;
    EXPECT_EQ(swOf("0088000020" + std::string(64, '1') + "00"), mse == 0x9000 ? 0x6982 : 0x6985);
}

// The module asks a PIN's tries with an empty VERIFY where the card shows no PIN descriptor
// (Gemalto) and at every contact with a cached card: ISO 7816-4 §11.5.6 answers, no try spent.
TEST_F(Personalities, EmptyVerifyGivesTheTriesOnEveryPersonality) {
    for (const Personality& p : personalities()) {
        SCOPED_TRACE(p.name);
        use(p.name);
        char header[16];
        (void)std::snprintf(header, sizeof header, "002000%02X", static_cast<unsigned>(p.userPin.ref | (p.userPin.local ? 0x80 : 0x00)));
        const auto block = [&](const std::string& pin) {
            const std::size_t length = p.userPin.storedLength == 0 ? pin.size() : p.userPin.storedLength;
            char lc[4];
            (void)std::snprintf(lc, sizeof lc, "%02X", static_cast<unsigned>(length));
            return std::string(header) + lc + pinBlock(pin, length, p.userPin.padChar);
        };
        const auto tries = [&](unsigned n) { return static_cast<std::uint16_t>(0x63C0 | n); };
        const unsigned max = p.userPin.maxTries;
        ASSERT_GE(max, 2U);
        EXPECT_EQ(swOf(header), tries(max));
        EXPECT_EQ(swOf(header), tries(max)) << "an empty VERIFY spends no try";
        EXPECT_EQ(swOf(block("0000")), tries(max - 1));
        EXPECT_EQ(swOf(header), tries(max - 1));
        EXPECT_EQ(swOf(block("4711")), 0x9000);
        EXPECT_EQ(swOf(header), 0x9000) << "verified";
        for (unsigned left = max; left > 0; --left) EXPECT_EQ(swOf(block("0000")), tries(left - 1));
        EXPECT_EQ(swOf(header), 0x6983) << "blocked";
    }
}

TEST_F(Personalities, PinBlocksArePaddedAsTheCardWants) {
    use("cosmo-v7");
    // realcards/esteid2018_idemia: global PIN1, FF-padded to 12.
    EXPECT_EQ(swOf("0020000104" + apdu::toHex(Bytes{'4', '7', '1', '1'})), 0x6700);
    EXPECT_EQ(swOf("002000810C" + pinBlock("4711", 12, 0xFF)), 0x6A88);  // not a local PIN
    EXPECT_EQ(swOf("002000010C" + pinBlock("1234", 12, 0xFF)), 0x63C2);
    EXPECT_EQ(swOf("002000010C" + pinBlock("4711", 12, 0xFF)), 0x9000);
    EXPECT_TRUE(card_->isPinVerified(0x01));
    // CHANGE with old || new, each padded; the new-value-only form is refused (SCB 00).
    EXPECT_EQ(swOf("0024000118" + pinBlock("4711", 12, 0xFF) + pinBlock("2580", 12, 0xFF)), 0x9000);
    EXPECT_EQ(swOf("002401010C" + pinBlock("1111", 12, 0xFF)), 0x6982);
    EXPECT_EQ(swOf("002000010C" + pinBlock("2580", 12, 0xFF)), 0x9000);
    // RESET RETRY COUNTER with the PUK (global 02, padded) || new PIN.
    EXPECT_EQ(swOf("002C000118" + pinBlock("12345678", 12, 0xFF) + pinBlock("4711", 12, 0xFF)), 0x9000);
    EXPECT_EQ(swOf("002000010C" + pinBlock("4711", 12, 0xFF)), 0x9000);
    // realcards/uruguay_eid_gemalto_ias: global 0x11, 00-padded to 12 (stored length > max).
    use("gemalto-multiapp");
    EXPECT_EQ(swOf("002000110C" + pinBlock("4711", 12, 0x00)), 0x9000);
    EXPECT_EQ(swOf("002000110C" + pinBlock("4711", 12, 0xFF)), 0x6700);
}

TEST_F(Personalities, CosmoNonRepudiationKeySignsByPsoHashAndCdsOnly) {
    use("cosmo-v7");
    auto key = certKey(kCosmoApp, "B002");
    ASSERT_EQ(swOf("002000010C" + pinBlock("4711", 12, 0xFF)), 0x9000);
    const Bytes hash = apdu::crypto::sha256(kPersonaMessage);
    // INTERNAL AUTHENTICATE: the key's ACL refuses it (AMB 7A, IA SCB FF).
    EXPECT_EQ(swOf("002241A4068401818001 02"), 0x9000);
    EXPECT_EQ(swOf("0088000033" + apdu::toHex(keyops::digestInfo(hash)) + "00"), 0x6982);
    // PSO HASH with the final hash (tag 90) + PSO CDS.
    EXPECT_EQ(swOf("002241B606840181800142"), 0x9000);
    EXPECT_EQ(swOf("002A90A0229020" + apdu::toHex(hash)), 0x9000);
    ResponseApdu s = tx("002A9E9A00");
    ASSERT_EQ(s.sw.value(), 0x9000);
    EXPECT_TRUE(verifySha256(key.get(), kPersonaMessage, data(s)));
    // PSO CDS with the bare hash: the card builds the DigestInfo (alg 42).
    s = tx("002A9E9A20" + apdu::toHex(hash) + "00");
    ASSERT_EQ(s.sw.value(), 0x9000);
    EXPECT_TRUE(verifySha256(key.get(), kPersonaMessage, data(s)));
    // The authentication key does internal authentication but no PSO CDS.
    EXPECT_EQ(swOf("002241A406840182800102"), 0x9000);
    EXPECT_EQ(tx("0088000033" + apdu::toHex(keyops::digestInfo(hash)) + "00").sw.value(), 0x9000);
    EXPECT_EQ(swOf("002241B606840182800142"), 0x9000);
    EXPECT_EQ(swOf("002A9E9A20" + apdu::toHex(hash) + "00"), 0x6982);
}

TEST_F(Personalities, CosmoV8SignatureKeyNeedsTheSignaturePin) {
    use("cosmo-v8");
    auto key = certKey("10" + apdu::toHex(Bytes{'Q', 'S', 'C', 'D', ' ', 'A', 'p', 'p', 'l', 'i', 'c', 'a', 't', 'i', 'o', 'n'}), "341F");
    const Bytes hash = apdu::crypto::sha256(kPersonaMessage);
    // realcards/lateid_idemia_v2: MSE DST alg 42 key 9F, VERIFY 85 (FF-padded to 12), PSO CDS.
    ASSERT_EQ(swOf("002241B60680014284019F"), 0x9000);
    ASSERT_EQ(swOf("002000010C" + pinBlock("4711", 12, 0xFF)), 0x9000);
    EXPECT_EQ(swOf("002A9E9A20" + apdu::toHex(hash) + "00"), 0x6982);  // PIN1 is not enough
    ASSERT_EQ(swOf("002000850C" + pinBlock("12345", 12, 0xFF)), 0x9000);
    const ResponseApdu s = tx("002A9E9A20" + apdu::toHex(hash) + "00");
    ASSERT_EQ(s.sw.value(), 0x9000);
    EXPECT_TRUE(verifySha256(key.get(), kPersonaMessage, data(s)));
}

TEST_F(Personalities, CosmoV8EcSignsAsTheEstEid2018Trace) {
    use("cosmo-v8-ec");
    const std::string qscd =
        "10" + apdu::toHex(Bytes{'Q', 'S', 'C', 'D', ' ', 'A', 'p', 'p', 'l', 'i', 'c', 'a', 't', 'i', 'o', 'n'});
    const std::string awp = "0DE828BD080FF2504F54204157 50";
    auto authKey = certKey(awp, "3401");
    auto signKey = certKey(qscd, "341F");
    ASSERT_TRUE(authKey && signKey);
    EXPECT_EQ(EVP_PKEY_get_bits(authKey.get()), 384);
    Bytes hash(48);
    for (std::size_t i = 0; i < hash.size(); ++i) hash[i] = static_cast<std::uint8_t>(0x30 + i);
    // realcards/esteid2018_idemia: main AID, AWP, MSE SET AT 80 01 04 84 01 81, VERIFY 01
    // (FF-padded to 12), INTERNAL AUTHENTICATE with the 48-byte hash and Le=00: r || s.
    ASSERT_EQ(swOf("00A4040C10A000000077010800070000FE00000100"), 0x9000);
    ASSERT_EQ(swOf("00A4040C" + awp), 0x9000);
    EXPECT_EQ(swOf("002241A40680015484 0181"), 0x6A80);  // the DST algorithm is not the key's
    ASSERT_EQ(swOf("002241A406800104840181"), 0x9000);
    ASSERT_EQ(swOf("002000010C" + pinBlock("4711", 12, 0xFF)), 0x9000);
    ResponseApdu r = tx("0088000030" + apdu::toHex(hash) + "00");
    ASSERT_EQ(r.sw.value(), 0x9000);
    EXPECT_EQ(r.data.size(), 96u);
    EXPECT_TRUE(verifyEcdsaRaw(authKey.get(), hash, data(r)));
    // QSCD: MSE SET DST 80 01 54 84 01 9F, VERIFY 85, PSO CDS with the hash: r || s.
    ASSERT_EQ(swOf("00A4040C" + qscd), 0x9000);
    EXPECT_EQ(swOf("002241B60680010484019F"), 0x6A80);  // the AT algorithm is not the key's
    ASSERT_EQ(swOf("002241B60680015484019F"), 0x9000);
    ASSERT_EQ(swOf("002000850C" + pinBlock("12345", 12, 0xFF)), 0x9000);
    r = tx("002A9E9A30" + apdu::toHex(hash) + "00");
    ASSERT_EQ(r.sw.value(), 0x9000);
    EXPECT_EQ(r.data.size(), 96u);
    EXPECT_TRUE(verifyEcdsaRaw(signKey.get(), hash, data(r)));
}

TEST_F(Personalities, ResetConditionsFollowThePinAcl) {
    // CPx: reset SCB 13 = PUK only; RRC P1=02 (after external authentication) is refused.
    use("cpx");
    EXPECT_EQ(swOf("002C0201044711" "3131"), 0x6982);
    EXPECT_EQ(swOf("002C00010C" + apdu::toHex(Bytes{'1', '2', '3', '4', '5', '6', '7', '8', '2', '5', '8', '0'})), 0x9000);
}

}  // namespace ias::sim::test
