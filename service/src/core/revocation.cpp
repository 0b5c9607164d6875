// SPDX-License-Identifier: Apache-2.0
#include "core/revocation.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>

#include "core/metrics.hpp"
#include "core/unblock_service.hpp"
#include "ias/apdu/bytes.hpp"
#include "ias/apdu/crypto.hpp"
#include "store/sql.hpp"

extern char** environ;

namespace ias::service {

using nlohmann::json;

std::string rfc3339(store::Time t) {
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::array<char, 32> buf{};
    const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf.data(), n);
}

bool isRevocationReason(const std::string& code) { return code == "keyCompromise" || code == "cessationOfOperation"; }

std::string revocationDocument(const store::RevocationRequest& r) {
    return json{{"type", "ias-unblockd.revocation-request"},
                {"version", 1},
                {"idempotency_key", r.idempotencyKey},
                {"case_id", r.caseId},
                {"serial", r.serial},
                {"certificate_references", json::array({json{{"token_serial", r.serial}}})},
                {"reason", r.reasonCode},
                {"reason_text", r.reason},
                {"requested_by", r.requestedBy},
                {"time", rfc3339(r.createdAt)}}
        .dump();
}

store::Time revocationRetryDelay(int attempts, const RevocationConfig& c) {
    store::Time d = c.retryInitial;
    for (int i = 1; i < attempts && d < c.retryMax; ++i) d *= 2;
    return std::min<store::Time>(d, c.retryMax);
}

namespace {

// --- HTTPS (libcurl)

struct CurlResponse {
    std::string body;
    std::string idempotencyKey;  // of an Idempotency-Key response header
};

std::size_t onBody(char* data, std::size_t size, std::size_t n, void* user) {
    auto* r = static_cast<CurlResponse*>(user);
    const std::size_t len = size * n;
    constexpr std::size_t kMax = std::size_t{64} * 1024;
    if (r->body.size() < kMax) r->body.append(data, std::min(len, kMax - r->body.size()));
    return len;
}

std::size_t onHeader(char* data, std::size_t size, std::size_t n, void* user) {
    auto* r = static_cast<CurlResponse*>(user);
    const std::size_t len = size * n;
    const std::string line(data, len);
    constexpr std::string_view kName = "idempotency-key:";
    if (line.size() > kName.size()) {
        std::string name = line.substr(0, kName.size());
        for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (name == kName) {
            const std::string v = line.substr(kName.size());
            const auto b = v.find_first_not_of(" \t");
            const auto e = v.find_last_not_of(" \t\r\n");
            r->idempotencyKey = b == std::string::npos ? "" : v.substr(b, e - b + 1);
        }
    }
    return len;
}

class HttpsTransport final : public RevocationTransport {
public:
    explicit HttpsTransport(const RevocationConfig& c) : c_(c) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
    }
    ~HttpsTransport() override { curl_global_cleanup(); }
    HttpsTransport(const HttpsTransport&) = delete;
    HttpsTransport& operator=(const HttpsTransport&) = delete;

    DeliveryResult deliver(const std::string& document, const std::string& key) override {
        std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> h(curl_easy_init(), curl_easy_cleanup);
        if (!h) return {false, "curl_easy_init failed"};
        struct Headers {
            curl_slist* list = nullptr;
            Headers(const Headers&) = delete;
            Headers& operator=(const Headers&) = delete;
            Headers() = default;
            ~Headers() { curl_slist_free_all(list); }
        } headers;
        for (const std::string& hdr : {std::string("Content-Type: application/json"), "Idempotency-Key: " + key}) {
            curl_slist* next = curl_slist_append(headers.list, hdr.c_str());
            if (!next) return {false, "out of memory"};
            headers.list = next;
        }
        CurlResponse response;
        CURL* e = h.get();
        curl_easy_setopt(e, CURLOPT_URL, c_.url.c_str());
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT, static_cast<long>(c_.timeout));
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, static_cast<long>(std::min(c_.timeout, 10)));
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
        if (!c_.caFile.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, c_.caFile.c_str());
        if (!c_.clientCert.empty()) {
            curl_easy_setopt(e, CURLOPT_SSLCERT, c_.clientCert.c_str());
            curl_easy_setopt(e, CURLOPT_SSLKEY, c_.clientKey.c_str());
        }
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.list);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, document.c_str());
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(document.size()));
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, onBody);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &response);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, onHeader);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &response);
        const CURLcode rc = curl_easy_perform(e);
        if (rc != CURLE_OK) return {false, std::string("transport: ") + curl_easy_strerror(rc)};
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300) return {true, ""};
        if (status == 409) {
            const json j = json::parse(response.body, nullptr, false);
            const bool sameKey = response.idempotencyKey == key ||
                                 (j.is_object() && j.contains("idempotency_key") && j["idempotency_key"] == key);
            if (sameKey) return {true, ""};
        }
        return {false, "HTTP " + std::to_string(status)};
    }

