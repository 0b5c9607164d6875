// SPDX-License-Identifier: Apache-2.0
#include "ias/protocol/api.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "ias/apdu/error.hpp"

namespace ias::protocol {

using nlohmann::json;

namespace {

struct ErrorInfo {
    ApiError error;
    const char* name;
    int status;
};

constexpr std::array<ErrorInfo, 15> kErrors{{
    {ApiError::WrongSecret, "wrong_secret", 401},
    {ApiError::UsedUp, "used_up", 410},
    {ApiError::Expired, "expired", 410},
    {ApiError::Blocked, "blocked", 410},
    {ApiError::NoCase, "no_case", 404},
    {ApiError::BadTicket, "bad_ticket", 401},
    {ApiError::Limit, "limit", 410},
    {ApiError::BadRequest, "bad_request", 400},
    {ApiError::RateLimited, "rate_limited", 429},
    {ApiError::Unauthorized, "unauthorized", 401},
    {ApiError::WrongAnswers, "wrong_answers", 403},
    {ApiError::Csrf, "csrf", 403},
    {ApiError::NotFound, "not_found", 404},
    {ApiError::Internal, "internal", 500},
    {ApiError::Unavailable, "unavailable", 503},
}};

[[noreturn]] void bad(const std::string& what) { throw ApiException(ApiError::BadRequest, what); }

json parseObject(std::string_view text) {
    json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) bad("body is not a JSON object");
    return j;
}

// Moves a string field into a wiping buffer and wipes the JSON's copy.
apdu::SecureBytes takeSecret(json& j, const char* field) {
    auto it = j.find(field);
    if (it == j.end() || !it->is_string()) bad(std::string(field) + " missing or not a string");
    std::string& s = it->get_ref<std::string&>();
    apdu::SecureBytes out(s.begin(), s.end());
    apdu::wipeMemory(s.data(), s.size());
    return out;
}

std::string takeString(const json& j, const char* field) {
    auto it = j.find(field);
    if (it == j.end() || !it->is_string()) bad(std::string(field) + " missing or not a string");
    return it->get<std::string>();
}

apdu::Bytes takeHex(const json& j, const char* field, std::size_t size) {
    const std::string s = takeString(j, field);
    if (s.size() != size * 2) bad(std::string(field) + " has the wrong length");
    apdu::Bytes out;
    try {
        out = apdu::fromHex(s);
    } catch (const apdu::Error&) {
        bad(std::string(field) + " is not hex");
    }
    // fromHex skips separators (space, ':', '-'): "0102 0304..." has the right text length
    // but decodes to fewer bytes.
    if (out.size() != size) bad(std::string(field) + " has the wrong length");
    return out;
}

// An integer field within [lo, hi]. nlohmann's get<int>() would silently narrow a 64-bit
// value (4294967299 -> 3) or wrap an unsigned one; floats ("3.0", 1e3) and numbers beyond
// 64 bits (parsed as floats) are not integers. All of these are refused, naming the field.
std::optional<int> takeInt(const json& j, const char* field, int lo, int hi, bool required) {
    auto it = j.find(field);
    if (it == j.end()) {
        if (required) bad(std::string(field) + " missing");
        return std::nullopt;
    }
    if (!it->is_number_integer()) bad(std::string(field) + " is not an integer");
    std::int64_t v = 0;
    if (it->is_number_unsigned()) {
        const std::uint64_t u = it->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) bad(std::string(field) + " out of range");
        v = static_cast<std::int64_t>(u);
    } else {
        v = it->get<std::int64_t>();
    }
    if (v < lo || v > hi) bad(std::string(field) + " out of range");
    return static_cast<int>(v);
}

// Builds {"k": "<secret>", ...} without leaving copies outside wiping buffers.
void appendJsonString(apdu::SecureBytes& out, apdu::ByteView v) {
    out.push_back('"');
    for (std::uint8_t c : v) {
        if (c == '"' || c == '\\') out.push_back('\\');
        if (c < 0x20) c = ' ';
        out.push_back(c);
    }
    out.push_back('"');
}
void appendText(apdu::SecureBytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

}  // namespace

const char* toString(ApiError e) noexcept {
    for (const auto& i : kErrors)
        if (i.error == e) return i.name;
    return "internal";
}

std::optional<ApiError> apiErrorFromString(std::string_view name) noexcept {
    for (const auto& i : kErrors)
        if (name == i.name) return i.error;
    return std::nullopt;
}

