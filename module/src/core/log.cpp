#include "log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace ias::p11 {

namespace {

std::atomic<int> gLevel{static_cast<int>(LogLevel::Error)};
std::mutex gSinkMutex;  // guards gFd; a leaf lock (nothing is called while holding it)
int gFd = STDERR_FILENO;

const char* levelName(LogLevel level) {
    switch (level) {
        case LogLevel::Error: return "ERROR";
        case LogLevel::Warn: return "WARN";
        case LogLevel::Info: return "INFO";
        case LogLevel::Debug: return "DEBUG";
        case LogLevel::Off: break;
    }
    return "";
}

}  // namespace

void configureLog(LogLevel level, const std::string& file) {
    std::lock_guard lock(gSinkMutex);
    if (gFd != STDERR_FILENO) close(gFd);
    gFd = STDERR_FILENO;
    if (!file.empty()) {
        const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) gFd = fd;
    }
    gLevel.store(static_cast<int>(level));
}

bool logEnabled(LogLevel level) noexcept {
    return level != LogLevel::Off && static_cast<int>(level) <= gLevel.load(std::memory_order_relaxed);
}

void logLine(LogLevel level, const char* text) noexcept {
    if (!logEnabled(level)) return;
    char line[1200];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char stamp[32];
    if (std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) stamp[0] = '\0';
    const int n = std::snprintf(line, sizeof line, "%s ias-pkcs11[%d] %s %s\n", stamp, static_cast<int>(getpid()),
                                levelName(level), text);
    if (n <= 0) return;
    const std::size_t len = std::min(static_cast<std::size_t>(n), sizeof line - 1);
    std::lock_guard lock(gSinkMutex);
    [[maybe_unused]] const ssize_t w = write(gFd, line, len);
}

// NOLINTNEXTLINE(cert-dcl50-cpp): printf-style API, format strings checked by -Wformat (format attribute)
void logf(LogLevel level, const char* format, ...) noexcept {
    if (!logEnabled(level)) return;
    char text[1024];
    va_list args;
    va_start(args, format);
    const int n = std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    if (n < 0) return;  // encoding error: nothing sensible to log
    logLine(level, text);
}

}  // namespace ias::p11
