// SPDX-License-Identifier: Apache-2.0
// The case state machine of ias-unblockd: every decision that changes a case, with its limits
// (protocol::kMax*). The store only locks the case, applies the change decided here and
// commits (store::Store::changeCase), so concurrent requests and instances count exactly.
//
//   open --right answers--> secret_issued --reset confirmed--> consumed
//   open --kMaxAnswerSubmissions wrong submissions--> blocked (+ revocation request)
//   open / secret_issued --support--> closed
// A secret allows kMaxSecretTries wrong presentations and kMaxCryptogramsPerSecret
// cryptograms, each through a ticket (one live ticket per case).
#pragma once

#include <cstdint>
#include <string>

#include "store/store.hpp"

namespace ias::service::cases {

using store::Time;

enum class AnswerResult { Accepted, Wrong, Blocked, Expired, NotOpen };
struct AnswerOutcome {
    AnswerResult result = AnswerResult::NotOpen;
    int triesLeft = 0;
};

enum class VerifyResult { Ticket, Wrong, UsedUp, Expired, Blocked, NoCase };
struct VerifyOutcome {
    VerifyResult result = VerifyResult::NoCase;
    int triesLeft = 0;
};

enum class TicketResult { Ok, BadTicket, Limit };
struct TicketOutcome {
    TicketResult result = TicketResult::BadTicket;
    std::string serial;  // set when the ticket is usable
    std::int64_t caseId = 0;
};

// One submission of the holder's answers (`correct`: all of them right): records `issue`
// (state -> secret_issued), or spends one submission; the last one blocks the case for good
// and requests the revocation of its certificate.
AnswerOutcome submitAnswers(store::Store& s, std::int64_t caseId, bool correct, const store::SecretIssue& issue,
                            Time now);

// A presentation of the secret of case `seen` (as read before, for the durability of the
// outcome: a right secret only replaces the ticket). Compared in constant time with the
// stored MAC under the case lock: a match replaces the live ticket by `ticket`; a mismatch
// spends a try.
VerifyOutcome verifySecret(store::Store& s, const store::CaseRecord& seen, const std::string& presentedMacHex,
                           const store::NewTicket& ticket, Time now);

// Spends one of the secret's cryptograms for a live ticket.
TicketOutcome useTicketForCryptogram(store::Store& s, const std::string& ticketHash, Time now);

// done: consumes the ticket and the secret (the case is over). Not done: the ticket stays
// usable within its limits.
TicketOutcome confirm(store::Store& s, const std::string& ticketHash, bool done, Time now);

// Support closes an open case or a live secret (its ticket dies). False when unknown or
// already final.
bool close(store::Store& s, std::int64_t caseId, const std::string& reason, Time now);

}  // namespace ias::service::cases
