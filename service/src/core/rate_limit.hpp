// SPDX-License-Identifier: Apache-2.0
// Rate limits per client address and per card serial, shared by every instance: a token
// bucket per key in the database (Store::takeRateTokens), so N instances together allow what
// one would, and a restart forgets nothing.
// A per-process memory of keys that the database left without a whole token, until the time
// the next one is due, refuses those without a database round trip: exact, because a bucket
// only gains tokens with time.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "store/store.hpp"

namespace ias::service {

struct RateLimitConfig {
    std::string name;  // the bucket kind: "client", "serial" (rate.<name>_* in errors)
    double perMinute = 0;
    double burst = 0;  // 0: no limit
};

class RateLimiter {
public:
    // Throws std::invalid_argument unless each burst is 0, or 1..1e9 with perMinute in (0, 1e9].
    RateLimiter(store::Store& store, const Clock& clock, std::vector<RateLimitConfig> limits);
    // Takes one token of keys[i] for limits[i], in order, stopping at the first limit that
    // refuses (the later ones spend nothing); an empty key skips its limit. Returns the name
    // of the refusing limit, or nullptr. Throws store::StoreError when the database cannot be
    // used.
    const char* refusal(const std::vector<std::string>& keys);
    // For a refusal by limit `name`: seconds until its bucket holds a whole token again at the
    // latest (a refused bucket holds less than one, and one comes back every 60/perMinute s).
    int retryAfterSeconds(std::string_view name) const;

private:
    static constexpr std::size_t kMaxRemembered = 100000;
    static constexpr store::Time kPurgeEvery = 60;

    struct Limit {
        RateLimitConfig config;
        store::RateRule rule;
        std::atomic<store::Time> nextPurge{0};
    };
    bool knownEmpty(const std::string& memoKey, store::Time now);

    store::Store& store_;
    const Clock& clock_;
    std::vector<std::unique_ptr<Limit>> limits_;
    std::mutex mutex_;
    std::unordered_map<std::string, store::Time> emptyUntil_;  // "<kind>\n<key>" -> time
};

}  // namespace ias::service
