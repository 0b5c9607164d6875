// SPDX-License-Identifier: Apache-2.0
#include "http/common.hpp"

#include <openssl/crypto.h>

#include <charconv>

#include "core/metrics.hpp"
#include "core/tokens.hpp"
#include "hsm/pkcs11_module.hpp"
#include "ias/apdu/crypto.hpp"
#include "store/sql.hpp"

namespace ias::service::http {

using protocol::ApiError;

std::string requestIdFor(const httplib::Request& req) {
    std::string given = req.get_header_value("X-Request-Id");
    bool ok = !given.empty() && given.size() <= 64;
    for (char c : given)
        ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
    if (ok) return given;
    return apdu::toHex(apdu::crypto::randomBytes(8));
}

RequestContext contextFor(const Routes& r, const httplib::Request& req, httplib::Response& res) {
    const auto& trusted = r.service.config().trustedProxies;
    std::vector<std::string> forwarded;
    if (!trusted.empty()) {
        const std::size_t n = req.get_header_value_count("X-Forwarded-For");
        for (std::size_t i = 0; i < n; ++i) forwarded.push_back(req.get_header_value("X-Forwarded-For", i));
    }
    RequestContext ctx{requestIdFor(req), clientAddress(req.remote_addr, forwarded, trusted)};
    res.set_header("X-Request-Id", ctx.requestId);
    return ctx;
}

void sendJson(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "application/json");
}

void sendError(httplib::Response& res, const RequestContext& ctx, ApiError e, std::optional<int> triesLeft,
               const nlohmann::json& extra) {
    nlohmann::json j = nlohmann::json::parse(protocol::toJson(protocol::ErrorBody{e, triesLeft, ctx.requestId}));
    if (extra.is_object()) j.update(extra);
    if (e == ApiError::RateLimited && !res.has_header("Retry-After")) res.set_header("Retry-After", "60");
    if (e == ApiError::Unavailable) res.set_header("Retry-After", "30");
    sendJson(res, protocol::httpStatus(e), j.dump());
}

void guarded(Routes& r, const httplib::Request& req, httplib::Response& res,
             const std::function<void(const RequestContext&)>& f, const std::function<nlohmann::json()>& refusalExtra) {
    const RequestContext ctx = contextFor(r, req, res);
    try {
        f(ctx);
    } catch (const protocol::ApiException& e) {
        setRetryAfter(res, e);
        sendError(res, ctx, e.error(), e.triesLeft(), refusalExtra ? refusalExtra() : nlohmann::json(nullptr));
    } catch (const hsm::HsmError& e) {
        metrics().hsmError();
        r.diagnostics << "request " << ctx.requestId << ": HSM error: " << e.what() << std::endl;
        sendError(res, ctx, ApiError::Internal);
    } catch (const store::StoreError& e) {
        metrics().databaseError();
        // First line only: PostgreSQL DETAIL lines may quote stored values.
        const std::string what = e.what();
        r.diagnostics << "request " << ctx.requestId << ": storage " << (e.unavailable() ? "unavailable" : "error")
                      << ": " << what.substr(0, what.find('\n')) << std::endl;
        sendError(res, ctx, e.unavailable() ? ApiError::Unavailable : ApiError::Internal);
    } catch (const std::exception&) {
        r.diagnostics << "request " << ctx.requestId << ": internal error" << std::endl;
        sendError(res, ctx, ApiError::Internal);
    }
}

void setRetryAfter(httplib::Response& res, const protocol::ApiException& e) {
    if (const auto* limited = dynamic_cast<const RateLimitedError*>(&e))
        res.set_header("Retry-After", std::to_string(limited->retryAfterSeconds()));
}

apdu::SecureBytes bearerToken(const httplib::Request& req) {
    const std::string& h = req.get_header_value("Authorization");
    constexpr std::string_view kPrefix = "Bearer ";
    if (h.size() <= kPrefix.size() || h.compare(0, kPrefix.size(), kPrefix) != 0) return {};
    return apdu::SecureBytes(h.begin() + static_cast<std::ptrdiff_t>(kPrefix.size()), h.end());
}

nlohmann::json supportJson(const ServiceConfig& c) {
    return {{"support",
             {{"web", c.support.web}, {"email", c.support.email}, {"phone", c.support.phone}, {"hours", c.support.hours}}},
            {"issuer", c.brand.issuerName}};
}

apdu::SecureBytes cookieValue(const httplib::Request& req, std::string_view name) {
    const std::string& cookies = req.get_header_value("Cookie");
    const std::string key = std::string(name) + "=";
    std::size_t p = 0;
    while ((p = cookies.find(key, p)) != std::string::npos) {
        if (p == 0 || cookies[p - 1] == ' ' || cookies[p - 1] == ';') {
            const std::size_t start = p + key.size();
            const std::size_t end = cookies.find(';', start);
            return apdu::secureCopy(std::string_view(cookies).substr(start, end == std::string::npos ? end : end - start));
        }
        p += key.size();
    }
    return {};
}

std::string csrfFor(std::string_view session) { return tokenHash("csrf:" + std::string(session)); }

bool csrfMatches(const httplib::Request& req, std::string_view session) {
    const std::string expected = csrfFor(session);
    const apdu::SecureBytes given = formValue(req, "csrf");
    return !session.empty() && given.size() == expected.size() &&
           CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

void sendPage(httplib::Response& res, int status, const std::string& html) {
    res.status = status;
    res.set_content(html, "text/html; charset=utf-8");
}

apdu::SecureBytes formValue(const httplib::Request& req, const std::string& key) {
    std::string value = req.is_multipart_form_data() && req.has_file(key) ? req.get_file_value(key).content
                                                                          : req.get_param_value(key);
    apdu::SecureBytes out = apdu::secureCopy(std::string_view(value));
    apdu::wipeMemory(value.data(), value.size());
    return out;
}

std::optional<std::int64_t> caseIdOf(const httplib::Request& req) {
    std::int64_t id = 0;
    const std::string digits = req.matches[1];
    const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (parsed.ec != std::errc() || parsed.ptr != digits.data() + digits.size()) return std::nullopt;
    return id;
}

}  // namespace ias::service::http
