// SPDX-License-Identifier: Apache-2.0
// Symmetric primitives for secure messaging and role authentication (CWA 14890 / IAS-ECC):
// 2-key 3DES, ISO 9797-1 padding method 2 and the retail MAC (ISO 9797-1 MAC algorithm 3),
// plus OpenSC 0.20+'s non-standard variant of that MAC. OpenSSL 3 without the legacy
// provider: single DES under K1 is computed as 3DES-EDE under (K1, K1).
#pragma once

#include <cstddef>

#include "ias/apdu/bytes.hpp"

namespace ias::apdu::crypto {

constexpr std::size_t kDesBlock = 8;
constexpr std::size_t kDes2KeySize = 16;

// 3DES-EDE two-key CBC without padding; data must be a multiple of 8 bytes.
// iv empty = zero IV.
SecureBytes des3CbcEncrypt(ByteView key16, ByteView data, ByteView iv = {});
SecureBytes des3CbcDecrypt(ByteView key16, ByteView data, ByteView iv = {});
// 3DES-EDE two-key ECB without padding.
SecureBytes des3EcbEncrypt(ByteView key16, ByteView data);

// ISO 9797-1 padding method 2: 80 then 00 up to a multiple of 8 (always adds a byte).
SecureBytes padIso9797m2(ByteView data);
// Removes method-2 padding; throws Error(SecureMessaging) if absent or malformed.
SecureBytes unpadIso9797m2(ByteView padded);

enum class MacVariant {
    Standard,  // ISO 9797-1 MAC algorithm 3 (retail MAC)
    OpenSc,    // OpenSC >= 0.20: H(m-1)[0..3] || retail[4..7] (IAS-ECC-reference §8.4)
};

// Retail MAC over already padded data (multiple of 8) with a 2-key 3DES key; iv empty = zero.
Bytes retailMac(ByteView key16, ByteView paddedData, MacVariant variant = MacVariant::Standard,
                ByteView iv = {});

// CSPRNG bytes (RAND_bytes); throws Error(Crypto) on failure.
SecureBytes randomBytes(std::size_t n);

Bytes sha1(ByteView data);
Bytes sha256(ByteView data);

}  // namespace ias::apdu::crypto
