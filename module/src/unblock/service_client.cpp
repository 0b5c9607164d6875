// SPDX-License-Identifier: Apache-2.0
#include "service_client.hpp"

#include "ias/protocol/api.hpp"

namespace ias::unblock {

namespace {

std::string_view text(const SecureBytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

}  // namespace

HttpsUnblockServiceClient::HttpsUnblockServiceClient(ServiceSettings settings) : settings_(std::move(settings)) {}

HttpsUnblockServiceClient::Reply HttpsUnblockServiceClient::post(const char* path, ByteView json) {
    netclient::Request request;
    request.url = settings_.baseUrl + path;
    request.headers = {"Content-Type: application/json"};
    request.postBody = json;
    try {
        return netclient::perform(settings_.transport(), request);
    } catch (const netclient::TransportError& e) {
        throw UnblockError(UnblockErrorKind::Unreachable, std::string("unblock service unreachable (") + e.what() + ")");
    }
}

void HttpsUnblockServiceClient::refuse(const Reply& reply, const char* call) {
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

Ticket HttpsUnblockServiceClient::verify(const std::string& serialHex, ByteView canonicalSecret) {
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

Bytes HttpsUnblockServiceClient::cryptogram(ByteView ticket, ByteView challenge) {
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

void HttpsUnblockServiceClient::confirm(ByteView ticket, bool done, int triesAfter) {
    protocol::ConfirmRequest req;
    req.ticket.assign(ticket.begin(), ticket.end());
    req.outcome = done ? protocol::ConfirmOutcome::Done : protocol::ConfirmOutcome::Failed;
    req.triesAfter = triesAfter;
    const Reply reply = post("/v1/unblock/confirm", protocol::toJsonSecure(req));
    if (reply.status != 204 && reply.status != 200) refuse(reply, "confirm");
}

}  // namespace ias::unblock
