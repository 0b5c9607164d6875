// SPDX-License-Identifier: Apache-2.0
// The one pinned HTTPS client (netclient/): pin and CA checks, and the TLS 1.2 minimum that
// the holder tool's copy of the client lacked (issue 18).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "../service/tls_fixture.hpp"
#include "ias/netclient/pinned_https.hpp"

using namespace ias;

namespace {

using service::test::testTls;

// "sha256//<base64 SHA-256 of the SPKI DER>" of the fixture's certificate.
std::string fixturePin() {
    FILE* f = std::fopen(testTls().cert.c_str(), "r");
    if (f == nullptr) return {};
    X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
    if (std::fclose(f) != 0 || x == nullptr) {
        X509_free(x);
        return {};
    }
    unsigned char* der = nullptr;
    const int n = i2d_PUBKEY(X509_get0_pubkey(x), &der);
    unsigned char digest[32];
    unsigned int len = 0;
    EVP_Digest(der, static_cast<std::size_t>(n), digest, &len, EVP_sha256(), nullptr);
    OPENSSL_free(der);
    X509_free(x);
    unsigned char b64[64] = {};
    EVP_EncodeBlock(b64, digest, static_cast<int>(len));
    return "sha256//" + std::string(reinterpret_cast<const char*>(b64));
}

// A TLS server on 127.0.0.1 answering every request "200 ok", speaking TLS up to maxVersion.
class TlsServer {
public:
    explicit TlsServer(int maxVersion) : ctx_(SSL_CTX_new(TLS_server_method())) {
        // A client that refuses the server (pin, TLS version) closes first: the server's
        // write must fail, not kill the test process.
        if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR) throw std::runtime_error("test server: cannot ignore SIGPIPE");
        SSL_CTX_set_security_level(ctx_, 0);
        SSL_CTX_set_min_proto_version(ctx_, TLS1_VERSION);
        SSL_CTX_set_max_proto_version(ctx_, maxVersion);
        SSL_CTX_set_cipher_list(ctx_, "DEFAULT@SECLEVEL=0");
        SSL_CTX_use_certificate_chain_file(ctx_, testTls().cert.c_str());
        SSL_CTX_use_PrivateKey_file(ctx_, testTls().key.c_str(), SSL_FILETYPE_PEM);
        fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t alen = sizeof a;
        if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 8) != 0 ||
            getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &alen) != 0)
            throw std::runtime_error("test server: cannot listen");
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    TlsServer(const TlsServer&) = delete;
    TlsServer& operator=(const TlsServer&) = delete;
    ~TlsServer() {
        stop_ = true;
        shutdown(fd_, SHUT_RDWR);  // wakes accept()
        thread_.join();
        close(fd_);
        SSL_CTX_free(ctx_);
    }
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/v1/x"; }
    int port() const { return port_; }
    int lastVersion() const { return lastVersion_; }

private:
    void serve() {
        while (!stop_) {
            sockaddr_in peer{};
            socklen_t peerLen = sizeof peer;
            const int c = accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &peerLen, SOCK_CLOEXEC);
            if (c < 0) return;
            SSL* ssl = SSL_new(ctx_);
            SSL_set_fd(ssl, c);
            if (SSL_accept(ssl) == 1) {
                lastVersion_ = SSL_version(ssl);
                std::string request;
                char buf[1024];
                int n = 0;
                while (request.find("\r\n\r\n") == std::string::npos && (n = SSL_read(ssl, buf, sizeof buf)) > 0)
                    request.append(buf, static_cast<std::size_t>(n));
                const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
                SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
                SSL_shutdown(ssl);
            }
            ERR_clear_error();
            SSL_free(ssl);
            close(c);
        }
    }

    SSL_CTX* ctx_;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> lastVersion_{0};
    std::thread thread_;
};

netclient::Reply get(const netclient::Settings& s, const std::string& url) {
    netclient::Request r;
    r.url = url;
    return netclient::perform(s, r);
}

std::string failure(const netclient::Settings& s, const std::string& url) {
    try {
        get(s, url);
    } catch (const netclient::TransportError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(PinnedHttps, PinnedKeyAloneAuthenticatesTheService) {
    TlsServer server(TLS1_3_VERSION);
    const netclient::Settings s{fixturePin(), "", std::chrono::milliseconds(3000), std::chrono::milliseconds(5000)};
    const netclient::Reply r = get(s, server.url());
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(std::string(r.body.begin(), r.body.end()), "ok");
    EXPECT_EQ(r.requestId.size(), 16u);
}

TEST(PinnedHttps, AnotherKeyIsRefused) {
    TlsServer server(TLS1_3_VERSION);
    const std::string other = "sha256//" + std::string(43, 'A') + "=";
    const std::string why = failure({other, "", std::chrono::milliseconds(3000), std::chrono::milliseconds(5000)}, server.url());
    EXPECT_NE(why.find("pinned"), std::string::npos) << why;
    // The right CA but the wrong pin: still refused (the pin is checked in addition).
    EXPECT_FALSE(failure({other, testTls().cert, std::chrono::milliseconds(3000), std::chrono::milliseconds(5000)},
                         server.url()).empty());
}

TEST(PinnedHttps, WithoutPinTheCertificateMustChainToTheTrustedCa) {
    TlsServer server(TLS1_3_VERSION);
    EXPECT_FALSE(failure({"", "", std::chrono::milliseconds(3000), std::chrono::milliseconds(5000)}, server.url()).empty())
        << "a self-signed certificate is not in the system trust store";
    EXPECT_EQ(get({"", testTls().cert, std::chrono::milliseconds(3000), std::chrono::milliseconds(5000)}, server.url()).status, 200);
    EXPECT_TRUE(netclient::trustsAnyPublicCa({}));
    EXPECT_FALSE(netclient::trustsAnyPublicCa({fixturePin(), "", {}, {}}));
}

TEST(PinnedHttps, OnlyHttps) {
    TlsServer server(TLS1_3_VERSION);
    const std::string plain = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/x";
    EXPECT_FALSE(failure({fixturePin(), "", std::chrono::milliseconds(3000), std::chrono::milliseconds(5000)}, plain).empty());
}

// This process's OpenSSL configuration (OPENSSL_CONF, see CMakeLists.txt) allows TLS 1.1, as
// the control handshake shows: the refusal is the client's own TLS 1.2 minimum.
TEST(PinnedHttps, RefusesServersBelowTls12WhateverOpenSslAllows) {
    TlsServer old(TLS1_1_VERSION);
    {
        SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<std::uint16_t>(old.port()));
        ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        SSL* ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        const int ok = SSL_connect(ssl);
        const int version = SSL_version(ssl);
        SSL_free(ssl);
        close(fd);
        SSL_CTX_free(ctx);
        ASSERT_EQ(ok, 1) << "control: this environment's OpenSSL must allow TLS 1.1 (OPENSSL_CONF)";
        ASSERT_EQ(version, TLS1_1_VERSION);
    }
    const std::string why = failure({fixturePin(), "", std::chrono::milliseconds(3000), std::chrono::milliseconds(5000)}, old.url());
    EXPECT_FALSE(why.empty()) << "a TLS 1.1 server was accepted";
    TlsServer current(TLS1_2_VERSION);
    EXPECT_EQ(get({fixturePin(), "", std::chrono::milliseconds(3000), std::chrono::milliseconds(5000)}, current.url()).status, 200);
    EXPECT_EQ(current.lastVersion(), TLS1_2_VERSION);
}
