// SPDX-License-Identifier: Apache-2.0
#include "input_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace ias::tools {

namespace {
constexpr std::size_t kMaxInput = std::size_t{64} * 1024;
}

std::optional<std::vector<apdu::SecureBytes>> readSecretLinesFromFd(int fd) {
    apdu::SecureBytes all;
    all.reserve(1024);
    unsigned char buf[512];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            apdu::wipeMemory(buf, sizeof buf);
            return std::nullopt;
        }
        if (n == 0) break;
        if (all.size() + static_cast<std::size_t>(n) > kMaxInput) {
            apdu::wipeMemory(buf, sizeof buf);
            return std::nullopt;
        }
        all.insert(all.end(), buf, buf + n);
    }
    apdu::wipeMemory(buf, sizeof buf);
    std::vector<apdu::SecureBytes> lines;
    apdu::SecureBytes line;
    for (std::uint8_t c : all) {
        if (c == '\n') {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            lines.push_back(std::move(line));
            line = apdu::SecureBytes();
        } else {
            line.push_back(c);
        }
    }
    if (!line.empty()) {
        if (line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
    }
    return lines;
}

std::optional<std::vector<apdu::SecureBytes>> readSecretLinesFromFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    auto lines = readSecretLinesFromFd(fd);
    ::close(fd);
    return lines;
}

std::optional<apdu::SecureBytes> readFirstLine(std::optional<std::vector<apdu::SecureBytes>> lines) {
    if (!lines || lines->empty()) return std::nullopt;
    std::optional<apdu::SecureBytes> first(std::move(lines->front()));
    return first;
}

}  // namespace ias::tools
