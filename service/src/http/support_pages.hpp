// SPDX-License-Identifier: Apache-2.0
// HTML of the support console (/support/), French (default) and English. Same rules as the
// holder pages (http/pages.hpp): every dynamic value escaped, no inline script or style
// (/static/support.js, /static/holder.css + /static/support.css), a CSRF field in every form.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/support_console.hpp"
#include "http/pages.hpp"

namespace ias::service::http::support_pages {

struct Page {
    const ServiceConfig& config;
    pages::Lang lang;
    const StaffIdentity* who;  // null before sign-in
    std::string csrf;          // of the session (or of the sign-in cookie)
};

// What a case page shows of a case, as (element id, text) pairs: the page and its live
// refresh (/support/cases/<id>/status, JSON) use the same function.
using Fields = std::vector<std::pair<std::string, std::string>>;
Fields caseFields(const Page& p, const store::CaseRecord& c, const store::CaseActivity& a, store::Time now);
std::vector<std::string> caseHistory(const Page& p, const store::CaseRecord& c, const store::CaseActivity& a);
bool caseIsLive(const store::CaseRecord& c);

std::string signIn(const Page& p, bool refused);
std::string home(const Page& p, const std::string& query, const std::vector<store::CaseRecord>& found);
std::string newCase(const Page& p, const std::string& error);
// `notice`: the outcome of the last action (already localised text), or empty.
std::string casePage(const Page& p, const store::CaseRecord& c, const store::CaseActivity& a, store::Time now,
                     const std::string& notice);
std::string message(const Page& p, const std::string& title, const std::string& text);

// Localised text.
inline const char* t(const Page& p, const char* fr, const char* en) { return p.lang == pages::Lang::Fr ? fr : en; }

const std::string& script();
const std::string& stylesheet();

}  // namespace ias::service::http::support_pages
