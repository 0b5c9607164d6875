// SPDX-License-Identifier: Apache-2.0
// The holder JSON API of ias-unblockd (service/src/http/holder_api_routes.cpp), reached from
// the e-mail link with the link token as bearer, over netclient (the pinned client shared with
// the module):
//   GET  /v1/holder/case     -> serial, questions, tries_left, expires_in, support contacts
//   POST /v1/holder/answers  {"answers": [...]} -> {"secret": "XXXX-XXXX-XXXX-XXXX-CC", ...}
// Refusals: 403 wrong_answers (+tries_left), 410 blocked / expired / used_up, 404 no_case.
// Answers and the secret travel in wiping buffers; neither is ever printed.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ias/apdu/bytes.hpp"
#include "ias/netclient/pinned_https.hpp"

namespace ias::tools {

struct SupportContacts {
    std::string web, email, phone, hours;
    bool empty() const noexcept { return web.empty() && email.empty() && phone.empty() && hours.empty(); }
};

struct CaseInfo {
    std::string serial;
    std::string language;
    std::string issuer;
    std::vector<std::string> questions;
    int triesLeft = 0;
    long expiresIn = 0;  // seconds
    SupportContacts support;
};

enum class HolderRefusal {
    WrongAnswers,  // tries remain (triesLeft)
    Blocked,       // definitive block (3 wrong submissions) or case closed
    Expired,       // the 24 h link expired
    UsedUp,        // a secret was already issued for this link
    NoCase,        // unknown link
    Unreachable,   // network, TLS, pinning, timeout, 429, 5xx: nothing spent
    Unexpected,    // an answer we do not understand
};

class HolderApiError : public std::runtime_error {
public:
    HolderApiError(HolderRefusal kind, const std::string& what, std::optional<int> triesLeft = std::nullopt,
                   SupportContacts support = {})
        : std::runtime_error(what), kind_(kind), triesLeft_(triesLeft), support_(std::move(support)) {}
    HolderRefusal kind() const noexcept { return kind_; }
    std::optional<int> triesLeft() const noexcept { return triesLeft_; }
    const SupportContacts& support() const noexcept { return support_; }

private:
    HolderRefusal kind_;
    std::optional<int> triesLeft_;
    SupportContacts support_;
};

class HolderApi {
public:
    virtual ~HolderApi() = default;
    virtual CaseInfo fetchCase() = 0;
    // The one-time secret (display form) when the answers are right; HolderApiError otherwise.
    virtual apdu::SecureBytes submitAnswers(const std::vector<apdu::SecureBytes>& answers) = 0;
};

struct HolderApiSettings {
    std::string apiBase;             // from the link
    apdu::SecureBytes token;         // from the link
    std::string caFile;              // empty: system trust store (unless pinned-only)
    std::string pinnedPublicKey;     // curl syntax sha256//<base64>; empty: none
    std::chrono::milliseconds connectTimeout{5000};
    std::chrono::milliseconds totalTimeout{20000};
};

class CurlHolderApi final : public HolderApi {
public:
    explicit CurlHolderApi(HolderApiSettings settings);
    CaseInfo fetchCase() override;
    apdu::SecureBytes submitAnswers(const std::vector<apdu::SecureBytes>& answers) override;

private:
    using Reply = netclient::Reply;
    Reply call(const char* path, const apdu::SecureBytes* postBody);

    HolderApiSettings settings_;
};

// Pure parts (unit-tested).
CaseInfo parseCaseReply(std::string_view body);                       // throws HolderApiError(Unexpected)
apdu::SecureBytes secretFromAnswersReply(apdu::ByteView body);        // throws HolderApiError(Unexpected)
HolderApiError refusalFromReply(long status, std::string_view body, const std::string& requestId);
apdu::SecureBytes answersRequestJson(const std::vector<apdu::SecureBytes>& answers);

}  // namespace ias::tools
