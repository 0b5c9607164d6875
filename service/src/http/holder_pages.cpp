// SPDX-License-Identifier: Apache-2.0
// Holder pages. The link token is only in the first URL (/h/<token>): it opens a session
// (cookie "__Host-ias-holder": Secure, HttpOnly, SameSite=Lax so that it survives the
// redirect of a link opened from a mail client) and redirects to /holder,
// so no secret stays in URLs, history or referrers. Forms carry a CSRF token derived from
// the session (SHA-256("csrf" || session)), checked in constant time.
#include "core/tokens.hpp"
#include "http/common.hpp"
#include "http/pages.hpp"
#include "store/sql.hpp"

namespace ias::service::http {

using protocol::ApiError;
using protocol::ApiException;

namespace {

constexpr const char* kCookie = "__Host-ias-holder";

struct HolderRequest {
    RequestContext ctx;
    store::CaseRecord c;
    std::string session;  // plain session id (from the cookie)
    pages::Lang lang;
};

// Runs f for the case of the holder's session; refusals become refusal pages.
void withHolder(Routes& r, const httplib::Request& req, httplib::Response& res,
                const std::function<void(HolderRequest&)>& f) {
    const RequestContext ctx = contextFor(r, req, res);
    pages::Lang lang = pages::langFrom(req.get_param_value("lang"), "fr");
    try {
        const apdu::SecureBytes sid = cookieValue(req, kCookie);
        if (sid.empty()) throw ApiException(ApiError::Unauthorized, "no session");
        const auto s = r.service.store().holderSession(tokenHash(sid), r.service.clock().now());
        if (!s) throw ApiException(ApiError::Unauthorized, "no session");
        HolderRequest h{ctx, r.service.openCaseById(s->caseId), std::string(asText(sid)), lang};
        h.lang = lang = pages::langFrom(req.get_param_value("lang"), h.c.language);
        if (const auto e = r.service.caseRefusal(h.c)) throw ApiException(*e, "refused");
        f(h);
    } catch (const ApiException& e) {
        setRetryAfter(res, e);
        sendPage(res, protocol::httpStatus(e.error()), pages::refusal({r.service.config(), lang}, e.error()));
    } catch (const store::StoreError& e) {
        r.diagnostics << "request " << ctx.requestId << ": storage " << (e.unavailable() ? "unavailable" : "error")
                      << " (holder page)" << std::endl;
        const ApiError err = e.unavailable() ? ApiError::Unavailable : ApiError::Internal;
        sendPage(res, protocol::httpStatus(err), pages::refusal({r.service.config(), lang}, err));
    } catch (const std::exception&) {
        r.diagnostics << "request " << ctx.requestId << ": internal error (holder page)" << std::endl;
        sendPage(res, 500, pages::refusal({r.service.config(), lang}, ApiError::Internal));
    }
}

bool validColor(const std::string& c) {
    if (c.size() != 4 && c.size() != 7) return false;
    if (c[0] != '#') return false;
    for (std::size_t i = 1; i < c.size(); ++i)
        if (!std::isxdigit(static_cast<unsigned char>(c[i]))) return false;
    return true;
}

}  // namespace

void installHolderPages(httplib::Server& s, Routes& r) {
    s.Get(R"(/h/([0-9a-f]{64}))", [&r](const httplib::Request& req, httplib::Response& res) {
        const RequestContext ctx = contextFor(r, req, res);
        pages::Lang lang = pages::langFrom(req.get_param_value("lang"), "fr");
        try {
            const std::string token = req.matches[1];
            const auto c = r.service.openCaseByLink(apdu::secureCopy(std::string_view(token)), ctx);
            const apdu::SecureBytes sid = newToken();
            const store::Time now = r.service.clock().now();
            r.service.store().createHolderSession(
                tokenHash(sid), {c.id, tokenHash(csrfFor(asText(sid))), std::min(c.linkExpiresAt, now + 3600)});
            res.set_header("Set-Cookie", std::string(kCookie) + "=" + std::string(asText(sid)) +
                                             "; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=3600");
            res.set_redirect("/holder?lang=" + std::string(pages::code(pages::langFrom(req.get_param_value("lang"), c.language))),
                             303);
        } catch (const ApiException& e) {
            setRetryAfter(res, e);
            sendPage(res, protocol::httpStatus(e.error()), pages::refusal({r.service.config(), lang}, e.error()));
        } catch (const store::StoreError& e) {
            const ApiError err = e.unavailable() ? ApiError::Unavailable : ApiError::Internal;
            sendPage(res, protocol::httpStatus(err), pages::refusal({r.service.config(), lang}, err));
        } catch (const std::exception&) {
            sendPage(res, 500, pages::refusal({r.service.config(), lang}, ApiError::Internal));
        }
    });
    s.Get("/holder", [&r](const httplib::Request& req, httplib::Response& res) {
        withHolder(r, req, res, [&](const HolderRequest& h) {
            sendPage(res, 200, pages::initialisation({r.service.config(), h.lang}, h.c.serial,
                                                     h.c.linkExpiresAt - r.service.clock().now()));
        });
    });
    s.Get("/holder/questions", [&r](const httplib::Request& req, httplib::Response& res) {
        withHolder(r, req, res, [&](HolderRequest& h) {
            std::vector<std::string> qs;
            for (const auto& q : h.c.questions) qs.push_back(q.text);
            sendPage(res, 200, pages::questions({r.service.config(), h.lang}, qs, protocol::kMaxAnswerSubmissions - h.c.answerFailures,
                                                csrfFor(h.session), false));
        });
    });
    s.Post("/holder/answers", [&r](const httplib::Request& req, httplib::Response& res) {
        withHolder(r, req, res, [&](HolderRequest& h) {
            h.lang = pages::langFrom(req.get_param_value("lang"), h.c.language);
            const std::string expected = csrfFor(h.session);
            if (!csrfMatches(req, h.session)) throw ApiException(ApiError::Csrf, "csrf");
            std::vector<apdu::SecureBytes> answers;
            for (std::size_t i = 0; i < h.c.questions.size(); ++i)
                answers.push_back(formValue(req, "a" + std::to_string(i)));
            std::vector<std::string> qs;
            for (const auto& q : h.c.questions) qs.push_back(q.text);
            try {
                const IssuedSecret issued = r.service.submitAnswers(h.c.id, answers, h.ctx);
                const apdu::SecureBytes display = issued.secret.display();
                std::string html = pages::secret({r.service.config(), h.lang}, issued.serial, asText(display));
                sendPage(res, 200, html);
                apdu::wipeMemory(html.data(), html.size());
            } catch (const ApiException& e) {
                if (e.error() != ApiError::WrongAnswers) throw;
                sendPage(res, 403, pages::questions({r.service.config(), h.lang}, qs, e.triesLeft().value_or(0),
                                                    expected, true));
            }
        });
    });
    s.Get("/static/holder.js", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(pages::script(), "text/javascript; charset=utf-8");
    });
    s.Get("/static/holder.css", [&r](const httplib::Request&, httplib::Response& res) {
        std::string css = pages::stylesheet();
        const std::string& color = r.service.config().brand.accentColor;
        if (validColor(color))
            for (std::size_t p = 0; (p = css.find("#1d4e89", p)) != std::string::npos; p += color.size())
                css.replace(p, 7, color);
        res.set_content(css, "text/css; charset=utf-8");
    });
}

}  // namespace ias::service::http
