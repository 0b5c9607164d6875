// SPDX-License-Identifier: Apache-2.0
#include "http/support_pages.hpp"

#include <algorithm>
#include <ctime>

namespace ias::service::http::support_pages {

using pages::escape;

namespace {

std::string when(store::Time t) {
    if (t <= 0) return "—";
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    if (std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) return "—";
    return buf;
}

std::string lang(const Page& p) { return pages::code(p.lang); }
std::string url(const Page& p, const std::string& path) {
    return path + (path.find('?') == std::string::npos ? "?" : "&") + "lang=" + lang(p);
}

std::string hidden(const Page& p) {
    return "<input type=\"hidden\" name=\"csrf\" value=\"" + escape(p.csrf) + "\"><input type=\"hidden\" name=\"lang\" value=\"" +
           lang(p) + "\">";
}

std::string layout(const Page& p, const std::string& title, const std::string& body) {
    std::string h = "<!DOCTYPE html>\n<html lang=\"" + lang(p) +
                    "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>" +
                    escape(title) +
                    "</title><link rel=\"stylesheet\" href=\"/static/holder.css\"><link rel=\"stylesheet\" "
                    "href=\"/static/support.css\"></head><body><header><span class=\"issuer\">" +
                    escape(p.config.brand.issuerName) + " · Support</span><nav class=\"lang\">";
    if (p.who) {
        h += "<span id=\"who\">" + escape(p.who->name) + " (" + staff::toString(p.who->role) +
             ")</span> <form class=\"inline\" method=\"post\" action=\"/support/logout\">" + hidden(p) +
             "<button type=\"submit\" id=\"logout\">" + t(p, "Se déconnecter", "Sign out") + "</button></form> ";
    }
    h += "<a href=\"/support/?lang=fr\">FR</a> · <a href=\"/support/?lang=en\">EN</a></nav></header><main class=\"wide\">";
    if (p.who)
        h += "<p class=\"steps\"><a href=\"" + url(p, "/support/") + "\">" + t(p, "Rechercher", "Search") + "</a>" +
             (staff::maySupport(p.who->role)
                  ? std::string(" · <a id=\"new-case\" href=\"") + url(p, "/support/cases/new") + "\">" +
                        t(p, "Ouvrir un dossier", "Open a case") + "</a>"
                  : std::string()) +
             "</p>";
    h += "<h1>" + escape(title) + "</h1>" + body + "</main><script src=\"/static/support.js\"></script></body></html>\n";
    return h;
}

std::string stateText(const Page& p, const store::CaseRecord& c) {
    switch (c.state) {
        case store::CaseState::Open: return t(p, "ouvert : lien envoyé au titulaire", "open: link sent to the holder");
        case store::CaseState::SecretIssued: return t(p, "secret de déblocage délivré", "unblock secret issued");
        case store::CaseState::Blocked:
            return t(p, "bloqué définitivement (3 réponses erronées)", "definitively blocked (3 wrong answers)");
        case store::CaseState::Closed: return std::string(t(p, "clos : ", "closed: ")) + c.closedReason;
        case store::CaseState::Consumed: return t(p, "déblocage confirmé par le support", "reset confirmed by the token");
    }
    return "";
}

std::string withState(const std::string& text, const std::string& deliveryState) {
    return deliveryState.empty() ? text : text + " [" + deliveryState + "]";
}

}  // namespace

bool caseIsLive(const store::CaseRecord& c) {
    return c.state == store::CaseState::Open || c.state == store::CaseState::SecretIssued;
}

Fields caseFields(const Page& p, const store::CaseRecord& c, const store::CaseActivity& a, store::Time now) {
    Fields f;
    f.emplace_back("f-state", stateText(p, c));
    std::string link = now < c.linkExpiresAt ? std::string(t(p, "valable jusqu'au ", "valid until ")) + when(c.linkExpiresAt)
                                             : std::string(t(p, "expiré le ", "expired on ")) + when(c.linkExpiresAt);
    link += std::string(t(p, " ; ouvert ", "; opened ")) + std::to_string(a.linkOpenings) + t(p, " fois", " time(s)");
    f.emplace_back("f-link", link);
    std::string mail = t(p, "aucun", "none");
    if (!a.mails.empty()) {
        const auto& m = a.mails.back();
        mail = m.sentAt ? std::string(t(p, "remis pour envoi le ", "handed over for delivery on ")) + when(m.sentAt)
                        : std::string(t(p, "non remis", "not handed over"));
        mail += " (" + std::to_string(a.mails.size()) + t(p, " envoi(s))", " mail(s))");
    }
    f.emplace_back("f-mail", withState(mail, a.mailDelivery));
    f.emplace_back("f-answers", std::to_string(c.answerFailures) + t(p, " envoi(s) erroné(s) sur 3", " wrong submission(s) of 3"));
    f.emplace_back("f-secret", c.secretIssuedAt ? std::string(t(p, "délivré le ", "issued on ")) + when(c.secretIssuedAt) +
                                                      t(p, ", expire le ", ", expires on ") + when(c.secretExpiresAt) +
                                                      t(p, ", essais restants : ", ", tries left: ") +
                                                      std::to_string(c.secretTriesLeft)
                                                : std::string(t(p, "non délivré", "not issued")));
    f.emplace_back("f-cryptograms", std::to_string(c.cryptogramsUsed) + t(p, " sur 3 ; présenté au service ", " of 3; presented to the service ") +
                                        std::to_string(a.tickets) + t(p, " fois", " time(s)"));
    std::string revocation = t(p, "aucune", "none");
    if (!a.revocations.empty())
        revocation = std::string(t(p, "demandée le ", "requested on ")) + when(a.revocations.back().createdAt) + " (" +
                     a.revocations.back().reason + ")";
    f.emplace_back("f-revocation", withState(revocation, a.revocationDelivery));
    return f;
}

std::vector<std::string> caseHistory(const Page& p, const store::CaseRecord& c, const store::CaseActivity& a) {
    std::vector<std::pair<store::Time, std::string>> h;
    h.emplace_back(c.createdAt, t(p, "dossier créé", "case created"));
    for (const auto& m : a.mails)
        if (m.sentAt) h.emplace_back(m.sentAt, std::string(t(p, "lien envoyé à ", "link sent to ")) + m.recipient);
    for (const auto& e : a.events) {
        std::string what = e.action == "open"     ? t(p, "a ouvert le dossier", "opened the case")
                           : e.action == "resend" ? t(p, "a renvoyé un nouveau lien (l'ancien ne fonctionne plus)",
                                                      "sent a new link (the old one no longer works)")
                                                  : t(p, "a clos le dossier", "closed the case");
        if (!e.detail.empty()) what += " : " + e.detail;
        h.emplace_back(e.at, e.staff + " " + what);
    }
    if (c.secretIssuedAt) h.emplace_back(c.secretIssuedAt, t(p, "réponses justes : secret délivré", "right answers: secret issued"));
    for (const auto& r : a.revocations)
        h.emplace_back(r.createdAt, std::string(t(p, "bloqué ; demande de révocation : ", "blocked; revocation request: ")) + r.reason);
    std::stable_sort(h.begin(), h.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<std::string> out;
    out.reserve(h.size() + 1);
    for (const auto& [at, text] : h) out.emplace_back(when(at) + " — " + text);
    if (c.state == store::CaseState::Consumed) out.emplace_back(t(p, "déblocage confirmé par le support", "reset confirmed by the token"));
    return out;
}

std::string signIn(const Page& p, bool refused) {
    std::string body;
    if (refused)
        body += "<p class=\"error\" id=\"refused\">" +
                std::string(t(p, "Connexion refusée. Vérifiez le nom, le mot de passe et le code.",
                              "Sign-in refused. Check the name, the password and the code.")) +
                "</p>";
    body += "<form method=\"post\" action=\"/support/login\" autocomplete=\"off\">" + hidden(p) +
            "<p><label for=\"name\">" + t(p, "Nom", "Name") +
            "</label><br><input id=\"name\" name=\"name\" autocapitalize=\"off\" spellcheck=\"false\"></p><p><label "
            "for=\"password\">" +
            t(p, "Mot de passe", "Password") +
            "</label><br><input id=\"password\" name=\"password\" type=\"password\"></p><p><label for=\"code\">" +
            t(p, "Code de l'application d'authentification (6 chiffres)", "Authenticator app code (6 digits)") +
            "</label><br><input id=\"code\" name=\"code\" inputmode=\"numeric\" maxlength=\"6\"></p><p><button "
            "type=\"submit\" id=\"signin\">" +
            t(p, "Se connecter", "Sign in") + "</button></p></form>";
    return layout(p, t(p, "Console du support", "Support console"), body);
}

std::string home(const Page& p, const std::string& query, const std::vector<store::CaseRecord>& found) {
    std::string body = "<form method=\"get\" action=\"/support/\"><input type=\"hidden\" name=\"lang\" value=\"" + lang(p) +
                       "\"><p><label for=\"q\">" +
                       t(p, "Numéro de série ou e-mail", "Serial number or e-mail") + "</label><br><input id=\"q\" name=\"q\" value=\"" +
                       escape(query) + "\"> <button type=\"submit\" id=\"search\">" + t(p, "Rechercher", "Search") +
                       "</button></p></form>";
    if (!query.empty()) {
        if (found.empty()) {
            body += "<p id=\"no-result\">" + std::string(t(p, "Aucun dossier.", "No case.")) + "</p>";
        } else {
            body += "<table id=\"results\"><tr><th>#</th><th>" + std::string(t(p, "Série", "Serial")) + "</th><th>E-mail</th><th>" +
                    t(p, "État", "State") + "</th><th>" + t(p, "Créé", "Created") + "</th></tr>";
            for (const auto& c : found)
                body += "<tr><td><a href=\"" + url(p, "/support/cases/" + std::to_string(c.id)) + "\">" + std::to_string(c.id) +
                        "</a></td><td><code>" + escape(c.serial) + "</code></td><td>" + escape(c.email) + "</td><td>" +
                        escape(stateText(p, c)) + "</td><td>" + when(c.createdAt) + "</td></tr>";
            body += "</table>";
        }
    }
    return layout(p, t(p, "Dossiers", "Cases"), body);
}

std::string newCase(const Page& p, const std::string& error) {
    std::string body;
    if (!error.empty()) body += "<p class=\"error\" id=\"error\">" + escape(error) + "</p>";
    body += "<form method=\"post\" action=\"/support/cases\" autocomplete=\"off\">" + hidden(p) +
            "<p><label for=\"serial\">" + t(p, "Numéro de série du support", "Token serial number") +
            "</label><br><input id=\"serial\" name=\"serial\"></p><p><label for=\"email\">" +
            t(p, "E-mail du titulaire (celui du dossier)", "Holder's e-mail (the one on file)") +
            "</label><br><input id=\"email\" name=\"email\" type=\"email\"></p><p><label for=\"holder_lang\">" +
            t(p, "Langue du titulaire", "Holder's language") +
            "</label><br><select id=\"holder_lang\" name=\"holder_lang\"><option value=\"fr\">Français</option><option "
            "value=\"en\">English</option></select></p><p>" +
            t(p, "Questions et réponses telles qu'enregistrées à la délivrance (réponses exactes, majuscules comprises) :",
              "Questions and answers as recorded at issuance (exact answers, case-sensitive):") +
            "</p>";
    for (int i = 0; i < 3; ++i) {
        const std::string n = std::to_string(i);
        body.append("<p><input class=\"question\" id=\"q").append(n).append("\" name=\"q").append(n);
        body.append("\" placeholder=\"Question ").append(std::to_string(i + 1));
        body.append("\"> <input class=\"answer\" type=\"password\" id=\"a").append(n).append("\" name=\"a").append(n);
        body.append("\" placeholder=\"").append(t(p, "Réponse", "Answer")).append("\"></p>");
    }
    body += "<p><button type=\"submit\" id=\"open\">" + std::string(t(p, "Ouvrir le dossier et envoyer le lien", "Open the case and send the link")) +
            "</button></p></form>";
    return layout(p, t(p, "Ouvrir un dossier", "Open a case"), body);
}

std::string casePage(const Page& p, const store::CaseRecord& c, const store::CaseActivity& a, store::Time now,
                     const std::string& notice) {
    std::string body;
    if (!notice.empty()) body += "<p class=\"notice\" id=\"notice\">" + escape(notice) + "</p>";
    body += "<dl id=\"case\" data-status=\"" + url(p, "/support/cases/" + std::to_string(c.id) + "/status") + "\"><dt>" +
            t(p, "Série", "Serial") + "</dt><dd><code id=\"f-serial\">" + escape(c.serial) + "</code></dd><dt>E-mail</dt><dd id=\"f-email\">" +
            escape(c.email) + "</dd><dt>" + t(p, "Questions", "Questions") + "</dt><dd><ul>";
    for (const auto& q : c.questions) body += "<li>" + escape(q.text) + "</li>";
    body += "</ul></dd>";
    const char* labels[][2] = {{"État", "State"},  {"Lien", "Link"},           {"Envoi du lien", "Link mail"},        {"Réponses", "Answers"},
                               {"Secret", "Secret"}, {"Cryptogrammes", "Cryptograms"}, {"Révocation", "Revocation"}};
    const Fields f = caseFields(p, c, a, now);
    for (std::size_t i = 0; i < f.size(); ++i)
        body += "<dt>" + std::string(t(p, labels[i][0], labels[i][1])) + "</dt><dd id=\"" + f[i].first + "\">" +
                escape(f[i].second) + "</dd>";
    body += "</dl><h2>" + std::string(t(p, "Historique", "History")) + "</h2><ol id=\"history\">";
    for (const auto& line : caseHistory(p, c, a)) body += "<li>" + escape(line) + "</li>";
    body += "</ol>";
    if (p.who && staff::maySupport(p.who->role) && c.state == store::CaseState::Open) {
        body += "<form method=\"post\" action=\"/support/cases/" + std::to_string(c.id) + "/resend\">" + hidden(p) +
                "<p><button type=\"submit\" id=\"resend\">" +
                t(p, "Renvoyer un nouveau lien (l'ancien ne fonctionnera plus)", "Send a new link (the old one stops working)") +
                "</button></p></form>";
    }
    if (p.who && staff::maySupport(p.who->role) && caseIsLive(c)) {
        body += "<form method=\"post\" action=\"/support/cases/" + std::to_string(c.id) + "/close\">" + hidden(p) +
                "<p><label for=\"reason\">" + t(p, "Motif de clôture", "Reason for closing") +
                "</label><br><input id=\"reason\" name=\"reason\" maxlength=\"200\"> <button type=\"submit\" id=\"close\">" +
                t(p, "Clore le dossier", "Close the case") + "</button></p></form>";
    }
    return layout(p, std::string(t(p, "Dossier ", "Case ")) + std::to_string(c.id), body);
}

std::string message(const Page& p, const std::string& title, const std::string& text) {
    return layout(p, title, "<p class=\"error\" id=\"message\">" + escape(text) + "</p>");
}

const std::string& script() {
    // Live refresh of a case page: polls its status (same origin, the session cookie) every
    // 3 s and sets the fields' text (textContent: nothing is parsed as HTML).
    static const std::string s =
        "document.addEventListener('DOMContentLoaded', function () {\n"
        "  var box = document.getElementById('case');\n"
        "  if (!box) return;\n"
        "  var url = box.getAttribute('data-status');\n"
        "  function refresh() {\n"
        "    fetch(url, {credentials: 'same-origin', cache: 'no-store'}).then(function (r) {\n"
        "      if (!r.ok) throw new Error(r.status);\n"
        "      return r.json();\n"
        "    }).then(function (j) {\n"
        "      Object.keys(j.fields).forEach(function (id) {\n"
        "        var e = document.getElementById(id);\n"
        "        if (e && e.textContent !== j.fields[id]) e.textContent = j.fields[id];\n"
        "      });\n"
        "      var h = document.getElementById('history');\n"
        "      while (h.firstChild) h.removeChild(h.firstChild);\n"
        "      j.history.forEach(function (line) {\n"
        "        var li = document.createElement('li');\n"
        "        li.textContent = line;\n"
        "        h.appendChild(li);\n"
        "      });\n"
        "      box.setAttribute('data-refreshed', String(Date.now()));\n"
        "    }).catch(function () { box.setAttribute('data-refresh-failed', 'true'); });\n"
        "  }\n"
        "  setInterval(refresh, 3000);\n"
        "});\n";
    return s;
}

const std::string& stylesheet() {
    static const std::string s =
        "main.wide{max-width:64em}form.inline{display:inline}header button{padding:.2em .6em}"
        "dl{display:grid;grid-template-columns:12em 1fr;gap:.3em 1em}dt{font-weight:bold}dd{margin:0}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left}"
        ".notice{color:#1b5e20;font-weight:bold}input.question{width:45%}input.answer{width:40%}\n";
    return s;
}

}  // namespace ias::service::http::support_pages
