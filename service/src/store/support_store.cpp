// SPDX-License-Identifier: Apache-2.0
#include "store/support_store.hpp"

#include <algorithm>

#include "store/revocation_queue.hpp"
#include "store/sql.hpp"

namespace ias::service::store {

namespace {

constexpr const char* kStaffColumns =
    "staff.id, staff.name, staff.role, staff.password_hash, staff.totp_nonce, staff.totp_last_step, staff.failures, "
    "staff.locked_until, staff.disabled, staff.created_at";

StaffAccount toStaff(const SqlRow& r) {
    return {num(r[0]), text(r[1]), text(r[2]), text(r[3]), text(r[4]), num(r[5]), static_cast<int>(num(r[6])),
            num(r[7]),  num(r[8]) != 0, num(r[9])};
}

template <class F>
auto on(Store& s, F&& f) {
    using R = decltype(f(std::declval<SqlConnection&>()));
    std::optional<R> out;
    s.withConnection([&](SqlConnection& c) { out.emplace(f(c)); });
    return std::move(*out);
}

}  // namespace

bool SupportStore::addStaff(const StaffAccount& a, Time now) {
    return on(store_, [&](SqlConnection& c) {
        Transaction tx(c);
        if (!c.query("SELECT id FROM staff WHERE name = ?", {a.name}).empty()) return false;
        try {
            c.exec("INSERT INTO staff (name, role, password_hash, totp_nonce, created_at) VALUES (?, ?, ?, ?, ?)",
                   {a.name, a.role, a.passwordHash, a.totpNonce, now});
        } catch (const StoreError& e) {
            if (e.uniqueViolation()) return false;
            throw;
        }
        tx.commit();
        return true;
    });
}

std::optional<StaffAccount> SupportStore::staffByName(const std::string& name) {
    return on(store_, [&](SqlConnection& c) -> std::optional<StaffAccount> {
        const auto rows = c.query(std::string("SELECT ") + kStaffColumns + " FROM staff WHERE name = ?", {name});
        if (rows.empty()) return std::nullopt;
        return toStaff(rows[0]);
    });
}

std::vector<StaffAccount> SupportStore::listStaff() {
    return on(store_, [&](SqlConnection& c) {
        std::vector<StaffAccount> out;
        for (const auto& r : c.query(std::string("SELECT ") + kStaffColumns + " FROM staff ORDER BY name"))
            out.push_back(toStaff(r));
        return out;
    });
}

bool SupportStore::setPassword(const std::string& name, const std::string& passwordHash) {
    return on(store_, [&](SqlConnection& c) {
        return !c.query("UPDATE staff SET password_hash = ?, failures = 0, locked_until = 0 WHERE name = ? RETURNING id",
                        {passwordHash, name})
                    .empty();
    });
}

bool SupportStore::setTotpNonce(const std::string& name, const std::string& nonceHex) {
    return on(store_, [&](SqlConnection& c) {
        return !c.query("UPDATE staff SET totp_nonce = ?, totp_last_step = 0, failures = 0, locked_until = 0 "
                        "WHERE name = ? RETURNING id",
                        {nonceHex, name})
                    .empty();
    });
}

bool SupportStore::disable(const std::string& name) {
    return on(store_, [&](SqlConnection& c) {
        Transaction tx(c);
        const auto rows = c.query("UPDATE staff SET disabled = 1 WHERE name = ? RETURNING id", {name});
        if (rows.empty()) return false;
        c.exec("DELETE FROM staff_sessions WHERE staff_id = ?", {num(rows[0][0])});
        tx.commit();
        return true;
    });
}

int SupportStore::recordLoginFailure(std::int64_t staffId, int lockAfter, Time lockUntil) {
    return on(store_, [&](SqlConnection& c) {
        Transaction tx(c);
        const auto rows = c.query("UPDATE staff SET failures = failures + 1 WHERE id = ? RETURNING failures", {staffId});
        const int failures = rows.empty() ? 0 : static_cast<int>(num(rows[0][0]));
        if (failures >= lockAfter)
            c.exec("UPDATE staff SET locked_until = ?, failures = 0 WHERE id = ?", {lockUntil, staffId});
        tx.commit();
        return failures;
    });
}

bool SupportStore::acceptLogin(std::int64_t staffId, std::int64_t step) {
    return on(store_, [&](SqlConnection& c) {
        return !c.query("UPDATE staff SET totp_last_step = ?, failures = 0 WHERE id = ? AND totp_last_step < ? "
                        "RETURNING id",
                        {step, staffId, step})
                    .empty();
    });
}

void SupportStore::createSession(const std::string& sessionHash, std::int64_t staffId, Time now) {
    on(store_, [&](SqlConnection& c) {
        c.exec("INSERT INTO staff_sessions (hash, staff_id, created_at, last_seen) VALUES (?, ?, ?, ?)",
               {sessionHash, staffId, now, now});
        return 0;
    });
}

std::optional<StaffSessionRow> SupportStore::session(const std::string& sessionHash) {
    return on(store_, [&](SqlConnection& c) -> std::optional<StaffSessionRow> {
        const auto rows = c.query(std::string("SELECT ") + kStaffColumns +
                                      ", s.created_at, s.last_seen FROM staff_sessions s JOIN staff ON staff.id = "
                                      "s.staff_id WHERE s.hash = ?",
                                  {sessionHash});
        if (rows.empty()) return std::nullopt;
        return StaffSessionRow{toStaff(rows[0]), num(rows[0][10]), num(rows[0][11])};
    });
}

void SupportStore::touchSession(const std::string& sessionHash, Time now) {
    on(store_, [&](SqlConnection& c) {
        c.setDurable(false);  // lost to a power loss: the session only looks idle earlier
        c.exec("UPDATE staff_sessions SET last_seen = ? WHERE hash = ?", {now, sessionHash});
        return 0;
    });
}

void SupportStore::deleteSession(const std::string& sessionHash) {
    on(store_, [&](SqlConnection& c) {
        c.exec("DELETE FROM staff_sessions WHERE hash = ?", {sessionHash});
        return 0;
    });
}

void SupportStore::purgeSessions(Time createdBefore, Time idleBefore) {
    on(store_, [&](SqlConnection& c) {
        c.exec("DELETE FROM staff_sessions WHERE created_at < ? OR last_seen < ?", {createdBefore, idleBefore});
        return 0;
    });
}

void SupportStore::recordEvent(const SupportEvent& e) {
    on(store_, [&](SqlConnection& c) {
        c.exec("INSERT INTO support_events (case_id, staff, action, detail, at) VALUES (?, ?, ?, ?, ?)",
               {e.caseId, e.staff, e.action, e.detail, e.at});
        return 0;
    });
}

std::vector<std::int64_t> SupportStore::findCases(const std::string& serial, const std::string& email, int limit) {
    return on(store_, [&](SqlConnection& c) {
        std::vector<std::int64_t> out;
        for (const auto& r : c.query("SELECT id FROM cases WHERE serial = ? OR lower(email) = lower(?) ORDER BY id DESC "
                                     "LIMIT ?",
                                     {serial, email, std::int64_t{limit}}))
            out.push_back(num(r[0]));
        return out;
    });
}

CaseActivity SupportStore::activity(std::int64_t caseId) {
    return on(store_, [&](SqlConnection& c) {
        CaseActivity a;
        a.linkOpenings = static_cast<int>(
            num(c.query("SELECT COUNT(*) FROM holder_sessions WHERE case_id = ?", {caseId}).at(0).at(0)));
        a.tickets = static_cast<int>(num(c.query("SELECT COUNT(*) FROM tickets WHERE case_id = ?", {caseId}).at(0).at(0)));
        for (const auto& r : c.query("SELECT id, case_id, recipient, subject, created_at, sent_at, state, attempts, "
                                     "next_attempt_at, last_error FROM outbox WHERE case_id = ? ORDER BY id",
                                     {caseId})) {
            OutboxMail m;
            m.id = num(r[0]);
            m.caseId = num(r[1]);
            m.recipient = text(r[2]);
            m.subject = text(r[3]);
            m.createdAt = num(r[4]);
            m.sentAt = num(r[5]);
            m.state = text(r[6]);
            m.attempts = static_cast<int>(num(r[7]));
            m.nextAttemptAt = num(r[8]);
            m.lastError = text(r[9]);
            a.mails.push_back(std::move(m));
        }
        a.revocations = listRevocations(c, caseId);
        for (const auto& r :
             c.query("SELECT case_id, staff, action, detail, at FROM support_events WHERE case_id = ? ORDER BY id", {caseId}))
            a.events.push_back({num(r[0]), text(r[1]), text(r[2]), text(r[3]), num(r[4])});
        // The delivery state of the case's last mail (schema 6) and of its revocation request (schema 7).
        a.mailDelivery = a.mails.empty() ? "" : a.mails.back().state;
        if (!a.revocations.empty())
            a.revocationDelivery = a.revocations.back().state == RevocationState::Delivered ? "delivered" : "pending";
        return a;
    });
}

bool SupportStore::renewLink(std::int64_t caseId, const std::string& linkHash, Time linkExpiresAt,
                             const std::string& mailSubject, const std::string& sealedLink, Time now) {
    return on(store_, [&](SqlConnection& c) {
        Transaction tx(c);
        const auto rows = c.query("SELECT state, email FROM cases WHERE id = ?" + std::string(c.forUpdate()), {caseId});
        if (rows.empty() || text(rows[0][0]) != "open") return false;
        c.exec("UPDATE cases SET link_hash = ?, link_expires_at = ? WHERE id = ?", {linkHash, linkExpiresAt, caseId});
        // The holder sessions of the old link end now (kept: they count the link's openings).
        c.exec("UPDATE holder_sessions SET expires_at = 0 WHERE case_id = ?", {caseId});
        // A mail of the old link still waiting in the queue is never sent: its link is dead.
        c.exec("UPDATE outbox SET state = 'failed', last_error = 'superseded by a new link', link_sealed = NULL "
               "WHERE case_id = ? AND state = 'queued'",
               {caseId});
        if (sealedLink.empty())  // handed over by the caller (outbox_dir) or not at all
            c.exec("INSERT INTO outbox (recipient, subject, body, created_at, case_id, state) "
                   "VALUES (?, ?, '', ?, ?, 'not_sent')",
                   {text(rows[0][1]), mailSubject, now, caseId});
        else  // the SMTP queue (schema 6), as at the case's creation
            c.exec("INSERT INTO outbox (recipient, subject, body, created_at, case_id, state, next_attempt_at, "
                   "link_sealed) VALUES (?, ?, '', ?, ?, 'queued', ?, ?)",
                   {text(rows[0][1]), mailSubject, now, caseId, now, sealedLink});
        tx.commit();
        return true;
    });
}

}  // namespace ias::service::store
