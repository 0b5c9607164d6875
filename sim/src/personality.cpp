// SPDX-License-Identifier: Apache-2.0
// The personality table. Every quirk names its evidence: a directory of ../shared/realcards
// (files.json / trace.txt) or an OpenSC 0.23 function (src/libopensc/<file>:<function>).
// Where no evidence exists the comment says "gap" and the value follows OpenSC 0.23's code
// path for that card type (or today's layout).
#include "ias/sim/personality.hpp"

#include <array>
#include <initializer_list>
#include <utility>

#include "ias/apdu/tlv.hpp"
#include "ias/sim/layout.hpp"

namespace ias::sim {

namespace {

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// One AT CRT: A4 { tag value ... }.
Bytes at(std::initializer_list<std::pair<std::uint8_t, std::uint8_t>> items) {
    apdu::TlvBuilder b;
    for (const auto& [tag, value] : items) b.addByte(tag, value);
    return apdu::encodeTlv(layout::kCrtAt, b.bytes());
}

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) apdu::append(out, p);
    return out;
}

// CRTs shared by every personality: external authentication with the administration key set
// (the unblock, protocol::deriveAdminKeys) and mutual authentication with the SM key set.
Bytes externalAuthCrt() {
    return at({{0x80, layout::kAlgExternalAuth}, {0x83, layout::kAdminKeyset | layout::kLocal}, {0x95, layout::kUqbExternalAuth}});
}
Bytes mutualAuthCrt() {
    return at({{0x80, layout::kAlgMutualAuthSha1}, {0x83, layout::kSmKeyset}, {0x95, layout::kUqbMutualAuth}});
}
Bytes pinCrt(std::uint8_t p2Reference) { return at({{0x83, p2Reference}, {0x95, layout::kUqbUserPassword}}); }

// TokenInfo algorithm entries (PKCS#11 mechanism numbers).
constexpr std::uint32_t kCkmRsaPkcs = 0x0001;
constexpr std::uint32_t kCkmSha1RsaPkcs = 0x0006;
constexpr std::uint32_t kCkmRsaPkcsPss = 0x000D;
constexpr std::uint32_t kCkmSha256RsaPkcs = 0x0040;
constexpr std::uint32_t kCkmSha1 = 0x0220;
constexpr std::uint32_t kCkmSha256 = 0x0250;
constexpr std::uint32_t kCkmEcdsa = 0x1041;
constexpr std::array<std::uint8_t, 2> kOpSign = {0x06, 0x40};      // compute-signature
constexpr std::array<std::uint8_t, 2> kOpDecipher = {0x02, 0x04};  // decipher
constexpr std::array<std::uint8_t, 2> kOpHash = {0x01, 0x02};      // hash

// One supportedAlgorithms entry without its reference number.
struct Alg {
    std::uint32_t mechanism;
    std::array<std::uint8_t, 2> operations;
    std::uint8_t algRef;
};
constexpr Alg kRsaPkcs{kCkmRsaPkcs, kOpSign, layout::kAlgRsaPkcs1};
constexpr Alg kRsaDecipher{kCkmRsaPkcs, kOpDecipher, layout::kAlgRsaPkcs1Decipher};
constexpr Alg kSha1Hash{kCkmSha1, kOpHash, layout::kAlgSha1};
constexpr Alg kSha256Hash{kCkmSha256, kOpHash, layout::kAlgSha256};
constexpr Alg kSha1Rsa{kCkmSha1RsaPkcs, kOpSign, layout::kAlgRsaPkcs1Sha1};
constexpr Alg kSha256Rsa{kCkmSha256RsaPkcs, kOpSign, layout::kAlgRsaPkcs1Sha256};
constexpr Alg kRsaPss{kCkmRsaPkcsPss, kOpSign, layout::kAlgRsaPss};
constexpr Alg kEcdsa{kCkmEcdsa, kOpSign, layout::kAlgEcdsa};
constexpr Alg kEcdsaDst{kCkmEcdsa, kOpSign, layout::kAlgEcdsaDst};