private:
    const RevocationConfig& c_;
};

// --- local command

class CommandTransport final : public RevocationTransport {
public:
    explicit CommandTransport(const RevocationConfig& c) : c_(c) {}

    DeliveryResult deliver(const std::string& document, const std::string& /*key: in the document*/) override {
        std::array<int, 2> in{-1, -1};
        if (::pipe2(in.data(), O_CLOEXEC) != 0) return {false, "pipe failed"};
        struct Actions {
            posix_spawn_file_actions_t fa{};
            posix_spawnattr_t attr{};
            Actions() {
                posix_spawn_file_actions_init(&fa);
                posix_spawnattr_init(&attr);
            }
            ~Actions() {
                posix_spawn_file_actions_destroy(&fa);
                posix_spawnattr_destroy(&attr);
            }
            Actions(const Actions&) = delete;
            Actions& operator=(const Actions&) = delete;
        } a;
        posix_spawn_file_actions_adddup2(&a.fa, in[0], 0);
        posix_spawn_file_actions_addopen(&a.fa, 1, "/dev/null", O_WRONLY, 0);
        // Its own process group: a timeout kills what it started too. Default signal mask
        // and dispositions (the service's threads may block some).
        sigset_t none;
        sigset_t all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setpgroup(&a.attr, 0);
        posix_spawnattr_setsigmask(&a.attr, &none);
        posix_spawnattr_setsigdefault(&a.attr, &all);
        posix_spawnattr_setflags(&a.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        std::vector<char*> argv;
        argv.reserve(c_.command.size() + 1);
        for (const std::string& w : c_.command) argv.push_back(const_cast<char*>(w.c_str()));
        argv.push_back(nullptr);
        pid_t pid = 0;
        const int err = posix_spawnp(&pid, argv[0], &a.fa, &a.attr, argv.data(), environ);
        ::close(in[0]);
        if (err != 0) {
            ::close(in[1]);
            return {false, "cannot start revocation.command (" + std::error_code(err, std::generic_category()).message() + ")"};
        }
        // The document is small (< 4 KiB, a pipe holds 64 KiB): written at once, or the
        // program does not read it (then its exit status decides). A program that exits
        // without reading must not kill the service: SIGPIPE is blocked on this thread
        // during the write, and one it raised is taken back.
        sigset_t pipeSignal;
        sigset_t previous;
        sigemptyset(&pipeSignal);
        sigaddset(&pipeSignal, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous);
        std::size_t off = 0;
        while (off < document.size()) {
            const ssize_t w = ::write(in[1], document.data() + off, document.size() - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                if (w < 0 && errno == EPIPE) {
                    const timespec now{};
                    while (sigtimedwait(&pipeSignal, nullptr, &now) < 0 && errno == EINTR) {
                    }
                }
                break;
            }
            off += static_cast<std::size_t>(w);
        }
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        ::close(in[1]);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(c_.timeout);
        int status = 0;
        for (;;) {
            const pid_t r = ::waitpid(pid, &status, WNOHANG);
            if (r == pid) break;
            if (r < 0 && errno != EINTR) return {false, "waitpid failed"};
            if (std::chrono::steady_clock::now() >= deadline) {
                (void)::kill(-pid, SIGKILL);
                while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
                }
                return {false, "revocation.command timed out"};
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, ""};
        if (WIFEXITED(status)) return {false, "revocation.command exit status " + std::to_string(WEXITSTATUS(status))};
        return {false, "revocation.command killed by signal " + std::to_string(WTERMSIG(status))};
    }

private:
    const RevocationConfig& c_;
};

std::string workerOwner() {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
    return std::string(host.data()) + ":" + std::to_string(::getpid()) + ":" +
           apdu::toHex(apdu::crypto::randomBytes(6));
}

}  // namespace

