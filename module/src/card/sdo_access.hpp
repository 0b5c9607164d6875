// SPDX-License-Identifier: Apache-2.0
// What a security data object (PIN or private key) allows, as the card states it in the
// object's descriptor (DOCP, tag A0 of GET DATA, IAS-ECC-reference §4.2-§4.5): the contact
// access rule (compact format, one SCB per AMB bit from 0x40 down to 0x01) and, for PINs,
// the try counters. The module decides how to sign and how to unblock from these, never from
// the card's ATR.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ias/apdu/bytes.hpp"

namespace ias::card {

// SDO classes of GET DATA (BF <class|80> <ref>).
enum class SdoClass : std::uint8_t { Pin = 0x01, PrivateKey = 0x10 };

// AMB bits (IAS-ECC-reference §4.4).
namespace amb {
inline constexpr std::uint8_t kPinChange = 0x40;
inline constexpr std::uint8_t kPinVerify = 0x20;
inline constexpr std::uint8_t kPinReset = 0x10;
inline constexpr std::uint8_t kKeySign = 0x40;              // PSO COMPUTE DIGITAL SIGNATURE
inline constexpr std::uint8_t kKeyInternalAuthenticate = 0x20;
inline constexpr std::uint8_t kKeyDecipher = 0x10;
}  // namespace amb

// One security condition byte (§4.5).
struct Scb {
    std::uint8_t value = 0xFF;
    bool never() const { return value == 0xFF; }
    bool always() const { return value == 0x00; }
    // Conditions (bits 0x10 user authentication, 0x20 external authentication, 0x40 secure
    // messaging; 0x80: all of them instead of any) under security environment value & 0x0F.
    bool allowsUserAuthentication() const { return !never() && (value & 0x10) != 0; }
    bool allowsExternalAuthentication() const { return !never() && (value & 0x20) != 0; }
    bool demandsAll() const { return !never() && (value & 0x80) != 0; }
    std::uint8_t environment() const { return value & 0x0F; }
    // "always", "never", "user authentication (SE #1)", "external authentication or user
    // authentication (SE #2)", ... for log lines.
    std::string describe() const;
};

struct SdoAccess {
    apdu::Bytes contactAcl;  // AMB followed by its SCBs (8C), empty if the card gave none
    std::optional<unsigned> triesMax;   // 9A
    std::optional<unsigned> triesLeft;  // 9B
    // The SCB of one operation (an AMB bit); "never" when the bit is not set.
    Scb scb(std::uint8_t ambBit) const;
};

// Parses a GET DATA answer `70 L BF cls ref L A0 L {...}` for the object `cls`/`ref`; throws
// CardError(MalformedResponse) if it is not one. For a PIN it also takes Gemalto's PIN
// information `A0 L {83 01 ref, 8C .., DF21 {tries left, ..}, ..}` (IasCard::readPinInformation):
// the tries left only; its 8C is Gemalto's own rule, not an IAS-ECC one, so contactAcl stays
// empty (the rule is not shown), and it has no try limit.
SdoAccess parseSdoAccess(apdu::ByteView answer, SdoClass cls, std::uint8_t ref);

// The SCB of an operation in a compact access rule (AMB + SCBs); AMB bit 0x80 carries no SCB.
Scb compactAclScb(apdu::ByteView acl, std::uint8_t ambBit);

}  // namespace ias::card
