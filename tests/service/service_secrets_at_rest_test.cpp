// SPDX-License-Identifier: Apache-2.0
// Secrets at rest (issue #18): no holder link in the database once its mail was handed over
// (or at all: the mail body is never stored), and answer hashes keyed with an HMAC key that
// stays in the HSM, so that a database dump alone allows no offline guessing. Both backends.
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/tokens.hpp"
#include "hsm/hsm.hpp"
#include "ias/apdu/crypto.hpp"
#include "service_fixture.hpp"

using namespace ias;
using namespace ias::service;
using namespace ias::service::test;

namespace {


// Every cell of every table of the database, as text.
std::string everyCell(const TestDatabase& db) {
    auto c = db.connection();
    const auto tables = c->dialect() == store::Dialect::Sqlite
                            ? c->query("SELECT name FROM sqlite_master WHERE type = 'table'")
                            : c->query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    EXPECT_GE(tables.size(), 7u);
    std::string all;
    for (const auto& t : tables)
        for (const auto& row : c->query("SELECT * FROM " + t.at(0).value_or("")))
            for (const auto& cell : row) all += cell.value_or("") + "\n";
    return all;
}

std::string fileText(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

class OutboxDir : public ServiceWorld {
protected:
    void adjustConfig(ServiceConfig& c) override {
        dir = std::filesystem::temp_directory_path() / ("ias-outbox-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        c.outboxDir = dir.string();
    }
    void TearDown() override {
        ServiceWorld::TearDown();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    std::filesystem::path dir;
};

class NoOutboxDir : public ServiceWorld {};

// A second token in the test's SoftHSM, with its own (different) HMAC key.
std::unique_ptr<hsm::Hsm> otherHsm() {
    ensureTestToken();
    hsm::ProvisionOptions o;
    o.hsm = testHsmConfig();
    o.hsm.tokenLabel = "ias-unblockd-other";
    o.soPin = apdu::secureCopy(std::string_view("test-so-pin"));
    hsm::provisionToken(o);
    return std::make_unique<hsm::Hsm>(o.hsm);
}

apdu::Bytes plainPbkdf2(std::string_view answer, const apdu::Bytes& salt, int iterations) {
    apdu::Bytes out(32);
    EXPECT_EQ(PKCS5_PBKDF2_HMAC(answer.data(), static_cast<int>(answer.size()), salt.data(), static_cast<int>(salt.size()),
                                iterations, EVP_sha256(), static_cast<int>(out.size()), out.data()),
              1);
    return out;
}

std::vector<std::string> fields(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t p = s.find('$'); p != std::string::npos; start = p + 1, p = s.find('$', start))
        out.push_back(s.substr(start, p - start));
    out.push_back(s.substr(start));
    return out;
}

KeyedMac keyOf(hsm::Hsm& h) {
    return [&h](apdu::ByteView d) { return h.hmacSha256(d); };
}

}  // namespace

TEST_F(OutboxDir, MailHandedOverLeavesNoLinkInTheDatabase) {
    const Reply r = post("/v1/admin/cases",
                         {{"serial", kSerial},
                          {"email", "holder@example.org"},
                          {"questions", {{{"question", "Ville ?"}, {"answer", "Lyon"}}}}},
                         kAdminToken);
    ASSERT_EQ(r.status, 201) << r.raw;
    EXPECT_EQ(r.body["mail_sent"], true);
    const std::string link = r.body["link"];
    const std::string token = link.substr(link.rfind('/') + 1);
    const std::int64_t id = r.body["id"];
    const std::string mail = fileText(dir / ("case-" + std::to_string(id) + ".eml"));
    EXPECT_NE(mail.find(link), std::string::npos) << "handed over: the mail file has the link";
    EXPECT_NE(mail.find("To: holder@example.org\n"), std::string::npos);
    for (const auto& e : std::filesystem::directory_iterator(dir))
        EXPECT_EQ(e.path().filename().string().rfind(".case-", 0), std::string::npos) << "no temporary file left";

    const std::string cells = everyCell(db);
    EXPECT_NE(cells.find(tokenHash(std::string_view(token))), std::string::npos) << "(the scan sees the link's hash)";
    EXPECT_EQ(cells.find(token), std::string::npos) << "the link token is in the database";
    EXPECT_EQ(cells.find("/h/"), std::string::npos);

    const Reply outbox = get("/v1/admin/outbox", kAdminToken);
    ASSERT_EQ(outbox.body.size(), 1u);
    EXPECT_EQ(outbox.body[0]["case"], id);
    EXPECT_EQ(outbox.body[0]["sent_at"], clock.now()) << "the admin API says the mail was sent, and when";
    EXPECT_EQ(outbox.raw.find(token), std::string::npos) << "never its link";
    EXPECT_FALSE(outbox.body[0].contains("body"));
    if (!onPostgres()) {
        store.reset();
        for (const char* suffix : {"", "-wal"})
            EXPECT_EQ(fileText(db.path() + suffix).find(token), std::string::npos) << "in the database file" << suffix;
    }
}

// Without outbox_dir the service hands nothing over: the link goes to the creator only (the
// API answer), and the outbox records the mail as not sent.
TEST_F(NoOutboxDir, UnsentMailIsNotKeptEither) {
    const std::string token = createCase(kSerial);
    ASSERT_EQ(token.size(), 64u);
    EXPECT_EQ(everyCell(db).find(token), std::string::npos);
    const Reply outbox = get("/v1/admin/outbox", kAdminToken);
    ASSERT_EQ(outbox.body.size(), 1u);
    EXPECT_TRUE(outbox.body[0]["sent_at"].is_null());
}

TEST_F(NoOutboxDir, AnswerHashIsKeyedWithTheHsm) {
    const std::string token = createCase(kSerial, json::array({{{"question", "Ville ?"}, {"answer", "Lyon"}}}));
    const auto rows = db.connection()->query("SELECT answer_hash FROM questions");
    ASSERT_EQ(rows.size(), 1u);
    const std::string stored = rows[0].at(0).value_or("");
    const auto f = fields(stored);
    ASSERT_EQ(f.size(), 4u) << stored;
    EXPECT_EQ(f[0], "hmac-pbkdf2-sha256");
    const apdu::Bytes salt = apdu::fromHex(f[2]);
    const apdu::Bytes plain = plainPbkdf2("Lyon", salt, std::stoi(f[1]));
    EXPECT_NE(apdu::toHex(plain), f[3]) << "not the plain PBKDF2 of the answer";
    EXPECT_EQ(stored.find(apdu::toHex(plain)), std::string::npos);

    auto& mine = *sharedTestHsm();
    EXPECT_TRUE(checkAnswer(apdu::secureCopy(std::string_view("Lyon")), stored, keyOf(mine)));
    EXPECT_FALSE(checkAnswer(apdu::secureCopy(std::string_view("Lyon ")), stored, keyOf(mine)));
    auto other = otherHsm();
    EXPECT_FALSE(checkAnswer(apdu::secureCopy(std::string_view("Lyon")), stored, keyOf(*other)))
        << "another HSM key cannot check the answer";
    // The secret MACs use the same key under another label: an answer MAC is never one.
    EXPECT_NE(mine.hmacSha256(apdu::fromHex("00")), other->hmacSha256(apdu::fromHex("00")));

    // And through the service: the right answer still opens the secret.
    const Reply a = post("/v1/holder/answers", {{"answers", {"Lyon"}}}, token);
    EXPECT_EQ(a.status, 200) << a.raw;
}

// A database from before issue #18: answers hashed with plain PBKDF2. The start-up upgrade
// (ias-unblockd serve calls keyUnkeyedAnswerHashes) keys them without knowing the answers;
// a row it did not reach is keyed at its first use. No unkeyed row is ever accepted as is.
TEST_F(NoOutboxDir, UnkeyedAnswerHashesFromAnOldDatabaseAreKeyed) {
    auto c = db.connection();
    const apdu::Bytes salt = apdu::fromHex("000102030405060708090a0b0c0d0e0f");
    const std::string unkeyed = "pbkdf2-sha256$1000$" + apdu::toHex(salt) + "$" + apdu::toHex(plainPbkdf2("Lyon", salt, 1000));
    std::vector<std::string> tokens;
    for (const char* serial : {"0102", "0103"}) {
        const apdu::SecureBytes t = newToken();
        tokens.emplace_back(asText(t));
        c->exec("INSERT INTO cases (serial, email, language, state, created_at, link_hash, link_expires_at) "
                "VALUES (?, 'a@b.c', 'fr', 'open', ?, ?, ?)",
                {std::string(serial), clock.now(), tokenHash(std::string_view(tokens.back())), clock.now() + 86400});
        c->exec("INSERT INTO questions (case_id, position, question, answer_hash) "
                "SELECT id, 0, 'Ville ?', ? FROM cases WHERE serial = ?",
                {unkeyed, std::string(serial)});
    }
    EXPECT_FALSE(checkAnswer(apdu::secureCopy(std::string_view("Lyon")), unkeyed, keyOf(*sharedTestHsm())))
        << "the unkeyed form is not accepted as is";
    // One row keyed at start-up; the other is left to its first use.
    const auto before = store->answerHashesWithPrefix("pbkdf2-sha256$");
    ASSERT_EQ(before.size(), 2u);
    const auto keyed = keyUnkeyedAnswerHash(before[0].answerHash, keyOf(*sharedTestHsm()));
    ASSERT_TRUE(keyed);
    ASSERT_TRUE(store->replaceAnswerHash(before[0], *keyed));
    EXPECT_FALSE(store->replaceAnswerHash(before[0], *keyed)) << "compare and set: done once";
    EXPECT_EQ(post("/v1/holder/answers", {{"answers", {"Lyon"}}}, tokens[1]).status, 200) << "keyed at first use";
    EXPECT_TRUE(store->answerHashesWithPrefix("pbkdf2-sha256$").empty());
    EXPECT_EQ(post("/v1/holder/answers", {{"answers", {"Paris"}}}, tokens[0]).status, 403);
    EXPECT_EQ(post("/v1/holder/answers", {{"answers", {"Lyon"}}}, tokens[0]).status, 200);
    for (const auto& row : c->query("SELECT answer_hash FROM questions"))
        EXPECT_EQ(row.at(0).value_or("").rfind("hmac-pbkdf2-sha256$1000$" + apdu::toHex(salt) + "$", 0), 0u);
    EXPECT_EQ(service->keyUnkeyedAnswerHashes(), 0u) << "nothing left to key";
}

TEST_F(NoOutboxDir, StartUpKeysEveryUnkeyedAnswerHash) {
    auto c = db.connection();
    const apdu::Bytes salt = apdu::fromHex("0f0e0d0c0b0a09080706050403020100");
    const std::string unkeyed = "pbkdf2-sha256$1000$" + apdu::toHex(salt) + "$" + apdu::toHex(plainPbkdf2("Lyon", salt, 1000));
    c->exec("INSERT INTO cases (serial, email, language, state, created_at, link_hash, link_expires_at) "
            "VALUES ('0104', 'a@b.c', 'fr', 'open', 1, 'H', 2)");
    for (int pos = 0; pos < 3; ++pos)
        c->exec("INSERT INTO questions (case_id, position, question, answer_hash) SELECT id, ?, 'Q', ? FROM cases",
                {std::int64_t{pos}, unkeyed});
    EXPECT_EQ(service->keyUnkeyedAnswerHashes(), 3u);
    EXPECT_TRUE(store->answerHashesWithPrefix("pbkdf2-sha256$").empty()) << "no weak row remains";
    EXPECT_EQ(service->keyUnkeyedAnswerHashes(), 0u);
    for (const auto& row : c->query("SELECT answer_hash FROM questions"))
        EXPECT_TRUE(checkAnswer(apdu::secureCopy(std::string_view("Lyon")), row.at(0).value_or(""), keyOf(*sharedTestHsm())));
}
