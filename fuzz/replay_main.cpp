// SPDX-License-Identifier: Apache-2.0
// A plain main() for the fuzz targets (IAS_FUZZ_REPLAY): runs LLVMFuzzerTestOneInput once on
// every file of the given files and directories (recursively, in name order), with the
// compiler and sanitizers of the tree it is built in. CI builds it in the g++ ASan+UBSan tree
// and runs every committed corpus (fuzz/corpus/<target>, regressions/ and merged/ included)
// as one test per target: each input once, like the first pass of a libFuzzer run, without
// the clang build of every library that libFuzzer itself needs. Fuzzing proper, which
// mutates and keeps new inputs, is scripts/fuzz.sh (clang, libFuzzer).
//
//   <target>_replay PATH...      exit 0 when every input ran; a crash, a sanitizer report or a
//                                fuzz::fail() names the input on stderr and exits non-zero.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

#if defined(__has_include)
#if __has_include(<sanitizer/common_interface_defs.h>)
#include <sanitizer/common_interface_defs.h>
#define IAS_REPLAY_HAS_SANITIZER_API 1
#endif
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Optional in a target (p11_api, service_api define it): called once before the first input.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

// The input being run, for the death reports below (a fixed buffer: read from a signal
// handler, which may not allocate).
char g_current[4096] = "(before the first input)";

void writeCurrent() {
    const char prefix[] = "replay: the failing input is ";
    // write(2) is async-signal-safe; a short write only shortens a diagnostic.
    (void)!::write(2, prefix, sizeof prefix - 1);
    (void)!::write(2, g_current, std::strlen(g_current));
    (void)!::write(2, "\n", 1);
}

extern "C" void onFatalSignal(int sig) {
    writeCurrent();
    (void)std::signal(sig, SIG_DFL);
    (void)std::raise(sig);
}

void collect(const std::filesystem::path& path, std::vector<std::filesystem::path>& out) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
            if (entry.is_regular_file()) files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
        out.insert(out.end(), files.begin(), files.end());
    } else if (std::filesystem::is_regular_file(path, ec)) {
        out.push_back(path);
    } else {
        throw std::runtime_error("not a file or directory: " + path.string());
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
        return 2;
    }
    std::vector<std::filesystem::path> inputs;
    try {
        for (int i = 1; i < argc; ++i) collect(argv[i], inputs);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "replay: %s\n", e.what());
        return 2;
    }
    if (inputs.empty()) {
        std::fprintf(stderr, "replay: no input file (a corpus that tests nothing)\n");
        return 2;
    }
    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
        if (std::signal(sig, onFatalSignal) == SIG_ERR) std::fprintf(stderr, "replay: no handler for signal %d\n", sig);
    }
#ifdef IAS_REPLAY_HAS_SANITIZER_API
    __sanitizer_set_death_callback(writeCurrent);
#endif
    if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);

    const auto start = std::chrono::steady_clock::now();
    std::size_t bytes = 0;
    for (const auto& path : inputs) {
        (void)std::snprintf(g_current, sizeof g_current, "%s", path.c_str());  // truncation only shortens a diagnostic
        std::ifstream in(path, std::ios::binary);
        std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in.good() && !in.eof()) {
            std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
            return 2;
        }
        bytes += data.size();
        // Like libFuzzer: a heap buffer of exactly the input's size (ASan sees any read past
        // it), and a non-null pointer for an empty input.
        const std::uint8_t empty = 0;
        LLVMFuzzerTestOneInput(data.empty() ? &empty : data.data(), data.size());
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start).count();
    std::printf("replay: %zu inputs (%zu bytes) ran without a finding in %lld ms\n", inputs.size(), bytes,
                static_cast<long long>(ms));
    return 0;
}
