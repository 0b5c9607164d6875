#include "core/tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

#include "ias/apdu/crypto.hpp"

namespace ias::service {

apdu::SecureBytes newToken() {
    const apdu::SecureBytes raw = apdu::crypto::randomBytes(32);
    static constexpr char kHex[] = "0123456789abcdef";
    apdu::SecureBytes out;
    out.reserve(64);
    for (std::uint8_t b : raw) {
        out.push_back(static_cast<std::uint8_t>(kHex[b >> 4]));
        out.push_back(static_cast<std::uint8_t>(kHex[b & 15]));
    }
    return out;
}

std::string tokenHash(apdu::ByteView token) { return apdu::toHex(apdu::crypto::sha256(token)); }

namespace {
apdu::Bytes pbkdf2(apdu::ByteView answer, apdu::ByteView salt, int iterations) {
    apdu::Bytes out(32);
    if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(answer.data()), static_cast<int>(answer.size()), salt.data(),
                          static_cast<int>(salt.size()), iterations, EVP_sha256(), static_cast<int>(out.size()),
                          out.data()) != 1)
        throw std::runtime_error("PBKDF2 failed");
    return out;
}
}  // namespace

std::string hashAnswer(apdu::ByteView answer, int iterations) {
    const apdu::SecureBytes salt = apdu::crypto::randomBytes(16);
    return "pbkdf2-sha256$" + std::to_string(iterations) + "$" + apdu::toHex(salt) + "$" +
           apdu::toHex(pbkdf2(answer, salt, iterations));
}

bool checkAnswer(apdu::ByteView answer, const std::string& stored) {
    const auto p1 = stored.find('$'), p2 = stored.find('$', p1 + 1), p3 = stored.find('$', p2 + 1);
    if (p1 == std::string::npos || p2 == std::string::npos || p3 == std::string::npos) return false;
    if (stored.substr(0, p1) != "pbkdf2-sha256") return false;
    try {
        const int iterations = std::stoi(stored.substr(p1 + 1, p2 - p1 - 1));
        const apdu::Bytes salt = apdu::fromHex(stored.substr(p2 + 1, p3 - p2 - 1));
        const apdu::Bytes expected = apdu::fromHex(stored.substr(p3 + 1));
        if (iterations < 1) return false;
        return apdu::constantTimeEqual(pbkdf2(answer, salt, iterations), expected);
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace ias::service
