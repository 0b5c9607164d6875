// SPDX-License-Identifier: Apache-2.0
// The service's metrics, in the Prometheus text exposition format (version 0.0.4), served by
// http/ops_routes.hpp on the metrics listener. Labels never carry secrets or per-holder data:
// a route is its pattern ("/h/{link}", "/v1/admin/cases/{id}/close"), a result its HTTP status.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace ias::service {

// Upper bounds (seconds) of the request latency histogram.
inline constexpr std::array<double, 11> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                           0.5,   1,    2.5,   5,    10};

// What the database says at scrape time.
struct OperationalState {
    std::vector<std::pair<std::string, std::int64_t>> casesByState;
    store::QueueStats mail;
    store::QueueStats revocation;
    store::Time now = 0;
    store::Time revocationAlertAfter = 0;
    bool databaseUp = true;  // false: the numbers above are absent
};

class Metrics {
public:
    void observeRequest(const std::string& route, int status, double seconds);
    void hsmError() { hsmErrors_.fetch_add(1); }
    void databaseError() { databaseErrors_.fetch_add(1); }
    std::string exposition(const OperationalState& s) const;

private:
    struct Histogram {
        std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};  // not cumulative
        std::uint64_t count = 0;
        double sum = 0;
    };
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, int>, std::uint64_t> requests_;  // (route, status)
    std::map<std::string, Histogram> latency_;                       // route
    std::atomic<std::uint64_t> hsmErrors_{0};
    std::atomic<std::uint64_t> databaseErrors_{0};
};

// The process's metrics (every Server of the process counts into it).
Metrics& metrics();

// A request path as a route label: "/h/<token>..." -> "/h/{link}", numeric path segments ->
// "{id}"; paths no route answered (404) -> "other".
std::string routeLabel(const std::string& path, int status);

}  // namespace ias::service
