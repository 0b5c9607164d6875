#include "core/rate_limit.hpp"

#include <algorithm>

namespace ias::service {

bool RateLimiter::allow(const std::string& key) {
    if (burst_ <= 0) return true;
    const store::Time now = clock_.now();
    std::lock_guard lock(mutex_);
    if (buckets_.size() > 100000) {  // bound memory: forget full buckets
        std::erase_if(buckets_, [&](const auto& kv) {
            return kv.second.tokens + static_cast<double>(now - kv.second.at) * rate_ >= burst_;
        });
    }
    auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
    Bucket& b = it->second;
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(now - b.at) * rate_);
    b.at = now;
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

}  // namespace ias::service
