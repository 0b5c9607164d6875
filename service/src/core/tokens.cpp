// SPDX-License-Identifier: Apache-2.0
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

apdu::Bytes answerMac(apdu::ByteView salt, apdu::ByteView pbkdf2Output, const KeyedMac& keyedMac) {
    static constexpr std::string_view kLabel = "ias-unblock-answer-v1";
    apdu::SecureBytes input(kLabel.begin(), kLabel.end());
    input.push_back(0);
    apdu::append(input, salt);
    apdu::append(input, pbkdf2Output);
    return keyedMac(input);
}

struct ParsedHash {
    int iterations = 0;
    apdu::Bytes salt;
    apdu::Bytes value;
};

// "<scheme>$<iterations>$<salt hex>$<value hex>" (scheme ends with its '$').
std::optional<ParsedHash> parseHash(const std::string& stored, std::string_view scheme) {
    if (stored.compare(0, scheme.size(), scheme) != 0) return std::nullopt;
    const std::size_t p1 = scheme.size() - 1, p2 = stored.find('$', p1 + 1), p3 = stored.find('$', p2 + 1);
    if (p2 == std::string::npos || p3 == std::string::npos) return std::nullopt;
    try {
        ParsedHash h{std::stoi(stored.substr(p1 + 1, p2 - p1 - 1)), apdu::fromHex(stored.substr(p2 + 1, p3 - p2 - 1)),
                     apdu::fromHex(stored.substr(p3 + 1))};
        if (h.iterations < 1 || h.salt.empty() || h.value.size() != 32) return std::nullopt;
        return h;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::string format(std::string_view scheme, int iterations, apdu::ByteView salt, apdu::ByteView value) {
    return std::string(scheme) + std::to_string(iterations) + "$" + apdu::toHex(salt) + "$" + apdu::toHex(value);
}

}  // namespace

std::string hashAnswer(apdu::ByteView answer, int iterations, const KeyedMac& keyedMac) {
    const apdu::SecureBytes salt = apdu::crypto::randomBytes(16);
    apdu::Bytes derived = pbkdf2(answer, salt, iterations);
    const apdu::Bytes mac = answerMac(salt, derived, keyedMac);
    apdu::wipeMemory(derived.data(), derived.size());
    return format(kAnswerHashScheme, iterations, salt, mac);
}

bool checkAnswer(apdu::ByteView answer, const std::string& stored, const KeyedMac& keyedMac) {
    const auto h = parseHash(stored, kAnswerHashScheme);
    if (!h) return false;
    apdu::Bytes derived = pbkdf2(answer, h->salt, h->iterations);
    const apdu::Bytes mac = answerMac(h->salt, derived, keyedMac);
    apdu::wipeMemory(derived.data(), derived.size());
    return apdu::constantTimeEqual(mac, h->value);
}

std::optional<std::string> keyUnkeyedAnswerHash(const std::string& stored, const KeyedMac& keyedMac) {
    const auto h = parseHash(stored, kUnkeyedAnswerHashScheme);
    if (!h) return std::nullopt;
    return format(kAnswerHashScheme, h->iterations, h->salt, answerMac(h->salt, h->value, keyedMac));
}

}  // namespace ias::service
