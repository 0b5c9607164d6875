// SPDX-License-Identifier: Apache-2.0
// Personalisation of a fresh card (IAS-ECC-reference §2-§5, UNBLOCK.md "Card side").
#include "ias/sim/personalise.hpp"

#include "ias/apdu/error.hpp"
#include "ias/protocol/admin_key.hpp"
#include "ias/sim/key_ops.hpp"
#include "ias/sim/layout.hpp"

namespace ias::sim {

namespace {

// Compact ACLs (value of 8C). Objects of the personality carry their own (personality.cpp).
constexpr std::initializer_list<std::uint8_t> kAclPublicEf = {0x03, 0xFF, 0x00};        // update never, read always
constexpr std::initializer_list<std::uint8_t> kAclDf = {0x42, 0xFF, 0xFF};              // delete never, create never
// Key sets: AMB 2B = external auth, mutual auth, put, get.
constexpr std::initializer_list<std::uint8_t> kAclAdminKeyset = {0x2B, 0x00, 0xFF, 0xFF, 0xFF};
constexpr std::initializer_list<std::uint8_t> kAclSmKeyset = {0x2B, 0xFF, 0x00, 0xFF, 0xFF};
constexpr std::size_t kVerifyScbIndex = 2;  // CHV ACL 72/F3: AMB, change, verify, ...
constexpr std::uint8_t kScbVerifyUnderSm = 0x43;

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

// The given key, or a new one: RSA 2048 when curve is empty, else EC on that curve.
SecureBytes keyOrNew(const std::string& pem, const std::string& curve) {
    if (!pem.empty()) return keyops::privateKeyFromPem(pem);
    return curve.empty() ? keyops::generateRsa(2048) : keyops::generateEc(curve);
}

KeyObject personalityKey(const KeySpec& spec, const std::string& pem) {
    return {spec.ref, spec.curve.empty() ? KeyKind::Rsa : KeyKind::Ec, keyOrNew(pem, spec.curve), spec.acl};
}

PinObject pinObject(const PinSpec& spec, const std::string& value, bool smRequired) {
    require(value.size() >= spec.minLength && value.size() <= spec.maxLength,
            spec.label + " must be " + std::to_string(spec.minLength) + " to " + std::to_string(spec.maxLength) + " characters");
    PinObject pin{spec.ref, apdu::secureCopy(value), spec.maxTries, spec.maxTries, spec.minLength, spec.maxLength, spec.acl};
    if (smRequired) {
        require(pin.acl.size() > kVerifyScbIndex, "the PIN ACL has no VERIFY condition");
        pin.acl[kVerifyScbIndex] = kScbVerifyUnderSm;  // VERIFY only under SM (SE#3)
    }
    return pin;
}

// One application DF: its PKCS#15 files and the certificates of its keys.
FileNode application(const Personality& p, std::size_t index, const CardState& s, const PersonalisedCard& out,
                     const std::string& cn, ByteView sn8, const PersonalisationOptions& o) {
    const AppSpec& spec = p.apps[index];
    const bool ec = o.withEcKey && index == 0;
    FileNode app;
    app.fid = spec.fid;
    app.isDf = true;
    app.aid = spec.aid;
    app.acl = kAclDf;
    auto sfi = [](std::uint16_t f) { return static_cast<std::uint8_t>(f & 0x1F); };
    app.children.push_back(ef(spec.odf, pkcs15::odf(spec), sfi(spec.odf)));
    app.children.push_back(ef(spec.tokenInfo, pkcs15::tokenInfo(p, sn8, o.label, ec), sfi(spec.tokenInfo)));
    if (spec.aodf != 0) app.children.push_back(ef(spec.aodf, pkcs15::aodf(p, index), sfi(spec.aodf)));
    app.children.push_back(ef(spec.prkdf, pkcs15::prkdf(p, index, ec), sfi(spec.prkdf)));
    app.children.push_back(ef(spec.cdf, pkcs15::cdf(p, index, ec), sfi(spec.cdf)));
    for (std::size_t k = 0; k < p.keys.size(); ++k) {
        if (p.keys[k].app != index) continue;
        app.children.push_back(ef(p.keys[k].certFid, issueCertificate(out.caKeyPem, out.caCertPem, keyops::publicKeyDer(s.keys[k]),
                                                                      cn, sn8, p.keys[k].nonRepudiation)));
    }
    if (ec) {
        app.children.push_back(ef(layout::kFidCertEc, issueCertificate(out.caKeyPem, out.caCertPem,
                                                                       keyops::publicKeyDer(s.keys.back()), cn, sn8, false)));
    }
    return app;
}

}  // namespace

PersonalisedCard personalise(const PersonalisationOptions& o) {
    const Personality* personality = findPersonality(o.personality);
    require(personality != nullptr, "unknown personality " + o.personality);
    const Personality& p = *personality;
    require(!o.serial.empty() && o.serial.size() <= 16, "serial must be 1 to 16 bytes");
    require(p.keys.size() >= 2, "a personality has an authentication and a signature key");
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
    s.personality = p.name;
    s.serial = o.serial;
    s.label = o.label;
    const Bytes sn8 = protocol::serialIcc(o.serial);

    // Keys: [0] authentication, [1] signature, as the personality numbers them; then others
    // (the CPx contactless application's key), always new.
    s.keys.push_back(personalityKey(p.keys[0], o.authKeyPem));
    s.keys.push_back(personalityKey(p.keys[1], o.signKeyPem));
    for (std::size_t k = 2; k < p.keys.size(); ++k) s.keys.push_back(personalityKey(p.keys[k], {}));
    if (o.withEcKey) s.keys.push_back({layout::kEcKey, KeyKind::Ec, keyOrNew(o.ecKeyPem, "P-256"), p.keys[1].acl});
    for (std::size_t i = 0; i < s.keys.size(); ++i) {
        const KeyObject& k = s.keys[i];
        if (k.kind == KeyKind::Rsa) require(keyops::keySizeBytes(k) == 256, "RSA keys must be 2048 bits");
        require(keyops::isEc(k) == (k.kind == KeyKind::Ec), "key " + std::to_string(i + 1) + " must be " +
                                                                (k.kind == KeyKind::Ec ? "an EC" : "an RSA") + " key for this personality");
    }

    // PINs.
    s.pins.push_back(pinObject(p.userPin, o.pin, o.smRequired));
    if (p.signPin) s.pins.push_back(pinObject(*p.signPin, o.signPin, false));
    if (p.puk) s.pins.push_back(pinObject(*p.puk, o.puk, false));

    // Key sets: the administration key set is diversified from the issuer master key.
    const protocol::AdminKeys admin = protocol::deriveAdminKeys(master, sn8);
    s.keysets.push_back({layout::kAdminKeyset, admin.enc, admin.mac, kAclAdminKeyset});
    s.keysets.push_back({layout::kSmKeyset, apdu::secureCopy(smEnc), apdu::secureCopy(smMac), kAclSmKeyset});

    // Security environments.
    for (const auto& [ref, crts] : p.securityEnvironments) s.environments.push_back({ref, crts});

    // Files.
    const std::string cn = o.holder + " " + apdu::toHex(sn8);
    s.mf.fid = layout::kFidMf;
    s.mf.isDf = true;
    s.mf.acl = kAclDf;
    s.mf.children.push_back(ef(layout::kFidEfAtr, p.efAtr));
    s.mf.children.push_back(ef(layout::kFidEfDir, pkcs15::efDir(p)));
    s.mf.children.push_back(ef(layout::kFidEfSn, p.efSnPan ? pkcs15::efSnPan(sn8) : pkcs15::efSn(o.serial), layout::kSfiEfSn));
    for (std::size_t i = 0; i < p.apps.size(); ++i) s.mf.children.push_back(application(p, i, s, out, cn, sn8, o));
    for (std::uint16_t fid : p.otherDfs) {
        FileNode df;
        df.fid = fid;
        df.isDf = true;
        df.acl = kAclDf;
        s.mf.children.push_back(std::move(df));
    }
    // EF.DIR by its short EF identifier where the family has one (personality.hpp efDirSfi).
    for (FileNode& f : s.mf.children) {
        if (f.fid == layout::kFidEfDir) f.sfi = p.efDirSfi;
    }
    return out;
}

}  // namespace ias::sim
