// SPDX-License-Identifier: Apache-2.0
#include "http/connection_limits.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <stdexcept>

namespace ias::service::http {

namespace {

std::int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

struct RequestLimits::Connection {
    RequestLimits* owner = nullptr;
    int fd = -1;
    std::atomic<std::size_t> bytes{0};
    std::atomic<std::int64_t> startNs{0};  // 0: between requests (no clock running)
    bool cut = false;                      // owner->mutex_
};

namespace {

// Per-connection state, freed with the SSL object (before httplib closes the socket).
int connectionIndex() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &RequestLimits::onFreeHook);
    return index;
}

int limitsIndex() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

}  // namespace

RequestLimits::RequestLimits(SSL_CTX* ctx, std::size_t maxBytes, int timeoutSeconds)
    : maxBytes_(maxBytes), timeout_(timeoutSeconds) {
    if (connectionIndex() < 0 || limitsIndex() < 0 || SSL_CTX_set_ex_data(ctx, limitsIndex(), this) != 1)
        throw std::runtime_error("cannot set up the request limits (OpenSSL ex_data)");
    SSL_CTX_set_info_callback(ctx, &RequestLimits::onInfo);
    SSL_CTX_set_msg_callback(ctx, &RequestLimits::onMessage);
    SSL_CTX_set_msg_callback_arg(ctx, this);
    watchdog_ = std::thread([this] { watch(); });
}

RequestLimits::~RequestLimits() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    watchdog_.join();
}

std::size_t RequestLimits::cut() const {
    std::lock_guard lock(mutex_);
    return cut_;
}

void RequestLimits::onInfo(const SSL* ssl, int where, int /*ret*/) {
    if ((where & SSL_CB_HANDSHAKE_START) == 0 || SSL_get_ex_data(ssl, connectionIndex())) return;
    auto* self = static_cast<RequestLimits*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), limitsIndex()));
    if (!self) return;
    auto* c = new Connection;
    c->owner = self;
    c->fd = SSL_get_fd(ssl);
    c->startNs = nowNs();  // the handshake is timed like a request
    {
        std::lock_guard lock(self->mutex_);
        self->live_[ssl] = c;
    }
    // httplib hands the callbacks its own, non-const SSL object.
    SSL_set_ex_data(const_cast<SSL*>(ssl), connectionIndex(), c);
}

void RequestLimits::onMessage(int writeP, int /*version*/, int contentType, const void* buf, std::size_t len, SSL* ssl,
                              void* /*arg*/) {
    if (writeP != 0 || contentType != SSL3_RT_HEADER || len < 5) return;
    auto* c = static_cast<Connection*>(SSL_get_ex_data(ssl, connectionIndex()));
    if (!c) return;
    const auto* header = static_cast<const unsigned char*>(buf);
    const std::size_t record = 5 + ((static_cast<std::size_t>(header[3]) << 8) | header[4]);
    std::int64_t expected = 0;
    c->startNs.compare_exchange_strong(expected, nowNs());
    if (c->bytes.fetch_add(record) + record <= c->owner->maxBytes_) return;
    std::lock_guard lock(c->owner->mutex_);
    c->owner->cutLocked(*c);
}

void RequestLimits::onFreeHook(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/, long /*argl*/,
                               void* /*argp*/) {
    auto* c = static_cast<Connection*>(ptr);
    if (!c) return;
    {
        std::lock_guard lock(c->owner->mutex_);
        for (auto it = c->owner->live_.begin(); it != c->owner->live_.end(); ++it) {
            if (it->second == c) {
                c->owner->live_.erase(it);
                break;
            }
        }
    }
    delete c;
}

void RequestLimits::requestRead(const httplib::Request& req) {
    if (!req.ssl) return;
    auto* c = static_cast<Connection*>(SSL_get_ex_data(req.ssl, connectionIndex()));
    if (!c) return;
    c->bytes = 0;
    c->startNs = 0;
}

void RequestLimits::cutLocked(Connection& c) {
    if (c.cut) return;
    c.cut = true;
    ++cut_;
    // The socket stays open (httplib closes it after freeing the SSL object, which first
    // removes it from live_ under mutex_): this fd is still this connection's.
    ::shutdown(c.fd, SHUT_RDWR);
}

void RequestLimits::watch() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, std::chrono::milliseconds(250));
        const std::int64_t now = nowNs();
        const std::int64_t limit = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout_).count();
        for (const auto& [ssl, c] : live_) {
            const std::int64_t start = c->startNs.load();
            if (start != 0 && now - start > limit) cutLocked(*c);
        }
    }
}

}  // namespace ias::service::http
