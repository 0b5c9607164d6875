// SPDX-License-Identifier: Apache-2.0
// Module API decisions: verify, cryptogram, confirm.
#include "core/unblock_service.hpp"

#include "core/case_machine.hpp"
#include "core/tokens.hpp"
#include "ias/apdu/crypto.hpp"
#include "ias/protocol/admin_key.hpp"

namespace ias::service {

using protocol::ApiError;
using protocol::ApiException;

UnblockService::UnblockService(const ServiceConfig& config, store::Store& store, hsm::Hsm* hsm, const Clock& clock,
                               AuditLog& audit)
    : config_(config),
      store_(store),
      hsm_(hsm),
      clock_(clock),
      audit_(audit),
      limits_(store, clock,
              {{"client", config.clientPerMinute, config.clientBurst}, {"serial", config.serialPerMinute, config.serialBurst}}),
      adminLimits_(store, clock, {{"admin", config.adminPerMinute, config.adminBurst}}) {}

void UnblockService::refuse(ApiError e, AuditEvent ev, std::optional<int> triesLeft) {
    ev.result = protocol::toString(e);
    ev.triesLeft = triesLeft;
    audit_.record(ev);
    throw ApiException(e, protocol::toString(e), triesLeft);
}

void UnblockService::limit(const std::string& serial, const AuditEvent& ev) {
    // The client first: a client over its limit spends nothing of the serial's.
    const char* refusedBy = limits_.refusal({clientRateKey(ev.client), serial});
    if (!refusedBy) return;
    AuditEvent refused = ev;
    refused.limit = refusedBy;
    refused.result = protocol::toString(ApiError::RateLimited);
    audit_.record(refused);
    throw RateLimitedError(limits_.retryAfterSeconds(refusedBy));
}

void UnblockService::admitAdmin(bool tokenValid, const std::string& route, const RequestContext& ctx) {
    AuditEvent ev{ctx.requestId, "admin " + route, "", "", ctx.client, {}, {}, {}};
    // Before the token check: a client guessing tokens is slowed down like any other.
    if (const char* refusedBy = adminLimits_.refusal({clientRateKey(ctx.client)})) {
        ev.limit = refusedBy;
        ev.result = protocol::toString(ApiError::RateLimited);
        audit_.record(ev);
        throw RateLimitedError(adminLimits_.retryAfterSeconds(refusedBy));
    }
    if (!tokenValid) refuse(ApiError::Unauthorized, ev);
}

apdu::Bytes UnblockService::secretMac(const std::string& saltHex, const std::string& serial, apdu::ByteView secret10) {
    // HMAC(K_hmac, "ias-unblock-secret-v1" 00 || salt || serial (ASCII hex) 00 || secret (10 bytes))
    static constexpr std::string_view kLabel = "ias-unblock-secret-v1";
    apdu::SecureBytes input(kLabel.begin(), kLabel.end());
    input.push_back(0);
    apdu::append(input, apdu::fromHex(saltHex));
    input.insert(input.end(), serial.begin(), serial.end());
    input.push_back(0);
    apdu::append(input, secret10);
    return hsm_->hmacSha256(input);
}

protocol::VerifyResponse UnblockService::verify(const protocol::VerifyRequest& r, const RequestContext& ctx) {
    AuditEvent ev{ctx.requestId, "verify", "", r.serial, ctx.client, {}, {}, {}};
    if (!hsm_) refuse(ApiError::Internal, ev);
    limit(r.serial, ev);
    const auto c = store_.secretCaseForSerial(r.serial);
    if (!c) refuse(ApiError::NoCase, ev);
    ev.caseId = c->id;
    // A secret that does not even parse is a wrong secret: it spends a try like any other.
    const protocol::SecretParseResult parsed = protocol::parseSecret(apdu::ByteView(r.secret));
    const std::string mac = parsed.ok() ? apdu::toHex(secretMac(c->secretSalt, r.serial, parsed.secret->bytes())) : "";
    protocol::VerifyResponse resp;
    resp.ticket = newToken();
    resp.expiresIn = protocol::kTicketValiditySeconds;
    const store::Time now = clock_.now();
    const auto out = cases::verifySecret(store_, *c, mac, {tokenHash(resp.ticket), now + resp.expiresIn}, now);
    switch (out.result) {
        case cases::VerifyResult::Ticket:
            ev.result = "ok";
            audit_.record(ev);
            return resp;
        case cases::VerifyResult::Wrong: refuse(ApiError::WrongSecret, ev, out.triesLeft);
        case cases::VerifyResult::UsedUp: refuse(ApiError::UsedUp, ev);
        case cases::VerifyResult::Expired: refuse(ApiError::Expired, ev);
        case cases::VerifyResult::Blocked: refuse(ApiError::Blocked, ev);
        case cases::VerifyResult::NoCase: refuse(ApiError::NoCase, ev);
    }
    refuse(ApiError::Internal, ev);
}

protocol::CryptogramResponse UnblockService::cryptogram(const protocol::CryptogramRequest& r,
                                                        const RequestContext& ctx) {
    AuditEvent ev{ctx.requestId, "cryptogram", "", "", ctx.client, {}, {}, {}};
    if (!hsm_) refuse(ApiError::Internal, ev);
    limit("", ev);
    const auto out = cases::useTicketForCryptogram(store_, tokenHash(r.ticket), clock_.now());
    ev.serial = out.serial;
    if (out.caseId) ev.caseId = out.caseId;
    if (out.result == cases::TicketResult::BadTicket) refuse(ApiError::BadTicket, ev);
    if (out.result == cases::TicketResult::Limit) refuse(ApiError::Limit, ev);
    const apdu::Bytes sn8 = protocol::serialIcc(apdu::fromHex(out.serial));
    protocol::CryptogramResponse resp{hsm_->cryptogram(sn8, r.challenge)};
    ev.result = "ok";
    audit_.record(ev);
    return resp;
}

void UnblockService::confirm(const protocol::ConfirmRequest& r, const RequestContext& ctx) {
    AuditEvent ev{ctx.requestId, std::string("confirm_") + protocol::toString(r.outcome), "", "", ctx.client, {}, {}, {}};
    ev.count = r.triesAfter;
    limit("", ev);
    const bool done = r.outcome == protocol::ConfirmOutcome::Done;
    const auto out = cases::confirm(store_, tokenHash(r.ticket), done, clock_.now());
    ev.serial = out.serial;
    if (out.caseId) ev.caseId = out.caseId;
    if (out.result != cases::TicketResult::Ok) refuse(ApiError::BadTicket, ev);
    ev.result = "ok";
    audit_.record(ev);
}

}  // namespace ias::service
