// SPDX-License-Identifier: Apache-2.0
#include "messages_fr_en.hpp"

#include <array>
#include <cctype>
#include <cstdlib>

namespace ias::tools {

namespace {

struct Entry {
    Msg key;
    const char* fr;
    const char* en;
};

// In enum order (checked at compile time below).
constexpr Entry kTable[] = {
    {Msg::Title, "Déblocage de votre support cryptographique", "Unblocking your token"},
    {Msg::StepInit, "Initialisation", "Initialisation"},
    {Msg::StepPin, "Choix du PIN", "PIN choice"},
    {Msg::StepAnswers, "Réponses secrètes", "Secret answers"},
    {Msg::StepSecret, "Secret de déblocage", "Unblock secret"},
    {Msg::StepConfirm, "Confirmation", "Confirmation"},

    {Msg::ContactingService, "Connexion au service de déblocage…", "Contacting the unblock service…"},
    {Msg::CaseFor, "Demande de déblocage du support n° {}.", "Unblock request for token {}."},
    {Msg::LinkValidity, "Votre lien personnel est encore valable {} h {} min.",
     "Your personal link is valid for another {} h {} min."},
    {Msg::TokenFound, "Support trouvé : n° de série {}", "Token found: serial number {}"},
    {Msg::HolderName, "Titulaire : {}", "Holder: {}"},
    {Msg::TokenLabel, "Libellé : {}", "Label: {}"},
    {Msg::PinStateLocked, "État du PIN : bloqué (trop de codes erronés).", "PIN state: locked (too many wrong PINs)."},
    {Msg::PinStateFinalTry, "État du PIN : dernier essai avant blocage.", "PIN state: one try left before it locks."},
    {Msg::PinStateCountLow, "État du PIN : un code erroné a déjà été saisi.", "PIN state: a wrong PIN has been entered."},
    {Msg::PinStateOk, "État du PIN : non bloqué.", "PIN state: not locked."},
    {Msg::PinNotLockedNote, "Votre PIN n'est pas bloqué : la procédure le remplacera tout de même par le nouveau PIN.",
     "Your PIN is not locked: the procedure will still replace it with the new PIN."},
    {Msg::WhatHappensLink,
     "Ce qui va se passer : vous choisissez un nouveau PIN (il ne quitte pas cet ordinateur), vous répondez à vos "
     "questions secrètes, puis l'outil débloque le support avec le secret délivré par le service et y enregistre "
     "le nouveau PIN.",
     "What will happen: you choose a new PIN (it never leaves this computer), you answer your secret questions, "
     "then the tool unblocks the token with the secret issued by the service and stores the new PIN on it."},
    {Msg::WhatHappensSecret,
     "Ce qui va se passer : vous choisissez un nouveau PIN (il ne quitte pas cet ordinateur), vous saisissez le "
     "secret de déblocage affiché par les pages du service, puis l'outil débloque le support et y enregistre le "
     "nouveau PIN.",
     "What will happen: you choose a new PIN (it never leaves this computer), you type the unblock secret shown by "
     "the service's pages, then the tool unblocks the token and stores the new PIN on it."},
    {Msg::ReadInstructions, "Lisez ces instructions et laissez le support branché jusqu'à la fin.",
     "Read these instructions and keep the token plugged in until the end."},
    {Msg::ConfirmContinue, "Débloquer mon support ? [o/N] ", "Unblock my token? [y/N] "},
    {Msg::Cancelled, "Opération annulée : rien n'a été modifié.", "Cancelled: nothing was changed."},
    {Msg::NoTokenRetry,
     "Aucun support trouvé. Vérifiez que le pilote est installé, branchez le support puis appuyez sur Entrée "
     "(q pour quitter) : ",
     "No token found. Check that the driver is installed, plug the token in and press Enter (q to quit): "},
    {Msg::NoToken, "Aucun support n'a été trouvé.", "No token was found."},
    {Msg::CaseTokenMissing, "Le support n° {} de cette demande n'est pas branché (supports trouvés : {}).",
     "Token {} of this request is not plugged in (tokens found: {})."},
    {Msg::SeveralTokens, "Plusieurs supports sont branchés :", "Several tokens are plugged in:"},
    {Msg::ChooseToken, "Numéro du support à débloquer (1-{}) : ", "Number of the token to unblock (1-{}): "},
    {Msg::SeveralTokensUseSerial, "Plusieurs supports sont branchés : précisez lequel avec --serial.",
     "Several tokens are plugged in: name one with --serial."},
    {Msg::SerialNotFound, "Aucun support branché ne porte le n° de série {}.", "No plugged-in token has serial {}."},

    {Msg::PinPolicy,
     "Règle du nouveau PIN : exactement 4 chiffres ; 1234 et les chiffres répétés (0000, 1111, …) sont refusés. "
     "Il vous sera demandé deux fois et ne s'affiche pas.",
     "New PIN rule: exactly 4 digits; 1234 and repeated digits (0000, 1111, …) are refused. You type it twice; "
     "it is not displayed."},
    {Msg::PinPrompt, "Nouveau PIN : ", "New PIN: "},
    {Msg::PinPromptAgain, "Confirmez le nouveau PIN : ", "Confirm the new PIN: "},
    {Msg::PinMismatch, "Les deux saisies sont différentes ; recommencez.", "The two entries differ; try again."},
    {Msg::PinNotDigits, "Le PIN ne doit contenir que des chiffres.", "The PIN must contain digits only."},
    {Msg::PinLength, "Le PIN doit comporter exactement 4 chiffres.", "The PIN must have exactly 4 digits."},
    {Msg::PinWeak, "Ce PIN est trop facile à deviner (1234 ou chiffres répétés) ; choisissez-en un autre.",
     "This PIN is too easy to guess (1234 or repeated digits); choose another one."},
    {Msg::PinAccepted, "Nouveau PIN conforme (vérifié sur cet ordinateur).", "New PIN accepted (checked on this computer)."},
    {Msg::TooManyAttempts, "Trop de tentatives ; relancez l'outil quand vous serez prêt.",
     "Too many attempts; start the tool again when you are ready."},

    {Msg::QuestionsIntro,
     "Répondez aux questions secrètes enregistrées lors de la remise du support (majuscules et minuscules "
     "comptent). Essais restants : {}.",
     "Answer the secret questions registered when the token was issued (upper and lower case matter). "
     "Tries left: {}."},
    {Msg::ShowValuesPrompt, "Afficher les valeurs saisies ? [o/N] ", "Show the typed values? [y/N] "},
    {Msg::MaskedHint, "(saisie masquée)", "(input hidden)"},
    {Msg::CheckingAnswers, "Vérification des réponses…", "Checking the answers…"},
    {Msg::WrongAnswers, "Réponses incorrectes. Essais restants : {}.", "Wrong answers. Tries left: {}."},
    {Msg::AnswersErroneous, "Les réponses sont erronées.", "The answers are wrong."},
    {Msg::RevocationAdvice,
     "Après trois essais erronés, votre support est définitivement bloqué : le certificat doit être révoqué (le "
     "service a enregistré la demande de révocation) et une nouvelle commande sera nécessaire si besoin.",
     "After three wrong tries your token is definitively blocked: the certificate must be revoked (the service "
     "has recorded the revocation request) and a new order will be needed if required."},
    {Msg::AnswersAccepted, "Réponses correctes : le secret de déblocage a été reçu du service (il n'est pas affiché).",
     "Answers accepted: the unblock secret was received from the service (it is not displayed)."},
    {Msg::AnswersCountMismatch, "Le fichier de réponses contient {} réponse(s) ; {} attendue(s).",
     "The answers file holds {} answer(s); {} expected."},
    {Msg::LinkExpired,
     "Ce lien a expiré (il est valable 24 heures). Contactez le support ou votre bureau d'enregistrement pour "
     "obtenir un nouveau lien.",
     "This link has expired (it is valid for 24 hours). Contact support or your registration office for a new "
     "link."},
    {Msg::LinkUsed, "Un secret a déjà été délivré pour ce lien ; il ne peut plus servir.",
     "A secret was already issued for this link; it cannot be used again."},
    {Msg::LinkUnknown, "Ce lien n'est pas reconnu par le service (lien incomplet ou clôturé).",
     "The service does not know this link (incomplete or closed link)."},
    {Msg::LinkBlocked, "Cette demande de déblocage est close ou bloquée.", "This unblock request is closed or blocked."},
    {Msg::ServiceUnreachable,
     "Le service de déblocage est injoignable (réseau, délai ou certificat du service) ; rien n'a été consommé. "
     "Réessayez plus tard.",
     "The unblock service cannot be reached (network, timeout or service certificate); nothing was spent. Try "
     "again later."},
    {Msg::ServiceUnexpected, "Le service de déblocage a fait une réponse inattendue.",
     "The unblock service gave an unexpected answer."},
    {Msg::SecretIntro,
     "Saisissez le secret de déblocage affiché par les pages du service (XXXX-XXXX-XXXX-XXXX-CC ; vous pouvez le "
     "coller, espaces et tirets sont ignorés).",
     "Type the unblock secret shown by the service's pages (XXXX-XXXX-XXXX-XXXX-CC; you may paste it, spaces and "
     "hyphens are ignored)."},
    {Msg::SecretPrompt, "Secret de déblocage : ", "Unblock secret: "},
    {Msg::SecretBadLength,
     "Le secret doit comporter 18 caractères (hors espaces et tirets). Aucun essai n'a été consommé.",
     "The secret has 18 characters (not counting spaces and hyphens). No try was spent."},
    {Msg::SecretBadSymbol, "Le secret contient un caractère qui n'en fait pas partie. Aucun essai n'a été consommé.",
     "The secret contains a character that cannot be part of it. No try was spent."},
    {Msg::SecretBadCheck,
     "Le secret semble mal recopié (ses deux caractères de contrôle ne correspondent pas). Aucun essai n'a été "
     "consommé.",
     "The secret looks mistyped (its two check characters do not match). No try was spent."},
    {Msg::SecretRetry, "Vérifiez le secret et saisissez-le de nouveau.", "Check the secret and type it again."},
    {Msg::Resetting, "Déblocage du support en cours, ne le débranchez pas…", "Unblocking the token, do not unplug it…"},

    {Msg::FailWrongSecret, "Secret de déblocage incorrect (chaque essai erroné est compté, 3 au plus).",
     "Wrong unblock secret (every wrong try counts, 3 at most)."},
    {Msg::FailSecretLocked,
     "Ce secret de déblocage ne peut plus servir (déjà utilisé, expiré ou bloqué). Contactez le support.",
     "This unblock secret can no longer be used (already used, expired or blocked). Contact support."},
    {Msg::FailUnreachable,
     "Le service de déblocage est injoignable ; rien n'a été consommé et le support n'a pas été modifié. "
     "Réessayez plus tard.",
     "The unblock service cannot be reached; nothing was spent and the token was not changed. Try again later."},
    {Msg::FailNotConfigured,
     "Le déblocage n'est pas configuré dans cette installation (adresse du service absente de la configuration "
     "du module). Contactez le support.",
     "Unblocking is not configured in this installation (no service address in the module's configuration). "
     "Contact support."},
    {Msg::FailPolicy, "Le nouveau PIN a été refusé : exactement 4 chiffres, ni 1234 ni chiffres répétés.",
     "The new PIN was refused: exactly 4 digits, neither 1234 nor repeated digits."},
    {Msg::FailTokenGone, "Le support a été retiré ou n'est plus accessible. Rebranchez-le et relancez l'outil.",
     "The token was removed or cannot be reached. Plug it in again and restart the tool."},
    {Msg::FailSessionBusy,
     "Une autre application utilise le support (Firefox, Thunderbird…) ; fermez-la puis recommencez.",
     "Another application is using the token (Firefox, Thunderbird…); close it and try again."},
    {Msg::FailLoginExpired, "La session de déblocage a expiré ; recommencez (le secret n'a pas été consommé).",
     "The unblock session expired; start again (the secret was not spent)."},
    {Msg::FailCard, "Le support ou le module a signalé une erreur.", "The token or the module reported an error."},
    {Msg::CardCode, "(code PKCS#11 {})", "(PKCS#11 code {})"},
    {Msg::Detail, "  (détail : {})", "  (detail: {})"},
    {Msg::ModuleLoadFailed, "Impossible de charger le module PKCS#11 {} : {}", "Cannot load the PKCS#11 module {}: {}"},

    {Msg::Done,
     "Votre support est débloqué : PIN actif avec 3 essais disponibles. Utilisez désormais votre nouveau PIN.",
     "Your token is unblocked: the PIN is active with 3 tries. Use your new PIN from now on."},
    {Msg::StillLocked, "Le support n'indique pas un PIN débloqué avec 3 essais ; contactez le support.",
     "The token does not show an unlocked PIN with 3 tries; contact support."},

    {Msg::SupportHeader, "Support :", "Support:"},
    {Msg::SupportWeb, "  site : {}", "  web: {}"},
    {Msg::SupportEmail, "  courriel : {}", "  e-mail: {}"},
    {Msg::SupportPhone, "  téléphone : {}", "  phone: {}"},
    {Msg::SupportHours, "  horaires : {}", "  hours: {}"},
    {Msg::SupportGeneric,
     "Contactez le support de votre autorité de certification (coordonnées dans le courriel de déblocage).",
     "Contact your certification authority's support (contacts in the unblock e-mail)."},

    {Msg::UsageHint, "Voir : ias-unblock --help", "See: ias-unblock --help"},
    {Msg::OptUnknown, "option inconnue : {}", "unknown option: {}"},
    {Msg::OptMissingValue, "valeur manquante pour {}", "missing value for {}"},
    {Msg::OptBadValue, "valeur invalide pour {}", "bad value for {}"},
    {Msg::OptNeedPin, "--non-interactive demande --new-pin-file ou --new-pin-fd",
     "--non-interactive needs --new-pin-file or --new-pin-fd"},
    {Msg::OptNeedAuth, "--non-interactive demande le lien avec --answers-file, ou --secret-file",
     "--non-interactive needs the link with --answers-file, or --secret-file"},
    {Msg::OptAnswersNeedLink, "--answers-file demande le lien du courriel", "--answers-file needs the e-mail link"},
    {Msg::OptSecretWithLink, "--secret-file ne se combine pas avec un lien (le service délivre le secret)",
     "--secret-file cannot be combined with a link (the service issues the secret)"},
    {Msg::OptTwoPinSources, "--new-pin-file et --new-pin-fd s'excluent", "--new-pin-file and --new-pin-fd exclude each other"},
    {Msg::OptBadLink, "lien invalide (attendu : https://hôte[:port]/h/<jeton>)",
     "invalid link (expected: https://host[:port]/h/<token>)"},
    {Msg::OptExtraArgument, "argument en trop (un seul lien est attendu)", "unexpected argument (one link at most)"},
    {Msg::InputUnreadable, "lecture impossible : {}", "cannot read: {}"},
    {Msg::LinkOtherService,
     "refusé : le lien mène à {} mais le service de déblocage configuré est {} ; vos réponses ne sont envoyées "
     "qu'au service configuré (service_url de la configuration du module). Ce lien ne vient peut-être pas de "
     "votre émetteur : contactez son support.",
     "refused: the link leads to {} but the configured unblock service is {}; your answers are sent only to the "
     "configured service (service_url of the module configuration). This link may not come from your issuer: "
     "contact its support."},
    {Msg::Help,
     "Usage : ias-unblock [LIEN] [options]\n"
     "Débloque votre support (PIN bloqué) en quatre étapes : 1 Initialisation · 2 Choix du PIN · "
     "3 Réponses secrètes · 4 Confirmation.\n"
     "  LIEN                  le lien personnel du courriel (https://hôte:port/h/<jeton>), qui doit mener au\n"
     "                        service configuré (service_url) ; sans lien, l'outil\n"
     "                        demande le secret de déblocage affiché par les pages du service\n"
     "  --lang fr|en          langue (défaut : français ; anglais si LANG/LC_ALL commence par en)\n"
     "  --module FICHIER      module PKCS#11 (défaut : ias-pkcs11.so)\n"
     "  --config FICHIER      configuration du module (défaut : $IAS_PKCS11_CONF ou /etc/ias-pkcs11/ias-pkcs11.conf)\n"
     "  --link-file FICHIER   lire le lien dans FICHIER (- : l'entrée standard) plutôt que sur la ligne de commande\n"
     "  --ca-file FICHIER     autorité de confiance du service (défaut : service_ca_file de la configuration)\n"
     "  --serial N            le support à débloquer quand plusieurs sont branchés\n"
     "  --show-answers        afficher les réponses saisies\n"
     "  --yes                 ne pas demander de confirmation\n"
     "  --non-interactive     aucune question ; demande --new-pin-file F ou --new-pin-fd N, et\n"
     "                        --answers-file F (une réponse par ligne, avec le lien) ou --secret-file F\n"
     "Codes de sortie : 0 succès, 1 usage, 2 pas de support, 3 secret ou réponses erronés, 4 secret ou lien\n"
     "bloqué/utilisé/expiré, 5 service injoignable, 6 PIN non conforme, 7 erreur du support, 8 non configuré.\n"
     "Sans cet outil, depuis Firefox ou Thunderbird : Paramètres → Vie privée et sécurité → Périphériques de\n"
     "sécurité → sélectionner le support → Changer le mot de passe → saisir le code de déblocage comme\n"
     "« Mot de passe actuel », puis le nouveau PIN deux fois.\n",
     "Usage: ias-unblock [LINK] [options]\n"
     "Unblocks your token (locked PIN) in four steps: 1 Initialisation · 2 PIN choice · 3 Secret answers · "
     "4 Confirmation.\n"
     "  LINK                  the personal link of the e-mail (https://host:port/h/<token>), which must lead to\n"
     "                        the configured service (service_url); without a link the\n"
     "                        tool asks for the unblock secret shown by the service's pages\n"
     "  --lang fr|en          language (default French; English when LANG/LC_ALL starts with en)\n"
     "  --module FILE         PKCS#11 module (default: ias-pkcs11.so)\n"
     "  --config FILE         module configuration (default: $IAS_PKCS11_CONF or /etc/ias-pkcs11/ias-pkcs11.conf)\n"
     "  --link-file FILE      read the link from FILE (-: standard input) instead of the command line\n"
     "  --ca-file FILE        trust anchor for the service (default: service_ca_file of the configuration)\n"
     "  --serial N            the token to unblock when several are plugged in\n"
     "  --show-answers        show the typed answers\n"
     "  --yes                 do not ask for confirmation\n"
     "  --non-interactive     no questions; needs --new-pin-file F or --new-pin-fd N, and\n"
     "                        --answers-file F (one answer per line, with the link) or --secret-file F\n"
     "Exit codes: 0 success, 1 usage, 2 no token, 3 wrong secret or answers, 4 secret or link\n"
     "blocked/used/expired, 5 service unreachable, 6 PIN policy, 7 token error, 8 not configured.\n"
     "Without this tool, from Firefox or Thunderbird: Settings → Privacy & Security → Security Devices →\n"
     "select the token → Change Password → type the unblock secret as \"Current password\", then the new\n"
     "PIN twice.\n"},
};

constexpr bool tableInEnumOrder() {
    // cppcheck-suppress knownConditionTrueFalse ; compile-time guard, evaluated by the static_assert below
    if (std::size(kTable) != static_cast<std::size_t>(Msg::Count_)) return false;
    for (std::size_t i = 0; i < std::size(kTable); ++i)
        if (static_cast<std::size_t>(kTable[i].key) != i) return false;
    return true;
}
static_assert(tableInEnumOrder(), "kTable must list every Msg once, in enum order");

bool startsWithEn(const char* v) noexcept { return v && v[0] == 'e' && v[1] == 'n'; }

}  // namespace

std::optional<Lang> parseLang(std::string_view text) noexcept {
    if (text == "fr") return Lang::Fr;
    if (text == "en") return Lang::En;
    return std::nullopt;
}

Lang chooseLanguage(std::optional<Lang> fromCommandLine, const char* lcAll, const char* lcMessages,
                    const char* lang) noexcept {
    if (fromCommandLine) return *fromCommandLine;
    for (const char* v : {lcAll, lcMessages, lang}) {
        if (v && *v) return startsWithEn(v) ? Lang::En : Lang::Fr;
    }
    return Lang::Fr;
}

Lang chooseLanguageFromEnvironment(std::optional<Lang> fromCommandLine) noexcept {
    return chooseLanguage(fromCommandLine, std::getenv("LC_ALL"), std::getenv("LC_MESSAGES"), std::getenv("LANG"));
}

std::string_view Messages::text(Msg m) const noexcept {
    const auto i = static_cast<std::size_t>(m);
    if (i >= std::size(kTable)) return {};
    return lang_ == Lang::En ? kTable[i].en : kTable[i].fr;
}

std::string Messages::format(Msg m, std::initializer_list<std::string_view> args) const {
    return fill(text(m), args);
}

bool Messages::isYes(std::string_view answer) noexcept {
    std::string a;
    for (char c : answer) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            a.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return a == "o" || a == "oui" || a == "y" || a == "yes";
}

std::string fill(std::string_view text, std::initializer_list<std::string_view> args) {
    std::string out;
    auto arg = args.begin();
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '{' && i + 1 < text.size() && text[i + 1] == '}' && arg != args.end()) {
            out.append(*arg++);
            ++i;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

}  // namespace ias::tools
