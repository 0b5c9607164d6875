// SPDX-License-Identifier: Apache-2.0
// The holder's e-mail link, https://host[:port][/prefix]/h/<token>: the API base URL and
// the bearer token of the holder JSON API (GET /v1/holder/case, POST /v1/holder/answers).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ias/apdu/bytes.hpp"

namespace ias::tools {

struct HolderLink {
    std::string apiBase;        // https://host[:port][/prefix], no trailing slash
    apdu::SecureBytes token;    // the link token: a credential, never printed
};

// nullopt unless the text is an https link with a non-empty /h/<token> (token: letters and
// digits only). Surrounding spaces, a trailing slash and "<...>" brackets of mail clients are
// tolerated.
std::optional<HolderLink> parseHolderLink(std::string_view text);

// "https://host:port" of a URL (scheme, host and port, lower-case scheme and host); empty
// when the text is not an absolute https URL. Used to decide whether the module's pinned key
// applies to the link's host.
std::string originOf(std::string_view url);

// The holder's answers go only to the configured service: nullopt when the link's origin is
// the origin of the module config's service_url, else the link's origin (for the refusal,
// which names both). An unset service_url matches no link.
std::optional<std::string> foreignLinkOrigin(const HolderLink& link, std::string_view serviceUrl);

}  // namespace ias::tools
