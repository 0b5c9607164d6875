// SPDX-License-Identifier: Apache-2.0
// The shape of the simulated card: file identifiers, SDO references, security environments
// and algorithm references (IAS-ECC-reference §2-§5). Shared by personalisation, the card
// and the tests.
#pragma once

#include <array>
#include <cstdint>

namespace ias::sim::layout {

// "ECC Generic PKI" application.
inline constexpr std::array<std::uint8_t, 14> kAidGenericPki = {
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xD2, 0x50, 0x47, 0x65, 0x6E, 0x65, 0x72, 0x69, 0x63};

inline constexpr std::uint16_t kFidMf = 0x3F00;
inline constexpr std::uint16_t kFidEfAtr = 0x2F01;
inline constexpr std::uint16_t kFidEfDir = 0x2F00;
inline constexpr std::uint16_t kFidEfSn = 0xD003;
inline constexpr std::uint8_t kSfiEfSn = 0x1C;
inline constexpr std::uint16_t kFidApplication = 0x5000;
inline constexpr std::uint16_t kFidOdf = 0x5031;
inline constexpr std::uint16_t kFidTokenInfo = 0x5032;
inline constexpr std::uint16_t kFidAodf = 0x7001;
inline constexpr std::uint16_t kFidPrkdf = 0x7002;
inline constexpr std::uint16_t kFidCdf = 0x7005;
inline constexpr std::uint16_t kFidCertAuth = 0xB001;
inline constexpr std::uint16_t kFidCertSign = 0xB002;
inline constexpr std::uint16_t kFidCertEc = 0xB003;

// SDO references (without the local bit 0x80 that VERIFY/MSE put on them).
inline constexpr std::uint8_t kLocal = 0x80;
inline constexpr std::uint8_t kUserPin = 0x01;   // VERIFY 00 20 00 81
inline constexpr std::uint8_t kPuk = 0x02;       // VERIFY 00 20 00 82
inline constexpr std::uint8_t kAuthKey = 0x01;   // RSA-2048 sign + decrypt, MSE 84 01 81
inline constexpr std::uint8_t kSignKey = 0x02;   // RSA-2048 non-repudiation, MSE 84 01 82
inline constexpr std::uint8_t kEcKey = 0x03;     // EC P-256 (our module only), MSE 84 01 83
inline constexpr std::uint8_t kAdminKeyset = 0x01;  // external authentication (unblock)
inline constexpr std::uint8_t kSmKeyset = 0x02;     // mutual authentication / SM

// Security environments.
inline constexpr std::uint8_t kSeUserPin = 1;    // AT {83 81, 95 08}
inline constexpr std::uint8_t kSeUnblock = 2;    // AT {83 82, 95 08} + AT {80 1C, 83 81, 95 80}
inline constexpr std::uint8_t kSeSecureMessaging = 3;  // AT {80 0C, 83 02, 95 C0}

// SCB bytes (IAS-ECC-reference §4.5).
inline constexpr std::uint8_t kScbAlways = 0x00;
inline constexpr std::uint8_t kScbNever = 0xFF;
inline constexpr std::uint8_t kScbUserAuth = 0x10;
inline constexpr std::uint8_t kScbExternalAuth = 0x20;
inline constexpr std::uint8_t kScbSecureMessaging = 0x40;
inline constexpr std::uint8_t kScbAllConditions = 0x80;

// CRT tags and usage qualifiers.
inline constexpr std::uint8_t kCrtAt = 0xA4;
inline constexpr std::uint8_t kCrtHt = 0xAA;
inline constexpr std::uint8_t kCrtDst = 0xB6;
inline constexpr std::uint8_t kCrtCt = 0xB8;
inline constexpr std::uint8_t kUqbUserPassword = 0x08;
inline constexpr std::uint8_t kUqbExternalAuth = 0x80;
inline constexpr std::uint8_t kUqbMutualAuth = 0xC0;

// Algorithm references (TokenInfo algRef values; §5.3).
inline constexpr std::uint8_t kAlgRsaPkcs1 = 0x02;        // INTERNAL AUTHENTICATE / DST, input = DigestInfo
inline constexpr std::uint8_t kAlgRsaPkcs1Sha1 = 0x12;
inline constexpr std::uint8_t kAlgRsaPkcs1Sha256 = 0x42;
inline constexpr std::uint8_t kAlgRsaPkcs1Decipher = 0x1A;
inline constexpr std::uint8_t kAlgRsaPkcs1DecipherAlt = 0x0A;
inline constexpr std::uint8_t kAlgSha1 = 0x10;
inline constexpr std::uint8_t kAlgSha256 = 0x40;
inline constexpr std::uint8_t kAlgRsaPss = 0x05;          // our choice: RSASSA-PSS over the given hash (PSO CDS)
inline constexpr std::uint8_t kAlgEcdsa = 0x04;           // our choice: raw ECDSA over the given hash
inline constexpr std::uint8_t kAlgEcdsaSha256 = 0x44;     // our choice: ECDSA with on-card SHA-256 (DST)
inline constexpr std::uint8_t kAlgEcdsaDst = 0x54;        // IDEMIA v8: ECDSA over the given hash in a DST
                                                          // (realcards/esteid2018_idemia MSE 80 01 54)
inline constexpr std::uint8_t kAlgMutualAuthSha1 = 0x0C;
inline constexpr std::uint8_t kAlgMutualAuthSha256 = 0x8C;
inline constexpr std::uint8_t kAlgExternalAuth = 0x1C;

}  // namespace ias::sim::layout
