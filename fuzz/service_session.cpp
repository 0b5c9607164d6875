// SPDX-License-Identifier: Apache-2.0
#include "service_session.hpp"

#include <strings.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/tokens.hpp"
#include "fuzz_input.hpp"
#include "ias/protocol/api.hpp"

namespace ias::fuzz::svc {

using nlohmann::json;

namespace {

constexpr std::string_view kSeparator = "\n~~~\n";
constexpr std::string_view kCookie = "__Host-ias-holder=";

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return "";
    const auto e = s.find_last_not_of(" \t");
    return std::string(s.substr(b, e - b + 1));
}

std::string canonicalSecret(const std::string& display) {
    std::string out;
    for (char c : display)
        if (c != '-') out.push_back(c);
    return out;
}

// The text between `marker` and the next '<' (HTML), empty when absent.
std::string htmlAfter(const std::string& body, std::string_view marker, char end) {
    const auto p = body.find(marker);
    if (p == std::string::npos) return "";
    const auto e = body.find(end, p + marker.size());
    return e == std::string::npos ? "" : body.substr(p + marker.size(), e - p - marker.size());
}

bool isJson(const Reply& r) { return startsWith(r.header("Content-Type"), "application/json"); }
bool isHtml(const Reply& r) { return startsWith(r.header("Content-Type"), "text/html"); }

// The reply's JSON object (null when the body is not JSON or not an object).
json jsonOf(const Reply& r) {
    if (!isJson(r)) return nullptr;
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j : json(nullptr);
}

std::string errorOf(const Reply& r) {
    const json j = jsonOf(r);
    if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
    if (isHtml(r)) return htmlAfter(r.body, "data-error=\"", '"');
    return "";
}


}  // namespace

Session::Session() : fixture_(setUpOnce()), verbose_(std::getenv("IAS_FUZZ_VERBOSE") != nullptr) {
    secret_ = fixture_.secret2;
    ticket_ = fixture_.ticket2;
    session_ = fixture_.session1;
    learn(fixture_.answer0, "answer");
    learn(fixture_.answer1, "answer");
    learn(fixture_.secret2, "secret");
    learn(canonicalSecret(fixture_.secret2), "secret");
    learn(fixture_.ticket2, "ticket");
    learn(fixture_.link1, "link");
    learn(fixture_.link2, "link");
    learn(fixture_.session1, "session");
    learn(fixture_.adminToken, "admin token");
    secretsBySerial_[fixture_.serial2].push_back(fixture_.secret2);
    ticketSerial_[fixture_.ticket2] = fixture_.serial2;
    cases_ = world_.store().listCases();
}

void Session::learn(const std::string& text, const char* kind) {
    if (text.empty()) return;
    for (const Known& k : known_)
        if (k.text == text) return;
    known_.push_back({text, kind, false});
}

std::vector<StepResult> Session::run(std::string_view input, std::size_t maxSteps) {
    std::vector<StepResult> out;
    while (out.size() < maxSteps) {
        const auto end = input.find(kSeparator);
        out.push_back(step(input.substr(0, end)));
        if (end == std::string_view::npos) break;
        input.remove_prefix(end + kSeparator.size());
    }
    return out;
}

std::string Session::substitute(std::string_view text) const {
    const std::array<std::pair<std::string_view, std::string>, 15> values{{
        {"@LINK@", fixture_.link1},
        {"@LINK2@", fixture_.link2},
        {"@NEWLINK@", newLink_},
        {"@SERIAL@", fixture_.serial1},
        {"@SERIAL2@", fixture_.serial2},
        {"@CASE@", std::to_string(fixture_.case1)},
        {"@CASE2@", std::to_string(fixture_.case2)},
        {"@A0@", fixture_.answer0},
        {"@A1@", fixture_.answer1},
        {"@ADMIN@", fixture_.adminToken},
        {"@SECRET@", secret_},
        {"@SECRETC@", canonicalSecret(secret_)},
        {"@TICKET@", ticket_},
        {"@SESSION@", session_},
        {"@CSRF@", service::tokenHash("csrf:" + session_)},
    }};
    std::string out;
    out.reserve(text.size() + 64);
    for (std::size_t i = 0; i < text.size();) {
        bool replaced = false;
        if (text[i] == '@') {
            for (const auto& [name, value] : values) {
                if (startsWith(text.substr(i), name)) {
                    out += value;
                    i += name.size();
                    replaced = true;
                    break;
                }
            }
        }
        if (!replaced) out.push_back(text[i++]);
    }
    return out;
}

std::string Session::buildRequest(std::string_view text) const {
    const std::string s = substitute(text);
    std::size_t split = s.find("\n\n"), sepLen = 2;
    if (const auto crlf = s.find("\n\r\n"); crlf < split) split = crlf, sepLen = 3;
    const std::string_view head = std::string_view(s).substr(0, split);
    const std::string_view body = split == std::string::npos ? std::string_view() : std::string_view(s).substr(split + sepLen);
    std::string out;
    bool hasLength = false;
    std::size_t pos = 0;
    bool first = true;
    while (pos <= head.size()) {
        auto nl = head.find('\n', pos);
        if (nl == std::string_view::npos) nl = head.size();
        std::string_view line = head.substr(pos, nl - pos);
        pos = nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const std::string name = trim(line.substr(0, line.find(':')));
        if (!first && equalsIgnoreCase(name, "Accept-Encoding")) continue;
        if (!first && (equalsIgnoreCase(name, "Content-Length") || equalsIgnoreCase(name, "Transfer-Encoding")))
            hasLength = true;
        first = false;
        out.append(line).append("\r\n");
    }
    if (!hasLength && (!body.empty() || startsWith(s, "POST "))) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += "\r\n";
    out.append(body);
    return out;
}

