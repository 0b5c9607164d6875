// SPDX-License-Identifier: Apache-2.0
// Personalities: the observable differences between real IAS-ECC card families (ATR, EF.ATR,
// file layout, SELECT rules, FCP style, SDO formats, PIN blocks, key references, ACLs and
// PKCS#15 quirks), as data. The handlers read these fields; they never test a card name.
// The values and the evidence for each are in personality.cpp and sim/README.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ias/apdu/bytes.hpp"

namespace ias::sim {

using apdu::Bytes;

// How SELECT with P2=04 answers: the full FCP (62 {80 82 83 [84] [88] 8A A1{8C [9C]}}) or the
// minimal one of IDEMIA Cosmo v8 (62 04 80 02 <size>; DFs: 62 {82 38, 83 fid, [84 name]}).
enum class FcpStyle { Full, Minimal };

// Order of the items in the DOCP of a PIN SDO (GET DATA ... A0): A1{ACL} 9A 9B (our default)
// or 9A 9B A1{ACL} (Cosmo, CPx traces).
enum class PinDocpStyle { AclFirst, TriesFirst };

// A SELECT the card refuses: P1, P2 and the status word it answers.
struct SelectRefusal {
    std::uint8_t p1 = 0;
    std::uint8_t p2 = 0;
    std::uint16_t sw = 0x6A86;
};

// Gemalto's IAS PIN information (GET DATA 00 CB 00 FF, data A0 03 83 01 <P2 reference>),
// answered A0 {83 01 ref, 8C acl, DF21 04 {tries left, tail}, DF27 02 FF FF, DF28 01 stored
// length, DF2F 01 01} (realcards/uruguay_eid_gemalto_ias).
struct ProprietaryPinInfo {
    std::uint8_t p2 = 0;  // the PIN as VERIFY names it (83)
    Bytes acl;          // value of 8C as the card shows it (Gemalto IAS rule, not an IAS-ECC one)
    Bytes counterTail;  // the 3 bytes of DF21 after the tries left
};

// A CHV object (user PIN, signature PIN, PUK) and how its PIN block travels.
struct PinSpec {
    std::uint8_t ref = 0;          // SDO reference (bits 1-5)
    bool local = true;             // VERIFY P2 = ref | 80 (local) or ref (global)
    std::uint8_t minLength = 4;
    std::uint8_t maxLength = 8;
    std::uint8_t storedLength = 0; // 0 = the PIN travels unpadded; else padded to this length
    std::uint8_t padChar = 0xFF;
    std::uint8_t maxTries = 3;
    Bytes acl;                     // compact ACL (8C value)
    bool contactlessAcl = false;   // the DOCP also carries 9C (same value)
    std::uint8_t pinType = 0x02;   // PKCS#15 PinType: 01 ascii-numeric, 02 utf8
    std::string label;
};

// A private key: reference, ACL, usage and where its PKCS#15 objects live.
struct KeySpec {
    std::uint8_t ref = 0;          // SDO reference (bits 1-5); MSE 84 carries ref | 80 when local
    bool local = true;
    Bytes acl;                     // compact ACL (7A ...)
    bool nonRepudiation = false;   // PrKDF usage sign + nonRepudiation (else sign/decrypt/auth)
    std::size_t app = 0;           // index in Personality::apps
    std::size_t pin = 0;           // 0 = user PIN (authId 01), 1 = signature PIN
    std::uint8_t id = 0;           // PKCS#15 ID (one byte)
    std::uint16_t certFid = 0;
    std::string label;
    std::string curve;             // "" = an RSA 2048 key; else an EC key on this curve ("P-384")
    Bytes algorithms;              // the card algorithm bytes its MSE accepts (empty: any of its kind);
                                   // the PrKDF names the matching TokenInfo entries (algReference)
};

// One PKCS#15 application DF and the FIDs of its files.
struct AppSpec {
    Bytes aid;
    std::uint16_t fid = 0;
    std::string label;
    std::uint16_t odf = 0x5031;
    std::uint16_t tokenInfo = 0x5032;
    std::uint16_t aodf = 0x7001;   // 0 = no AODF (an application without a PIN of its own)
    std::uint16_t prkdf = 0x7002;
    std::uint16_t cdf = 0x7005;
    Bytes ddo;                     // EF.DIR entry's discretionary data (73), empty = none
};

// TokenInfo supportedAlgorithms entry.
struct AlgorithmSpec {
    std::uint8_t reference = 0;
    std::uint32_t mechanism = 0;   // PKCS#11 mechanism
    Bytes operations;              // PKCS#15 operations BIT STRING content ({06 40} = compute signature)
    std::uint8_t algRef = 0;       // the card's algorithm reference
};

struct Personality {
    std::string name;
    std::string family;            // one line: the real card family it imitates
    Bytes atr;
    Bytes efAtr;                   // content of 3F00/2F01, byte-exact
    std::vector<Bytes> mfNames;    // DF names that select the MF (IAS-ECC root)
    std::vector<AppSpec> apps;     // PKCS#15 applications (DFs under the MF)
    std::vector<std::uint16_t> otherDfs;  // further (empty) DFs under the MF
    bool efSnPan = false;          // EF.SN holds an ISO 7812 PAN 9 250 <serial digits> F: the serial
                                   // as OpenSC reads a Sagem card (nibble shift); else 5A <serial>

