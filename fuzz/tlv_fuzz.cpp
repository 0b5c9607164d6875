// SPDX-License-Identifier: Apache-2.0
// tlv_fuzz: apdu::TlvParser on arbitrary bytes. Expected failure: apdu::Error. Checks that
// every returned view lies inside the input and that re-encoding a parsed object (DER
// minimal length form) parses back to the same tag and value.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/tlv.hpp"

using namespace ias::apdu;

namespace {

void checkInside(ByteView in, const Tlv& t) {
    const auto* lo = in.data();
    const auto* hi = in.data() + in.size();
    if (t.raw.data() < lo || t.raw.data() + t.raw.size() > hi) ias::fuzz::fail("TLV raw outside the input");
    if (t.value.data() < t.raw.data() || t.value.data() + t.value.size() != t.raw.data() + t.raw.size()) {
        ias::fuzz::fail("TLV value not at the end of raw");
    }
}

void roundTrip(const Tlv& t) {
    const Bytes enc = encodeTlv(t.tag, t.value);
    std::size_t used = 0;
    const Tlv back = TlvParser::parseOne(enc, used);
    if (used != enc.size() || back.tag != t.tag || !std::equal(back.value.begin(), back.value.end(), t.value.begin(),
                                                               t.value.end())) {
        ias::fuzz::fail("encodeTlv/parseOne round trip");
    }
}

void walk(ByteView in, const Tlv& t, unsigned depth) {
    checkInside(in, t);
    roundTrip(t);
    if (!t.isConstructed() || depth == 0) return;
    try {
        for (const Tlv& c : TlvParser::children(t)) walk(in, c, depth - 1);
    } catch (const Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in(data, size);
    try {
        for (const Tlv& t : TlvParser::parseAll(in, true)) walk(in, t, TlvParser::kDefaultMaxDepth);
    } catch (const Error&) {
    }
    try {
        bool checkedOk = false;
        std::vector<Tlv> checked;
        try {
            checked = TlvParser::parseAllChecked(in);
            checkedOk = true;
        } catch (const Error&) {
        }
        if (checkedOk) {
            // parseAllChecked accepted: plain parseAll must agree object by object.
            const auto plain = TlvParser::parseAll(in);
            if (plain.size() != checked.size()) ias::fuzz::fail("parseAllChecked and parseAll disagree");
            for (const Tlv& t : checked) walk(in, t, TlvParser::kDefaultMaxDepth);
        }
    } catch (const Error&) {
        ias::fuzz::fail("parseAll refused what parseAllChecked accepted");
    }
    try {
        std::size_t used = 0;
        const Tlv t = TlvParser::parseOne(in, used);
        if (used > size || used != t.raw.size()) ias::fuzz::fail("parseOne consumed size");
        checkInside(in, t);
    } catch (const Error&) {
    }
    // The paths the module and the simulator look up.
    try { (void)TlvParser::findPath(in, {0x70, 0xBF8101, 0x7F41}); } catch (const Error&) {}
    try { (void)TlvParser::findPath(in, {0x62, 0x8C}); } catch (const Error&) {}
    try { (void)TlvParser::findPath(in, {0x30, 0xA1, 0x30, 0x30, 0x04}); } catch (const Error&) {}
    try { (void)TlvParser::find(in, 0x5A); } catch (const Error&) {}
    return 0;
}
