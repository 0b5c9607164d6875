// Personalisation of a fresh card (IAS-ECC-reference §2-§5, UNBLOCK.md "Card side").
#include "ias/sim/personalise.hpp"

#include "ias/apdu/error.hpp"
#include "ias/apdu/tlv.hpp"
#include "ias/protocol/admin_key.hpp"
#include "ias/sim/key_ops.hpp"
#include "ias/sim/layout.hpp"

namespace ias::sim {

namespace {

using apdu::TlvBuilder;

// Compact ACLs (value of 8C).
constexpr std::initializer_list<std::uint8_t> kAclPublicEf = {0x03, 0xFF, 0x00};        // update never, read always
constexpr std::initializer_list<std::uint8_t> kAclDf = {0x42, 0xFF, 0xFF};              // delete never, create never
// CHV: AMB 72 = change, verify, reset, put.
//   user PIN: change after user PIN (SE#1), verify always, reset after PUK or external
//   authentication with the admin key set (SE#2, methods 10|20), put never.
constexpr std::initializer_list<std::uint8_t> kAclUserPin = {0x72, 0x11, 0x00, 0x32, 0xFF};
constexpr std::initializer_list<std::uint8_t> kAclUserPinSm = {0x72, 0x11, 0x43, 0x32, 0xFF};  // VERIFY only under SM (SE#3)
constexpr std::initializer_list<std::uint8_t> kAclPuk = {0x72, 0x12, 0x00, 0xFF, 0xFF};
// Private keys: AMB 7A = sign, internal auth, decipher, generate, put.
constexpr std::initializer_list<std::uint8_t> kAclAuthKey = {0x7A, 0x11, 0x11, 0x11, 0xFF, 0xFF};
constexpr std::initializer_list<std::uint8_t> kAclSignKey = {0x7A, 0x11, 0x11, 0xFF, 0xFF, 0xFF};
// Key sets: AMB 2B = external auth, mutual auth, put, get.
constexpr std::initializer_list<std::uint8_t> kAclAdminKeyset = {0x2B, 0x00, 0xFF, 0xFF, 0xFF};
constexpr std::initializer_list<std::uint8_t> kAclSmKeyset = {0x2B, 0xFF, 0x00, 0xFF, 0xFF};

void require(bool ok, const std::string& what) {
    if (!ok) throw apdu::Error(apdu::ErrorKind::Malformed, what);
}

FileNode ef(std::uint16_t fid, Bytes content, std::uint8_t sfi = 0) {
    FileNode f;
    f.fid = fid;
    f.acl = kAclPublicEf;
    f.content = std::move(content);
    f.sfi = sfi;
    return f;
}

Bytes crt(std::initializer_list<std::pair<std::uint8_t, std::uint8_t>> items) {
    TlvBuilder b;
    for (const auto& [tag, value] : items) b.addByte(tag, value);
    return apdu::encodeTlv(layout::kCrtAt, b.bytes());
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) apdu::append(out, p);
    return out;
}

SecureBytes keyOrNew(const std::string& pem, bool ec) {
    if (!pem.empty()) return keyops::privateKeyFromPem(pem);
    return ec ? keyops::generateEcP256() : keyops::generateRsa(2048);
}

}  // namespace

