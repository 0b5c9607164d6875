// SPDX-License-Identifier: Apache-2.0
#include "log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
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
constexpr int kSyslog = -2;
int gFd = STDERR_FILENO;  // or kSyslog

int syslogPriority(LogLevel level) {
    switch (level) {
        case LogLevel::Error: return LOG_ERR;
        case LogLevel::Warn: return LOG_WARNING;
        case LogLevel::Info: return LOG_INFO;
        case LogLevel::Debug:
        case LogLevel::Off: break;
    }
    return LOG_DEBUG;
}

// Opens (creates) an absolute `path` for appending, or returns -1 with `why` set. Refused: a
// symbolic link (O_NOFOLLOW), anything but a regular file (a FIFO or device, opened
// non-blocking to check), and a directory that someone else could write to (group- or
// other-writable, sticky or not, or owned by another user than root or us) where a file
// could be swapped or pre-created.
int openLogFile(const std::string& path, const char*& why) {
    const std::size_t slash = path.rfind('/');
    if (path.empty() || path.front() != '/' || slash == path.size() - 1) {
        why = "not an absolute file path";
        return -1;
    }
    const std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    const int dirFd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd < 0) {
        why = "directory cannot be opened";
        return -1;
    }
    struct stat st {};
    int fd = -1;
    if (fstat(dirFd, &st) != 0) {
        why = "directory cannot be checked";
    } else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        why = "directory writable by group or others";
    } else if (st.st_uid != 0 && st.st_uid != geteuid()) {
        why = "directory owned by another user";
    } else {
        fd = openat(dirFd, path.c_str() + slash + 1,
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);
        if (fd < 0) why = "cannot be opened (or is a symbolic link)";
    }
    close(dirFd);
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        why = "not a regular file";
        close(fd);
        return -1;
    }
    [[maybe_unused]] const int ignored = fcntl(fd, F_SETFL, O_APPEND);  // blocking again
    return fd;
}

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
    const char* why = nullptr;
    {
        std::lock_guard lock(gSinkMutex);
        if (gFd >= 0 && gFd != STDERR_FILENO) close(gFd);
        gFd = STDERR_FILENO;
        if (file == config::kLogToSyslog) {
            gFd = kSyslog;
        } else if (!file.empty()) {
            const int fd = openLogFile(file, why);
            if (fd >= 0) gFd = fd;
        }
        gLevel.store(static_cast<int>(level));
    }
    if (why != nullptr) logf(LogLevel::Warn, "log file %s refused (%s): logging to stderr", file.c_str(), why);
}

bool logEnabled(LogLevel level) noexcept {
    return level != LogLevel::Off && static_cast<int>(level) <= gLevel.load(std::memory_order_relaxed);
}

void logLine(LogLevel level, const char* text) noexcept {
    if (!logEnabled(level)) return;
    bool toSyslog = false;
    {
        std::lock_guard lock(gSinkMutex);
        toSyslog = gFd == kSyslog;
    }
    if (toSyslog) {
        // No openlog(): the host application's ident and options are left alone.
        syslog(LOG_USER | syslogPriority(level), "ias-pkcs11[%d] %s %s", static_cast<int>(getpid()), levelName(level), text);
        return;
    }
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
