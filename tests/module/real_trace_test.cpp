// SPDX-License-Identifier: Apache-2.0
// The card layer (IasCard) against exchanges of real IAS-ECC cards (tests/replay/real/*.apdu,
// cut from the public traces in ../shared/realcards with their source named in each file):
// every command our card layer sends for these operations must be byte for byte what the
// real card was sent, and the real answers must parse to the right facts. Where the signing
// certificate of the card is public (Latvian eID), the real signature is verified with it.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>
#include <string>

#include "card/ias_card.hpp"
#include "card/sdo_access.hpp"
#include "ias/apdu/iso_channel.hpp"
#include "ias/apdu/replay.hpp"

namespace ias::card {
namespace {

using apdu::Bytes;
using apdu::ByteView;

std::string realDir() { return std::string(IAS_REAL_TRACES_DIR) + "/"; }

apdu::ReplayScript script(const std::string& name) { return apdu::ReplayScript::load(realDir() + name); }

Bytes fileBytes(const std::string& name) {
    std::ifstream in(realDir() + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string s = ss.str();
    return Bytes(s.begin(), s.end());
}

ByteView text(const char* s) { return ByteView(reinterpret_cast<const std::uint8_t*>(s), std::char_traits<char>::length(s)); }

// The data of exchange `index` of a script (the hash a trace signed, for instance).
Bytes commandData(const apdu::ReplayScript& s, std::size_t index) {
    const Bytes& c = s.exchanges.at(index).command;
    return Bytes(c.begin() + 5, c.begin() + 5 + c[4]);
}

bool verifiesWithCertificate(const Bytes& certDer, ByteView digestInfo, ByteView signature) {
    const unsigned char* p = certDer.data();
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(certDer.size()));
    if (x == nullptr) return false;
    EVP_PKEY* pub = X509_get_pubkey(x);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(pub, nullptr);
    const bool ok = EVP_PKEY_verify_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
                    EVP_PKEY_verify(ctx, signature.data(), signature.size(), digestInfo.data(), digestInfo.size()) == 1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pub);
    X509_free(x);
    return ok;
}

const Bytes kAwpAid = apdu::fromHex("E828BD080FF2504F5420415750");

TEST(RealTraces, CosmoV7SelectsTheMasterFileWithP2_0C) {
    apdu::ReplayChannel card(script("cosmo-v7-select-mf.apdu"));
    apdu::IsoChannel iso(card);
    IasCard ias(iso);
    ias.selectMasterFile();
    EXPECT_TRUE(card.finished());
}

TEST(RealTraces, EstEid2018AuthenticatesWithEcdsaP384) {
    const apdu::ReplayScript s = script("esteid2018-authenticate.apdu");
    apdu::ReplayChannel card(s);
    apdu::IsoChannel iso(card);
    IasCard ias(iso);
    const SdoAccess pin1 = ias.readSdoAccess(SdoClass::Pin, 0x01);
    EXPECT_EQ(pin1.triesMax, 3u);
    EXPECT_EQ(pin1.triesLeft, 3u);
    // F3 00 00 73 43 00: reset after SM, external or user authentication under SE #3.
    EXPECT_TRUE(pin1.scb(amb::kPinReset).allowsExternalAuthentication());
    EXPECT_TRUE(pin1.scb(amb::kPinVerify).always());
    ias.selectApplication(kAwpAid);
    ias.setSecurityEnvironment(Crt::Authentication, 0x81, 0x04);
    ias.verifyPin(0x01, text("1234"), PinEncoding{12, 0xFF});
    const Bytes signature = ias.internalAuthenticate(commandData(s, 4), 96);
    EXPECT_EQ(signature.size(), 96u);
    EXPECT_TRUE(card.finished());
}

TEST(RealTraces, EstEid2018SignsWithTheSecondPinByPsoCds) {
    const apdu::ReplayScript s = script("esteid2018-sign.apdu");
    apdu::ReplayChannel card(s);
    apdu::IsoChannel iso(card);
    IasCard ias(iso);
    const Bytes qscd = apdu::fromHex("51534344204170706C69636174696F6E");
    ias.selectApplication(qscd);
    const SdoAccess pin2 = ias.readSdoAccess(SdoClass::Pin, 0x85);
    EXPECT_EQ(pin2.triesLeft, 3u);
    EXPECT_TRUE(pin2.scb(amb::kPinReset).allowsExternalAuthentication());
    EXPECT_TRUE(pin2.scb(std::uint8_t{0x02}).never()) << "PUT DATA of PIN2: FF";
    ias.selectApplication(qscd);
    ias.setSecurityEnvironment(Crt::DigitalSignature, 0x9F, 0x54);
    ias.verifyPin(0x85, text("12345"), PinEncoding{12, 0xFF});
    const Bytes signature = ias.computeSignatureOverHash(commandData(s, 5), 96);
    EXPECT_EQ(signature.size(), 96u);
    EXPECT_TRUE(card.finished());
}

TEST(RealTraces, LatvianEidAuthenticatesByInternalAuthenticateAndTheSignatureVerifies) {
    const apdu::ReplayScript s = script("lateid2-authenticate.apdu");
    apdu::ReplayChannel card(s);
    apdu::IsoChannel iso(card);
    IasCard ias(iso);
    ias.selectApplication(kAwpAid);
    ias.setSecurityEnvironment(Crt::Authentication, 0x81, 0x02);
    ias.verifyPin(0x01, text("1234"), PinEncoding{12, 0xFF});
    const Bytes digestInfo = commandData(s, 3);
    const Bytes signature = ias.internalAuthenticate(digestInfo, 256);
    EXPECT_TRUE(card.finished());
    EXPECT_TRUE(verifiesWithCertificate(fileBytes("lateid2-auth-cert.der"), digestInfo, signature));
}

TEST(RealTraces, LatvianEidSignsARawSha256ByPsoCdsAndTheCardBuiltTheDigestInfo) {
    const apdu::ReplayScript s = script("lateid2-sign.apdu");
    apdu::ReplayChannel card(s);
    apdu::IsoChannel iso(card);
    IasCard ias(iso);
    ias.selectApplication(apdu::fromHex("51534344204170706C69636174696F6E"));
    ias.setSecurityEnvironment(Crt::DigitalSignature, 0x9F, 0x42);
    ias.verifyPin(0x85, text("123456"), PinEncoding{12, 0xFF});
    const Bytes hash = commandData(s, 3);
    ASSERT_EQ(hash.size(), 32u);
    const Bytes signature = ias.computeSignatureOverHash(hash, 256);
    EXPECT_TRUE(card.finished());
    Bytes digestInfo = apdu::fromHex("3031300D060960864801650304020105000420");
    digestInfo.insert(digestInfo.end(), hash.begin(), hash.end());
    EXPECT_TRUE(verifiesWithCertificate(fileBytes("lateid2-sign-cert.der"), digestInfo, signature));
}

TEST(RealTraces, GemaltoIasHashThenSignThroughGetResponse) {
    const apdu::ReplayScript s = script("gemalto-ias-sign.apdu");
    apdu::ReplayChannel card(s);
    apdu::IsoChannel iso(card);
    IasCard ias(iso);
    ias.setSecurityEnvironment(Crt::DigitalSignature, 0x01, 0x02);
    const Bytes hashTlv = commandData(s, 1);  // 90 24 <36 bytes>
    ias.hashForSignature(ByteView(hashTlv).subspan(2));
    const Bytes signature = ias.computeSignatureOverCardHash(256);
    EXPECT_EQ(signature.size(), 256u);
    EXPECT_TRUE(card.finished());
}

// The Gemalto PIN information the module asks a card that refuses the IAS-ECC PIN SDO: the
// command byte for byte as the Gemalto middleware sent it (no Le: a T=0 card, answer through
// 61xx), the tries left from DF21, no IAS-ECC rule (its 8C is Gemalto's) and no try limit.
TEST(RealTraces, GemaltoIasPinInformationGivesTheTriesLeft) {
    apdu::ReplayChannel card(script("gemalto-ias-pin-info.apdu"));
    apdu::IsoChannel iso(card);
    IasCard ias(iso);
    const Bytes user = ias.readPinInformation(0x11);
    const SdoAccess userPin = parseSdoAccess(user, SdoClass::Pin, 0x11);
    EXPECT_EQ(userPin.triesLeft, 5u);
    EXPECT_FALSE(userPin.triesMax.has_value());
    EXPECT_TRUE(userPin.contactAcl.empty());
    const SdoAccess soPin = parseSdoAccess(ias.readPinInformation(0x81), SdoClass::Pin, 0x81 & 0x1F);
    EXPECT_EQ(soPin.triesLeft, 3u);
    EXPECT_TRUE(card.finished());
    // A record of an earlier version kept the answer without its counter: it still parses.
    const Bytes kept = apdu::fromHex("A016830111" "8C04F0000000" "DF2702FFFF" "DF28010C" "DF2F0101");
    EXPECT_FALSE(parseSdoAccess(kept, SdoClass::Pin, 0x11).triesLeft.has_value());
    // Another PIN's answer, or one without its reference, is refused.
    EXPECT_THROW(parseSdoAccess(user, SdoClass::Pin, 0x01), CardError);
    EXPECT_THROW(parseSdoAccess(apdu::fromHex("A007DF210405FFA501"), SdoClass::Pin, 0x11), CardError);
    EXPECT_THROW(parseSdoAccess(apdu::fromHex("A00A830111DF2100DF2F0101"), SdoClass::Pin, 0x11), CardError);
    EXPECT_THROW(parseSdoAccess(user, SdoClass::PrivateKey, 0x11), CardError);
}

// PIN descriptors of cards without a trace of our sequence (realcards/cpx_french_health_iasecc
// "get_data_sdo", vendor trace): the reset rule tells PUK-only.
TEST(RealTraces, CpxPinDescriptorAllowsResetByPukOnly) {
    const Bytes answer = apdu::fromHex("7016BF810112A0109A01039B0103A1088C06F3000013FF00");
    const SdoAccess pin = parseSdoAccess(answer, SdoClass::Pin, 0x01);
    EXPECT_EQ(pin.triesLeft, 3u);
    const Scb reset = pin.scb(amb::kPinReset);
    EXPECT_TRUE(reset.allowsUserAuthentication());
    EXPECT_FALSE(reset.allowsExternalAuthentication());
    EXPECT_EQ(reset.environment(), 3u);
    EXPECT_EQ(reset.describe(), "user authentication (SE #3)");
}

TEST(RealTraces, MalformedDescriptorsAreRefusedNotCrashed) {
    for (const char* hex : {"", "70", "7003BF8101", "7005BF810202A000", "700ABF810106A0049B0103FF", "9000"}) {
        EXPECT_THROW(parseSdoAccess(apdu::fromHex(hex), SdoClass::Pin, 0x01), CardError) << hex;
    }
    // Another object's answer is not this one's.
    EXPECT_THROW(parseSdoAccess(apdu::fromHex("7016BF810212A0109A01039B0103A1088C06F3000013FF00"), SdoClass::Pin, 0x01),
                 CardError);
}

// EF.DIR of a card without its SFI: one SELECT by path from the MF (P1=08, the form the Gemalto
// card of realcards/uruguay_eid_gemalto_ias accepts, trace line 7); a card refusing the path
// form gets SELECT MF + SELECT EF.DIR, and keeps its P2 rule (a 6A86 to P1=08 teaches nothing
// about P2). Scripted exchanges, not a real trace.
TEST(IasCardPath, EfDirBySelectFromTheMasterFile) {
    apdu::ReplayChannel card(apdu::ReplayScript::parse("> 00 A4 08 0C 02 2F 00\n< 90 00\n> 00 B0 00 00 00\n< 61 03 4F 01 01 90 00\n"));
    apdu::IsoChannel iso(card);
    IasCard ias(iso);
    EXPECT_EQ(apdu::toHex(ias.readFileFromMf(0x2F00, 8192)), "61034F0101");
    EXPECT_TRUE(card.finished());
}

TEST(IasCardPath, CardRefusingThePathFormIsAskedTheLongWay) {
    apdu::ReplayChannel card(apdu::ReplayScript::parse("> 00 A4 08 0C 02 2F 00\n< 6A 86\n"
                                                       "> 00 A4 00 0C 02 3F 00\n< 90 00\n"
                                                       "> 00 A4 02 0C 02 2F 00\n< 90 00\n"
                                                       "> 00 B0 00 00 00\n< 61 03 4F 01 01 90 00\n"));
    apdu::IsoChannel iso(card);
    IasCard ias(iso);
    EXPECT_EQ(apdu::toHex(ias.readFileFromMf(0x2F00, 8192)), "61034F0101");
    EXPECT_TRUE(card.finished());
}

TEST(IasCardPath, MissingFileIsNotAskedAgain) {
    apdu::ReplayChannel card(apdu::ReplayScript::parse("> 00 A4 08 0C 02 2F 00\n< 6A 82\n"));
    apdu::IsoChannel iso(card);
    IasCard ias(iso);
    EXPECT_THROW((void)ias.readFileFromMf(0x2F00, 8192), CardError);
    EXPECT_TRUE(card.finished());
}

}  // namespace
}  // namespace ias::card
