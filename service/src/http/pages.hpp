// SPDX-License-Identifier: Apache-2.0
// HTML of the holder pages, French (default) and English. Every dynamic value is escaped;
// no inline script or style (the CSP allows 'self' only): /static/holder.js, /static/holder.css.
#pragma once

#include <string>
#include <vector>

#include "core/config.hpp"
#include "ias/protocol/api.hpp"

namespace ias::service::http::pages {

enum class Lang { Fr, En };
Lang langFrom(const std::string& code, const std::string& fallback);
const char* code(Lang l);

std::string escape(std::string_view s);

struct PageContext {
    const ServiceConfig& config;
    Lang lang;
};

// Step 1: Initialisation.
std::string initialisation(const PageContext& p, const std::string& serial, long long expiresInSeconds);
// Step 2: the secret questions (masked, "show values" toggle); `error` after a wrong submission.
std::string questions(const PageContext& p, const std::vector<std::string>& qs, int triesLeft,
                      const std::string& csrf, bool wrongBefore);
// Step 3: the secret, shown once, and how to use it. `secretDisplay` is only ever put here.
std::string secret(const PageContext& p, const std::string& serial, std::string_view secretDisplay);
// Any refusal: expired link, definitive block ("Réponses erronées"), used link, unknown link,
// too many requests — always with the support contacts.
std::string refusal(const PageContext& p, protocol::ApiError e);

const std::string& script();
const std::string& stylesheet();

}  // namespace ias::service::http::pages
