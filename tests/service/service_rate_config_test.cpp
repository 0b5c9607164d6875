// SPDX-License-Identifier: Apache-2.0
// Configuration of the rate limits: the rate values, and the client address of a request
// (core/client_address.hpp): trusted_proxies parsing, the X-Forwarded-For walk, canonical
// forms, and the per-client rate-limit key.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/client_address.hpp"
#include "core/config.hpp"
#include "core/rate_limit.hpp"
#include "store_fixture.hpp"

using namespace ias::service;

TEST(ClientAddress, TrustedProxiesParseAddressesAndNetworks) {
    EXPECT_TRUE(parseNetworks("").empty());
    EXPECT_EQ(parseNetworks("10.0.0.1, 192.168.0.0/16 ::1,2001:db8::/32").size(), 4u);
    for (const char* bad : {"10.0.0", "10.0.0.1/33", "::1/129", "10.0.0.0/", "10.0.0.0/-1", "host.example", "10.0.0.1/8x"})
        EXPECT_THROW(parseNetworks(bad), std::invalid_argument) << bad;
    ServiceConfig c;
    EXPECT_THROW(applySetting(c, "trusted_proxies", "10.0.0.300"), std::runtime_error);
    applySetting(c, "trusted_proxies", "10.1.2.3");
    EXPECT_EQ(c.trustedProxies.size(), 1u);
}

TEST(ClientAddress, ForwardedForOnlyFromTrustedProxies) {
    const auto trusted = parseNetworks("10.0.0.0/8, fd00::/8");
    EXPECT_EQ(clientAddress("198.51.100.1", {"203.0.113.9"}, trusted), "198.51.100.1") << "untrusted peer";
    EXPECT_EQ(clientAddress("10.1.1.1", {"203.0.113.9"}, trusted), "203.0.113.9");
    EXPECT_EQ(clientAddress("10.1.1.1", {"1.1.1.1, 203.0.113.9"}, trusted), "203.0.113.9") << "client's own entries";
    EXPECT_EQ(clientAddress("10.1.1.1", {"203.0.113.9, 10.2.2.2"}, trusted), "203.0.113.9") << "proxy chain";
    EXPECT_EQ(clientAddress("10.1.1.1", {"203.0.113.9", "10.2.2.2"}, trusted), "203.0.113.9") << "two headers";
    EXPECT_EQ(clientAddress("10.1.1.1", {}, trusted), "10.1.1.1") << "no header";
    EXPECT_EQ(clientAddress("10.1.1.1", {"10.3.3.3"}, trusted), "10.3.3.3") << "all trusted: the first hop";
    EXPECT_EQ(clientAddress("10.1.1.1", {"203.0.113.9, garbage"}, trusted), "10.1.1.1") << "garbage: the proxy";
    EXPECT_EQ(clientAddress("10.1.1.1", {"203.0.113.9:443"}, trusted), "10.1.1.1");
    EXPECT_EQ(clientAddress("fd00::5", {"2001:DB8:0:0::7"}, trusted), "2001:db8::7") << "canonical IPv6";
    EXPECT_EQ(clientAddress("::ffff:10.0.0.1", {"::ffff:203.0.113.9"}, trusted), "203.0.113.9") << "IPv4-mapped";
    EXPECT_EQ(clientAddress("198.51.100.1", {"203.0.113.9"}, {}), "198.51.100.1") << "no trusted proxies";
}

