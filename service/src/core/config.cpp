// SPDX-License-Identifier: Apache-2.0
#include "core/config.hpp"

#include "core/mail.hpp"

#include "ias/protocol/admin_key.hpp"

#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <string_view>

namespace ias::service {

namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

int toInt(const std::string& v) {
    std::size_t used = 0;
    const int n = std::stoi(v, &used);
    if (used != v.size()) throw std::invalid_argument("not an integer");
    return n;
}

// An integer in [lo, hi]: a negative or huge count (sessions, threads, pool) would otherwise
// wrap or exhaust the machine at start-up instead of being refused with the line.
int toIntIn(const std::string& v, int lo, int hi) {
    const int n = toInt(v);
    if (n < lo || n > hi) throw std::out_of_range("must be " + std::to_string(lo) + ".." + std::to_string(hi));
    return n;
}

// revocation.command: words separated by spaces or tabs, no quoting (no shell runs it).
std::vector<std::string> splitWords(const std::string& v) {
    std::vector<std::string> out;
    std::size_t p = 0;
    while ((p = v.find_first_not_of(" \t", p)) != std::string::npos) {
        const std::size_t e = v.find_first_of(" \t", p);
        out.push_back(v.substr(p, e == std::string::npos ? std::string::npos : e - p));
        p = e;
    }
    return out;
}

using Setter = std::function<void(ServiceConfig&, const std::string&)>;

const std::map<std::string, Setter>& setters() {
    static const std::map<std::string, Setter> m = {
        {"listen", [](auto& c, auto& v) { c.listen = v; }},
        {"port", [](auto& c, auto& v) { c.port = toIntIn(v, 0, 65535); }},  // 0: a free port, printed at start
        {"tls.cert", [](auto& c, auto& v) { c.tlsCert = v; }},
        {"tls.key", [](auto& c, auto& v) { c.tlsKey = v; }},
        {"public_url", [](auto& c, auto& v) { c.publicUrl = v; }},
        {"database", [](auto& c, auto& v) { c.database = v; }},
        {"database.pool", [](auto& c, auto& v) { c.databasePool = toIntIn(v, 1, 256); }},
        {"hsm.module", [](auto& c, auto& v) { c.hsm.modulePath = v; }},
        {"hsm.token", [](auto& c, auto& v) { c.hsm.tokenLabel = v; }},
        {"hsm.pin_file", [](auto& c, auto& v) { c.hsmPinFile = v; }},
        {"hsm.sessions", [](auto& c, auto& v) { c.hsm.sessions = static_cast<std::size_t>(toIntIn(v, 1, 256)); }},
        // Names the card key diversification so that an issuer matches its personalisation;
        // one scheme is implemented, anything else is refused at start-up.
        {"hsm.admin_key_diversification",
         [](auto&, auto& v) {
             if (v != protocol::kAdminKeyDiversification)
                 throw std::out_of_range(std::string("must be ") + protocol::kAdminKeyDiversification);
         }},
        {"hsm.reinit_after", [](auto& c, auto& v) { c.hsm.reinitAfterCryptograms = static_cast<std::size_t>(toIntIn(v, 0, 1000000)); }},
        {"admin.token_file", [](auto& c, auto& v) { c.adminTokenFile = v; }},
        {"audit_log", [](auto& c, auto& v) { c.auditLog = v; }},
        {"outbox_dir", [](auto& c, auto& v) { c.outboxDir = v; }},
        {"answers.iterations", [](auto& c, auto& v) { c.answerIterations = toIntIn(v, 1000, 100000000); }},
        {"rate.serial_per_minute", [](auto& c, auto& v) { c.serialPerMinute = std::stod(v); }},
        {"rate.serial_burst", [](auto& c, auto& v) { c.serialBurst = std::stod(v); }},
        {"rate.client_per_minute", [](auto& c, auto& v) { c.clientPerMinute = std::stod(v); }},
        {"rate.client_burst", [](auto& c, auto& v) { c.clientBurst = std::stod(v); }},
        {"rate.admin_per_minute", [](auto& c, auto& v) { c.adminPerMinute = std::stod(v); }},
        {"rate.admin_burst", [](auto& c, auto& v) { c.adminBurst = std::stod(v); }},
        {"trusted_proxies", [](auto& c, auto& v) { c.trustedProxies = parseNetworks(v); }},
        {"threads", [](auto& c, auto& v) { c.threads = toIntIn(v, 1, 4096); }},
        {"http.max_body", [](auto& c, auto& v) { c.httpMaxBody = toIntIn(v, 1024, 16 * 1024 * 1024); }},
        {"http.max_head", [](auto& c, auto& v) { c.httpMaxHead = toIntIn(v, 4096, 1024 * 1024); }},
        {"http.read_timeout", [](auto& c, auto& v) { c.httpReadTimeout = toIntIn(v, 1, 300); }},
        {"http.write_timeout", [](auto& c, auto& v) { c.httpWriteTimeout = toIntIn(v, 1, 300); }},
        {"http.request_timeout", [](auto& c, auto& v) { c.httpRequestTimeout = toIntIn(v, 1, 3600); }},
        {"support.web", [](auto& c, auto& v) { c.support.web = v; }},
        {"support.email", [](auto& c, auto& v) { c.support.email = v; }},
        {"support.phone", [](auto& c, auto& v) { c.support.phone = v; }},
        {"support.hours", [](auto& c, auto& v) { c.support.hours = v; }},
        {"brand.issuer", [](auto& c, auto& v) { c.brand.issuerName = v; }},
        {"brand.accent_color", [](auto& c, auto& v) { c.brand.accentColor = v; }},
        {"brand.revocation_url", [](auto& c, auto& v) { c.brand.revocationUrl = v; }},
        {"mail.transport",
         [](auto& c, auto& v) {
             if (v == "smtp") c.mail.transport = MailTransport::Smtp;
             else if (v == "dir") c.mail.transport = MailTransport::Dir;
             else if (v == "none") c.mail.transport = MailTransport::None;
             else throw std::out_of_range("must be smtp, dir or none");
         }},
        {"mail.smtp_url",
         [](auto& c, auto& v) {
             if (!v.starts_with("smtp://") && !v.starts_with("smtps://"))
                 throw std::out_of_range("must be smtp://host[:port] or smtps://host[:port]");
             c.mail.smtpUrl = v;
         }},
        {"mail.starttls",
         [](auto& c, auto& v) {
             if (v == "required") c.mail.startTls = StartTls::Required;
             else if (v == "opportunistic") c.mail.startTls = StartTls::Opportunistic;
             else if (v == "off") c.mail.startTls = StartTls::Off;
             else throw std::out_of_range("must be required, opportunistic or off");
         }},
        {"mail.from",
         [](auto& c, auto& v) {
             if (!mail::validAddress(v)) throw std::out_of_range("must be a plain address user@domain");
             c.mail.from = v;
         }},
        {"mail.user", [](auto& c, auto& v) { c.mail.user = v; }},
        {"mail.password_file", [](auto& c, auto& v) { c.mail.passwordFile = v; }},
        {"mail.ca_file", [](auto& c, auto& v) { c.mail.caFile = v; }},
        {"mail.timeout", [](auto& c, auto& v) { c.mail.timeout = toIntIn(v, 1, 600); }},
        {"mail.give_up_after", [](auto& c, auto& v) { c.mail.giveUpAfter = toIntIn(v, 60, 30 * 24 * 3600); }},
        {"mail.retry_min", [](auto& c, auto& v) { c.mail.retryMin = toIntIn(v, 1, 24 * 3600); }},
        {"mail.poll_interval", [](auto& c, auto& v) { c.mail.pollInterval = toIntIn(v, 1, 300); }},
        {"mail.retry_max", [](auto& c, auto& v) { c.mail.retryMax = toIntIn(v, 1, 24 * 3600); }},
        {"revocation.url",
         [](auto& c, auto& v) {
             if (!v.empty() && !v.starts_with("https://")) throw std::out_of_range("must be https://...");
             c.revocation.url = v;
         }},
        {"revocation.client_cert", [](auto& c, auto& v) { c.revocation.clientCert = v; }},
        {"revocation.client_key", [](auto& c, auto& v) { c.revocation.clientKey = v; }},
        {"revocation.ca_file", [](auto& c, auto& v) { c.revocation.caFile = v; }},
        {"revocation.command", [](auto& c, auto& v) { c.revocation.command = splitWords(v); }},
        {"revocation.timeout", [](auto& c, auto& v) { c.revocation.timeout = toIntIn(v, 1, 600); }},
        {"revocation.retry_initial", [](auto& c, auto& v) { c.revocation.retryInitial = toIntIn(v, 1, 86400); }},
        {"revocation.retry_max", [](auto& c, auto& v) { c.revocation.retryMax = toIntIn(v, 1, 7 * 86400); }},
        {"revocation.poll", [](auto& c, auto& v) { c.revocation.poll = toIntIn(v, 1, 3600); }},
        {"revocation.alert_after", [](auto& c, auto& v) { c.revocation.alertAfter = toIntIn(v, 1, 30 * 86400); }},
        {"metrics.listen", [](auto& c, auto& v) { c.metricsListen = v; }},
        {"console.session_idle", [](auto& c, auto& v) { c.console.sessionIdle = toIntIn(v, 60, 24 * 3600); }},
        {"console.session_max", [](auto& c, auto& v) { c.console.sessionMax = toIntIn(v, 300, 7 * 24 * 3600); }},
        {"console.lockout_failures", [](auto& c, auto& v) { c.console.lockoutFailures = toIntIn(v, 1, 100); }},
        {"console.lockout_seconds", [](auto& c, auto& v) { c.console.lockoutSeconds = toIntIn(v, 1, 7 * 24 * 3600); }},
        {"console.scrypt_log2n", [](auto& c, auto& v) { c.console.scryptLog2N = toIntIn(v, 10, 20); }},
        {"rate.console_client_per_minute", [](auto& c, auto& v) { c.console.clientPerMinute = std::stod(v); }},
        {"rate.console_client_burst", [](auto& c, auto& v) { c.console.clientBurst = std::stod(v); }},
        {"rate.console_account_per_minute", [](auto& c, auto& v) { c.console.accountPerMinute = std::stod(v); }},
        {"rate.console_account_burst", [](auto& c, auto& v) { c.console.accountBurst = std::stod(v); }},
    };
    return m;
}

}  // namespace

