// SPDX-License-Identifier: Apache-2.0
// The module's client of ias-unblockd's module API (UNBLOCK.md "Module-facing API"):
// verify, cryptogram, confirm over HTTPS (netclient: the one pinned client shared with
// ias-unblock), the service authenticated by a pinned public key (and/or a CA file). No PKCS#11 types; failures are UnblockError.
// Secrets and tickets travel in wiping buffers and are never logged.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "ias/apdu/bytes.hpp"
#include "ias/netclient/pinned_https.hpp"

namespace ias::unblock {

using apdu::Bytes;
using apdu::ByteView;
using apdu::SecureBytes;

enum class UnblockErrorKind {
    WrongSecret,   // 401 wrong_secret (triesLeft set)
    Refused,       // 410 used_up / expired / blocked, 404 no_case: the secret cannot be used
    BadTicket,     // 401 bad_ticket / 410 limit: the SO login is over
    Unreachable,   // network, TLS, pinning, timeout, 5xx, 429: nothing was spent
    Protocol,      // the service answered something we do not understand
};

class UnblockError : public std::runtime_error {
public:
    UnblockError(UnblockErrorKind kind, const std::string& what, std::optional<int> triesLeft = std::nullopt)
        : std::runtime_error(what), kind_(kind), triesLeft_(triesLeft) {}
    UnblockErrorKind kind() const noexcept { return kind_; }
    std::optional<int> triesLeft() const noexcept { return triesLeft_; }

private:
    UnblockErrorKind kind_;
    std::optional<int> triesLeft_;
};

struct ServiceSettings {
    std::string baseUrl;          // https://host:port
    std::string pinnedPublicKey;  // curl syntax: sha256//<base64>[;sha256//...]
    std::string caFile;
    std::chrono::milliseconds connectTimeout{3000};
    std::chrono::milliseconds totalTimeout{5000};

    netclient::Settings transport() const { return {pinnedPublicKey, caFile, connectTimeout, totalTimeout}; }
};

struct Ticket {
    SecureBytes value;
    std::chrono::steady_clock::time_point expiresAt;
};

// The three calls. An interface so that the token logic is testable without a network.
class UnblockServiceClient {
public:
    virtual ~UnblockServiceClient() = default;
    virtual Ticket verify(const std::string& serialHex, ByteView canonicalSecret) = 0;
    virtual Bytes cryptogram(ByteView ticket, ByteView challenge) = 0;
    virtual void confirm(ByteView ticket, bool done, int triesAfter) = 0;
};

class HttpsUnblockServiceClient final : public UnblockServiceClient {
public:
    explicit HttpsUnblockServiceClient(ServiceSettings settings);
    Ticket verify(const std::string& serialHex, ByteView canonicalSecret) override;
    Bytes cryptogram(ByteView ticket, ByteView challenge) override;
    void confirm(ByteView ticket, bool done, int triesAfter) override;

private:
    using Reply = netclient::Reply;
    Reply post(const char* path, ByteView json);
    [[noreturn]] void refuse(const Reply& reply, const char* call);

    ServiceSettings settings_;
};

}  // namespace ias::unblock
