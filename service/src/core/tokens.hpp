// SPDX-License-Identifier: Apache-2.0
// Random bearer tokens (tickets, holder links, holder sessions, CSRF tokens) and their
// storage form, and the slow salted keyed hash of secret-question answers.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ias/apdu/bytes.hpp"

namespace ias::service {

// 32 random bytes as 64 lower-case hex characters, in a wiping buffer.
apdu::SecureBytes newToken();
// Hex SHA-256 of a token: what the database stores and looks up.
std::string tokenHash(apdu::ByteView token);
inline std::string tokenHash(std::string_view token) {
    return tokenHash(apdu::ByteView(reinterpret_cast<const std::uint8_t*>(token.data()), token.size()));
}
inline std::string_view asText(const apdu::SecureBytes& b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// HMAC-SHA256 under a key that never leaves the HSM (hsm::Hsm::hmacSha256): what makes a
// stored answer hash useless without the HSM.
using KeyedMac = std::function<apdu::Bytes(apdu::ByteView)>;

// "hmac-pbkdf2-sha256$<iterations>$<salt hex>$<mac hex>" of an answer (exact bytes: case-
// sensitive), mac = keyedMac("ias-unblock-answer-v1" 00 || salt || PBKDF2-HMAC-SHA256(answer,
// salt, iterations)). The label keeps these inputs apart from the secret MACs
// ("ias-unblock-secret-v1" 00 ..., same key).
constexpr std::string_view kAnswerHashScheme = "hmac-pbkdf2-sha256$";
std::string hashAnswer(apdu::ByteView answer, int iterations, const KeyedMac& keyedMac);
// Recomputes with the stored salt and iterations; constant-time comparison. Only the keyed
// form: an old unkeyed hash is never accepted (upgrade it first).
bool checkAnswer(apdu::ByteView answer, const std::string& stored, const KeyedMac& keyedMac);
// The old unkeyed form, "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>" (before issue #18),
// turned into the keyed one without the answer (the MAC is over the stored PBKDF2 output);
// nullopt when `stored` is not of the old form.
constexpr std::string_view kUnkeyedAnswerHashScheme = "pbkdf2-sha256$";
std::optional<std::string> keyUnkeyedAnswerHash(const std::string& stored, const KeyedMac& keyedMac);

}  // namespace ias::service
