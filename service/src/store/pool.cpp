// SPDX-License-Identifier: Apache-2.0
#include "store/sql.hpp"

namespace ias::service::store {

ConnectionPool::ConnectionPool(std::vector<std::unique_ptr<SqlConnection>> connections) : all_(std::move(connections)) {
    for (auto& c : all_) idle_.push_back(c.get());
}

ConnectionPool::Lease::Lease(ConnectionPool& pool) : p(pool) {
    std::unique_lock lock(p.mutex_);
    if (!p.idle_.empty()) {  // no waiter can exist while a connection is idle
        c = p.idle_.back();
        p.idle_.pop_back();
        return;
    }
    Waiter self;
    p.waiters_.push_back(&self);
    self.handedOver.wait(lock, [&] { return self.c != nullptr; });
    c = self.c;
}

ConnectionPool::Lease::~Lease() {
    std::lock_guard lock(p.mutex_);
    if (p.waiters_.empty()) {
        p.idle_.push_back(c);
        return;
    }
    Waiter* next = p.waiters_.front();
    p.waiters_.pop_front();
    next->c = c;
    // Under the lock: once it is released the waiter may return and its Waiter be gone.
    next->handedOver.notify_one();
}

std::size_t ConnectionPool::waiting() {
    std::lock_guard lock(mutex_);
    return waiters_.size();
}

}  // namespace ias::service::store
