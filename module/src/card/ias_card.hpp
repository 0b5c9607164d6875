// SPDX-License-Identifier: Apache-2.0
// IasCard: the IAS-ECC card application as typed operations ("verify PIN", "sign with key
// 0x81", "reset retry counter"). Each method sends the commands of IAS-ECC-reference.md
// over a CardChannel (normally IsoChannel -> TracingChannel -> PcscChannel, inside one PC/SC
// transaction owned by the caller). No PKCS#11 types here; failures are CardError.
#pragma once

#include <cstdint>
#include <optional>

#include "card_error.hpp"
#include "sdo_access.hpp"
#include "ias/apdu/bytes.hpp"
#include "ias/apdu/channel.hpp"
#include "ias/apdu/command.hpp"

namespace ias::card {

using apdu::Bytes;
using apdu::ByteView;
using apdu::SecureBytes;

// The ECC Generic PKI application (IAS-ECC-reference §3.1).
inline constexpr std::uint8_t kGenericPkiAid[] = {0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xD2, 0x50,
                                                  0x47, 0x65, 0x6E, 0x65, 0x72, 0x69, 0x63};
inline constexpr std::uint8_t kSerialNumberSfi = 0x1C;

struct PinStatus {
    bool verified = false;
    bool blocked = false;
    unsigned triesLeft = 0;  // meaningful when !verified && !blocked
};

// How PIN bytes are put in VERIFY / CHANGE / RESET (IAS-ECC-reference §6.2).
struct PinEncoding {
    std::size_t padTo = 0;       // 0 = no padding (ASCII as typed)
    std::uint8_t padChar = 0xFF;
};

// Control reference templates of MSE SET (P2).
enum class Crt : std::uint8_t {
    Authentication = 0xA4,         // INTERNAL AUTHENTICATE
    DigitalSignature = 0xB6,       // PSO COMPUTE DIGITAL SIGNATURE
    Confidentiality = 0xB8,        // PSO DECIPHER
};

// What the module learned about this card's command rules, kept by the token between
// transactions: a card that answers 6A86 to SELECT with P2=0C (no FCP wanted) gets P2=04.
struct SelectRules {
    std::uint8_t fileP2 = 0x0C;
};

class IasCard {
public:
    explicit IasCard(apdu::CardChannel& channel) : channel_(channel), rules_(ownRules_) {}
    IasCard(apdu::CardChannel& channel, SelectRules& rules) : channel_(channel), rules_(rules) {}

    // --- files ---
    void selectMasterFile();
    void selectApplication(ByteView aid);
    void selectFile(std::uint16_t fid);
    // The EF or DF `fid` under the MF, from any DF: one SELECT by path (P1=08); a card that
    // refuses that form gets SELECT MF + SELECT fid.
    void selectFileFromMf(std::uint16_t fid);
    // One READ BINARY of the current EF (offset < 0x8000). Returns fewer bytes at EOF.
    Bytes readBinary(std::uint16_t offset, std::size_t ne);
    // READ BINARY of the EF with short file identifier `sfi` in the current DF (offset 0).
    Bytes readBinarySfi(std::uint8_t sfi, std::size_t ne);
    // Whole EF: first chunk by SFI when `sfi` is given (falls back to SELECT when the card
    // refuses), else by SELECT; then chunks until a short read or the end of the file.
    // `sfiWorked` (optional) tells whether the SFI read was accepted.
    Bytes readFile(std::uint16_t fid, std::optional<std::uint8_t> sfi, std::size_t maxSize, bool* sfiWorked = nullptr);
    // Whole EF by its short EF identifier in the current DF (the read makes it the current EF,
    // the rest follows by offset); throws CardError when the card refuses the SFI.
    Bytes readFileBySfi(std::uint8_t sfi, std::size_t maxSize);
    // Whole EF `fid` under the MF (selectFileFromMf, then READ BINARY by offset).
    Bytes readFileFromMf(std::uint16_t fid, std::size_t maxSize);
    // An EF holding one DER object (a certificate): read exactly to its encoded length.
    Bytes readDerObject(std::uint16_t fid, std::size_t maxSize);
    // EF.SN under the MF via SFI 1C: the value of tag 5A.
    Bytes readSerialNumber();

    // --- security data objects ---
    // GET DATA of the object's descriptor (00 CB 3F FF ... BF cls ref A0): access rules and
    // try counters. Throws CardError (e.g. SecurityStatusNotSatisfied, FileNotFound) when
    // the card does not give it.
    SdoAccess readSdoAccess(SdoClass cls, std::uint8_t ref);
    // The same GET DATA, its answer as the card gave it (for the public cache: key
    // descriptors; parse it with parseSdoAccess).
    Bytes readSdoAnswer(SdoClass cls, std::uint8_t ref);
    // Gemalto IAS PIN information, for cards that refuse the PIN's SDO: GET DATA 00 CB 00 FF
    // with A0 03 83 01 <VERIFY P2>, no Le, as the Gemalto middleware sends it
    // (realcards/uruguay_eid_gemalto_ias). The answer parses with parseSdoAccess.
    Bytes readPinInformation(std::uint8_t pinRef);

    // --- PINs ---
    PinStatus pinStatus(std::uint8_t pinRef);
    void verifyPin(std::uint8_t pinRef, ByteView pin, const PinEncoding& encoding);
    void changePin(std::uint8_t pinRef, ByteView oldPin, ByteView newPin, const PinEncoding& encoding);
    // RESET RETRY COUNTER P1=02 (new PIN only; PUK or external authentication done before).
    void resetRetryCounter(std::uint8_t pinRef, ByteView newPin, const PinEncoding& encoding);

    // --- keys ---
    void setSecurityEnvironment(Crt crt, std::uint8_t keyRef, std::uint8_t algRef);
    // INTERNAL AUTHENTICATE: the card applies PKCS#1 v1.5 type-1 padding to `input`.
    Bytes internalAuthenticate(ByteView input, std::size_t signatureSize);
    // PSO COMPUTE DIGITAL SIGNATURE with the complete hash in the data field (after MSE SET DST).
    Bytes computeSignatureOverHash(ByteView hash, std::size_t signatureSize);
    // PSO HASH 00 2A 90 A0 with the final hash (tag 90): the card keeps it for PSO CDS,
    // which builds the DigestInfo of the DST algorithm and signs it.
    void hashForSignature(ByteView hash);
    // PSO COMPUTE DIGITAL SIGNATURE without data, over the hash given by hashForSignature.
    Bytes computeSignatureOverCardHash(std::size_t signatureSize);
    // PSO DECIPHER (padding indicator 81); the card removes PKCS#1 v1.5 type-2 padding.
    SecureBytes decipher(ByteView cryptogram);

    // --- role authentication (unblock) ---
    Bytes getChallenge(std::size_t length = 8);
    void setExternalAuthenticationKey(std::uint8_t keysetRef);
    void externalAuthenticate(ByteView cryptogram);

private:
    void readRest(Bytes& out, std::size_t maxSize);
    apdu::ResponseApdu send(const apdu::CommandApdu& command);
    apdu::ResponseApdu sendExpectingSuccess(const apdu::CommandApdu& command, const char* operation);

    Bytes signatureFrom(const apdu::ResponseApdu& r, std::size_t signatureSize, const char* operation);

    apdu::CardChannel& channel_;
    SelectRules ownRules_;
    SelectRules& rules_;
};

// PIN bytes as sent to the card (padding applied). Secret: wiping buffer.
SecureBytes encodePin(ByteView pin, const PinEncoding& encoding);

}  // namespace ias::card
