// SPDX-License-Identifier: Apache-2.0
// Errors of the card application layer. The card layer knows no PKCS#11 types: the
// front maps CardErrorKind to CK_RV in one table (module/src/core/error.cpp).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "ias/apdu/response.hpp"
#include "ias/apdu/status_word.hpp"

namespace ias::card {

enum class CardErrorKind {
    PinIncorrect,            // 63Cx: wrong PIN / PUK (x tries left; 63C0: this try locked it)
    PinBlocked,              // 6983: already blocked
    SecurityNotSatisfied,    // 6982: not logged in / condition missing
    ConditionsNotSatisfied,  // 6985
    FileNotFound,            // 6A82
    ReferenceNotFound,       // 6A88
    WrongData,               // 6A80, 6984
    WrongLength,             // 6700
    NotSupported,            // 6D00, 6E00, 6A81, 6A86, 6B00
    MalformedResponse,       // the card answered 9000 with data we cannot parse
    Unexpected,              // any other status
};

const char* toString(CardErrorKind kind) noexcept;

class CardError : public std::runtime_error {
public:
    CardError(CardErrorKind kind, apdu::StatusWord sw, const std::string& operation,
              std::optional<unsigned> triesLeft = std::nullopt);

    CardErrorKind kind() const noexcept { return kind_; }
    apdu::StatusWord statusWord() const noexcept { return sw_; }
    std::optional<unsigned> triesLeft() const noexcept { return triesLeft_; }

private:
    CardErrorKind kind_;
    apdu::StatusWord sw_;
    std::optional<unsigned> triesLeft_;
};

// The status word table: which card error a non-success SW is.
CardErrorKind classify(apdu::StatusWord sw) noexcept;

// Throws CardError unless the response is 9000.
void expectSuccess(const apdu::ResponseApdu& response, const char* operation);

[[noreturn]] void malformedResponse(const char* operation);

}  // namespace ias::card
