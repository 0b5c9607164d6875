// SPDX-License-Identifier: Apache-2.0
// Access rules: evaluation of security condition bytes (SCB) against the card's security
// state, and look-ups in the security environments (IAS-ECC-reference §4.5, §5.1).
#include "ias/apdu/error.hpp"
#include "ias/apdu/tlv.hpp"
#include "ias/sim/card.hpp"
#include "ias/sim/layout.hpp"

namespace ias::sim {

namespace {

// refs (tag 83) of the first CRT with `crtTag` whose usage qualifier (95) equals `usage`.
std::optional<std::uint8_t> crtReference(const SecurityEnvironmentObject* se, std::uint8_t crtTag,
                                         std::uint8_t usage) {
    if (!se) return std::nullopt;
    try {
        for (const apdu::Tlv& crt : apdu::TlvParser::parseAll(se->crts)) {
            if (crt.tag != crtTag) continue;
            std::optional<std::uint8_t> ref;
            std::optional<std::uint8_t> uqb;
            for (const apdu::Tlv& item : apdu::TlvParser::parseAll(crt.value)) {
                if (item.value.size() != 1) continue;
                if (item.tag == 0x83 && !ref) ref = item.value[0];
                if (item.tag == 0x95) uqb = item.value[0];
            }
            if (uqb == usage && ref) return ref;
        }
    } catch (const apdu::Error&) {
        return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::uint8_t> Card::pinRefOfEnvironment(std::uint8_t se) const {
    return crtReference(state_.findEnvironment(se), layout::kCrtAt, layout::kUqbUserPassword);
}

std::optional<std::uint8_t> Card::keysetRefOfEnvironment(std::uint8_t se) const {
    return crtReference(state_.findEnvironment(se), layout::kCrtAt, layout::kUqbExternalAuth);
}

// 00 always, FF never; otherwise the method bits 10 (user PIN of SE #n), 20 (external
// authentication with the key of SE #n), 40 (secure messaging), combined with OR unless the
// "all conditions" bit 80 is set.
bool Card::scbSatisfied(std::uint8_t scb) const {
    if (scb == layout::kScbAlways) return true;
    if (scb == layout::kScbNever) return false;
    const std::uint8_t se = scb & 0x0F;
    const std::uint8_t methods = scb & 0x70;
    if (methods == 0) return false;
    const bool all = (scb & layout::kScbAllConditions) != 0;
    auto check = [&](std::uint8_t method) -> bool {
        switch (method) {
            case layout::kScbUserAuth: {
                const auto pin = pinRefOfEnvironment(se);
                return pin && verifiedPins_.count(*pin & 0x1F) != 0;
            }
            case layout::kScbExternalAuth: {
                const auto keyset = keysetRefOfEnvironment(se);
                return keyset && externalAuthKeyset_ && (*keyset & 0x1F) == *externalAuthKeyset_;
            }
            case layout::kScbSecureMessaging:
                return commandUnderSm_;
            default:
                return false;
        }
    };
    bool any = false;
    for (std::uint8_t method : {layout::kScbUserAuth, layout::kScbExternalAuth, layout::kScbSecureMessaging}) {
        if ((methods & method) == 0) continue;
        const bool ok = check(method);
        if (all && !ok) return false;
        any = any || ok;
    }
    return any;
}

}  // namespace ias::sim
