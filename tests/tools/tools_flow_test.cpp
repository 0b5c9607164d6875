// SPDX-License-Identifier: Apache-2.0
// The four steps with a fake token, console and holder API: outcomes, exit codes, wording,
// and that no PIN, secret or answer ever appears in what the tool shows.
#include <gtest/gtest.h>

#include "fakes.hpp"
#include "ias/protocol/secret.hpp"

namespace ias::tools::test {

namespace {

constexpr const char* kPin = "2580";
constexpr const char* kAnswer1 = "Lyon-CANARY";
constexpr const char* kAnswer2 = "Rex-CANARY";

std::string str(const apdu::SecureBytes& b) { return {b.begin(), b.end()}; }

struct World {
    Options options;
    Messages msg{Lang::Fr};
    FakeConsole console;
    FakeToken token;
    FakeHolder holder;
    PresetInputs preset;
    std::string secret = str(protocol::UnblockSecret::generate().display());

    World() {
        token.present.push_back({7, "0010000000123456", "IAS-ECC SIM", "Jean Dupont", CKF_USER_PIN_LOCKED});
        holder.info.serial = "0010000000123456";
        holder.info.questions = {"Ville de naissance ?", "Nom de votre premier animal ?"};
        holder.info.triesLeft = 3;
        holder.info.expiresIn = 3600 * 23 + 60 * 5;
        holder.info.support = {"https://support.example.org", "support@example.org", "08 92 23 02 52", "9-18"};
        holder.secret = secret;
        options.link = "https://127.0.0.1:8443/h/abcd";
    }
    ExitCode run(bool withLink = true) {
        if (!withLink) options.link.reset();
        UnblockFlow flow(options, msg, console, token, withLink ? &holder : nullptr, std::move(preset));
        return flow.run();
    }
    void nonInteractive() {
        options.nonInteractive = true;
        preset.newPin = sb(kPin);
        preset.answers = std::vector<apdu::SecureBytes>{};
        preset.answers->push_back(sb(kAnswer1));
        preset.answers->push_back(sb(kAnswer2));
    }
    void expectNoSecretShown() const {
        const std::string canonical = str(protocol::parseSecret(secret).secret->canonical());
        for (const std::string& canary : {std::string(kPin), std::string(kAnswer1), std::string(kAnswer2), secret,
                                          canonical, secret.substr(0, 9)})
            EXPECT_EQ(console.transcript.find(canary), std::string::npos) << canary << " shown in:\n" << console.transcript;
    }
    bool shows(std::string_view text) const { return console.transcript.find(text) != std::string::npos; }
};

}  // namespace

TEST(Flow, InteractiveWithLink) {
    World w;
    w.console.answers = {"o", "n"};  // Débloquer mon support ? / Afficher les valeurs ?
    w.console.secrets = {kPin, kPin, kAnswer1, kAnswer2};
    EXPECT_EQ(w.run(), ExitCode::Ok);
    EXPECT_EQ(w.token.resets, 1);
    EXPECT_EQ(w.token.lastPin, kPin);
    EXPECT_EQ(w.token.lastSecret, str(protocol::parseSecret(w.secret).secret->canonical()));
    ASSERT_EQ(w.holder.submitted.size(), 1u);
    EXPECT_EQ(w.holder.submitted[0], (std::vector<std::string>{kAnswer1, kAnswer2}));
    for (bool shown : w.console.secretShowFlags) EXPECT_FALSE(shown);
    EXPECT_TRUE(w.shows("[1 Initialisation] · 2 Choix du PIN · 3 Réponses secrètes · 4 Confirmation"));
    EXPECT_TRUE(w.shows("[4 Confirmation]"));
    EXPECT_TRUE(w.shows("0010000000123456"));
    EXPECT_TRUE(w.shows("Titulaire : Jean Dupont"));
    EXPECT_TRUE(w.shows("bloqué"));
    EXPECT_TRUE(w.shows("23 h 5 min"));
    EXPECT_TRUE(w.shows("Ville de naissance ?"));
    EXPECT_TRUE(w.shows("Votre support est débloqué"));
    // The policy comes before the first PIN prompt.
    EXPECT_LT(w.console.transcript.find("exactement 4 chiffres"), w.console.transcript.find("Nouveau PIN : "));
    w.expectNoSecretShown();
}

TEST(Flow, ShowValuesOnRequest) {
    World w;
    w.options.yes = true;
    w.console.answers = {"oui"};
    w.console.secrets = {kPin, kPin, kAnswer1, kAnswer2};
    EXPECT_EQ(w.run(), ExitCode::Ok);
    ASSERT_EQ(w.console.secretShowFlags.size(), 4u);
    EXPECT_FALSE(w.console.secretShowFlags[0]);  // the PIN never
    EXPECT_FALSE(w.console.secretShowFlags[1]);
    EXPECT_TRUE(w.console.secretShowFlags[2]);
    EXPECT_TRUE(w.console.secretShowFlags[3]);
}

TEST(Flow, PinPolicyAndMismatchInteractive) {
    World w;
    w.options.yes = true;
    w.console.answers = {"n"};
    w.console.secrets = {"1234", "0000", "2580", "2581"};
    EXPECT_EQ(w.run(), ExitCode::PinPolicy);
    EXPECT_TRUE(w.shows("trop facile"));
    EXPECT_TRUE(w.shows("différentes"));
    EXPECT_EQ(w.token.resets, 0);
    EXPECT_TRUE(w.holder.submitted.empty());
}

TEST(Flow, NonInteractiveLink) {
    World w;
    w.nonInteractive();
    EXPECT_EQ(w.run(), ExitCode::Ok);
    EXPECT_EQ(w.token.resets, 1);
    EXPECT_TRUE(w.console.answers.empty());
    EXPECT_FALSE(w.shows("[o/N]"));
    w.expectNoSecretShown();
}

TEST(Flow, NonInteractivePolicy) {
    World w;
    w.nonInteractive();
    w.preset.newPin = sb("1111");
    EXPECT_EQ(w.run(), ExitCode::PinPolicy);
    EXPECT_TRUE(w.holder.submitted.empty());
    EXPECT_EQ(w.token.resets, 0);
    w.expectNoSecretShown();
}

TEST(Flow, WrongAnswersThenDefinitiveBlock) {
    World w;
    w.options.yes = true;
    w.console.answers = {"n"};
    w.console.secrets = {kPin, kPin, "a", "b", "c", "d", "e", "f"};
    w.holder.submitResults = {HolderApiError(HolderRefusal::WrongAnswers, "wrong_answers", 2),
                              HolderApiError(HolderRefusal::WrongAnswers, "wrong_answers", 1),
                              HolderApiError(HolderRefusal::Blocked, "blocked", 0, w.holder.info.support)};
    EXPECT_EQ(w.run(), ExitCode::Blocked);
    EXPECT_EQ(w.holder.submitted.size(), 3u);
    EXPECT_TRUE(w.shows("Essais restants : 2"));
    EXPECT_TRUE(w.shows("Essais restants : 1"));
    const auto erroneous = w.console.transcript.find("Les réponses sont erronées.");
    ASSERT_NE(erroneous, std::string::npos);
    EXPECT_LT(erroneous, w.console.transcript.find("révoqué"));
    EXPECT_LT(w.console.transcript.find("révoqué"), w.console.transcript.find("08 92 23 02 52"));
    EXPECT_EQ(w.token.resets, 0);
}

TEST(Flow, NonInteractiveWrongAnswersOneSubmission) {
    World w;
    w.nonInteractive();
    w.holder.submitResults = {HolderApiError(HolderRefusal::WrongAnswers, "wrong_answers", 2)};
    EXPECT_EQ(w.run(), ExitCode::WrongSecret);
    EXPECT_EQ(w.holder.submitted.size(), 1u);
    w.expectNoSecretShown();
}

TEST(Flow, LinkRefusals) {
    struct Row {
        HolderRefusal kind;
        ExitCode code;
        const char* text;
    };
    for (const Row& r : {Row{HolderRefusal::Expired, ExitCode::Blocked, "24 heures"},
                         Row{HolderRefusal::UsedUp, ExitCode::Blocked, "déjà été délivré"},
                         Row{HolderRefusal::NoCase, ExitCode::Blocked, "pas reconnu"},
                         Row{HolderRefusal::Unreachable, ExitCode::Unreachable, "injoignable"}}) {
        World w;
        w.nonInteractive();
        w.holder.caseError = HolderApiError(r.kind, "refused", std::nullopt, w.holder.info.support);
        EXPECT_EQ(w.run(), r.code) << r.text;
        EXPECT_TRUE(w.shows(r.text)) << w.console.transcript;
        EXPECT_EQ(w.token.resets, 0);
    }
}

TEST(Flow, TokenOfTheCaseMissing) {
    World w;
    w.nonInteractive();
    w.token.present[0].serial = "0010000000999999";
    EXPECT_EQ(w.run(), ExitCode::NoToken);
    EXPECT_TRUE(w.shows("0010000000123456"));
    World none;
    none.nonInteractive();
    none.token.present.clear();
    EXPECT_EQ(none.run(), ExitCode::NoToken);
    EXPECT_TRUE(none.shows("Aucun support"));
}

TEST(Flow, ModuleRefusalsBecomeExitCodes) {
    struct Row {
        ResetResult result;
        ExitCode code{};
    };
    for (const Row& r : {Row{{ResetStage::Login, CKR_FUNCTION_NOT_SUPPORTED}, ExitCode::NotConfigured},
                         Row{{ResetStage::Login, CKR_FUNCTION_FAILED}, ExitCode::Unreachable},
                         Row{{ResetStage::Login, CKR_PIN_LOCKED}, ExitCode::Blocked},
                         Row{{ResetStage::Login, CKR_PIN_INCORRECT}, ExitCode::WrongSecret},
                         Row{{ResetStage::InitPin, CKR_PIN_TOO_WEAK}, ExitCode::PinPolicy},
                         Row{{ResetStage::InitPin, CKR_DEVICE_REMOVED}, ExitCode::NoToken},
                         Row{{ResetStage::InitPin, CKR_DEVICE_ERROR}, ExitCode::CardError}}) {
        World w;
        w.nonInteractive();
        w.token.results = {r.result};
        EXPECT_EQ(w.run(), r.code) << rvName(r.result.rv);
        w.expectNoSecretShown();
    }
}

TEST(Flow, StillLockedAfterResetIsAnError) {
    World w;
    w.nonInteractive();
    w.token.flagsAfterReset = CKF_USER_PIN_LOCKED;
    EXPECT_EQ(w.run(), ExitCode::CardError);
    EXPECT_TRUE(w.shows("contactez le support"));
}

TEST(Flow, TypedSecretTypoCaughtBeforeATry) {
    World w;
    w.options.yes = true;
    std::string typo = w.secret;
    typo[0] = typo[0] == 'A' ? 'B' : 'A';  // one substituted symbol: the check symbols catch it
    std::string pasted = w.secret;
    for (char& c : pasted) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    pasted = "  " + pasted.substr(0, 4) + " " + pasted.substr(5) + " ";
    w.console.secrets = {kPin, kPin, typo, "TOO-SHORT", pasted};
    EXPECT_EQ(w.run(false), ExitCode::Ok);
    EXPECT_EQ(w.token.resets, 1);
    EXPECT_EQ(w.token.lastSecret, str(protocol::parseSecret(w.secret).secret->canonical()));
    EXPECT_TRUE(w.shows("mal recopié"));
    EXPECT_TRUE(w.shows("18 caractères"));
    EXPECT_TRUE(w.shows("[3 Secret de déblocage]"));
    w.expectNoSecretShown();
}

TEST(Flow, TypedSecretWrongThenRight) {
    World w;
    w.options.yes = true;
    w.console.secrets = {kPin, kPin, w.secret, w.secret};
    w.token.results = {ResetResult{ResetStage::Login, CKR_PIN_INCORRECT}};
    EXPECT_EQ(w.run(false), ExitCode::Ok);
    EXPECT_EQ(w.token.resets, 2);
    EXPECT_TRUE(w.shows("Secret de déblocage incorrect"));
}

TEST(Flow, NonInteractiveSecretFile) {
    World w;
    w.options.nonInteractive = true;
    w.preset.newPin = sb(kPin);
    w.preset.secret = sb(w.secret);
    EXPECT_EQ(w.run(false), ExitCode::Ok);
    World typo;
    typo.options.nonInteractive = true;
    typo.preset.newPin = sb(kPin);
    typo.preset.secret = sb("0000-0000-0000-0000-00X");
    EXPECT_EQ(typo.run(false), ExitCode::WrongSecret);
    EXPECT_EQ(typo.token.resets, 0);
}

TEST(Flow, EnglishAndCancel) {
    World w;
    w.msg = Messages(Lang::En);
    w.console.answers = {"n"};
    EXPECT_EQ(w.run(), ExitCode::Usage);
    EXPECT_TRUE(w.shows("[1 Initialisation] · 2 PIN choice · 3 Secret answers · 4 Confirmation"));
    EXPECT_TRUE(w.shows("Cancelled"));
    EXPECT_EQ(w.token.resets, 0);
}

}  // namespace ias::tools::test
