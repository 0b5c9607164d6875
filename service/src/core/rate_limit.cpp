// SPDX-License-Identifier: Apache-2.0
#include "core/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

namespace ias::service {

RateLimiter::RateLimiter(store::Store& store, const Clock& clock, std::vector<RateLimitConfig> limits)
    : store_(store), clock_(clock) {
    for (RateLimitConfig& l : limits) {
        const bool valid = std::isfinite(l.perMinute) && std::isfinite(l.burst) &&
                           (l.burst == 0 || (l.burst >= 1 && l.burst <= 1e9 && l.perMinute > 0 && l.perMinute <= 1e9));
        if (!valid)
            throw std::invalid_argument("rate." + l.name + "_burst must be 0 (no limit) or 1..1e9, with rate." + l.name +
                                        "_per_minute above 0 and at most 1e9");
        auto limit = std::make_unique<Limit>();
        limit->rule = {l.perMinute, l.burst};
        limit->config = std::move(l);
        limits_.push_back(std::move(limit));
    }
}

int RateLimiter::retryAfterSeconds(std::string_view name) const {
    for (const auto& l : limits_)
        if (l->config.name == name && l->rule.perMinute > 0)
            return static_cast<int>(std::clamp(std::ceil(60.0 / l->rule.perMinute), 1.0, 3600.0));
    return 60;
}

bool RateLimiter::knownEmpty(const std::string& memoKey, store::Time now) {
    std::lock_guard lock(mutex_);
    const auto it = emptyUntil_.find(memoKey);
    if (it == emptyUntil_.end()) return false;
    if (now < it->second) return true;
    emptyUntil_.erase(it);
    return false;
}

const char* RateLimiter::refusal(const std::vector<std::string>& keys) {
    const store::Time now = clock_.now();
    std::vector<store::RateRequest> takes;
    std::vector<std::size_t> limitOf;
    const char* knownRefusal = nullptr;
    for (std::size_t i = 0; i < limits_.size() && i < keys.size(); ++i) {
        Limit& l = *limits_[i];
        if (l.rule.burst == 0 || keys[i].empty()) continue;
        if (knownEmpty(l.config.name + '\n' + keys[i], now)) {
            knownRefusal = l.config.name.c_str();  // the earlier limits still take their token
            break;
        }
        takes.push_back({l.config.name, keys[i], l.rule});
        limitOf.push_back(i);
    }
    // Full buckets are the same as no row: each instance deletes them once a minute.
    for (const std::size_t i : limitOf) {
        Limit& l = *limits_[i];
        if (store::Time due = l.nextPurge.load(); now >= due && l.nextPurge.compare_exchange_strong(due, now + kPurgeEvery))
            store_.purgeRateBuckets(l.config.name, l.rule, now);
    }
    const std::vector<store::RateTake> out = store_.takeRateTokens(takes, now);
    for (std::size_t j = 0; j < out.size(); ++j) {
        const Limit& l = *limits_[limitOf[j]];
        if (!out[j].allowed) return l.config.name.c_str();
        if (out[j].emptyUntil > now) {
            std::lock_guard lock(mutex_);
            if (emptyUntil_.size() >= kMaxRemembered)
                std::erase_if(emptyUntil_, [&](const auto& kv) { return kv.second <= now; });
            if (emptyUntil_.size() < kMaxRemembered) emptyUntil_[l.config.name + '\n' + takes[j].subject] = out[j].emptyUntil;
        }
    }
    return knownRefusal;
}

}  // namespace ias::service
