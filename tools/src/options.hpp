// SPDX-License-Identifier: Apache-2.0
// The command line of ias-unblock (see Msg::Help for the text shown to the holder).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "messages_fr_en.hpp"

namespace ias::tools {

struct Options {
    std::optional<std::string> link;      // the e-mail link (positional); a credential, never printed
    std::string linkFile;                 // --link-file: the link's file, "-" = standard input
    std::optional<Lang> lang;
    std::string modulePath;               // empty: default (see defaultModulePath)
    std::string configPath;               // empty: IAS_PKCS11_CONF or the default path
    std::string caFile;
    std::string serial;
    bool showAnswers = false;
    bool yes = false;
    bool nonInteractive = false;
    std::string newPinFile;
    std::optional<int> newPinFd;
    std::string secretFile;
    std::string answersFile;
    bool help = false;
};

struct UsageProblem {
    Msg message;
    std::string detail;  // the option or argument concerned (never a value)
};

struct ParsedOptions {
    Options options;
    std::optional<UsageProblem> problem;
};

// Parses argv[1..]; checks the combinations: --non-interactive needs a new-PIN source and
// either the link with --answers-file or --secret-file; --answers-file needs the link;
// --secret-file excludes the link; one new-PIN source at most; the link must parse; the
// link comes from the command line or from --link-file (kept out of /proc/*/cmdline), not both.
ParsedOptions parseOptions(const std::vector<std::string>& args);

}  // namespace ias::tools