StepResult Session::step(std::string_view text) {
    StepResult res;
    if (startsWith(text, "!clock")) {
        long long n = 0;
        for (char c : text.substr(6).substr(0, 10))
            if (c >= '0' && c <= '9') n = n * 10 + (c - '0');
        world_.clock().advance(n);
        return res;
    }
    if (startsWith(text, "!ip")) {
        int n = 0;
        for (char c : text.substr(3).substr(0, 4))
            if (c >= '0' && c <= '9') n = n * 10 + (c - '0');
        ip_ = "192.0.2." + std::to_string(n % 256);
        return res;
    }
    res.request = true;
    const std::string request = buildRequest(text);
    res.reply = world_.exchange(request, ip_, res.answered);
    if (verbose_) {
        // Triage of a reproducer (IAS_FUZZ_VERBOSE=1): the exchange as sent and received.
        std::fprintf(stderr, ">>>>\n%s\n<<<< %d\n%s\n", request.c_str(), res.reply.status, res.reply.wire.c_str());
    }
    if (!res.answered) return res;
    checkReply(res.reply);
    checkNoLeak(res.reply);
    collect(res.reply);
    checkStore(res.reply);
    checkLogs();
    return res;
}

void Session::checkReply(const Reply& r) {
    const std::string error = errorOf(r);
    if (r.status >= 500 && !(r.status == 503 && error == "unavailable")) fail("5xx response");
    for (const char* h : {"Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                          "Cache-Control", "Content-Security-Policy"})
        if (!r.hasHeader(h)) fail("security header missing");
    if (isJson(r) && !r.head) {
        const json j = json::parse(r.body, nullptr, false);
        if (j.is_discarded()) fail("application/json body does not parse");
        if (r.status >= 400) {
            if (!j.is_object() || !j.contains("error") || !j["error"].is_string()) fail("error body without error");
            const auto e = protocol::apiErrorFromString(j["error"].get<std::string>());
            if (!e) fail("error body names an unknown error");
            if (protocol::httpStatus(*e) != r.status && *e != protocol::ApiError::BadRequest)
                fail("error name does not match the status");
            if (!j.contains("request_id") || !j["request_id"].is_string() || j["request_id"].get<std::string>().empty())
                fail("error body without request id");
            if (j.contains("tries_left")) {
                const auto& t = j["tries_left"];
                if (!t.is_number_integer() || t.get<int>() < 0 || t.get<int>() > 3) fail("tries_left outside 0..3");
            }
        } else if (!j.is_object() && !j.is_array()) {
            fail("success body is not an object or array");
        }
    }
    if (isHtml(r) && r.body.find("data-error=\"") != std::string::npos) {
        const auto e = protocol::apiErrorFromString(error);
        if (!e) fail("refusal page names an unknown error");
        if (protocol::httpStatus(*e) != r.status) fail("refusal page status does not match its error");
    }
}

void Session::checkNoLeak(const Reply& r) {
    std::string text = r.wire;
    const std::string echo = r.header("X-Request-Id");
    bool echoHolds = false;
    for (const Known& k : known_) echoHolds = echoHolds || (!k.tainted && echo.find(k.text) != std::string::npos);
    if (echoHolds) {
        // The client's own X-Request-Id, echoed by design (header and error bodies).
        for (std::size_t p = 0; (p = text.find(echo, p)) != std::string::npos;) text.erase(p, echo.size());
        echoedIds_.push_back(echo);
    }
    for (const Known& k : known_) {
        if (k.tainted) continue;
        if (std::string_view(k.kind) == "link" && startsWith(r.path, "/v1/admin/")) continue;
        if (text.find(k.text) != std::string::npos) {
            std::fprintf(stderr, "service_api: a known %s appears in the response to %s %s (status %d)\n", k.kind,
                         r.method.c_str(), r.path.c_str(), r.status);
            fail("secret text in a response");
        }
    }
    // What the admin API stored (201 case, 204 close reason) may be shown back later.
    if (r.status == 201 || r.status == 204)
        for (Known& k : known_)
            if (r.requestBody.find(k.text) != std::string::npos) k.tainted = true;
}

void Session::collect(const Reply& r) {
    newSecret_.clear();
    const std::string cookie = r.header("Set-Cookie");
    if (startsWith(cookie, kCookie)) {
        session_ = cookie.substr(kCookie.size(), cookie.find(';') - kCookie.size());
        learn(session_, "session");
    }
    if (r.status == 200 || r.status == 201) {
        const json j = jsonOf(r);
        if (j.is_object()) {
            if (j.contains("ticket") && j["ticket"].is_string()) {
                ticket_ = j["ticket"].get<std::string>();
                learn(ticket_, "ticket");
                const json req = json::parse(r.requestBody, nullptr, false);
                if (req.is_object() && req.contains("serial") && req["serial"].is_string())
                    ticketSerial_[ticket_] = upper(req["serial"].get<std::string>());
            }
            if (j.contains("secret") && j["secret"].is_string()) newSecret_ = j["secret"].get<std::string>();
            if (r.status == 201 && j.contains("link") && j["link"].is_string()) {
                const std::string link = j["link"].get<std::string>();
                newLink_ = link.substr(link.rfind('/') + 1);
                learn(newLink_, "link");
            }
        } else if (isHtml(r)) {
            newSecret_ = htmlAfter(r.body, "id=\"secret\">", '<');
        }
    }
    if (!newSecret_.empty()) {
        secret_ = newSecret_;
        learn(newSecret_, "secret");
        learn(canonicalSecret(newSecret_), "secret");
    }
}

}  // namespace ias::fuzz::svc
