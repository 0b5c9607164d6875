// SPDX-License-Identifier: Apache-2.0
// The decisions of ias-unblockd, independent of HTTP: the module API (verify, cryptogram,
// confirm), the holder steps (link -> case -> answers -> secret) and the support actions.
// Refusals are thrown as protocol::ApiException; every decision is written to the audit log.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/rate_limit.hpp"
#include "core/tokens.hpp"
#include "hsm/hsm.hpp"
#include "ias/protocol/api.hpp"
#include "ias/protocol/secret.hpp"
#include "store/store.hpp"

namespace ias::service {

struct RequestContext {
    std::string requestId;
    std::string client;
};

struct QuestionAnswer {
    std::string question;
    apdu::SecureBytes answer;
};

struct CreatedCase {
    std::int64_t id = 0;
    apdu::SecureBytes link;  // public_url/h/<token>: in the e-mail, never stored
    store::Time linkExpiresAt = 0;
    // The mail was handed over for delivery (written to outbox_dir), or queued for the SMTP
    // sender. Otherwise (no transport, or outbox_dir could not be written) `mail` is the only
    // copy, for the caller.
    bool mailSent = false;
    bool mailQueued = false;
    apdu::SecureBytes mail;
};

struct IssuedSecret {
    protocol::UnblockSecret secret;
    std::string serial;
    store::Time expiresAt = 0;
};

// A refusal by a rate limit: 429 rate_limited with Retry-After.
class RateLimitedError : public protocol::ApiException {
public:
    explicit RateLimitedError(int retryAfterSeconds)
        : ApiException(protocol::ApiError::RateLimited, "rate_limited"), retryAfter_(retryAfterSeconds) {}
    int retryAfterSeconds() const noexcept { return retryAfter_; }

private:
    int retryAfter_;
};

class UnblockService {
public:
    // `hsm` may be null for the admin CLI (no module API then).
    UnblockService(const ServiceConfig& config, store::Store& store, hsm::Hsm* hsm, const Clock& clock, AuditLog& audit);

    // --- module API (UNBLOCK.md table)
    protocol::VerifyResponse verify(const protocol::VerifyRequest& r, const RequestContext& ctx);
    protocol::CryptogramResponse cryptogram(const protocol::CryptogramRequest& r, const RequestContext& ctx);
    void confirm(const protocol::ConfirmRequest& r, const RequestContext& ctx);

    // --- support
    CreatedCase createCase(const std::string& serialIn, const std::string& email, const std::string& language,
                           const std::vector<QuestionAnswer>& qa, const RequestContext& ctx);
    bool closeCase(std::int64_t id, const std::string& reason, const RequestContext& ctx);
    // Support's request to revoke the certificates of a case's card (reasonCode keyCompromise
    // or cessationOfOperation; core/revocation.cpp): the case's revocation request, queued
    // now unless it already has one; nullopt when there is no such case.
    std::optional<store::RevocationRequest> requestRevocation(std::int64_t caseId, const std::string& reasonCode,
                                                              const RequestContext& ctx);
    // An open case gets a new link (the old one and its holder sessions stop working) and a
    // new mail; nullopt when the case is unknown or not open.
    std::optional<CreatedCase> resendLink(std::int64_t id, const RequestContext& ctx);
    // Keys every answer hash still in the old unkeyed form with the HSM (at start-up: no weak
    // row remains); returns how many were rewritten. Needs the HSM.
    std::size_t keyUnkeyedAnswerHashes();
    // Every admin API request, before anything else: the per-client admin limit
    // (rate.admin_*), then the bearer token check. Refusals are audited ("admin" action).
    void admitAdmin(bool tokenValid, const std::string& route, const RequestContext& ctx);

    // --- holder: the case a link token opens (throws no_case / expired / blocked / used_up
    // unless the case is open and its link is valid).
    store::CaseRecord openCaseByLink(apdu::ByteView linkToken, const RequestContext& ctx);
    store::CaseRecord openCaseById(std::int64_t id);
    // One submission of all answers (exact bytes). Wrong -> ApiException(WrongAnswers,
    // tries_left); third wrong -> ApiException(Blocked) + revocation request.
    IssuedSecret submitAnswers(std::int64_t caseId, const std::vector<apdu::SecureBytes>& answers,
                               const RequestContext& ctx);
    // Refusal error for a case that is not open (nullopt when it is open and valid).
    std::optional<protocol::ApiError> caseRefusal(const store::CaseRecord& c) const;

    // Keyed with the HSM's HMAC key (the staff credentials, core/staff.hpp). Needs the HSM.
    KeyedMac hsmMac() { return answerKey(); }
    AuditLog& audit() noexcept { return audit_; }
    const ServiceConfig& config() const noexcept { return config_; }
    store::Store& store() noexcept { return store_; }
    const Clock& clock() const noexcept { return clock_; }

private:
    KeyedMac answerKey();
    void handOverLinkMail(CreatedCase& created, const std::string& serial, const std::string& email,
                          const std::string& language, store::Time now);
    apdu::Bytes secretMac(const std::string& saltHex, const std::string& serial, apdu::ByteView secret10);
    [[noreturn]] void refuse(protocol::ApiError e, AuditEvent ev, std::optional<int> triesLeft = std::nullopt);
    void limit(const std::string& serial, const AuditEvent& ev);

    const ServiceConfig& config_;
    store::Store& store_;
    hsm::Hsm* hsm_;
    const Clock& clock_;
    AuditLog& audit_;
    RateLimiter limits_;       // client, then serial
    RateLimiter adminLimits_;  // admin API requests per client
};

}  // namespace ias::service
