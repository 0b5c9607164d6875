// Token-bucket rate limits keyed by a string (a serial, a client address), per instance.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"

namespace ias::service {

class RateLimiter {
public:
    // `burst` requests at once, refilled at `perMinute` per minute; 0 disables the limit.
    RateLimiter(const Clock& clock, double perMinute, double burst) : clock_(clock), rate_(perMinute / 60.0), burst_(burst) {}
    // Takes one token; false when the key is over its limit.
    bool allow(const std::string& key);

private:
    struct Bucket {
        double tokens;
        store::Time at;
    };
    const Clock& clock_;
    double rate_;
    double burst_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace ias::service
