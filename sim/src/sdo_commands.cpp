// SPDX-License-Identifier: Apache-2.0
// GET DATA of security data objects (IAS-ECC-reference §4.2, §4.3):
//   00 CB 3F FF Lc 4D L 70 L BF <class|80> <ref> L <tag> [len] 00
// answered with 70 L BF <class|80> <ref> L <items>. Readable without authentication (OpenSC
// reads PIN policies before VERIFY); private key values and key set values never leave.
#include <algorithm>

#include "ias/apdu/error.hpp"
#include "ias/apdu/tlv.hpp"
#include "ias/sim/card.hpp"
#include "ias/sim/key_ops.hpp"
#include "handler_util.hpp"

namespace ias::sim {

using namespace detail;

namespace {

constexpr std::uint8_t kClassChv = 0x01;
constexpr std::uint8_t kClassKeyset = 0x0A;
constexpr std::uint8_t kClassPrivateKey = 0x10;
constexpr std::uint8_t kClassPublicKey = 0x20;
constexpr std::uint8_t kClassSecurityEnvironment = 0x7B;

constexpr std::uint32_t kTagDocp = 0xA0;
constexpr std::uint32_t kTagChv = 0x7F41;
constexpr std::uint32_t kTagPrivateKey = 0x7F48;
constexpr std::uint32_t kTagPublicKey = 0x7F49;
constexpr std::uint32_t kTagSe = 0x7B;

struct SdoRequest {
    std::uint8_t sdoClass = 0;
    std::uint8_t ref = 0;
    std::uint32_t tag = 0;
};

// The BF cc rr value is an extended header list: a tag, optionally followed by one length
// byte (OpenSC sends 80). Parsed by hand because it is not a TLV sequence.
std::optional<SdoRequest> parseRequest(ByteView data) {
    const auto outer = apdu::TlvParser::parseAll(data);
    if (outer.size() != 1 || outer[0].tag != 0x4D) return std::nullopt;
    const auto seventy = apdu::TlvParser::parseAll(outer[0].value);
    if (seventy.size() != 1 || seventy[0].tag != 0x70) return std::nullopt;
    const auto sdo = apdu::TlvParser::parseAll(seventy[0].value);
    if (sdo.size() != 1 || (sdo[0].tag >> 16) != 0xBF) return std::nullopt;
    SdoRequest r;
    r.sdoClass = static_cast<std::uint8_t>((sdo[0].tag >> 8) & 0x7F);
    r.ref = static_cast<std::uint8_t>(sdo[0].tag & 0x3F);
    const ByteView list = sdo[0].value;
    if (list.empty()) return std::nullopt;
    std::size_t pos = 0;
    std::uint32_t tag = list[pos++];
    if ((tag & 0x1F) == 0x1F) {
        if (pos >= list.size()) return std::nullopt;
        tag = tag << 8 | list[pos++];
    }
    if (list.size() - pos > 1) return std::nullopt;  // one optional length byte at most
    r.tag = tag;
    return r;
}

Bytes sdoResponse(std::uint8_t sdoClass, std::uint8_t ref, ByteView items) {
    const std::uint32_t sdoTag = 0xBF0000u | static_cast<std::uint32_t>((sdoClass | 0x80) << 8) | ref;
    return apdu::TlvBuilder{}.nest(0x70, apdu::TlvBuilder{}.add(sdoTag, items)).take();
}

Bytes docp(const Bytes& acl, const apdu::TlvBuilder& extra) {
    apdu::TlvBuilder inner;
    inner.nest(0xA1, apdu::TlvBuilder{}.add(0x8C, acl));
    inner.raw(extra.bytes());
    return apdu::encodeTlv(kTagDocp, inner.bytes());
}

std::uint16_t keySizeField(const KeyObject& key) {
    return static_cast<std::uint16_t>(keyops::keySizeBytes(key));
}

}  // namespace

// Gemalto IAS PIN information (realcards/uruguay_eid_gemalto_ias trace lines 75-82):
//   00 CB 00 FF 05 A0 03 83 01 <VERIFY P2>  ->  A0 L {83 01 ref, 8C acl, DF21 04 {tries left,
//   tail}, DF27 02 FF FF, DF28 01 <stored length>, DF2F 01 01}
// Only on personalities whose PIN carries the description; elsewhere 6A86 (unknown P1-P2).
ResponseApdu Card::getPinInformation(const CommandApdu& c) {
    const auto& request = c.data;
    if (request.size() != 5 || request[0] != 0xA0 || request[1] != 0x03 || request[2] != 0x83 || request[3] != 0x01) {
        return sw(StatusWord::kWrongData);
    }
    PinObject* pin = pinOfReference(request[4]);
    const PinSpec* spec = pin ? pinSpec(pin->ref) : nullptr;
    const auto& all = personality_->pinInformation;
    const auto described = std::find_if(all.begin(), all.end(), [&](const ProprietaryPinInfo& i) { return i.p2 == request[4]; });
    if (!spec || described == all.end()) return sw(StatusWord::kReferenceNotFound);
    Bytes counter{static_cast<std::uint8_t>(pin->triesLeft)};
    apdu::append(counter, described->counterTail);
    apdu::TlvBuilder info;
    info.addByte(0x83, request[4])
        .add(0x8C, described->acl)
        .add(0xDF21, counter)
        .add(0xDF27, {0xFF, 0xFF})
        .addByte(0xDF28, spec->storedLength)
        .addByte(0xDF2F, 0x01);
    return ok(apdu::encodeTlv(kTagDocp, info.bytes()));
}

ResponseApdu Card::getData(const CommandApdu& c) {
    if (c.p1 == 0x00 && c.p2 == 0xFF && !personality_->pinInformation.empty()) return getPinInformation(c);
    if (c.p1 != 0x3F || c.p2 != 0xFF) return sw(StatusWord::kIncorrectP1P2);
    std::optional<SdoRequest> req;
    try {
        req = parseRequest(c.data);
    } catch (const apdu::Error&) {
        return sw(StatusWord::kWrongData);
    }
    if (!req) return sw(StatusWord::kWrongData);

    switch (req->sdoClass) {
        case kClassChv: {
            // Gemalto (personality.cpp): no IAS-ECC CHV SDO to read, its own PIN information instead.
            if (!personality_->chvSdoReadable) return sw(StatusWord::kReferenceNotFound);
            PinObject* pin = state_.findPin(req->ref);
            if (!pin) return sw(StatusWord::kReferenceNotFound);
            if (req->tag == kTagChv) {
                const Bytes chv = apdu::TlvBuilder{}.addByte(0x80, pin->maxLength).addByte(0x81, pin->minLength).take();
                return ok(sdoResponse(kClassChv, req->ref, apdu::encodeTlv(kTagChv, chv)));
            }
            if (req->tag == kTagDocp) {
                apdu::TlvBuilder tries;
                tries.addByte(0x9A, pin->maxTries).addByte(0x9B, pin->triesLeft);
                if (personality_->pinDocp == PinDocpStyle::AclFirst) {
                    return ok(sdoResponse(kClassChv, req->ref, docp(pin->acl, tries)));
                }
                // Cosmo / CPx: A0 {9A, 9B, A1 {8C acl [9C acl]}} (realcards/esteid2018_idemia,
                // lateid_idemia_v2, cpx_french_health_iasecc get_data_sdo).
                const PinSpec* spec = pinSpec(pin->ref);
                apdu::TlvBuilder acls;
                acls.add(0x8C, pin->acl);
                if (spec && spec->contactlessAcl) acls.add(0x9C, pin->acl);
                tries.nest(0xA1, acls);
                return ok(sdoResponse(kClassChv, req->ref, apdu::encodeTlv(kTagDocp, tries.bytes())));
            }
            return sw(StatusWord::kWrongData);
        }
        case kClassPrivateKey: {
            KeyObject* key = state_.findKey(req->ref);
            if (!key) return sw(StatusWord::kReferenceNotFound);
            if (req->tag == kTagPrivateKey) return sw(StatusWord::kWrongData);  // OpenSC falls back to the DOCP
            if (req->tag == kTagDocp) {
                const std::uint16_t size = keySizeField(*key);
                apdu::TlvBuilder extra;
                extra.add(0x80, {static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)});
                // CPx contactless key: A1 {8C contact rule, 9C contactless rule}.
                for (const auto& [ref, contactless] : personality_->contactlessKeyAcls) {
                    if (ref != key->ref) continue;
                    apdu::TlvBuilder inner;
                    inner.nest(0xA1, apdu::TlvBuilder{}.add(0x8C, key->acl).add(0x9C, contactless));
                    inner.raw(extra.bytes());
                    return ok(sdoResponse(kClassPrivateKey, req->ref, apdu::encodeTlv(kTagDocp, inner.bytes())));
                }
                return ok(sdoResponse(kClassPrivateKey, req->ref, docp(key->acl, extra)));
            }
            return sw(StatusWord::kWrongData);
        }
        case kClassPublicKey: {
            KeyObject* key = state_.findKey(req->ref);
            if (!key) return sw(StatusWord::kReferenceNotFound);
            if (req->tag == kTagPublicKey) {
                apdu::TlvBuilder pub;
                if (key->kind == KeyKind::Rsa) {
                    pub.add(0x81, keyops::rsaModulus(*key)).add(0x82, keyops::rsaExponent(*key));
                } else {
                    pub.add(0x86, keyops::ecPublicPoint(*key));
                }
                return ok(sdoResponse(kClassPublicKey, req->ref, apdu::encodeTlv(kTagPublicKey, pub.bytes())));
            }
            if (req->tag == kTagDocp) {
                const std::uint16_t size = keySizeField(*key);
                apdu::TlvBuilder extra;
                extra.add(0x80, {static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)});
                return ok(sdoResponse(kClassPublicKey, req->ref, docp(Bytes{0x03, 0xFF, 0x00}, extra)));
            }
            return sw(StatusWord::kWrongData);
        }
        case kClassKeyset: {
            KeysetObject* keyset = state_.findKeyset(req->ref);
            if (!keyset) return sw(StatusWord::kReferenceNotFound);
            if (req->tag == kTagDocp) return ok(sdoResponse(kClassKeyset, req->ref, docp(keyset->acl, {})));
            return sw(StatusWord::kWrongData);  // key values are never readable
        }
        case kClassSecurityEnvironment: {
            // Cosmo: the SE SDO is not readable (realcards/oberthur_cosmo_iasecc [B]); CPx:
            // only with the MF current (realcards/cpx_french_health_iasecc [C], [D]).
            if (!personality_->seReadable) return sw(StatusWord::kReferenceNotFound);
            if (personality_->seReadableOnlyInMf && currentPath_.size() != 1) return sw(StatusWord::kReferenceNotFound);
            const SecurityEnvironmentObject* se = state_.findEnvironment(req->ref);
            if (!se) return sw(StatusWord::kReferenceNotFound);
            if (req->tag != kTagSe) return sw(StatusWord::kWrongData);
            return ok(sdoResponse(kClassSecurityEnvironment, req->ref, apdu::encodeTlv(kTagSe, se->crts)));
        }
        default:
            return sw(StatusWord::kReferenceNotFound);
    }
}

}  // namespace ias::sim
