// SPDX-License-Identifier: Apache-2.0
// How a revocation request reaches the CA (issue #21): HTTPS with a client certificate
// against a loopback receiver that requires one (2xx and 409 with the same idempotency key =
// delivered, anything else = retry), and revocation.command (no shell, the document on
// stdin, exit 0 = delivered, killed after the timeout). And the metrics text format.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

#include "core/config.hpp"
#include "core/metrics.hpp"
#include "core/revocation.hpp"
#include "tls_fixture.hpp"

using namespace ias::service;

namespace {

std::string readFile(const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

class TempDir {
public:
    TempDir()
        : path_(std::filesystem::temp_directory_path() /
                ("ias-revocation-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    static inline std::atomic<int> counter_{0};
    std::filesystem::path path_;
};

// A receiver on 127.0.0.1 requiring a client certificate issued by the test CA (the test
// certificate is its own CA). Answers from a script of statuses, then 201; a 409 names the
// request's key unless echoKey is false. What it received is read under its lock.
class Receiver {
public:
    explicit Receiver(std::vector<int> statuses = {}, bool echoKey = true)
        : statuses_(std::move(statuses)), echoKey_(echoKey),
          server_(test::testTls().cert.c_str(), test::testTls().key.c_str(), test::testTls().cert.c_str()) {
        server_.Post("/revoke", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            bodies_.push_back(req.body);
            keys_.push_back(req.get_header_value("Idempotency-Key"));
            const int status = next_ < statuses_.size() ? statuses_[next_] : 201;
            ++next_;
            res.status = status;
            if (status == 409 && echoKey_) res.set_header("Idempotency-Key", keys_.back());
            res.set_content("{}", "application/json");
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~Receiver() {
        server_.stop();
        thread_.join();
    }
    Receiver(const Receiver&) = delete;
    Receiver& operator=(const Receiver&) = delete;
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/revoke"; }
    std::vector<std::string> bodies() {
        std::lock_guard lock(mutex_);
        return bodies_;
    }
    std::vector<std::string> keys() {
        std::lock_guard lock(mutex_);
        return keys_;
    }

private:
    const std::vector<int> statuses_;
    const bool echoKey_;
    std::vector<std::string> bodies_, keys_;
    httplib::SSLServer server_;
    std::mutex mutex_;
    std::size_t next_ = 0;
    int port_ = 0;
    std::thread thread_;
};

RevocationConfig httpsConfig(const Receiver& r) {
    RevocationConfig c;
    c.url = r.url();
    c.caFile = test::testTls().cert;
    c.clientCert = test::testTls().cert;
    c.clientKey = test::testTls().key;
    c.timeout = 5;
    return c;
}

}  // namespace

TEST(ServiceRevocationHttps, TwoXxAndTheSameKeysConflictAreDelivered) {
    Receiver rx({503, 500, 409, 201});
    const RevocationConfig c = httpsConfig(rx);
    auto t = revocationTransport(c);
    ASSERT_TRUE(t);
    const std::string doc = R"({"idempotency_key":"k1"})";
    DeliveryResult d = t->deliver(doc, "k1");
    EXPECT_FALSE(d.delivered);
    EXPECT_EQ(d.error, "HTTP 503");
    EXPECT_FALSE(t->deliver(doc, "k1").delivered);
    d = t->deliver(doc, "k1");
    EXPECT_TRUE(d.delivered) << "409 naming our key: the CA has it already";
    EXPECT_TRUE(t->deliver(doc, "k1").delivered);
    const auto bodies = rx.bodies();
    const auto keys = rx.keys();
    ASSERT_EQ(bodies.size(), 4u);
    ASSERT_EQ(keys.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(bodies[i], doc);
        EXPECT_EQ(keys[i], "k1");
    }
}

TEST(ServiceRevocationHttps, AConflictOnAnotherKeyIsNotDelivered) {
    Receiver rx({409}, false);
    const RevocationConfig c = httpsConfig(rx);
    const auto d = revocationTransport(c)->deliver("{}", "k2");
    EXPECT_FALSE(d.delivered);
    EXPECT_EQ(d.error, "HTTP 409");
}

TEST(ServiceRevocationHttps, NoClientCertificateNoDelivery) {
    Receiver rx;
    RevocationConfig c = httpsConfig(rx);
    c.clientCert.clear();
    c.clientKey.clear();
    const auto d = revocationTransport(c)->deliver("{}", "k3");
    EXPECT_FALSE(d.delivered);
    EXPECT_NE(d.error.find("transport"), std::string::npos) << d.error;
    EXPECT_TRUE(rx.bodies().empty()) << "the receiver refused the handshake";
}

TEST(ServiceRevocationHttps, UntrustedReceiverIsRefused) {
    Receiver rx;
    RevocationConfig c = httpsConfig(rx);
    c.caFile = "/etc/ssl/certs/ca-certificates.crt";  // not the receiver's issuer
    EXPECT_FALSE(revocationTransport(c)->deliver("{}", "k4").delivered);
    EXPECT_TRUE(rx.bodies().empty());
}

TEST(ServiceRevocationConfig, TransportChoiceAndSettings) {
    ServiceConfig c;
    EXPECT_FALSE(revocationTransport(c.revocation)) << "off by default";
    EXPECT_THROW(applySetting(c, "revocation.url", "http://ca.example.org/revoke"), std::runtime_error);
    applySetting(c, "revocation.url", "https://ca.example.org/revoke");
    applySetting(c, "revocation.command", "  /usr/bin/ca-revoke  --batch\t--json ");
    EXPECT_EQ(c.revocation.command, (std::vector<std::string>{"/usr/bin/ca-revoke", "--batch", "--json"}));
    EXPECT_THROW(revocationTransport(c.revocation), std::runtime_error) << "url and command are exclusive";
    c.revocation.command.clear();
    applySetting(c, "revocation.client_cert", "/etc/ias-unblockd/ca-client.crt");
    EXPECT_THROW(revocationTransport(c.revocation), std::runtime_error) << "a certificate without its key";
    EXPECT_THROW(applySetting(c, "revocation.timeout", "0"), std::runtime_error);
    applySetting(c, "revocation.alert_after", "600");
    EXPECT_EQ(c.revocation.alertAfter, 600);
    applySetting(c, "metrics.listen", "127.0.0.1:9464");
    EXPECT_EQ(c.metricsListen, "127.0.0.1:9464");
}

TEST(ServiceRevocationCommand, DocumentOnStdinExitZeroIsDelivered) {
    TempDir dir;
    const auto script = dir.path() / "revoke.sh";
    std::ofstream(script) << "cat > \"$1\"\nexit \"$(cat \"$2\")\"\n";
    const auto out = dir.path() / "received.json";
    const auto status = dir.path() / "status";
    RevocationConfig c;
    c.command = {"sh", script.string(), out.string(), status.string()};  // found on PATH, no shell parsing
    c.timeout = 10;
    auto t = revocationTransport(c);
    std::ofstream(status) << "3";
    DeliveryResult d = t->deliver(R"({"a":1})", "k");
    EXPECT_FALSE(d.delivered);
    EXPECT_EQ(d.error, "revocation.command exit status 3");
    std::ofstream(status) << "0";
    d = t->deliver(R"({"a":2})", "k");
    EXPECT_TRUE(d.delivered) << d.error;
    EXPECT_EQ(readFile(out), R"({"a":2})");
}

// A program that exits without reading its input: the service survives the SIGPIPE of the
// write (blocked and taken back on the writing thread) and the exit status decides.
TEST(ServiceRevocationCommand, ProgramThatDoesNotReadItsInput) {
    RevocationConfig c;
    c.command = {"true"};
    const std::string big(std::size_t{1024} * 1024, ' ');  // more than a pipe holds: the write meets EPIPE
    EXPECT_TRUE(revocationTransport(c)->deliver(big, "k").delivered);
    c.command = {"false"};
    EXPECT_FALSE(revocationTransport(c)->deliver(big, "k").delivered);
}

TEST(ServiceRevocationCommand, NoShellAndTimeout) {
    TempDir dir;
    RevocationConfig c;
    // A shell would expand this; execve passes it unchanged (and no such program exists).
    c.command = {"/nonexistent/revoke;true"};
    EXPECT_FALSE(revocationTransport(c)->deliver("{}", "k").delivered);
    c.command = {"sh", "-c", "sleep 30 & sleep 30", "x"};
    c.timeout = 1;
    const auto start = std::chrono::steady_clock::now();
    const auto d = revocationTransport(c)->deliver("{}", "k");
    EXPECT_FALSE(d.delivered);
    EXPECT_EQ(d.error, "revocation.command timed out");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ServiceMetrics, RouteLabelsCarryNoHolderData) {
    EXPECT_EQ(routeLabel("/h/" + std::string(64, 'a'), 200), "/h/{link}");
    EXPECT_EQ(routeLabel("/v1/admin/cases/42/close", 204), "/v1/admin/cases/{id}/close");
    EXPECT_EQ(routeLabel("/v1/admin/cases/42", 200), "/v1/admin/cases/{id}");
    EXPECT_EQ(routeLabel("/v1/unblock/verify", 401), "/v1/unblock/verify");
    EXPECT_EQ(routeLabel("/v1/unblock/verify", 404), "other");
    EXPECT_EQ(routeLabel("/anything/holder@example.org", 400), "other") << "unknown paths are not labels";
    EXPECT_EQ(routeLabel("/support/cases/7", 200), "/support");
}

TEST(ServiceMetrics, ExpositionFormat) {
    Metrics m;
    m.observeRequest("/v1/unblock/verify", 200, 0.003);
    m.observeRequest("/v1/unblock/verify", 200, 0.2);
    m.observeRequest("/v1/unblock/verify", 429, 20);
    m.hsmError();
    OperationalState s;
    s.now = 10000;
    s.revocationAlertAfter = 3600;
    s.casesByState = {{"blocked", 2}, {"open", 5}};
    s.revocation = {3, 10000 - 3601};
    s.mail = {1, 9990};
    const std::string text = m.exposition(s);
    for (const char* line : {
             "# TYPE ias_unblockd_http_requests_total counter\n",
             "ias_unblockd_http_requests_total{route=\"/v1/unblock/verify\",status=\"200\"} 2\n",
             "ias_unblockd_http_requests_total{route=\"/v1/unblock/verify\",status=\"429\"} 1\n",
             "# TYPE ias_unblockd_http_request_duration_seconds histogram\n",
             "ias_unblockd_http_request_duration_seconds_bucket{route=\"/v1/unblock/verify\",le=\"0.005\"} 1\n",
             "ias_unblockd_http_request_duration_seconds_bucket{route=\"/v1/unblock/verify\",le=\"0.25\"} 2\n",
             "ias_unblockd_http_request_duration_seconds_bucket{route=\"/v1/unblock/verify\",le=\"10\"} 2\n",
             "ias_unblockd_http_request_duration_seconds_bucket{route=\"/v1/unblock/verify\",le=\"+Inf\"} 3\n",
             "ias_unblockd_http_request_duration_seconds_count{route=\"/v1/unblock/verify\"} 3\n",
             "ias_unblockd_hsm_errors_total 1\n",
             "ias_unblockd_database_errors_total 0\n",
             "ias_unblockd_cases{state=\"blocked\"} 2\n",
             "ias_unblockd_cases{state=\"consumed\"} 0\n",
             "ias_unblockd_mail_queue_depth 1\n",
             "ias_unblockd_mail_queue_oldest_age_seconds 10\n",
             "ias_unblockd_revocation_queue_depth 3\n",
             "ias_unblockd_revocation_queue_oldest_age_seconds 3601\n",
             "ias_unblockd_revocation_alert 1\n",
         })
        EXPECT_NE(text.find(line), std::string::npos) << line << "in:\n" << text;
    // Every line is a comment or "name{labels} value".
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        EXPECT_TRUE(line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0 ||
                    (line.rfind("ias_unblockd_", 0) == 0 && line.find(' ') != std::string::npos))
            << line;
    s.revocation = {3, 10000 - 3600};
    EXPECT_NE(m.exposition(s).find("ias_unblockd_revocation_alert 0\n"), std::string::npos) << "not older yet";
    s.databaseUp = false;
    EXPECT_NE(m.exposition(s).find("ias_unblockd_database_up 0\n"), std::string::npos);
}
