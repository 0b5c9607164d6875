// SPDX-License-Identifier: Apache-2.0
// Real `ias-unblockd serve` processes for the multi-instance and durability tests: the
// binary of this build (IAS_UNBLOCKD_PATH), the test HSM token (SOFTHSM2_CONF of this
// process), the test TLS certificate, a database spec, an audit log file and a stderr file
// per process. Requests go through `Daemon::call`, which reports a transport failure (the
// process was killed mid-request, or is down) as nullopt instead of failing the test.
#pragma once

#include <gtest/gtest.h>
#include <fcntl.h>
#include <httplib.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "hsm_fixture.hpp"
#include "tls_fixture.hpp"

extern char** environ;

namespace ias::service::test {

struct DaemonReply {
    int status = 0;
    nlohmann::json body;
    std::string raw;
};

inline std::string readWhole(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Files shared by the daemons of one test: HSM PIN file, admin token file.
class DaemonFiles {
public:
    DaemonFiles() {
        // A daemon killed mid-request must not kill the client writing to it (TLS writes
        // go through write(2), not send(MSG_NOSIGNAL)).
        if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR)
            throw std::system_error(errno, std::generic_category(), "signal(SIGPIPE, SIG_IGN)");
        ensureTestToken();
        dir = std::filesystem::temp_directory_path() /
              ("ias-daemons-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        std::filesystem::create_directories(dir);
        std::ofstream(dir / "hsm.pin") << "test-user-pin\n";
        std::ofstream(dir / "admin.token") << kToken << "\n";
    }
    DaemonFiles(const DaemonFiles&) = delete;
    DaemonFiles& operator=(const DaemonFiles&) = delete;
    ~DaemonFiles() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    static constexpr const char* kToken = "admin-token-for-daemon-tests";
    std::filesystem::path dir;

private:
    static int& counter() {
        static int n = 0;
        return n;
    }
};

class Daemon {
public:
    // name: used for its log files in files.dir; database: "sqlite:..." or "postgres:...".
    // workDir: the process's working directory (empty: this one's).
    Daemon(const DaemonFiles& files, std::string name, std::string database, std::vector<std::string> extra = {},
           std::string workDir = "")
        : files_(files), name_(std::move(name)), database_(std::move(database)), extra_(std::move(extra)),
          workDir_(std::move(workDir)) {}
    ~Daemon() { stop(); }
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Starts the process (port 0 the first time: an ephemeral port, kept for restarts) and
    // waits until it listens.
    void start() {
        ASSERT_LT(pid_, 0) << "already running";
        const auto errPath = stderrPath();
        const std::string before = readWhole(errPath);
        std::vector<std::string> args{IAS_UNBLOCKD_PATH, "serve"};
        for (const std::string& s : std::vector<std::string>{
                 "listen=127.0.0.1", "port=" + std::to_string(port_), "tls.cert=" + testTls().cert, "tls.key=" + testTls().key,
              "database=" + database_, "database.pool=8", "hsm.token=" + testHsmConfig().tokenLabel, "hsm.sessions=4",
              "hsm.pin_file=" + (files_.dir / "hsm.pin").string(),
              "admin.token_file=" + (files_.dir / "admin.token").string(),
              "audit_log=" + auditPath().string(), "answers.iterations=1000", "rate.serial_per_minute=100000",
              "rate.serial_burst=100000", "rate.client_per_minute=1000000", "rate.client_burst=1000000",
              "threads=16"}) {
            args.emplace_back("--set");
            args.push_back(s);
        }
        for (const std::string& s : extra_) {
            args.emplace_back("--set");
            args.push_back(s);
        }
        std::vector<char*> argv;
        argv.reserve(args.size() + 1);
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (!workDir_.empty()) posix_spawn_file_actions_addchdir_np(&fa, workDir_.c_str());
        pid_t spawned = -1;
        const int rc = posix_spawn(&spawned, argv[0], &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        ASSERT_EQ(rc, 0) << "cannot start " << argv[0];
        pid_ = spawned;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        const std::string marker = "listening on https://127.0.0.1:";
        for (;;) {
            const std::string now = readWhole(errPath).substr(before.size());
            // The whole line: the service's stderr is unbuffered, so the marker may be
            // readable before the port digits are (seen under load as stoi("")).
            if (const auto p = now.find(marker); p != std::string::npos) {
                const auto eol = now.find('\n', p);
                int listening = 0;
                const char* first = now.data() + p + marker.size();
                if (eol != std::string::npos && std::from_chars(first, now.data() + eol, listening).ec == std::errc{} &&
                    listening > 0) {
                    port_ = listening;
                    return;
                }
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                FAIL() << name_ << " exited at start: " << now;
            }
            if (std::chrono::steady_clock::now() > deadline) FAIL() << name_ << " did not start: " << now;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    // SIGKILL: no chance to finish anything.
    void kill() { end(SIGKILL); }
    // SIGTERM: the server stops listening and the process exits normally.
    void stop() { end(SIGTERM); }
    // Any signal; the wait status of the process.
    int endWith(int sig) { return end(sig); }
    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }
    int port() const { return port_.load(); }

    // One HTTPS request on a fresh connection; nullopt when no response arrived.
    std::optional<DaemonReply> call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr,
                                    const std::string& bearer = "") const {
        return attempt(method, path, body, bearer).reply;
    }
    struct Attempt {
        std::optional<DaemonReply> reply;
        // No reply, but the request may have reached the service (it was sent, or the
        // connection broke after the handshake): its effect is unknown.
        bool maybeProcessed = false;
    };
    Attempt attempt(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr,
                    const std::string& bearer = "") const {
        httplib::SSLClient c("127.0.0.1", port_.load());
        c.set_ca_cert_path(testTls().cert);
        c.enable_server_certificate_verification(true);
        c.set_connection_timeout(5);
        c.set_read_timeout(20);
        httplib::Headers h;
        if (!bearer.empty()) h.emplace("Authorization", "Bearer " + bearer);
        auto r = method == "GET" ? c.Get(path, h) : c.Post(path, h, body.is_null() ? "" : body.dump(), "application/json");
        if (!r) {
            // Refused connection or failed handshake: the request never left the client.
            const bool notSent = r.error() == httplib::Error::Connection || r.error() == httplib::Error::SSLConnection;
            return {std::nullopt, !notSent};
        }
        DaemonReply out{r->status, nlohmann::json::parse(r->body, nullptr, false), r->body};
        std::lock_guard lock(bodiesMutex_);
        bodies_.push_back(r->body);
        return {out, false};
    }
    // A request that must be answered.
    DaemonReply must(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr,
                     const std::string& bearer = "") const {
        auto r = call(method, path, body, bearer);
        EXPECT_TRUE(r.has_value()) << name_ << ": no response to " << path;
        return r.value_or(DaemonReply{});
    }

    // Case + correct answers through this instance: the secret as displayed.
    std::string issueSecret(const std::string& serial) const {
        const auto c = must("POST", "/v1/admin/cases",
                            {{"serial", serial},
                             {"email", "holder@example.org"},
                             {"questions", {{{"question", "Ville de naissance ?"}, {"answer", "Canary-Answer-Lyon"}}}}},
                            DaemonFiles::kToken);
        EXPECT_EQ(c.status, 201) << c.raw;
        const std::string link = c.body.value("link", "");
        const auto a = must("POST", "/v1/holder/answers", {{"answers", {"Canary-Answer-Lyon"}}}, link.substr(link.rfind('/') + 1));
        EXPECT_EQ(a.status, 200) << a.raw;
        return a.body.value("secret", "");
    }

    std::filesystem::path auditPath() const { return files_.dir / (name_ + ".audit"); }
    std::filesystem::path stderrPath() const { return files_.dir / (name_ + ".stderr"); }
    std::vector<std::string> bodies() const {
        std::lock_guard lock(bodiesMutex_);
        return bodies_;
    }

private:
    int end(int sig) {
        if (pid_ <= 0) return 0;
        ::kill(pid_, sig);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

    const DaemonFiles& files_;
    std::string name_;
    std::string database_;
    std::vector<std::string> extra_;
    std::string workDir_;
    pid_t pid_ = -1;
    std::atomic<int> port_{0};
    mutable std::mutex bodiesMutex_;
    mutable std::vector<std::string> bodies_;
};

}  // namespace ias::service::test
