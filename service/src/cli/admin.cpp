// SPDX-License-Identifier: Apache-2.0
// `ias-unblockd admin ...`: support actions straight on the database (create-case also uses
// the HSM: the answer hashes are keyed there).
#include <fstream>
#include <iostream>

#include "cli/cli.hpp"
#include "core/tokens.hpp"
#include "core/unblock_service.hpp"
#include "ias/apdu/crypto.hpp"

namespace ias::service::cli {

int admin(std::vector<std::string> args) {
    ServiceConfig c = configFrom(args);
    if (args.empty()) throw std::runtime_error("admin: missing action\n" + usage());
    const std::string action = args[0];
    args.erase(args.begin());
    // create-case keys the answer hashes with the HMAC key of the HSM.
    OfflineService offline(c, action == "create-case" ? "create-case (the answers are keyed in the HSM)" : "");
    UnblockService& service = offline.service();
    const RequestContext& ctx = offline.ctx();

    if (action == "create-case") {
        const std::string serial = takeOption(args, "--serial");
        const std::string email = takeOption(args, "--email");
        const std::string language = takeOption(args, "--language", "fr");
        std::vector<QuestionAnswer> qa;
        for (std::string q; !(q = takeOption(args, "--question")).empty();) qa.push_back({q, {}});
        if (!args.empty()) throw std::runtime_error("unexpected argument '" + args[0] + "'");
        for (auto& x : qa) {
            std::cerr << "answer to \"" << x.question << "\": " << std::flush;
            std::string line;
            if (!std::getline(std::cin, line)) throw std::runtime_error("missing answer on standard input");
            x.answer.assign(line.begin(), line.end());
            apdu::wipeMemory(line.data(), line.size());
        }
        const auto created = service.createCase(serial, email, language, qa, ctx);
        if (created.mailQueued) {
            std::cout << "case " << created.id << " created; mail to " << email
                      << " queued for SMTP delivery by ias-unblockd serve\n";
        } else if (created.mailSent) {
            std::cout << "case " << created.id << " created; mail to " << email << " handed over in " << c.outboxDir << "\n";
        } else {
            // The only copy of the link: it is not kept anywhere.
            std::cerr << "case " << created.id << " created; the mail was NOT sent ("
                      << (c.outboxDir.empty() ? "no outbox_dir" : "cannot write in " + c.outboxDir)
                      << "): send it yourself, it is on standard output and nowhere else\n";
            std::cout << asText(created.mail) << std::flush;
        }
        return 0;
    }
    if (action == "list-cases") {
        for (const auto& x : offline.store().listCases())
            std::cout << x.id << "\t" << x.serial << "\t" << store::toString(x.state) << "\t" << x.email
                      << "\tanswer_failures=" << x.answerFailures << "\tsecret_tries_left=" << x.secretTriesLeft
                      << "\tcryptograms_used=" << x.cryptogramsUsed << "\n";
        return 0;
    }
    if (action == "close-case") {
        const std::string reason = takeOption(args, "--reason", "closed by support");
        if (args.size() != 1) throw std::runtime_error("close-case ID");
        if (!service.closeCase(std::stoll(args[0]), reason, ctx)) {
            std::cerr << "no open case " << args[0] << "\n";
            return 1;
        }
        return 0;
    }
    if (action == "revocations") {
        for (const auto& x : offline.store().listRevocationRequests())
            std::cout << x.id << "\tcase " << x.caseId << "\t" << x.serial << "\t" << x.reasonCode << "\t" << x.createdAt
                      << "\t"
                      << (x.state == store::RevocationState::Delivered ? "delivered " + std::to_string(x.deliveredAt)
                                                                       : std::string("pending"))
                      << "\tattempts " << x.attempts << "\t" << x.reason << "\n";
        return 0;
    }
    if (action == "outbox") {
        // Which mails were handed over for delivery, and when; the bodies are not kept.
        for (const auto& m : offline.store().listOutbox())
            std::cout << m.id << "\tcase " << m.caseId << "\t" << m.recipient << "\t" << m.createdAt << "\t"
                      << (m.sentAt ? "sent " + std::to_string(m.sentAt) : std::string("not sent")) << "\t" << m.subject
                      << "\n";
        return 0;
    }
    throw std::runtime_error("admin: unknown action '" + action + "'");
}

}  // namespace ias::service::cli
