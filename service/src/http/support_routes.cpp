// SPDX-License-Identifier: Apache-2.0
// The support console under /support/ (docs/support.md). Sessions: cookie
// "__Host-ias-support" (Secure, HttpOnly, SameSite=Strict, Path=/), the SHA-256 of its value in
// staff_sessions. Before sign-in, the form's CSRF token comes from a random
// "__Host-ias-support-pre" cookie. Every POST carries csrfFor(cookie), checked in constant
// time. Roles are enforced here and in core/support_console.cpp, never only by hiding buttons.
#include <charconv>
#include <memory>

#include "core/support_console.hpp"
#include "http/common.hpp"
#include "http/support_pages.hpp"
#include "store/sql.hpp"

namespace ias::service::http {

using nlohmann::json;
using protocol::ApiError;
using protocol::ApiException;
namespace sp = support_pages;

namespace {

constexpr const char* kSessionCookie = "__Host-ias-support";
constexpr const char* kPreCookie = "__Host-ias-support-pre";

std::string cookie(const char* name, std::string_view value, int maxAge) {
    return std::string(name) + "=" + std::string(value) + "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" +
           std::to_string(maxAge);
}

pages::Lang langOf(const httplib::Request& req) { return pages::langFrom(req.get_param_value("lang"), "fr"); }


struct StaffRequest {
    RequestContext ctx;
    StaffIdentity who;
    sp::Page page;
};

enum class Access { Page, Action, Poll };

std::string noticeText(const sp::Page& p, const std::string& done) {
    if (done == "opened") return sp::t(p, "Dossier ouvert ; le lien a été envoyé au titulaire.", "Case opened; the link was sent to the holder.");
    if (done == "resent") return sp::t(p, "Nouveau lien envoyé ; l'ancien ne fonctionne plus.", "New link sent; the old one no longer works.");
    if (done == "closed") return sp::t(p, "Dossier clos.", "Case closed.");
    if (done == "mail_not_sent")
        return sp::t(p, "Le courriel n'a pas pu être remis pour envoi : renvoyez un lien.",
                     "The mail could not be handed over for delivery: send a new link.");
    return "";
}

// Each handler holds a reference to this object (shared_from_this): it lives as long as the
// server keeps its handlers.
class SupportRoutes : public std::enable_shared_from_this<SupportRoutes> {
public:
    explicit SupportRoutes(Routes& r) : r_(r), console_(r.service) {}

    // Runs f for the signed-in person; otherwise the sign-in page (pages), or 401 (poll).
    // Actions check the CSRF field first. Errors become pages, never exception text.
    void withStaff(const httplib::Request& req, httplib::Response& res, Access access,
                   const std::function<void(const StaffRequest&)>& f) {
        const RequestContext ctx = contextFor(r_, req, res);
        sp::Page page{r_.service.config(), langOf(req), nullptr, ""};
        try {
            const apdu::SecureBytes sid = cookieValue(req, kSessionCookie);
            const auto who = console_.session(asText(sid), access != Access::Poll);
            if (!who) {
                if (access == Access::Poll) {
                    sendError(res, ctx, ApiError::Unauthorized);
                } else {
                    res.set_redirect("/support/login?lang=" + std::string(pages::code(page.lang)), 303);
                }
                return;
            }
            StaffRequest s{ctx, *who, page};
            s.page.who = &s.who;
            s.page.csrf = csrfFor(asText(sid));
            if (access == Access::Action && !csrfMatches(req, asText(sid))) {
                sendPage(res, 403, sp::message(s.page, sp::t(page, "Formulaire expiré", "Form expired"),
                                               sp::t(page, "Rechargez la page et recommencez.", "Reload the page and try again.")));
                return;
            }
            f(s);
        } catch (const ApiException& e) {
            setRetryAfter(res, e);
            sendPage(res, protocol::httpStatus(e.error()),
                     sp::message(page, sp::t(page, "Refusé", "Refused"), protocol::toString(e.error())));
        } catch (const store::StoreError& e) {
            r_.diagnostics << "request " << ctx.requestId << ": storage " << (e.unavailable() ? "unavailable" : "error")
                           << " (support console)" << std::endl;
            sendPage(res, e.unavailable() ? 503 : 500,
                     sp::message(page, sp::t(page, "Service indisponible", "Service unavailable"),
                                 sp::t(page, "Rien n'a été modifié.", "Nothing was changed.")));
        } catch (const std::exception&) {
            r_.diagnostics << "request " << ctx.requestId << ": internal error (support console)" << std::endl;
            sendPage(res, 500, sp::message(page, sp::t(page, "Erreur interne", "Internal error"),
                                           sp::t(page, "Rien n'a été modifié.", "Nothing was changed.")));
        }
    }

