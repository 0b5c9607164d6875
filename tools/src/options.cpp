// SPDX-License-Identifier: Apache-2.0
#include "options.hpp"

#include <charconv>

#include "holder_link.hpp"

namespace ias::tools {

namespace {

std::optional<int> parseFd(const std::string& s) {
    int v = -1;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
    return v;
}

std::optional<UsageProblem> checkCombinations(const Options& o) {
    const bool hasLink = o.link || !o.linkFile.empty();
    if (o.link && !o.linkFile.empty()) return UsageProblem{Msg::OptExtraArgument, "--link-file"};
    if (!o.newPinFile.empty() && o.newPinFd) return UsageProblem{Msg::OptTwoPinSources, ""};
    if (!o.answersFile.empty() && !hasLink) return UsageProblem{Msg::OptAnswersNeedLink, "--answers-file"};
    if (!o.secretFile.empty() && hasLink) return UsageProblem{Msg::OptSecretWithLink, "--secret-file"};
    if (o.link && !parseHolderLink(*o.link)) return UsageProblem{Msg::OptBadLink, ""};
    if (o.nonInteractive) {
        if (o.newPinFile.empty() && !o.newPinFd) return UsageProblem{Msg::OptNeedPin, ""};
        const bool byAnswers = hasLink && !o.answersFile.empty();
        const bool bySecret = !hasLink && !o.secretFile.empty();
        if (!byAnswers && !bySecret) return UsageProblem{Msg::OptNeedAuth, ""};
    }
    return std::nullopt;
}

}  // namespace

ParsedOptions parseOptions(const std::vector<std::string>& args) {
    ParsedOptions r;
    Options& o = r.options;
    auto fail = [&r](Msg m, std::string detail) {
        r.problem = UsageProblem{m, std::move(detail)};
        return r;
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string a = args[i];
        std::optional<std::string> inlineValue;
        if (a.rfind("--", 0) == 0) {
            const auto eq = a.find('=');
            if (eq != std::string::npos) {
                inlineValue = a.substr(eq + 1);
                a.resize(eq);
            }
        }
        auto value = [&](std::string& out) -> bool {
            if (inlineValue) {
                out = *inlineValue;
                return true;
            }
            if (i + 1 >= args.size()) return false;
            out = args[++i];
            return true;
        };
        auto flag = [&](bool& out) -> bool {
            out = true;
            return !inlineValue;
        };
        std::string v;
        if (a == "--help" || a == "-h") {
            if (!flag(o.help)) return fail(Msg::OptBadValue, a);
        } else if (a == "--yes" || a == "-y") {
            if (!flag(o.yes)) return fail(Msg::OptBadValue, a);
        } else if (a == "--non-interactive") {
            if (!flag(o.nonInteractive)) return fail(Msg::OptBadValue, a);
        } else if (a == "--show-answers") {
            if (!flag(o.showAnswers)) return fail(Msg::OptBadValue, a);
        } else if (a == "--lang" || a == "--module" || a == "--config" || a == "--ca-file" || a == "--serial" ||
                   a == "--new-pin-file" || a == "--new-pin-fd" || a == "--secret-file" || a == "--answers-file" ||
                   a == "--link-file") {
            if (!value(v)) return fail(Msg::OptMissingValue, a);
            if (v.empty()) return fail(Msg::OptBadValue, a);
            if (a == "--lang") {
                o.lang = parseLang(v);
                if (!o.lang) return fail(Msg::OptBadValue, a);
            } else if (a == "--module") {
                o.modulePath = v;
            } else if (a == "--config") {
                o.configPath = v;
            } else if (a == "--ca-file") {
                o.caFile = v;
            } else if (a == "--serial") {
                o.serial = v;
            } else if (a == "--new-pin-file") {
                o.newPinFile = v;
            } else if (a == "--new-pin-fd") {
                o.newPinFd = parseFd(v);
                if (!o.newPinFd) return fail(Msg::OptBadValue, a);
            } else if (a == "--secret-file") {
                o.secretFile = v;
            } else if (a == "--link-file") {
                o.linkFile = v;
            } else {
                o.answersFile = v;
            }
        } else if (a.size() > 1 && a[0] == '-') {
            return fail(Msg::OptUnknown, a);
        } else if (!o.link) {
            o.link = a;
        } else {
            return fail(Msg::OptExtraArgument, "");
        }
    }
    if (o.help) return r;
    r.problem = checkCombinations(o);
    return r;
}

}  // namespace ias::tools
