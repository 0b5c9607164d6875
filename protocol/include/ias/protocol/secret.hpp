// SPDX-License-Identifier: Apache-2.0
// The one-time unblock secret (UNBLOCK.md "One-time unblock secret"), shared by the module,
// the service and the tools. One definition of the encoding and of its check symbols.
//
// Value: 80 random bits (10 bytes) from the CSPRNG.
// Data symbols: the 80 bits, most significant first, as 16 Crockford base32 symbols
//   alphabet 0123456789ABCDEFGHJKMNPQRSTVWXYZ (value = index).
// Check symbols (2 symbols, 10 bits): with data symbol values v0..v15 and the weights
//   w_i = i + 2 (i = 0..15), w_16 = 32, w_17 = 1, and the prime p = 1021,
//   c = (-(sum_{i<16} w_i * v_i)) mod p  (0 <= c < p), written as v16 = c / 32, v17 = c % 32,
//   so that sum_{i<18} w_i * v_i == 0 (mod p) and 32 * v16 + v17 < p.
// Why it detects what it must: a single substituted symbol changes the sum by w * d with
// 0 < |d| <= 31 and 0 < w < p, p prime, so never by a multiple of p; swapping the adjacent
// symbols i, i+1 changes it by (w_i - w_{i+1}) * (v_i - v_{i+1}), non-zero mod p because
// adjacent weights differ (…, 16, 17, 32, 1) and are below p. Both hold for the check symbols
// too. Random errors pass with probability ~1/1021.
// Display: XXXX-XXXX-XXXX-XXXX-CC (upper case).
// Parsing: case-insensitive; spaces and hyphens ignored; I and L read as 1, O as 0.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "ias/apdu/bytes.hpp"

namespace ias::protocol {

constexpr std::size_t kSecretBytes = 10;       // 80 bits
constexpr std::size_t kSecretDataSymbols = 16;
constexpr std::size_t kSecretSymbols = 18;     // with the 2 check symbols
constexpr std::size_t kSecretDisplayLength = 22;  // with the 4 hyphens

enum class SecretParseError {
    None,
    BadLength,  // not 18 symbols once spaces/hyphens are removed (module: CKR_PIN_LEN_RANGE)
    BadSymbol,  // a character outside Crockford base32 (module: CKR_PIN_INVALID)
    BadCheck,   // the check symbols do not match (module: CKR_PIN_INVALID)
};

const char* toString(SecretParseError e) noexcept;

// A one-time secret. Holds its 10 bytes in a wiping buffer; never format it into logs.
class UnblockSecret {
public:
    // 80 bits from the CSPRNG.
    static UnblockSecret generate();
    // From exactly 10 bytes (tests, stored values); throws apdu::Error(Malformed) otherwise.
    static UnblockSecret fromBytes(apdu::ByteView bytes10);

    const apdu::SecureBytes& bytes() const noexcept { return bytes_; }
    // The 18 symbols without separators ("canonical form", what the module sends).
    apdu::SecureBytes canonical() const;
    // XXXX-XXXX-XXXX-XXXX-CC
    apdu::SecureBytes display() const;

private:
    explicit UnblockSecret(apdu::SecureBytes b) : bytes_(std::move(b)) {}
    apdu::SecureBytes bytes_;
};

struct SecretParseResult {
    SecretParseError error = SecretParseError::None;
    std::optional<UnblockSecret> secret;
    bool ok() const noexcept { return error == SecretParseError::None; }
};

// Parses what a human typed (see the header comment for the accepted forms).
SecretParseResult parseSecret(std::string_view typed);
SecretParseResult parseSecret(apdu::ByteView typed);

// The two check symbols for 16 data symbol values (0..31); exposed for tests.
void secretCheckSymbols(const unsigned char values16[kSecretDataSymbols], unsigned char out2[2]) noexcept;

}  // namespace ias::protocol
