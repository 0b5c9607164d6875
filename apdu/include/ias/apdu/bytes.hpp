// SPDX-License-Identifier: Apache-2.0
// Byte buffers shared by every layer: plain bytes, and a wiping buffer for secrets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ias::apdu {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Zeroes memory in a way the compiler may not elide (OPENSSL_cleanse).
void wipeMemory(void* p, std::size_t n) noexcept;

// Allocator that wipes every block before it is freed, including the old block on growth.
template <class T>
struct WipingAllocator {
    using value_type = T;
    WipingAllocator() noexcept = default;
    template <class U>
    // cppcheck-suppress noExplicitConstructor ; rebinding conversion, implicit as std::allocator's (Allocator requirements)
    WipingAllocator(const WipingAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept {
        wipeMemory(p, n * sizeof(T));
        std::allocator<T>{}.deallocate(p, n);
    }
    template <class U>
    bool operator==(const WipingAllocator<U>&) const noexcept { return true; }
};

// Holds PINs, unblock secrets, tickets, keys, decrypted data. Never format it into text.
using SecureBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;

inline SecureBytes secureCopy(ByteView v) { return SecureBytes(v.begin(), v.end()); }
inline SecureBytes secureCopy(std::string_view s) { return SecureBytes(s.begin(), s.end()); }
inline Bytes plainCopy(ByteView v) { return Bytes(v.begin(), v.end()); }

// Constant-time comparison (CRYPTO_memcmp); different lengths compare unequal.
bool constantTimeEqual(ByteView a, ByteView b) noexcept;

// "0A1B" (upper case). With a separator: "0A 1B".
std::string toHex(ByteView v, char separator = '\0');
// Accepts upper/lower hex, ignores spaces, ':' and '-'; throws Error(Malformed) otherwise.
Bytes fromHex(std::string_view hex);

inline void append(Bytes& out, ByteView v) { out.insert(out.end(), v.begin(), v.end()); }
inline void append(SecureBytes& out, ByteView v) { out.insert(out.end(), v.begin(), v.end()); }

}  // namespace ias::apdu
