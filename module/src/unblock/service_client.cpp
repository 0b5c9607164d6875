#include "service_client.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "ias/apdu/crypto.hpp"
#include "ias/protocol/api.hpp"

namespace ias::unblock {

namespace {

constexpr std::size_t kMaxReplyBytes = std::size_t{64} * 1024;

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

std::once_flag gCurlInit;

size_t collect(char* data, size_t size, size_t count, void* user) {
    auto* body = static_cast<SecureBytes*>(user);
    const size_t n = size * count;
    if (body->size() + n > kMaxReplyBytes) return 0;  // aborts the transfer
    body->insert(body->end(), data, data + n);
    return n;
}

std::string_view text(const SecureBytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

}  // namespace

HttpsUnblockService::HttpsUnblockService(ServiceSettings settings) : settings_(std::move(settings)) {
    std::call_once(gCurlInit, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpsUnblockService::Reply HttpsUnblockService::post(const char* path, ByteView json) {
    CurlPtr curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) throw UnblockError(UnblockErrorKind::Unreachable, "libcurl initialisation failed");
    Reply reply;
    reply.requestId = apdu::toHex(apdu::crypto::randomBytes(8));
    const std::string url = settings_.baseUrl + path;
    const std::string idHeader = "X-Request-Id: " + reply.requestId;
    curl_slist* raw = curl_slist_append(nullptr, "Content-Type: application/json");
    raw = curl_slist_append(raw, idHeader.c_str());
    HeaderList headers(raw, &curl_slist_free_all);
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);  // never below, whatever OpenSSL allows
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // loaded into multithreaded applications
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, reinterpret_cast<const char*>(json.data()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(json.size()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);  // never the default: it writes to stdout
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.connectTimeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.totalTimeout.count()));
    if (!settings_.pinnedPublicKey.empty()) curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, settings_.pinnedPublicKey.c_str());
    if (!settings_.caFile.empty()) {
        curl_easy_setopt(c, CURLOPT_CAINFO, settings_.caFile.c_str());
    } else if (!settings_.pinnedPublicKey.empty()) {
        // A pinned key alone authenticates the service (self-signed certificate).
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        throw UnblockError(UnblockErrorKind::Unreachable,
                           std::string("unblock service unreachable (") + curl_easy_strerror(rc) + ", request " +
                               reply.requestId + ")");
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

void HttpsUnblockService::refuse(const Reply& reply, const char* call) {
    const std::string where = std::string(call) + " (HTTP " + std::to_string(reply.status) + ", request " +
                              reply.requestId + ")";
    if (reply.status == 429 || reply.status >= 500) {
        throw UnblockError(UnblockErrorKind::Unreachable, "unblock service busy or failing: " + where);
    }
    protocol::ErrorBody err;
    try {
        err = protocol::parseErrorBody(text(reply.body));
    } catch (const std::exception&) {
        throw UnblockError(UnblockErrorKind::Protocol, "unreadable refusal: " + where);
    }
    const std::string name = protocol::toString(err.error);
    switch (err.error) {
        case protocol::ApiError::WrongSecret:
            throw UnblockError(UnblockErrorKind::WrongSecret, "wrong secret: " + where, err.triesLeft);
        case protocol::ApiError::UsedUp:
        case protocol::ApiError::Expired:
        case protocol::ApiError::Blocked:
        case protocol::ApiError::NoCase: throw UnblockError(UnblockErrorKind::Refused, name + ": " + where);
        case protocol::ApiError::BadTicket:
        case protocol::ApiError::Limit: throw UnblockError(UnblockErrorKind::BadTicket, name + ": " + where);
        case protocol::ApiError::RateLimited: throw UnblockError(UnblockErrorKind::Unreachable, name + ": " + where);
        default: throw UnblockError(UnblockErrorKind::Protocol, name + ": " + where);
    }
}

Ticket HttpsUnblockService::verify(const std::string& serialHex, ByteView canonicalSecret) {
    protocol::VerifyRequest req;
    req.serial = serialHex;
    req.secret.assign(canonicalSecret.begin(), canonicalSecret.end());
    const Reply reply = post("/v1/unblock/verify", protocol::toJson(req));
    if (reply.status != 200) refuse(reply, "verify");
    try {
        protocol::VerifyResponse r = protocol::parseVerifyResponse(text(reply.body));
        const auto lifetime = std::chrono::seconds(std::max(0, r.expiresIn));
        return Ticket{std::move(r.ticket), std::chrono::steady_clock::now() + lifetime};
    } catch (const std::exception&) {
        throw UnblockError(UnblockErrorKind::Protocol, "verify: unreadable answer (request " + reply.requestId + ")");
    }
}

Bytes HttpsUnblockService::cryptogram(ByteView ticket, ByteView challenge) {
    protocol::CryptogramRequest req;
    req.ticket.assign(ticket.begin(), ticket.end());
    req.challenge.assign(challenge.begin(), challenge.end());
    const Reply reply = post("/v1/unblock/cryptogram", protocol::toJsonSecure(req));
    if (reply.status != 200) refuse(reply, "cryptogram");
    try {
        return protocol::parseCryptogramResponse(text(reply.body)).cryptogram;
    } catch (const std::exception&) {
        throw UnblockError(UnblockErrorKind::Protocol, "cryptogram: unreadable answer (request " + reply.requestId + ")");
    }
}

void HttpsUnblockService::confirm(ByteView ticket, bool done, int triesAfter) {
    protocol::ConfirmRequest req;
    req.ticket.assign(ticket.begin(), ticket.end());
    req.outcome = done ? protocol::ConfirmOutcome::Done : protocol::ConfirmOutcome::Failed;
    req.triesAfter = triesAfter;
    const Reply reply = post("/v1/unblock/confirm", protocol::toJsonSecure(req));
    if (reply.status != 204 && reply.status != 200) refuse(reply, "confirm");
}

}  // namespace ias::unblock
