// SPDX-License-Identifier: Apache-2.0
#include "ias/netclient/pinned_https.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "ias/apdu/crypto.hpp"

namespace ias::netclient {

namespace {

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

std::once_flag gCurlInit;

size_t collect(char* data, size_t size, size_t count, void* user) {
    auto* body = static_cast<apdu::SecureBytes*>(user);
    const size_t n = size * count;
    if (body->size() + n > kMaxReplyBytes) return 0;  // aborts the transfer
    body->insert(body->end(), data, data + n);
    return n;
}

}  // namespace

Reply perform(const Settings& settings, const Request& request) {
    std::call_once(gCurlInit, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    CurlPtr curl(curl_easy_init(), &curl_easy_cleanup);
    Reply reply;
    reply.requestId = apdu::toHex(apdu::crypto::randomBytes(8));
    if (!curl) throw TransportError("libcurl initialisation failed (request " + reply.requestId + ")");
    curl_slist* raw = nullptr;
    for (const std::string& h : request.headers) raw = curl_slist_append(raw, h.c_str());
    const std::string idHeader = "X-Request-Id: " + reply.requestId;
    raw = curl_slist_append(raw, idHeader.c_str());
    apdu::SecureBytes secret;
    if (request.secretHeader != nullptr) {
        secret = *request.secretHeader;
        secret.push_back('\0');
        raw = curl_slist_append(raw, reinterpret_cast<const char*>(secret.data()));
    }
    HeaderList headers(raw, &curl_slist_free_all);
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);  // never below, whatever OpenSSL allows
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);                         // loaded into multithreaded applications
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);  // never the default: it writes to stdout
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings.connectTimeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.totalTimeout.count()));
    if (request.postBody) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, reinterpret_cast<const char*>(request.postBody->data()));
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.postBody->size()));
    }
    if (!settings.pinnedPublicKey.empty()) curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, settings.pinnedPublicKey.c_str());
    if (!settings.caFile.empty()) {
        curl_easy_setopt(c, CURLOPT_CAINFO, settings.caFile.c_str());
    } else if (!settings.pinnedPublicKey.empty()) {
        // A pinned key alone authenticates the service (self-signed certificate).
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    const CURLcode rc = curl_easy_perform(c);
    headers.reset();
    if (rc != CURLE_OK) {
        throw TransportError(std::string(curl_easy_strerror(rc)) + " (request " + reply.requestId + ")");
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

}  // namespace ias::netclient
