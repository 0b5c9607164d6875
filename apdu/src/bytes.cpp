// SPDX-License-Identifier: Apache-2.0
#include "ias/apdu/bytes.hpp"

#include <openssl/crypto.h>

#include "ias/apdu/error.hpp"

namespace ias::apdu {

void wipeMemory(void* p, std::size_t n) noexcept {
    if (p != nullptr && n != 0) OPENSSL_cleanse(p, n);
}

bool constantTimeEqual(ByteView a, ByteView b) noexcept {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string toHex(ByteView v, char separator) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(v.size() * (separator ? 3 : 2));
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (separator && i != 0) out.push_back(separator);
        out.push_back(kDigits[v[i] >> 4]);
        out.push_back(kDigits[v[i] & 0x0F]);
    }
    return out;
}

namespace {
int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

Bytes fromHex(std::string_view hex) {
    Bytes out;
    int high = -1;
    for (char c : hex) {
        if (c == ' ' || c == ':' || c == '-' || c == '\n' || c == '\t') continue;
        int v = hexValue(c);
        if (v < 0) throw Error(ErrorKind::Malformed, "invalid hex digit");
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(high << 4 | v));
            high = -1;
        }
    }
    if (high >= 0) throw Error(ErrorKind::Malformed, "odd number of hex digits");
    return out;
}

const char* toString(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::Malformed: return "malformed data";
        case ErrorKind::NoService: return "PC/SC service unavailable";
        case ErrorKind::NoReader: return "reader not available";
        case ErrorKind::NoCard: return "no card in reader";
        case ErrorKind::CardRemoved: return "card removed";
        case ErrorKind::CardReset: return "card reset";
        case ErrorKind::Transport: return "transmission failure";
        case ErrorKind::SecureMessaging: return "secure messaging failure";
        case ErrorKind::Crypto: return "cryptographic failure";
        case ErrorKind::Internal: return "internal error";
    }
    return "unknown error";
}

}  // namespace ias::apdu
