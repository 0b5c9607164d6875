// SPDX-License-Identifier: Apache-2.0
// ias-unblock: the guided holder tool (UNBLOCK.md). Wires the command line, the language,
// the module configuration (trust for the service), the PKCS#11 module and the holder API,
// then runs the four steps. Exit codes: exit_codes.hpp / --help.
#include <cstdlib>
#include <iostream>

#include "flow.hpp"
#include "holder_link.hpp"
#include "ias/config/config.hpp"
#include "input_files.hpp"

using namespace ias::tools;

namespace {

int usageError(const Messages& msg, const UsageProblem& p) {
    std::cerr << "ias-unblock: " << msg.format(p.message, {p.detail}) << "\n" << msg.text(Msg::UsageHint) << std::endl;
    return toInt(ExitCode::Usage);
}

// --non-interactive inputs, read before anything else happens.
std::optional<UsageProblem> readPresets(const Options& o, PresetInputs& p) {
    if (!o.newPinFile.empty()) {
        p.newPin = readFirstLine(readSecretLinesFromFile(o.newPinFile));
        if (!p.newPin) return UsageProblem{Msg::InputUnreadable, o.newPinFile};
    } else if (o.newPinFd) {
        p.newPin = readFirstLine(readSecretLinesFromFd(*o.newPinFd));
        if (!p.newPin) return UsageProblem{Msg::InputUnreadable, "--new-pin-fd"};
    }
    if (!o.secretFile.empty()) {
        p.secret = readFirstLine(readSecretLinesFromFile(o.secretFile));
        if (!p.secret) return UsageProblem{Msg::InputUnreadable, o.secretFile};
    }
    if (!o.answersFile.empty()) {
        p.answers = readSecretLinesFromFile(o.answersFile);
        if (!p.answers) return UsageProblem{Msg::InputUnreadable, o.answersFile};
    }
    return std::nullopt;
}

// --link-file: the link from a file or standard input ("-"), so that it is not in the
// process's command line (/proc/*/cmdline, ps). The first line; checked like the argument.
std::optional<UsageProblem> readLink(Options& o) {
    if (o.linkFile.empty()) return std::nullopt;
    auto lines = o.linkFile == "-" ? readSecretLinesFromFd(0) : readSecretLinesFromFile(o.linkFile);
    const std::optional<ias::apdu::SecureBytes> line = readFirstLine(std::move(lines));
    if (!line) return UsageProblem{Msg::InputUnreadable, o.linkFile == "-" ? "--link-file -" : o.linkFile};
    o.link = std::string(line->begin(), line->end());
    if (!parseHolderLink(*o.link)) return UsageProblem{Msg::OptBadLink, ""};
    return std::nullopt;
}

// Trust for the holder API, whose origin is the configured service's: --ca-file, else the
// module's service_ca_file and pinned key.
HolderApiSettings holderSettings(HolderLink link, const Options& o, const ias::config::Config& c) {
    HolderApiSettings s;
    s.apiBase = std::move(link.apiBase);
    s.token = std::move(link.token);
    s.caFile = !o.caFile.empty() ? o.caFile : c.serviceCaFile;
    s.pinnedPublicKey = c.servicePinSha256;
    s.connectTimeout = std::max(c.serviceConnectTimeout, std::chrono::milliseconds(3000));
    s.totalTimeout = std::max(c.serviceTimeout, std::chrono::milliseconds(20000));
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    ParsedOptions parsed = parseOptions(args);
    const Messages msg(chooseLanguageFromEnvironment(parsed.options.lang));
    if (parsed.problem) return usageError(msg, *parsed.problem);
    if (auto p = readLink(parsed.options)) return usageError(msg, *p);
    const Options& o = parsed.options;
    if (o.help) {
        std::cout << msg.text(Msg::Help);
        return 0;
    }
    // The module reads the same file: --config is passed on through IAS_PKCS11_CONF.
    // NOLINTNEXTLINE(concurrency-mt-unsafe): still single-threaded here, before the module is loaded
    if (!o.configPath.empty()) setenv("IAS_PKCS11_CONF", o.configPath.c_str(), 1);
    const ias::config::Config config = ias::config::loadFromEnvironment().config;

    PresetInputs preset;
    if (auto p = readPresets(o, preset)) return usageError(msg, *p);

    TerminalConsole console;
    const std::string modulePath = o.modulePath.empty() ? defaultModulePath() : o.modulePath;
    std::unique_ptr<Pkcs11Module> module;
    try {
        module = std::make_unique<Pkcs11Module>(modulePath);
    } catch (const std::exception& e) {
        console.warn(msg.format(Msg::ModuleLoadFailed, {modulePath, e.what()}));
        return toInt(ExitCode::NotConfigured);
    }
    std::unique_ptr<HolderApi> holder;
    if (o.link) {
        HolderLink link = *parseHolderLink(*o.link);
        // The answers go to the configured service only: a link to another origin (phishing,
        // a mistyped or stale link) is refused before anything is sent, naming both.
        if (const auto foreign = foreignLinkOrigin(link, config.serviceUrl)) {
            const std::string configured = config.serviceUrl.empty() ? "(service_url not set)" : originOf(config.serviceUrl);
            std::cerr << "ias-unblock: " << msg.format(Msg::LinkOtherService, {*foreign, configured}) << std::endl;
            return toInt(ExitCode::Usage);
        }
        holder = std::make_unique<CurlHolderApi>(holderSettings(std::move(link), o, config));
    }

    UnblockFlow flow(o, msg, console, *module, holder.get(), std::move(preset));
    return toInt(flow.run());
}
