// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "flow.hpp"
#include "messages_fr_en.hpp"

namespace ias::tools {

TEST(Messages, FrenchByDefault) {
    EXPECT_EQ(chooseLanguage(std::nullopt, nullptr, nullptr, nullptr), Lang::Fr);
    EXPECT_EQ(chooseLanguage(std::nullopt, "", "", ""), Lang::Fr);
    EXPECT_EQ(chooseLanguage(std::nullopt, nullptr, nullptr, "C.UTF-8"), Lang::Fr);
    EXPECT_EQ(chooseLanguage(std::nullopt, nullptr, nullptr, "fr_FR.UTF-8"), Lang::Fr);
    EXPECT_EQ(chooseLanguage(std::nullopt, nullptr, nullptr, "de_DE.UTF-8"), Lang::Fr);
}

TEST(Messages, EnglishLocale) {
    EXPECT_EQ(chooseLanguage(std::nullopt, nullptr, nullptr, "en_US.UTF-8"), Lang::En);
    EXPECT_EQ(chooseLanguage(std::nullopt, "en_GB.UTF-8", nullptr, "fr_FR.UTF-8"), Lang::En);
    EXPECT_EQ(chooseLanguage(std::nullopt, nullptr, "en_US", "fr_FR.UTF-8"), Lang::En);
    // LC_ALL wins over LANG, in both directions.
    EXPECT_EQ(chooseLanguage(std::nullopt, "fr_FR.UTF-8", nullptr, "en_US.UTF-8"), Lang::Fr);
}

TEST(Messages, CommandLineWins) {
    EXPECT_EQ(chooseLanguage(Lang::En, "fr_FR.UTF-8", nullptr, "fr_FR"), Lang::En);
    EXPECT_EQ(chooseLanguage(Lang::Fr, "en_US.UTF-8", nullptr, "en_US"), Lang::Fr);
    EXPECT_EQ(parseLang("en"), Lang::En);
    EXPECT_EQ(parseLang("fr"), Lang::Fr);
    EXPECT_FALSE(parseLang("de"));
}

TEST(Messages, EveryMessageInBothLanguages) {
    const Messages fr(Lang::Fr), en(Lang::En);
    for (int i = 0; i < static_cast<int>(Msg::Count_); ++i) {
        EXPECT_FALSE(fr.text(static_cast<Msg>(i)).empty()) << i;
        EXPECT_FALSE(en.text(static_cast<Msg>(i)).empty()) << i;
    }
}

TEST(Messages, IssuerWordingKept) {
    const Messages fr(Lang::Fr);
    EXPECT_EQ(fr.text(Msg::AnswersErroneous), "Les réponses sont erronées.");
    EXPECT_EQ(stepIndicator(fr, 0, true), "1 Initialisation · 2 Choix du PIN · 3 Réponses secrètes · 4 Confirmation");
    EXPECT_EQ(stepIndicator(fr, 2, true), "1 Initialisation · [2 Choix du PIN] · 3 Réponses secrètes · 4 Confirmation");
    EXPECT_EQ(stepIndicator(Messages(Lang::En), 3, false),
              "1 Initialisation · 2 PIN choice · [3 Unblock secret] · 4 Confirmation");
    EXPECT_NE(fr.text(Msg::LinkExpired).find("24 heures"), std::string_view::npos);
}

TEST(Messages, FillAndYes) {
    EXPECT_EQ(fill("a {} b {}", {"1", "2"}), "a 1 b 2");
    EXPECT_EQ(fill("a {} b {}", {"1"}), "a 1 b {}");
    EXPECT_EQ(Messages(Lang::En).format(Msg::WrongAnswers, {"2"}), "Wrong answers. Tries left: 2.");
    for (const char* y : {"o", "O", "oui", "y", "Yes", " yes "}) EXPECT_TRUE(Messages::isYes(y)) << y;
    for (const char* n : {"", "n", "non", "no", "ok", "yess"}) EXPECT_FALSE(Messages::isYes(n)) << n;
}

}  // namespace ias::tools
