// SPDX-License-Identifier: Apache-2.0
#include "pkcs15.hpp"

#include "card_error.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/tlv.hpp"

namespace ias::card::pkcs15 {

using apdu::Tlv;
using apdu::TlvParser;

namespace {

constexpr std::uint32_t kSequence = 0x30;
constexpr std::uint32_t kInteger = 0x02;
constexpr std::uint32_t kBitString = 0x03;
constexpr std::uint32_t kOctetString = 0x04;
constexpr std::uint32_t kBoolean = 0x01;
constexpr std::uint32_t kUtf8String = 0x0C;
constexpr std::uint32_t kEnumerated = 0x0A;

[[noreturn]] void bad(const char* what) { malformedResponse(what); }

std::vector<Tlv> items(ByteView v) {
    try {
        return TlvParser::parseAll(v, true);
    } catch (const apdu::Error&) {
        bad("PKCS#15: malformed DER");
    }
}

std::vector<Tlv> childrenOf(const Tlv& t) {
    if (!t.isConstructed()) bad("PKCS#15: expected a constructed object");
    return items(t.value);
}

const Tlv* findTag(const std::vector<Tlv>& v, std::uint32_t tag) {
    for (const Tlv& t : v) {
        if (t.tag == tag) return &t;
    }
    return nullptr;
}

unsigned long integerValue(const Tlv& t) {
    if (t.value.empty() || t.value.size() > sizeof(unsigned long)) bad("PKCS#15: bad INTEGER");
    unsigned long v = 0;
    for (std::uint8_t b : t.value) v = v << 8 | b;
    return v;
}

std::string text(const Tlv& t) { return std::string(t.value.begin(), t.value.end()); }
Bytes bytes(const Tlv& t) { return Bytes(t.value.begin(), t.value.end()); }

std::uint16_t fidFromPath(const Tlv& pathSeq) {
    const auto p = childrenOf(pathSeq);
    const Tlv* os = findTag(p, kOctetString);
    if (!os) bad("PKCS#15: Path without OCTET STRING");
    if (os->value.size() < 2) return 0;  // empty path: the application itself
    return static_cast<std::uint16_t>(os->value[os->value.size() - 2] << 8 | os->value[os->value.size() - 1]);
}

// CommonObjectAttributes: label, flags, authId.
struct Common {
    std::string label;
    unsigned flags = 0;
    Bytes authId;
    unsigned long userConsent = 0;
};

Common parseCommon(const Tlv& t) {
    Common c;
    for (const Tlv& i : childrenOf(t)) {
        if (i.tag == kUtf8String) c.label = text(i);
        else if (i.tag == kBitString) c.flags = bitStringFlags(i.value);
        else if (i.tag == kOctetString) c.authId = bytes(i);
        else if (i.tag == kInteger) c.userConsent = integerValue(i);
    }
    return c;
}

// The [1] typeAttributes wrapper: A1 { SEQUENCE {...} } -> the inner sequence's items.
std::vector<Tlv> typeAttributes(const std::vector<Tlv>& entry) {
    const Tlv* a1 = findTag(entry, 0xA1);
    if (!a1) bad("PKCS#15: missing type attributes");
    const auto inner = childrenOf(*a1);
    if (inner.empty() || inner[0].tag != kSequence) bad("PKCS#15: bad type attributes");
    return childrenOf(inner[0]);
}

}  // namespace

unsigned bitStringFlags(ByteView value) {
    if (value.empty()) bad("PKCS#15: empty BIT STRING");
    unsigned flags = 0;
    for (std::size_t i = 1; i < value.size() && i <= sizeof(unsigned); ++i) {
        for (unsigned bit = 0; bit < 8; ++bit) {
            if (value[i] & (0x80 >> bit)) flags |= 1u << ((i - 1) * 8 + bit);
        }
    }
    return flags;
}

std::vector<Bytes> parseEfDir(ByteView content) {
    std::vector<Bytes> aids;
    try {
        for (const Tlv& t : apdu::TlvParser::parseAll(content, true)) {
            if (t.tag != 0x61) continue;
            const auto aid = apdu::TlvParser::find(t.value, 0x4F);
            if (aid && aid->value.size() >= 5 && aid->value.size() <= 16) aids.emplace_back(aid->value.begin(), aid->value.end());
        }
    } catch (const apdu::Error&) {
        bad("EF.DIR: not BER-TLV");
    }
    return aids;
}

Odf parseOdf(ByteView der) {
    Odf odf;
    for (const Tlv& t : items(der)) {
        const auto inner = childrenOf(t);
        if (inner.empty() || inner[0].tag != kSequence) bad("ODF: bad entry");
        const std::uint16_t fid = fidFromPath(inner[0]);
        switch (t.tag) {
            case 0xA0: odf.prkdf = fid; break;
            case 0xA1: odf.pukdf = fid; break;
            case 0xA4: odf.cdf = fid; break;
            case 0xA7: odf.dodf = fid; break;
            case 0xA8: odf.aodf = fid; break;
            default: break;
        }
    }
    return odf;
}

TokenInfo parseTokenInfo(ByteView der) {
    const auto top = items(der);
    if (top.empty() || top[0].tag != kSequence) bad("TokenInfo: not a SEQUENCE");
    TokenInfo info;
    for (const Tlv& i : childrenOf(top[0])) {
        if (i.tag == kOctetString) info.serialNumber = bytes(i);
        else if (i.tag == kUtf8String) info.manufacturer = text(i);
        else if (i.tag == 0x80) info.label = text(i);
        else if (i.tag == 0xA2) {
            for (const Tlv& a : childrenOf(i)) {
                const auto f = childrenOf(a);
                AlgorithmInfo alg;
                std::vector<const Tlv*> ints;
                for (const Tlv& x : f) {
                    if (x.tag == kInteger) ints.push_back(&x);
                    else if (x.tag == kBitString) alg.operations = bitStringFlags(x.value);
                }
                if (ints.size() < 3) bad("TokenInfo: bad AlgorithmInfo");
                alg.reference = static_cast<unsigned>(integerValue(*ints[0]));
                alg.mechanism = integerValue(*ints[1]);
                alg.algRef = static_cast<std::uint8_t>(integerValue(*ints.back()));
                info.algorithms.push_back(alg);
            }
        }
    }
    return info;
}

std::vector<Pin> parseAodf(ByteView der) {
    std::vector<Pin> pins;
    for (const Tlv& entry : items(der)) {
        if (entry.tag != kSequence) continue;  // only PIN objects (biometrics etc. ignored)
        const auto e = childrenOf(entry);
        if (e.size() < 3) bad("AODF: short entry");
        Pin pin;
        const Common c = parseCommon(e[0]);
        pin.label = c.label;
        pin.protectedBy = c.authId;
        const auto auth = childrenOf(e[1]);
        if (const Tlv* id = findTag(auth, kOctetString)) pin.authId = bytes(*id);
        std::vector<const Tlv*> ints;  // points into attrs: keep attrs alive while ints is used
        const std::vector<Tlv> attrs = typeAttributes(e);
        for (const Tlv& a : attrs) {
            if (a.tag == kBitString) pin.flags = bitStringFlags(a.value);
            else if (a.tag == kInteger) ints.push_back(&a);
            else if (a.tag == 0x80) pin.reference = static_cast<std::uint8_t>(integerValue(a));
            // padChar is an OCTET STRING (PKCS#15 PinAttributes; Gemalto cards pad with 00);
            // [1] as some encoders write it.
            else if ((a.tag == kOctetString || a.tag == 0x81) && a.value.size() == 1) pin.padChar = a.value[0];
            else if (a.tag == kEnumerated) continue;
        }
        if (!ints.empty()) pin.minLength = static_cast<unsigned>(integerValue(*ints[0]));
        if (ints.size() >= 2) pin.storedLength = static_cast<unsigned>(integerValue(*ints[1]));
        if (ints.size() >= 3) pin.maxLength = static_cast<unsigned>(integerValue(*ints[2]));
        pins.push_back(std::move(pin));
    }
    return pins;
}

std::vector<PrivateKey> parsePrkdf(ByteView der) {
    std::vector<PrivateKey> keys;
    for (const Tlv& entry : items(der)) {
        PrivateKey key;
        if (entry.tag == kSequence) key.type = KeyType::Rsa;
        else if (entry.tag == 0xA0) key.type = KeyType::Ec;
        else continue;
        const auto e = childrenOf(entry);
        if (e.size() < 3) bad("PrKDF: short entry");
        const Common c = parseCommon(e[0]);
        key.label = c.label;
        key.authId = c.authId;
        key.userConsent = c.userConsent != 0;
        for (const Tlv& a : childrenOf(e[1])) {
            if (a.tag == kOctetString) key.id = bytes(a);
            else if (a.tag == kBitString && key.usage == 0) key.usage = bitStringFlags(a.value);
            else if (a.tag == kBitString) key.accessFlags = bitStringFlags(a.value);
            else if (a.tag == kInteger) key.keyReference = static_cast<std::uint8_t>(integerValue(a));
            else if (a.tag == 0xA1) {
                for (const Tlv& r : childrenOf(a)) key.algReferences.push_back(static_cast<unsigned>(integerValue(r)));
            }
        }
        for (const Tlv& a : typeAttributes(e)) {
            if (a.tag == kInteger) key.modulusBits = static_cast<unsigned>(integerValue(a));
        }
        keys.push_back(std::move(key));
    }
    return keys;
}

std::vector<Certificate> parseCdf(ByteView der) {
    std::vector<Certificate> certs;
    for (const Tlv& entry : items(der)) {
        if (entry.tag != kSequence) continue;  // x509Certificate only
        const auto e = childrenOf(entry);
        if (e.size() < 3) bad("CDF: short entry");
        Certificate cert;
        cert.label = parseCommon(e[0]).label;
        for (const Tlv& a : childrenOf(e[1])) {
            if (a.tag == kOctetString) cert.id = bytes(a);
            else if (a.tag == kBoolean && !a.value.empty()) cert.authority = a.value[0] != 0;
        }
        const auto attrs = typeAttributes(e);
        if (attrs.empty() || attrs[0].tag != kSequence) bad("CDF: missing path");
        cert.fid = fidFromPath(attrs[0]);
        certs.push_back(std::move(cert));
    }
    return certs;
}

}  // namespace ias::card::pkcs15
