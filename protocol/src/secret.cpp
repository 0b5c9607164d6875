// SPDX-License-Identifier: Apache-2.0
#include "ias/protocol/secret.hpp"

#include <array>

#include "ias/apdu/crypto.hpp"
#include "ias/apdu/error.hpp"

namespace ias::protocol {

namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr unsigned kPrime = 1021;
constexpr unsigned kBadSymbol = 0xFF;

constexpr unsigned weight(std::size_t i) noexcept {
    return i < kSecretDataSymbols ? static_cast<unsigned>(i + 2) : (i == kSecretDataSymbols ? 32u : 1u);
}

unsigned symbolValue(unsigned char c) noexcept {
    if (c >= 'a' && c <= 'z') c = static_cast<unsigned char>(c - 'a' + 'A');
    if (c == 'I' || c == 'L') return 1;
    if (c == 'O') return 0;
    for (unsigned v = 0; v < 32; ++v) {
        if (kAlphabet[v] == static_cast<char>(c)) return v;
    }
    return kBadSymbol;
}

// 80 bits -> 16 values of 5 bits, most significant first.
void toSymbols(apdu::ByteView bytes, unsigned char out[kSecretDataSymbols]) noexcept {
    for (std::size_t i = 0; i < kSecretDataSymbols; ++i) {
        unsigned v = 0;
        for (std::size_t b = 0; b < 5; ++b) {
            const std::size_t bit = i * 5 + b;
            v = (v << 1) | ((bytes[bit / 8] >> (7 - bit % 8)) & 1u);
        }
        out[i] = static_cast<unsigned char>(v);
    }
}

apdu::SecureBytes fromSymbols(const unsigned char values[kSecretDataSymbols]) {
    apdu::SecureBytes out(kSecretBytes, 0);
    for (std::size_t bit = 0; bit < kSecretBytes * 8; ++bit) {
        const unsigned v = (values[bit / 5] >> (4 - bit % 5)) & 1u;
        out[bit / 8] = static_cast<std::uint8_t>(out[bit / 8] | (v << (7 - bit % 8)));
    }
    return out;
}

}  // namespace

const char* toString(SecretParseError e) noexcept {
    switch (e) {
        case SecretParseError::None: return "ok";
        case SecretParseError::BadLength: return "bad_length";
        case SecretParseError::BadSymbol: return "bad_symbol";
        case SecretParseError::BadCheck: return "bad_check";
    }
    return "unknown";
}

void secretCheckSymbols(const unsigned char values16[kSecretDataSymbols], unsigned char out2[2]) noexcept {
    unsigned sum = 0;
    for (std::size_t i = 0; i < kSecretDataSymbols; ++i) sum = (sum + weight(i) * values16[i]) % kPrime;
    const unsigned c = (kPrime - sum) % kPrime;
    out2[0] = static_cast<unsigned char>(c / 32);
    out2[1] = static_cast<unsigned char>(c % 32);
}

UnblockSecret UnblockSecret::generate() { return UnblockSecret(apdu::crypto::randomBytes(kSecretBytes)); }

UnblockSecret UnblockSecret::fromBytes(apdu::ByteView bytes10) {
    if (bytes10.size() != kSecretBytes) throw apdu::Error(apdu::ErrorKind::Malformed, "secret must be 10 bytes");
    return UnblockSecret(apdu::secureCopy(bytes10));
}

apdu::SecureBytes UnblockSecret::canonical() const {
    std::array<unsigned char, kSecretSymbols> v{};
    toSymbols(bytes_, v.data());
    secretCheckSymbols(v.data(), v.data() + kSecretDataSymbols);
    apdu::SecureBytes out;
    out.reserve(kSecretSymbols);
    for (unsigned char s : v) out.push_back(static_cast<std::uint8_t>(kAlphabet[s]));
    apdu::wipeMemory(v.data(), v.size());
    return out;
}

apdu::SecureBytes UnblockSecret::display() const {
    const apdu::SecureBytes c = canonical();
    apdu::SecureBytes out;
    out.reserve(kSecretDisplayLength);
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (i > 0 && i % 4 == 0) out.push_back('-');
        out.push_back(c[i]);
    }
    return out;
}

SecretParseResult parseSecret(apdu::ByteView typed) {
    std::array<unsigned char, kSecretSymbols> v{};
    std::size_t n = 0;
    bool badSymbol = false;
    for (std::uint8_t c : typed) {
        if (c == ' ' || c == '-' || c == '\t') continue;
        const unsigned value = symbolValue(c);
        if (value == kBadSymbol) badSymbol = true;
        if (n < kSecretSymbols) v[n] = static_cast<unsigned char>(value & 31u);
        ++n;
    }
    SecretParseResult r;
    if (n != kSecretSymbols) {
        r.error = SecretParseError::BadLength;
    } else if (badSymbol) {
        r.error = SecretParseError::BadSymbol;
    } else {
        unsigned sum = 0;
        for (std::size_t i = 0; i < kSecretSymbols; ++i) sum = (sum + weight(i) * v[i]) % kPrime;
        if (sum != 0 || 32u * v[16] + v[17] >= kPrime) {
            r.error = SecretParseError::BadCheck;
        } else {
            r.secret = UnblockSecret::fromBytes(fromSymbols(v.data()));
        }
    }
    apdu::wipeMemory(v.data(), v.size());
    return r;
}

SecretParseResult parseSecret(std::string_view typed) {
    return parseSecret(apdu::ByteView(reinterpret_cast<const std::uint8_t*>(typed.data()), typed.size()));
}

}  // namespace ias::protocol
