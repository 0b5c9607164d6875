// SPDX-License-Identifier: Apache-2.0
// Hidden input on a real pseudo-terminal: what the holder types for the PIN, the secret and
// the answers is never echoed; echo is back afterwards. Non-interactive files: line handling.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "input_files.hpp"
#include "terminal.hpp"

namespace ias::tools {

namespace {

struct Pty {
    int master = -1, slave = -1;
    Pty() { EXPECT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0); }
    Pty(const Pty&) = delete;
    Pty& operator=(const Pty&) = delete;
    ~Pty() {
        close(master);
        close(slave);
    }
    bool echoOn() const {
        termios t{};
        // Unknown counts as echoing: a failed query must not pass as "echo off".
        if (tcgetattr(slave, &t) != 0) {
            ADD_FAILURE() << "tcgetattr on the pty failed";
            return true;
        }
        return (t.c_lflag & ECHO) != 0;
    }
    // Everything the terminal shows (its echo), waiting up to 200 ms.
    std::string shown() const {
        std::string out;
        pollfd p{master, POLLIN, 0};
        while (poll(&p, 1, 200) > 0 && (p.revents & POLLIN)) {
            char buf[256];
            const ssize_t n = read(master, buf, sizeof buf);
            if (n <= 0) break;
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }
};

// Types `line` into the terminal while readLineFromFd(echo) waits for it.
std::pair<std::string, std::string> typeInto(Pty& pty, const std::string& line, bool echo) {
    std::optional<apdu::SecureBytes> got;
    std::thread reader([&] { got = readLineFromFd(pty.slave, echo); });
    if (!echo) {
        for (int i = 0; i < 200 && pty.echoOn(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        EXPECT_FALSE(pty.echoOn());
    } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(write(pty.master, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    reader.join();
    EXPECT_TRUE(got);
    return {got ? std::string(got->begin(), got->end()) : "", pty.shown()};
}

}  // namespace

TEST(HiddenInput, AnswerAndSecretNeverEchoed) {
    Pty pty;
    ASSERT_TRUE(pty.echoOn());
    for (const std::string canary : {"Lyon-CANARY-answer", "7KQ2-M9XD-4T1V-HB8R-5Z", "2580"}) {
        const auto [value, shown] = typeInto(pty, canary + "\n", false);
        EXPECT_EQ(value, canary);
        EXPECT_EQ(shown.find(canary), std::string::npos) << shown;
        EXPECT_TRUE(pty.echoOn()) << "echo restored after the read";
    }
}

TEST(HiddenInput, ShowValuesEchoes) {
    Pty pty;
    const auto [value, shown] = typeInto(pty, "Rex\n", true);
    EXPECT_EQ(value, "Rex");
    EXPECT_NE(shown.find("Rex"), std::string::npos);
}

TEST(HiddenInput, EndOfInput) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    close(fds[1]);
    EXPECT_FALSE(readLineFromFd(fds[0], false));
    close(fds[0]);
}

TEST(InputFiles, LinesWithoutLineEnds) {
    char path[] = "/tmp/ias-unblock-test-XXXXXX";
    const std::string text = "Lyon\r\nRex\n\nlast";
    const int fd = mkstemp(path);
    const bool written = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (fd >= 0) close(fd);
    ASSERT_TRUE(written) << "cannot write " << path;
    const auto lines = readSecretLinesFromFile(path);
    ASSERT_TRUE(lines);
    ASSERT_EQ(lines->size(), 4u);
    EXPECT_EQ(std::string((*lines)[0].begin(), (*lines)[0].end()), "Lyon");
    EXPECT_EQ(std::string((*lines)[1].begin(), (*lines)[1].end()), "Rex");
    EXPECT_TRUE((*lines)[2].empty());
    EXPECT_EQ(std::string((*lines)[3].begin(), (*lines)[3].end()), "last");
    const auto first = readFirstLine(readSecretLinesFromFile(path));
    ASSERT_TRUE(first);
    EXPECT_EQ(std::string(first->begin(), first->end()), "Lyon");
    unlink(path);
    EXPECT_FALSE(readSecretLinesFromFile(path));
    EXPECT_FALSE(readFirstLine(std::vector<apdu::SecureBytes>{}));
}

TEST(InputFiles, FromDescriptor) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    ASSERT_EQ(write(fds[1], "2580\n", 5), 5);
    close(fds[1]);
    const auto pin = readFirstLine(readSecretLinesFromFd(fds[0]));
    close(fds[0]);
    ASSERT_TRUE(pin);
    EXPECT_EQ(std::string(pin->begin(), pin->end()), "2580");
}

}  // namespace ias::tools
