// SPDX-License-Identifier: Apache-2.0
#include "card_error.hpp"

namespace ias::card {

const char* toString(CardErrorKind kind) noexcept {
    switch (kind) {
        case CardErrorKind::PinIncorrect: return "incorrect PIN";
        case CardErrorKind::PinBlocked: return "PIN blocked";
        case CardErrorKind::SecurityNotSatisfied: return "security status not satisfied";
        case CardErrorKind::ConditionsNotSatisfied: return "conditions of use not satisfied";
        case CardErrorKind::FileNotFound: return "file not found";
        case CardErrorKind::ReferenceNotFound: return "reference not found";
        case CardErrorKind::WrongData: return "wrong data";
        case CardErrorKind::WrongLength: return "wrong length";
        case CardErrorKind::NotSupported: return "not supported by the card";
        case CardErrorKind::MalformedResponse: return "malformed card response";
        case CardErrorKind::Unexpected: return "unexpected card status";
    }
    return "card error";
}

CardErrorKind classify(apdu::StatusWord sw) noexcept {
    // 63Cx is a wrong PIN, even when x = 0 (that attempt locked it: the next one gets 6983).
    if (sw.value() == 0x6983) return CardErrorKind::PinBlocked;
    if (sw.triesLeft()) return CardErrorKind::PinIncorrect;
    switch (sw.value()) {
        case 0x6982: return CardErrorKind::SecurityNotSatisfied;
        case 0x6985: return CardErrorKind::ConditionsNotSatisfied;
        case 0x6A82: return CardErrorKind::FileNotFound;
        case 0x6A88: return CardErrorKind::ReferenceNotFound;
        case 0x6A80:
        case 0x6984: return CardErrorKind::WrongData;
        case 0x6700: return CardErrorKind::WrongLength;
        case 0x6D00:
        case 0x6E00:
        case 0x6A81:
        case 0x6A86:
        case 0x6B00: return CardErrorKind::NotSupported;
        default: return CardErrorKind::Unexpected;
    }
}

CardError::CardError(CardErrorKind kind, apdu::StatusWord sw, const std::string& operation,
                     std::optional<unsigned> triesLeft)
    : std::runtime_error(operation + ": " + toString(kind) + " (SW " + sw.describe() + ")"),
      kind_(kind),
      sw_(sw),
      triesLeft_(triesLeft) {}

void expectSuccess(const apdu::ResponseApdu& response, const char* operation) {
    if (response.sw.isSuccess()) return;
    throw CardError(classify(response.sw), response.sw, operation, response.sw.triesLeft());
}

void malformedResponse(const char* operation) {
    throw CardError(CardErrorKind::MalformedResponse, apdu::StatusWord(0x9000), operation);
}

}  // namespace ias::card
