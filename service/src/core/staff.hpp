// SPDX-License-Identifier: Apache-2.0
// Support staff credentials (docs/support.md): a password hashed with scrypt (memory-hard,
// OpenSSL 3's EVP_KDF "SCRYPT"; Argon2 is not in OpenSSL 3.0) whose output is then keyed with
// the HSM's HMAC key, plus a TOTP code (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps, one step
// either side, a used step never accepted again). The TOTP seed is not stored either: it is
// HMAC_HSM("ias-unblock-staff-totp-v1" 00 || nonce), the nonce in the database. A copy of the
// database alone gives neither a password guess to test offline nor a TOTP code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/tokens.hpp"
#include "ias/apdu/bytes.hpp"

namespace ias::service::staff {

enum class Role { Support, Auditor };
const char* toString(Role r) noexcept;
std::optional<Role> roleFromString(std::string_view s) noexcept;
// Only `support` opens, resends and closes cases; `auditor` reads.
inline bool maySupport(Role r) noexcept { return r == Role::Support; }

// scrypt cost: N = 2^log2N, r, p. The default uses 128 MiB and ~0.3 s per hash (OWASP's
// minimum for scrypt is N=2^17, r=8, p=1).
struct ScryptCost {
    int log2N = 17;
    int r = 8;
    int p = 1;
};
constexpr std::string_view kPasswordHashScheme = "hmac-scrypt$";
constexpr std::size_t kMinPasswordLength = 12;
constexpr std::size_t kMaxPasswordLength = 1024;

// "hmac-scrypt$<log2N>$<r>$<p>$<salt hex>$<mac hex>",
// mac = keyedMac("ias-unblock-staff-password-v1" 00 || salt || scrypt(password, salt)).
std::string hashPassword(std::string_view password, const KeyedMac& keyedMac, ScryptCost cost = {});
// Recomputes with the stored cost and salt; constant-time comparison. False for anything that
// is not a hash of this scheme with a cost in range (2^10..2^20, r 1..32, p 1..16).
bool verifyPassword(std::string_view password, const std::string& stored, const KeyedMac& keyedMac);

// --- TOTP (RFC 6238 over RFC 4226)
constexpr int kTotpStepSeconds = 30;
constexpr int kTotpDigits = 6;
// HOTP value of `counter` under `key` (HMAC-SHA1, dynamic truncation), `digits` wide.
std::string hotp(apdu::ByteView key, std::uint64_t counter, int digits = kTotpDigits);
inline std::int64_t totpStep(std::int64_t unixTime) { return unixTime / kTotpStepSeconds; }
// The step (now-1, now, now+1) whose code is `code` and that is later than `lastUsedStep`
// (a code is accepted once); nullopt otherwise. Every candidate is compared in constant time.
std::optional<std::int64_t> matchTotp(apdu::ByteView key, std::string_view code, std::int64_t unixTime,
                                      std::int64_t lastUsedStep);
// The TOTP seed of an account: 20 bytes of keyedMac("ias-unblock-staff-totp-v1" 00 || nonce).
apdu::SecureBytes totpSeed(const std::string& nonceHex, const KeyedMac& keyedMac);
std::string base32(apdu::ByteView data);
// otpauth://totp/<issuer>:<name>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
std::string provisioningUri(const std::string& issuer, const std::string& name, apdu::ByteView seed);

// Account names: 1..64 of [a-z0-9._-] (they appear in the audit log and on the pages).
bool validName(std::string_view name) noexcept;

}  // namespace ias::service::staff
