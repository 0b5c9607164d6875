// SPDX-License-Identifier: Apache-2.0
// Personalisation: builds a fresh card (file tree, PKCS#15 application, PINs, keys, key sets,
// security environments) as IAS-ECC-reference §2-§5 describe it.
#pragma once

#include <optional>
#include <string>

#include "ias/sim/card_state.hpp"
#include "ias/sim/personality.hpp"

namespace ias::sim {

// Documented test values (never use them for anything but tests and demos).
inline constexpr const char* kDefaultTestMasterKey = "00112233445566778899AABBCCDDEEFF";
inline constexpr const char* kDefaultSmEncKey = "404142434445464748494A4B4C4D4E4F";
inline constexpr const char* kDefaultSmMacKey = "505152535455565758595A5B5C5D5E5F";

struct PersonalisationOptions {
    Bytes serial;                        // value of 5A in EF.SN (SN.ICC = its last 8 bytes)
    std::string personality = kDefaultPersonality;  // see personality.hpp ("default" = "amos")
    std::string pin = "4711";
    std::string puk = "12345678";
    std::string signPin = "12345";       // second PIN of two-PIN personalities (cosmo-v8)
    Bytes masterKey;                     // 16 bytes; admin key set = deriveAdminKeys(master, SN8)
    Bytes smEncKey;                      // 16 bytes, static SM key set (mutual authentication)
    Bytes smMacKey;
    std::string label = "IAS-ECC SIM";
    std::string holder = "Test Holder";
    bool withEcKey = false;
    bool smRequired = false;             // user PIN VERIFY needs SM (SCB 43): for our own SM stage
    // Test CA (PEM). Both empty: a new test CA is generated (see caKeyPem/caCertPem of the result).
    std::string caKeyPem;
    std::string caCertPem;
    // Fixed keys (PEM) for deterministic cards (replay tests); empty = generate.
    std::string authKeyPem;
    std::string signKeyPem;
    std::string ecKeyPem;
};

struct PersonalisedCard {
    CardState state;
    std::string caKeyPem;
    std::string caCertPem;
};

PersonalisedCard personalise(const PersonalisationOptions& options);

// PKCS#15 and EF contents (pkcs15.cpp), exposed for tests.
// The argument-less forms describe the default (amos) personality.
namespace pkcs15 {
Bytes efAtr();
Bytes efDir();
Bytes efDir(const Personality& p);
Bytes efSn(ByteView serial);
// EF.SN of a card whose serial OpenSC reads with a nibble shift (Sagem): 5A 0A and the ISO 7812
// PAN 9 (MII) 250 (France) <the 16 hex digits of SN.ICC> F (card-iasecc.c:iasecc_get_serialnr).
Bytes efSnPan(ByteView sn8);
Bytes odf();
Bytes odf(const AppSpec& app);
Bytes tokenInfo(ByteView serialNumber, const std::string& manufacturer, const std::string& label, bool withEcKey);
Bytes tokenInfo(const Personality& p, ByteView serialNumber, const std::string& label, bool withEcKey);
Bytes aodf();
Bytes aodf(const Personality& p, std::size_t app);
Bytes prkdf(bool withEcKey);
Bytes prkdf(const Personality& p, std::size_t app, bool withEcKey);
Bytes cdf(bool withEcKey);
Bytes cdf(const Personality& p, std::size_t app, bool withEcKey);
}  // namespace pkcs15

// A new self-signed RSA-2048 test CA.
void generateTestCa(const std::string& commonName, std::string& keyPem, std::string& certPem);
// DER X.509 certificate for `subjectPublicKeyDer`, issued by the CA. Deterministic for the
// same inputs (fixed validity 2025-01-01 .. 2045-01-01, serial from `serial`).
Bytes issueCertificate(const std::string& caKeyPem, const std::string& caCertPem, ByteView subjectPublicKeyDer,
                       const std::string& commonName, ByteView serial, bool nonRepudiation);

}  // namespace ias::sim
