// SPDX-License-Identifier: Apache-2.0
// Token: one inserted IAS-ECC card as PKCS#11 sees it — identity and PIN state cached for
// C_GetTokenInfo (no card I/O), objects loaded on first use, and the card operations
// (login, PIN change, sign, decrypt, random), each run inside one PC/SC transaction.
//
// Lock order (module-wide): Library sessions lock -> SlotTable lock -> Token::cardMutex_
// -> Token::stateMutex_. cardMutex_ serialises card I/O; stateMutex_ guards the cached
// snapshot and is never held while talking to the card.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../card/ias_card.hpp"
#include "../card/pkcs15.hpp"
#include "../card/public_cache.hpp"
#include "ias/apdu/connection.hpp"
#include "ias/apdu/trace.hpp"
#include "mechanisms.hpp"
#include "object.hpp"
#include "object_factory.hpp"
#include "pin_policy.hpp"
#include "../unblock/service_client.hpp"

namespace ias::p11 {

// UnblockPending: the holder gave the one-time unblock secret as the *user* PIN of a locked
// token (Firefox/Thunderbird "Current password", FIREFOX-RESET.md option ii'): the service
// accepted it, and only C_SetPIN(secret, newPin) — which resets the card — or C_Logout are
// allowed; everything else answers CKR_PIN_EXPIRED.
enum class LoginState { Public, User, SecurityOfficer, UnblockPending };

struct PinSnapshot {
    unsigned triesLeft = 3;
    unsigned maxTries = 3;
    bool blocked = false;
};

// How the SO credential of C_Login(CKU_SO) is checked (UNBLOCK.md "In the module").
struct UnblockSettings {
    enum class Method { None, Service, Puk } method = Method::None;
    std::shared_ptr<unblock::UnblockServiceClient> service;  // Method::Service
    std::uint8_t adminKeysetRef = 0x81;                 // keyset of EXTERNAL AUTHENTICATE
    bool secretAsUserPin = true;                        // the Firefox "Current password" path
};

struct TokenSnapshot {
    std::string label;
    std::string manufacturer;
    std::string serial;  // hex of the card serial (last 8 bytes)
    PinSnapshot userPin;
    PinLengthRange userPinLengths;  // the card's limits (AODF), for C_GetTokenInfo
    LoginState login = LoginState::Public;
};

class Token {
public:
    // Takes the card connection (PC/SC in the module: apdu::connectPcsc; an in-process card in
    // tests) and reads the card's identity (card I/O). The connection is only used under
    // cardMutex_. With a cache directory, the card's public PKCS#15 data come from its record
    // there when the card proves to be the same (token_files.cpp, docs/cache.md).
    Token(std::unique_ptr<apdu::CardConnection> connection, const HandleAllocator& nextHandle,
          std::shared_ptr<const card::CacheDirectory> cache = nullptr);
    ~Token();
    Token(const Token&) = delete;
    Token& operator=(const Token&) = delete;

    // Cached, no card I/O.
    TokenSnapshot snapshot() const;
    LoginState loginState() const;
    bool isRemoved() const;
    // The card left the reader (seen by the slot table): sessions on this token are over.
    void markRemoved() noexcept;
    const Bytes& serial() const { return serial_; }
    std::vector<CK_MECHANISM_TYPE> mechanisms() const;
    bool supports(CK_MECHANISM_TYPE type) const;
    std::pair<unsigned, unsigned> keySizeRange(CK_KEY_TYPE type) const;

    // Objects: card I/O on first call only. Private objects are listed only when logged in.
    std::vector<std::shared_ptr<Object>> objects();
    std::shared_ptr<Object> object(CK_OBJECT_HANDLE handle);

    // Card operations. Throw Error / CardError / apdu::Error.
    void loginUser(ByteView pin, const UnblockSettings& settings);
    void verifyForSignature(const Object& key, ByteView pin);  // CKU_CONTEXT_SPECIFIC: the key's own PIN
    void logout();
    void changeUserPin(ByteView oldPin, ByteView newPin, const UnblockSettings& settings);
    Bytes sign(const Object& key, const MechanismSpec& mechanism, ByteView input, Hash pssHash);
    apdu::SecureBytes decrypt(const Object& key, ByteView cryptogram);
    Bytes random(std::size_t length);

