// Support and holder decisions: case creation (e-mail with the 24 h link), closing, the
// holder's answer submissions (3 wrong -> definitive block + revocation request) and the
// one-time secret issuance.
#include <fstream>

#include "core/tokens.hpp"
#include "core/unblock_service.hpp"
#include "ias/apdu/crypto.hpp"

namespace ias::service {

using protocol::ApiError;
using protocol::ApiException;

namespace {

constexpr std::size_t kMaxQuestionBytes = 500;
constexpr std::size_t kMaxAnswerBytes = 500;

std::string mailBody(const std::string& language, const std::string& issuer, const std::string& serial,
                     std::string_view link, const SupportContacts& s) {
    std::string b;
    if (language == "en") {
        b = "Hello,\n\nYou asked " + issuer + " to unblock your token (serial " + serial +
            ").\nOpen this personal link within 24 hours:\n\n" + std::string(link) +
            "\n\nAfter 24 hours the link no longer works: contact support again.\n";
    } else {
        b = "Bonjour,\n\nVous avez demandé à " + issuer + " le déblocage de votre support (numéro " + serial +
            ").\nOuvrez ce lien personnel dans les 24 heures :\n\n" + std::string(link) +
            "\n\nPassé ce délai, le lien ne fonctionne plus : contactez à nouveau le support.\n";
    }
    b += "\n" + s.web + " · " + s.email + " · " + s.phone + " (" + s.hours + ")\n";
    return b;
}

// An addr-spec for the To: line of the mail: 3..254 bytes, one '@', a local part of 1..64
// bytes and a dotted domain; no space, control character (a CR or LF would let the rest of
// the value become mail headers), or RFC 5322 special. UTF-8 (SMTPUTF8) is let through.
bool validEmail(std::string_view e) {
    const std::size_t at = e.find('@');
    if (e.size() < 3 || e.size() > 254 || at == std::string_view::npos || at == 0 || at > 64 ||
        e.find('@', at + 1) != std::string_view::npos)
        return false;
    for (const char ch : e) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7F || std::string_view("<>()[]\\,;:\"").find(ch) != std::string_view::npos) return false;
    }
    const std::string_view domain = e.substr(at + 1);
    return !domain.empty() && domain.front() != '.' && domain.back() != '.' &&
           domain.find("..") == std::string_view::npos && domain.front() != '-';
}

// Shown on the holder's pages (HTML-escaped there): one line of readable text.
bool validQuestion(std::string_view q) {
    if (q.empty() || q.size() > kMaxQuestionBytes) return false;
    for (const char ch : q)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) return false;
    return true;
}

}  // namespace

CreatedCase UnblockService::createCase(const std::string& serialIn, const std::string& email,
                                       const std::string& language, const std::vector<QuestionAnswer>& qa,
                                       const RequestContext& ctx) {
    const std::string serial = protocol::normaliseSerial(serialIn);
    AuditEvent ev{ctx.requestId, "case_create", "", serial, ctx.client, {}, {}, {}};
    if (!validEmail(email))
        throw ApiException(ApiError::BadRequest, "email is not a plain address (user@domain, no spaces or control characters)");
    if (qa.empty() || qa.size() > 10) throw ApiException(ApiError::BadRequest, "questions: 1 to 10 expected");
    if (language != "fr" && language != "en") throw ApiException(ApiError::BadRequest, "language must be fr or en");
    store::NewCase n;
    n.serial = serial;
    n.email = email;
    n.language = language;
    for (const QuestionAnswer& q : qa) {
        if (!validQuestion(q.question))
            throw ApiException(ApiError::BadRequest, "question: 1 to " + std::to_string(kMaxQuestionBytes) +
                                                         " bytes of text on one line expected");
        if (q.answer.empty() || q.answer.size() > kMaxAnswerBytes)
            throw ApiException(ApiError::BadRequest, "answer: 1 to " + std::to_string(kMaxAnswerBytes) + " bytes expected");
        n.questions.push_back({q.question, hashAnswer(q.answer, config_.answerIterations)});
    }
    const apdu::SecureBytes token = newToken();
    CreatedCase created;
    created.link = apdu::secureCopy(std::string_view(config_.publicUrl + "/h/"));
    apdu::append(created.link, token);
    const store::Time now = clock_.now();
    created.linkExpiresAt = now + protocol::kLinkValiditySeconds;
    n.linkHash = tokenHash(token);
    n.linkExpiresAt = created.linkExpiresAt;
    n.mailSubject = language == "en" ? "Unblocking your token" : "Déblocage de votre support";
    n.mailBody = mailBody(language, config_.brand.issuerName, serial, asText(created.link), config_.support);
    const auto id = store_.createCase(n, now);
    if (!id) {
        ev.result = "conflict";
        audit_.record(ev);
        throw ApiException(ApiError::BadRequest, "this serial already has a live case");
    }
    created.id = *id;
    if (!config_.outboxDir.empty()) {
        std::ofstream mail(config_.outboxDir + "/case-" + std::to_string(*id) + ".eml");
        mail << "To: " << email << "\nSubject: " << n.mailSubject << "\n\n" << n.mailBody;
    }
    ev.caseId = *id;
    ev.result = "ok";
    audit_.record(ev);
    return created;
}

