// SPDX-License-Identifier: Apache-2.0
// Support and holder steps: case creation (e-mail with the 24 h link), closing, the holder's
// answer submissions and the one-time secret issuance (the decisions: core/case_machine.hpp).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/case_machine.hpp"
#include "core/mail.hpp"
#include "core/mail_queue.hpp"
#include "core/tokens.hpp"
#include "core/unblock_service.hpp"
#include "store/support_store.hpp"
#include "ias/apdu/crypto.hpp"

namespace ias::service {

using protocol::ApiError;
using protocol::ApiException;

namespace {

constexpr std::size_t kMaxQuestionBytes = 500;
constexpr std::size_t kMaxAnswerBytes = 500;

// Shown on the holder's pages (HTML-escaped there): one line of readable text.
bool validQuestion(std::string_view q) {
    if (q.empty() || q.size() > kMaxQuestionBytes) return false;
    for (const char ch : q)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) return false;
    return true;
}

// Hands a mail over for delivery: dir/case-<id>.eml, written whole and synced under a
// temporary name, then renamed (a mail pickup never sees half a file, and the mail survives a
// power loss once this returned true). False on any error (nothing left behind).
bool writeMailFile(const std::string& dir, std::int64_t caseId, std::string_view mail) {
    const std::string name = dir + "/case-" + std::to_string(caseId) + ".eml";
    const std::string tmp = dir + "/.case-" + std::to_string(caseId) + ".eml.tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) return false;
    bool ok = true;
    for (std::size_t done = 0; ok && done < mail.size();) {
        const ssize_t n = ::write(fd, mail.data() + done, mail.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<std::size_t>(n);
    }
    ok = ::fsync(fd) == 0 && ok;
    ok = ::close(fd) == 0 && ok;
    ok = ok && ::rename(tmp.c_str(), name.c_str()) == 0;
    if (!ok) {
        ::unlink(tmp.c_str());
        return false;
    }
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ok = ::fsync(dfd) == 0;
        ::close(dfd);
    }
    return ok;
}

}  // namespace

KeyedMac UnblockService::answerKey() {
    if (!hsm_) throw ApiException(ApiError::Internal, "no HSM");
    return [this](apdu::ByteView data) { return hsm_->hmacSha256(data); };
}

std::size_t UnblockService::keyUnkeyedAnswerHashes() {
    const KeyedMac key = answerKey();
    std::size_t n = 0;
    for (const store::StoredAnswerHash& old : store_.answerHashesWithPrefix(std::string(kUnkeyedAnswerHashScheme))) {
        const auto keyed = keyUnkeyedAnswerHash(old.answerHash, key);
        if (keyed && store_.replaceAnswerHash(old, *keyed)) ++n;
    }
    return n;
}

CreatedCase UnblockService::createCase(const std::string& serialIn, const std::string& email,
                                       const std::string& language, const std::vector<QuestionAnswer>& qa,
                                       const RequestContext& ctx) {
    const std::string serial = protocol::normaliseSerial(serialIn);
    AuditEvent ev{ctx.requestId, "case_create", "", serial, ctx.client, {}, {}, {}};
    if (!mail::validAddress(email))
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
        n.questions.push_back({q.question, hashAnswer(q.answer, config_.answerIterations, answerKey())});
    }
    const apdu::SecureBytes token = newToken();
    CreatedCase created;
    created.link = apdu::secureCopy(std::string_view(config_.publicUrl + "/h/"));
    apdu::append(created.link, token);
    const store::Time now = clock_.now();
    created.linkExpiresAt = now + protocol::kLinkValiditySeconds;
    n.linkHash = tokenHash(token);
    n.linkExpiresAt = created.linkExpiresAt;
    n.mailSubject = mail::subject(language);
    // SMTP: the mail is queued with its link sealed (core/mail_queue.hpp), in the case's
    // transaction; `serve`'s sender builds and sends it.
    if (mailTransport(config_) == MailTransport::Smtp) n.sealedLink = mail::sealLink(answerKey(), email, token);
    const auto id = store_.createCase(n, now);
    if (!id) {
        ev.result = "conflict";
        audit_.record(ev);
        throw ApiException(ApiError::BadRequest, "this serial already has a live case");
    }
    created.id = *id;
    handOverLinkMail(created, serial, email, language, now);
    ev.caseId = *id;
    ev.result = "ok";
    audit_.record(ev);
    return created;
}

