// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <vector>

#include "holder_link.hpp"

namespace ias::tools {

namespace {
std::string tok(const HolderLink& l) { return {l.token.begin(), l.token.end()}; }
const std::string kToken = "602e7eea10f170d01971a7b352cdc0ce85efcf5cf5d8a3e68d81b3fff792fe3e";
}  // namespace

TEST(HolderLink, ApiBaseAndToken) {
    auto l = parseHolderLink("https://127.0.0.1:8443/h/" + kToken);
    ASSERT_TRUE(l);
    EXPECT_EQ(l->apiBase, "https://127.0.0.1:8443");
    EXPECT_EQ(tok(*l), kToken);
}

TEST(HolderLink, PrefixHostCaseAndMailDecorations) {
    auto l = parseHolderLink("  <HTTPS://Unblock.Example.org/ias/h/" + kToken + "/>\n");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->apiBase, "https://unblock.example.org/ias");
    EXPECT_EQ(tok(*l), kToken);
}

TEST(HolderLink, Refused) {
    for (const std::string& bad : std::vector<std::string>{
             "", "http://127.0.0.1:8443/h/" + kToken, "https://127.0.0.1:8443/h/",
          "https://127.0.0.1:8443/" + kToken, "https://127.0.0.1:8443/h/abc?x=1", "https://127.0.0.1:8443/h/ab-cd",
          "https://user@host/h/abcd", "https:///h/abcd", "ftp://host/h/abcd", "https://host//h/abcd"}) {
        EXPECT_FALSE(parseHolderLink(bad)) << bad;
    }
}

TEST(HolderLink, Origin) {
    EXPECT_EQ(originOf("https://127.0.0.1:8443"), "https://127.0.0.1:8443");
    EXPECT_EQ(originOf("https://127.0.0.1:8443/v1/x"), "https://127.0.0.1:8443");
    EXPECT_EQ(originOf("HTTPS://LocalHost:8443/"), "https://localhost:8443");
    EXPECT_EQ(originOf("http://127.0.0.1:8443"), "");
    EXPECT_NE(originOf("https://127.0.0.1:8443"), originOf("https://127.0.0.1:9443"));
}

// Issue 18: ias-unblock sends the answers only to the configured service.
TEST(HolderLink, OnlyTheConfiguredServiceIsAccepted) {
    const HolderLink link = *parseHolderLink("https://Unblock.Example.org:8443/issuer/h/abc123");
    EXPECT_EQ(foreignLinkOrigin(link, "https://unblock.example.org:8443"), std::nullopt);
    EXPECT_EQ(foreignLinkOrigin(link, "https://unblock.example.org:8443/issuer/"), std::nullopt) << "path prefix";
    EXPECT_EQ(foreignLinkOrigin(link, "https://unblock.example.org"), "https://unblock.example.org:8443") << "port";
    EXPECT_EQ(foreignLinkOrigin(link, "https://evil.example.org:8443"), "https://unblock.example.org:8443");
    EXPECT_EQ(foreignLinkOrigin(link, ""), "https://unblock.example.org:8443") << "no service_url: no link";
    EXPECT_EQ(foreignLinkOrigin(*parseHolderLink("https://unblock.example.org.evil.test:8443/h/abc"),
                                "https://unblock.example.org:8443"),
              "https://unblock.example.org.evil.test:8443");
}

}  // namespace ias::tools
