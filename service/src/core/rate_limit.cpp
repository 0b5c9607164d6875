#include "core/rate_limit.hpp"

#include <cmath>
#include <stdexcept>

namespace ias::service {

RateLimiter::RateLimiter(store::Store& store, const Clock& clock, std::string name, double perMinute, double burst)
    : store_(store), clock_(clock), kind_(std::move(name)), rule_{perMinute, burst} {
    const bool off = burst == 0;
    const bool valid = std::isfinite(perMinute) && std::isfinite(burst) &&
                       (off || (burst >= 1 && burst <= 1e9 && perMinute > 0 && perMinute <= 1e9));
    if (!valid)
        throw std::invalid_argument("rate." + kind_ + "_burst must be 0 (no limit) or 1..1e9, with rate." + kind_ +
                                    "_per_minute above 0 and at most 1e9");
}

bool RateLimiter::allow(const std::string& key) {
    if (rule_.burst == 0) return true;
    const store::Time now = clock_.now();
    {
        std::lock_guard lock(mutex_);
        if (const auto it = emptyUntil_.find(key); it != emptyUntil_.end()) {
            if (now < it->second) return false;
            emptyUntil_.erase(it);
        }
    }
    // Full buckets are the same as no row: deleted once a minute by each instance.
    if (store::Time due = nextPurge_.load(); now >= due && nextPurge_.compare_exchange_strong(due, now + kPurgeEvery))
        store_.purgeRateBuckets(kind_, rule_, now);
    const store::RateTake take = store_.takeRateToken(kind_, key, rule_, now);
    if (take.allowed && take.emptyUntil > now) {
        std::lock_guard lock(mutex_);
        if (emptyUntil_.size() >= kMaxRemembered)
            std::erase_if(emptyUntil_, [&](const auto& kv) { return kv.second <= now; });
        if (emptyUntil_.size() < kMaxRemembered) emptyUntil_[key] = take.emptyUntil;
    }
    return take.allowed;
}

}  // namespace ias::service
