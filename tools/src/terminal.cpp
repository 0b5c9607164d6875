// SPDX-License-Identifier: Apache-2.0
#include "terminal.hpp"

#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>

namespace ias::tools {

namespace {

constexpr std::size_t kMaxLine = 4096;

// The terminal state to put back if the holder presses Ctrl-C while echo is off.
struct SavedTerminal {
    std::atomic<bool> active{false};
    int fd = -1;
    termios state{};
};
SavedTerminal gSaved;

extern "C" void restoreAndExit(int sig) {
    if (gSaved.active.load()) tcsetattr(gSaved.fd, TCSAFLUSH, &gSaved.state);
    const char nl = '\n';
    (void)!write(STDERR_FILENO, &nl, 1);
    _exit(128 + sig);
}

// Echo off for one read; restored by the destructor.
class EchoOff {
public:
    explicit EchoOff(int fd) : fd_(fd) {
        if (!isatty(fd) || tcgetattr(fd, &old_) != 0) return;
        termios quiet = old_;
        quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
        quiet.c_lflag |= ECHONL;
        gSaved.fd = fd;
        gSaved.state = old_;
        gSaved.active.store(true);
        struct sigaction sa {};
        sa.sa_handler = restoreAndExit;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &oldInt_);
        sigaction(SIGTERM, &sa, &oldTerm_);
        sigaction(SIGHUP, &sa, &oldHup_);
        active_ = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
        if (!active_) restoreHandlers();
    }
    ~EchoOff() {
        if (!active_) return;
        tcsetattr(fd_, TCSAFLUSH, &old_);
        restoreHandlers();
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

private:
    void restoreHandlers() {
        gSaved.active.store(false);
        sigaction(SIGINT, &oldInt_, nullptr);
        sigaction(SIGTERM, &oldTerm_, nullptr);
        sigaction(SIGHUP, &oldHup_, nullptr);
    }
    int fd_;
    termios old_{};
    struct sigaction oldInt_ {}, oldTerm_{}, oldHup_{};
    bool active_ = false;
};

}  // namespace

std::optional<apdu::SecureBytes> readLineFromFd(int fd, bool echo) {
    std::optional<EchoOff> quiet;
    if (!echo) quiet.emplace(fd);
    apdu::SecureBytes line;
    line.reserve(256);
    bool any = false;
    for (;;) {
        unsigned char c = 0;
        const ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        any = true;
        if (c == '\n') break;
        if (line.size() < kMaxLine) line.push_back(c);
        c = 0;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!any) return std::nullopt;
    return line;
}

TerminalConsole::TerminalConsole() = default;

void TerminalConsole::say(std::string_view line) { std::cout << line << std::endl; }

void TerminalConsole::warn(std::string_view line) {
    std::cout.flush();
    std::cerr << line << std::endl;
}

std::optional<std::string> TerminalConsole::ask(std::string_view prompt) {
    std::cout << prompt << std::flush;
    auto line = readLineFromFd(STDIN_FILENO, true);
    if (!line) {
        std::cout << std::endl;
        return std::nullopt;
    }
    return std::string(line->begin(), line->end());
}

std::optional<apdu::SecureBytes> TerminalConsole::askSecret(std::string_view prompt, bool show) {
    std::cout << prompt << std::flush;
    auto line = readLineFromFd(STDIN_FILENO, show);
    if (!line) std::cout << std::endl;
    return line;
}

}  // namespace ias::tools
