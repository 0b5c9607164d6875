// SPDX-License-Identifier: Apache-2.0
// The service's notion of time, injectable so that tests can move it (24 h, 10 min limits).
#pragma once

#include <atomic>
#include <chrono>

#include "store/store.hpp"

namespace ias::service {

class Clock {
public:
    virtual ~Clock() = default;
    virtual store::Time now() const = 0;
};

class SystemClock final : public Clock {
public:
    store::Time now() const override {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

class ManualClock final : public Clock {
public:
    explicit ManualClock(store::Time t = 1'700'000'000) : t_(t) {}
    store::Time now() const override { return t_.load(); }
    void advance(store::Time seconds) { t_ += seconds; }

private:
    std::atomic<store::Time> t_;
};

}  // namespace ias::service