std::unique_ptr<RevocationTransport> httpsTransport(const RevocationConfig& c) { return std::make_unique<HttpsTransport>(c); }
std::unique_ptr<RevocationTransport> commandTransport(const RevocationConfig& c) {
    return std::make_unique<CommandTransport>(c);
}

std::unique_ptr<RevocationTransport> revocationTransport(const RevocationConfig& c) {
    if (!c.url.empty() && !c.command.empty())
        throw std::runtime_error("revocation.url and revocation.command are exclusive: set one");
    if (c.clientCert.empty() != c.clientKey.empty())
        throw std::runtime_error("revocation.client_cert and revocation.client_key go together");
    if (!c.url.empty()) return httpsTransport(c);
    if (!c.command.empty()) return commandTransport(c);
    return nullptr;
}

std::optional<store::RevocationRequest> UnblockService::requestRevocation(std::int64_t caseId,
                                                                         const std::string& reasonCode,
                                                                         const RequestContext& ctx) {
    if (!isRevocationReason(reasonCode))
        throw protocol::ApiException(protocol::ApiError::BadRequest, "reason must be keyCompromise or cessationOfOperation");
    auto r = store_.requestRevocation(caseId, reasonCode, "requested by support", clock_.now());
    audit_.record({ctx.requestId, "revocation_request", r ? "ok" : "not_found", r ? r->serial : "", ctx.client, caseId,
                   {}, {}});
    return r;
}

RevocationWorker::RevocationWorker(store::Store& store, const Clock& clock, const RevocationConfig& config,
                                   RevocationTransport& transport, std::ostream& diagnostics)
    : store_(store), clock_(clock), config_(config), transport_(transport), diagnostics_(diagnostics),
      owner_(workerOwner()) {}

RevocationWorker::~RevocationWorker() { stop(); }

bool RevocationWorker::runOnce() {
    try {
        const store::Time now = clock_.now();
        // The lease outlasts the attempt (its timeout) with a margin: no other instance
        // claims the request while this one may still be delivering it.
        const auto r = store_.claimRevocation(owner_, now + 2 * store::Time{config_.timeout} + 30, now);
        if (!r) return false;
        const DeliveryResult d = transport_.deliver(revocationDocument(*r), r->idempotencyKey);
        const store::Time done = clock_.now();
        store::RevocationAttempt a;
        a.delivered = d.delivered;
        if (!d.delivered) {
            a.error = d.error;
            a.retryAt = done + revocationRetryDelay(r->attempts + 1, config_);
        }
        store_.finishRevocation(r->id, owner_, a, done);
        diagnostics_ << "ias-unblockd: revocation request " << r->id << " (case " << r->caseId << "), attempt "
                     << r->attempts + 1 << ": " << (d.delivered ? "delivered" : d.error) << std::endl;
        return true;
    } catch (const store::StoreError& e) {
        metrics().databaseError();
        const std::string what = e.what();
        diagnostics_ << "ias-unblockd: revocation queue: storage " << (e.unavailable() ? "unavailable" : "error")
                     << ": " << what.substr(0, what.find('\n')) << std::endl;
        return false;
    } catch (const std::exception& e) {
        diagnostics_ << "ias-unblockd: revocation queue: " << e.what() << std::endl;
        return false;
    }
}

void RevocationWorker::start() {
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            const bool more = runOnce();
            lock.lock();
            if (!more) wake_.wait_for(lock, std::chrono::seconds(config_.poll), [this] { return stopping_; });
        }
    });
}

void RevocationWorker::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace ias::service