void UnblockService::handOverLinkMail(CreatedCase& created, const std::string& serial, const std::string& email,
                                      const std::string& language, store::Time now) {
    const MailTransport transport = mailTransport(config_);
    if (transport == MailTransport::Smtp) {  // queued by the store with the case's change
        created.mailQueued = true;
        return;
    }
    // The mail (with the link) exists only here and in its hand-over: never in the database.
    const mail::Content content{language, serial, asText(created.link), &config_.brand, &config_.support};
    mail::SecureString m;
    m += "To: " + email + "\nSubject: " + mail::subject(language) + "\n\n";
    m += mail::textBody(content);
    if (transport == MailTransport::Dir && writeMailFile(config_.outboxDir, created.id, m)) {
        created.mailSent = true;
        store_.markMailSent(created.id, now);
    } else {
        created.mail = apdu::secureCopy(std::string_view(m.data(), m.size()));
    }
}

std::optional<CreatedCase> UnblockService::resendLink(std::int64_t id, const RequestContext& ctx) {
    AuditEvent ev{ctx.requestId, "case_resend", "", "", ctx.client, id, {}, {}};
    const auto c = store_.caseById(id);
    const apdu::SecureBytes token = newToken();
    CreatedCase created;
    created.id = id;
    created.link = apdu::secureCopy(std::string_view(config_.publicUrl + "/h/"));
    apdu::append(created.link, token);
    const store::Time now = clock_.now();
    created.linkExpiresAt = now + protocol::kLinkValiditySeconds;
    const std::string sealed =
        c && mailTransport(config_) == MailTransport::Smtp ? mail::sealLink(answerKey(), c->email, token) : std::string();
    if (!c || !store::SupportStore(store_).renewLink(id, tokenHash(token), created.linkExpiresAt,
                                                     mail::subject(c->language), sealed, now)) {
        ev.result = "not_open";
        audit_.record(ev);
        return std::nullopt;
    }
    ev.serial = c->serial;
    handOverLinkMail(created, c->serial, c->email, c->language, now);
    ev.result = "ok";
    audit_.record(ev);
    return created;
}

bool UnblockService::closeCase(std::int64_t id, const std::string& reason, const RequestContext& ctx) {
    const bool ok = cases::close(store_, id, reason, clock_.now());
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
    store::CaseRecord c = openCaseById(caseId);
    ev.serial = c.serial;
    if (const auto e = caseRefusal(c)) refuse(*e, ev);
    const KeyedMac key = answerKey();
    // A hash left unkeyed (start-up could not reach the database) is keyed on first use.
    for (std::size_t i = 0; i < c.questions.size(); ++i) {
        if (auto keyed = keyUnkeyedAnswerHash(c.questions[i].answerHash, key)) {
            store_.replaceAnswerHash({c.id, static_cast<int>(i), c.questions[i].answerHash}, *keyed);
            c.questions[i].answerHash = std::move(*keyed);
        }
    }
    // Every answer is checked (no early exit), each comparison in constant time.
    bool correct = answers.size() == c.questions.size();
    for (std::size_t i = 0; i < c.questions.size(); ++i) {
        const bool ok = i < answers.size() && checkAnswer(answers[i], c.questions[i].answerHash, key);
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
    }
    const auto out = cases::submitAnswers(store_, caseId, correct, issue, now);
    switch (out.result) {
        case cases::AnswerResult::Accepted:
            ev.result = "ok";
            audit_.record(ev);
            return issued;
        case cases::AnswerResult::Wrong: refuse(ApiError::WrongAnswers, ev, out.triesLeft);
        case cases::AnswerResult::Blocked: refuse(ApiError::Blocked, ev, 0);
        case cases::AnswerResult::Expired: refuse(ApiError::Expired, ev);
        case cases::AnswerResult::NotOpen: refuse(ApiError::UsedUp, ev);
    }
    refuse(ApiError::Internal, ev);
}

}  // namespace ias::service
