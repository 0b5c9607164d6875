// SPDX-License-Identifier: Apache-2.0
// The client address of a request, for the per-client rate limit and the audit log. Behind a
// reverse proxy every connection comes from the proxy: X-Forwarded-For is honoured only on
// connections from a configured trusted proxy (`trusted_proxies`), and then the client is the
// rightmost address of that header that is not itself a trusted proxy (the entries left of
// it were written by the client and prove nothing).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ias::service {

struct IpNetwork {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4
    int prefix = 0;
};

// "10.0.0.1, 192.168.0.0/16, ::1, 2001:db8::/32" (commas and/or spaces); empty = none.
// Throws std::invalid_argument naming the bad entry.
std::vector<IpNetwork> parseNetworks(const std::string& list);

// The canonical text of an IPv4/IPv6 address (IPv4-mapped IPv6 as IPv4); nullopt when `text`
// is not an address.
std::optional<std::string> canonicalAddress(const std::string& text);

// peer: the connection's address; forwardedFor: the X-Forwarded-For header values in order.
std::string clientAddress(const std::string& peer, const std::vector<std::string>& forwardedFor,
                          const std::vector<IpNetwork>& trusted);

// The key of the per-client rate limit: an IPv4 address itself, an IPv6 address's /64 (one
// subscriber's usual allocation: per-address limits would not hold for IPv6).
std::string clientRateKey(const std::string& address);

}  // namespace ias::service
