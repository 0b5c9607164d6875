// SPDX-License-Identifier: Apache-2.0
// OpenSSL's low-level SHA contexts are the only way to resume from a chaining state; they
// are deprecated in OpenSSL 3 but still shipped, so the warnings are suppressed here only.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "partial_hash.hpp"

#include <openssl/sha.h>

#include "ias/apdu/crypto.hpp"

namespace ias::sim::detail {

namespace {

std::uint32_t word(apdu::ByteView b, std::size_t i) {
    return static_cast<std::uint32_t>(b[4 * i]) << 24 | static_cast<std::uint32_t>(b[4 * i + 1]) << 16 |
           static_cast<std::uint32_t>(b[4 * i + 2]) << 8 | static_cast<std::uint32_t>(b[4 * i + 3]);
}

}  // namespace

std::size_t hashSize(HashKind kind) { return kind == HashKind::Sha1 ? 20 : 32; }

apdu::Bytes hashMessage(HashKind kind, apdu::ByteView message) {
    return kind == HashKind::Sha1 ? apdu::crypto::sha1(message) : apdu::crypto::sha256(message);
}

std::optional<apdu::Bytes> finishHash(HashKind kind, apdu::ByteView stateAndBitCount, apdu::ByteView remainder) {
    const std::size_t n = hashSize(kind);
    if (stateAndBitCount.size() != n + 8 || remainder.size() >= 64) return std::nullopt;
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < 8; ++i) bits = bits << 8 | stateAndBitCount[n + i];
    if (bits % 512 != 0) return std::nullopt;
    const auto lo = static_cast<SHA_LONG>(bits & 0xFFFFFFFFu);
    const auto hi = static_cast<SHA_LONG>(bits >> 32);
    apdu::Bytes out(n);
    if (kind == HashKind::Sha1) {
        SHA_CTX ctx;
        SHA1_Init(&ctx);
        ctx.h0 = word(stateAndBitCount, 0);
        ctx.h1 = word(stateAndBitCount, 1);
        ctx.h2 = word(stateAndBitCount, 2);
        ctx.h3 = word(stateAndBitCount, 3);
        ctx.h4 = word(stateAndBitCount, 4);
        ctx.Nl = lo;
        ctx.Nh = hi;
        SHA1_Update(&ctx, remainder.data(), remainder.size());
        SHA1_Final(out.data(), &ctx);
    } else {
        SHA256_CTX ctx;
        SHA256_Init(&ctx);
        for (std::size_t i = 0; i < 8; ++i) ctx.h[i] = word(stateAndBitCount, i);
        ctx.Nl = lo;
        ctx.Nh = hi;
        SHA256_Update(&ctx, remainder.data(), remainder.size());
        SHA256_Final(out.data(), &ctx);
    }
    return out;
}

}  // namespace ias::sim::detail
