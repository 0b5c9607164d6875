// Contents of the MF files and of the PKCS#15 application (IAS-ECC-reference §2.2, §3.3-§3.7).
#include "ias/apdu/tlv.hpp"
#include "ias/sim/layout.hpp"
#include "ias/sim/personalise.hpp"

namespace ias::sim::pkcs15 {

using apdu::TlvBuilder;

namespace {

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }
Bytes fid(std::uint16_t f) { return {static_cast<std::uint8_t>(f >> 8), static_cast<std::uint8_t>(f)}; }

// Path ::= SEQUENCE { path OCTET STRING }
TlvBuilder path(ByteView p) {
    TlvBuilder b;
    b.add(0x04, p);
    return b;
}

// CommonObjectAttributes: label, flags (private when set), [authId].
TlvBuilder commonObject(const std::string& label, bool isPrivate, std::optional<std::uint8_t> authId) {
    TlvBuilder b;
    b.add(0x0C, text(label));
    if (isPrivate) {
        b.add(0x03, {0x07, 0x80});
    } else {
        b.add(0x03, {0x00});
    }
    if (authId) b.add(0x04, {*authId});
    return b;
}

TlvBuilder pinAttributes(std::uint8_t flagsUnused, std::uint8_t flags, std::uint8_t reference) {
    TlvBuilder a;
    a.add(0x03, {flagsUnused, flags})  // pinFlags
        .add(0x0A, {0x02})             // pinType utf8
        .add(0x02, {0x04})             // minLength
        .add(0x02, {0x08})             // storedLength
        .add(0x02, {0x08})             // maxLength
        .add(0x80, {0x00, reference}); // pinReference (positive INTEGER)
    return a;
}

TlvBuilder privateKey(const std::string& label, std::uint8_t id, ByteView usage, std::uint8_t keyRef,
                      std::uint16_t modulusBits) {
    TlvBuilder key;
    key.nest(0x30, commonObject(label, true, layout::kUserPin));
    key.nest(0x30, TlvBuilder{}
                       .add(0x04, {id})
                       .add(0x03, usage)
                       .add(0x01, {0xFF})                            // native
                       .add(0x03, {0x04, 0xB0})                      // sensitive, alwaysSensitive, neverExtractable
                       .add(0x02, {0x00, static_cast<std::uint8_t>(keyRef | layout::kLocal)}));  // keyReference
    TlvBuilder attrs;
    attrs.nest(0x30, path({}));
    if (modulusBits != 0) attrs.add(0x02, {static_cast<std::uint8_t>(modulusBits >> 8), static_cast<std::uint8_t>(modulusBits)});
    key.nest(0xA1, TlvBuilder{}.nest(0x30, attrs));
    return key;
}

TlvBuilder certificate(const std::string& label, std::uint8_t id, std::uint16_t file) {
    TlvBuilder c;
    c.nest(0x30, commonObject(label, false, std::nullopt));
    c.nest(0x30, TlvBuilder{}.add(0x04, {id}));
    c.nest(0xA1, TlvBuilder{}.nest(0x30, TlvBuilder{}.nest(0x30, path(fid(file)))));
    return c;
}

// AlgorithmInfo ::= SEQUENCE { reference, mechanism, parameters NULL, operations, algRef }
TlvBuilder algorithm(std::uint8_t reference, std::uint32_t mechanism, std::initializer_list<std::uint8_t> operations,
                     std::uint8_t algRef) {
    Bytes mech;
    if (mechanism > 0xFF) mech.push_back(static_cast<std::uint8_t>(mechanism >> 8));
    mech.push_back(static_cast<std::uint8_t>(mechanism));
    if (mech.front() & 0x80) mech.insert(mech.begin(), 0x00);
    TlvBuilder a;
    a.add(0x02, {reference}).add(0x02, mech).add(0x05, ByteView{}).add(0x03, operations).add(0x02, {algRef});
    return a;
}

}  // namespace

Bytes efAtr() {
    return TlvBuilder{}
        .add(0x43, {0x40})
        .add(0x46, {0x01, 0x02, 0x03, 0x01})
        .add(0x47, {0x94, 0x01, 0x80})
        .add(0xE0, {0x02, 0x02, 0x01, 0x04, 0x02, 0x02, 0x01, 0x04, 0x02, 0x02, 0x01, 0x00, 0x02, 0x02, 0x01, 0x00})
        .take();
}

