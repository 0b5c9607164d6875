// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "store/sql.hpp"

using namespace ias::service::store;

namespace {

ConnectionPool poolOf(std::size_t n) {
    std::vector<std::unique_ptr<SqlConnection>> connections;
    for (std::size_t i = 0; i < n; ++i) connections.push_back(openSqlite(":memory:"));
    return ConnectionPool(std::move(connections));
}

void waitUntilWaiting(ConnectionPool& pool, std::size_t n) {
    while (pool.waiting() < n) std::this_thread::yield();
}

}  // namespace

// A returned connection goes to the thread that has waited longest, in arrival order.
TEST(ConnectionPool, WaitersAreServedInArrivalOrder) {
    ConnectionPool pool = poolOf(1);
    std::promise<void> held;
    std::promise<void> release;
    std::thread holder([&] {
        pool.with([&](SqlConnection&) {
            held.set_value();
            release.get_future().wait();
        });
    });
    held.get_future().wait();
    std::mutex m;
    std::vector<int> order;
    std::vector<std::thread> waiters;
    waiters.reserve(6);
    for (int i = 0; i < 6; ++i) {
        waiters.emplace_back([&, i] {
            pool.with([&](SqlConnection&) {
                const std::lock_guard lock(m);
                order.push_back(i);
            });
        });
        waitUntilWaiting(pool, static_cast<std::size_t>(i) + 1);
    }
    release.set_value();
    holder.join();
    for (auto& t : waiters) t.join();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(pool.waiting(), 0U);
}

// Many threads over few connections: a connection is never used by two threads at once, every
// borrow is served, and nothing is left waiting.
TEST(ConnectionPool, ConnectionsAreExclusiveUnderContention) {
    ConnectionPool pool = poolOf(2);
    std::mutex m;
    std::map<SqlConnection*, int> users;
    std::atomic<int> done{0};
    std::atomic<bool> shared{false};
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) {
                pool.with([&](SqlConnection& c) {
                    {
                        const std::lock_guard lock(m);
                        if (++users[&c] != 1) shared = true;
                    }
                    std::this_thread::yield();
                    {
                        const std::lock_guard lock(m);
                        --users[&c];
                    }
                });
                ++done;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_FALSE(shared.load());
    EXPECT_EQ(done.load(), 8 * 500);
    EXPECT_EQ(users.size(), 2U);
    EXPECT_EQ(pool.waiting(), 0U);
}
