// SPDX-License-Identifier: Apache-2.0
#include "holder_link.hpp"

#include <algorithm>
#include <cctype>

namespace ias::tools {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

constexpr std::string_view kScheme = "https://";

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

}  // namespace

std::string originOf(std::string_view url) {
    url = trim(url);
    if (!startsWithNoCase(url, kScheme)) return {};
    const std::string_view rest = url.substr(kScheme.size());
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty() || authority.find('@') != std::string_view::npos) return {};
    std::string out(kScheme);
    for (char c : authority) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return out;
}

std::optional<std::string> foreignLinkOrigin(const HolderLink& link, std::string_view serviceUrl) {
    const std::string service = originOf(serviceUrl);
    std::string linked = originOf(link.apiBase);
    if (!service.empty() && service == linked) return std::nullopt;
    return linked;
}

std::optional<HolderLink> parseHolderLink(std::string_view text) {
    text = trim(text);
    if (text.size() >= 2 && text.front() == '<' && text.back() == '>') text = trim(text.substr(1, text.size() - 2));
    if (!text.empty() && text.back() == '/') text.remove_suffix(1);
    const std::string origin = originOf(text);
    if (origin.empty()) return std::nullopt;
    const std::string_view path = text.substr(origin.size());
    if (path.find_first_of("?#") != std::string_view::npos) return std::nullopt;
    const auto h = path.rfind("/h/");
    if (h == std::string_view::npos) return std::nullopt;
    const std::string_view token = path.substr(h + 3);
    const std::string_view prefix = path.substr(0, h);
    if (token.empty() || token.size() > 256) return std::nullopt;
    if (!std::all_of(token.begin(), token.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }))
        return std::nullopt;
    if (prefix.find("//") != std::string_view::npos || (!prefix.empty() && prefix.back() == '/'))
        return std::nullopt;
    HolderLink link;
    link.apiBase = origin + std::string(prefix);
    link.token = apdu::secureCopy(token);
    return link;
}

}  // namespace ias::tools
