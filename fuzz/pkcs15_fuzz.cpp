// SPDX-License-Identifier: Apache-2.0
// pkcs15_fuzz: the module's PKCS#15 parsers (card/pkcs15.hpp) and object building from
// certificates (core/object_factory.hpp). Expected failure of the parsers: card::CardError
// (MalformedResponse); buildObjects must never throw (bad certificates are skipped).
//
// Input: byte 0 selects the mode, the rest is its data.
//   0 ODF, 1 TokenInfo, 2 AODF, 3 PrKDF, 4 CDF, 5 bitStringFlags: the rest is the file.
//   6 buildObjects: the rest is the certificate DER, put under every CDF entry of the
//     simulator's card (so it meets the real PrKDF/TokenInfo).
//   7 whole card: [u16 n][TokenInfo][u16 n][PrKDF][u16 n][CDF] then certificate DERs as
//     [u16 n][DER]..., given to the parsed CDF entries in order.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "card/card_error.hpp"
#include "card/pkcs15.hpp"
#include "core/object_factory.hpp"
#include "fuzz_input.hpp"
#include "ias/sim/personalise.hpp"

using namespace ias;
using ias::fuzz::fail;
namespace pkcs15 = ias::card::pkcs15;

namespace {

struct Reference {
    pkcs15::TokenInfo tokenInfo;
    std::vector<pkcs15::PrivateKey> keys;
    std::vector<pkcs15::Certificate> certs;
};

const Reference& reference() {
    static const Reference r = [] {
        Reference x;
        const apdu::Bytes serial = {0x00, 0x10, 0x00, 0x00, 0x00, 0x77, 0x77, 0x77};
        x.tokenInfo = pkcs15::parseTokenInfo(sim::pkcs15::tokenInfo(serial, "fuzz", "FUZZ", true));
        x.keys = pkcs15::parsePrkdf(sim::pkcs15::prkdf(true));
        x.certs = pkcs15::parseCdf(sim::pkcs15::cdf(true));
        return x;
    }();
    return r;
}

void inspect(const std::vector<std::shared_ptr<p11::Object>>& objects) {
    static const CK_ATTRIBUTE_TYPE kTypes[] = {CKA_CLASS, CKA_ID, CKA_LABEL, CKA_VALUE, CKA_SUBJECT, CKA_ISSUER,
                                               CKA_SERIAL_NUMBER, CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_EC_PARAMS,
                                               CKA_EC_POINT, CKA_PUBLIC_KEY_INFO, CKA_CHECK_VALUE, CKA_MODULUS_BITS};
    std::vector<std::uint8_t> buf;
    for (const auto& o : objects) {
        if (!o) fail("null object");
        for (CK_ATTRIBUTE_TYPE t : kTypes) {
            CK_ATTRIBUTE a{t, nullptr, 0};
            if (o->read(a) != CKR_OK) continue;
            buf.assign(a.ulValueLen, 0);
            a.pValue = buf.data();
            if (o->read(a) != CKR_OK || a.ulValueLen != buf.size()) fail("attribute read twice differs");
        }
    }
}

std::vector<std::shared_ptr<p11::Object>> build(const p11::CardContents& contents) {
    CK_OBJECT_HANDLE next = 1;
    auto objects = p11::buildObjects(contents, [&] { return next++; });
    inspect(objects);
    return objects;
}

void parseOne(std::uint8_t mode, apdu::ByteView der) {
    try {
        switch (mode) {
            case 0: (void)pkcs15::parseOdf(der); break;
            case 1: (void)pkcs15::parseTokenInfo(der); break;
            case 2: (void)pkcs15::parseAodf(der); break;
            case 3: (void)pkcs15::parsePrkdf(der); break;
            case 4: (void)pkcs15::parseCdf(der); break;
            default: (void)pkcs15::bitStringFlags(der); break;
        }
    } catch (const card::CardError& e) {
        if (e.kind() != card::CardErrorKind::MalformedResponse) fail("parser threw a CardError other than Malformed");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.u8() % 8;
    if (mode <= 5) {
        parseOne(mode, in.rest());
        return 0;
    }
    p11::CardContents contents;
    if (mode == 6) {
        const Reference& ref = reference();
        contents.tokenInfo = ref.tokenInfo;
        contents.privateKeys = ref.keys;
        const auto der = in.rest();
        for (const auto& c : ref.certs) contents.certificates.push_back({c, apdu::Bytes(der.begin(), der.end())});
        build(contents);
        return 0;
    }
    try {
        contents.tokenInfo = pkcs15::parseTokenInfo(in.bytes(in.u16()));
    } catch (const card::CardError&) {
    }
    try {
        contents.privateKeys = pkcs15::parsePrkdf(in.bytes(in.u16()));
    } catch (const card::CardError&) {
    }
    std::vector<pkcs15::Certificate> certs;
    try {
        certs = pkcs15::parseCdf(in.bytes(in.u16()));
    } catch (const card::CardError&) {
    }
    for (const auto& c : certs) {
        const auto der = in.bytes(in.u16());
        contents.certificates.push_back({c, apdu::Bytes(der.begin(), der.end())});
    }
    build(contents);
    return 0;
}
