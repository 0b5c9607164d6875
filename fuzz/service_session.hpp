// SPDX-License-Identifier: Apache-2.0
// One service_api input: a sequence of steps run against a fresh World (service_world.hpp),
// each response and the stored state checked after every step (fuzz::fail on a violation).
//
// Input: steps separated by a line "~~~" (the text "\n~~~\n"). A step is
//   !clock <seconds>     advance the service clock (link 24 h, secret 24 h, ticket 10 min,
//                        rate-limit refill)
//   !ip <n>              later requests come from 192.0.2.<n> (rate limits per client)
//   an HTTP request      request line and header lines ("\n" or "\r\n"), an empty line, the
//                        body. A Content-Length is added when the step has none (nor a
//                        Transfer-Encoding); Accept-Encoding headers are dropped (compression
//                        is httplib's, and the checks read the plain body).
// Placeholders in requests, replaced before sending (values of the template, see
// service_world.hpp, or the latest seen in a response of this input):
//   @LINK@ @LINK2@ @SERIAL@ @SERIAL2@ @CASE@ @CASE2@ @A0@ @A1@ @ADMIN@
//   @SECRET@ / @SECRETC@  latest secret displayed (display / canonical form), else case 2's
//   @TICKET@             latest ticket given by verify, else case 2's
//   @SESSION@ / @CSRF@   latest holder session cookie value / its CSRF token, else case 1's
//
// Properties checked:
//  * no crash, sanitizer report or leak (libFuzzer);
//  * every request gets a well-formed HTTP/1.1 response with the daemon's security headers;
//    no 5xx except 503 "unavailable" (UNBLOCK.md/README: database unavailable);
//  * every application/json body parses; error bodies name a known error and a request id,
//    tries_left within 0..3; holder refusal pages name a known error with its status;
//  * no answer, secret, ticket, link token, session id or admin token of this input appears
//    in a response or in the audit log / diagnostics, except the one response that displays
//    it (secret: the answers response; ticket: verify; session: Set-Cookie of /h/<link>;
//    link: the admin API, whose outbox is the mail). Texts the input itself stored through
//    the admin API (e.g. a question equal to an answer) or sent as X-Request-Id are exempt;
//  * stored state read back after every step: counters within limits (answer failures 0..3,
//    secret tries 0..3, cryptograms 0..3), only allowed state transitions, counters move one
//    way, blocked <=> 3 answer failures, one revocation request per blocked case;
//  * the response agrees with the change: a 201 creates exactly one case; a cryptogram only
//    with a 200 that spends exactly one (and is the correct E || M for that case's card and
//    the challenge); a try spent only with 401 wrong_secret (tries_left = stored value); an
//    answer failure only with 403/410; a secret issued only with the response that shows
//    it; a ticket only for the serial's current secret; any other refusal changes nothing.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "service_world.hpp"

namespace ias::fuzz::svc {

struct StepResult {
    bool request = false;   // an HTTP request (not a directive)
    bool answered = false;  // the server wrote a response
    Reply reply;
};

class Session {
public:
    Session();
    // Runs at most `maxSteps` steps of the input.
    std::vector<StepResult> run(std::string_view input, std::size_t maxSteps);

private:
    struct Known {
        std::string text;
        const char* kind;
        bool tainted = false;  // stored by the input through the admin API
    };
    StepResult step(std::string_view text);
    std::string substitute(std::string_view text) const;
    std::string buildRequest(std::string_view text) const;
    void learn(const std::string& text, const char* kind);
    void checkReply(const Reply& r);
    void checkNoLeak(const Reply& r);
    void checkStore(const Reply& r);
    void checkCryptogram(const Reply& r, const service::store::CaseRecord& c);
    void checkTicketIssue(const Reply& r);
    void checkLogs();
    void collect(const Reply& r);

    World world_;
    const Fixture& fixture_;
    bool verbose_;
    std::string ip_ = "192.0.2.10";
    std::string secret_, ticket_, session_, newLink_;
    std::vector<Known> known_;
    std::vector<std::string> echoedIds_;  // X-Request-Id values echoed that hold a known text
    std::map<std::string, std::vector<std::string>> secretsBySerial_;  // displayed secrets
    std::map<std::string, std::string> ticketSerial_;                  // ticket -> serial verified
    std::vector<service::store::CaseRecord> cases_;
    std::string newSecret_;  // the secret the current reply displays (empty if none)
    std::size_t auditChecked_ = 0, diagnosticsChecked_ = 0;
};

}  // namespace ias::fuzz::svc