    // Unblock (token_unblock.cpp). SO login: the one-time secret checked by the service
    // (a ticket is kept) or the PUK verified by the card; C_InitPIN: the reset itself.
    void loginSecurityOfficer(ByteView credential, const UnblockSettings& settings);
    void initUserPin(ByteView newPin, const UnblockSettings& settings);

private:
    void resetWithService(ByteView newPin, const UnblockSettings& settings);
    void dropSecurityOfficer();
    // The Firefox path: a locked token, a secret-shaped "PIN" and a configured service.
    bool takesSecretAsUserPin(ByteView pin, const UnblockSettings& settings) const;
    void acceptSecretAsUserPin(ByteView typed, const UnblockSettings& settings);
    void resetFromPendingLogin(ByteView oldPin, ByteView newPin, const UnblockSettings& settings);
    template <class Operation>
    auto withCard(Operation&& op);
    void loadIdentity(card::IasCard& card);
    void loadObjects(card::IasCard& card);
    // Selects application `index` of applications_ unless it is the current one.
    void ensureApplication(card::IasCard& card, std::size_t index = 0);
    // Selects the token's application again (ends local PIN and role authentication states).
    void reselectApplication(card::IasCard& card);
    void findApplications(card::IasCard& card);
    // Public data (token_files.cpp). publicFile: the content of `fid` in `application`, from
    // the record when known (no card I/O), else by `read` with the application selected
    // (recorded, so a file is read once per process and card). adoptCachedRecord: the warm
    // start — a record of the cache whose TokenInfo is byte for byte the card's. saveRecord:
    // the record to the cache when it changed.
    Bytes publicFile(card::IasCard& card, std::size_t application, std::uint16_t fid, const std::function<Bytes()>& read);
    bool adoptCachedRecord(card::IasCard& card);
    void identifyFromCard(card::IasCard& card);
    void useIdentity(card::IasCard& card);  // TokenInfo, PINs and tries from record_ + the card
    void saveRecord();
    void loadApplicationObjects(card::IasCard& card, std::size_t application, CardContents& contents);
    void onCardReset();
    void verifyUserPin(card::IasCard& card, ByteView pin);  // VERIFY + tries bookkeeping
    void requireUserPinLength(ByteView pin) const;          // outside the card's limits: never sent
    void recordPinResult(const card::CardError& e);
    void recordPinSuccess();
    // A directory file (AODF, PrKDF, CDF) of an application where its ODF says (the Generic
    // PKI defaults when the application has no ODF); empty when the ODF names none.
    Bytes readDirectory(card::IasCard& card, std::size_t application, std::optional<std::uint16_t> card::pkcs15::Odf::*field);
    static card::PinEncoding pinEncoding(const card::pkcs15::Pin& pin);
    card::PinEncoding userPinEncoding() const;
    // The short file identifier to try for `fid` (its low 5 bits), unless the card refused one.
    std::optional<std::uint8_t> sfiOf(std::uint16_t fid) const;
    // The reset the card allows for the user PIN (its RESET RETRY COUNTER rule, read with the
    // PIN's descriptor at first contact) given what is configured: Service where external
    // authentication is allowed, Puk where user authentication is and the card has a PUK.
    // CKR_FUNCTION_NOT_SUPPORTED, with a log line naming the card's condition, otherwise.
    UnblockSettings::Method resetMethod(const UnblockSettings& settings) const;
    // How a key signs PKCS#1 v1.5, from its access rule (read once per key and process).
    enum class SignPath { InternalAuthenticate, SecurityOperation };
    SignPath signPath(card::IasCard& card, const KeyBinding& key);
    // A key's access rule as the card shows it (GET DATA BF 90 ref A0, once per card: kept in
    // the record); nullopt when the card does not show it.
    std::optional<card::SdoAccess> keyAccess(card::IasCard& card, std::size_t application, std::uint8_t keyReference);
    // Whether a key of another application than the token's can do anything over this
    // (contact) interface: false when its contact rule allows neither signing nor deciphering
    // (the CPx contactless application's key). Keys whose rule is not shown count as usable.
    bool usableOverContact(card::IasCard& card, std::size_t application, std::uint8_t keyReference);
    Bytes signByCardHash(card::IasCard& card, const KeyBinding& key, ByteView digestInfo, std::size_t size);

    HandleAllocator nextHandle_;
    std::unique_ptr<apdu::CardConnection> connection_;
    std::uint64_t knownResets_ = 0;
    // The card's PKCS#15 applications: [0] is the token's (TokenInfo, user PIN); cards such
    // as IDEMIA Cosmo v8 keep a signature key with its own PIN in a second one.
    struct CardApplication {
        Bytes aid;
        std::optional<card::pkcs15::Odf> odf;
    };
    std::vector<CardApplication> applications_;
    std::optional<std::size_t> selectedApplication_;
    bool sfiReadsWork_ = true;
    card::SelectRules selectRules_;
    std::map<unsigned, SignPath> signPaths_;  // by application << 8 | key reference; under cardMutex_
    // The card's public data read so far (or adopted from the cache); under cardMutex_.
    std::shared_ptr<const card::CacheDirectory> cache_;
    card::CardRecord record_;
    bool recordChanged_ = false;

    mutable std::mutex cardMutex_;
    mutable std::mutex stateMutex_;
    // guarded by stateMutex_ (written under both locks)
    TokenSnapshot snapshot_;
    bool removed_ = false;
    std::vector<std::shared_ptr<Object>> objects_;
    bool objectsLoaded_ = false;
    // set once in the constructor
    Bytes serial_;
    card::pkcs15::TokenInfo tokenInfo_;
    card::pkcs15::Pin userPin_;
    std::optional<card::pkcs15::Pin> puk_;
    // PINs other than the user PIN that protect keys (a signature PIN), with their
    // application; a key bound to one of them is CKA_ALWAYS_AUTHENTICATE (KeyBinding::pin).
    std::vector<KeyPin> keyPins_;
    std::optional<card::Scb> userPinResetRule_;  // nullopt: the card did not show it
    // The service's ticket while the SO is logged in or an unblock is pending, and (pending
    // only) the canonical secret to compare with C_SetPIN's old PIN (guarded by stateMutex_).
    std::optional<unblock::Ticket> soTicket_;
    apdu::SecureBytes pendingSecret_;
};

}  // namespace ias::p11