Bytes efDir() {
    return TlvBuilder{}
        .nest(0x61, TlvBuilder{}.add(0x4F, layout::kAidGenericPki).add(0x50, text("ECC Generic PKI")))
        .take();
}

Bytes efSn(ByteView serial) { return apdu::encodeTlv(0x5A, serial); }

Bytes odf() {
    return TlvBuilder{}
        .nest(0xA8, TlvBuilder{}.nest(0x30, path(fid(layout::kFidAodf))))
        .nest(0xA0, TlvBuilder{}.nest(0x30, path(fid(layout::kFidPrkdf))))
        .nest(0xA4, TlvBuilder{}.nest(0x30, path(fid(layout::kFidCdf))))
        .take();
}

Bytes tokenInfo(ByteView serialNumber, const std::string& manufacturer, const std::string& label, bool withEcKey) {
    TlvBuilder algorithms;
    algorithms.nest(0x30, algorithm(1, 0x0001, {0x06, 0x40}, layout::kAlgRsaPkcs1))          // CKM_RSA_PKCS sign
        .nest(0x30, algorithm(2, 0x0001, {0x02, 0x04}, layout::kAlgRsaPkcs1Decipher))         // CKM_RSA_PKCS decipher
        .nest(0x30, algorithm(3, 0x0220, {0x01, 0x02}, layout::kAlgSha1))                     // CKM_SHA_1 hash
        .nest(0x30, algorithm(4, 0x0250, {0x01, 0x02}, layout::kAlgSha256))                   // CKM_SHA256 hash
        .nest(0x30, algorithm(5, 0x0006, {0x06, 0x40}, layout::kAlgRsaPkcs1Sha1))             // CKM_SHA1_RSA_PKCS
        .nest(0x30, algorithm(6, 0x0040, {0x06, 0x40}, layout::kAlgRsaPkcs1Sha256))           // CKM_SHA256_RSA_PKCS
        .nest(0x30, algorithm(7, 0x000D, {0x06, 0x40}, layout::kAlgRsaPss));                  // CKM_RSA_PKCS_PSS (our module)
    if (withEcKey) algorithms.nest(0x30, algorithm(8, 0x1041, {0x06, 0x40}, layout::kAlgEcdsa));  // CKM_ECDSA (our module)
    TlvBuilder info;
    info.add(0x02, {0x00})
        .add(0x04, serialNumber)
        .add(0x0C, text(manufacturer))
        .add(0x80, text(label))
        .add(0x03, {0x00})
        .nest(0xA2, algorithms);
    return TlvBuilder{}.nest(0x30, info).take();
}

Bytes aodf() {
    TlvBuilder userPin;
    userPin.nest(0x30, commonObject("User PIN", true, layout::kPuk))
        .nest(0x30, TlvBuilder{}.add(0x04, {layout::kUserPin}))
        .nest(0xA1, TlvBuilder{}.nest(0x30, pinAttributes(0x03, 0xC8, layout::kUserPin | layout::kLocal)));
    TlvBuilder puk;
    puk.nest(0x30, commonObject("PUK", true, std::nullopt))
        .nest(0x30, TlvBuilder{}.add(0x04, {layout::kPuk}))
        .nest(0xA1, TlvBuilder{}.nest(0x30, pinAttributes(0x01, 0xCA, layout::kPuk | layout::kLocal)));
    return TlvBuilder{}.nest(0x30, userPin).nest(0x30, puk).take();
}

Bytes prkdf(bool withEcKey) {
    TlvBuilder out;
    out.nest(0x30, privateKey("Authentication key", 0x45, Bytes{0x02, 0x64}, layout::kAuthKey, 2048));
    // sign + nonRepudiation (bits 2 and 9)
    out.nest(0x30, privateKey("Signature key", 0x46, Bytes{0x06, 0x20, 0x40}, layout::kSignKey, 2048));
    if (withEcKey) out.nest(0xA0, privateKey("EC key", 0x47, Bytes{0x05, 0x20}, layout::kEcKey, 0));
    return out.take();
}

Bytes cdf(bool withEcKey) {
    TlvBuilder out;
    out.nest(0x30, certificate("Authentication certificate", 0x45, layout::kFidCertAuth));
    out.nest(0x30, certificate("Signature certificate", 0x46, layout::kFidCertSign));
    if (withEcKey) out.nest(0x30, certificate("EC certificate", 0x47, layout::kFidCertEc));
    return out.take();
}

}  // namespace ias::sim::pkcs15
