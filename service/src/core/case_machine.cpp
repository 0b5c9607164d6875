// SPDX-License-Identifier: Apache-2.0
#include "core/case_machine.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "ias/protocol/api.hpp"

namespace ias::service::cases {

using store::CaseChange;
using store::CaseRecord;
using store::CaseState;

namespace {

bool equalConstantTime(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

CaseChange decideAnswers(const CaseRecord& c, bool correct, const store::SecretIssue& issue, Time now,
                         AnswerOutcome& out) {
    CaseChange ch;
    out.triesLeft = std::max(0, protocol::kMaxAnswerSubmissions - c.answerFailures);
    if (c.state == CaseState::Blocked) {
        out.result = AnswerResult::Blocked;
        return ch;
    }
    if (c.state != CaseState::Open) {
        out.result = AnswerResult::NotOpen;
        return ch;
    }
    if (now >= c.linkExpiresAt) {
        out.result = AnswerResult::Expired;
        return ch;
    }
    if (correct) {
        ch.state = CaseState::SecretIssued;
        ch.secret = issue;
        ch.secretTriesLeft = protocol::kMaxSecretTries;
        out.result = AnswerResult::Accepted;
        return ch;
    }
    const int failures = c.answerFailures + 1;
    out.triesLeft = std::max(0, protocol::kMaxAnswerSubmissions - failures);
    ch.answerFailures = failures;
    if (failures >= protocol::kMaxAnswerSubmissions) {
        // Three wrong answer submissions block the case for good, and the token's
        // certificate is to be revoked.
        ch.state = CaseState::Blocked;
        ch.closedReason = "wrong answers";
        ch.revocationReason = "wrong answers to the secret questions";
        out.result = AnswerResult::Blocked;
    } else {
        out.result = AnswerResult::Wrong;
    }
    return ch;
}

CaseChange decideVerify(const CaseRecord& c, const std::string& presentedMac, const store::NewTicket& ticket, Time now,
                        VerifyOutcome& out) {
    CaseChange ch;
    out.triesLeft = c.secretTriesLeft;
    if (c.secretMac.empty()) {
        out.result = VerifyResult::NoCase;
        return ch;
    }
    switch (c.state) {
        case CaseState::Consumed: out.result = VerifyResult::UsedUp; return ch;
        case CaseState::Blocked:
        case CaseState::Closed: out.result = VerifyResult::Blocked; return ch;
        case CaseState::Open: out.result = VerifyResult::NoCase; return ch;
        case CaseState::SecretIssued: break;
    }
    if (now >= c.secretExpiresAt) {
        out.result = VerifyResult::Expired;
        return ch;
    }
    if (c.secretTriesLeft <= 0) {  // kMaxSecretTries wrong presentations
        out.result = VerifyResult::Blocked;
        return ch;
    }
    if (c.cryptogramsUsed >= protocol::kMaxCryptogramsPerSecret) {
        out.result = VerifyResult::UsedUp;
        return ch;
    }
    if (!equalConstantTime(c.secretMac, presentedMac)) {
        out.triesLeft = c.secretTriesLeft - 1;
        ch.secretTriesLeft = out.triesLeft;
        if (out.triesLeft == 0) ch.liveTicket = CaseChange::LiveTicket::Replaced;  // the secret is dead
        out.result = VerifyResult::Wrong;
        return ch;
    }
    ch.liveTicket = CaseChange::LiveTicket::Replaced;
    ch.newTicket = ticket;
    out.result = VerifyResult::Ticket;
    return ch;
}

// A ticket opens its case while it is the live one, unexpired, and the secret is live.
bool usable(const CaseRecord& c, const store::TicketRecord& t, Time now) {
    return t.live && now < t.expiresAt && c.state == CaseState::SecretIssued && now < c.secretExpiresAt;
}

// A decision on the case of a usable ticket (BadTicket, nothing changed, otherwise): `decide`
// gets the outcome with the case's serial and id set and the result Ok.
template <class Decide>
TicketOutcome withUsableTicket(store::Store& s, const std::string& ticketHash, Time now, Decide decide) {
    TicketOutcome out;
    s.changeCaseOfTicket(
        ticketHash,
        [&](const CaseRecord& c, const store::TicketRecord& t) {
            if (!usable(c, t, now)) return CaseChange{};
            out.serial = c.serial;
            out.caseId = c.id;
            out.result = TicketResult::Ok;
            return decide(c, out);
        },
        now);
    return out;
}

}  // namespace

AnswerOutcome submitAnswers(store::Store& s, std::int64_t caseId, bool correct, const store::SecretIssue& issue,
                            Time now) {
    AnswerOutcome out;
    s.changeCase(caseId, [&](const CaseRecord& c) { return decideAnswers(c, correct, issue, now, out); }, now, true);
    return out;
}

VerifyOutcome verifySecret(store::Store& s, const CaseRecord& seen, const std::string& presentedMacHex,
                           const store::NewTicket& ticket, Time now) {
    // A right secret only replaces the ticket: a power loss may undo that (the module
    // verifies again). A wrong one spends a try: that must survive it. Guessed from the case
    // as seen before the transaction, decided again under its lock.
    const bool likelyRight = !seen.secretMac.empty() && equalConstantTime(seen.secretMac, presentedMacHex);
    VerifyOutcome out;
    s.changeCase(seen.id, [&](const CaseRecord& c) { return decideVerify(c, presentedMacHex, ticket, now, out); }, now,
                 !likelyRight);
    return out;
}

TicketOutcome useTicketForCryptogram(store::Store& s, const std::string& ticketHash, Time now) {
    return withUsableTicket(s, ticketHash, now, [](const CaseRecord& c, TicketOutcome& out) {
        CaseChange ch;
        if (c.cryptogramsUsed >= protocol::kMaxCryptogramsPerSecret) {
            out.result = TicketResult::Limit;
            return ch;
        }
        ch.countCryptogram = true;
        return ch;
    });
}

TicketOutcome confirm(store::Store& s, const std::string& ticketHash, bool done, Time now) {
    return withUsableTicket(s, ticketHash, now, [done](const CaseRecord&, TicketOutcome&) {
        CaseChange ch;
        if (done) {
            ch.state = CaseState::Consumed;
            ch.closedReason = "reset confirmed";
            ch.liveTicket = CaseChange::LiveTicket::Consumed;
        }
        return ch;
    });
}

bool close(store::Store& s, std::int64_t caseId, const std::string& reason, Time now) {
    bool closed = false;
    s.changeCase(
        caseId,
        [&](const CaseRecord& c) {
            CaseChange ch;
            if (c.state != CaseState::Open && c.state != CaseState::SecretIssued) return ch;
            ch.state = CaseState::Closed;
            ch.closedReason = reason;
            ch.liveTicket = CaseChange::LiveTicket::Closed;
            closed = true;
            return ch;
        },
        now, true);
    return closed;
}

}  // namespace ias::service::cases
