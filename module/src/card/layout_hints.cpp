// SPDX-License-Identifier: Apache-2.0
#include "layout_hints.hpp"

#include <array>

namespace ias::card {

namespace {

constexpr std::array kHints{
    LayoutHint{
        "Gemalto IAS Classic v4 (Uruguay eID)",
        "3B7F94000080318065B0850300EF120FFF829000",
        "FFFF00FFFFFFFFFFFFFFFF000000000000FFFFFF",
        // DF 3F00/5000 "Gem P15", the one application of EF.DIR (61 15 4F 0D E8 28 BD 08 0F 01
        // 47 65 6D 20 50 31 35 51 04 3F 00 50 00).
        "E828BD080F0147656D20503135",
        "ATR and mask: OpenSC card-cedulauy.c (realcards/uruguay_eid_gemalto_ias files.json 'ATR'); "
        "application: that card's EF.DIR (files.json '3F00/2F00', trace lines 27-32)",
    },
    LayoutHint{
        "French CPx health-professional card (IAS-ECC)",
        "3BAC00402A001225006480000310009000",
        "FF00000000FFFFFFFFFFFF000000FFFFFF",
        // "CPX IAS", the contact application. EF.DIR lists a second one, "CPX IAS CL" (...FF 00
        // 20), whose key allows no use over the contact interface: the module hides it and its
        // certificate when it discovers the card (docs/cards.md), so the token is the same.
        "E828BD080F8025000001FF0010",
        "ATR and mask: OpenSC card-iasecc.c iasecc_known_atrs \"IAS/ECC CPx\" "
        "(realcards/cpx_french_health_iasecc files.json 'ATR'); application: files.json "
        "pkcs15.applications \"CPX IAS\" and notes (7)",
    },
};

bool matches(const LayoutHint& hint, apdu::ByteView atr) {
    const apdu::Bytes want = apdu::fromHex(hint.atr);
    const apdu::Bytes mask = apdu::fromHex(hint.atrMask);
    if (atr.size() != want.size() || mask.size() != want.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i) {
        if ((atr[i] & mask[i]) != (want[i] & mask[i])) return false;
    }
    return true;
}

}  // namespace

std::optional<LayoutHint> layoutHintFor(apdu::ByteView atr) {
    for (const LayoutHint& hint : kHints) {
        if (matches(hint, atr)) return hint;
    }
    return std::nullopt;
}

}  // namespace ias::card
