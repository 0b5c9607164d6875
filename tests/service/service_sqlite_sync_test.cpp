// SPDX-License-Identifier: Apache-2.0
// What the SQLite store syncs to disk: every decision that a power loss must not undo (a
// wrong secret's try, a consumed secret, a cryptogram counted, an answer submission, a case)
// is committed with synchronous=FULL; only what may be lost without weakening anything (a
// new ticket for a right secret, rate-limit counts, holder sessions) waits for the next
// checkpoint (NORMAL). Observed below SQLite: a VFS that counts the syncs of the WAL file.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>

#include "core/case_machine.hpp"
#include "store_fixture.hpp"

using namespace ias::service;
using namespace ias::service::store;
using namespace ias::service::cases;

namespace {

std::atomic<int> g_walSyncs{0};
sqlite3_vfs* g_real = nullptr;

// An open file of the counting VFS: our header, then the real VFS's file.
struct CountingFile {
    sqlite3_file base;
    bool wal;
    sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
CountingFile* self(sqlite3_file* f) { return reinterpret_cast<CountingFile*>(f); }
const sqlite3_io_methods* realIo(sqlite3_file* f) { return self(f)->real()->pMethods; }

int xClose(sqlite3_file* f) { return realIo(f)->xClose(self(f)->real()); }
int xRead(sqlite3_file* f, void* p, int n, sqlite3_int64 o) { return realIo(f)->xRead(self(f)->real(), p, n, o); }
int xWrite(sqlite3_file* f, const void* p, int n, sqlite3_int64 o) { return realIo(f)->xWrite(self(f)->real(), p, n, o); }
int xTruncate(sqlite3_file* f, sqlite3_int64 n) { return realIo(f)->xTruncate(self(f)->real(), n); }
int xSync(sqlite3_file* f, int flags) {
    if (self(f)->wal) ++g_walSyncs;
    return realIo(f)->xSync(self(f)->real(), flags);
}
int xFileSize(sqlite3_file* f, sqlite3_int64* n) { return realIo(f)->xFileSize(self(f)->real(), n); }
int xLock(sqlite3_file* f, int l) { return realIo(f)->xLock(self(f)->real(), l); }
int xUnlock(sqlite3_file* f, int l) { return realIo(f)->xUnlock(self(f)->real(), l); }
int xCheckReservedLock(sqlite3_file* f, int* r) { return realIo(f)->xCheckReservedLock(self(f)->real(), r); }
int xFileControl(sqlite3_file* f, int op, void* a) { return realIo(f)->xFileControl(self(f)->real(), op, a); }
int xSectorSize(sqlite3_file* f) { return realIo(f)->xSectorSize(self(f)->real()); }
int xDeviceCharacteristics(sqlite3_file* f) { return realIo(f)->xDeviceCharacteristics(self(f)->real()); }
int xShmMap(sqlite3_file* f, int i, int sz, int ext, void volatile** p) {
    return realIo(f)->xShmMap(self(f)->real(), i, sz, ext, p);
}
int xShmLock(sqlite3_file* f, int o, int n, int fl) { return realIo(f)->xShmLock(self(f)->real(), o, n, fl); }
void xShmBarrier(sqlite3_file* f) { realIo(f)->xShmBarrier(self(f)->real()); }
int xShmUnmap(sqlite3_file* f, int d) { return realIo(f)->xShmUnmap(self(f)->real(), d); }

const sqlite3_io_methods kCountingIo = {
    2,        xClose,       xRead,       xWrite,     xTruncate,   xSync,    xFileSize,
    xLock,    xUnlock,      xCheckReservedLock,      xFileControl, xSectorSize, xDeviceCharacteristics,
    xShmMap,  xShmLock,     xShmBarrier, xShmUnmap,  nullptr,     nullptr,
};

int xOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* outFlags) {
    CountingFile* c = self(f);
    c->base.pMethods = nullptr;
    c->wal = (flags & SQLITE_OPEN_WAL) != 0;
    const int rc = g_real->xOpen(g_real, name, c->real(), flags, outFlags);
    if (rc == SQLITE_OK && c->real()->pMethods) c->base.pMethods = &kCountingIo;
    return rc;
}

// Registered once as the default VFS of this test process, delegating to the real one.
void installCountingVfs() {
    static sqlite3_vfs vfs;
    static const bool done = [] {
        g_real = sqlite3_vfs_find(nullptr);
        vfs = *g_real;
        vfs.zName = "ias-counting";
        vfs.szOsFile = static_cast<int>(sizeof(CountingFile)) + g_real->szOsFile;
        vfs.xOpen = xOpen;
        vfs.pAppData = nullptr;
        vfs.pNext = nullptr;
        return sqlite3_vfs_register(&vfs, 1) == SQLITE_OK;
    }();
    ASSERT_TRUE(done);
}

NewCase newCase(const std::string& serial, const std::string& link) { return test::newTestCase(serial, link); }

class SqliteSync : public ::testing::Test {
protected:
    void SetUp() override {
        installCountingVfs();
        s = db.open();
        s->listCases();  // migrations done
    }
    // WAL syncs done by `op`.
    template <class F>
    int syncsOf(F&& op) {
        const int before = g_walSyncs.load();
        op();
        return g_walSyncs.load() - before;
    }
    test::TestDatabase db;
    std::unique_ptr<Store> s;
};

}  // namespace

TEST_F(SqliteSync, DecisionsAreSyncedTicketsAndCountsAreNot) {
    std::int64_t id = 0;
    EXPECT_GE(syncsOf([&] { id = *s->createCase(newCase("0102", "L1"), 1000); }), 1) << "a case";
    EXPECT_GE(syncsOf([&] { submitAnswers(*s, id, false, SecretIssue{"00ff", "AA", 1000 + 86400}, 1000); }), 1)
        << "a wrong answer submission";
    EXPECT_GE(syncsOf([&] { submitAnswers(*s, id, true, SecretIssue{"00ff", "AA", 1000 + 86400}, 1000); }), 1)
        << "the secret issued";
    EXPECT_GE(syncsOf([&] { EXPECT_EQ(verifySecret(*s, *s->caseById(id), "AB", {"T0", 1600}, 1000).result, VerifyResult::Wrong); }), 1)
        << "a wrong secret's try";
    EXPECT_EQ(syncsOf([&] { EXPECT_EQ(verifySecret(*s, *s->caseById(id), "AA", {"T1", 1600}, 1000).result, VerifyResult::Ticket); }), 0)
        << "a ticket for the right secret";
    EXPECT_EQ(syncsOf([&] {
                  s->takeRateTokens({{"client", "127.0.0.1", {60, 10}}, {"serial", "0102", {60, 10}}}, 1000);
              }),
              0)
        << "rate-limit counts";
    EXPECT_EQ(syncsOf([&] { s->createHolderSession("S1", {id, "C1", 2000}); }), 0) << "a holder session";
    EXPECT_GE(syncsOf([&] { EXPECT_EQ(useTicketForCryptogram(*s, "T1", 1001).result, TicketResult::Ok); }), 1)
        << "a cryptogram counted";
    EXPECT_GE(syncsOf([&] { EXPECT_EQ(confirm(*s, "T1", true, 1002).result, TicketResult::Ok); }), 1)
        << "the secret consumed";
    const std::int64_t other = *s->createCase(newCase("0103", "L2"), 1003);
    EXPECT_GE(syncsOf([&] { EXPECT_TRUE(cases::close(*s, other, "test", 1003)); }), 1) << "a case closed";
    // The counting VFS saw this database's WAL at all (the test can fail).
    EXPECT_GT(g_walSyncs.load(), 0);
}
