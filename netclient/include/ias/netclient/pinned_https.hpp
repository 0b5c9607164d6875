// SPDX-License-Identifier: Apache-2.0
// One HTTPS request to the issuer's unblock service, the same policy for every caller (the
// module's verify / cryptogram / confirm and ias-unblock's holder API):
//   - https:// only, TLS 1.2 or newer whatever the OpenSSL configuration allows,
//   - no redirects, no signals (the module lives in multithreaded applications),
//   - the reply body bounded (kMaxReplyBytes) and kept in a wiping buffer,
//   - the service authenticated by a pinned public key (curl syntax sha256//<base64>) and/or
//     a CA file; with a pin and no CA file the pin alone authenticates (self-signed
//     certificate); with neither, any CA of the system trust store is accepted.
// Every request carries a random X-Request-Id (in errors, never a secret). Transport
// failures (DNS, connect, TLS, pin, timeout, oversized reply) throw TransportError.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ias/apdu/bytes.hpp"

namespace ias::netclient {

constexpr std::size_t kMaxReplyBytes = std::size_t{64} * 1024;

struct Settings {
    std::string pinnedPublicKey;  // curl syntax: sha256//<base64>[;sha256//...]; empty: none
    std::string caFile;           // empty: the system trust store (unless pinned-only)
    std::chrono::milliseconds connectTimeout{3000};
    std::chrono::milliseconds totalTimeout{5000};
};

struct Request {
    std::string url;                                  // https://...
    std::vector<std::string> headers;                 // "Name: value" lines, not secret
    const apdu::SecureBytes* secretHeader = nullptr;  // one header line holding a secret (bearer)
    std::optional<apdu::ByteView> postBody;           // POST when set, else GET
};

struct Reply {
    long status = 0;
    apdu::SecureBytes body;
    std::string requestId;
};

class TransportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Performs the request. Throws TransportError("<curl reason> (request <id>)").
Reply perform(const Settings& settings, const Request& request);

// True when nothing but the system trust store authenticates the service.
inline bool trustsAnyPublicCa(const Settings& s) noexcept { return s.pinnedPublicKey.empty() && s.caFile.empty(); }

}  // namespace ias::netclient
