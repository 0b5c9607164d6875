// SPDX-License-Identifier: Apache-2.0
// Talking to the holder: plain output, ordinary answers (echoed), and hidden input for the
// PIN, the secret and the answers (terminal echo off with termios, restored on every exit
// path including Ctrl-C). Secret input goes straight into a wiping buffer.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "ias/apdu/bytes.hpp"

namespace ias::tools {

class Console {
public:
    virtual ~Console() = default;
    virtual void say(std::string_view line) = 0;    // one line to standard output
    virtual void warn(std::string_view line) = 0;   // one line to standard error
    // An ordinary answer (a choice, "o/N"); nullopt at end of input.
    virtual std::optional<std::string> ask(std::string_view prompt) = 0;
    // A secret line: not echoed unless `show`; nullopt at end of input.
    virtual std::optional<apdu::SecureBytes> askSecret(std::string_view prompt, bool show) = 0;
};

// Reads one line from `fd` into a wiping buffer (without the line end). When `fd` is a
// terminal and `echo` is false, echo is switched off for the read (ECHONL keeps the new line
// visible) and restored afterwards. nullopt at end of input before any byte.
std::optional<apdu::SecureBytes> readLineFromFd(int fd, bool echo);

// The real console: standard output/error, input from standard input (a terminal or a pipe).
class TerminalConsole final : public Console {
public:
    TerminalConsole();
    void say(std::string_view line) override;
    void warn(std::string_view line) override;
    std::optional<std::string> ask(std::string_view prompt) override;
    std::optional<apdu::SecureBytes> askSecret(std::string_view prompt, bool show) override;
};

}  // namespace ias::tools
