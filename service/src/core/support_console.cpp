// SPDX-License-Identifier: Apache-2.0
#include "core/support_console.hpp"

#include <stdexcept>

#include "ias/apdu/crypto.hpp"

namespace ias::service {

using protocol::ApiError;
using protocol::ApiException;

namespace {

std::vector<RateLimitConfig> signInLimits(const ConsoleConfig& c) {
    return {{"console_client", c.clientPerMinute, c.clientBurst}, {"console_account", c.accountPerMinute, c.accountBurst}};
}

void checkPassword(std::string_view password) {
    if (password.size() < staff::kMinPasswordLength || password.size() > staff::kMaxPasswordLength)
        throw std::runtime_error("the password must have " + std::to_string(staff::kMinPasswordLength) + " to " +
                                 std::to_string(staff::kMaxPasswordLength) + " characters");
}

}  // namespace

SupportConsole::SupportConsole(UnblockService& service)
    : service_(service),
      store_(service.store()),
      limits_(service.store(), service.clock(), signInLimits(service.config().console)) {}

void SupportConsole::record(const StaffIdentity& who, const std::string& event, const std::string& result,
                            std::optional<std::int64_t> caseId, const RequestContext& ctx) {
    AuditEvent ev{ctx.requestId, event, result, "", ctx.client, caseId, {}, {}};
    ev.staff = who.name;
    service_.audit().record(ev);
}

void SupportConsole::refuseSignIn(const StaffIdentity& who, const std::string& why, const RequestContext& ctx) {
    record(who, "staff_signin", why, std::nullopt, ctx);
    throw ApiException(ApiError::Unauthorized, "sign-in refused");
}

apdu::SecureBytes SupportConsole::signIn(const std::string& name, std::string_view password, std::string_view code,
                                         const RequestContext& ctx) {
    const bool nameValid = staff::validName(name);
    StaffIdentity who{0, nameValid ? name : "", staff::Role::Auditor, ""};
    if (const char* limit = limits_.refusal({ctx.client, who.name})) {
        AuditEvent ev{ctx.requestId, "staff_signin", "rate_limited", "", ctx.client, {}, {}, {}};
        ev.staff = who.name;
        ev.limit = limit;
        service_.audit().record(ev);
        throw RateLimitedError(limits_.retryAfterSeconds(limit));
    }
    const KeyedMac mac = service_.hsmMac();
    const auto account = nameValid ? store_.staffByName(name) : std::nullopt;
    // An unknown name costs the same scrypt run as a known one.
    if (!account) std::call_once(dummyOnce_, [&] { dummyHash_ = staff::hashPassword("no such account", mac, cost()); });
    const bool passwordOk =
        staff::verifyPassword(password, account ? account->passwordHash : dummyHash_, mac) && account.has_value();
    const store::Time now = service_.clock().now();
    if (!account) refuseSignIn(who, "unknown_account", ctx);
    if (account->disabled) refuseSignIn(who, "disabled", ctx);
    if (account->lockedUntil > now) refuseSignIn(who, "locked", ctx);
    who.id = account->id;
    std::optional<std::int64_t> step;
    bool replayed = false;
    if (passwordOk) {
        const apdu::SecureBytes seed = staff::totpSeed(account->totpNonce, mac);
        step = staff::matchTotp(seed, code, now, account->totpLastStep);
        replayed = !step && staff::matchTotp(seed, code, now, -1).has_value();
        if (step && !store_.acceptLogin(account->id, *step)) {  // another request used it meanwhile
            step.reset();
            replayed = true;
        }
    }
    if (!step) {
        const ConsoleConfig& cc = service_.config().console;
        const int failures = store_.recordLoginFailure(account->id, cc.lockoutFailures, now + cc.lockoutSeconds);
        if (failures >= cc.lockoutFailures) record(who, "staff_lockout", "locked", std::nullopt, ctx);
        refuseSignIn(who, !passwordOk ? "wrong_password" : replayed ? "code_replayed" : "wrong_code", ctx);
    }
    const ConsoleConfig& cc = service_.config().console;
    store_.purgeSessions(now - cc.sessionMax, now - cc.sessionIdle);
    apdu::SecureBytes token = newToken();
    store_.createSession(tokenHash(token), account->id, now);
    record(who, "staff_signin", "ok", std::nullopt, ctx);
    return token;
}

std::optional<StaffIdentity> SupportConsole::session(std::string_view token, bool activity) {
    if (token.empty()) return std::nullopt;
    const std::string hash = tokenHash(token);
    const auto row = store_.session(hash);
    if (!row) return std::nullopt;
    const store::Time now = service_.clock().now();
    const ConsoleConfig& cc = service_.config().console;
    const auto role = staff::roleFromString(row->staff.role);
    if (row->staff.disabled || !role || now - row->createdAt >= cc.sessionMax || now - row->lastSeen >= cc.sessionIdle) {
        store_.deleteSession(hash);
        return std::nullopt;
    }
    if (activity) store_.touchSession(hash, now);
    return StaffIdentity{row->staff.id, row->staff.name, *role, hash};
}

void SupportConsole::signOut(const StaffIdentity& who, const RequestContext& ctx) {
    store_.deleteSession(who.sessionHash);
    record(who, "staff_signout", "ok", std::nullopt, ctx);
}

bool SupportConsole::mayChange(const StaffIdentity& who, const std::string& action, const RequestContext& ctx) {
    if (staff::maySupport(who.role)) return true;
    record(who, "staff_forbidden", action, std::nullopt, ctx);
    return false;
}

void SupportConsole::recordView(const StaffIdentity& who, const std::string& event, std::optional<std::int64_t> caseId,
                                const RequestContext& ctx) {
    record(who, event, "ok", caseId, ctx);
}

CreatedCase SupportConsole::openCase(const StaffIdentity& who, const std::string& serial, const std::string& email,
                                     const std::string& language, const std::vector<QuestionAnswer>& qa,
                                     const RequestContext& ctx) {
    if (!mayChange(who, "open", ctx)) throw ApiException(ApiError::Unauthorized, "role");
    try {
        CreatedCase created = service_.createCase(serial, email, language, qa, ctx);
        store_.recordEvent({created.id, who.name, "open", "", service_.clock().now()});
        record(who, "support_case_open", "ok", created.id, ctx);
        return created;
    } catch (const ApiException& e) {
        record(who, "support_case_open", protocol::toString(e.error()), std::nullopt, ctx);
        throw;
    }
}

std::optional<bool> SupportConsole::resendLink(const StaffIdentity& who, std::int64_t caseId, const RequestContext& ctx) {
    if (!mayChange(who, "resend", ctx)) throw ApiException(ApiError::Unauthorized, "role");
    const auto created = service_.resendLink(caseId, ctx);
    if (created) store_.recordEvent({caseId, who.name, "resend", created->mailSent || created->mailQueued ? "" : "mail not handed over",
                                     service_.clock().now()});
    record(who, "support_case_resend", created ? "ok" : "not_open", caseId, ctx);
    if (!created) return std::nullopt;
    return created->mailSent || created->mailQueued;
}

bool SupportConsole::closeCase(const StaffIdentity& who, std::int64_t caseId, const std::string& reason,
                               const RequestContext& ctx) {
    if (!mayChange(who, "close", ctx)) throw ApiException(ApiError::Unauthorized, "role");
    const bool ok = service_.closeCase(caseId, reason, ctx);
    if (ok) store_.recordEvent({caseId, who.name, "close", reason, service_.clock().now()});
    record(who, "support_case_close", ok ? "ok" : "not_open", caseId, ctx);
    return ok;
}

std::vector<store::CaseRecord> SupportConsole::findCases(const std::string& query) {
    const auto b = query.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    const std::string q = query.substr(b, query.find_last_not_of(" \t") - b + 1);
    std::string serial;
    if (q.find('@') == std::string::npos) {
        try {
            serial = protocol::normaliseSerial(q);
        } catch (const std::exception&) {
            return {};
        }
    }
    std::vector<store::CaseRecord> out;
    for (const std::int64_t id : store_.findCases(serial, serial.empty() ? q : "", 50))
        if (auto c = service_.store().caseById(id)) out.push_back(std::move(*c));
    return out;
}

staff::ScryptCost SupportConsole::cost() const {
    staff::ScryptCost c;
    c.log2N = service_.config().console.scryptLog2N;
    return c;
}

std::string SupportConsole::provisioning(const std::string& name, const std::string& nonceHex) {
    const apdu::SecureBytes seed = staff::totpSeed(nonceHex, service_.hsmMac());
    return staff::provisioningUri(service_.config().brand.issuerName, name, seed);
}

NewStaff SupportConsole::addStaff(const std::string& name, staff::Role role, std::string_view password) {
    if (!staff::validName(name)) throw std::runtime_error("the name must be 1 to 64 of a-z 0-9 . _ -");
    checkPassword(password);
    store::StaffAccount a;
    a.name = name;
    a.role = staff::toString(role);
    a.passwordHash = staff::hashPassword(password, service_.hsmMac(), cost());
    a.totpNonce = apdu::toHex(apdu::crypto::randomBytes(16));
    if (!store_.addStaff(a, service_.clock().now())) throw std::runtime_error("account " + name + " exists");
    return {provisioning(name, a.totpNonce)};
}

void SupportConsole::setPassword(const std::string& name, std::string_view password) {
    checkPassword(password);
    if (!store_.setPassword(name, staff::hashPassword(password, service_.hsmMac(), cost())))
        throw std::runtime_error("no account " + name);
}

NewStaff SupportConsole::resetTotp(const std::string& name) {
    const std::string nonce = apdu::toHex(apdu::crypto::randomBytes(16));
    if (!store_.setTotpNonce(name, nonce)) throw std::runtime_error("no account " + name);
    return {provisioning(name, nonce)};
}

void SupportConsole::disable(const std::string& name) {
    if (!store_.disable(name)) throw std::runtime_error("no account " + name);
}

}  // namespace ias::service
