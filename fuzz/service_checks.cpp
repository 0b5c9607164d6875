// SPDX-License-Identifier: Apache-2.0
// The service_api checks of stored state and logs after each step (service_session.hpp).
#include <map>
#include <nlohmann/json.hpp>

#include "fuzz_input.hpp"
#include "ias/protocol/admin_key.hpp"
#include "ias/protocol/api.hpp"
#include "ias/protocol/secret.hpp"
#include "service_session.hpp"

namespace ias::fuzz::svc {

using nlohmann::json;
using service::store::CaseRecord;
using service::store::CaseState;

namespace {

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

json requestJson(const Reply& r) {
    json j = json::parse(r.requestBody, nullptr, false);
    return j.is_object() ? j : json(nullptr);
}

json replyJson(const Reply& r) {
    if (r.header("Content-Type").rfind("application/json", 0) != 0) return nullptr;
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j : json(nullptr);
}

std::string stringField(const json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::string replyError(const Reply& r) {
    std::string e = stringField(replyJson(r), "error");
    if (!e.empty()) return e;
    const auto p = r.body.find("data-error=\"");
    if (p == std::string::npos) return "";
    return r.body.substr(p + 12, r.body.find('"', p + 12) - p - 12);
}

bool allowedTransition(CaseState from, CaseState to) {
    if (from == to) return true;
    switch (from) {
        case CaseState::Open: return to == CaseState::SecretIssued || to == CaseState::Blocked || to == CaseState::Closed;
        case CaseState::SecretIssued: return to == CaseState::Consumed || to == CaseState::Closed;
        default: return false;
    }
}

void checkBounds(const CaseRecord& c) {
    if (c.answerFailures < 0 || c.answerFailures > protocol::kMaxAnswerSubmissions) fail("answer failures outside 0..3");
    if (c.secretTriesLeft < 0 || c.secretTriesLeft > protocol::kMaxSecretTries) fail("secret tries outside 0..3");
    if (c.cryptogramsUsed < 0 || c.cryptogramsUsed > protocol::kMaxCryptogramsPerSecret) fail("cryptograms outside 0..3");
    if ((c.state == CaseState::Blocked) != (c.answerFailures == protocol::kMaxAnswerSubmissions))
        fail("blocked case without 3 answer failures, or 3 failures without a block");
    const bool issuedState = c.state == CaseState::SecretIssued || c.state == CaseState::Consumed;
    if (issuedState && c.secretMac.empty()) fail("secret state without a stored secret");
    if ((c.state == CaseState::Open || c.state == CaseState::Blocked) && !c.secretMac.empty())
        fail("secret stored for a case that never issued one");
    if (c.state == CaseState::Open && (c.secretTriesLeft != 0 || c.cryptogramsUsed != 0))
        fail("open case with secret counters");
}

bool sameRecord(const CaseRecord& a, const CaseRecord& b) {
    return a.state == b.state && a.answerFailures == b.answerFailures && a.secretTriesLeft == b.secretTriesLeft &&
           a.cryptogramsUsed == b.cryptogramsUsed && a.secretMac == b.secretMac && a.secretSalt == b.secretSalt &&
           a.secretExpiresAt == b.secretExpiresAt && a.closedReason == b.closedReason;
}

bool sameSecret(const std::string& a, const std::string& b) {
    const auto pa = protocol::parseSecret(std::string_view(a)), pb = protocol::parseSecret(std::string_view(b));
    return pa.ok() && pb.ok() && pa.secret->bytes() == pb.secret->bytes();
}

}  // namespace

void Session::checkStore(const Reply& r) {
    auto& store = world_.store();
    std::vector<CaseRecord> now = store.listCases();
    std::map<std::int64_t, const CaseRecord*> before;
    for (const auto& c : cases_) before[c.id] = &c;
    std::size_t blocked = 0;
    int created = 0, changed = 0, dTries = 0, dCrypt = 0, dFail = 0, issued = 0, finals = 0, toBlocked = 0;
    const CaseRecord *cryptCase = nullptr, *triesCase = nullptr, *failCase = nullptr, *issuedCase = nullptr;
    for (const auto& c : now) {
        checkBounds(c);
        if (c.state == CaseState::Blocked) ++blocked;
        const auto it = before.find(c.id);
        if (it == before.end()) {
            ++created;
            if (c.state != CaseState::Open || c.answerFailures != 0) fail("a new case is not open");
            continue;
        }
        const CaseRecord& p = *it->second;
        before.erase(it);
        if (!sameRecord(c, p)) ++changed;
        if (c.serial != p.serial || c.email != p.email || c.language != p.language || c.createdAt != p.createdAt ||
            c.linkExpiresAt != p.linkExpiresAt)
            fail("immutable case field changed");
        if (!allowedTransition(p.state, c.state)) fail("forbidden case state transition");
        if (c.answerFailures < p.answerFailures) fail("answer failures went down");
        if (p.state != CaseState::Open && c.answerFailures != p.answerFailures) fail("answer failure on a case not open");
        dFail += c.answerFailures - p.answerFailures;
        if (c.answerFailures != p.answerFailures) failCase = &c;
        if (!p.secretMac.empty()) {
            if (c.secretMac != p.secretMac || c.secretSalt != p.secretSalt || c.secretExpiresAt != p.secretExpiresAt)
                fail("issued secret replaced");
            if (c.secretTriesLeft > p.secretTriesLeft) fail("secret tries went up");
            if (c.cryptogramsUsed < p.cryptogramsUsed) fail("cryptogram count went down");
            dTries += p.secretTriesLeft - c.secretTriesLeft;
            dCrypt += c.cryptogramsUsed - p.cryptogramsUsed;
            if (c.secretTriesLeft != p.secretTriesLeft) triesCase = &c;
            if (c.cryptogramsUsed != p.cryptogramsUsed) cryptCase = &c;
        }
        if (p.state == CaseState::Open && c.state == CaseState::SecretIssued) ++issued, issuedCase = &c;
        if (p.state == CaseState::Open && c.state == CaseState::Blocked) ++toBlocked;
        if (p.state != c.state && (c.state == CaseState::Closed || c.state == CaseState::Consumed)) ++finals;
    }
    if (!before.empty()) fail("a case disappeared");
    if (store.listRevocationRequests().size() != blocked) fail("revocation requests do not match the blocked cases");

    const std::string error = replyError(r);
    const json body = replyJson(r);
    if (created + changed > 1) fail("one request changed more than one case");
    if ((created == 1) != (r.status == 201)) fail("case created without 201, or 201 without a case");
    // Cryptograms: one spent exactly with each 200 of /v1/unblock/cryptogram.
    const bool cryptogramOk = r.method == "POST" && r.path == "/v1/unblock/cryptogram" && r.status == 200;
    if (dCrypt > 1 || (dCrypt == 1) != cryptogramOk) fail("cryptogram count and response disagree");
    if (cryptogramOk) checkCryptogram(r, *cryptCase);
    // Secret tries: one spent exactly with each 401 wrong_secret, which reports what is left.
    const bool wrongSecret = r.status == 401 && error == "wrong_secret";
    if (dTries > 1 || (dTries == 1) != wrongSecret) fail("secret tries and response disagree");
    if (wrongSecret && (!body.contains("tries_left") || body["tries_left"] != triesCase->secretTriesLeft))
        fail("tries_left differs from the stored tries");
    // Answer submissions: a failure only with 403 (wrong answers) or 410 (the third: blocked).
    const bool wrongAnswers =
        r.status == 403 && (error == "wrong_answers" || r.body.find("id=\"wrong\"") != std::string::npos);
    if (dFail > 1 || (dFail == 1 && r.status != 403 && r.status != 410) || (wrongAnswers && dFail != 1))
        fail("answer failures and response disagree");
    if (wrongAnswers && body.contains("tries_left") &&
        body["tries_left"] != protocol::kMaxAnswerSubmissions - failCase->answerFailures)
        fail("tries_left differs from the stored answer failures");
    if (toBlocked == 1 && (dFail != 1 || error != "blocked")) fail("case blocked without the blocked refusal");
    if (dFail == 1 && r.status == 410 && toBlocked != 1) fail("410 after an answer failure without a block");
    // A secret is issued exactly when a response displays it.
    if (issued > 1 || (issued == 1) != !newSecret_.empty()) fail("secret issued and response disagree");
    if (issued == 1) {
        if (issuedCase->secretTriesLeft != protocol::kMaxSecretTries || issuedCase->cryptogramsUsed != 0)
            fail("new secret without full tries");
        if (!protocol::parseSecret(std::string_view(newSecret_)).ok()) fail("displayed secret does not parse");
        secretsBySerial_[issuedCase->serial].push_back(newSecret_);
    }
    if (finals > 1 || (finals == 1 && r.status != 204)) fail("case closed or consumed without 204");
    if (r.status >= 400 && dTries == 0 && dFail == 0 && created + changed != 0) fail("a refusal changed stored state");
    cases_ = std::move(now);
    if (r.method == "POST" && r.path == "/v1/unblock/verify" && r.status == 200) checkTicketIssue(r);
}

void Session::checkCryptogram(const Reply& r, const CaseRecord& c) {
    const json req = requestJson(r);
    const std::string ticket = stringField(req, "ticket");
    const auto t = ticketSerial_.find(ticket);
    if (t == ticketSerial_.end()) fail("cryptogram for a ticket that verify never gave");
    if (t->second != c.serial) fail("cryptogram spent on another card's case than the ticket's");
    const apdu::Bytes sn8 = protocol::serialIcc(apdu::fromHex(c.serial));
    const apdu::Bytes challenge = apdu::fromHex(stringField(req, "challenge"));
    const apdu::Bytes expected =
        protocol::externalAuthCryptogram(protocol::deriveAdminKeys(masterKey(), sn8), challenge, sn8);
    if (upper(stringField(replyJson(r), "cryptogram")) != upper(apdu::toHex(expected)))
        fail("cryptogram is not E || M of the ticket's card for this challenge");
}

void Session::checkTicketIssue(const Reply& r) {
    const json req = requestJson(r);
    std::string serial;
    try {
        serial = protocol::normaliseSerial(stringField(req, "serial"));
    } catch (const protocol::ApiException&) {
        fail("verify accepted a malformed serial");
    }
    const auto known = secretsBySerial_.find(serial);
    if (known == secretsBySerial_.end() || !sameSecret(stringField(req, "secret"), known->second.back()))
        fail("ticket given for a secret that is not the serial's current secret");
    const CaseRecord* latest = nullptr;
    for (const auto& c : cases_)
        if (c.serial == serial && !c.secretMac.empty()) latest = &c;
    if (!latest || latest->state != CaseState::SecretIssued || latest->secretTriesLeft <= 0 ||
        latest->cryptogramsUsed >= protocol::kMaxCryptogramsPerSecret || world_.clock().now() >= latest->secretExpiresAt)
        fail("ticket given for a secret that is not live");
}

void Session::checkLogs() {
    const std::string audit = world_.audit(), diagnostics = world_.diagnostics();
    std::string fresh = audit.substr(auditChecked_);
    for (std::size_t p = 0; p < fresh.size();) {
        const auto nl = fresh.find('\n', p);
        const json line = json::parse(fresh.substr(p, nl - p), nullptr, false);
        if (!line.is_object() || !line.contains("event") || !line.contains("result")) fail("audit line is not an event");
        p = nl == std::string::npos ? fresh.size() : nl + 1;
    }
    fresh += diagnostics.substr(diagnosticsChecked_);
    auditChecked_ = audit.size();
    diagnosticsChecked_ = diagnostics.size();
    for (const std::string& echo : echoedIds_)
        for (std::size_t p = 0; (p = fresh.find(echo, p)) != std::string::npos;) fresh.erase(p, echo.size());
    for (const Known& k : known_) {
        if (!k.tainted && fresh.find(k.text) != std::string::npos) {
            std::fprintf(stderr, "service_api: a known %s appears in the audit log or diagnostics\n", k.kind);
            fail("secret text in a log");
        }
    }
}

}  // namespace ias::fuzz::svc
