// SPDX-License-Identifier: Apache-2.0
#include "service_world.hpp"

#include <strings.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <openssl/err.h>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "core/tokens.hpp"
#include "fuzz_input.hpp"
#include "hsm/hsm.hpp"
#include "hsm/pkcs11_module.hpp"
#include "http/common.hpp"

namespace ias::fuzz::svc {

namespace fs = std::filesystem;
using service::ManualClock;
using service::RequestContext;
using service::UnblockService;

namespace {

// The bytes of one request as input, what the server writes as output. No socket:
// socket() is INVALID_SOCKET, which httplib only compares with FD_SETSIZE.
class MemoryStream final : public httplib::Stream {
public:
    MemoryStream(const std::string& in, std::string ip) : in_(in), ip_(std::move(ip)) {}
    bool is_readable() const override { return pos_ < in_.size(); }
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override {
        const std::size_t n = std::min(size, in_.size() - pos_);
        in_.copy(ptr, n, pos_);
        pos_ += n;
        return static_cast<ssize_t>(n);
    }
    ssize_t write(const char* ptr, size_t size) override {
        out_.append(ptr, size);
        return static_cast<ssize_t>(size);
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = ip_;
        port = 40000;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip = "127.0.0.1";
        port = 8443;
    }
    socket_t socket() const override { return INVALID_SOCKET; }
    const std::string& written() const { return out_; }

private:
    const std::string& in_;
    std::size_t pos_ = 0;
    std::string ip_;
    std::string out_;
};

struct Paths {
    fs::path dir, tokens, templateDb, workDb;
};

Paths& paths() {
    static Paths p;
    return p;
}

// The template database file, read once after it is made.
std::string& templateBytes() {
    static std::string bytes;
    return bytes;
}

Fixture& fixtureSlot() {
    static Fixture f;
    return f;
}

service::hsm::HsmConfig hsmConfig() {
    service::hsm::HsmConfig c;
    c.tokenLabel = "ias-unblockd-fuzz";
    c.userPin = apdu::secureCopy(std::string_view("fuzz-user-pin"));
    c.sessions = 1;
    return c;
}

// SoftHSM, loaded once for the process and never unloaded (its static objects may be gone
// before ours are destroyed).
std::shared_ptr<service::hsm::Pkcs11Module>* moduleSlot = nullptr;

// The service's HSM (sessions logged in), shared by the inputs: SoftHSM's C_Login costs
// thousands of allocations.
service::hsm::Hsm* sharedHsm = nullptr;

// SoftHSM frees the session objects it derives (3 per cryptogram) only in C_Finalize: a
// token kept across inputs would grow with every cryptogram, and every such input would look
// like a leak to libFuzzer. After an input that computed cryptograms, the HSM is closed,
// the module finalised and initialised again, and a new HSM opened.
void reinitialiseHsm() {
    delete sharedHsm;
    sharedHsm = nullptr;
    CK_FUNCTION_LIST* fn = (*moduleSlot)->fn();
    fn->C_Finalize(nullptr);
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    if (fn->C_Initialize(&args) != CKR_OK) fail("SoftHSM C_Initialize");
    ERR_clear_error();  // SoftHSM's failed optional engine loads queue errors (allocations)
    sharedHsm = new service::hsm::Hsm(hsmConfig());
}

void removeScratch() {
    std::error_code ec;
    fs::remove_all(paths().dir, ec);
}

void removeDb(const fs::path& db) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(db.string() + suffix, ec);
}

std::string tokenFromLink(std::string_view link) {
    const auto p = link.rfind('/');
    return std::string(p == std::string_view::npos ? link : link.substr(p + 1));
}

void makeTemplate(Fixture& f) {
    removeDb(paths().templateDb);
    auto store = service::store::openSqliteStore(paths().templateDb.string());
    ManualClock clock(f.startTime);
    std::ostringstream audit, diagnostics;
    service::AuditLog log(audit, clock);
    service::hsm::Hsm hsm(hsmConfig());
    UnblockService svc(fuzzConfig(), *store, &hsm, clock, log);
    const RequestContext ctx{"setup", "192.0.2.1"};
    auto qa = [&f] {
        std::vector<service::QuestionAnswer> v;
        v.push_back({f.questions[0], apdu::secureCopy(std::string_view(f.answer0))});
        v.push_back({f.questions[1], apdu::secureCopy(std::string_view(f.answer1))});
        return v;
    };
    const auto c1 = svc.createCase(f.serial1, "holder1@example.org", "fr", qa(), ctx);
    const auto c2 = svc.createCase(f.serial2, "holder2@example.org", "en", qa(), ctx);
    f.case1 = c1.id;
    f.case2 = c2.id;
    f.link1 = tokenFromLink(service::asText(c1.link));
    f.link2 = tokenFromLink(service::asText(c2.link));
    std::vector<apdu::SecureBytes> answers;
    answers.push_back(apdu::secureCopy(std::string_view(f.answer0)));
    answers.push_back(apdu::secureCopy(std::string_view(f.answer1)));
    const auto issued = svc.submitAnswers(c2.id, answers, ctx);
    f.secret2 = std::string(service::asText(issued.secret.display()));
    protocol::VerifyRequest vr{f.serial2, apdu::secureCopy(std::string_view(f.secret2))};
    f.ticket2 = std::string(service::asText(svc.verify(vr, ctx).ticket));
    // The holder session through the real route.
    service::http::Routes routes{svc, service::tokenHash(std::string_view(f.adminToken)), diagnostics};
    struct Local : httplib::Server {
        using httplib::Server::process_request;
    } server;
    service::http::configureServer(server, routes);
    const std::string req = "GET /h/" + f.link1 + " HTTP/1.1\r\nHost: fuzz\r\n\r\n";
    MemoryStream stream(req, "192.0.2.1");
    bool closed = false;
    server.process_request(stream, true, closed, nullptr);
    Reply r;
    if (!parseReply(stream.written(), false, r) || r.status != 303) fail("setup: GET /h/<link> did not open a session");
    const std::string cookie = r.header("Set-Cookie");
    const auto eq = cookie.find('='), semi = cookie.find(';');
    if (eq == std::string::npos || semi == std::string::npos) fail("setup: no session cookie");
    f.session1 = cookie.substr(eq + 1, semi - eq - 1);
}

}  // namespace

