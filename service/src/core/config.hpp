// SPDX-License-Identifier: Apache-2.0
// ias-unblockd configuration: a "key = value" file (# comments), overridden by flags.
// Secrets (HSM PIN, admin token) are never in the file itself, only the path of a file
// holding them (hsm.pin_file, admin.token_file, readable by the service user only).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/client_address.hpp"
#include "hsm/hsm.hpp"

namespace ias::service {

struct SupportContacts {
    std::string web = "https://support.example.org";
    std::string email = "support@example.org";
    std::string phone = "08 92 23 02 52";
    std::string hours = "lun.–jeu. 9:00–12:30 et 13:30–18:00, ven. jusqu'à 17:00";
};

struct Branding {
    std::string issuerName = "Autorité de certification";
    std::string accentColor = "#1d4e89";
    std::string revocationUrl = "https://support.example.org/revocation";
};

// How the holder's e-mail leaves (core/mail.hpp). Smtp: through the durable queue in the
// database, sent by `serve`'s mail sender. Dir: written to outbox_dir at creation (development
// and tests only). None: not sent (the link is only in the answer to the case creation).
enum class MailTransport { None, Smtp, Dir };
enum class StartTls { Required, Opportunistic, Off };

struct MailConfig {
    // Unset: dir when outbox_dir is set, else none (finalised by finishConfig).
    std::optional<MailTransport> transport;
    std::string smtpUrl;  // smtp://host[:port] or smtps://host[:port]
    StartTls startTls = StartTls::Required;
    std::string from;          // addr-spec of the sender
    std::string user;          // SMTP AUTH user (optional)
    std::string passwordFile;  // its password, first line of this file
    std::string caFile;        // CA bundle for the server's certificate (default: the system's)
    int timeout = 30;          // seconds per delivery attempt
    int giveUpAfter = 2 * 24 * 3600;  // seconds after the case creation: failed for good
    int retryMin = 30;         // first retry after this many seconds, doubling up to retryMax
    int retryMax = 3600;
    int pollInterval = 5;  // seconds between two looks at the queue (each instance)
};

// Delivery of revocation requests to the CA (core/revocation.hpp). Off when neither `url` nor
// `command` is set (requests then wait in the database; the metrics show them).
struct RevocationConfig {
    std::string url;         // https:// endpoint receiving a JSON POST
    std::string clientCert;  // PEM client certificate for `url` (with clientKey)
    std::string clientKey;   // PEM private key, readable by the service user only
    std::string caFile;      // CA bundle verifying `url` (empty: the system's)
    std::vector<std::string> command;  // argv (no shell): the document on stdin, exit 0 = delivered
    int timeout = 30;        // seconds, one attempt
    int retryInitial = 30;   // seconds before the 2nd attempt, doubling up to retryMax
    int retryMax = 3600;
    int poll = 5;            // seconds between looks at the queue
    int alertAfter = 3600;   // a request pending longer raises ias_unblockd_revocation_alert
    bool enabled() const noexcept { return !url.empty() || !command.empty(); }
};

// The support console (/support/, docs/support.md).
struct ConsoleConfig {
    int sessionIdle = 15 * 60;       // seconds without a page request that end a session
    int sessionMax = 8 * 3600;       // seconds from sign-in that end a session
    int lockoutFailures = 5;         // consecutive failed sign-ins that lock an account
    int lockoutSeconds = 15 * 60;    // for this long
    double clientPerMinute = 10, clientBurst = 10;   // sign-in attempts per client address
    double accountPerMinute = 5, accountBurst = 5;   // sign-in attempts per account name
    int scryptLog2N = 17;            // cost of new password hashes: N = 2^this (128 MiB at 17)
};

struct ServiceConfig {
    std::string listen = "127.0.0.1";
    int port = 8443;
    std::string tlsCert;
    std::string tlsKey;
    std::string publicUrl = "https://127.0.0.1:8443";
    std::string database = "sqlite:/var/lib/ias-unblockd/ias-unblockd.db";  // or "postgres:<conninfo>"
    int databasePool = 8;
    hsm::HsmConfig hsm;
    std::string hsmPinFile;
    std::string adminTokenFile;
    std::string auditLog = "-";  // "-" = standard error
    std::string outboxDir;       // also write each e-mail as a file there (optional)
    int answerIterations = 200000;
    double serialPerMinute = 10, serialBurst = 10;
    double clientPerMinute = 600, clientBurst = 600;
    // Admin API requests per client address (every request, token right or wrong).
    double adminPerMinute = 600, adminBurst = 600;
    // Reverse proxies whose X-Forwarded-For names the client (core/client_address.hpp).
    std::vector<IpNetwork> trustedProxies;
    // cpp-httplib serves each keep-alive connection on one pool thread until it closes: with
    // more client connections than threads the others wait (seconds: bench/service/RESULTS.md).
    int threads = 128;
    // HTTP limits (http/connection_limits.hpp: cpp-httplib 0.11 bounds neither the request
    // line and headers nor the time a request may take to arrive).
    int httpMaxBody = 64 * 1024;   // request body, bytes
    int httpMaxHead = 32 * 1024;   // request line + headers, bytes
    int httpReadTimeout = 10;      // seconds, one read (also the TLS handshake)
    int httpWriteTimeout = 10;     // seconds, one write
    int httpRequestTimeout = 30;   // seconds from a request's first byte (or the handshake's) to its last
    SupportContacts support;
    Branding brand;
    MailConfig mail;
    RevocationConfig revocation;
    // address:port of a second, plain-HTTP listener with /metrics, /healthz and /readyz
    // (http/ops_routes.hpp); empty: none. They are never on the public listener.
    std::string metricsListen;
    ConsoleConfig console;
};

// Throws std::runtime_error("<file>:<line>: ...") on unknown keys or bad values.
ServiceConfig loadConfig(const std::string& path);
// The mail transport once every setting is known: checks that smtp has mail.smtp_url and
// mail.from (std::runtime_error otherwise). loadConfig calls it; call it again after --set.
MailTransport mailTransport(const ServiceConfig& c);
// Applies one "key=value" setting (from the file or a --set flag).
void applySetting(ServiceConfig& c, const std::string& key, const std::string& value);
// First line of a file, without the newline, in a wiping buffer (PINs, tokens).
apdu::SecureBytes readSecretFile(const std::string& path);
// The admin bearer token read from admin.token_file: at least kMinAdminTokenLength printable
// ASCII characters, else std::runtime_error naming the file (never the token). The admin API
// answers from any client the service listens to: a short token could be guessed.
constexpr std::size_t kMinAdminTokenLength = 20;
apdu::SecureBytes readAdminToken(const std::string& path);

}  // namespace ias::service
