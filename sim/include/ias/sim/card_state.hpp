// SPDX-License-Identifier: Apache-2.0
// The persistent memory of the simulated IAS-ECC card: file tree, PINs, keys, key sets and
// security environments. Everything a power cycle must not forget lives here; the volatile
// security state (verified PINs, MSE, SM session) lives in Card.
//
// Stored as one JSON document (secrets hex-encoded: the file *is* the card's memory, keep it
// mode 0600), written atomically: temp file, fsync, rename.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ias/apdu/bytes.hpp"

namespace ias::sim {

using apdu::Bytes;
using apdu::ByteView;
using apdu::SecureBytes;

// A node of the ISO 7816-4 file tree (MF, DF or transparent EF).
struct FileNode {
    std::uint16_t fid = 0;
    bool isDf = false;
    Bytes aid;               // DF name (DFs only, may be empty)
    std::uint8_t sfi = 0;    // short EF identifier, 0 = none
    Bytes acl;               // compact ACL: AMB followed by the SCBs (value of tag 8C)
    Bytes content;           // EF body
    std::vector<FileNode> children;
};

// CHV SDO (class 0x01): user PIN, PUK.
struct PinObject {
    std::uint8_t ref = 0;    // SDO reference without the local bit (1 = user PIN 0x81)
    SecureBytes value;
    std::uint8_t maxTries = 3;
    std::uint8_t triesLeft = 3;
    std::uint8_t minLength = 4;
    std::uint8_t maxLength = 8;
    Bytes acl;               // 8C value: AMB 72 + change, verify, reset, put
};

enum class KeyKind { Rsa, Ec };

// Private key SDO (class 0x10) with its public half (class 0x20, same reference).
struct KeyObject {
    std::uint8_t ref = 0;    // SDO reference; MSE uses ref | 0x80
    KeyKind kind = KeyKind::Rsa;
    SecureBytes privateDer;  // PKCS#8 DER
    Bytes acl;               // 8C value: AMB 7A + CDS, INT AUTH, DECIPHER, GENERATE, PUT
};

// Symmetric key set SDO (class 0x0A): 2-key 3DES ENC and MAC keys.
struct KeysetObject {
    std::uint8_t ref = 0;
    SecureBytes enc;
    SecureBytes mac;
    Bytes acl;               // 8C value: AMB 2B + EXT AUTH, MUTUAL AUTH, PUT, GET
};

// Security environment SDO (class 0x7B): the value of tag 7B (a list of CRTs).
struct SecurityEnvironmentObject {
    std::uint8_t ref = 0;
    Bytes crts;
};

struct CardState {
    static constexpr int kFormatVersion = 1;

    Bytes serial;            // value of tag 5A in EF.SN
    std::string label;
    std::string personality = "amos";  // name in personality.hpp: ATR, SELECT rules, FCP and SDO style
    FileNode mf;
    std::vector<PinObject> pins;
    std::vector<KeyObject> keys;
    std::vector<KeysetObject> keysets;
    std::vector<SecurityEnvironmentObject> environments;

    PinObject* findPin(std::uint8_t ref);
    KeyObject* findKey(std::uint8_t ref);
    KeysetObject* findKeyset(std::uint8_t ref);
    const SecurityEnvironmentObject* findEnvironment(std::uint8_t ref) const;

    std::string toJson() const;
    // Throws apdu::Error(Malformed) on a document that does not describe a card.
    static CardState fromJson(const std::string& text);

    // Atomic write: <path>.tmp, fsync, rename, fsync of the directory. Mode 0600.
    void save(const std::filesystem::path& path) const;
    static CardState load(const std::filesystem::path& path);
};

}  // namespace ias::sim
