// SPDX-License-Identifier: Apache-2.0
#include <csignal>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/cli.hpp"
#include "core/mail_queue.hpp"
#include "core/tokens.hpp"
#include "core/unblock_service.hpp"
#include "core/revocation.hpp"
#include "http/ops_routes.hpp"
#include "http/server.hpp"
#include "ias/apdu/crypto.hpp"
#include "store/sql.hpp"

namespace ias::service::cli {

std::string usage() {
    return "usage:\n"
           "  ias-unblockd serve    --config FILE [--set key=value]...\n"
           "  ias-unblockd hsm-init --config FILE --so-pin-file FILE [--master-key-file FILE]\n"
           "  ias-unblockd admin    --config FILE create-case --serial HEX --email ADDR [--language fr|en]\n"
           "                        --question TEXT [--question TEXT]...   (answers read from stdin, one per line)\n"
           "  ias-unblockd admin    --config FILE list-cases | close-case ID [--reason TEXT] | revocations | outbox\n"
           "  ias-unblockd staff    --config FILE add NAME [--role support|auditor] | passwd NAME   (password on stdin)\n"
           "                        | totp-reset NAME | disable NAME | list\n";
}

std::string takeOption(std::vector<std::string>& args, const std::string& name, const std::string& fallback) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == name) {
            std::string v = args[i + 1];
            args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i + 2));
            return v;
        }
    }
    return fallback;
}

ServiceConfig configFrom(std::vector<std::string>& args) {
    const std::string path = takeOption(args, "--config");
    ServiceConfig c = path.empty() ? ServiceConfig{} : loadConfig(path);
    for (std::string s; !(s = takeOption(args, "--set")).empty();) {
        const auto eq = s.find('=');
        if (eq == std::string::npos) throw std::runtime_error("--set expects key=value");
        applySetting(c, s.substr(0, eq), s.substr(eq + 1));
    }
    mailTransport(c);  // refuses an incomplete mail configuration now
    return c;
}

OfflineService::OfflineService(ServiceConfig& c, const std::string& hsmNeededFor) {
    if (c.auditLog != "-") auditFile_.open(c.auditLog, std::ios::app);
    audit_ = std::make_unique<AuditLog>(c.auditLog == "-" ? std::cerr : auditFile_, clock_);
    store_ = store::openStore(c.database, 1);
    if (!hsmNeededFor.empty()) {
        if (c.hsmPinFile.empty()) throw std::runtime_error(hsmNeededFor + ": hsm.pin_file is not set");
        c.hsm.userPin = readSecretFile(c.hsmPinFile);
        hsm_ = std::make_unique<hsm::Hsm>(c.hsm);
    }
    service_ = std::make_unique<UnblockService>(c, *store_, hsm_.get(), clock_, *audit_);
    ctx_ = {"cli-" + apdu::toHex(apdu::crypto::randomBytes(4)), "cli"};
}

namespace {
http::Server* g_server = nullptr;
void onSignal(int) {
    if (g_server) g_server->stop();
}
}  // namespace

