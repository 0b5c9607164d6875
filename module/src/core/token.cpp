// SPDX-License-Identifier: Apache-2.0
#include "token.hpp"
#include "token_card_access.hpp"

#include <algorithm>

#include "error.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/iso_channel.hpp"
#include "log.hpp"

namespace ias::p11 {

namespace pkcs15 = card::pkcs15;
using card::CardError;
using card::CardErrorKind;
using card::IasCard;

namespace {

constexpr std::size_t kChallengeSize = 8;

}  // namespace

// How a PIN is put in VERIFY / CHANGE / RESET: as its AODF entry says.
card::PinEncoding Token::pinEncoding(const pkcs15::Pin& pin) {
    card::PinEncoding e;
    if (pin.needsPadding()) {
        e.padTo = pin.storedLength;
        e.padChar = pin.padChar;
    }
    return e;
}

Token::Token(std::unique_ptr<apdu::CardConnection> connection, const HandleAllocator& nextHandle,
             std::shared_ptr<const card::CacheDirectory> cache)
    : nextHandle_(nextHandle), connection_(std::move(connection)), cache_(std::move(cache)) {
    knownResets_ = connection_->resetCount();
    withCard([&](IasCard& card) { loadIdentity(card); });
}

Token::~Token() = default;

void Token::onCardReset() {
    knownResets_ = connection_->resetCount();
    selectedApplication_.reset();
    std::lock_guard stateLock(stateMutex_);
    if (snapshot_.login != LoginState::Public) logLine(LogLevel::Info, "card reset by another application: logged out");
    snapshot_.login = LoginState::Public;
    soTicket_.reset();
}

void Token::ensureApplication(IasCard& card, std::size_t index) {
    if (selectedApplication_ == index) return;
    selectedApplication_.reset();
    card.selectApplication(applications_.at(index).aid);
    selectedApplication_ = index;
}

void Token::reselectApplication(IasCard& card) {
    selectedApplication_.reset();
    ensureApplication(card, 0);
}

TokenSnapshot Token::snapshot() const {
    std::lock_guard stateLock(stateMutex_);
    return snapshot_;
}

LoginState Token::loginState() const {
    std::lock_guard stateLock(stateMutex_);
    return snapshot_.login;
}

void Token::markRemoved() noexcept {
    std::lock_guard stateLock(stateMutex_);
    removed_ = true;
    soTicket_.reset();
    pendingSecret_.clear();
}

bool Token::isRemoved() const {
    std::lock_guard stateLock(stateMutex_);
    return removed_;
}

std::vector<CK_MECHANISM_TYPE> Token::mechanisms() const {
    std::vector<CK_MECHANISM_TYPE> out;
    for (const auto& m : allMechanisms()) {
        if (supports(m.type)) out.push_back(m.type);
    }
    return out;
}

bool Token::supports(CK_MECHANISM_TYPE type) const {
    const MechanismSpec* m = findMechanism(type);
    if (m == nullptr) return false;
    switch (m->scheme) {
        case Scheme::RsaPkcs1Sign:
        case Scheme::RsaPkcs1Decrypt:
        case Scheme::Digest: return true;
        case Scheme::RsaPssSign:
            return std::any_of(tokenInfo_.algorithms.begin(), tokenInfo_.algorithms.end(),
                               [](const pkcs15::AlgorithmInfo& a) { return a.mechanism == CKM_RSA_PKCS_PSS; });
        case Scheme::EcdsaSign:
            return std::any_of(tokenInfo_.algorithms.begin(), tokenInfo_.algorithms.end(),
                               [](const pkcs15::AlgorithmInfo& a) { return a.mechanism == CKM_ECDSA; });
    }
    return false;
}

std::pair<unsigned, unsigned> Token::keySizeRange(CK_KEY_TYPE type) const {
    return type == CKK_EC ? std::pair{256u, 256u} : std::pair{1024u, 2048u};
}

std::vector<std::shared_ptr<Object>> Token::objects() {
    {
        std::lock_guard stateLock(stateMutex_);
        if (objectsLoaded_) return objects_;
    }
    withCard([&](IasCard& card) {
        bool loaded = false;
        {
            std::lock_guard stateLock(stateMutex_);
            loaded = objectsLoaded_;
        }
        if (!loaded) loadObjects(card);
    });
    std::lock_guard stateLock(stateMutex_);
    return objects_;
}

std::shared_ptr<Object> Token::object(CK_OBJECT_HANDLE handle) {
    for (const auto& o : objects()) {
        if (o->handle() == handle) return o;
    }
    return nullptr;
}

card::PinEncoding Token::userPinEncoding() const { return pinEncoding(userPin_); }

void Token::recordPinResult(const CardError& e) {
    if (!e.triesLeft()) return;
    std::lock_guard stateLock(stateMutex_);
    snapshot_.userPin.triesLeft = *e.triesLeft();
    snapshot_.userPin.blocked = *e.triesLeft() == 0;
}

void Token::recordPinSuccess() {
    std::lock_guard stateLock(stateMutex_);
    snapshot_.userPin.triesLeft = snapshot_.userPin.maxTries;
    snapshot_.userPin.blocked = false;
}

void Token::loginUser(ByteView pin, const UnblockSettings& settings) {
    if (takesSecretAsUserPin(pin, settings)) {
        acceptSecretAsUserPin(pin, settings);
        return;
    }
    requireUserPinLength(pin);
    withCard([&](IasCard& card) {
        // Checked again under the card lock: of two concurrent logins only one verifies.
        if (loginState() != LoginState::Public) fail(CKR_USER_ALREADY_LOGGED_IN, "already logged in");
        verifyUserPin(card, pin);
        std::lock_guard stateLock(stateMutex_);
        snapshot_.login = LoginState::User;
    });
}

void Token::requireUserPinLength(ByteView pin) const {
    if (pinLengthRange(userPin_).contains(pin.size())) return;
    // Not the PIN (CKR_PIN_LEN_RANGE is not among C_Login's return values, v2.40 §5.6), and no
    // try is spent on it; a blocked PIN stays CKR_PIN_LOCKED whatever is typed.
    std::lock_guard stateLock(stateMutex_);
    fail(snapshot_.userPin.blocked ? CKR_PIN_LOCKED : CKR_PIN_INCORRECT, "PIN length outside the card's limits");
}

void Token::verifyUserPin(IasCard& card, ByteView pin) {
    ensureApplication(card);
    try {
        card.verifyPin(userPin_.reference, pin, userPinEncoding());
    } catch (const CardError& e) {
        recordPinResult(e);
        throw;
    }
    recordPinSuccess();
}

void Token::verifyForSignature(const Object& key, ByteView pin) {
    const KeyBinding& k = *key.key();
    if (k.pin == 0 || k.pin > keyPins_.size()) {
        requireUserPinLength(pin);
        withCard([&](IasCard& card) { verifyUserPin(card, pin); });
        return;
    }
    const KeyPin& own = keyPins_[k.pin - 1];
    // As for the user PIN: outside the card's limits it is not this PIN, and no try is spent.
    require(pinLengthRange(own.pin).contains(pin.size()), CKR_PIN_INCORRECT, "PIN length outside the card's limits");
    withCard([&](IasCard& card) {
        ensureApplication(card, own.application);
        card.verifyPin(own.pin.reference, pin, pinEncoding(own.pin));
    });
}

void Token::logout() {
    if (loginState() == LoginState::SecurityOfficer || loginState() == LoginState::UnblockPending) {
        dropSecurityOfficer();
        return;
    }
    withCard([&](IasCard& card) {
        // Re-selecting the application ends the card's security status for its local PINs;
        // if the card still reports the PIN verified, reset it.
        reselectApplication(card);
        if (card.pinStatus(userPin_.reference).verified) {
            connection_->resetCard();
            knownResets_ = connection_->resetCount();
            selectedApplication_.reset();
        }
        std::lock_guard stateLock(stateMutex_);
        snapshot_.login = LoginState::Public;
    });
}

void Token::changeUserPin(ByteView oldPin, ByteView newPin, const UnblockSettings& settings) {
    if (loginState() == LoginState::UnblockPending) {
        resetFromPendingLogin(oldPin, newPin, settings);
        return;
    }
    if (takesSecretAsUserPin(oldPin, settings)) {  // C_SetPIN(secret, new) in an unlogged session
        acceptSecretAsUserPin(oldPin, settings);
        resetFromPendingLogin(oldPin, newPin, settings);
        return;
    }
    requireUserPinLength(oldPin);  // the card would answer 6700 (not a PIN error) otherwise
    withCard([&](IasCard& card) {
        // The card splits CHANGE REFERENCE DATA's old||new at the length of its stored PIN:
        // an old PIN that merely starts with the real one ("4711" + "00") would pass and leave
        // a garbled new PIN. VERIFY the old PIN as typed first (IAS-ECC-reference §6.3).
        verifyUserPin(card, oldPin);
        try {
            card.changePin(userPin_.reference, oldPin, newPin, userPinEncoding());
        } catch (const CardError& e) {
            recordPinResult(e);
            throw;
        }
        recordPinSuccess();
    });
}

Bytes Token::sign(const Object& key, const MechanismSpec& mechanism, ByteView input, Hash pssHash) {
    const KeyBinding& k = *key.key();
    return withCard([&](IasCard& card) -> Bytes {
        ensureApplication(card, k.application);
        const std::size_t size = (k.bits + 7) / 8;
        switch (mechanism.scheme) {
            case Scheme::RsaPkcs1Sign:
                if (signPath(card, k) == SignPath::SecurityOperation) return signByCardHash(card, k, input, size);
                card.setSecurityEnvironment(card::Crt::Authentication, k.keyReference, k.signAlgRef);
                return card.internalAuthenticate(input, size);
            case Scheme::RsaPssSign: {
                // The card's own RSASSA-PSS (MGF1 with the same hash, salt = hash length)
                // over the hash given in PSO COMPUTE DIGITAL SIGNATURE.
                const std::uint8_t alg = algorithmReference(tokenInfo_, CKM_RSA_PKCS_PSS,
                                                            pkcs15::AlgorithmInfo::kComputeSignature, 0x05, k.algorithms);
                (void)pssHash;
                card.setSecurityEnvironment(card::Crt::DigitalSignature, k.keyReference, alg);
                return card.computeSignatureOverHash(input, size);
            }
            case Scheme::EcdsaSign: {
                // ECDSA over the given hash: r || s, by INTERNAL AUTHENTICATE, or by PSO CDS for a
                // key whose rule refuses it (the EstEID 2018 signature key, realcards trace). The
                // algorithm byte is the one of the key's own TokenInfo entry (EstEID 2018: 04 for
                // the authentication key, 54 for the signature key).
                const std::uint8_t alg =
                    algorithmReference(tokenInfo_, CKM_ECDSA, pkcs15::AlgorithmInfo::kComputeSignature, 0x04, k.algorithms);
                if (signPath(card, k) == SignPath::SecurityOperation) {
                    card.setSecurityEnvironment(card::Crt::DigitalSignature, k.keyReference, alg);
                    return card.computeSignatureOverHash(input, 2 * size);
                }
                card.setSecurityEnvironment(card::Crt::Authentication, k.keyReference, alg);
                return card.internalAuthenticate(input, 2 * size);
            }
            case Scheme::RsaPkcs1Decrypt:
            case Scheme::Digest: break;
        }
        fail(CKR_MECHANISM_INVALID, "not a signature mechanism");
    });
}

Token::SignPath Token::signPath(IasCard& card, const KeyBinding& key) {
    const unsigned id = static_cast<unsigned>(key.application << 8 | key.keyReference);
    if (const auto known = signPaths_.find(id); known != signPaths_.end()) return known->second;
    SignPath path = SignPath::InternalAuthenticate;
    try {
        const std::optional<card::SdoAccess> shown = keyAccess(card, key.application, key.keyReference);
        saveRecord();
        if (!shown) throw CardError(CardErrorKind::ReferenceNotFound, apdu::StatusWord(), "no descriptor shown");
        const card::SdoAccess& access = *shown;
        const card::Scb internalAuth = access.scb(card::amb::kKeyInternalAuthenticate);
        const card::Scb computeSignature = access.scb(card::amb::kKeySign);
        if (internalAuth.never() && computeSignature.never()) {
            logf(LogLevel::Warn, "key %02X: its access rule allows neither INTERNAL AUTHENTICATE nor PSO COMPUTE DIGITAL SIGNATURE", key.keyReference);
            fail(CKR_KEY_FUNCTION_NOT_PERMITTED, "the card's access rule forbids signing with this key");
        }
        if (internalAuth.never()) {
            path = SignPath::SecurityOperation;
            logf(LogLevel::Debug, "key %02X refuses INTERNAL AUTHENTICATE: signs by PSO HASH + PSO COMPUTE DIGITAL SIGNATURE (%s)",
                 key.keyReference, computeSignature.describe().c_str());
        }
    } catch (const CardError& e) {
        // A card that does not show the key's descriptor: the IAS-ECC default path.
        logf(LogLevel::Debug, "key %02X: access rule not readable (%s), signing by INTERNAL AUTHENTICATE", key.keyReference, e.what());
    }
    signPaths_[id] = path;
    return path;
}

std::optional<card::SdoAccess> Token::keyAccess(IasCard& card, std::size_t application, std::uint8_t keyReference) {
    // The key's descriptor (public: an access rule, no counter) comes from the record when
    // known; an empty answer there means the card did not show it.
    const auto cls = static_cast<std::uint8_t>(card::SdoClass::PrivateKey);
    const card::CardRecord::DescriptorKey place{static_cast<std::uint8_t>(application), cls, keyReference};
    auto known = record_.descriptors.find(place);
    if (known == record_.descriptors.end()) {
        Bytes answer;
        try {
            ensureApplication(card, application);
            answer = card.readSdoAnswer(card::SdoClass::PrivateKey, keyReference);
        } catch (const CardError& e) {
            // Recorded only when the card refuses to show it, not after a passing fault.
            if (e.kind() != CardErrorKind::ReferenceNotFound && e.kind() != CardErrorKind::FileNotFound &&
                e.kind() != CardErrorKind::NotSupported && e.kind() != CardErrorKind::SecurityNotSatisfied) {
                throw;
            }
        }
        known = record_.descriptors.emplace(place, std::move(answer)).first;
        recordChanged_ = true;
    }
    if (known->second.empty()) return std::nullopt;
    return card::parseSdoAccess(known->second, card::SdoClass::PrivateKey, keyReference & 0x1F);
}

bool Token::usableOverContact(IasCard& card, std::size_t application, std::uint8_t keyReference) {
    try {
        const std::optional<card::SdoAccess> access = keyAccess(card, application, keyReference);
        if (!access) return true;
        return !(access->scb(card::amb::kKeySign).never() && access->scb(card::amb::kKeyInternalAuthenticate).never() &&
                 access->scb(card::amb::kKeyDecipher).never());
    } catch (const CardError& e) {
        if (e.kind() != CardErrorKind::MalformedResponse) throw;
        return true;  // a rule that does not parse: listed, the card decides at use
    }
}

Bytes Token::signByCardHash(IasCard& card, const KeyBinding& key, ByteView digestInfo, std::size_t size) {
    // The card builds the DigestInfo itself from the DST algorithm: split the caller's one
    // on the host and give the card the hash (IAS-ECC-reference §7.2, tag 90 = final hash).
    const std::optional<ParsedDigestInfo> parsed = parseDigestInfo(digestInfo);
    if (!parsed || (parsed->hash != Hash::Sha1 && parsed->hash != Hash::Sha256)) {
        logf(LogLevel::Warn, "key %02X signs only over a SHA-1 or SHA-256 DigestInfo (the card builds it)", key.keyReference);
        fail(CKR_DATA_INVALID, "this key signs only a SHA-1 or SHA-256 DigestInfo");
    }
    const bool sha1 = parsed->hash == Hash::Sha1;
    const std::uint8_t alg = algorithmReference(tokenInfo_, sha1 ? CKM_SHA1_RSA_PKCS : CKM_SHA256_RSA_PKCS,
                                                pkcs15::AlgorithmInfo::kComputeSignature, sha1 ? 0x12 : 0x42, key.algorithms);
    card.setSecurityEnvironment(card::Crt::DigitalSignature, key.keyReference, alg);
    card.hashForSignature(parsed->digest);
    return card.computeSignatureOverCardHash(size);
}

apdu::SecureBytes Token::decrypt(const Object& key, ByteView cryptogram) {
    const KeyBinding& k = *key.key();
    return withCard([&](IasCard& card) {
        ensureApplication(card, k.application);
        card.setSecurityEnvironment(card::Crt::Confidentiality, k.keyReference, k.decipherAlgRef);
        return card.decipher(cryptogram);
    });
}

Bytes Token::random(std::size_t length) {
    return withCard([&](IasCard& card) {
        Bytes out;
        out.reserve(length);
        while (out.size() < length) {
            const Bytes chunk = card.getChallenge(kChallengeSize);
            out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(std::min(kChallengeSize, length - out.size())));
        }
        return out;
    });
}

}  // namespace ias::p11
