#include "store/sql.hpp"

namespace ias::service::store {

ConnectionPool::ConnectionPool(std::vector<std::unique_ptr<SqlConnection>> connections) : all_(std::move(connections)) {
    for (auto& c : all_) idle_.push_back(c.get());
}

ConnectionPool::Lease::Lease(ConnectionPool& pool) : p(pool) {
    std::unique_lock lock(p.mutex_);
    p.cv_.wait(lock, [&] { return !p.idle_.empty(); });
    c = p.idle_.back();
    p.idle_.pop_back();
}

ConnectionPool::Lease::~Lease() {
    {
        std::lock_guard lock(p.mutex_);
        p.idle_.push_back(c);
    }
    p.cv_.notify_one();
}

}  // namespace ias::service::store
