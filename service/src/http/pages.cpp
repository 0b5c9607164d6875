// SPDX-License-Identifier: Apache-2.0
#include "http/pages.hpp"

namespace ias::service::http::pages {

namespace {

bool fr(const PageContext& p) { return p.lang == Lang::Fr; }
const char* t(const PageContext& p, const char* f, const char* e) { return fr(p) ? f : e; }

std::string layout(const PageContext& p, const std::string& title, const std::string& step, const std::string& body,
                   bool withSupport) {
    const auto& s = p.config.support;
    std::string h = "<!DOCTYPE html>\n<html lang=\"" + std::string(code(p.lang)) +
                    "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
                    "<title>" + escape(title) + "</title><link rel=\"stylesheet\" href=\"/static/holder.css\"></head>"
                    "<body><header><span class=\"issuer\">" + escape(p.config.brand.issuerName) +
                    "</span><nav class=\"lang\"><a href=\"/holder?lang=fr\">FR</a> · <a href=\"/holder?lang=en\">EN</a></nav></header>"
                    "<main><p class=\"steps\">" + step + "</p><h1>" + escape(title) + "</h1>" + body;
    if (withSupport) {
        h += "<section id=\"support\"><h2>" + std::string(t(p, "Contacter le support", "Contact support")) +
             "</h2><ul><li>" + t(p, "Site", "Web") + " : <a href=\"" + escape(s.web) + "\">" + escape(s.web) +
             "</a></li><li>" + t(p, "E-mail", "E-mail") + " : " + escape(s.email) + "</li><li>" +
             t(p, "Téléphone", "Phone") + " : " + escape(s.phone) + "</li><li>" + t(p, "Horaires", "Hours") + " : " +
             escape(s.hours) + "</li></ul></section>";
    }
    h += "</main><script src=\"/static/holder.js\"></script></body></html>\n";
    return h;
}

std::string steps(const PageContext& p, int current) {
    const char* labelsFr[] = {"1 Initialisation", "2 Questions secrètes", "3 Secret de déblocage"};
    const char* labelsEn[] = {"1 Initialisation", "2 Secret questions", "3 Unblock secret"};
    std::string out;
    for (int i = 0; i < 3; ++i) {
        if (i) out += " · ";
        const std::string label = p.lang == Lang::Fr ? labelsFr[i] : labelsEn[i];
        out += i + 1 == current ? "<strong>" + label + "</strong>" : label;
    }
    return out;
}

}  // namespace

Lang langFrom(const std::string& c, const std::string& fallback) {
    if (c == "en") return Lang::En;
    if (c == "fr") return Lang::Fr;
    return fallback == "en" ? Lang::En : Lang::Fr;
}

const char* code(Lang l) { return l == Lang::En ? "en" : "fr"; }

std::string escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string initialisation(const PageContext& p, const std::string& serial, long long expiresIn) {
    const long long hours = expiresIn / 3600, minutes = (expiresIn % 3600) / 60;
    std::string body =
        "<p>" + std::string(t(p, "Support (numéro de série) : ", "Token (serial number): ")) + "<code id=\"serial\">" +
        escape(serial) + "</code></p><p>" +
        t(p, "Vous allez répondre aux questions secrètes enregistrées lors de la délivrance de votre certificat. "
             "Les réponses respectent les majuscules et minuscules. Après trois envois erronés, le support est "
             "définitivement bloqué et le certificat doit être révoqué.",
          "You will answer the secret questions registered when your certificate was issued. Answers are "
          "case-sensitive. After three wrong submissions the token is definitively blocked and the certificate "
          "must be revoked.") +
        "</p><p>" +
        t(p, "Avant de commencer : lisez ces instructions, vérifiez que le pilote est installé et que votre support "
             "est branché.",
          "Before you start: read these instructions, check that the driver is installed and that your token is "
          "plugged in.") +
        "</p><p class=\"validity\">" + t(p, "Ce lien reste valable ", "This link remains valid for ") +
        std::to_string(hours) + " h " + std::to_string(minutes) + " min.</p><p><a class=\"button\" id=\"start\" href=\"/holder/questions?lang=" +
        code(p.lang) + "\">" + t(p, "Débloquer mon support", "Unblock my token") + "</a></p>";
    return layout(p, t(p, "Déblocage de votre support", "Unblocking your token"), steps(p, 1), body, false);
}

std::string questions(const PageContext& p, const std::vector<std::string>& qs, int triesLeft, const std::string& csrf,
                      bool wrongBefore) {
    std::string body;
    if (wrongBefore) {
        body += "<p class=\"error\" id=\"wrong\">" +
                std::string(t(p, "Réponse(s) erronée(s). Il vous reste ", "Wrong answer(s). You have ")) +
                std::to_string(triesLeft) + t(p, " essai(s).", " attempt(s) left.") + "</p>";
    } else {
        body += "<p>" + std::string(t(p, "Essais restants : ", "Attempts left: ")) + std::to_string(triesLeft) + "</p>";
    }
    body += "<form method=\"post\" action=\"/holder/answers\" autocomplete=\"off\"><input type=\"hidden\" name=\"csrf\" value=\"" +
            escape(csrf) + "\"><input type=\"hidden\" name=\"lang\" value=\"" + code(p.lang) + "\">";
    for (std::size_t i = 0; i < qs.size(); ++i) {
        const std::string id = "a" + std::to_string(i);
        body.append("<p><label for=\"").append(id).append("\">").append(escape(qs[i]));
        body.append("</label><br><input type=\"password\" class=\"answer\" id=\"").append(id).append("\" name=\"").append(id);
        body.append("\" autocomplete=\"off\" autocapitalize=\"off\" spellcheck=\"false\"></p>");
    }
    body += "<p><label><input type=\"checkbox\" id=\"show\"> " +
            std::string(t(p, "Afficher les valeurs", "Show values")) + "</label></p><p><button type=\"submit\" id=\"submit\">" +
            t(p, "Valider", "Submit") + "</button></p></form>";
    return layout(p, t(p, "Questions secrètes", "Secret questions"), steps(p, 2), body, false);
}

std::string secret(const PageContext& p, const std::string& serial, std::string_view secretDisplay) {
    std::string body =
        "<p>" + std::string(t(p, "Votre secret de déblocage pour le support ", "Your unblock secret for token ")) +
        "<code>" + escape(serial) + "</code> :</p><p class=\"secret\" id=\"secret\">" + escape(secretDisplay) + "</p><p>" +
        t(p, "Il n'est affiché qu'une fois : notez-le maintenant. Il est valable 24 heures et 3 essais, pour ce "
             "support uniquement.",
          "It is shown only once: write it down now. It is valid for 24 hours and 3 attempts, for this token only.") +
        "</p><h2>" + t(p, "Comment l'utiliser", "How to use it") + "</h2><ul><li><strong>ias-unblock</strong> : " +
        t(p, "lancez l'outil guidé, saisissez le secret puis choisissez votre nouveau code PIN (4 chiffres).",
          "run the guided tool, type the secret, then choose your new PIN (4 digits).") +
        "</li><li><strong>Firefox / Thunderbird</strong> : " +
        t(p, "Paramètres → Vie privée et sécurité → Périphériques de sécurité → sélectionnez votre support → "
             "« Changer le mot de passe » : saisissez le secret comme « Mot de passe actuel », puis le nouveau PIN "
             "deux fois.",
          "Settings → Privacy & Security → Security Devices → select your token → \"Change Password\": type the "
          "secret as \"Current password\", then the new PIN twice.") +
        "</li><li><strong>pkcs11-tool</strong> : <code>pkcs11-tool --module ias-pkcs11.so --login --login-type so "
        "--so-pin &lt;secret&gt; --init-pin --new-pin &lt;PIN&gt;</code></li></ul><p>" +
        t(p, "Le nouveau PIN : exactement 4 chiffres ; 1234 et les chiffres répétés (0000, 1111…) sont refusés.",
          "The new PIN: exactly 4 digits; 1234 and repeated digits (0000, 1111…) are refused.") +
        "</p>";
    return layout(p, t(p, "Secret de déblocage", "Unblock secret"), steps(p, 3), body, false);
}

std::string refusal(const PageContext& p, protocol::ApiError e) {
    using protocol::ApiError;
    std::string title, text;
    switch (e) {
        case ApiError::Blocked:
            title = t(p, "Réponses erronées", "Wrong answers");
            text = std::string(t(p, "Les réponses sont erronées. Votre support est définitivement bloqué : le "
                                    "certificat doit être révoqué. Une demande de révocation a été enregistrée ; "
                                    "vous pouvez aussi ",
                                 "The answers are wrong. Your token is definitively blocked: the certificate must be "
                                 "revoked. A revocation request has been recorded; you may also ")) +
                   "<a href=\"" + escape(p.config.brand.revocationUrl) + "\">" +
                   t(p, "révoquer le certificat", "revoke the certificate") + "</a>" +
                   t(p, " et commander un nouveau certificat si nécessaire.", " and order a new certificate if needed.");
            break;
        case ApiError::Expired:
            title = t(p, "Lien expiré", "Link expired");
            text = t(p, "Ce lien était valable 24 heures. Contactez le support ou votre bureau d'enregistrement.",
                     "This link was valid for 24 hours. Contact support or your registration office.");
            break;
        case ApiError::UsedUp:
            title = t(p, "Lien déjà utilisé", "Link already used");
            text = t(p, "Le secret de déblocage a déjà été affiché pour ce lien.",
                     "The unblock secret has already been shown for this link.");
            break;
        case ApiError::RateLimited:
            title = t(p, "Trop de tentatives", "Too many attempts");
            text = t(p, "Réessayez dans quelques minutes.", "Try again in a few minutes.");
            break;
        case ApiError::Csrf:
        case ApiError::Unauthorized:
            title = t(p, "Session expirée", "Session expired");
            text = t(p, "Rouvrez le lien reçu par e-mail.", "Open the link from your e-mail again.");
            break;
        case ApiError::Unavailable:
        case ApiError::Internal:
            title = t(p, "Service momentanément indisponible", "Service temporarily unavailable");
            text = t(p, "Rien n'a été modifié. Réessayez dans quelques minutes ou contactez le support.",
                     "Nothing was changed. Try again in a few minutes or contact support.");
            break;
        default:
            title = t(p, "Lien invalide", "Invalid link");
            text = t(p, "Ce lien n'est pas valable.", "This link is not valid.");
    }
    return layout(p, title, "", "<p class=\"error\" id=\"refusal\" data-error=\"" + std::string(protocol::toString(e)) +
                                    "\">" + text + "</p>",
                  true);
}

const std::string& script() {
    static const std::string s =
        "document.addEventListener('DOMContentLoaded', function () {\n"
        "  var show = document.getElementById('show');\n"
        "  if (!show) return;\n"
        "  show.addEventListener('change', function () {\n"
        "    document.querySelectorAll('input.answer').forEach(function (i) {\n"
        "      i.type = show.checked ? 'text' : 'password';\n"
        "    });\n"
        "  });\n"
        "});\n";
    return s;
}

const std::string& stylesheet() {
    static const std::string s =
        "body{font-family:sans-serif;margin:0;background:#f5f6f8;color:#1b1b1b}"
        "header{display:flex;justify-content:space-between;padding:1em 2em;background:#1d4e89;color:#fff}"
        "header a{color:#fff}main{max-width:46em;margin:2em auto;background:#fff;padding:2em;border-radius:6px}"
        ".steps{color:#555}.error{color:#b00020;font-weight:bold}"
        ".secret{font-family:monospace;font-size:2em;letter-spacing:.08em;padding:.5em;background:#eef3fb}"
        ".button,button{background:#1d4e89;color:#fff;padding:.6em 1.2em;border:0;border-radius:4px;"
        "text-decoration:none;font-size:1em}input.answer{width:100%;padding:.4em;font-size:1em}"
        "#support{margin-top:2em;border-top:1px solid #ddd}\n";
    return s;
}

}  // namespace ias::service::http::pages
