// SPDX-License-Identifier: Apache-2.0
#include "core/client_address.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

namespace ias::service {

namespace {

struct Address {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};
};

std::optional<Address> parseAddress(const std::string& text) {
    Address a;
    in_addr v4{};
    in6_addr v6{};
    if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        std::memcpy(a.bytes.data(), &v4, 4);
        return a;
    }
    if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return std::nullopt;
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(&v6, kMapped, 12) == 0) {  // ::ffff:a.b.c.d is the IPv4 client a.b.c.d
        std::memcpy(a.bytes.data(), reinterpret_cast<const std::uint8_t*>(&v6) + 12, 4);
        return a;
    }
    a.v6 = true;
    std::memcpy(a.bytes.data(), &v6, 16);
    return a;
}

std::string toText(const Address& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf);
    return buf;
}

bool inNetwork(const Address& a, const IpNetwork& n) {
    if (a.v6 != n.v6) return false;
    int bits = n.prefix;
    for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
        const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : 0xff << (8 - bits));
        if ((a.bytes[i] & mask) != (n.bytes[i] & mask)) return false;
    }
    return true;
}

bool trustedAddress(const Address& a, const std::vector<IpNetwork>& trusted) {
    for (const IpNetwork& n : trusted)
        if (inNetwork(a, n)) return true;
    return false;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

std::vector<IpNetwork> parseNetworks(const std::string& list) {
    std::vector<IpNetwork> out;
    std::size_t start = 0;
    while (start < list.size()) {
        std::size_t end = list.find_first_of(", \t", start);
        if (end == std::string::npos) end = list.size();
        const std::string entry = list.substr(start, end - start);
        start = end + 1;
        if (entry.empty()) continue;
        const auto slash = entry.find('/');
        const auto a = parseAddress(entry.substr(0, slash));
        if (!a) throw std::invalid_argument("'" + entry + "' is not an IP address or network");
        IpNetwork n{a->v6, a->bytes, a->v6 ? 128 : 32};
        if (slash != std::string::npos) {
            const std::string bits = entry.substr(slash + 1);
            const int max = n.prefix;
            if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos ||
                std::stoi(bits) > max)
                throw std::invalid_argument("'" + entry + "' has a bad prefix length");
            n.prefix = std::stoi(bits);
        }
        out.push_back(n);
    }
    return out;
}

std::optional<std::string> canonicalAddress(const std::string& text) {
    const auto a = parseAddress(text);
    if (!a) return std::nullopt;
    return toText(*a);
}

std::string clientAddress(const std::string& peer, const std::vector<std::string>& forwardedFor,
                          const std::vector<IpNetwork>& trusted) {
    const auto p = parseAddress(peer);
    if (!p) return peer;  // (not an IP connection: kept as given)
    if (!trustedAddress(*p, trusted)) return toText(*p);
    std::vector<std::string> hops;
    for (const std::string& header : forwardedFor) {
        std::size_t start = 0;
        for (;;) {
            const std::size_t comma = header.find(',', start);
            hops.push_back(trim(header.substr(start, comma == std::string::npos ? comma : comma - start)));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    Address client = *p;
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
        const auto a = parseAddress(*it);
        // Not an address where a trusted proxy should have written one: the proxy is the
        // last address known.
        if (!a) break;
        client = *a;
        if (!trustedAddress(*a, trusted)) break;
    }
    return toText(client);
}

std::string clientRateKey(const std::string& address) {
    auto a = parseAddress(address);
    if (!a || !a->v6) return address;
    std::fill(a->bytes.begin() + 8, a->bytes.end(), std::uint8_t{0});
    return toText(*a) + "/64";
}

}  // namespace ias::service