std::string Reply::header(const std::string& name) const {
    for (const auto& h : headers)
        if (h.first.size() == name.size() && strncasecmp(h.first.c_str(), name.c_str(), name.size()) == 0)
            return h.second;
    return "";
}

bool Reply::hasHeader(const std::string& name) const {
    for (const auto& h : headers)
        if (h.first.size() == name.size() && strncasecmp(h.first.c_str(), name.c_str(), name.size()) == 0) return true;
    return false;
}

const service::ServiceConfig& fuzzConfig() {
    static const service::ServiceConfig c = [] {
        service::ServiceConfig x;
        x.publicUrl = "https://unblock.example.org";
        x.answerIterations = 2;  // the decisions do not depend on it; PBKDF2 speed does
        // Low enough for an input of a few dozen requests to reach the limits (429).
        x.serialPerMinute = 10;
        x.serialBurst = 10;
        x.clientPerMinute = 30;
        x.clientBurst = 30;
        x.adminPerMinute = 20;
        x.adminBurst = 20;
        x.hsm = hsmConfig();
        return x;
    }();
    return c;
}

const apdu::Bytes& masterKey() {
    static const apdu::Bytes k = apdu::fromHex("0F1E2D3C4B5A69788796A5B4C3D2E1F0");
    return k;
}

const Fixture& setUpOnce() {
    static bool done = false;
    Fixture& f = fixtureSlot();
    if (done) return f;
    // tmpfs when there is one: SQLite syncs its WAL on every close (once per input).
    const char* tmp = std::getenv("TMPDIR");
    const fs::path base = tmp && *tmp ? fs::path(tmp) : fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::path("/tmp");
    paths().dir = base / ("ias-service-api-fuzz-" + std::to_string(::getpid()));
    paths().tokens = paths().dir / "tokens";
    paths().templateDb = paths().dir / "template.db";
    paths().workDb = paths().dir / "work.db";
    fs::create_directories(paths().tokens);
    if (std::atexit(removeScratch) != 0) throw std::runtime_error("service_api fuzz: cannot register the scratch clean-up");
    {
        std::ofstream conf(paths().dir / "softhsm2.conf");
        conf << "directories.tokendir = " << paths().tokens.string() << "\n"
             << "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";
    }
    // Once, from LLVMFuzzerInitialize on libFuzzer's main thread before any other thread exists;
    // SoftHSM reads its configuration only from this variable.
    if (::setenv("SOFTHSM2_CONF", (paths().dir / "softhsm2.conf").c_str(), 1) != 0)  // NOLINT(concurrency-mt-unsafe): single-threaded start-up
        throw std::runtime_error("service_api fuzz: cannot set SOFTHSM2_CONF");
    service::hsm::ProvisionOptions o;
    o.hsm = hsmConfig();
    o.soPin = apdu::secureCopy(std::string_view("fuzz-so-pin"));
    o.masterKey = apdu::secureCopy(masterKey());
    moduleSlot = new std::shared_ptr<service::hsm::Pkcs11Module>(service::hsm::Pkcs11Module::open(hsmConfig().modulePath));
    service::hsm::provisionToken(o);
    makeTemplate(f);
    {
        std::ifstream in(paths().templateDb, std::ios::binary);
        templateBytes().assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (templateBytes().empty()) fail("setup: template database not written");
    }
    reinitialiseHsm();
    done = true;
    return f;
}

