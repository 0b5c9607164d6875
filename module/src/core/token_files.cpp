// SPDX-License-Identifier: Apache-2.0
// Where the token's public data come from: the card's files in the order they point to each
// other (EF.DIR or the Generic PKI application, TokenInfo, ODF, then the directory files and
// certificates an operation needs; EF.SN only for a TokenInfo without serialNumber), each read
// once per process; or the card's record in the public cache
// when the card proves to be the one recorded (docs/cache.md): SELECT of the recorded
// application + READ of its TokenInfo, byte for byte the recorded one.
#include <algorithm>

#include "../card/layout_hints.hpp"
#include "error.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/tlv.hpp"
#include "log.hpp"
#include "token.hpp"
#include "token_card_access.hpp"

namespace ias::p11 {

namespace pkcs15 = card::pkcs15;
using card::CardError;
using card::CardErrorKind;
using card::IasCard;

namespace {

constexpr std::uint16_t kTokenInfoFid = 0x5032;
constexpr std::uint16_t kOdfFid = 0x5031;
constexpr std::uint16_t kEfDirFid = 0x2F00;
constexpr std::uint8_t kEfDirSfi = 0x1E;
constexpr std::uint16_t kDefaultAodfFid = 0x7001;
constexpr std::uint16_t kDefaultPrkdfFid = 0x7002;
constexpr std::uint16_t kDefaultCdfFid = 0x7005;
constexpr std::size_t kMaxDirectorySize = 8192;
constexpr std::size_t kMaxCertificateSize = 16384;

std::string hexSerial(ByteView serial) {
    const std::size_t n = std::min<std::size_t>(serial.size(), 8);
    return apdu::toHex(serial.subspan(serial.size() - n));
}

bool isMissingFile(const CardError& e) {
    return e.kind() == CardErrorKind::FileNotFound || e.kind() == CardErrorKind::NotSupported ||
           e.kind() == CardErrorKind::Unexpected;
}

// A PIN descriptor as the record keeps it: the access rule and the try limit, never the
// tries left (live state); parseSdoAccess reads it like the card's answer.
Bytes publicPinDescriptor(const card::SdoAccess& access, std::uint8_t reference) {
    Bytes docp = apdu::encodeTlv(0x8C, access.contactAcl);
    if (access.triesMax) {
        const unsigned max = *access.triesMax;
        Bytes value;
        if (max > 0xFF) value.push_back(static_cast<std::uint8_t>(max >> 8));
        value.push_back(static_cast<std::uint8_t>(max));
        apdu::append(docp, apdu::encodeTlv(0x9A, value));
    }
    const std::uint32_t sdo = 0xBF8100u | (reference & 0x1Fu);
    return apdu::encodeTlv(0x70, apdu::encodeTlv(sdo, apdu::encodeTlv(0xA0, docp)));
}

// The PIN's descriptor from the card: the IAS-ECC SDO (GET DATA BF 81 ref A0). nullopt when
// the card refuses it as unknown (6A88, 6A80, 6A86: the Gemalto IAS card of realcards/
// uruguay_eid_gemalto_ias, whose middleware never asks the SDO): the tries then come from an
// empty VERIFY. `publicForm` gets what the record may keep (no tries left).
std::optional<card::SdoAccess> readPinDescriptor(IasCard& card, std::uint8_t reference, Bytes& publicForm) {
    try {
        card::SdoAccess access = card.readSdoAccess(card::SdoClass::Pin, reference);
        publicForm = publicPinDescriptor(access, reference);
        return access;
    } catch (const CardError& e) {
        if (e.kind() != CardErrorKind::ReferenceNotFound && e.kind() != CardErrorKind::WrongData &&
            e.kind() != CardErrorKind::NotSupported) {
            throw;
        }
        logf(LogLevel::Debug, "PIN descriptor refused (%s): tries by VERIFY", e.what());
    }
    return std::nullopt;
}

// The PIN's tries from a card that does not show its descriptor: an empty VERIFY (ISO 7816-4
// §11.5.6: 63Cx, 90 00 when verified, 69 83 blocked; the Gemalto card of realcards/
// uruguay_eid_gemalto_ias answers its `00 20 00 11 00`, and OpenSC's card-cedulauy.c counts
// its tries so). A card that refuses that too is asked once for Gemalto's PIN information
// (00 CB 00 FF A0 03 83 01 ref: the tries left in DF21), which states no rule nor limit.
card::PinStatus triesWithoutDescriptor(IasCard& card, std::uint8_t reference) {
    try {
        return card.pinStatus(reference);
    } catch (const CardError& e) {
        logf(LogLevel::Debug, "empty VERIFY refused (%s): asking the card's PIN information", e.what());
        const Bytes answer = card.readPinInformation(reference);
        const card::SdoAccess access = card::parseSdoAccess(answer, card::SdoClass::Pin, reference & 0x1F);
        if (!access.triesLeft) throw;
        card::PinStatus status;
        status.triesLeft = *access.triesLeft;
        status.blocked = status.triesLeft == 0;
        return status;
    }
}

// Whether the PKCS#15 files and descriptors of a record parse (a file whose checksum is right
// can still be a crafted one): a record that does not is not used.
bool recordParses(const card::CardRecord& r) {
    try {
        (void)pkcs15::parseTokenInfo(*r.file(0, kTokenInfoFid));
        for (std::size_t a = 0; a < r.applications.size(); ++a) {
            const auto app = static_cast<std::uint8_t>(a);
            pkcs15::Odf odf{kDefaultPrkdfFid, std::nullopt, kDefaultCdfFid, kDefaultAodfFid, std::nullopt};
            if (const Bytes* f = r.file(app, kOdfFid)) odf = pkcs15::parseOdf(*f);
            const Bytes* aodf = odf.aodf ? r.file(app, *odf.aodf) : nullptr;
            const Bytes* prkdf = odf.prkdf ? r.file(app, *odf.prkdf) : nullptr;
            const Bytes* cdf = odf.cdf ? r.file(app, *odf.cdf) : nullptr;
            if (aodf != nullptr) (void)pkcs15::parseAodf(*aodf);
            if (prkdf != nullptr) (void)pkcs15::parsePrkdf(*prkdf);
            if (cdf != nullptr) (void)pkcs15::parseCdf(*cdf);
        }
        for (const auto& [key, answer] : r.descriptors) {
            if (!answer.empty()) (void)card::parseSdoAccess(answer, static_cast<card::SdoClass>(std::get<1>(key)), std::get<2>(key) & 0x1F);
        }
        return true;
    } catch (const CardError&) {
        return false;
    }
}

bool sameEntry(const card::CardRecord& a, const card::CardRecord& b) {
    return a.applications.front() == b.applications.front() && a.sfiReadsWork == b.sfiReadsWork && a.selectFileP2 == b.selectFileP2;
}

}  // namespace

Bytes Token::publicFile(IasCard& card, std::size_t application, std::uint16_t fid, const std::function<Bytes()>& read) {
    const auto app = static_cast<std::uint8_t>(application);
    if (const Bytes* known = record_.file(app, fid)) return *known;
    if (record_.isMissing(app, fid)) throw CardError(CardErrorKind::FileNotFound, apdu::StatusWord(), "file not on the card (cache)");
    ensureApplication(card, application);
    try {
        Bytes content = read();
        record_.files[card::CardRecord::FileKey{app, fid}] = content;
        recordChanged_ = true;
        return content;
    } catch (const CardError& e) {
        if (isMissingFile(e)) {
            record_.missingFiles.emplace_back(app, fid);
            recordChanged_ = true;
        }
        throw;
    }
}

bool Token::adoptCachedRecord(IasCard& card) {
    if (!cache_) return false;
    std::vector<card::CardRecord> records = cache_->recordsFor(record_.atr);
    while (!records.empty()) {
        // One SELECT + READ of TokenInfo per way in (application, SFI use) among the records.
        const card::CardRecord first = records.front();
        Bytes tokenInfo;
        try {
            selectedApplication_.reset();
            selectRules_.fileP2 = first.selectFileP2;
            card.selectApplication(first.applications.front());
            const std::optional<std::uint8_t> sfi = first.sfiReadsWork ? std::optional<std::uint8_t>(kTokenInfoFid & 0x1F) : std::nullopt;
            tokenInfo = card.readFile(kTokenInfoFid, sfi, kMaxDirectorySize);
        } catch (const CardError& e) {
            logf(LogLevel::Debug, "cached card layout does not fit this card (%s)", e.what());
        }
        for (card::CardRecord& r : records) {
            const Bytes* recorded = r.file(0, kTokenInfoFid);
            if (!tokenInfo.empty() && sameEntry(r, first) && recorded != nullptr && *recorded == tokenInfo && recordParses(r)) {
                record_ = std::move(r);
                serial_ = record_.serial;
                applications_.clear();
                for (const Bytes& aid : record_.applications) applications_.push_back(CardApplication{aid, std::nullopt});
                sfiReadsWork_ = record_.sfiReadsWork;
                selectedApplication_ = 0;
                recordChanged_ = false;
                logLine(LogLevel::Debug, "card's public data from the cache");
                return true;
            }
        }
        records.erase(std::remove_if(records.begin(), records.end(), [&](const card::CardRecord& r) { return sameEntry(r, first); }),
                      records.end());
    }
    selectedApplication_.reset();
    selectRules_ = card::SelectRules{};
    return false;
}

void Token::saveRecord() {
    if (!cache_ || !recordChanged_) return;
    recordChanged_ = false;
    // Only a card that names itself in TokenInfo is recorded: two cards with the same
    // TokenInfo could not be told apart at the next first contact.
    if (tokenInfo_.serialNumber.empty() || record_.serial.empty() || record_.applications.empty()) return;
    record_.selectFileP2 = selectRules_.fileP2;
    record_.sfiReadsWork = sfiReadsWork_;
    std::string why;
    if (!cache_->store(record_, why)) logf(LogLevel::Info, "public cache not written: %s", why.c_str());
}

void Token::findApplications(IasCard& card) {
    // First EF.DIR by its SFI 1E (ISO 7816-4 reserves it at MF level; the MF is current after a
    // reset): one READ names the application of a card that has it. Then the ECC Generic PKI
    // application (one SELECT that is also the application's), then EF.DIR by its path from the
    // MF (a card whose EF.DIR has no SFI, or left in another DF by a previous process).
    // Before all these, a card of a family whose ATR names its application
    // (card/layout_hints.cpp) is asked for that application: one SELECT, which the card
    // verifies; a card without it is discovered as any other.
    if (const auto hint = card::layoutHintFor(record_.atr)) {
        const Bytes aid = apdu::fromHex(hint->application);
        try {
            card.selectApplication(aid);
            applications_ = {CardApplication{aid, std::nullopt}};
            selectedApplication_ = 0;
            logf(LogLevel::Debug, "application of the %s layout selected", hint->family);
            return;
        } catch (const CardError& e) {
            if (!isMissingFile(e)) throw;
            logf(LogLevel::Debug, "no application of the %s layout (%s): discovering the card", hint->family, e.what());
        }
    }
    const Bytes genericPki(std::begin(card::kGenericPkiAid), std::end(card::kGenericPkiAid));
    std::vector<Bytes> aids;
    try {
        aids = pkcs15::parseEfDir(card.readFileBySfi(kEfDirSfi, kMaxDirectorySize));
    } catch (const CardError& e) {
        if (!isMissingFile(e) && e.kind() != CardErrorKind::MalformedResponse) throw;
    }
    if (aids.empty()) {
        applications_ = {CardApplication{genericPki, std::nullopt}};
        try {
            ensureApplication(card, 0);
            return;
        } catch (const CardError& e) {
            if (!isMissingFile(e)) throw;
        }
        aids = pkcs15::parseEfDir(card.readFileFromMf(kEfDirFid, kMaxDirectorySize));
    }
    if (aids.empty()) card::malformedResponse("no PKCS#15 application: not the Generic PKI one, none in EF.DIR");
    // The Generic PKI application, when EF.DIR lists it, is the token's (as when it is found by
    // its SELECT); the others keep the card's order.
    std::stable_partition(aids.begin(), aids.end(), [&](const Bytes& aid) { return aid == genericPki; });
    applications_.clear();
    for (Bytes& aid : aids) applications_.push_back(CardApplication{std::move(aid), std::nullopt});
    selectedApplication_.reset();
    ensureApplication(card, 0);
}

Bytes Token::readDirectory(IasCard& card, std::size_t application, std::optional<std::uint16_t> pkcs15::Odf::*field) {
    std::optional<pkcs15::Odf>& odf = applications_[application].odf;
    if (!odf) {
        // The ODF says where the directory files are: cards put them at other FIDs than the
        // Generic PKI defaults (IDEMIA Cosmo v8: the PrKDF at 7001, the AODF's default FID),
        // and a directory file read at a guessed FID would parse as the wrong kind.
        try {
            odf = pkcs15::parseOdf(publicFile(card, application, kOdfFid, [&] {
                return card.readFile(kOdfFid, sfiOf(kOdfFid), kMaxDirectorySize, &sfiReadsWork_);
            }));
        } catch (const CardError& e) {
            if (!isMissingFile(e)) throw;
            logf(LogLevel::Debug, "application %zu has no ODF: Generic PKI default files", application);
            odf = pkcs15::Odf{kDefaultPrkdfFid, std::nullopt, kDefaultCdfFid, kDefaultAodfFid, std::nullopt};
        }
    }
    if (!((*odf).*field)) return {};
    const std::uint16_t fid = *((*odf).*field);
    return publicFile(card, application, fid, [&] { return card.readFile(fid, sfiOf(fid), kMaxDirectorySize); });
}

std::optional<std::uint8_t> Token::sfiOf(std::uint16_t fid) const {
    if (!sfiReadsWork_) return std::nullopt;
    return static_cast<std::uint8_t>(fid & 0x1F);
}

void Token::identifyFromCard(IasCard& card) {
    findApplications(card);
    record_.applications.clear();
    for (const CardApplication& a : applications_) record_.applications.push_back(a.aid);
    bool sfiWorked = false;
    publicFile(card, 0, kTokenInfoFid,
               [&] { return card.readFile(kTokenInfoFid, std::uint8_t{kTokenInfoFid & 0x1F}, kMaxDirectorySize, &sfiWorked); });
    sfiReadsWork_ = sfiWorked;  // cards without SFIs on the PKCS#15 files: SELECT from now on
}

void Token::loadIdentity(IasCard& card) {
    record_.atr = connection_->atr();
    if (adoptCachedRecord(card)) {
        try {
            useIdentity(card);
            return;
        } catch (const CardError& e) {
            // A record that passed its checks but does not make a token: the card decides.
            logf(LogLevel::Info, "cached card data not usable (%s): reading the card", e.what());
            record_ = card::CardRecord{};
            record_.atr = connection_->atr();
            applications_.clear();
            selectedApplication_.reset();
            keyPins_.clear();
            puk_.reset();
            userPinResetRule_.reset();
        }
    }
    identifyFromCard(card);
    useIdentity(card);
}

void Token::useIdentity(IasCard& card) {
    tokenInfo_ = pkcs15::parseTokenInfo(*record_.file(0, kTokenInfoFid));
    // The token's serial: the one TokenInfo states, as OpenSC shows it (pkcs15.c
    // sc_pkcs15_bind_internal takes the card's serial only when TokenInfo has none); else
    // EF.SN's value (a Sagem card's EF.SN is a PAN that OpenSC reads shifted, docs/cards.md).
    // The record is named by it (only cards with a TokenInfo serial are recorded).
    if (tokenInfo_.serialNumber.empty() && record_.serial.empty()) {
        // Only a card whose TokenInfo has no serialNumber needs EF.SN (under the MF, SFI 1C).
        selectedApplication_.reset();
        card.selectMasterFile();
        record_.serial = card.readSerialNumber();
    }
    serial_ = tokenInfo_.serialNumber.empty() ? record_.serial : tokenInfo_.serialNumber;
    if (record_.serial != serial_) {
        record_.serial = serial_;
        recordChanged_ = true;
    }
    const auto pins = pkcs15::parseAodf(readDirectory(card, 0, &pkcs15::Odf::aodf));
    const auto user = std::find_if(pins.begin(), pins.end(), [](const pkcs15::Pin& p) { return !p.isUnblockingPin() && !p.isSoPin(); });
    if (user == pins.end()) card::malformedResponse("AODF without a user PIN");
    userPin_ = *user;
    for (const auto& p : pins) {
        if (p.isUnblockingPin() && p.authId == userPin_.protectedBy) puk_ = p;
        else if (!p.isUnblockingPin() && !p.isSoPin() && p.authId != userPin_.authId) keyPins_.push_back(KeyPin{0, p});
    }
    // The PIN's descriptor: its reset rule and try limit (public: kept in the record, without
    // the tries left) and its try counter (live). With the record, the counter comes from an
    // empty VERIFY: one APDU on every card, where GET DATA is two on a T=0 card (61xx). Cards
    // that do not show the descriptor are asked with an empty VERIFY too.
    card::PinStatus status;
    std::optional<unsigned> maxTries;
    bool counted = false;
    const card::CardRecord::DescriptorKey pinDescriptor{0, static_cast<std::uint8_t>(card::SdoClass::Pin), userPin_.reference};
    ensureApplication(card, 0);
    if (const auto known = record_.descriptors.find(pinDescriptor); known != record_.descriptors.end()) {
        if (!known->second.empty()) {
            const card::SdoAccess access = card::parseSdoAccess(known->second, card::SdoClass::Pin, userPin_.reference & 0x1F);
            if (!access.contactAcl.empty()) userPinResetRule_ = access.scb(card::amb::kPinReset);
            maxTries = access.triesMax;
        }
    } else {
        Bytes recorded;
        try {
            Bytes publicForm;
            if (const auto access = readPinDescriptor(card, userPin_.reference, publicForm)) {
                if (!access->triesLeft) throw CardError(CardErrorKind::MalformedResponse, apdu::StatusWord(), "PIN descriptor without a counter");
                if (!access->contactAcl.empty()) userPinResetRule_ = access->scb(card::amb::kPinReset);
                maxTries = access->triesMax;
                status.triesLeft = *access->triesLeft;
                status.blocked = status.triesLeft == 0;
                counted = true;
                recorded = std::move(publicForm);
            } else {
                // No descriptor: the rule stays unknown (the unblock goes as configured and the
                // card decides), the limit too (at least the tries left, below).
                status = triesWithoutDescriptor(card, userPin_.reference);
                counted = true;
            }
        } catch (const CardError& e) {
            logf(LogLevel::Debug, "PIN descriptor not readable (%s): counter by VERIFY", e.what());
        }
        record_.descriptors.emplace(pinDescriptor, std::move(recorded));
        recordChanged_ = true;
    }
    if (!counted) status = card.pinStatus(userPin_.reference);
    saveRecord();
    std::lock_guard stateLock(stateMutex_);
    if (maxTries && *maxTries > 0) snapshot_.userPin.maxTries = *maxTries;
    // A card that does not state its try limit (Gemalto's PIN information, a card answering
    // only VERIFY) and has more tries left than the default: the limit is at least that.
    if (!status.verified && status.triesLeft > snapshot_.userPin.maxTries) snapshot_.userPin.maxTries = status.triesLeft;
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
    std::vector<Bytes> hidden;  // IDs of keys this interface cannot use, and of their certificates
    for (auto& key : pkcs15::parsePrkdf(readDirectory(card, application, &pkcs15::Odf::prkdf))) {
        // Another application's key whose contact rule allows nothing (the CPx contactless
        // application, docs/cards.md): not shown, nor its certificate. The token's own
        // application is shown as its PrKDF says (no descriptor read for it here).
        if (application > 0 && !usableOverContact(card, application, key.keyReference)) {
            logf(LogLevel::Debug, "application %zu: key %02X is not usable over this interface: not listed", application, key.keyReference);
            hidden.push_back(key.id);
            continue;
        }
        CardContents::KeyPlace place{application, 0};
        for (std::size_t i = 0; i < keyPins_.size(); ++i) {
            if (keyPins_[i].application == application && !key.authId.empty() && keyPins_[i].pin.authId == key.authId) place.pin = i + 1;
        }
        contents.privateKeys.push_back(std::move(key));
        contents.keyPlaces.push_back(place);
    }
    for (auto& info : pkcs15::parseCdf(readDirectory(card, application, &pkcs15::Odf::cdf))) {
        if (std::find(hidden.begin(), hidden.end(), info.id) != hidden.end()) continue;
        CardContents::Cert cert{info, publicFile(card, application, info.fid, [&] { return card.readDerObject(info.fid, kMaxCertificateSize); })};
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
    saveRecord();
    auto built = buildObjects(contents, nextHandle_);
    std::lock_guard stateLock(stateMutex_);
    objects_ = std::move(built);
    objectsLoaded_ = true;
}

}  // namespace ias::p11
