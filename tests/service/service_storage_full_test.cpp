// SPDX-License-Identifier: Apache-2.0
// Issue #9, service side: the SQLite database on a full disk, then on a read-only volume.
// Each request that needs the database answers a clean 503 "unavailable" (with Retry-After)
// and changes nothing; the file stays intact (PRAGMA integrity_check); once the condition is
// gone the same running process serves again and counts on exactly.
//
// The test process enters its own mount namespace (unshare, needs root as in CI) and puts
// the database directory on a 4 MiB tmpfs. A read-only remount is refused (EBUSY) while the
// service holds the file open for writing, so the read-only case is the realistic one where
// the service starts on a read-only volume and the volume becomes writable under it.
#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>

#include "daemon_fixture.hpp"
#include "store/sql.hpp"

using namespace ias::service;
using namespace ias::service::test;

namespace {

void fillUp(const std::filesystem::path& file) {
    std::FILE* f = std::fopen(file.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::vector<char> block(std::size_t{64} * 1024, 'x');
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size() && std::fflush(f) == 0) {
    }
    // The write loop ends on ENOSPC; closing flushes what is still buffered, so it may fail
    // with ENOSPC too, but with nothing else.
    if (std::fclose(f) != 0) {
        EXPECT_EQ(errno, ENOSPC) << std::strerror(errno);
    }
}

}  // namespace

TEST(ServiceStorage, DiskFullAndReadOnlyVolumeGive503AndRecover) {
    ASSERT_EQ(::unshare(CLONE_NEWNS), 0) << "unshare(CLONE_NEWNS): " << std::strerror(errno) << " (run as root)";
    ASSERT_EQ(::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0) << std::strerror(errno);
    DaemonFiles files;
    const auto dir = files.dir / "db";
    std::filesystem::create_directories(dir);
    ASSERT_EQ(::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=4m"), 0) << std::strerror(errno);
    struct Unmount {
        explicit Unmount(std::filesystem::path dir) : d(std::move(dir)) {}
        Unmount(const Unmount&) = delete;
        Unmount& operator=(const Unmount&) = delete;
        ~Unmount() { ::umount2(d.c_str(), MNT_DETACH); }
        std::filesystem::path d;
    } unmount{dir};
    const std::string path = (dir / "ias-unblockd.db").string();
    Daemon d(files, "S", "sqlite:" + path);
    ASSERT_NO_FATAL_FAILURE(d.start());
    const std::string s1 = "0030000000000001", s2 = "0030000000000002";
    const std::string secret1 = d.issueSecret(s1), secret2 = d.issueSecret(s2);
    std::string wrong1 = secret1;
    wrong1[0] = wrong1[0] == '0' ? '1' : '0';
    auto verify = [&](const std::string& serial, const std::string& secret) {
        return d.must("POST", "/v1/unblock/verify", {{"serial", serial}, {"secret", secret}});
    };
    auto expectUnavailable = [&d](const DaemonReply& r) {
        EXPECT_EQ(r.status, 503) << r.raw << "\n" << readWhole(d.stderrPath());
        EXPECT_EQ(r.body.value("error", ""), "unavailable") << r.raw;
        EXPECT_TRUE(r.body.contains("request_id"));
    };

    // --- disk full
    ASSERT_NO_FATAL_FAILURE(fillUp(dir / "filler"));
    for (int i = 0; i < 3; ++i) expectUnavailable(verify(s1, wrong1));  // would spend a try
    expectUnavailable(verify(s2, secret2));                              // would record a ticket
    const std::string before = readWhole(d.stderrPath());
    EXPECT_NE(before.find("storage unavailable"), std::string::npos) << before;
    std::filesystem::remove(dir / "filler");
    const auto w = verify(s1, wrong1);
    EXPECT_EQ(w.status, 401) << w.raw;
    EXPECT_EQ(w.body["tries_left"], 2) << "the refused tries did not count";
    EXPECT_EQ(verify(s2, secret2).status, 200);

    // --- read-only volume: the service starts on it, answers 503, and recovers in place when
    // it becomes writable.
    d.stop();
    ASSERT_EQ(::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr), 0) << std::strerror(errno);
    ASSERT_EQ(::mount(nullptr, dir.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr), 0) << std::strerror(errno);
    ASSERT_NO_FATAL_FAILURE(d.start());
    EXPECT_NE(readWhole(d.stderrPath()).find("database unavailable at start"), std::string::npos);
    expectUnavailable(verify(s1, wrong1));
    expectUnavailable(verify(s1, secret1));
    const auto page = d.must("GET", "/v1/holder/case", nullptr, std::string(64, 'a'));
    expectUnavailable(page);
    ASSERT_EQ(::mount(nullptr, dir.c_str(), nullptr, MS_BIND | MS_REMOUNT, nullptr), 0) << std::strerror(errno);
    const auto w2 = verify(s1, wrong1);
    EXPECT_EQ(w2.status, 401) << w2.raw;
    EXPECT_EQ(w2.body["tries_left"], 1);
    EXPECT_EQ(verify(s1, secret1).status, 200);
    d.stop();

    auto sql = store::openSqlite(path);
    EXPECT_EQ(sql->query("PRAGMA integrity_check").at(0).at(0).value_or(""), "ok");
    EXPECT_EQ(sql->query("SELECT secret_tries_left FROM cases WHERE serial = ?", {s1}).at(0).at(0).value_or(""), "1");
    ::umount2(dir.c_str(), MNT_DETACH);  // the read-only bind mount; the tmpfs goes at scope end
}
