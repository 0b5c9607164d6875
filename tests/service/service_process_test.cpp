// SPDX-License-Identifier: Apache-2.0
// The daemon process (issue #18): no core dump of its memory (PR_SET_DUMPABLE 0), and
// requests bounded in size and time below cpp-httplib 0.11, which bounds neither its request
// line nor its headers nor the time a request takes to arrive: an endless request line, a
// header flood and slow-loris clients leave the daemon's memory bounded and other clients
// served. Real `ias-unblockd serve` processes (SQLite).
#include <arpa/inet.h>
#include <poll.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "daemon_fixture.hpp"
#include "store_fixture.hpp"

using namespace ias::service::test;
using SteadyClock = std::chrono::steady_clock;

namespace {

// How much a daemon's RSS may grow in these tests: 16 MiB, more under a sanitizer (its
// shadow memory grows with every thread and page the connections touch).
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr long kRssGrowthKiB = 96L * 1024;
#else
constexpr long kRssGrowthKiB = 16L * 1024;
#endif

long rssKiB(pid_t pid) {
    const std::string status = readWhole("/proc/" + std::to_string(pid) + "/status");
    const auto p = status.find("VmRSS:");
    return p == std::string::npos ? -1 : std::stol(status.substr(p + 6));
}

// A raw TLS connection (the test's certificate verified), to send what no HTTP client would.
class RawTls {
public:
    explicit RawTls(int port) {
        ctx_ = SSL_CTX_new(TLS_client_method());
        SSL_CTX_load_verify_locations(ctx_, testTls().cert.c_str(), nullptr);
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        timeval tv{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        ssl_ = SSL_new(ctx_);
        ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && SSL_set_fd(ssl_, fd_) == 1 &&
              SSL_set1_host(ssl_, "127.0.0.1") == 1 && SSL_connect(ssl_) == 1;
    }
    ~RawTls() {
        SSL_free(ssl_);
        SSL_CTX_free(ctx_);
        ::close(fd_);
    }
    RawTls(const RawTls&) = delete;
    RawTls& operator=(const RawTls&) = delete;
    bool ok() const { return ok_; }
    // One TLS record (or several for a long text); false once the server cut the connection.
    bool send(std::string_view s) {
        if (!ok_) return false;
        ok_ = SSL_write(ssl_, s.data(), static_cast<int>(s.size())) == static_cast<int>(s.size());
        ERR_clear_error();
        return ok_;
    }
    // Whether the server ended the connection (within `ms` milliseconds).
    bool closedByServer(int ms) const {
        pollfd p{fd_, POLLRDHUP, 0};
        return ::poll(&p, 1, ms) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
    }

private:
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    int fd_ = -1;
    bool ok_ = false;
};

// A short request through a fresh connection: its status, 0 = no answer in `seconds`.
int quickStatus(const Daemon& d, int seconds) {
    httplib::SSLClient c("127.0.0.1", d.port());
    c.set_ca_cert_path(testTls().cert);
    c.enable_server_certificate_verification(true);
    c.set_connection_timeout(seconds);
    c.set_read_timeout(seconds);
    const auto r = c.Get("/v1/holder/case");
    return r ? r->status : 0;
}

}  // namespace

TEST(ServiceProcess, DaemonIsNotDumpable) {
    DaemonFiles files;
    TestDatabase db;
    const auto cwd = files.dir / "cwd";
    std::filesystem::create_directories(cwd);
    if (::getuid() != 0) {
        // The kernel gives the /proc files of a non-dumpable process to root.
        Daemon d(files, "D", db.spec());
        ASSERT_NO_FATAL_FAILURE(d.start());
        struct stat st {};
        ASSERT_EQ(::stat(("/proc/" + std::to_string(d.pid()) + "/status").c_str(), &st), 0);
        EXPECT_EQ(st.st_uid, 0u) << "the daemon's memory can be dumped and ptraced by its user";
        return;
    }
    // As root every /proc file is root's: ask the kernel for a core dump instead. A control
    // process in the same place with the same limit shows that this machine writes them.
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_CORE, &saved), 0);
    rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    if (::setrlimit(RLIMIT_CORE, &unlimited) != 0) {
        unlimited.rlim_cur = unlimited.rlim_max = saved.rlim_max;
        ::setrlimit(RLIMIT_CORE, &unlimited);
    }
    struct Restore {
        explicit Restore(rlimit limit) : r(limit) {}
        Restore(const Restore&) = delete;
        Restore& operator=(const Restore&) = delete;
        Restore(Restore&&) = delete;
        Restore& operator=(Restore&&) = delete;
        ~Restore() { ::setrlimit(RLIMIT_CORE, &r); }
        rlimit r;
    } restore{saved};
    auto dumpsCore = [&](pid_t pid) {
        ::kill(pid, SIGQUIT);
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFSIGNALED(status) && WCOREDUMP(status);
    };
    pid_t control = -1;
    {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
        char sleep[] = "/bin/sleep", arg[] = "30";
        char* argv[] = {sleep, arg, nullptr};
        ASSERT_EQ(posix_spawn(&control, argv[0], &fa, nullptr, argv, environ), 0);
        posix_spawn_file_actions_destroy(&fa);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (!dumpsCore(control))
        GTEST_SKIP() << "this machine writes no core dump even of a plain process (kernel.core_pattern, limits)";
    Daemon d(files, "D", db.spec(), {}, cwd.string());
    ASSERT_NO_FATAL_FAILURE(d.start());
    const int status = d.endWith(SIGQUIT);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_FALSE(WCOREDUMP(status)) << "the daemon's memory (PIN, answers, secrets, links) was dumped";
}

