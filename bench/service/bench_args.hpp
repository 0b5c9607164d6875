// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the service benchmarks.
#pragma once

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace ias::bench {

// A whole decimal number in [min, max], or nullopt (empty, sign, trailing text, out of range).
inline std::optional<int> parseCount(std::string_view text, int min, int max) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min || value > max)
        return std::nullopt;
    return value;
}

// Removes an SQLite database and its -wal/-shm files when it goes out of scope (an empty path
// removes nothing). The -wal and -shm files exist only while SQLite is in WAL mode: a missing
// file is fine.
class RemoveSqliteFiles {
public:
    explicit RemoveSqliteFiles(std::string path) : path_(std::move(path)) {}
    ~RemoveSqliteFiles() {
        if (path_.empty()) return;
        for (const char* s : {"", "-wal", "-shm"}) {
            const std::string file = path_ + s;
            if (std::remove(file.c_str()) != 0 && errno != ENOENT)
                std::cerr << "cannot remove " << file << ": " << std::error_code(errno, std::generic_category()).message()
                          << "\n";
        }
    }
    RemoveSqliteFiles(const RemoveSqliteFiles&) = delete;
    RemoveSqliteFiles& operator=(const RemoveSqliteFiles&) = delete;

private:
    std::string path_;
};

}  // namespace ias::bench
