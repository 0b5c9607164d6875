// SPDX-License-Identifier: Apache-2.0
#include "core/staff.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <cctype>
#include <charconv>
#include <memory>
#include <stdexcept>
#include <vector>

#include "ias/apdu/crypto.hpp"

namespace ias::service::staff {

namespace {

constexpr std::string_view kPasswordLabel = "ias-unblock-staff-password-v1";
constexpr std::string_view kTotpLabel = "ias-unblock-staff-totp-v1";
constexpr std::size_t kScryptBytes = 32;

apdu::SecureBytes scrypt(std::string_view password, apdu::ByteView salt, const ScryptCost& cost) {
    const std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr), EVP_KDF_free);
    if (!kdf) throw std::runtime_error("OpenSSL has no scrypt");
    const std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()), EVP_KDF_CTX_free);
    if (!ctx) throw std::runtime_error("scrypt: out of memory");
    const auto r32 = static_cast<std::uint32_t>(cost.r);
    const auto p32 = static_cast<std::uint32_t>(cost.p);
    const std::uint64_t n64 = std::uint64_t{1} << cost.log2N;
    // 128 * N * r bytes for the work area, plus 128 * r * p: allow twice that.
    std::uint64_t maxMem = (n64 * r32 + static_cast<std::uint64_t>(r32) * p32) * 256;
    // OSSL_PARAM_construct_* keep pointers to these (read by EVP_KDF_derive).
    std::uint64_t n = n64;
    std::uint32_t r = r32;
    std::uint32_t p = p32;
    // OSSL_PARAM takes non-const pointers; scrypt only reads them.
    std::array<OSSL_PARAM, 7> params{
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()), password.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()), salt.size()),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxMem),
        OSSL_PARAM_construct_end()};
    apdu::SecureBytes out(kScryptBytes);
    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params.data()) != 1) throw std::runtime_error("scrypt failed");
    return out;
}

std::string passwordMac(std::string_view password, apdu::ByteView salt, const ScryptCost& cost,
                        const KeyedMac& keyedMac) {
    const apdu::SecureBytes derived = scrypt(password, salt, cost);
    apdu::SecureBytes input = apdu::secureCopy(kPasswordLabel);
    input.push_back(0);
    apdu::append(input, salt);
    apdu::append(input, derived);
    return apdu::toHex(keyedMac(input));
}

// Splits "a$b$c..." into fields.
std::vector<std::string_view> fields(std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t start = 0;;) {
        const std::size_t end = s.find('$', start);
        out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

std::optional<int> intIn(std::string_view s, int lo, int hi) {
    int v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
    return v;
}

bool isHex(std::string_view s) {
    for (const char c : s)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return !s.empty() && s.size() % 2 == 0;
}

std::string uriEscape(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += ch;
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

}  // namespace

const char* toString(Role r) noexcept { return r == Role::Auditor ? "auditor" : "support"; }

std::optional<Role> roleFromString(std::string_view s) noexcept {
    if (s == "support") return Role::Support;
    if (s == "auditor") return Role::Auditor;
    return std::nullopt;
}

std::string hashPassword(std::string_view password, const KeyedMac& keyedMac, ScryptCost cost) {
    const apdu::SecureBytes salt = apdu::crypto::randomBytes(16);
    return std::string(kPasswordHashScheme) + std::to_string(cost.log2N) + "$" + std::to_string(cost.r) + "$" +
           std::to_string(cost.p) + "$" + apdu::toHex(salt) + "$" + passwordMac(password, salt, cost, keyedMac);
}

bool verifyPassword(std::string_view password, const std::string& stored, const KeyedMac& keyedMac) {
    if (stored.rfind(kPasswordHashScheme, 0) != 0) return false;
    const auto f = fields(std::string_view(stored).substr(kPasswordHashScheme.size()));
    if (f.size() != 5 || !isHex(f[3]) || !isHex(f[4])) return false;
    const auto log2N = intIn(f[0], 10, 20), r = intIn(f[1], 1, 32), p = intIn(f[2], 1, 16);
    if (!log2N || !r || !p) return false;
    const apdu::Bytes salt = apdu::fromHex(f[3]);
    const std::string mac = passwordMac(password, salt, {*log2N, *r, *p}, keyedMac);
    return mac.size() == f[4].size() && CRYPTO_memcmp(mac.data(), f[4].data(), mac.size()) == 0;
}

std::string hotp(apdu::ByteView key, std::uint64_t counter, int digits) {
    std::array<std::uint8_t, 8> msg{};
    for (int i = 7; i >= 0; --i, counter >>= 8) msg[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter & 0xFF);
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), msg.data(), msg.size(), mac.data(), &len) || len != 20)
        throw std::runtime_error("HMAC-SHA1 failed");
    const unsigned offset = mac[19] & 0x0F;
    std::uint32_t bin = (static_cast<std::uint32_t>(mac[offset] & 0x7F) << 24) |
                        (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                        (static_cast<std::uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
    OPENSSL_cleanse(mac.data(), mac.size());
    std::uint32_t mod = 1;
    for (int i = 0; i < digits; ++i) mod *= 10;
    std::string out = std::to_string(bin % mod);
    return std::string(static_cast<std::size_t>(digits) - out.size(), '0') + out;
}

std::optional<std::int64_t> matchTotp(apdu::ByteView key, std::string_view code, std::int64_t unixTime,
                                      std::int64_t lastUsedStep) {
    std::optional<std::int64_t> found;
    const std::int64_t now = totpStep(unixTime);
    for (std::int64_t step = now - 1; step <= now + 1; ++step) {
        if (step < 0) continue;
        const std::string expected = hotp(key, static_cast<std::uint64_t>(step));
        const bool same = code.size() == expected.size() &&
                          CRYPTO_memcmp(code.data(), expected.data(), expected.size()) == 0;
        if (same && step > lastUsedStep && !found) found = step;
    }
    return found;
}

apdu::SecureBytes totpSeed(const std::string& nonceHex, const KeyedMac& keyedMac) {
    apdu::SecureBytes input = apdu::secureCopy(kTotpLabel);
    input.push_back(0);
    apdu::append(input, apdu::fromHex(nonceHex));
    apdu::Bytes mac = keyedMac(input);
    apdu::SecureBytes seed(mac.begin(), mac.begin() + 20);
    apdu::wipeMemory(mac.data(), mac.size());
    return seed;
}

std::string base32(apdu::ByteView data) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const std::uint8_t b : data) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5) {
            out += kAlphabet[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
    return out;
}

std::string provisioningUri(const std::string& issuer, const std::string& name, apdu::ByteView seed) {
    return "otpauth://totp/" + uriEscape(issuer) + ":" + uriEscape(name) + "?secret=" + base32(seed) +
           "&issuer=" + uriEscape(issuer) + "&algorithm=SHA1&digits=6&period=30";
}

bool validName(std::string_view name) noexcept {
    if (name.empty() || name.size() > 64) return false;
    for (const char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return false;
    return true;
}

}  // namespace ias::service::staff
