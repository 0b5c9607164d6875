// SPDX-License-Identifier: Apache-2.0
// PKCS#15 (ISO 7816-15) directory files of the IAS-ECC Generic PKI application, parsed
// from DER with the strict TLV parser: ODF, TokenInfo, AODF, PrKDF, CDF (IAS-ECC-reference
// §3). Unknown optional fields are skipped; malformed mandatory ones throw CardError
// (MalformedResponse) so a corrupt card never crashes the module.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ias/apdu/bytes.hpp"

namespace ias::card::pkcs15 {

using apdu::Bytes;
using apdu::ByteView;

// ODF: where the directory files are (2-byte FIDs relative to the application).
struct Odf {
    std::optional<std::uint16_t> prkdf, pukdf, cdf, aodf, dodf;
};

struct AlgorithmInfo {
    unsigned reference = 0;
    unsigned long mechanism = 0;  // PKCS#11 mechanism number
    unsigned operations = 0;      // supportedOperations bits (bit n = 1 << n)
    std::uint8_t algRef = 0;      // card algorithm byte used in MSE SET
    static constexpr unsigned kComputeSignature = 1u << 1;
    static constexpr unsigned kDecipher = 1u << 5;
    static constexpr unsigned kHash = 1u << 6;
};

struct TokenInfo {
    Bytes serialNumber;
    std::string manufacturer;
    std::string label;
    std::vector<AlgorithmInfo> algorithms;
};

struct Pin {
    std::string label;
    Bytes authId;          // this PIN's authId
    Bytes protectedBy;     // CommonObjectAttributes.authId (the PUK that unblocks it)
    unsigned flags = 0;    // PinFlags bits (bit n = 1 << n)
    unsigned minLength = 0;
    unsigned storedLength = 0;
    unsigned maxLength = 0;
    std::uint8_t reference = 0;
    std::uint8_t padChar = 0xFF;
    static constexpr unsigned kLocal = 1u << 1;
    static constexpr unsigned kNeedsPadding = 1u << 5;
    static constexpr unsigned kUnblockingPin = 1u << 6;
    static constexpr unsigned kSoPin = 1u << 7;
    bool isUnblockingPin() const { return (flags & kUnblockingPin) != 0; }
    bool isSoPin() const { return (flags & kSoPin) != 0; }
    bool needsPadding() const { return (flags & kNeedsPadding) != 0; }
};

enum class KeyType { Rsa, Ec };

struct PrivateKey {
    std::string label;
    Bytes id;
    Bytes authId;
    KeyType type = KeyType::Rsa;
    unsigned usage = 0;         // KeyUsageFlags bits
    unsigned accessFlags = 0;
    std::uint8_t keyReference = 0;
    unsigned modulusBits = 0;   // RSA modulus length or EC field size
    bool userConsent = false;   // CommonObjectAttributes.userConsent / PIN per signature
    std::vector<unsigned> algReferences;
    static constexpr unsigned kUsageEncrypt = 1u << 0;
    static constexpr unsigned kUsageDecrypt = 1u << 1;
    static constexpr unsigned kUsageSign = 1u << 2;
    static constexpr unsigned kUsageSignRecover = 1u << 3;
    static constexpr unsigned kUsageUnwrap = 1u << 5;
    static constexpr unsigned kUsageNonRepudiation = 1u << 9;
};

struct Certificate {
    std::string label;
    Bytes id;
    bool authority = false;
    std::uint16_t fid = 0;  // EF holding the DER certificate
};

Odf parseOdf(ByteView der);
// EF.DIR (ISO 7816-4 application templates 61 { 4F AID, 50 label, ... }, padding allowed):
// the AIDs in the card's order.
std::vector<Bytes> parseEfDir(ByteView content);
TokenInfo parseTokenInfo(ByteView der);
std::vector<Pin> parseAodf(ByteView der);
std::vector<PrivateKey> parsePrkdf(ByteView der);
std::vector<Certificate> parseCdf(ByteView der);

// BIT STRING value (first byte = unused bits) as flags: ASN.1 bit n -> 1 << n.
unsigned bitStringFlags(ByteView value);

}  // namespace ias::card::pkcs15