class World::Server final : public httplib::Server {
public:
    using httplib::Server::process_request;
};

World::World() : clock_(setUpOnce().startTime) {
    removeDb(paths().workDb);
    // Written from memory: libFuzzer's timer signals interrupt copy_file (EINTR), which
    // libstdc++ reports as an error; the stream retries interrupted writes.
    std::ofstream(paths().workDb, std::ios::binary).write(templateBytes().data(), static_cast<std::streamsize>(templateBytes().size()));
    store_ = service::store::openSqliteStore(paths().workDb.string());
    service_ = std::make_unique<UnblockService>(fuzzConfig(), *store_, sharedHsm, clock_, auditLog_);
    routes_ = std::make_unique<service::http::Routes>(service::http::Routes{
        *service_, service::tokenHash(std::string_view(setUpOnce().adminToken)), diagnostics_});
    server_ = std::make_unique<Server>();
    service::http::configureServer(*server_, *routes_);
    // An observer: the request as parsed, body decoded, taken before the daemon's own
    // post-routing handler (replaced here; without TLS its wipe is all it does) wipes it.
    server_->set_post_routing_handler([this](const httplib::Request& req, httplib::Response&) {
        seen_ = {req.method, req.path, req.body};
        service::http::wipeRequest(req);
    });
}

World::~World() {
    server_.reset();
    routes_.reset();
    service_.reset();
    store_.reset();
    if (hsmUsed_) reinitialiseHsm();
}

Reply World::exchange(const std::string& request, const std::string& clientIp, bool& answered) {
    MemoryStream stream(request, clientIp);
    bool closed = false;
    seen_ = {};
    server_->process_request(stream, true, closed, nullptr);
    Reply r;
    answered = !stream.written().empty();
    const bool head = request.rfind("HEAD ", 0) == 0;
    if (answered && !parseReply(stream.written(), head, r))
        fail("the server wrote something that is not an HTTP response");
    r.method = seen_.method;
    r.path = seen_.path;
    r.requestBody = seen_.body;
    r.head = head;
    // Derivations in the HSM (cryptogram) leave session objects in SoftHSM.
    hsmUsed_ = hsmUsed_ || (seen_.path == "/v1/unblock/cryptogram" && (r.status == 200 || r.status >= 500));
    return r;
}

bool parseReply(const std::string& wire, bool headRequest, Reply& out) {
    out = Reply{};
    out.wire = wire;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t end = wire.find("\r\n\r\n", pos);
        if (end == std::string::npos) return false;
        const std::string head = wire.substr(pos, end - pos);
        pos = end + 4;
        if (head.rfind("HTTP/1.1 ", 0) != 0 || head.size() < 12) return false;
        const char* code = head.data() + 9;
        if (std::from_chars(code, code + 3, out.status).ec != std::errc{}) return false;
        out.headers.clear();
        std::size_t line = head.find("\r\n");
        while (line != std::string::npos) {
            const std::size_t next = head.find("\r\n", line + 2);
            const std::string h = head.substr(line + 2, next == std::string::npos ? std::string::npos : next - line - 2);
            const auto colon = h.find(": ");
            if (colon == std::string::npos) return false;
            out.headers.emplace_back(h.substr(0, colon), h.substr(colon + 2));
            line = next;
        }
        if (out.status != 100) break;  // "Expect: 100-continue" answered first
    }
    out.body = wire.substr(pos);
    if (headRequest) out.body.clear();
    if (out.hasHeader("Content-Length") && !headRequest &&
        std::to_string(out.body.size()) != out.header("Content-Length"))
        return false;
    return out.status >= 100 && out.status <= 599;
}

}  // namespace ias::fuzz::svc
