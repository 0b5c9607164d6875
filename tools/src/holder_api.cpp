// SPDX-License-Identifier: Apache-2.0
#include "holder_api.hpp"

#include <nlohmann/json.hpp>
#include <optional>

namespace ias::tools {

namespace {

using nlohmann::json;
std::string_view text(const apdu::SecureBytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::string stringField(const json& j, const char* name) {
    const auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An integer field within [lo, hi]; nullopt when absent, not an integer (3.0, "3") or out of
// range. (get<int>() would narrow 4294967299 to 3, and get<long>() wrap 2^64-1 to -1.)
std::optional<long> boundedInt(const json& j, const char* name, long lo, long hi) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer()) return std::nullopt;
    if (it->is_number_unsigned()) {
        const auto u = it->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(hi)) return std::nullopt;
        return static_cast<long>(u);
    }
    const auto v = it->get<std::int64_t>();
    if (v < lo || v > hi) return std::nullopt;
    return static_cast<long>(v);
}

SupportContacts supportOf(const json& j) {
    SupportContacts s;
    const auto it = j.find("support");
    if (it == j.end() || !it->is_object()) return s;
    s.web = stringField(*it, "web");
    s.email = stringField(*it, "email");
    s.phone = stringField(*it, "phone");
    s.hours = stringField(*it, "hours");
    return s;
}

void appendJsonString(apdu::SecureBytes& out, const apdu::SecureBytes& s) {
    static const char* kHex = "0123456789abcdef";
    out.push_back('"');
    for (std::uint8_t c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c < 0x20) {
            for (char x : {'\\', 'u', '0', '0'}) out.push_back(static_cast<std::uint8_t>(x));
            out.push_back(static_cast<std::uint8_t>(kHex[c >> 4]));
            out.push_back(static_cast<std::uint8_t>(kHex[c & 15]));
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

}  // namespace

apdu::SecureBytes answersRequestJson(const std::vector<apdu::SecureBytes>& answers) {
    apdu::SecureBytes out;
    std::size_t total = 16;
    for (const auto& a : answers) total += a.size() * 6 + 3;
    out.reserve(total);  // one allocation: no unwiped intermediate copies
    for (char c : std::string_view("{\"answers\":[")) out.push_back(static_cast<std::uint8_t>(c));
    for (std::size_t i = 0; i < answers.size(); ++i) {
        if (i) out.push_back(',');
        appendJsonString(out, answers[i]);
    }
    out.push_back(']');
    out.push_back('}');
    return out;
}

CaseInfo parseCaseReply(std::string_view body) {
    const json j = json::parse(body, nullptr, false);
    if (!j.is_object()) throw HolderApiError(HolderRefusal::Unexpected, "case: not a JSON object");
    CaseInfo c;
    c.serial = stringField(j, "serial");
    c.language = stringField(j, "language");
    c.issuer = stringField(j, "issuer");
    const auto q = j.find("questions");
    if (c.serial.empty() || q == j.end() || !q->is_array() || q->empty())
        throw HolderApiError(HolderRefusal::Unexpected, "case: serial or questions missing");
    for (const auto& x : *q) {
        if (!x.is_string()) throw HolderApiError(HolderRefusal::Unexpected, "case: question is not a string");
        c.questions.push_back(x.get<std::string>());
    }
    // Absent: 0 (as before). Present but not an integer in range: an unexpected reply.
    const auto tries = boundedInt(j, "tries_left", 0, 3);
    const auto expires = boundedInt(j, "expires_in", 0, 86400);
    if ((j.contains("tries_left") && !tries) || (j.contains("expires_in") && !expires))
        throw HolderApiError(HolderRefusal::Unexpected, "case: tries_left or expires_in is not an integer in range");
    c.triesLeft = static_cast<int>(tries.value_or(0));
    c.expiresIn = expires.value_or(0);
    c.support = supportOf(j);
    return c;
}

apdu::SecureBytes secretFromAnswersReply(apdu::ByteView body) {
    json j = json::parse(body.begin(), body.end(), nullptr, false);
    const auto it = j.is_object() ? j.find("secret") : j.end();
    if (it == j.end() || !it->is_string()) throw HolderApiError(HolderRefusal::Unexpected, "answers: no secret");
    std::string& s = it->get_ref<std::string&>();
    apdu::SecureBytes secret = apdu::secureCopy(s);
    apdu::wipeMemory(s.data(), s.size());
    return secret;
}

HolderApiError refusalFromReply(long status, std::string_view body, const std::string& requestId) {
    const std::string where = "HTTP " + std::to_string(status) + ", request " + requestId;
    if (status == 429 || status >= 500)
        return HolderApiError(HolderRefusal::Unreachable, "service busy or failing (" + where + ")");
    const json j = json::parse(body, nullptr, false);
    const std::string error = j.is_object() ? stringField(j, "error") : std::string();
    const SupportContacts support = j.is_object() ? supportOf(j) : SupportContacts{};
    std::optional<int> tries;
    if (j.is_object()) {
        if (const auto t = boundedInt(j, "tries_left", 0, 3)) tries = static_cast<int>(*t);
    }
    const std::string what = (error.empty() ? std::string("refusal") : error) + " (" + where + ")";
    if (error == "wrong_answers") {
        if (tries && *tries <= 0) return HolderApiError(HolderRefusal::Blocked, what, tries, support);
        return HolderApiError(HolderRefusal::WrongAnswers, what, tries, support);
    }
    if (error == "blocked") return HolderApiError(HolderRefusal::Blocked, what, tries, support);
    if (error == "expired") return HolderApiError(HolderRefusal::Expired, what, tries, support);
    if (error == "used_up") return HolderApiError(HolderRefusal::UsedUp, what, tries, support);
    if (error == "no_case" || error == "not_found" || status == 404 || status == 401)
        return HolderApiError(HolderRefusal::NoCase, what, tries, support);
    return HolderApiError(HolderRefusal::Unexpected, what, tries, support);
}

CurlHolderApi::CurlHolderApi(HolderApiSettings settings) : settings_(std::move(settings)) {}

CurlHolderApi::Reply CurlHolderApi::call(const char* path, const apdu::SecureBytes* postBody) {
    apdu::SecureBytes auth = apdu::secureCopy(std::string_view("Authorization: Bearer "));
    apdu::append(auth, settings_.token);
    netclient::Request request;
    request.url = settings_.apiBase + path;
    request.headers = {"Content-Type: application/json", "Accept: application/json"};
    request.secretHeader = &auth;
    if (postBody) request.postBody = apdu::ByteView(*postBody);
    const netclient::Settings transport{settings_.pinnedPublicKey, settings_.caFile, settings_.connectTimeout,
                                        settings_.totalTimeout};
    try {
        return netclient::perform(transport, request);
    } catch (const netclient::TransportError& e) {
        throw HolderApiError(HolderRefusal::Unreachable, e.what());
    }
}

CaseInfo CurlHolderApi::fetchCase() {
    const Reply r = call("/v1/holder/case", nullptr);
    if (r.status != 200) throw refusalFromReply(r.status, text(r.body), r.requestId);
    return parseCaseReply(text(r.body));
}

apdu::SecureBytes CurlHolderApi::submitAnswers(const std::vector<apdu::SecureBytes>& answers) {
    const apdu::SecureBytes body = answersRequestJson(answers);
    const Reply r = call("/v1/holder/answers", &body);
    if (r.status != 200) throw refusalFromReply(r.status, text(r.body), r.requestId);
    return secretFromAnswersReply(r.body);
}

}  // namespace ias::tools
