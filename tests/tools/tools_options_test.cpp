// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "options.hpp"

namespace ias::tools {

namespace {
const std::string kLink = "https://127.0.0.1:8443/h/0123456789abcdef";
std::optional<Msg> problem(const std::vector<std::string>& args) {
    const auto r = parseOptions(args);
    return r.problem ? std::optional<Msg>(r.problem->message) : std::nullopt;
}
}  // namespace

TEST(Options, InteractiveDefaults) {
    const auto r = parseOptions({});
    EXPECT_FALSE(r.problem);
    EXPECT_FALSE(r.options.nonInteractive);
    EXPECT_FALSE(r.options.link);
    const auto l = parseOptions({kLink, "--lang", "en", "--module=/x.so", "--show-answers"});
    ASSERT_FALSE(l.problem);
    EXPECT_EQ(*l.options.link, kLink);
    EXPECT_EQ(l.options.lang, Lang::En);
    EXPECT_EQ(l.options.modulePath, "/x.so");
    EXPECT_TRUE(l.options.showAnswers);
}

TEST(Options, NonInteractiveWithLinkAndAnswers) {
    const auto r = parseOptions({kLink, "--non-interactive", "--answers-file", "a.txt", "--new-pin-file", "p.txt"});
    ASSERT_FALSE(r.problem);
    EXPECT_TRUE(r.options.nonInteractive);
    EXPECT_EQ(r.options.answersFile, "a.txt");
    EXPECT_EQ(r.options.newPinFile, "p.txt");
}

TEST(Options, NonInteractiveWithSecretAndFd) {
    const auto r = parseOptions({"--non-interactive", "--secret-file", "s.txt", "--new-pin-fd", "3", "--yes"});
    ASSERT_FALSE(r.problem);
    EXPECT_EQ(r.options.newPinFd, 3);
    EXPECT_TRUE(r.options.yes);
}

TEST(Options, NonInteractiveNeedsEverything) {
    EXPECT_EQ(problem({"--non-interactive", "--secret-file", "s"}), Msg::OptNeedPin);
    EXPECT_EQ(problem({"--non-interactive", "--new-pin-file", "p"}), Msg::OptNeedAuth);
    EXPECT_EQ(problem({kLink, "--non-interactive", "--new-pin-file", "p"}), Msg::OptNeedAuth);
    EXPECT_EQ(problem({"--non-interactive", "--new-pin-file", "p", "--answers-file", "a"}), Msg::OptAnswersNeedLink);
    EXPECT_EQ(problem({kLink, "--secret-file", "s"}), Msg::OptSecretWithLink);
    EXPECT_EQ(problem({"--new-pin-file", "p", "--new-pin-fd", "0"}), Msg::OptTwoPinSources);
}

TEST(Options, BadInput) {
    EXPECT_EQ(problem({"--frobnicate"}), Msg::OptUnknown);
    EXPECT_EQ(problem({"--lang"}), Msg::OptMissingValue);
    EXPECT_EQ(problem({"--lang", "de"}), Msg::OptBadValue);
    EXPECT_EQ(problem({"--new-pin-fd", "x"}), Msg::OptBadValue);
    EXPECT_EQ(problem({"--new-pin-fd", "-1"}), Msg::OptBadValue);
    EXPECT_EQ(problem({"--yes=1"}), Msg::OptBadValue);
    EXPECT_EQ(problem({"http://127.0.0.1/h/abcd"}), Msg::OptBadLink);
    EXPECT_EQ(problem({kLink, kLink}), Msg::OptExtraArgument);
    // Usage messages name the option, never a value or the link token.
    const auto r = parseOptions({kLink, kLink});
    EXPECT_EQ(r.problem->detail.find("0123456789abcdef"), std::string::npos);
}

// Issue 18: the link can come from a file or standard input (not in /proc/*/cmdline).
TEST(Options, LinkFromAFileOrStandardInput) {
    auto r = parseOptions({"--link-file", "-", "--non-interactive", "--answers-file", "a.txt", "--new-pin-file", "p"});
    ASSERT_FALSE(r.problem);
    EXPECT_EQ(r.options.linkFile, "-");
    EXPECT_FALSE(r.options.link);
    r = parseOptions({"--link-file=/home/h/link.txt", "--non-interactive", "--answers-file", "a", "--new-pin-fd", "0"});
    ASSERT_FALSE(r.problem);
    EXPECT_EQ(r.options.linkFile, "/home/h/link.txt");
    EXPECT_EQ(problem({kLink, "--link-file", "l.txt"}), Msg::OptExtraArgument) << "two links";
    EXPECT_EQ(problem({"--link-file", "l.txt", "--secret-file", "s"}), Msg::OptSecretWithLink);
    EXPECT_EQ(problem({"--link-file"}), Msg::OptMissingValue);
    EXPECT_EQ(problem({"--link-file", ""}), Msg::OptBadValue);
}

TEST(Options, HelpSkipsChecks) {
    const auto r = parseOptions({"--non-interactive", "--help"});
    EXPECT_FALSE(r.problem);
    EXPECT_TRUE(r.options.help);
}

}  // namespace ias::tools
