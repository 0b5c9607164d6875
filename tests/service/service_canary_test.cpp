// SPDX-License-Identifier: Apache-2.0
// Canary values through every flow of a real `ias-unblockd` (serve and the admin CLI):
// answers (right and wrong), the secrets (displayed and canonical forms), tickets, holder
// links, session cookies and CSRF tokens, the HSM PIN, the admin token, a wrong bearer
// token and a PIN slipped into a request. None may appear in the audit log, the service's
// stderr or the CLI's output; in responses, the secret appears once (its display) and the
// ticket once (the verify answer that delivers it); the SQLite file holds none in clear.
#include <sys/wait.h>

#include <regex>

#include "daemon_fixture.hpp"
#include "ias/protocol/secret.hpp"
#include "store_fixture.hpp"

using namespace ias;
using namespace ias::service::test;
using nlohmann::json;

namespace {

constexpr const char* kAnswer = "Canary-Answer-Lyon";
constexpr const char* kWrongAnswer = "Canary-Wrong-Answer";
constexpr const char* kPin = "CANARY-PIN-4817";
constexpr const char* kWrongBearer = "canary-wrong-bearer-token";

int count(const std::string& text, const std::string& needle) {
    int n = 0;
    for (std::size_t p = 0; (p = text.find(needle, p)) != std::string::npos; p += needle.size()) ++n;
    return n;
}

std::string canonical(const std::string& secret) {
    std::string out;
    for (char c : secret)
        if (c != '-') out += c;
    return out;
}


// `ias-unblockd admin ... create-case`, the answer on standard input; returns stdout+stderr.
std::string adminCreateCase(const DaemonFiles& files, const std::string& database, const std::string& serial) {
    const auto in = files.dir / "cli.in", out = files.dir / "cli.out";
    std::ofstream(in) << kAnswer << "\n";
    std::filesystem::create_directories(files.dir / "outbox");
    std::vector<std::string> args{IAS_UNBLOCKD_PATH, "admin", "--set", "database=" + database, "--set",
                                  "audit_log=" + (files.dir / "cli.audit").string(), "--set", "answers.iterations=1000",
                                  "--set", "hsm.token=" + testHsmConfig().tokenLabel, "--set",
                                  "hsm.pin_file=" + (files.dir / "hsm.pin").string(), "--set",
                                  "outbox_dir=" + (files.dir / "outbox").string(), "create-case", "--serial", serial, "--email", "holder@example.org", "--question",
                                  "Ville de naissance ?"};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = -1;
    EXPECT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << readWhole(out);
    return readWhole(out) + readWhole(files.dir / "cli.audit");
}

}  // namespace