    // SELECT.
    std::vector<SelectRefusal> refusedSelects;
    bool p1SelectsEfAsChild = false;  // P1=01 also selects EFs (OpenSC sends it to Oberthur)
    bool mfAnswersWithoutFcp = false; // SELECT of the MF answers 90 00 with no FCP whatever P2
    bool mfFidSelectableAnywhere = false;  // P1=01/02 with 3F00 selects the MF from any DF
    FcpStyle fcp = FcpStyle::Full;
    bool contactlessFcpAcl = false;   // FCP A1 also carries 9C (CPx)
    bool answersThrough61xx = false;  // every answer with data goes through 61xx + GET RESPONSE
    // EF.DIR's short EF identifier (ISO 7816-4 §5.3.1.1 reserves SFI 1E at MF level for it):
    // READ BINARY 00 B0 9E reads it with the MF current, its FCP carries 88 F0; 0 = it has none
    // (the read answers 6A82).
    std::uint8_t efDirSfi = 0;

    // SDOs.
    bool seReadable = true;           // GET DATA of SE SDOs; false = 6A88 (Cosmo)
    bool seReadableOnlyInMf = false;  // 6A88 unless the MF is the current DF (CPx)
    PinDocpStyle pinDocp = PinDocpStyle::AclFirst;
    bool chvSdoReadable = true;       // GET DATA of a CHV SDO (BF 81 ref); false = 6A88 (Gemalto: its own PIN information)
    std::vector<ProprietaryPinInfo> pinInformation;  // PINs the card describes the Gemalto way

    // Security objects.
    PinSpec userPin;
    std::optional<PinSpec> signPin;
    std::optional<PinSpec> puk;
    std::vector<KeySpec> keys;        // [0] authentication key, [1] signature key, then others
    // Keys whose contactless access rule (9C of their DOCP) the card shows; others show 8C only.
    std::vector<std::pair<std::uint8_t, Bytes>> contactlessKeyAcls;  // key reference -> 9C
    std::vector<std::pair<std::uint8_t, Bytes>> securityEnvironments;  // SE number -> CRTs (value of 7B)

    // PKCS#15.
    std::string manufacturer;
    std::vector<AlgorithmSpec> algorithms;
    bool nullAsEmptySequence = false; // TokenInfo algorithm parameters: 30 00 instead of 05 00 (Gemalto)
    bool laxBitStrings = false;       // PrKDF BIT STRINGs not in DER form: explicit 0 unused bits (CPx)
};

// The personality called `name` (aliases: "default" = "amos"); nullptr when unknown.
const Personality* findPersonality(std::string_view name);
// Every personality, in the order of sim/README.md.
const std::vector<Personality>& personalities();

inline constexpr const char* kDefaultPersonality = "amos";

}  // namespace ias::sim
