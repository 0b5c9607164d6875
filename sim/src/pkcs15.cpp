// SPDX-License-Identifier: Apache-2.0
// Contents of the MF files and of the PKCS#15 application (IAS-ECC-reference §2.2, §3.3-§3.7).
#include "ias/apdu/tlv.hpp"
#include "ias/sim/layout.hpp"
#include "ias/sim/personalise.hpp"
#include "ias/sim/personality.hpp"

namespace ias::sim::pkcs15 {

using apdu::TlvBuilder;

namespace {

constexpr std::uint8_t kAuthIdUser = 0x01;
constexpr std::uint8_t kAuthIdPuk = 0x02;
constexpr std::uint8_t kAuthIdSign = 0x03;

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

// PinAttributes: flags, type, min, stored, max, [0] reference, padChar (when padded).
TlvBuilder pinAttributes(const PinSpec& pin, bool unblocking) {
    // PinFlags BIT STRING: case-sensitive(0), local(1), initialized(4), needs-padding(5),
    // unblockingPin(6): first octet MSB = bit 0.
    std::uint8_t flags = 0x80 | 0x08;
    if (pin.local) flags |= 0x40;
    if (pin.storedLength != 0) flags |= 0x04;
    if (unblocking) flags |= 0x02;
    const std::uint8_t unused = unblocking ? 0x01 : (pin.storedLength != 0 ? 0x02 : 0x03);
    const std::uint8_t reference = pin.local ? static_cast<std::uint8_t>(pin.ref | layout::kLocal) : pin.ref;
    const std::uint8_t stored = pin.storedLength != 0 ? pin.storedLength : pin.maxLength;
    TlvBuilder a;
    a.add(0x03, {unused, flags})
        .add(0x0A, {pin.pinType})
        .add(0x02, {pin.minLength})
        .add(0x02, {stored})
        .add(0x02, {pin.maxLength})
        .add(0x80, {0x00, reference});  // pinReference (positive INTEGER)
    if (pin.storedLength != 0) a.add(0x04, {pin.padChar});
    return a;
}

TlvBuilder pinObject(const PinSpec& pin, std::uint8_t authId, std::optional<std::uint8_t> unblockedBy, bool unblocking) {
    TlvBuilder o;
    o.nest(0x30, commonObject(pin.label, true, unblockedBy))
        .nest(0x30, TlvBuilder{}.add(0x04, {authId}))
        .nest(0xA1, TlvBuilder{}.nest(0x30, pinAttributes(pin, unblocking)));
    return o;
}

// A BIT STRING as DER wants it, or (lax) with an explicit 0 unused-bits count and the whole
// last octet: non-DER but decodable (OpenSC asn1.c:decode_bit_string accepts it).
Bytes bitString(ByteView der, bool lax) {
    Bytes b(der.begin(), der.end());
    if (lax && !b.empty()) b[0] = 0x00;
    return b;
}

// A PrKDF entry (privateRSAKey, or privateECKey [0] when the key has a curve): its
// algReference names the TokenInfo entries of the card algorithm bytes the key accepts.
TlvBuilder privateKey(const Personality& p, const KeySpec& k, std::uint16_t modulusBits) {
    const bool ec = !k.curve.empty();
    // sign+NR / decrypt+sign+unwrap (RSA) / sign (EC)
    const Bytes usage = k.nonRepudiation ? Bytes{0x06, 0x20, 0x40} : ec ? Bytes{0x05, 0x20} : Bytes{0x02, 0x64};
    const std::uint8_t reference = k.local ? static_cast<std::uint8_t>(k.ref | layout::kLocal) : k.ref;
    TlvBuilder common;
    common.add(0x04, {k.id})
        .add(0x03, bitString(usage, p.laxBitStrings))
        .add(0x01, {0xFF})                                             // native
        .add(0x03, bitString(Bytes{0x04, 0xB0}, p.laxBitStrings))      // sensitive, alwaysSensitive, neverExtractable
        .add(0x02, {0x00, reference});                                 // keyReference
    if (!k.algorithms.empty()) {
        TlvBuilder refs;
        for (const std::uint8_t alg : k.algorithms) {
            for (const AlgorithmSpec& a : p.algorithms) {
                if (a.algRef == alg) refs.add(0x02, {a.reference});
            }
        }
        common.nest(0xA1, refs);                                       // algReference
    }
    TlvBuilder key;
    key.nest(0x30, commonObject(k.label, true, k.pin == 0 ? kAuthIdUser : kAuthIdSign));
    key.nest(0x30, common);
    TlvBuilder attrs;
    attrs.nest(0x30, path({}));
    if (modulusBits != 0) attrs.add(0x02, {static_cast<std::uint8_t>(modulusBits >> 8), static_cast<std::uint8_t>(modulusBits)});
    key.nest(0xA1, TlvBuilder{}.nest(0x30, attrs));
    return key;
}

TlvBuilder ecKey(std::uint8_t keyRef) {
    TlvBuilder key;
    key.nest(0x30, commonObject("EC key", true, kAuthIdUser));
    key.nest(0x30, TlvBuilder{}
                       .add(0x04, {0x47})
                       .add(0x03, {0x05, 0x20})
                       .add(0x01, {0xFF})
                       .add(0x03, {0x04, 0xB0})
                       .add(0x02, {0x00, static_cast<std::uint8_t>(keyRef | layout::kLocal)}));
    key.nest(0xA1, TlvBuilder{}.nest(0x30, TlvBuilder{}.nest(0x30, path({}))));
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
TlvBuilder algorithm(const AlgorithmSpec& a, bool emptySequenceForNull) {
    Bytes mech;
    if (a.mechanism > 0xFF) mech.push_back(static_cast<std::uint8_t>(a.mechanism >> 8));
    mech.push_back(static_cast<std::uint8_t>(a.mechanism));
    if (mech.front() & 0x80) mech.insert(mech.begin(), 0x00);
    TlvBuilder b;
    b.add(0x02, {a.reference}).add(0x02, mech).add(emptySequenceForNull ? 0x30 : 0x05, ByteView{}).add(0x03, a.operations).add(0x02, {a.algRef});
    return b;
}

bool keyInApp(const KeySpec& k, std::size_t app) { return k.app == app; }

}  // namespace

Bytes efAtr() { return findPersonality(kDefaultPersonality)->efAtr; }

Bytes efDir() { return efDir(*findPersonality(kDefaultPersonality)); }

Bytes efDir(const Personality& p) {
    TlvBuilder dir;
    for (const AppSpec& app : p.apps) {
        TlvBuilder entry;
        entry.add(0x4F, app.aid).add(0x50, text(app.label));
        if (!app.ddo.empty()) entry.add(0x73, app.ddo);
        dir.nest(0x61, entry);
    }
    return dir.take();
}

Bytes efSn(ByteView serial) { return apdu::encodeTlv(0x5A, serial); }

Bytes efSnPan(ByteView sn8) {
    // OpenSC's example (card-iasecc.c:iasecc_get_serialnr): 5A 0A 92 50 00 20 10 10 25 00 01 3F
    // is read as the serial 00 02 01 01 02 50 00 13: the 16 digits between "925" and the F.
    std::vector<std::uint8_t> nibbles = {0x9, 0x2, 0x5};
    for (std::uint8_t b : sn8) {
        nibbles.push_back(static_cast<std::uint8_t>(b >> 4));
        nibbles.push_back(static_cast<std::uint8_t>(b & 0x0F));
    }
    nibbles.push_back(0xF);
    Bytes pan;
    for (std::size_t i = 0; i + 1 < nibbles.size(); i += 2) pan.push_back(static_cast<std::uint8_t>(nibbles[i] << 4 | nibbles[i + 1]));
    return apdu::encodeTlv(0x5A, pan);
}

Bytes odf() { return odf(findPersonality(kDefaultPersonality)->apps.front()); }

Bytes odf(const AppSpec& app) {
    TlvBuilder out;
    if (app.aodf != 0) out.nest(0xA8, TlvBuilder{}.nest(0x30, path(fid(app.aodf))));
    return out.nest(0xA0, TlvBuilder{}.nest(0x30, path(fid(app.prkdf))))
        .nest(0xA4, TlvBuilder{}.nest(0x30, path(fid(app.cdf))))
        .take();
}

Bytes tokenInfo(ByteView serialNumber, const std::string& manufacturer, const std::string& label, bool withEcKey) {
    Personality p = *findPersonality(kDefaultPersonality);
    p.manufacturer = manufacturer;
    return tokenInfo(p, serialNumber, label, withEcKey);
}

Bytes tokenInfo(const Personality& p, ByteView serialNumber, const std::string& label, bool withEcKey) {
    TlvBuilder algorithms;
    for (std::size_t i = 0; i < p.algorithms.size(); ++i) {
        // Gemalto: only the first entry carries the empty SEQUENCE (one parameter in the evidence).
        algorithms.nest(0x30, algorithm(p.algorithms[i], p.nullAsEmptySequence && i == 0));
    }
    if (withEcKey) {
        const auto next = static_cast<std::uint8_t>(p.algorithms.size() + 1);
        algorithms.nest(0x30, algorithm({next, 0x1041, {0x06, 0x40}, layout::kAlgEcdsa}, false));  // CKM_ECDSA (our module)
    }
    TlvBuilder info;
    info.add(0x02, {0x00})
        .add(0x04, serialNumber)
        .add(0x0C, text(p.manufacturer))
        .add(0x80, text(label))
        .add(0x03, {0x00})
        .nest(0xA2, algorithms);
    return TlvBuilder{}.nest(0x30, info).take();
}

Bytes aodf() { return aodf(*findPersonality(kDefaultPersonality), 0); }

// The first application lists the user PIN (authId 01) and the PUK (02); the application of
// the signature key lists the signature PIN (03) — in the first application too when it is
// the only one.
Bytes aodf(const Personality& p, std::size_t app) {
    TlvBuilder out;
    const std::optional<std::uint8_t> unblocker = p.puk ? std::optional<std::uint8_t>(kAuthIdPuk) : std::nullopt;
    if (app == 0) out.nest(0x30, pinObject(p.userPin, kAuthIdUser, unblocker, false));
    if (p.signPin && (app == 1 || p.apps.size() == 1)) out.nest(0x30, pinObject(*p.signPin, kAuthIdSign, unblocker, false));
    if (app == 0 && p.puk) out.nest(0x30, pinObject(*p.puk, kAuthIdPuk, std::nullopt, true));
    return out.take();
}

Bytes prkdf(bool withEcKey) { return prkdf(*findPersonality(kDefaultPersonality), 0, withEcKey); }

Bytes prkdf(const Personality& p, std::size_t app, bool withEcKey) {
    TlvBuilder out;
    for (const KeySpec& k : p.keys) {
        if (!keyInApp(k, app)) continue;
        if (k.curve.empty()) out.nest(0x30, privateKey(p, k, 2048));
        else out.nest(0xA0, privateKey(p, k, 0));
    }
    if (withEcKey && app == 0) out.nest(0xA0, ecKey(layout::kEcKey));
    return out.take();
}

Bytes cdf(bool withEcKey) { return cdf(*findPersonality(kDefaultPersonality), 0, withEcKey); }

Bytes cdf(const Personality& p, std::size_t app, bool withEcKey) {
    TlvBuilder out;
    for (const KeySpec& k : p.keys) {
        if (!keyInApp(k, app)) continue;
        out.nest(0x30, certificate(k.nonRepudiation ? "Signature certificate" : "Authentication certificate", k.id, k.certFid));
    }
    if (withEcKey && app == 0) out.nest(0x30, certificate("EC certificate", 0x47, layout::kFidCertEc));
    return out.take();
}

}  // namespace ias::sim::pkcs15