TEST(ServiceCanary, NoSecretInAnyLogOutputOrDatabase) {
    TestDatabase db;
    DaemonFiles files;
    Daemon d(files, "C", db.spec());
    ASSERT_NO_FATAL_FAILURE(d.start());
    std::vector<std::string> responses;  // bodies and headers of the requests made here
    auto keep = [&](const httplib::Result& r) {
        if (!r) return;
        responses.push_back(r->body);
        for (const auto& h : r->headers) responses.push_back(h.first + ": " + h.second);
    };
    httplib::SSLClient web("127.0.0.1", d.port());
    web.set_ca_cert_path(testTls().cert);
    web.enable_server_certificate_verification(true);

    // 1. Pages flow, case created with the admin CLI (answer from stdin).
    const std::string serial1 = "9250001000000012345F", serial2 = "0040000000000002";
    const std::string cliOutput = adminCreateCase(files, db.spec(), serial1);
    const auto outbox = d.must("GET", "/v1/admin/outbox", nullptr, DaemonFiles::kToken);
    ASSERT_EQ(outbox.body.size(), 1u) << outbox.raw;
    ASSERT_TRUE(outbox.body[0]["sent_at"].is_number()) << "handed over";
    std::smatch m;
    const std::string mails = readWhole(files.dir / "outbox" / ("case-" + std::to_string(outbox.body[0].value("case", 0)) + ".eml"));
    ASSERT_TRUE(std::regex_search(mails, m, std::regex("/h/([0-9a-f]{64})")));
    const std::string link1 = m[1];
    auto opened = web.Get("/h/" + link1);
    ASSERT_TRUE(opened);
    keep(opened);
    const std::string setCookie = opened->get_header_value("Set-Cookie");
    const std::string cookie = setCookie.substr(0, setCookie.find(';'));
    const std::string session = cookie.substr(cookie.find('=') + 1);
    const httplib::Headers withCookie{{"Cookie", cookie}};
    keep(web.Get("/holder", withCookie));
    auto questions = web.Get("/holder/questions", withCookie);
    ASSERT_TRUE(questions);
    keep(questions);
    const auto cp = questions->body.find("name=\"csrf\" value=\"");
    ASSERT_NE(cp, std::string::npos);
    const std::string csrf = questions->body.substr(cp + 19, 64);
    keep(web.Post("/holder/answers", withCookie, httplib::Params{{"csrf", csrf}, {"a0", kWrongAnswer}}));
    auto shown = web.Post("/holder/answers", withCookie, httplib::Params{{"csrf", csrf}, {"a0", kAnswer}});
    ASSERT_TRUE(shown);
    keep(shown);
    const auto sp = shown->body.find("id=\"secret\">");
    ASSERT_NE(sp, std::string::npos);
    const std::string secret1 = shown->body.substr(sp + 12, 22);
    ASSERT_TRUE(protocol::parseSecret(secret1).ok());

    // 2. Holder API flow (case through the admin API), a wrong submission first.
    const auto created = d.must("POST", "/v1/admin/cases",
                                {{"serial", serial2},
                                 {"email", "holder@example.org"},
                                 {"questions", {{{"question", "Ville ?"}, {"answer", kAnswer}}}}},
                                DaemonFiles::kToken);
    const std::string link2full = created.body.value("link", "");
    const std::string link2 = link2full.substr(link2full.rfind('/') + 1);
    d.must("POST", "/v1/holder/answers", {{"answers", {kWrongAnswer}}}, link2);
    const std::string secret2 = d.must("POST", "/v1/holder/answers", {{"answers", {kAnswer}}}, link2).body.value("secret", "");
    ASSERT_EQ(secret2.size(), 22u);

    // 3. Module API: wrong, garbage (with a PIN field), right, cryptograms, confirms, replay.
    std::vector<std::string> tickets;
    for (const std::string& s : {serial1, serial2}) {
        const std::string secret = s == serial1 ? secret1 : secret2;
        d.must("POST", "/v1/unblock/verify", {{"serial", s}, {"secret", wrongOf(secret)}});
        d.must("POST", "/v1/unblock/verify", {{"serial", s}, {"secret", "garbage"}, {"pin", kPin}});
        const auto v = d.must("POST", "/v1/unblock/verify", {{"serial", s}, {"secret", canonical(secret)}});
        ASSERT_EQ(v.status, 200) << v.raw;
        const std::string ticket = v.body["ticket"];
        tickets.push_back(ticket);
        d.must("POST", "/v1/unblock/cryptogram", {{"ticket", ticket}, {"challenge", kChallenge}});
        d.must("POST", "/v1/unblock/cryptogram", {{"ticket", ticket}, {"challenge", "zz"}});
        d.must("POST", "/v1/unblock/confirm", {{"ticket", ticket}, {"outcome", "failed"}, {"tries_after", 0}, {"pin", kPin}});
        d.must("POST", "/v1/unblock/confirm", {{"ticket", ticket}, {"outcome", "done"}, {"tries_after", 3}});
        d.must("POST", "/v1/unblock/confirm", {{"ticket", ticket}, {"outcome", "done"}, {"tries_after", 99}});
        d.must("POST", "/v1/unblock/cryptogram", {{"ticket", ticket}, {"challenge", kChallenge}});
    }
    d.must("GET", "/v1/admin/cases", nullptr, kWrongBearer);
    d.must("GET", "/v1/admin/cases", nullptr, DaemonFiles::kToken);
    d.stop();

    const std::string logs = readWhole(d.auditPath()) + readWhole(d.stderrPath()) + cliOutput;
    ASSERT_NE(logs.find("\"event\":\"confirm_done\""), std::string::npos) << "the flows were logged";
    const std::vector<std::string> neverLogged{kAnswer, kWrongAnswer, kPin, kWrongBearer, DaemonFiles::kToken,
                                               "test-user-pin", secret1, secret2, canonical(secret1), canonical(secret2),
                                               wrongOf(secret1), tickets[0], tickets[1], link1, link2, session, csrf};
    for (const std::string& c : neverLogged) EXPECT_EQ(count(logs, c), 0) << "in the logs: canary #" << &c - neverLogged.data();

    std::string bodies;
    for (const auto& r : responses) bodies += r + "\n";
    for (const auto& r : d.bodies()) bodies += r + "\n";
    for (const std::string& c : {std::string(kAnswer), std::string(kWrongAnswer), std::string(kPin), std::string(kWrongBearer),
                                 std::string(DaemonFiles::kToken), std::string("test-user-pin"), wrongOf(secret1)})
        EXPECT_EQ(count(bodies, c), 0) << "in a response: " << c.size() << "-character canary";
    EXPECT_EQ(count(bodies, secret1), 1) << "shown once, in its page";
    EXPECT_EQ(count(bodies, secret2), 1) << "shown once, in the holder API answer";
    EXPECT_EQ(count(bodies, canonical(secret1)) + count(bodies, canonical(secret2)), 0);
    EXPECT_EQ(count(bodies, tickets[0]), 1);
    EXPECT_EQ(count(bodies, tickets[1]), 1);
    if (!onPostgres()) {
        std::string file;
        for (const char* suffix : {"", "-wal"}) file += readWhole(db.path() + suffix);
        // Everything is stored as a hash; the mails (with the links) are never stored.
        for (const std::string& c : {std::string(kAnswer), std::string(kWrongAnswer), secret1, secret2, canonical(secret1),
                                     canonical(secret2), tickets[0], tickets[1], session, csrf, link1, link2})
            EXPECT_EQ(count(file, c), 0) << "in the database file";
    }
}