    static void forbidden(httplib::Response& res, const StaffRequest& s) {
        sendPage(res, 403, sp::message(s.page, sp::t(s.page, "Action refusée", "Action refused"),
                                       sp::t(s.page, "Votre rôle (auditor) permet seulement de consulter.",
                                             "Your role (auditor) may only read.")));
    }

    void redirectToCase(httplib::Response& res, const StaffRequest& s, std::int64_t id, const std::string& done) {
        res.set_redirect("/support/cases/" + std::to_string(id) + "?lang=" + pages::code(s.page.lang) + "&done=" + done, 303);
    }

    void signInPage(const httplib::Request& req, httplib::Response& res, int status, bool refused) {
        const apdu::SecureBytes pre = newToken();
        res.set_header("Set-Cookie", cookie(kPreCookie, asText(pre), 3600));
        sendPage(res, status, sp::signIn({r_.service.config(), langOf(req), nullptr, csrfFor(asText(pre))}, refused));
    }

    void signIn(const httplib::Request& req, httplib::Response& res) {
        const RequestContext ctx = contextFor(r_, req, res);
        const sp::Page page{r_.service.config(), langOf(req), nullptr, ""};
        try {
            const apdu::SecureBytes pre = cookieValue(req, kPreCookie);
            if (!csrfMatches(req, asText(pre))) {
                signInPage(req, res, 403, true);
                return;
            }
            const apdu::SecureBytes name = formValue(req, "name"), password = formValue(req, "password"),
                                    code = formValue(req, "code");
            const apdu::SecureBytes sid = console_.signIn(std::string(asText(name)), asText(password), asText(code), ctx);
            res.set_header("Set-Cookie", cookie(kSessionCookie, asText(sid), r_.service.config().console.sessionMax));
            res.set_redirect("/support/?lang=" + std::string(pages::code(page.lang)), 303);
        } catch (const RateLimitedError& e) {
            setRetryAfter(res, e);
            sendPage(res, 429, sp::message(page, sp::t(page, "Trop de tentatives", "Too many attempts"),
                                           sp::t(page, "Réessayez dans quelques minutes.", "Try again in a few minutes.")));
        } catch (const ApiException&) {
            signInPage(req, res, 401, true);
        } catch (const std::exception&) {
            r_.diagnostics << "request " << ctx.requestId << ": sign-in failed (support console)" << std::endl;
            sendPage(res, 503, sp::message(page, sp::t(page, "Service indisponible", "Service unavailable"),
                                           sp::t(page, "Réessayez dans quelques minutes.", "Try again in a few minutes.")));
        }
    }