PersonalisedCard personalise(const PersonalisationOptions& o) {
    require(!o.serial.empty() && o.serial.size() <= 16, "serial must be 1 to 16 bytes");
    require(o.pin.size() >= 4 && o.pin.size() <= 8, "PIN must be 4 to 8 characters");
    require(o.puk.size() >= 4 && o.puk.size() <= 8, "PUK must be 4 to 8 characters");
    const Bytes master = o.masterKey.empty() ? apdu::fromHex(kDefaultTestMasterKey) : o.masterKey;
    const Bytes smEnc = o.smEncKey.empty() ? apdu::fromHex(kDefaultSmEncKey) : o.smEncKey;
    const Bytes smMac = o.smMacKey.empty() ? apdu::fromHex(kDefaultSmMacKey) : o.smMacKey;
    require(master.size() == 16 && smEnc.size() == 16 && smMac.size() == 16, "3DES keys must be 16 bytes");
    require(o.caKeyPem.empty() == o.caCertPem.empty(), "give both the CA key and the CA certificate, or neither");

    PersonalisedCard out;
    out.caKeyPem = o.caKeyPem;
    out.caCertPem = o.caCertPem;
    if (out.caKeyPem.empty()) generateTestCa("ias-pkcs11 Test CA", out.caKeyPem, out.caCertPem);

    CardState& s = out.state;
    s.serial = o.serial;
    s.label = o.label;
    const Bytes sn8 = protocol::serialIcc(o.serial);

    // Keys.
    s.keys.push_back({layout::kAuthKey, KeyKind::Rsa, keyOrNew(o.authKeyPem, false), kAclAuthKey});
    s.keys.push_back({layout::kSignKey, KeyKind::Rsa, keyOrNew(o.signKeyPem, false), kAclSignKey});
    if (o.withEcKey) s.keys.push_back({layout::kEcKey, KeyKind::Ec, keyOrNew(o.ecKeyPem, true), kAclSignKey});
    for (const KeyObject& k : s.keys) {
        if (k.kind == KeyKind::Rsa) require(keyops::keySizeBytes(k) == 256, "RSA keys must be 2048 bits");
    }

    // PINs.
    s.pins.push_back({layout::kUserPin, apdu::secureCopy(o.pin), 3, 3, 4, 8, o.smRequired ? kAclUserPinSm : kAclUserPin});
    s.pins.push_back({layout::kPuk, apdu::secureCopy(o.puk), 3, 3, 4, 8, kAclPuk});

    // Key sets: the administration key set is diversified from the issuer master key.
    const protocol::AdminKeys admin = protocol::deriveAdminKeys(master, sn8);
    s.keysets.push_back({layout::kAdminKeyset, admin.enc, admin.mac, kAclAdminKeyset});
    s.keysets.push_back({layout::kSmKeyset, apdu::secureCopy(smEnc), apdu::secureCopy(smMac), kAclSmKeyset});

    // Security environments.
    s.environments.push_back({layout::kSeUserPin, crt({{0x83, layout::kUserPin | layout::kLocal}, {0x95, layout::kUqbUserPassword}})});
    s.environments.push_back(
        {layout::kSeUnblock,
         concat({crt({{0x83, layout::kPuk | layout::kLocal}, {0x95, layout::kUqbUserPassword}}),
                 crt({{0x80, layout::kAlgExternalAuth}, {0x83, layout::kAdminKeyset | layout::kLocal}, {0x95, layout::kUqbExternalAuth}})})});
    s.environments.push_back(
        {layout::kSeSecureMessaging,
         crt({{0x80, layout::kAlgMutualAuthSha1}, {0x83, layout::kSmKeyset}, {0x95, layout::kUqbMutualAuth}})});

    // Certificates.
    const std::string cn = o.holder + " " + apdu::toHex(sn8);
    const Bytes certAuth = issueCertificate(out.caKeyPem, out.caCertPem, keyops::publicKeyDer(s.keys[0]), cn, sn8, false);
    const Bytes certSign = issueCertificate(out.caKeyPem, out.caCertPem, keyops::publicKeyDer(s.keys[1]), cn, sn8, true);

    // Files.
    FileNode app;
    app.fid = layout::kFidApplication;
    app.isDf = true;
    app.aid.assign(layout::kAidGenericPki.begin(), layout::kAidGenericPki.end());
    app.acl = kAclDf;
    app.children.push_back(ef(layout::kFidOdf, pkcs15::odf(), layout::kFidOdf & 0x1F));
    app.children.push_back(ef(layout::kFidTokenInfo, pkcs15::tokenInfo(sn8, "ias-pkcs11 simulator", o.label, o.withEcKey), layout::kFidTokenInfo & 0x1F));
    app.children.push_back(ef(layout::kFidAodf, pkcs15::aodf(), layout::kFidAodf & 0x1F));
    app.children.push_back(ef(layout::kFidPrkdf, pkcs15::prkdf(o.withEcKey), layout::kFidPrkdf & 0x1F));
    app.children.push_back(ef(layout::kFidCdf, pkcs15::cdf(o.withEcKey), layout::kFidCdf & 0x1F));
    app.children.push_back(ef(layout::kFidCertAuth, certAuth));
    app.children.push_back(ef(layout::kFidCertSign, certSign));
    if (o.withEcKey) {
        const Bytes certEc = issueCertificate(out.caKeyPem, out.caCertPem, keyops::publicKeyDer(s.keys[2]), cn, sn8, false);
        app.children.push_back(ef(layout::kFidCertEc, certEc));
    }

    s.mf.fid = layout::kFidMf;
    s.mf.isDf = true;
    s.mf.acl = kAclDf;
    s.mf.children.push_back(ef(layout::kFidEfAtr, pkcs15::efAtr()));
    s.mf.children.push_back(ef(layout::kFidEfDir, pkcs15::efDir()));
    s.mf.children.push_back(ef(layout::kFidEfSn, pkcs15::efSn(o.serial), layout::kSfiEfSn));
    s.mf.children.push_back(std::move(app));
    return out;
}

}  // namespace ias::sim