// The entries in this order, references numbered from 1.
std::vector<AlgorithmSpec> numbered(std::initializer_list<Alg> list) {
    std::vector<AlgorithmSpec> out;
    for (const Alg& a : list) {
        out.push_back({static_cast<std::uint8_t>(out.size() + 1), a.mechanism, Bytes(a.operations.begin(), a.operations.end()), a.algRef});
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// amos: today's layout (IAS-ECC-reference §2-§5, verified with OpenSC 0.23, sim/README.md).
Personality amos() {
    Personality p;
    p.name = "amos";
    p.family = "IAS/ECC v1.0.1 Amos (ATR #6 of card-iasecc.c:iasecc_known_atrs), the project's reference layout";
    p.atr = {0x3B, 0xDF, 0x18, 0xFF, 0x81, 0x91, 0xFE, 0x1F, 0xC3, 0x00, 0x31, 0xB8, 0x64,
             0x0C, 0x01, 0xEC, 0xC1, 0x73, 0x94, 0x01, 0x80, 0x82, 0x90, 0x00, 0xB3};
    // IAS-ECC-reference §2.2 recommended EF.ATR.
    p.efAtr = apdu::TlvBuilder{}
                  .add(0x43, {0x40})
                  .add(0x46, {0x01, 0x02, 0x03, 0x01})
                  .add(0x47, {0x94, 0x01, 0x80})
                  .add(0xE0, {0x02, 0x02, 0x01, 0x04, 0x02, 0x02, 0x01, 0x04, 0x02, 0x02, 0x01, 0x00, 0x02, 0x02, 0x01, 0x00})
                  .take();
    AppSpec app;
    app.aid.assign(layout::kAidGenericPki.begin(), layout::kAidGenericPki.end());
    app.fid = layout::kFidApplication;
    app.label = "ECC Generic PKI";
    p.apps = {app};
    p.userPin = {layout::kUserPin, true, 4, 8, 0, 0xFF, 3, {0x72, 0x11, 0x00, 0x32, 0xFF}, false, 0x02, "User PIN"};
    p.puk = PinSpec{layout::kPuk, true, 4, 8, 0, 0xFF, 3, {0x72, 0x12, 0x00, 0xFF, 0xFF}, false, 0x02, "PUK"};
    p.keys = {
        {layout::kAuthKey, true, {0x7A, 0x11, 0x11, 0x11, 0xFF, 0xFF}, false, 0, 0, 0x45, layout::kFidCertAuth, "Authentication key", "", {}},
        {layout::kSignKey, true, {0x7A, 0x11, 0x11, 0xFF, 0xFF, 0xFF}, true, 0, 0, 0x46, layout::kFidCertSign, "Signature key", "", {}},
    };
    p.securityEnvironments = {
        {layout::kSeUserPin, pinCrt(layout::kUserPin | layout::kLocal)},
        {layout::kSeUnblock, cat({pinCrt(layout::kPuk | layout::kLocal), externalAuthCrt()})},
        {layout::kSeSecureMessaging, mutualAuthCrt()},
    };
    p.manufacturer = "ias-pkcs11 simulator";
    p.algorithms = numbered({kRsaPkcs, kRsaDecipher, kSha1Hash, kSha256Hash, kSha1Rsa, kSha256Rsa, kRsaPss});
    return p;
}

// ---------------------------------------------------------------------------------------------
// IDEMIA/Oberthur ID-One Cosmo family, shared by v7 and v8.
constexpr std::array<std::uint8_t, 16> kOberthurIasEccAid = {0xA0, 0x00, 0x00, 0x00, 0x77, 0x01, 0x08, 0x00,
                                                             0x07, 0x00, 0x00, 0xFE, 0x00, 0x00, 0x01, 0x00};

// realcards/oberthur_cosmo_iasecc files.json "3F00/2F01" (Dual ID One Cosmo, PR #2281):
// leading 80 00, 43/46/47/4F(F0 "IasEccRoot")/E0/78/82, zero padding to 100 bytes.
Bytes cosmoEfAtr() {
    Bytes b = apdu::fromHex(
        "80004301B846044070141047039401804F0BF0496173456363526F6F74E010020200FF020200FF0202010002020100"
        "780806062B8122F878028202900000");
    b.resize(100, 0x00);
    return b;
}

void cosmoCommon(Personality& p) {
    // Names of the MF: the Oberthur IAS-ECC AID that OpenSC card-iasecc.c:iasecc_oberthur_match
    // takes from the historical bytes, and the EF.ATR root AID F0 "IasEccRoot".
    p.mfNames = {Bytes(kOberthurIasEccAid.begin(), kOberthurIasEccAid.end()), text("\xF0" "IasEccRoot")};
    // realcards/oberthur_cosmo_iasecc trace [A] (OpenSC commit 3331a7f13, issue #2052):
    // SELECT MF with P2=00 -> 6A86, P2=0C required.
    p.refusedSelects = {{0x00, 0x00, 0x6A86}};
    // OpenSC card-iasecc.c:iasecc_select_file selects EFs of OBERTHUR cards with P1=01 P2=04:
    // the card must accept it (OpenSC works on these cards).
    p.p1SelectsEfAsChild = true;
    // realcards/oberthur_cosmo_iasecc [B] (issue #2047, PR #2072): GET DATA of the SE SDO -> 6A88.
    p.seReadable = false;
    // realcards/esteid2018_idemia + lateid_idemia_v2 get_data_sdo: DOCP 9A 9B A1{8C F3.., 9C F3..}.
    p.pinDocp = PinDocpStyle::TriesFirst;
    // Unblock environment: the reset SCB 73 of the traces = SM | external auth | user auth, SE #3.
    // SE #3's content is not public (the SE SDO is unreadable): gap; ours names the PUK (global
    // 02), the administration key set and the SM key set.
    p.securityEnvironments = {
        {1, pinCrt(layout::kUserPin)},  // the global user PIN (VERIFY 00 20 00 01)
        {3, cat({pinCrt(layout::kPuk), externalAuthCrt(), mutualAuthCrt()})},
    };
}

// realcards/esteid2018_idemia + lateid_idemia_v2: PIN SDO ACL F3 00 00 73 43 00 (contact and
// contactless 9C): change and verify always (CHANGE carries the old PIN), reset 73 (SE #3),
// put 43, get always. PIN blocks FF-padded to 12 (VERIFY 00 20 00 01 0C ...).
PinSpec cosmoUserPin() {
    // min 4 / max 12 / stored 12 / pad FF / ascii-numeric: OpenSC PR #2428 dump of an IDEMIA
    // card (realcards/esteid2018_idemia pkcs15.opensc_emulated_pins PIN1).
    return {layout::kUserPin, false, 4, 12, 12, 0xFF, 3, {0xF3, 0x00, 0x00, 0x73, 0x43, 0x00}, true, 0x01, "PIN1"};
}
PinSpec cosmoPuk() {
    // PUK: global 02, min 8 / max 12 (PR #2428 dump). Its ACL is not in the IDEMIA traces (gap):
    // the IAS-ECC PUK ACL of realcards/cpx_french_health_iasecc (F3 FF 00 FF FF 00).
    return {layout::kPuk, false, 8, 12, 12, 0xFF, 3, {0xF3, 0xFF, 0x00, 0xFF, 0xFF, 0x00}, false, 0x01, "PUK"};
}

Personality cosmoV7() {
    Personality p;
    p.name = "cosmo-v7";
    p.family = "Oberthur/IDEMIA ID-One Cosmo v7 IAS-ECC (profile IAS ECC Generic A05), the issuer's token";
    // realcards/oberthur_cosmo_iasecc ATR (issue #2047); matches OpenSC's OBERTHUR entry.
    p.atr = {0x3B, 0xDD, 0x18, 0x00, 0x81, 0x31, 0xFE, 0x45, 0x80, 0xF9, 0xA0, 0x00, 0x00, 0x00, 0x77,
             0x01, 0x08, 0x00, 0x07, 0x90, 0x00, 0xFE};
    p.efAtr = cosmoEfAtr();
    cosmoCommon(p);
    // Application: the TokenInfo label "ECC eID" of realcards/oberthur_cosmo_iasecc suggests the
    // IAS-ECC "ECC eID" application; its AID and FIDs are not public (gap): the IAS-ECC
    // "ECC eID" AID and the Generic-PKI FIDs.
    AppSpec app;
    app.aid = {0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xD2, 0x50, 0x45, 0x43, 0x43, 0x2D, 0x65, 0x49, 0x44};
    app.fid = 0x5000;
    app.label = "ECC eID";
    p.apps = {app};
    // EF.DIR SFI 1E: no Cosmo trace reads EF.DIR (gap); the ISO 7816-4 reservation, as the CPx
    // IAS-ECC card shows it (realcards/cpx_french_health_iasecc [A]: 88 01 F0).
    p.efDirSfi = 0x1E;
    // FCP style of v7: no trace (gap); full FCP as the IAS-ECC specification.
    p.userPin = cosmoUserPin();
    p.puk = cosmoPuk();
    // Keys: v7 references are not public (gap); the Oberthur IAS-ECC cards of the traces use
    // 0x82 = authentication, 0x81 = signature (realcards/lateid_idemia_v1 MSE 84 01 82 / 84 01 81,
    // realcards/cpx_french_health_iasecc PrKDF). ACLs as the CPx key list (same generic profile):
    // the authentication key decipher + internal authenticate only; the non-repudiation key PSO CDS
    // only, INTERNAL AUTHENTICATE never (SCB FF) — the IDEMIA non-repudiation key.
    p.keys = {
        {0x02, true, {0x7A, 0xFF, 0x11, 0x11, 0xFF, 0xFF}, false, 0, 0, 0x45, 0xB001, "Authentication key", "", {}},
        {0x01, true, {0x7A, 0x11, 0xFF, 0xFF, 0xFF, 0xFF}, true, 0, 0, 0x46, 0xB002, "Signature key", "", {}},
    };
    // realcards/oberthur_cosmo_iasecc TokenInfo: manufacturer "Oberthur Technologies";
    // algorithms ref1 SHA-1 0x10, ref2 SHA-256 0x40, ref3 SHA1-RSA 0x12, ref4 SHA256-RSA 0x42,
    // ref5 RSA-PKCS (truncated: algRef 0x02 assumed); the decipher entry is not in the excerpt
    // (gap): RSA-PKCS decipher 0x1A added so that decipher is possible.
    p.manufacturer = "Oberthur Technologies";
    p.algorithms = numbered({kSha1Hash, kSha256Hash, kSha1Rsa, kSha256Rsa, kRsaPkcs, kRsaDecipher});
    return p;
}

Personality cosmoV8() {
    Personality p;
    p.name = "cosmo-v8";
    p.family = "IDEMIA ID-One Cosmo v8 IAS-ECC with two applications (Latvian eID gen 2 / EstEID 2018 layout)";
    // realcards/lateid_idemia_v2 ATR. (The EstEID 2018 ATR would bind OpenSC's esteid2018
    // driver, which expects EC P-384 keys; the Latvian one is what this RSA layout carries.)
    p.atr = {0x3B, 0xDB, 0x96, 0x00, 0x80, 0xB1, 0xFE, 0x45, 0x1F, 0x83, 0x00, 0x12,
             0x42, 0x8F, 0x53, 0x65, 0x49, 0x44, 0x0F, 0x90, 0x00, 0x20};
    // EF.ATR of v8 is not in the traces (gap): the Cosmo EF.ATR of the same family.
    p.efAtr = cosmoEfAtr();
    cosmoCommon(p);
    // realcards/esteid2018_idemia + lateid_idemia_v2: main AID = the Oberthur IAS-ECC AID; DF
    // ADF1 = AWP application (E8 28 BD 08 0F F2 50 4F 54 20 41 57 50), ADF2 = "QSCD Application";
    // each with its own EF.OD 5031, PrKDF 7001, CDF 7005; certificates 3401 / 341F.
    // TokenInfo and AODF FIDs are not in the (minimised) fixtures (gap): 5032 and 7002.
    AppSpec awp;
    awp.aid = {0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xF2, 0x50, 0x4F, 0x54, 0x20, 0x41, 0x57, 0x50};
    awp.fid = 0xADF1;
    awp.label = "AWP";
    awp.aodf = 0x7002;
    awp.prkdf = 0x7001;
    AppSpec qscd = awp;
    qscd.aid = text("QSCD Application");
    qscd.fid = 0xADF2;
    qscd.label = "QSCD";
    p.apps = {awp, qscd};
    p.efDirSfi = 0x1E;  // as cosmo-v7 (gap: the v8 traces select the applications by name)
    // Minimal FCP 62 04 80 02 <size> (realcards/lateid_idemia_v2 fcp, esteid2018_idemia fcp).
    p.fcp = FcpStyle::Minimal;
    p.userPin = cosmoUserPin();
    // Signature PIN: local 0x85 (VERIFY 00 20 00 85, 12 bytes FF-padded), ACL F3 00 00 73 FF 00
    // (get_data_sdo BF 81 05); min 5 / max 12 (PR #2428 dump, PIN2).
    p.signPin = PinSpec{0x05, true, 5, 12, 12, 0xFF, 3, {0xF3, 0x00, 0x00, 0x73, 0xFF, 0x00}, true, 0x01, "PIN2"};
    p.puk = cosmoPuk();
    p.securityEnvironments.emplace_back(2, pinCrt(0x85));
    // Keys (realcards/lateid_idemia_v2 security_apdus_seen): authentication key 0x81 by
    // INTERNAL AUTHENTICATE over a DigestInfo (alg 02, PIN1); signature key 0x9F by PSO CDS with
    // the bare SHA-256 hash, the card building the DigestInfo (alg 42, PIN2). ACLs not in the
    // traces (gap): as cosmo-v7, the signature key's ACL naming SE #2 (PIN2).
    p.keys = {
        {0x01, true, {0x7A, 0xFF, 0x11, 0x11, 0xFF, 0xFF}, false, 0, 0, 0x45, 0x3401, "Authentication key", "", {}},
        {0x1F, true, {0x7A, 0x12, 0xFF, 0xFF, 0xFF, 0xFF}, true, 1, 1, 0x46, 0x341F, "Signature key", "", {}},
    };
    // realcards/lateid_opensc_pr2428 TokenInfo: manufacturer IDEMIA, SHA1-RSA 0x12, SHA256-RSA
    // 0x42 (SHA384-RSA truncated: left out); RSA-PKCS 02 from the INTERNAL AUTHENTICATE MSE;
    // hash and decipher entries: gap (added).
    p.manufacturer = "IDEMIA";
    p.algorithms = numbered({kSha1Rsa, kSha256Rsa, kRsaPkcs, kRsaDecipher, kSha1Hash, kSha256Hash});
    return p;
}

Personality cosmoV8Ec() {
    Personality p = cosmoV8();
    p.name = "cosmo-v8-ec";
    p.family = "IDEMIA ID-One Cosmo v8.1 IAS-ECC with EC P-384 keys (EstEID 2018 layout)";
    // realcards/esteid2018_idemia ATR (OpenSC 0.23 binds it to its esteid2018 driver).
    p.atr = {0x3B, 0xDB, 0x96, 0x00, 0x80, 0xB1, 0xFE, 0x45, 0x1F, 0x83, 0x00, 0x12,
             0x23, 0x3F, 0x53, 0x65, 0x49, 0x44, 0x0F, 0x90, 0x00, 0xF1};
    // realcards/esteid2018_idemia: the same two applications, PINs and key references as
    // cosmo-v8; the keys are EC P-384 (the certificates' id-ecPublicKey secp384r1). The
    // authentication key 0x81 signs by INTERNAL AUTHENTICATE after MSE SET AT 80 01 04 (48-byte
    // hash in, 96-byte r || s out, Le=00); the signature key 0x9F by PSO CDS after MSE SET DST
    // 80 01 54 (same sizes). Which other algorithm bytes each key accepts: gap (only these).
    for (KeySpec& k : p.keys) k.curve = "P-384";
    p.keys[0].algorithms = {layout::kAlgEcdsa};
    p.keys[1].algorithms = {layout::kAlgEcdsaDst};
    // The card carries no PKCS#15 TokenInfo in the trace (OpenSC emulates one, gap): the two
    // ECDSA entries the keys' algReference name, and SHA-256 for the hash the host computes.
    p.algorithms = numbered({kEcdsa, kEcdsaDst, kSha256Hash});
    return p;
}

// ---------------------------------------------------------------------------------------------
Personality gemaltoMultiapp() {
    Personality p;
    p.name = "gemalto-multiapp";
    p.family = "Gemalto/Thales IAS-ECC (MultiApp / IAS Classic v4 layout)";
    // OpenSC card-iasecc.c:iasecc_known_atrs "IAS/ECC Gemalto" (no real Gemalto ATR in realcards).
    p.atr = {0x3B, 0x7F, 0x96, 0x00, 0x00, 0x00, 0x31, 0xB8, 0x64, 0x40,
             0x70, 0x14, 0x10, 0x73, 0x94, 0x01, 0x80, 0x82, 0x90, 0x00};
    // EF.ATR: not in the traces (gap). OpenSC card-iasecc.c:iasecc_init_gemalto requires one;
    // pre-issuing data from the ATR's historical bytes (40 70 14 10).
    p.efAtr = apdu::TlvBuilder{}
                  .add(0x43, {0x40})
                  .add(0x46, {0x40, 0x70, 0x14, 0x10})
                  .add(0x47, {0x94, 0x01, 0x80})
                  .add(0xE0, {0x02, 0x02, 0x00, 0xFF, 0x02, 0x02, 0x00, 0xFF, 0x02, 0x02, 0x01, 0x00, 0x02, 0x02, 0x01, 0x00})
                  .take();
    // realcards/uruguay_eid_gemalto_ias: EF.DIR -> DF 3F00/5000 named E8 28 BD 08 0F 01 "Gem P15";
    // AODF 5006, PrKDF 5001, CDF 5003 (ODF/TokenInfo not read by the middleware: gap, 5031/5032).
    AppSpec app;
    app.aid = {0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x01, 0x47, 0x65, 0x6D, 0x20, 0x50, 0x31, 0x35};
    app.fid = 0x5000;
    app.label = "Gem P15";
    app.aodf = 0x5006;
    app.prkdf = 0x5001;
    app.cdf = 0x5003;
    p.apps = {app};
    // realcards/uruguay_eid_gemalto_ias: the FCP of 2F00 has no 88, so its SFI would be the FID's
    // low five bits, 00: none. EF.DIR is read by SELECT + READ BINARY, as in the trace.
    p.efDirSfi = 0;
    // realcards/uruguay_eid_gemalto_ias: SELECT 5000 with P1=01 -> 6A86 (P1=00 works); FCPs
    // through 61xx + GET RESPONSE.
    p.refusedSelects = {{0x01, 0x04, 0x6A86}, {0x01, 0x00, 0x6A86}, {0x01, 0x0C, 0x6A86}};
    p.answersThrough61xx = true;
    // realcards/uruguay_eid_gemalto_ias: user PIN global 0x11 (VERIFY 00 20 00 11), min 4,
    // stored 12 > max 8, pad 00, ascii-numeric; "SO PIN" 0x81 min 4 stored 16 max 8 (our PUK).
    // The IAS-ECC access rules of these PINs are not in the trace (gap): today's.
    p.userPin = {0x11, false, 4, 8, 12, 0x00, 3, {0x72, 0x11, 0x00, 0x32, 0xFF}, false, 0x01, "User PIN"};
    p.puk = PinSpec{0x01, true, 4, 8, 16, 0x00, 3, {0x72, 0x12, 0x00, 0xFF, 0xFF}, false, 0x01, "SO PIN"};
    // PIN information: the vendor middleware reads each PIN with the proprietary GET DATA
    // 00 CB 00 FF 05 A0 03 83 01 <ref> (trace lines 75-82), answered through 61xx:
    //   A0 1D 83 01 11 8C 04 F0 00 00 00 DF 21 04 05 FF A5 01 DF 27 02 FF FF DF 28 01 0C DF 2F 01 01
    //   A0 1B 83 01 81 8C 02 90 00 DF 21 04 03 FF A5 00 DF 27 02 FF FF DF 28 01 10 DF 2F 01 01
    // DF21's first byte is the tries left (web-eid libelectronic-id EIDThales::pinRetriesLeft
    // reads it so on the Thales IAS cards of realcards/fineid_v*_thales, same answer form);
    // DF28 = the stored length (12 / 16, as the AODF); 8C, DF21's other bytes, DF27 and DF2F as
    // the trace (their meaning: gap). The tries byte is our card's counter: 3 on every
    // personality (the trace's test card showed 5 left for the user PIN, 3 for the SO PIN).
    p.pinInformation = {{0x11, {0xF0, 0x00, 0x00, 0x00}, {0xFF, 0xA5, 0x01}}, {0x81, {0x90, 0x00}, {0xFF, 0xA5, 0x00}}};
    // Whether this card also answers the IAS-ECC CHV SDO (GET DATA 00 CB 3F FF ... BF 81 11 A0)
    // is in no trace: the middleware never sends it, and OpenSC's driver for this card
    // (card-cedulauy.c, 2026) counts tries by an empty VERIFY. Gap, decided by the evidence that
    // the proprietary form is what works on it: refused as unknown (6A88), so the module must
    // find the PIN's tries the Gemalto way. (OpenSC 0.23's iasecc driver asks the SDO of any
    // Gemalto IAS-ECC card, card-iasecc.c:iasecc_pin_get_policy; it refuses this personality
    // earlier, at TokenInfo.) Key SDOs: answered as today (gap).
    p.chvSdoReadable = false;
    p.securityEnvironments = {
        {1, pinCrt(0x11)},
        {2, cat({pinCrt(0x81), externalAuthCrt()})},
        {3, mutualAuthCrt()},
    };
    // realcards/uruguay_eid_gemalto_ias: keys addressed by reference only (PrKDF path empty),
    // MSE 84 01 01 = global key 1; key 2 from 5034. ACLs: gap (today's).
    p.keys = {
        {0x01, false, {0x7A, 0x11, 0x11, 0x11, 0xFF, 0xFF}, false, 0, 0, 0x45, 0xB001, "Authentication key", "", {}},
        {0x02, false, {0x7A, 0x11, 0x11, 0xFF, 0xFF, 0xFF}, true, 0, 0, 0x46, 0xB002, "Signature key", "", {}},
    };
    p.manufacturer = "Gemalto";
    // RSA-PKCS 02: the MSE DST alg of realcards/uruguay_eid_gemalto_ias; the rest: gap.
    p.algorithms = numbered({kRsaPkcs, kRsaDecipher, kSha1Hash, kSha256Hash, kSha256Rsa});
    // OpenSC commit 0e3c0eff4 (realcards/uruguay_eid_gemalto_ias notes): the TokenInfo encodes
    // one supportedAlgorithms parameter as an empty SEQUENCE instead of NULL.
    p.nullAsEmptySequence = true;
    return p;
}

// ---------------------------------------------------------------------------------------------
Personality cpx() {
    Personality p;
    p.name = "cpx";
    p.family = "French CPx health-professional card (CPS3/CPE, IAS-ECC)";
    // The real ATR is not printed in the sources; OpenSC card-iasecc.c:iasecc_known_atrs
    // "IAS/ECC CPx" pattern with its masked bytes as 00.
    p.atr = {0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90, 0x00};
    // realcards/cpx_french_health_iasecc "3F00/2F01": stray leading 80, root AID 80 25 00 00 01 FF 01 00.
    p.efAtr = apdu::fromHex(
        "804301B8460404B0ECC147039401804F088025000001FF0100E01002020104020201040202010002020100780806062B8122F8780282029000");
    p.mfNames = {{0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x01, 0x00}};
    // realcards/cpx_french_health_iasecc pkcs15.applications "CPX IAS"; its FID is not public
    // (gap: 5000, Generic-PKI FIDs).
    AppSpec app;
    app.aid = {0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10};
    app.fid = 0x5000;
    app.label = "CPX IAS";
    // The contactless application "CPX IAS CL" (realcards/cpx_french_health_iasecc notes (7),
    // pkcs15.applications; OpenSC dir.c knows it as "CPx IAS CL"): AID ...FF 00 20, second in
    // EF.DIR, whose entry carries a DDO repeating ...FF 00 10, the contact application's AID:
    // encoded here as PKCS#15 v1.1's ddoAID (73 {4F AID}, OpenSC pkcs15.c:parse_ddo, "the ODF
    // record points to the xDF files in a different application"; the real bytes: gap). Its
    // content is in no source (gap): its DF FID (5001), its PKCS#15 files (ODF, TokenInfo,
    // PrKDF, CDF at the Generic-PKI FIDs, no AODF: no PIN of its own) and one RSA key, below,
    // kept in its own DF (where ddoAID would put its objects, in the contact DF: gap; the
    // simulator's key SDOs answer from any DF).
    AppSpec cl = app;
    cl.aid = {0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x20};
    cl.fid = 0x5001;
    cl.label = "CPX IAS CL";
    cl.aodf = 0;
    cl.ddo = apdu::encodeTlv(0x4F, app.aid);
    p.apps = {app, cl};
    p.efDirSfi = 0x1E;
    // realcards/cpx_french_health_iasecc trace [E]/[F]: P2=00 refused (6A86) for a DF name and a
    // FID; [A]/[D]: the root AID (P2=00) and the MF by path (P2=04) answer 90 00 with no FCP.
    p.refusedSelects = {{0x02, 0x00, 0x6A86}, {0x04, 0x00, 0x6A86}, {0x09, 0x00, 0x6A86}};
    p.mfAnswersWithoutFcp = true;
    // OpenSC card-iasecc.c:iasecc_pin_get_policy selects "3F00" as a FID before reading a PIN
    // SDO, which iasecc_select_file sends to CPX as 00 A4 02 04 02 3F 00 from the application
    // DF; OpenSC works on real CPx cards, so they accept it.
    p.mfFidSelectableAnywhere = true;
    // DF 3F00/0001: trace [B] selects it (00 A4 09 0C 04 3F 00 00 01 -> 90 00) and OpenSC
    // card-iasecc.c:iasecc_sdo_get_tagged_data reads private-key SDOs of CPX from there.
    p.otherDfs = {0x0001};
    p.contactlessFcpAcl = true;       // FCPs carry 8C and 9C (trace [A])
    p.answersThrough61xx = true;      // every FCP / SDO answer through 61xx (trace [A], [B])
    p.seReadableOnlyInMf = true;      // SE SDO 6A88 unless the MF is current (trace [C], [D])
    p.pinDocp = PinDocpStyle::TriesFirst;
    // PIN #1: DOCP A0 {9A 03, 9B 03, A1{8C F3 00 00 13 FF 00}}, no 9C (trace [B]): reset 13 = PUK
    // only (user auth, SE #3). PIN block: not in the sources (gap): unpadded 4..8.
    p.userPin = {layout::kUserPin, false, 4, 8, 0, 0xFF, 3, {0xF3, 0x00, 0x00, 0x13, 0xFF, 0x00}, false, 0x01, "PIN"};
    // PUK ref 2, ACL F3 FF 00 FF FF 00, 10 tries (PR #2217 --list-sdos).
    p.puk = PinSpec{layout::kPuk, false, 4, 8, 0, 0xFF, 10, {0xF3, 0xFF, 0x00, 0xFF, 0xFF, 0x00}, false, 0x01, "PUK"};
    p.securityEnvironments = {
        {1, pinCrt(layout::kUserPin)},
        {3, pinCrt(layout::kPuk)},
        {5, mutualAuthCrt()},  // SE #5 exists (trace [C], SM); its content is not public (gap)
    };
    // pkcs15.keys (pkcs15-tool -k, issue #2267): CPS_PRIV_SIG 0x81 nonRepudiation, pso_cds only;
    // CPS_PRIV_AUT 0x82 decrypt + sign, pso_decrypt + int_auth.
    p.keys = {
        {0x02, true, {0x7A, 0xFF, 0x11, 0x11, 0xFF, 0xFF}, false, 0, 0, 0x45, 0xB001, "CPS_PRIV_AUT", "", {}},
        {0x01, true, {0x7A, 0x11, 0xFF, 0xFF, 0xFF, 0xFF}, true, 0, 0, 0x46, 0xB002, "CPS_PRIV_SIG", "", {}},
        // The contactless application's key (gap: reference 0x84, label, usage): its contact
        // rule (8C) allows nothing, its contactless rule (9C) INTERNAL AUTHENTICATE without a
        // PIN (gap; the real card's CL rule is not published). The FCPs of the real card carry
        // both rules (fcp "3F00/2F00": 8C 7B 45 .., 9C 7B FF ..), the PIN #1 SDO only 8C: that
        // PIN is not usable contactless, hence no PIN in this application.
        {0x04, true, {0x7A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, false, 1, 0, 0x48, 0xB004, "CPS_PRIV_AUT_CL", "", {}},
    };
    p.contactlessKeyAcls = {{0x04, {0x7A, 0xFF, 0x00, 0xFF, 0xFF, 0xFF}}};
    // TokenInfo algorithms: not public (gap): the IAS-ECC set OpenSC needs.
    p.manufacturer = "ASIP Sante";
    p.algorithms = numbered({kRsaPkcs, kRsaDecipher, kSha1Hash, kSha256Hash, kSha1Rsa, kSha256Rsa});
    // realcards/cpx_french_health_iasecc notes (5): PrKDF without algReferences, non-DER BIT
    // STRINGs (OpenSC decodes them laxly; pkcs15-iasecc.c:_iasecc_cpx_fixup_prkdf adds the refs).
    p.laxBitStrings = true;  // (no personality's PrKDF lists algReferences)
    return p;
}

// ---------------------------------------------------------------------------------------------
Personality sagem() {
    Personality p = amos();
    p.name = "sagem";
    p.family = "Sagem/Morpho ypsID S3 IAS-ECC (no trace: OpenSC 0.23's SAGEM code path)";
    // No realcards evidence for Sagem (gap). ATR: card-iasecc.c:iasecc_known_atrs "ypsID S3".
    p.atr = {0x3B, 0x7F, 0x18, 0x00, 0x00, 0x00, 0x31, 0xB8, 0x64, 0x50,
             0x23, 0xEC, 0xC1, 0x73, 0x94, 0x01, 0x80, 0x82, 0x90, 0x00};
    // EF.ATR: gap; pre-issuing data from the ATR's historical bytes (50 23 EC C1).
    p.efAtr = apdu::TlvBuilder{}
                  .add(0x43, {0x40})
                  .add(0x46, {0x50, 0x23, 0xEC, 0xC1})
                  .add(0x47, {0x94, 0x01, 0x80})
                  .add(0xE0, {0x02, 0x02, 0x01, 0x04, 0x02, 0x02, 0x01, 0x04, 0x02, 0x02, 0x01, 0x00, 0x02, 0x02, 0x01, 0x00})
                  .take();
    // EF.SN: card-iasecc.c:iasecc_get_serialnr reads the serial of a SAGEM card with a nibble
    // shift, its comment citing a real EF.SN 5A 0A 92 50 00 20 10 10 25 00 01 3F = serial
    // 00 02 01 01 02 50 00 13: an ISO 7812 PAN (MII 9, country 250) whose 16 digits before the
    // F padding are the serial. Ours: 92 50 <SN.ICC nibbles> F, so OpenSC reads SN.ICC, which
    // is also what its SM and our administration key set use. (The rest of the PAN, its
    // issuer digits and check digit, are not known: gap.)
    p.efSnPan = true;
    // card-iasecc.c:iasecc_select_file sends SAGEM every SELECT with P2=00 (FCI) and retries a
    // DF name with P2=0C on 6A86: the card answers P2=00 (the FCP template serves as FCI).
    p.manufacturer = "Sagem";
    p.algorithms.pop_back();  // no PSS reference on a card of this age (gap)
    return p;
}

std::vector<Personality> build() {
    return {cosmoV7(), cosmoV8(), cosmoV8Ec(), gemaltoMultiapp(), cpx(), sagem(), amos()};
}

}  // namespace

const std::vector<Personality>& personalities() {
    static const std::vector<Personality> all = build();
    return all;
}

const Personality* findPersonality(std::string_view name) {
    if (name == "default") name = kDefaultPersonality;
    for (const Personality& p : personalities()) {
        if (p.name == name) return &p;
    }
    return nullptr;
}

}  // namespace ias::sim