bool UnblockService::closeCase(std::int64_t id, const std::string& reason, const RequestContext& ctx) {
    const bool ok = store_.closeCase(id, reason, clock_.now());
    audit_.record({ctx.requestId, "case_close", ok ? "ok" : "not_found", "", ctx.client, id, {}, {}});
    return ok;
}

std::optional<ApiError> UnblockService::caseRefusal(const store::CaseRecord& c) const {
    switch (c.state) {
        case store::CaseState::Open:
            if (clock_.now() >= c.linkExpiresAt) return ApiError::Expired;
            return std::nullopt;
        case store::CaseState::SecretIssued:
        case store::CaseState::Consumed: return ApiError::UsedUp;
        case store::CaseState::Blocked:
        case store::CaseState::Closed: return ApiError::Blocked;
    }
    return ApiError::Blocked;
}

store::CaseRecord UnblockService::openCaseByLink(apdu::ByteView linkToken, const RequestContext& ctx) {
    AuditEvent ev{ctx.requestId, "holder_link", "", "", ctx.client, {}, {}, {}};
    limit("", ev);
    const auto c = store_.caseByLinkHash(tokenHash(linkToken));
    if (!c) refuse(ApiError::NoCase, ev);
    ev.serial = c->serial;
    ev.caseId = c->id;
    if (const auto e = caseRefusal(*c)) refuse(*e, ev);
    ev.result = "ok";
    audit_.record(ev);
    return *c;
}

store::CaseRecord UnblockService::openCaseById(std::int64_t id) {
    const auto c = store_.caseById(id);
    if (!c) throw ApiException(ApiError::NoCase, "no_case");
    return *c;
}

IssuedSecret UnblockService::submitAnswers(std::int64_t caseId, const std::vector<apdu::SecureBytes>& answers,
                                           const RequestContext& ctx) {
    AuditEvent ev{ctx.requestId, "answers", "", "", ctx.client, caseId, {}, {}};
    if (!hsm_) refuse(ApiError::Internal, ev);
    limit("", ev);
    const store::CaseRecord c = openCaseById(caseId);
    ev.serial = c.serial;
    if (const auto e = caseRefusal(c)) refuse(*e, ev);
    // Every answer is checked (no early exit), each comparison in constant time.
    bool correct = answers.size() == c.questions.size();
    for (std::size_t i = 0; i < c.questions.size(); ++i) {
        const bool ok = i < answers.size() && checkAnswer(answers[i], c.questions[i].answerHash);
        correct = correct && ok;
    }
    IssuedSecret issued{protocol::UnblockSecret::generate(), c.serial, 0};
    store::SecretIssue issue;
    const store::Time now = clock_.now();
    issued.expiresAt = now + protocol::kSecretValiditySeconds;
    if (correct) {
        issue.saltHex = apdu::toHex(apdu::crypto::randomBytes(16));
        issue.macHex = apdu::toHex(secretMac(issue.saltHex, c.serial, issued.secret.bytes()));
        issue.expiresAt = issued.expiresAt;
        issue.tries = protocol::kMaxSecretTries;
    }
    const auto out = store_.submitAnswers(caseId, correct, issue, now);
    switch (out.result) {
        case store::AnswerResult::Accepted:
            ev.result = "ok";
            audit_.record(ev);
            return issued;
        case store::AnswerResult::Wrong: refuse(ApiError::WrongAnswers, ev, out.triesLeft);
        case store::AnswerResult::Blocked: refuse(ApiError::Blocked, ev, 0);
        case store::AnswerResult::Expired: refuse(ApiError::Expired, ev);
        case store::AnswerResult::NotOpen: refuse(ApiError::UsedUp, ev);
    }
    refuse(ApiError::Internal, ev);
}

}  // namespace ias::service