    void install(httplib::Server& s) {
        s.Get("/support", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/support/", 301); });
        s.Get("/support/login", [this, self = shared_from_this()](const httplib::Request& req, httplib::Response& res) { signInPage(req, res, 200, false); });
        s.Post("/support/login", [this, self = shared_from_this()](const httplib::Request& req, httplib::Response& res) { signIn(req, res); });
        s.Post("/support/logout", [this, self = shared_from_this()](const httplib::Request& req, httplib::Response& res) {
            withStaff(req, res, Access::Action, [&](const StaffRequest& x) {
                console_.signOut(x.who, x.ctx);
                res.set_header("Set-Cookie", cookie(kSessionCookie, "", 0));
                res.set_redirect("/support/login?lang=" + std::string(pages::code(x.page.lang)), 303);
            });
        });
        s.Get("/support/", [this, self = shared_from_this()](const httplib::Request& req, httplib::Response& res) {
            withStaff(req, res, Access::Page, [&](const StaffRequest& x) {
                const std::string q = req.get_param_value("q");
                std::vector<store::CaseRecord> found;
                if (!q.empty()) {
                    found = console_.findCases(q);
                    console_.recordView(x.who, "support_search", std::nullopt, x.ctx);
                }
                sendPage(res, 200, sp::home(x.page, q, found));
            });
        });
        s.Get("/support/cases/new", [this, self = shared_from_this()](const httplib::Request& req, httplib::Response& res) {
            withStaff(req, res, Access::Page, [&](const StaffRequest& x) {
                if (!console_.mayChange(x.who, "open", x.ctx)) return forbidden(res, x);
                sendPage(res, 200, sp::newCase(x.page, ""));
            });
        });
        s.Post("/support/cases", [this, self = shared_from_this()](const httplib::Request& req, httplib::Response& res) {
            withStaff(req, res, Access::Action, [&](const StaffRequest& x) {
                if (!console_.mayChange(x.who, "open", x.ctx)) return forbidden(res, x);
                std::vector<QuestionAnswer> qa;
                for (int i = 0; i < 10; ++i) {
                    const std::string n = std::to_string(i);
                    std::string question = req.get_param_value("q" + n);
                    apdu::SecureBytes answer = formValue(req, "a" + n);
                    if (question.empty() && answer.empty()) continue;
                    qa.push_back({std::move(question), std::move(answer)});
                }
                try {
                    const CreatedCase created = console_.openCase(x.who, req.get_param_value("serial"), req.get_param_value("email"),
                                                                  req.get_param_value("holder_lang") == "en" ? "en" : "fr", qa, x.ctx);
                    redirectToCase(res, x, created.id, created.mailSent || created.mailQueued ? "opened" : "mail_not_sent");
                } catch (const ApiException& e) {
                    if (e.error() != ApiError::BadRequest) throw;
                    sendPage(res, 400, sp::newCase(x.page, e.what()));
                }
            });
        });
        s.Get(R"(/support/cases/(\d{1,18}))", [this, self = shared_from_this()](const httplib::Request& req, httplib::Response& res) {
            withStaff(req, res, Access::Page, [&](const StaffRequest& x) {
                const auto id = caseIdOf(req);
                const store::CaseRecord c = r_.service.openCaseById(id.value_or(0));
                console_.recordView(x.who, "support_case_view", c.id, x.ctx);
                sendPage(res, 200, sp::casePage(x.page, c, console_.activity(c.id), r_.service.clock().now(),
                                                noticeText(x.page, req.get_param_value("done"))));
            });
        });
        s.Get(R"(/support/cases/(\d{1,18})/status)", [this, self = shared_from_this()](const httplib::Request& req, httplib::Response& res) {
            withStaff(req, res, Access::Poll, [&](const StaffRequest& x) {
                const store::CaseRecord c = r_.service.openCaseById(caseIdOf(req).value_or(0));
                const store::CaseActivity a = console_.activity(c.id);
                json fields = json::object();
                for (const auto& [id, text] : sp::caseFields(x.page, c, a, r_.service.clock().now())) fields[id] = text;
                sendJson(res, 200,
                         json{{"fields", fields}, {"history", sp::caseHistory(x.page, c, a)}, {"live", sp::caseIsLive(c)}}
                             .dump(-1, ' ', false, json::error_handler_t::replace));
            });
        });
        s.Post(R"(/support/cases/(\d{1,18})/resend)", [this, self = shared_from_this()](const httplib::Request& req, httplib::Response& res) {
            withStaff(req, res, Access::Action, [&](const StaffRequest& x) {
                if (!console_.mayChange(x.who, "resend", x.ctx)) return forbidden(res, x);
                const std::int64_t id = caseIdOf(req).value_or(0);
                const auto sent = console_.resendLink(x.who, id, x.ctx);
                if (!sent) throw ApiException(ApiError::Blocked, "not open");
                redirectToCase(res, x, id, *sent ? "resent" : "mail_not_sent");
            });
        });
        s.Post(R"(/support/cases/(\d{1,18})/close)", [this, self = shared_from_this()](const httplib::Request& req, httplib::Response& res) {
            withStaff(req, res, Access::Action, [&](const StaffRequest& x) {
                if (!console_.mayChange(x.who, "close", x.ctx)) return forbidden(res, x);
                const std::int64_t id = caseIdOf(req).value_or(0);
                std::string reason = req.get_param_value("reason");
                if (reason.size() > 200) reason.resize(200);
                for (char& ch : reason)
                    if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
                if (reason.find_first_not_of(' ') == std::string::npos) {
                    sendPage(res, 400, sp::message(x.page, sp::t(x.page, "Motif manquant", "Reason missing"),
                                                   sp::t(x.page, "Indiquez le motif de clôture.", "Give the reason for closing.")));
                    return;
                }
                if (!console_.closeCase(x.who, id, reason, x.ctx)) throw ApiException(ApiError::Blocked, "not open");
                redirectToCase(res, x, id, "closed");
            });
        });
        s.Get("/static/support.js", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(sp::script(), "text/javascript; charset=utf-8");
        });
        s.Get("/static/support.css", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(sp::stylesheet(), "text/css; charset=utf-8");
        });
    }

private:
    Routes& r_;
    SupportConsole console_;
};

}  // namespace

void installSupportRoutes(httplib::Server& s, Routes& r) {
    std::make_shared<SupportRoutes>(r)->install(s);
}

}  // namespace ias::service::http
