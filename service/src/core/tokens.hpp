// Random bearer tokens (tickets, holder links, holder sessions, CSRF tokens) and their
// storage form, and the slow salted hash of secret-question answers.
#pragma once

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

// "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>" of an answer (exact bytes: case-sensitive).
std::string hashAnswer(apdu::ByteView answer, int iterations);
// Recomputes with the stored salt and iterations; constant-time comparison.
bool checkAnswer(apdu::ByteView answer, const std::string& stored);

}  // namespace ias::service