int serve(std::vector<std::string> args) {
    ServiceConfig c = configFrom(args);
    if (!args.empty()) throw std::runtime_error("unexpected argument '" + args[0] + "'");
    if (c.hsmPinFile.empty()) throw std::runtime_error("hsm.pin_file is not set");
    c.hsm.userPin = readSecretFile(c.hsmPinFile);
    std::string adminHash;
    if (!c.adminTokenFile.empty()) adminHash = tokenHash(readAdminToken(c.adminTokenFile));
    std::ofstream auditFile;
    if (c.auditLog != "-") {
        auditFile.open(c.auditLog, std::ios::app);
        if (!auditFile) throw std::runtime_error("cannot open audit log " + c.auditLog);
    }
    SystemClock clock;
    AuditLog audit(c.auditLog == "-" ? std::cerr : auditFile, clock);
    auto store = store::openStore(c.database, static_cast<std::size_t>(c.databasePool), &std::cerr);
    hsm::Hsm hsm(c.hsm);
    UnblockService service(c, *store, &hsm, clock, audit);
    try {
        if (const std::size_t n = service.keyUnkeyedAnswerHashes())
            std::cerr << "ias-unblockd: " << n << " stored answer hashes keyed with the HSM" << std::endl;
    } catch (const store::StoreError& e) {
        if (!e.unavailable()) throw;  // else: each case's hashes are keyed at their first use
    }
    // The mail sender (SMTP transport): a thread sending the queue, stopped before the store
    // and the HSM go (declared after them).
    std::unique_ptr<mail::SmtpTransport> smtp;
    std::unique_ptr<mail::Sender> sender;
    if (mailTransport(c) == MailTransport::Smtp) {
        smtp = std::make_unique<mail::SmtpTransport>(c.mail);
        sender = std::make_unique<mail::Sender>(
            c, *store, [&hsm](apdu::ByteView d) { return hsm.hmacSha256(d); }, clock, audit, *smtp, std::cerr);
        sender->start(c.mail.pollInterval);
    }
    http::Server server(service, adminHash, std::cerr);
    const int port = server.bind();
    // One write (std::cerr is unit-buffered): whoever reads the log sees the whole line or none.
    std::cerr << ("ias-unblockd: listening on https://" + c.listen + ":" + std::to_string(port) + "\n") << std::flush;
    // Revocation delivery (off without revocation.url / revocation.command) and the operations
    // listener (off without metrics.listen): both stopped when serve() returns.
    const auto transport = revocationTransport(c.revocation);
    std::optional<RevocationWorker> revocations;
    if (transport) {
        revocations.emplace(*store, clock, c.revocation, *transport, std::cerr);
        revocations->start();
        std::cerr << "ias-unblockd: delivering revocation requests to "
                  << (c.revocation.url.empty() ? c.revocation.command.front() : c.revocation.url) << std::endl;
    }
    std::optional<http::OpsServer> ops;
    if (!c.metricsListen.empty()) {
        ops.emplace(*store, &hsm, clock, c);
        const int opsPort = ops->start();
        std::cerr << "ias-unblockd: metrics on http://" << c.metricsListen.substr(0, c.metricsListen.rfind(':')) << ":"
                  << opsPort << "/metrics" << std::endl;
    }
    g_server = &server;
    if (std::signal(SIGINT, onSignal) == SIG_ERR || std::signal(SIGTERM, onSignal) == SIG_ERR) {
        g_server = nullptr;
        throw std::runtime_error("cannot install the SIGINT/SIGTERM handlers");
    }
    server.serve();
    g_server = nullptr;
    if (sender) sender->stop();
    return 0;
}

int hsmInit(std::vector<std::string> args) {
    ServiceConfig c = configFrom(args);
    const std::string soPinFile = takeOption(args, "--so-pin-file");
    const std::string masterFile = takeOption(args, "--master-key-file");
    if (!args.empty()) throw std::runtime_error("unexpected argument '" + args[0] + "'");
    if (soPinFile.empty() || c.hsmPinFile.empty()) throw std::runtime_error("--so-pin-file and hsm.pin_file are required");
    hsm::ProvisionOptions o;
    o.hsm = c.hsm;
    o.hsm.userPin = readSecretFile(c.hsmPinFile);
    o.soPin = readSecretFile(soPinFile);
    if (!masterFile.empty()) {
        const apdu::SecureBytes hex = readSecretFile(masterFile);
        const apdu::Bytes key = apdu::fromHex(std::string_view(reinterpret_cast<const char*>(hex.data()), hex.size()));
        o.masterKey = apdu::secureCopy(key);
        apdu::wipeMemory(const_cast<std::uint8_t*>(key.data()), key.size());
    }
    for (const std::string& line : hsm::provisionToken(o)) std::cout << line << "\n";
    return 0;
}

}  // namespace ias::service::cli
