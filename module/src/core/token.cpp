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

constexpr std::uint16_t kTokenInfoFid = 0x5032;
constexpr std::uint16_t kOdfFid = 0x5031;
constexpr std::uint16_t kEfDirFid = 0x2F00;
constexpr std::uint16_t kDefaultAodfFid = 0x7001;
constexpr std::uint16_t kDefaultPrkdfFid = 0x7002;
constexpr std::uint16_t kDefaultCdfFid = 0x7005;
constexpr std::size_t kMaxDirectorySize = 8192;
constexpr std::size_t kMaxCertificateSize = 16384;
constexpr std::size_t kChallengeSize = 8;

std::string hexSerial(ByteView serial) {
    const std::size_t n = std::min<std::size_t>(serial.size(), 8);
    return apdu::toHex(serial.subspan(serial.size() - n));
}

bool isMissingFile(const CardError& e) {
    return e.kind() == CardErrorKind::FileNotFound || e.kind() == CardErrorKind::NotSupported ||
           e.kind() == CardErrorKind::Unexpected;
}

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

Token::Token(std::unique_ptr<apdu::CardConnection> connection, const HandleAllocator& nextHandle)
    : nextHandle_(nextHandle), connection_(std::move(connection)) {
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

void Token::findApplications(IasCard& card) {
    // The ECC Generic PKI application first (one SELECT on most cards), else what EF.DIR lists.
    applications_ = {CardApplication{Bytes(std::begin(card::kGenericPkiAid), std::end(card::kGenericPkiAid)), std::nullopt}};
    try {
        ensureApplication(card, 0);
        return;
    } catch (const CardError& e) {
        if (!isMissingFile(e)) throw;
    }
    card.selectMasterFile();
    std::vector<Bytes> aids = pkcs15::parseEfDir(card.readFile(kEfDirFid, std::nullopt, kMaxDirectorySize));
    if (aids.empty()) card::malformedResponse("no PKCS#15 application: not the Generic PKI one, none in EF.DIR");
    applications_.clear();
    for (Bytes& aid : aids) applications_.push_back(CardApplication{std::move(aid), std::nullopt});
    ensureApplication(card, 0);
}

Bytes Token::readDirectory(IasCard& card, std::size_t application, std::optional<std::uint16_t> pkcs15::Odf::*field) {
    ensureApplication(card, application);
    std::optional<pkcs15::Odf>& odf = applications_[application].odf;
    if (!odf) {
        // The ODF says where the directory files are: cards put them at other FIDs than the
        // Generic PKI defaults (IDEMIA Cosmo v8: the PrKDF at 7001, the AODF's default FID),
        // and a directory file read at a guessed FID would parse as the wrong kind.
        try {
            odf = pkcs15::parseOdf(card.readFile(kOdfFid, sfiOf(kOdfFid), kMaxDirectorySize, &sfiReadsWork_));
        } catch (const CardError& e) {
            if (!isMissingFile(e)) throw;
            logf(LogLevel::Debug, "application %zu has no ODF: Generic PKI default files", application);
            odf = pkcs15::Odf{kDefaultPrkdfFid, std::nullopt, kDefaultCdfFid, kDefaultAodfFid, std::nullopt};
        }
    }
    if (!((*odf).*field)) return {};
    const std::uint16_t fid = *((*odf).*field);
    return card.readFile(fid, sfiOf(fid), kMaxDirectorySize);
}

std::optional<std::uint8_t> Token::sfiOf(std::uint16_t fid) const {
    if (!sfiReadsWork_) return std::nullopt;
    return static_cast<std::uint8_t>(fid & 0x1F);
}

void Token::loadIdentity(IasCard& card) {
    try {
        serial_ = card.readSerialNumber();
    } catch (const CardError& e) {
        if (!isMissingFile(e)) throw;
        card.selectMasterFile();
        selectedApplication_.reset();
        serial_ = card.readSerialNumber();
    }
    findApplications(card);
    bool sfiWorked = false;
    tokenInfo_ = pkcs15::parseTokenInfo(card.readFile(kTokenInfoFid, std::uint8_t{kTokenInfoFid & 0x1F}, kMaxDirectorySize, &sfiWorked));
    sfiReadsWork_ = sfiWorked;  // cards without SFIs on the PKCS#15 files: SELECT from now on
    const auto pins = pkcs15::parseAodf(readDirectory(card, 0, &pkcs15::Odf::aodf));
    const auto user = std::find_if(pins.begin(), pins.end(), [](const pkcs15::Pin& p) { return !p.isUnblockingPin() && !p.isSoPin(); });
    if (user == pins.end()) card::malformedResponse("AODF without a user PIN");
    userPin_ = *user;
    for (const auto& p : pins) {
        if (p.isUnblockingPin() && p.authId == userPin_.protectedBy) puk_ = p;
        else if (!p.isUnblockingPin() && !p.isSoPin() && p.authId != userPin_.authId) keyPins_.push_back(KeyPin{0, p});
    }
    // The PIN's descriptor gives the try counters and the reset rule in one GET DATA; cards
    // that do not show it are asked with an empty VERIFY.
    card::PinStatus status;
    std::optional<unsigned> maxTries;
    try {
        const card::SdoAccess access = card.readSdoAccess(card::SdoClass::Pin, userPin_.reference);
        if (!access.triesLeft) throw CardError(CardErrorKind::MalformedResponse, apdu::StatusWord(), "PIN descriptor without a counter");
        userPinResetRule_ = access.scb(card::amb::kPinReset);
        maxTries = access.triesMax;
        status.triesLeft = *access.triesLeft;
        status.blocked = status.triesLeft == 0;
    } catch (const CardError& e) {
        logf(LogLevel::Debug, "PIN descriptor not readable (%s): counter by VERIFY", e.what());
        status = card.pinStatus(userPin_.reference);
    }
    std::lock_guard stateLock(stateMutex_);
    if (maxTries && *maxTries > 0) snapshot_.userPin.maxTries = *maxTries;
    snapshot_.label = tokenInfo_.label.empty() ? "IAS-ECC " + hexSerial(serial_) : tokenInfo_.label;
    snapshot_.manufacturer = tokenInfo_.manufacturer.empty() ? "IAS-ECC" : tokenInfo_.manufacturer;
    snapshot_.serial = hexSerial(serial_);
    snapshot_.userPinLengths = pinLengthRange(userPin_);
    snapshot_.userPin.blocked = status.blocked;
    snapshot_.userPin.triesLeft = status.verified ? snapshot_.userPin.maxTries : status.triesLeft;
}

void Token::loadApplicationObjects(IasCard& card, std::size_t application, CardContents& contents) {
    if (application > 0) {
        // The PINs of another application protect its keys (Cosmo v8: the signature PIN).
        for (const auto& p : pkcs15::parseAodf(readDirectory(card, application, &pkcs15::Odf::aodf))) {
            if (!p.isUnblockingPin() && !p.isSoPin()) keyPins_.push_back(KeyPin{application, p});
        }
    }
    for (auto& key : pkcs15::parsePrkdf(readDirectory(card, application, &pkcs15::Odf::prkdf))) {
        CardContents::KeyPlace place{application, 0};
        for (std::size_t i = 0; i < keyPins_.size(); ++i) {
            if (keyPins_[i].application == application && !key.authId.empty() && keyPins_[i].pin.authId == key.authId) place.pin = i + 1;
        }
        contents.privateKeys.push_back(std::move(key));
        contents.keyPlaces.push_back(place);
    }
    for (auto& info : pkcs15::parseCdf(readDirectory(card, application, &pkcs15::Odf::cdf))) {
        CardContents::Cert cert{info, card.readDerObject(info.fid, kMaxCertificateSize)};
        contents.certificates.push_back(std::move(cert));
    }
}

void Token::loadObjects(IasCard& card) {
    CardContents contents;
    contents.tokenInfo = tokenInfo_;
    loadApplicationObjects(card, 0, contents);
    for (std::size_t a = 1; a < applications_.size(); ++a) {
        try {
            loadApplicationObjects(card, a, contents);
        } catch (const CardError& e) {
            // An application without PKCS#15 files (an eSign or issuer application): not ours.
            logf(LogLevel::Debug, "application %zu of EF.DIR has no usable PKCS#15 set (%s)", a, e.what());
        }
    }
    auto built = buildObjects(contents, nextHandle_);
    std::lock_guard stateLock(stateMutex_);
    objects_ = std::move(built);
    objectsLoaded_ = true;
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
        const card::SdoAccess access = card.readSdoAccess(card::SdoClass::PrivateKey, key.keyReference);
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