int httpStatus(ApiError e) noexcept {
    for (const auto& i : kErrors)
        if (i.error == e) return i.status;
    return 500;
}

const char* toString(ConfirmOutcome o) noexcept { return o == ConfirmOutcome::Done ? "done" : "failed"; }

std::string normaliseSerial(std::string_view serial) {
    if (serial.size() < 2 || serial.size() > 40 || serial.size() % 2 != 0) bad("serial has a bad length");
    std::string out;
    for (char c : serial) {
        if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) bad("serial is not hex");
        out.push_back(c);
    }
    return out;
}

apdu::SecureBytes toJson(const VerifyRequest& r) {
    apdu::SecureBytes out;
    appendText(out, "{\"serial\":");
    appendText(out, json(r.serial).dump());
    appendText(out, ",\"secret\":");
    appendJsonString(out, r.secret);
    out.push_back('}');
    return out;
}

apdu::SecureBytes toJson(const VerifyResponse& r) {
    apdu::SecureBytes out;
    appendText(out, "{\"ticket\":");
    appendJsonString(out, r.ticket);
    appendText(out, ",\"expires_in\":" + std::to_string(r.expiresIn) + "}");
    return out;
}

apdu::SecureBytes toJsonSecure(const CryptogramRequest& r) {
    apdu::SecureBytes out;
    appendText(out, "{\"ticket\":");
    appendJsonString(out, r.ticket);
    appendText(out, ",\"challenge\":\"" + apdu::toHex(r.challenge) + "\"}");
    return out;
}

std::string toJson(const CryptogramResponse& r) { return json{{"cryptogram", apdu::toHex(r.cryptogram)}}.dump(); }

apdu::SecureBytes toJsonSecure(const ConfirmRequest& r) {
    apdu::SecureBytes out;
    appendText(out, "{\"ticket\":");
    appendJsonString(out, r.ticket);
    appendText(out, std::string(",\"outcome\":\"") + toString(r.outcome) + "\",\"tries_after\":" +
                        std::to_string(r.triesAfter) + "}");
    return out;
}

std::string toJson(const ErrorBody& r) {
    json j{{"error", toString(r.error)}};
    if (r.triesLeft) j["tries_left"] = *r.triesLeft;
    if (!r.requestId.empty()) j["request_id"] = r.requestId;
    return j.dump();
}

VerifyRequest parseVerifyRequest(std::string_view text) {
    json j = parseObject(text);
    VerifyRequest r;
    r.secret = takeSecret(j, "secret");
    r.serial = normaliseSerial(takeString(j, "serial"));
    return r;
}

VerifyResponse parseVerifyResponse(std::string_view text) {
    json j = parseObject(text);
    VerifyResponse r;
    r.ticket = takeSecret(j, "ticket");
    r.expiresIn = *takeInt(j, "expires_in", 1, kSecretValiditySeconds, true);
    return r;
}

CryptogramRequest parseCryptogramRequest(std::string_view text) {
    json j = parseObject(text);
    CryptogramRequest r;
    r.ticket = takeSecret(j, "ticket");
    r.challenge = takeHex(j, "challenge", 8);
    return r;
}

CryptogramResponse parseCryptogramResponse(std::string_view text) {
    json j = parseObject(text);
    return CryptogramResponse{takeHex(j, "cryptogram", 24)};
}

ConfirmRequest parseConfirmRequest(std::string_view text) {
    json j = parseObject(text);
    ConfirmRequest r;
    r.ticket = takeSecret(j, "ticket");
    const std::string outcome = takeString(j, "outcome");
    if (outcome == "done") {
        r.outcome = ConfirmOutcome::Done;
    } else if (outcome == "failed") {
        r.outcome = ConfirmOutcome::Failed;
    } else {
        bad("outcome must be done or failed");
    }
    r.triesAfter = takeInt(j, "tries_after", -1, 15, false).value_or(-1);
    return r;
}

ErrorBody parseErrorBody(std::string_view text) {
    json j = parseObject(text);
    ErrorBody r;
    const auto e = apiErrorFromString(takeString(j, "error"));
    if (!e) bad("unknown error name");
    r.error = *e;
    r.triesLeft = takeInt(j, "tries_left", 0, kMaxSecretTries, false);
    if (auto it = j.find("request_id"); it != j.end() && it->is_string()) r.requestId = it->get<std::string>();
    return r;
}

}  // namespace ias::protocol