void applySetting(ServiceConfig& c, const std::string& key, const std::string& value) {
    const auto it = setters().find(key);
    if (it == setters().end()) throw std::runtime_error("unknown setting '" + key + "'");
    try {
        it->second(c, value);
    } catch (const std::invalid_argument&) {
        throw std::runtime_error("bad value for '" + key + "'");
    } catch (const std::out_of_range& e) {
        throw std::runtime_error("value out of range for '" + key + "'" +
                                 (std::string_view(e.what()).starts_with("must be") ? std::string(" (") + e.what() + ")" : ""));
    }
}

MailTransport mailTransport(const ServiceConfig& c) {
    const MailTransport t = c.mail.transport.value_or(c.outboxDir.empty() ? MailTransport::None : MailTransport::Dir);
    if (t == MailTransport::Smtp && (c.mail.smtpUrl.empty() || c.mail.from.empty()))
        throw std::runtime_error("mail.transport = smtp needs mail.smtp_url and mail.from");
    if (t == MailTransport::Dir && c.outboxDir.empty()) throw std::runtime_error("mail.transport = dir needs outbox_dir");
    if (c.mail.retryMin > c.mail.retryMax) throw std::runtime_error("mail.retry_min is above mail.retry_max");
    return t;
}

ServiceConfig loadConfig(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    ServiceConfig c;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        const auto eq = t.find('=');
        if (eq == std::string::npos) throw std::runtime_error(path + ":" + std::to_string(n) + ": expected key = value");
        try {
            applySetting(c, trim(t.substr(0, eq)), trim(t.substr(eq + 1)));
        } catch (const std::runtime_error& e) {
            throw std::runtime_error(path + ":" + std::to_string(n) + ": " + e.what());
        }
    }
    return c;
}

apdu::SecureBytes readSecretFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read secret file " + path);
    apdu::SecureBytes out;
    char ch = 0;
    while (in.get(ch) && ch != '\n' && ch != '\r') out.push_back(static_cast<std::uint8_t>(ch));
    return out;
}

apdu::SecureBytes readAdminToken(const std::string& path) {
    apdu::SecureBytes token = readSecretFile(path);
    bool printable = true;
    for (const std::uint8_t c : token) printable = printable && c > 0x20 && c < 0x7F;
    if (token.size() < kMinAdminTokenLength || !printable)
        throw std::runtime_error("admin.token_file " + path + ": the token must be at least " +
                                 std::to_string(kMinAdminTokenLength) +
                                 " printable characters without spaces (e.g. openssl rand -hex 32)");
    return token;
}

}  // namespace ias::service
