// SPDX-License-Identifier: Apache-2.0
// Limits on what one TLS connection may send for one request, which cpp-httplib 0.11 (Debian
// 12) does not bound: its request-line and header reader grows a std::string without limit
// until a newline comes (its CPPHTTPLIB_*_MAX_LENGTH checks run after the whole line was
// read, and are compiled into libcpp-httplib.so, not settable here), any number of header
// lines is kept, and its read timeout is per read, so a client sending a byte every few
// seconds holds a worker thread forever (slow loris).
//
// Counted below httplib, on the TLS records the connection receives (OpenSSL's message
// callback sees each record header), in two stages per request: from its first record (or
// the start of the TLS handshake) until httplib has read its line and headers (the
// pre-routing handler calls RequestLimits::requestRead), and from the next record until its
// body was read and answered (the post-routing handler): at most `maxBytes` may arrive in a
// stage, within `timeoutSeconds`.
// Past either, the socket is shut down: httplib's next read fails and it drops the
// connection, freeing what it buffered. A watchdog thread enforces the time limit when no
// record arrives at all (one record trickled a byte at a time).
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <thread>

namespace httplib {
struct Request;
}

namespace ias::service::http {

class RequestLimits {
public:
    // Installs the callbacks on `ctx` (one RequestLimits per SSL_CTX, outliving every
    // connection of it) and starts the watchdog.
    RequestLimits(SSL_CTX* ctx, std::size_t maxBytes, int timeoutSeconds);
    ~RequestLimits();
    RequestLimits(const RequestLimits&) = delete;
    RequestLimits& operator=(const RequestLimits&) = delete;

    // httplib has read a request's head, or read and answered its body (a no-op without
    // TLS): the count and the clock start again with the next record.
    static void requestRead(const httplib::Request& req);
    // Connections cut so far (tests, diagnostics).
    std::size_t cut() const;

    struct Connection;
    // OpenSSL's ex_data free callback of the per-connection state (removes it from live_).
    static void onFreeHook(void* parent, void* ptr, CRYPTO_EX_DATA* ad, int idx, long argl, void* argp);

private:
    static void onInfo(const SSL* ssl, int where, int ret);
    static void onMessage(int writeP, int version, int contentType, const void* buf, std::size_t len, SSL* ssl, void* arg);
    void watch();
    // mutex_ held.
    void cutLocked(Connection& c);

    std::size_t maxBytes_;
    std::chrono::seconds timeout_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::map<const SSL*, Connection*> live_;
    std::size_t cut_ = 0;
    std::thread watchdog_;
};

}  // namespace ias::service::http