// An endless request line (no newline) and an endless header section: cpp-httplib 0.11 keeps
// both in memory for as long as they come. The daemon cuts such a connection after
// http.max_head + http.max_body bytes.
TEST(ServiceProcess, EndlessRequestLeavesMemoryBoundedAndOthersServed) {
    DaemonFiles files;
    TestDatabase db;
    Daemon d(files, "D", db.spec());
    ASSERT_NO_FATAL_FAILURE(d.start());
    EXPECT_GT(quickStatus(d, 10), 0);
    const long before = rssKiB(d.pid());
    ASSERT_GT(before, 0);
    const std::string chunk(std::size_t{64} * 1024, 'A');
    std::string headerLines;
    while (headerLines.size() < chunk.size()) headerLines += "X-Flood: " + std::string(60, 'b') + "\r\n";
    for (const std::string& head : {std::string("GET /"), std::string("GET / HTTP/1.1\r\nHost: x\r\n")}) {
        RawTls c(d.port());
        ASSERT_TRUE(c.ok());
        std::size_t sent = 0;
        const std::string& filler = head.size() == 5 ? chunk : headerLines;
        bool open = c.send(head);
        const auto start = SteadyClock::now();
        while (open && sent < std::size_t{100} * 1024 * 1024 && SteadyClock::now() - start < std::chrono::seconds(60) &&
               !c.closedByServer(0)) {
            open = c.send(filler);  // fails, or stalls 5 s, once the daemon stopped reading
            if (open) sent += filler.size();
        }
        EXPECT_TRUE(c.closedByServer(10000)) << "the daemon still reads a request of " << sent << " bytes";
        // What is sent before the cut is seen: the socket buffers on both sides (a few MiB).
        EXPECT_LT(sent, std::size_t{16} * 1024 * 1024);
        EXPECT_GT(quickStatus(d, 10), 0) << "other clients are served";
    }
    const long after = rssKiB(d.pid());
    EXPECT_LT(after - before, kRssGrowthKiB) << "RSS " << before << " KiB before, " << after << " KiB after";
}

// Slow loris: more clients than worker threads, each sending a header byte a second. The
// read timeout (per read) never fires; http.request_timeout cuts them, and a normal client is
// served meanwhile.
TEST(ServiceProcess, SlowLorisClientsAreCutAndOthersServed) {
    DaemonFiles files;
    TestDatabase db;
    Daemon d(files, "D", db.spec(), {"threads=4", "http.request_timeout=3"});
    ASSERT_NO_FATAL_FAILURE(d.start());
    EXPECT_GT(quickStatus(d, 10), 0);
    const long before = rssKiB(d.pid());
    constexpr int kLoris = 6;
    std::atomic<int> cut{0};
    std::vector<double> heldSeconds(kLoris, 0);
    std::vector<std::thread> loris;
    loris.reserve(kLoris);
    for (int i = 0; i < kLoris; ++i)
        loris.emplace_back([&, i] {
            RawTls c(d.port());
            const auto start = SteadyClock::now();
            bool open = c.ok() && c.send("GET /v1/holder/case HTTP/1.1\r\nHost: x\r\nX-Slow: ");
            while (open && SteadyClock::now() - start < std::chrono::seconds(20)) {
                std::this_thread::sleep_for(std::chrono::seconds(1));
                open = c.send("a");
            }
            heldSeconds[static_cast<std::size_t>(i)] = std::chrono::duration<double>(SteadyClock::now() - start).count();
            if (!open) ++cut;
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // every worker thread taken
    const auto asked = SteadyClock::now();
    const int status = quickStatus(d, 15);
    const double waited = std::chrono::duration<double>(SteadyClock::now() - asked).count();
    for (auto& t : loris) t.join();
    EXPECT_GT(status, 0) << "a normal client is served while slow clients hold the threads";
    EXPECT_LT(waited, 10.0);
    EXPECT_EQ(cut.load(), kLoris) << "every slow client was cut";
    for (const double s : heldSeconds) EXPECT_LT(s, 10.0) << "held a connection for " << s << " s";
    const long after = rssKiB(d.pid());
    EXPECT_LT(after - before, kRssGrowthKiB) << "RSS " << before << " KiB before, " << after << " KiB after";
}