TEST(ClientAddress, IPv6ClientsAreLimitedPerSlash64) {
    EXPECT_EQ(clientRateKey("203.0.113.9"), "203.0.113.9");
    EXPECT_EQ(clientRateKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
    EXPECT_EQ(clientRateKey("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
    EXPECT_NE(clientRateKey("2001:db8:1:3::1"), clientRateKey("2001:db8:1:2::1"));
}

TEST(RateConfig, OutOfRangeValuesAreRefusedAtStart) {
    test::TestDatabase db;
    auto store = db.open();
    ManualClock clock;
    auto make = [&](double perMinute, double burst) {
        RateLimiter l(*store, clock, {{"serial", perMinute, burst}});
    };
    EXPECT_NO_THROW(make(10, 10));
    EXPECT_NO_THROW(make(0, 0)) << "no limit";
    EXPECT_NO_THROW(make(1e9, 1e9));
    for (const auto& [perMinute, burst] : std::vector<std::pair<double, double>>{
             {0, 10}, {-1, 10}, {10, 0.5}, {10, -1}, {10, 2e9}, {2e9, 10}, {NAN, 10}, {10, INFINITY}})
        EXPECT_THROW(make(perMinute, burst), std::invalid_argument) << perMinute << " " << burst;
    try {
        make(0, 10);
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("rate.serial_per_minute"), std::string::npos) << e.what();
    }
    EXPECT_EQ(RateLimiter(*store, clock, {{"serial", 10, 0}}).refusal({"0A0B"}), nullptr) << "burst 0: never refused";
}

TEST(ServiceConfigValues, CountsOutsideTheirRangeAreRefusedWithTheKey) {
    ServiceConfig c;
    const std::vector<std::pair<const char*, const char*>> bad = {
        {"port", "-1"},         {"port", "65536"},           {"threads", "0"},
        {"threads", "-1"},      {"threads", "100000"},       {"database.pool", "0"},
        {"hsm.sessions", "-1"}, {"hsm.sessions", "0"},       {"hsm.reinit_after", "-5"},
        {"answers.iterations", "10"}, {"port", "99999999999"}, {"threads", "12x"},
        {"hsm.admin_key_diversification", "sn8-pad"}, {"hsm.admin_key_diversification", ""},
    };
    for (const auto& [key, value] : bad) {
        try {
            applySetting(c, key, value);
            ADD_FAILURE() << key << "=" << value << " accepted";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        }
    }
    const ServiceConfig defaults;
    EXPECT_EQ(c.port, defaults.port) << "a refused value changes nothing";
    EXPECT_EQ(c.threads, defaults.threads);
    EXPECT_EQ(c.hsm.sessions, defaults.hsm.sessions);
    applySetting(c, "hsm.sessions", "16");
    applySetting(c, "hsm.reinit_after", "0");
    applySetting(c, "threads", "4096");
    applySetting(c, "hsm.admin_key_diversification", "emv-cps-sn8");  // the scheme implemented
    EXPECT_EQ(c.hsm.sessions, 16u);
    EXPECT_EQ(c.hsm.reinitAfterCryptograms, 0u);
    EXPECT_EQ(c.threads, 4096);
}

TEST(ServiceConfigValues, ShortOrUnprintableAdminTokensStopTheServiceWithoutShowingThem) {
    const std::string path = ::testing::TempDir() + "ias-admin-token-test";
    auto tokenIn = [&](const std::string& token) -> const std::string& {
        std::ofstream(path, std::ios::binary) << token << "\n";
        return path;
    };
    for (const std::string& weak : {std::string("s3cr3t"), std::string(19, 'q'), std::string(""),
                                    std::string("admin token with spaces"), std::string("admin-token-\x01-ctl-char-x")}) {
        try {
            readAdminToken(tokenIn(weak));
            ADD_FAILURE() << "accepted a weak token of " << weak.size() << " bytes";
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find("at least 20"), std::string::npos) << what;
            if (!weak.empty()) {
                EXPECT_EQ(what.find(weak), std::string::npos) << "the token is never shown";
            }
        }
    }
    EXPECT_EQ(readAdminToken(tokenIn(std::string(20, 'x'))).size(), 20u);
    EXPECT_EQ(readAdminToken(tokenIn("3f9a0c2b7d1e4f5a6b7c8d9e0f1a2b3c")).size(), 32u);
    EXPECT_EQ(std::remove(path.c_str()), 0);
}
