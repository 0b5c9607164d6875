// Rate limits keyed by a string (a serial, a client address), shared by every instance: a
// token bucket per key in the database (Store::takeRateToken), so N instances together allow
// what one would, and a restart forgets nothing. A per-process memory of keys known to be
// empty until some time (from the database's own answer) refuses those without a database
// round trip: exact, because a bucket only gains tokens with time.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"
#include "store/store.hpp"

namespace ias::service {

class RateLimiter {
public:
    // `burst` requests at once, refilled at `perMinute` per minute; burst 0 disables the
    // limit. name: "serial" / "client" (the bucket kind, and rate.<name>_* in errors).
    // Throws std::invalid_argument unless burst is 0, or 1..1e9 with perMinute in (0, 1e9].
    RateLimiter(store::Store& store, const Clock& clock, std::string name, double perMinute, double burst);
    // Takes one token; false when the key is over its limit. Throws store::StoreError when
    // the database cannot be used.
    bool allow(const std::string& key);

private:
    static constexpr std::size_t kMaxRemembered = 100000;
    static constexpr store::Time kPurgeEvery = 60;

    store::Store& store_;
    const Clock& clock_;
    std::string kind_;
    store::RateRule rule_;
    std::atomic<store::Time> nextPurge_{0};
    std::mutex mutex_;
    std::unordered_map<std::string, store::Time> emptyUntil_;
};

}  // namespace ias::service
