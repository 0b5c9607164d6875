// SPDX-License-Identifier: Apache-2.0
// The built-in unblock on the token (UNBLOCK.md "In the module"):
//   C_Login(CKU_SO, secret)  -> local check symbols -> service verify -> ticket kept
//   C_InitPIN(newPin)        -> one PC/SC transaction: MSE SET AT, GET CHALLENGE,
//                               service cryptogram, EXTERNAL AUTHENTICATE, RESET RETRY
//                               COUNTER, counter read back, application re-selected
//                               (ends the role authentication) -> service confirm
// and the PUK alternative for deployments configured for it.
#include "error.hpp"
#include "ias/protocol/secret.hpp"
#include "log.hpp"
#include "pin_policy.hpp"
#include "token.hpp"
#include "token_card_access.hpp"

namespace ias::p11 {

using card::IasCard;

namespace {

constexpr std::size_t kChallengeSize = 8;

apdu::SecureBytes canonicalSecret(ByteView typed) {
    const protocol::SecretParseResult parsed = protocol::parseSecret(typed);
    switch (parsed.error) {
        case protocol::SecretParseError::None: return parsed.secret->canonical();
        case protocol::SecretParseError::BadLength: fail(CKR_PIN_LEN_RANGE, "unblock secret: wrong length");
        case protocol::SecretParseError::BadSymbol: fail(CKR_PIN_INVALID, "unblock secret: invalid character");
        case protocol::SecretParseError::BadCheck: fail(CKR_PIN_INVALID, "unblock secret: check symbols do not match (typo)");
    }
    fail(CKR_PIN_INVALID, "unblock secret");
}

}  // namespace

void Token::dropSecurityOfficer() {
    std::lock_guard stateLock(stateMutex_);
    soTicket_.reset();
    pendingSecret_.clear();
    pendingSecret_.shrink_to_fit();
    if (snapshot_.login == LoginState::SecurityOfficer || snapshot_.login == LoginState::UnblockPending) {
        snapshot_.login = LoginState::Public;
    }
}

bool Token::takesSecretAsUserPin(ByteView pin, const UnblockSettings& settings) const {
    if (settings.method != UnblockSettings::Method::Service || !settings.secretAsUserPin) return false;
    if (userPinResetRule_ && !userPinResetRule_->allowsExternalAuthentication()) return false;
    {
        std::lock_guard stateLock(stateMutex_);
        if (!snapshot_.userPin.blocked) return false;
    }
    // A PIN is 4 digits; the secret is 18 symbols (plus separators): no overlap.
    return protocol::parseSecret(pin).error != protocol::SecretParseError::BadLength;
}

void Token::acceptSecretAsUserPin(ByteView typed, const UnblockSettings& settings) {
    const protocol::SecretParseResult parsed = protocol::parseSecret(typed);
    // A typo is a wrong "current password" for Firefox ("You did not enter the correct
    // current password"), and costs no try at the service.
    if (!parsed.ok()) fail(CKR_PIN_INCORRECT, "unblock secret mistyped (check symbols)");
    apdu::SecureBytes canonical = parsed.secret->canonical();
    unblock::Ticket ticket = settings.service->verify(apdu::toHex(serial_), canonical);
    std::lock_guard stateLock(stateMutex_);
    soTicket_ = std::move(ticket);
    pendingSecret_ = std::move(canonical);
    snapshot_.login = LoginState::UnblockPending;
    logLine(LogLevel::Info, "unblock secret accepted as current password: PIN change pending");
}

void Token::resetFromPendingLogin(ByteView oldPin, ByteView newPin, const UnblockSettings& settings) {
    const protocol::SecretParseResult parsed = protocol::parseSecret(oldPin);
    bool same = false;
    if (parsed.ok()) {
        const apdu::SecureBytes canonical = parsed.secret->canonical();
        std::lock_guard stateLock(stateMutex_);
        same = apdu::constantTimeEqual(canonical, pendingSecret_);
    }
    if (!same) fail(CKR_PIN_INCORRECT, "old PIN is not the unblock secret given at login");
    resetWithService(newPin, settings);
    // Logged in with the new PIN, as after a normal change; the pending state is over.
    dropSecurityOfficer();
    withCard([&](IasCard& card) { verifyUserPin(card, newPin); });
    std::lock_guard stateLock(stateMutex_);
    snapshot_.login = LoginState::User;
}

UnblockSettings::Method Token::resetMethod(const UnblockSettings& settings) const {
    if (settings.method == UnblockSettings::Method::None) return settings.method;
    if (!userPinResetRule_) return settings.method;  // rule not shown: as configured, the card decides
    const card::Scb rule = *userPinResetRule_;
    if (settings.method == UnblockSettings::Method::Service && rule.allowsExternalAuthentication()) {
        return UnblockSettings::Method::Service;
    }
    if (puk_ && rule.allowsUserAuthentication()) return UnblockSettings::Method::Puk;
    logf(LogLevel::Warn, "the card resets the PIN only after %s: %s", rule.describe().c_str(),
         settings.method == UnblockSettings::Method::Service ? "not the unblock service's external authentication"
                                                              : "the card has no PUK for it");
    fail(CKR_FUNCTION_NOT_SUPPORTED, "the card's PIN reset rule allows neither the unblock service nor a PUK");
}

void Token::loginSecurityOfficer(ByteView credential, const UnblockSettings& settings) {
    switch (resetMethod(settings)) {
        case UnblockSettings::Method::None:
            fail(CKR_FUNCTION_NOT_SUPPORTED, "no unblock service configured");
        case UnblockSettings::Method::Puk: {
            if (!puk_) fail(CKR_FUNCTION_NOT_SUPPORTED, "the card has no PUK");
            // The unblock service is configured but this card's rule wants its PUK: a typed
            // unblock secret is not sent to the card as a PUK (it could cost a PUK try).
            if (settings.method == UnblockSettings::Method::Service && protocol::parseSecret(credential).ok()) {
                logLine(LogLevel::Warn, "an unblock secret cannot reset this card's PIN: its reset rule asks for the PUK");
                fail(CKR_FUNCTION_NOT_SUPPORTED, "the card's PIN is reset with its PUK, not by the unblock service");
            }
            // As for the user PIN: outside the PUK's limits it is not the PUK, and no try is spent.
            require(pinLengthRange(*puk_).contains(credential.size()), CKR_PIN_INCORRECT,
                    "PUK length outside the card's limits");
            withCard([&](IasCard& card) {
                ensureApplication(card);
                card.verifyPin(puk_->reference, credential, pinEncoding(*puk_));
            });
            break;
        }
        case UnblockSettings::Method::Service: {
            const apdu::SecureBytes secret = canonicalSecret(credential);  // typos cost no try
            unblock::Ticket ticket = settings.service->verify(apdu::toHex(serial_), secret);
            std::lock_guard stateLock(stateMutex_);
            soTicket_ = std::move(ticket);
            break;
        }
    }
    std::lock_guard stateLock(stateMutex_);
    snapshot_.login = LoginState::SecurityOfficer;
    logLine(LogLevel::Info, "security officer logged in (unblock)");
}

void Token::initUserPin(ByteView newPin, const UnblockSettings& settings) {
    if (loginState() != LoginState::SecurityOfficer) fail(CKR_USER_NOT_LOGGED_IN, "SO not logged in");
    if (resetMethod(settings) == UnblockSettings::Method::Service) {
        resetWithService(newPin, settings);
        return;
    }
    withCard([&](IasCard& card) {
        ensureApplication(card);
        card.resetRetryCounter(userPin_.reference, newPin, userPinEncoding());
        recordPinSuccess();
    });
}

void Token::resetWithService(ByteView newPin, const UnblockSettings& settings) {
    apdu::SecureBytes ticket;
    {
        std::lock_guard stateLock(stateMutex_);
        if (!soTicket_ || std::chrono::steady_clock::now() >= soTicket_->expiresAt) {
            soTicket_.reset();
            fail(CKR_USER_NOT_LOGGED_IN, "no valid unblock ticket (expired or used): log in again with the secret");
        }
        ticket = soTicket_->value;
    }
    unblock::UnblockServiceClient& service = *settings.service;
    int triesAfter = -1;
    try {
        withCard([&](IasCard& card) {
            ensureApplication(card);
            card.setExternalAuthenticationKey(settings.adminKeysetRef);
            const Bytes challenge = card.getChallenge(kChallengeSize);
            const Bytes cryptogram = service.cryptogram(ticket, challenge);
            bool authenticated = false;
            try {
                card.externalAuthenticate(cryptogram);
                authenticated = true;
                card.resetRetryCounter(userPin_.reference, newPin, userPinEncoding());
                const card::PinStatus status = card.pinStatus(userPin_.reference);
                triesAfter = static_cast<int>(status.triesLeft);
            } catch (...) {
                // Whatever failed, end the role authentication if it was opened.
                if (authenticated) {
                    try {
                        reselectApplication(card);
                    } catch (...) {
                    }
                }
                throw;
            }
            reselectApplication(card);  // ends the role authentication
            recordPinSuccess();
        });
    } catch (const unblock::UnblockError& e) {
        if (e.kind() == unblock::UnblockErrorKind::BadTicket) dropSecurityOfficer();
        throw;
    } catch (...) {
        // Card error or card gone after the cryptogram: tell the service nothing happened,
        // so that the secret is not spent (best effort: the service may be down too).
        try {
            service.confirm(ticket, false, -1);
        } catch (const std::exception&) {
        }
        throw;
    }
    try {
        service.confirm(ticket, true, triesAfter);
    } catch (const std::exception& e) {
        // The card is reset; only the service's bookkeeping is late (the secret stays usable
        // until it expires, which does no harm).
        logf(LogLevel::Warn, "PIN reset done but not confirmed to the service: %s", e.what());
    }
    // The secret is spent: wipe the ticket. The SO stays logged in until C_Logout (callers
    // such as NSS log out right after C_InitPIN).
    std::lock_guard stateLock(stateMutex_);
    soTicket_.reset();
    logLine(LogLevel::Info, "user PIN reset with the unblock service");
}

}  // namespace ias::p11
