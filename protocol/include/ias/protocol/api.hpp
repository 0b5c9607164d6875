// SPDX-License-Identifier: Apache-2.0
// The module-facing API of ias-unblockd (UNBLOCK.md "Module-facing API", /v1): error names,
// their HTTP statuses, and the request/response bodies with their JSON form. One definition,
// used by the service (server side) and the module (client side).
//
// Secret-bearing fields (secret, ticket) are SecureBytes; parsing wipes the JSON copies it
// made. Parse errors name the field, never its value.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "ias/apdu/bytes.hpp"

namespace ias::protocol {

enum class ApiError {
    WrongSecret,   // 401 + tries_left
    UsedUp,        // 410: consumed by a confirmed reset, or its cryptogram limit was hit
    Expired,       // 410: 24 h validity (secret, or holder link) passed
    Blocked,       // 410: 3 wrong tries, 3 wrong answer submissions, or case closed by support
    NoCase,        // 404: no case / no secret for this serial (or unknown holder link)
    BadTicket,     // 401: unknown, expired, replaced or consumed ticket
    Limit,         // 410: the secret's cryptogram limit (3) is reached
    BadRequest,    // 400: malformed body or field
    RateLimited,   // 429
    Unauthorized,  // 401: admin API without a valid bearer token
    WrongAnswers,  // 403 + tries_left: holder answers wrong (holder API)
    Csrf,          // 403: holder pages, missing/invalid CSRF token
    NotFound,      // 404: no such route/object
    Internal,      // 500
    Unavailable,   // 503: the database cannot be read or written now (disk full, read-only,
                   // server down); nothing was changed, the request may be retried
};

const char* toString(ApiError e) noexcept;
std::optional<ApiError> apiErrorFromString(std::string_view name) noexcept;
int httpStatus(ApiError e) noexcept;

// Thrown by the parse functions below and by the service for a refusal.
class ApiException : public std::runtime_error {
public:
    ApiException(ApiError e, const std::string& what, std::optional<int> triesLeft = std::nullopt)
        : std::runtime_error(what), error_(e), triesLeft_(triesLeft) {}
    ApiError error() const noexcept { return error_; }
    std::optional<int> triesLeft() const noexcept { return triesLeft_; }

private:
    ApiError error_;
    std::optional<int> triesLeft_;
};

constexpr int kMaxSecretTries = 3;
constexpr int kMaxCryptogramsPerSecret = 3;
constexpr int kSecretValiditySeconds = 24 * 3600;
constexpr int kLinkValiditySeconds = 24 * 3600;
constexpr int kTicketValiditySeconds = 10 * 60;
constexpr int kMaxAnswerSubmissions = 3;

struct VerifyRequest {
    std::string serial;         // card serial (EF.SN), hex
    apdu::SecureBytes secret;   // as typed or canonical; the service parses it
};
struct VerifyResponse {
    apdu::SecureBytes ticket;
    int expiresIn = kTicketValiditySeconds;
};
struct CryptogramRequest {
    apdu::SecureBytes ticket;
    apdu::Bytes challenge;      // 8 bytes, hex in JSON
};
struct CryptogramResponse {
    apdu::Bytes cryptogram;     // 24 bytes (E || M), hex in JSON
};
enum class ConfirmOutcome { Done, Failed };
struct ConfirmRequest {
    apdu::SecureBytes ticket;
    ConfirmOutcome outcome = ConfirmOutcome::Failed;
    int triesAfter = -1;        // the card's user PIN retry counter read back, -1 unknown
};
struct ErrorBody {
    ApiError error = ApiError::Internal;
    std::optional<int> triesLeft;
    std::string requestId;
};

// JSON texts. The serializers of secret-bearing bodies return the text in a wiping buffer.
apdu::SecureBytes toJson(const VerifyRequest& r);
apdu::SecureBytes toJson(const VerifyResponse& r);
apdu::SecureBytes toJsonSecure(const CryptogramRequest& r);
std::string toJson(const CryptogramResponse& r);
apdu::SecureBytes toJsonSecure(const ConfirmRequest& r);
std::string toJson(const ErrorBody& r);

// Parsers: throw ApiException(BadRequest, "<field> ...") on malformed input.
VerifyRequest parseVerifyRequest(std::string_view text);
VerifyResponse parseVerifyResponse(std::string_view text);
CryptogramRequest parseCryptogramRequest(std::string_view text);
CryptogramResponse parseCryptogramResponse(std::string_view text);
ConfirmRequest parseConfirmRequest(std::string_view text);
ErrorBody parseErrorBody(std::string_view text);

const char* toString(ConfirmOutcome o) noexcept;

// Serial as used in the API: hex digits, 2..40, normalised to upper case; throws
// ApiException(BadRequest) otherwise.
std::string normaliseSerial(std::string_view serial);

}  // namespace ias::protocol
