// SPDX-License-Identifier: Apache-2.0
// Revocation reaches the CA (issue #21): a definitive block (the third wrong answer) or
// support's request queues a revocation request in the database (store/revocation_queue.hpp);
// a worker thread of `serve` delivers it to the CA, over HTTPS with a client certificate
// (revocation.url) or to a local program (revocation.command), and retries with exponential
// backoff until the CA has it. Exactly once from the CA's view: the document, with its
// idempotency key, is the same on every attempt; several instances never deliver one request
// at the same time (a lease taken under the row lock).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "store/store.hpp"

namespace ias::service {

// The JSON document the CA receives (identical on every attempt):
// {"type": "ias-unblockd.revocation-request", "version": 1, "idempotency_key", "case_id",
//  "serial" (the card's), "certificate_references": [{"token_serial"}], "reason"
//  (keyCompromise | cessationOfOperation), "reason_text", "requested_by" (block | support),
//  "time" (RFC 3339 UTC, when it was requested)}.
std::string revocationDocument(const store::RevocationRequest& r);
// RFC 3339 UTC ("2026-12-05T05:00:00Z").
std::string rfc3339(store::Time t);
// The reason codes support may give.
bool isRevocationReason(const std::string& code);

// Seconds before the next attempt after `attempts` failed ones: retryInitial doubling,
// at most retryMax.
store::Time revocationRetryDelay(int attempts, const RevocationConfig& c);

struct DeliveryResult {
    bool delivered = false;
    std::string error;  // when not delivered: status or transport error (no document content)
};

class RevocationTransport {
public:
    virtual ~RevocationTransport() = default;
    virtual DeliveryResult deliver(const std::string& document, const std::string& idempotencyKey) = 0;
};

// HTTPS POST (libcurl): client certificate, CA file, no redirects, revocation.timeout.
// 2xx = delivered; 409 naming the same idempotency key (Idempotency-Key response header or
// "idempotency_key" in a JSON body) = delivered before; anything else = retry.
std::unique_ptr<RevocationTransport> httpsTransport(const RevocationConfig& c);
// revocation.command: executed directly (no shell), the document on its standard input,
// standard output discarded, standard error the service's; exit status 0 = delivered; killed
// (with its process group) after revocation.timeout.
std::unique_ptr<RevocationTransport> commandTransport(const RevocationConfig& c);
// The configured transport; null when delivery is off. Throws std::runtime_error on an
// inconsistent configuration (both url and command, a client cert without its key).
std::unique_ptr<RevocationTransport> revocationTransport(const RevocationConfig& c);

class RevocationWorker {
public:
    RevocationWorker(store::Store& store, const Clock& clock, const RevocationConfig& config,
                     RevocationTransport& transport, std::ostream& diagnostics);
    ~RevocationWorker();
    RevocationWorker(const RevocationWorker&) = delete;
    RevocationWorker& operator=(const RevocationWorker&) = delete;

    // Claims one due request and delivers it; false when none was due (or the database is
    // unavailable: reported, tried again at the next poll).
    bool runOnce();
    // A thread that runs runOnce() until nothing is due, then waits revocation.poll seconds.
    void start();
    // Stops the thread after the delivery in progress (at most revocation.timeout).
    void stop();
    const std::string& owner() const noexcept { return owner_; }

private:
    store::Store& store_;
    const Clock& clock_;
    const RevocationConfig& config_;
    RevocationTransport& transport_;
    std::ostream& diagnostics_;
    std::string owner_;  // host:pid:random, names this worker's leases
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace ias::service
