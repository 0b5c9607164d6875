// SPDX-License-Identifier: Apache-2.0
#include "core/metrics.hpp"

#include <algorithm>
#include <sstream>
#include <string_view>

namespace ias::service {

namespace {

// A label value: backslash, double quote and newline escaped (exposition format).
std::string labelValue(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string number(double v) {
    std::ostringstream o;
    o.imbue(std::locale::classic());
    o << v;
    return o.str();
}

void header(std::ostream& o, const char* name, const char* type, const char* help) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

void Metrics::observeRequest(const std::string& route, int status, double seconds) {
    std::lock_guard lock(mutex_);
    ++requests_[{route, status}];
    Histogram& h = latency_[route];
    const auto it = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds);
    if (it != kLatencyBuckets.end()) ++h.buckets[static_cast<std::size_t>(it - kLatencyBuckets.begin())];
    ++h.count;
    h.sum += seconds;
}

std::string Metrics::exposition(const OperationalState& s) const {
    std::ostringstream o;
    o.imbue(std::locale::classic());
    {
        std::lock_guard lock(mutex_);
        header(o, "ias_unblockd_http_requests_total", "counter", "HTTP requests answered, by route and status.");
        for (const auto& [key, n] : requests_)
            o << "ias_unblockd_http_requests_total{route=\"" << labelValue(key.first) << "\",status=\"" << key.second
              << "\"} " << n << '\n';
        header(o, "ias_unblockd_http_request_duration_seconds", "histogram",
               "Time from a request's routing to its response, by route.");
        for (const auto& [route, h] : latency_) {
            const std::string r = labelValue(route);
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
                cumulative += h.buckets[i];
                o << "ias_unblockd_http_request_duration_seconds_bucket{route=\"" << r << "\",le=\""
                  << number(kLatencyBuckets[i]) << "\"} " << cumulative << '\n';
            }
            o << "ias_unblockd_http_request_duration_seconds_bucket{route=\"" << r << "\",le=\"+Inf\"} " << h.count
              << '\n';
            o << "ias_unblockd_http_request_duration_seconds_sum{route=\"" << r << "\"} " << number(h.sum) << '\n';
            o << "ias_unblockd_http_request_duration_seconds_count{route=\"" << r << "\"} " << h.count << '\n';
        }
    }
    header(o, "ias_unblockd_hsm_errors_total", "counter", "Requests that failed on an HSM error.");
    o << "ias_unblockd_hsm_errors_total " << hsmErrors_.load() << '\n';
    header(o, "ias_unblockd_database_errors_total", "counter",
           "Requests and queue operations that failed on a database error.");
    o << "ias_unblockd_database_errors_total " << databaseErrors_.load() << '\n';
    header(o, "ias_unblockd_database_up", "gauge", "1 when the database answered this scrape.");
    o << "ias_unblockd_database_up " << (s.databaseUp ? 1 : 0) << '\n';
    if (!s.databaseUp) return o.str();
    header(o, "ias_unblockd_cases", "gauge", "Cases by state.");
    for (const char* state : {"open", "secret_issued", "blocked", "closed", "consumed"}) {
        std::int64_t n = 0;
        for (const auto& [name, count] : s.casesByState)
            if (name == state) n = count;
        o << "ias_unblockd_cases{state=\"" << state << "\"} " << n << '\n';
    }
    const auto queue = [&](const char* name, const store::QueueStats& q) {
        const std::string depth = std::string("ias_unblockd_") + name + "_queue_depth";
        const std::string age = std::string("ias_unblockd_") + name + "_queue_oldest_age_seconds";
        header(o, depth.c_str(), "gauge", "Requests waiting for delivery.");
        o << depth << ' ' << q.depth << '\n';
        header(o, age.c_str(), "gauge", "Age of the oldest request waiting for delivery (0: none).");
        o << age << ' ' << (q.depth > 0 ? std::max<store::Time>(0, s.now - q.oldestCreatedAt) : 0) << '\n';
    };
    queue("mail", s.mail);
    queue("revocation", s.revocation);
    header(o, "ias_unblockd_revocation_alert", "gauge",
           "1 when a revocation request has waited longer than revocation.alert_after.");
    const bool alert = s.revocation.depth > 0 && s.now - s.revocation.oldestCreatedAt > s.revocationAlertAfter;
    o << "ias_unblockd_revocation_alert " << (alert ? 1 : 0) << '\n';
    return o.str();
}

Metrics& metrics() {
    static Metrics m;
    return m;
}

// The routes of http/*.cpp (a label outside this list would let any client create series:
// a request whose headers do not parse is answered 400 with whatever path it named).
constexpr std::array<std::string_view, 18> kRoutes = {
    "/v1/unblock/verify",   "/v1/unblock/cryptogram",    "/v1/unblock/confirm",
    "/v1/holder/case",      "/v1/holder/answers",        "/holder",
    "/holder/questions",    "/holder/answers",           "/static/holder.css",
    "/static/holder.js",    "/v1/admin/cases",           "/v1/admin/cases/{id}",
    "/v1/admin/cases/{id}/close", "/v1/admin/cases/{id}/revoke", "/v1/admin/revocations",
    "/v1/admin/outbox",     "/h/{link}",                 "/support"};

std::string routeLabel(const std::string& path, int status) {
    if (status == 404 || path.empty() || path[0] != '/') return "other";
    if (path.rfind("/h/", 0) == 0) return "/h/{link}";
    if (path == "/support" || path.rfind("/support/", 0) == 0) return "/support";
    std::string out;
    std::size_t p = 0;
    while (p < path.size()) {
        const std::size_t next = path.find('/', p + 1);
        const std::string seg = path.substr(p + 1, next == std::string::npos ? std::string::npos : next - p - 1);
        const bool digits = !seg.empty() && std::all_of(seg.begin(), seg.end(), [](char c) { return c >= '0' && c <= '9'; });
        out += "/" + (digits ? std::string("{id}") : seg);
        if (next == std::string::npos) break;
        p = next;
    }
    return std::find(kRoutes.begin(), kRoutes.end(), out) != kRoutes.end() ? out : "other";
}

}  // namespace ias::service
