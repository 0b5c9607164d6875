// SPDX-License-Identifier: Apache-2.0
#include "sdo_access.hpp"

#include "card_error.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/tlv.hpp"

namespace ias::card {

namespace {

unsigned smallUnsigned(apdu::ByteView v) {
    if (v.empty() || v.size() > 2) malformedResponse("SDO counter of a bad size");
    unsigned n = 0;
    for (std::uint8_t b : v) n = n << 8 | b;
    return n;
}

constexpr std::uint32_t kTagPinInformation = 0xA0;
constexpr std::uint32_t kTagPinInformationCounter = 0xDF21;

// Gemalto's PIN information (realcards/uruguay_eid_gemalto_ias): 83 names the PIN as VERIFY's P2.
SdoAccess parsePinInformation(const apdu::Tlv& info, std::uint8_t ref) {
    SdoAccess out;
    bool named = false;
    for (const apdu::Tlv& item : apdu::TlvParser::parseAll(info.value)) {
        if (item.tag == 0x83) {
            if (item.value.size() != 1 || (item.value[0] & 0x1F) != (ref & 0x1F)) malformedResponse("PIN information for another PIN");
            named = true;
        } else if (item.tag == kTagPinInformationCounter) {
            if (item.value.empty()) malformedResponse("PIN information counter of a bad size");
            out.triesLeft = item.value[0];
        }
    }
    if (!named) malformedResponse("PIN information without its reference (83)");
    return out;
}

}  // namespace

std::string Scb::describe() const {
    if (always()) return "always";
    if (never()) return "never";
    std::string out;
    const char* sep = "";
    const char* join = demandsAll() ? " and " : " or ";
    if ((value & 0x40) != 0) { out += "secure messaging"; sep = join; }
    if ((value & 0x20) != 0) { out += sep; out += "external authentication"; sep = join; }
    if ((value & 0x10) != 0) { out += sep; out += "user authentication"; }
    if (out.empty()) out = "a proprietary condition";
    return out + " (SE #" + std::to_string(environment()) + ")";
}

Scb compactAclScb(apdu::ByteView acl, std::uint8_t ambBit) {
    if (acl.empty() || (acl[0] & ambBit) == 0) return Scb{};
    std::size_t index = 1;
    for (std::uint8_t bit = 0x40; bit > ambBit; bit >>= 1) {
        if ((acl[0] & bit) != 0) ++index;
    }
    if (index >= acl.size()) return Scb{};  // fewer SCBs than AMB bits: treat as never
    return Scb{acl[index]};
}

Scb SdoAccess::scb(std::uint8_t ambBit) const { return compactAclScb(contactAcl, ambBit); }

SdoAccess parseSdoAccess(apdu::ByteView answer, SdoClass cls, std::uint8_t ref) {
    try {
        const std::uint32_t sdoTag = 0xBF0000u | static_cast<std::uint32_t>((static_cast<unsigned>(cls) | 0x80u) << 8) | (ref & 0x3Fu);
        std::size_t used = 0;
        apdu::Tlv outer = apdu::TlvParser::parseOne(answer, used);
        if (cls == SdoClass::Pin && outer.tag == kTagPinInformation) {
            if (used != answer.size()) malformedResponse("PIN information with trailing bytes");
            return parsePinInformation(outer, ref);
        }
        if (outer.tag == 0x70) {
            if (used != answer.size()) malformedResponse("GET DATA answer with trailing bytes");
            apdu::ByteView inner = outer.value;
            outer = apdu::TlvParser::parseOne(inner, used);
            if (used != inner.size()) malformedResponse("GET DATA answer with trailing bytes");
        }
        // Cards answer the class byte with or without bit 0x80 (§4.3).
        if ((outer.tag | 0x8000u) != sdoTag) malformedResponse("GET DATA answer for another object");
        SdoAccess out;
        const auto docp = apdu::TlvParser::find(outer.value, 0xA0);
        if (!docp) malformedResponse("GET DATA answer without a descriptor (A0)");
        for (const apdu::Tlv& item : apdu::TlvParser::parseAll(docp->value)) {
            switch (item.tag) {
                case 0x8C: out.contactAcl.assign(item.value.begin(), item.value.end()); break;
                case 0xA1:
                    for (const apdu::Tlv& rule : apdu::TlvParser::parseAll(item.value)) {
                        if (rule.tag == 0x8C) out.contactAcl.assign(rule.value.begin(), rule.value.end());
                    }
                    break;
                case 0x9A: out.triesMax = smallUnsigned(item.value); break;
                case 0x9B: out.triesLeft = smallUnsigned(item.value); break;
                default: break;  // 80 size, 9C contactless rule, 9D, 9E: not needed here
            }
        }
        return out;
    } catch (const apdu::Error&) {
        malformedResponse("GET DATA answer is not BER-TLV");
    }
}

}  // namespace ias::card
