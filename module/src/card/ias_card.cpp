// SPDX-License-Identifier: Apache-2.0
#include "ias_card.hpp"

#include <algorithm>

#include "ias/apdu/instructions.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/tlv.hpp"

namespace ias::card {

using apdu::CommandApdu;
using apdu::ResponseApdu;
using apdu::StatusWord;

namespace {

constexpr std::size_t kReadChunk = 256;

// Le of a signature command: 00 (up to 256 bytes) whatever the key size, as the real cards
// are sent (an ECDSA P-384 INTERNAL AUTHENTICATE with Le=00, realcards/esteid2018_idemia);
// the length is checked on the answer.
std::size_t signatureLe(std::size_t signatureSize) { return std::max<std::size_t>(signatureSize, 256); }

CommandApdu command(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, ByteView data = {}, std::size_t ne = 0) {
    CommandApdu c;
    c.ins = ins;
    c.p1 = p1;
    c.p2 = p2;
    c.data.assign(data.begin(), data.end());
    c.ne = ne;
    return c;
}

Bytes plain(const SecureBytes& s) { return Bytes(s.begin(), s.end()); }

// Total length of a DER object from its first bytes, if they hold a complete header.
std::optional<std::size_t> derTotalLength(ByteView head) {
    if (head.size() < 2 || head[0] != 0x30) return std::nullopt;
    const std::uint8_t l = head[1];
    if (l < 0x80) return 2u + l;
    const std::size_t n = l & 0x7F;
    if (n == 0 || n > 3 || head.size() < 2 + n) return std::nullopt;
    std::size_t len = 0;
    for (std::size_t i = 0; i < n; ++i) len = len << 8 | head[2 + i];
    return 2 + n + len;
}

}  // namespace

SecureBytes encodePin(ByteView pin, const PinEncoding& encoding) {
    // Padded PINs: a PIN ending in the padding character ("4711" + NUL with NUL padding) or
    // longer than the field would reach the card as the real PIN (or shift CHANGE REFERENCE
    // DATA's old/new split). It cannot be the card's PIN: refused without sending it.
    if (encoding.padTo > 0 && (pin.size() > encoding.padTo || (!pin.empty() && pin.back() == encoding.padChar))) {
        throw CardError(CardErrorKind::PinIncorrect, StatusWord(), "PIN not encodable in the card's padded format");
    }
    SecureBytes out(pin.begin(), pin.end());
    if (encoding.padTo > out.size()) out.resize(encoding.padTo, encoding.padChar);
    return out;
}

ResponseApdu IasCard::send(const CommandApdu& c) { return channel_.transmit(c); }

ResponseApdu IasCard::sendExpectingSuccess(const CommandApdu& c, const char* operation) {
    ResponseApdu r = send(c);
    expectSuccess(r, operation);
    return r;
}

void IasCard::selectMasterFile() {
    const std::uint8_t mf[] = {0x3F, 0x00};
    sendExpectingSuccess(command(apdu::ins::kSelect, 0x00, 0x0C, mf), "SELECT MF");
}

void IasCard::selectApplication(ByteView aid) {
    sendExpectingSuccess(command(apdu::ins::kSelect, 0x04, 0x0C, aid), "SELECT application");
}


void IasCard::selectFileFromMf(std::uint16_t fid) {
    // P1=08: the path from the MF without it (realcards/uruguay_eid_gemalto_ias: 00 A4 08 04 02 00 01).
    // One try with the P2 known so far (a 6A86 here may refuse the path form as well as P2=0C).
    const std::uint8_t path[] = {static_cast<std::uint8_t>(fid >> 8), static_cast<std::uint8_t>(fid)};
    const ResponseApdu r = send(command(apdu::ins::kSelect, 0x08, rules_.fileP2, path, rules_.fileP2 == 0x0C ? 0 : 256));
    if (r.sw.isSuccess()) return;
    if (const CardErrorKind kind = classify(r.sw); kind != CardErrorKind::NotSupported && kind != CardErrorKind::Unexpected) {
        expectSuccess(r, "SELECT file by path");
    }
    selectMasterFile();
    selectFile(fid);
}

void IasCard::selectFile(std::uint16_t fid) {
    const std::uint8_t f[] = {static_cast<std::uint8_t>(fid >> 8), static_cast<std::uint8_t>(fid)};
    ResponseApdu r = send(command(apdu::ins::kSelect, 0x02, rules_.fileP2, f, rules_.fileP2 == 0x0C ? 0 : 256));
    if (rules_.fileP2 == 0x0C && r.sw.value() == StatusWord::kIncorrectP1P2) {
        // Cards that always answer with the FCP (CPx: P2=04 for file identifiers).
        rules_.fileP2 = 0x04;
        r = send(command(apdu::ins::kSelect, 0x02, rules_.fileP2, f, 256));
    }
    expectSuccess(r, "SELECT file");
}

Bytes IasCard::readBinary(std::uint16_t offset, std::size_t ne) {
    if (offset > 0x7FFF) throw CardError(CardErrorKind::WrongData, StatusWord(), "READ BINARY offset");
    const ResponseApdu r = send(command(apdu::ins::kReadBinary, static_cast<std::uint8_t>(offset >> 8),
                                        static_cast<std::uint8_t>(offset), {}, ne));
    if (r.sw.isSuccess() || r.sw.value() == StatusWord::kEndOfFile) return plain(r.data);
    if (r.sw.value() == StatusWord::kWrongP1P2) return {};  // offset beyond the end
    expectSuccess(r, "READ BINARY");
    return {};
}

Bytes IasCard::readBinarySfi(std::uint8_t sfi, std::size_t ne) {
    const ResponseApdu r = send(command(apdu::ins::kReadBinary, static_cast<std::uint8_t>(0x80 | sfi), 0x00, {}, ne));
    if (r.sw.isSuccess() || r.sw.value() == StatusWord::kEndOfFile) return plain(r.data);
    expectSuccess(r, "READ BINARY (SFI)");
    return {};
}

Bytes IasCard::readFile(std::uint16_t fid, std::optional<std::uint8_t> sfi, std::size_t maxSize, bool* sfiWorked) {
    Bytes out;
    bool selected = false;
    if (sfi) {
        try {
            out = readBinarySfi(*sfi, kReadChunk);
            selected = true;
        } catch (const CardError& e) {
            if (e.kind() != CardErrorKind::FileNotFound && e.kind() != CardErrorKind::NotSupported &&
                e.kind() != CardErrorKind::Unexpected) {
                throw;
            }
        }
    }
    if (sfiWorked) *sfiWorked = selected;
    if (!selected) {
        selectFile(fid);
        out = readBinary(0, kReadChunk);
    }
    readRest(out, maxSize);
    return out;
}

Bytes IasCard::readFileFromMf(std::uint16_t fid, std::size_t maxSize) {
    selectFileFromMf(fid);
    Bytes out = readBinary(0, kReadChunk);
    readRest(out, maxSize);
    return out;
}

Bytes IasCard::readFileBySfi(std::uint8_t sfi, std::size_t maxSize) {
    Bytes out = readBinarySfi(sfi, kReadChunk);
    readRest(out, maxSize);
    return out;
}

Bytes IasCard::readDerObject(std::uint16_t fid, std::size_t maxSize) {
    selectFile(fid);
    Bytes out = readBinary(0, kReadChunk);
    const std::optional<std::size_t> total = derTotalLength(out);
    if (!total || *total > maxSize) malformedResponse("EF does not hold one DER object of a sane size");
    while (out.size() < *total) {
        const Bytes more = readBinary(static_cast<std::uint16_t>(out.size()), std::min(kReadChunk, *total - out.size()));
        if (more.empty()) malformedResponse("EF shorter than its DER length");
        apdu::append(out, more);
    }
    out.resize(*total);
    return out;
}

void IasCard::readRest(Bytes& out, std::size_t maxSize) {
    // A full chunk means there may be more: continue by offset on the (now current) EF.
    for (std::size_t last = out.size(); last == kReadChunk;) {
        if (out.size() >= maxSize) malformedResponse("file larger than allowed");
        const Bytes more = readBinary(static_cast<std::uint16_t>(out.size()), kReadChunk);
        last = more.size();
        apdu::append(out, more);
    }
}

Bytes IasCard::readSerialNumber() {
    const Bytes raw = readBinarySfi(kSerialNumberSfi, 0xC0);
    try {
        std::size_t used = 0;
        const apdu::Tlv t = apdu::TlvParser::parseOne(raw, used);
        if (t.tag != 0x5A || t.value.empty()) malformedResponse("EF.SN without tag 5A");
        return Bytes(t.value.begin(), t.value.end());
    } catch (const apdu::Error&) {
        malformedResponse("EF.SN is not BER-TLV");
    }
}

PinStatus IasCard::pinStatus(std::uint8_t pinRef) {
    const ResponseApdu r = send(command(apdu::ins::kVerify, 0x00, pinRef));
    PinStatus s;
    if (r.sw.isSuccess()) {
        s.verified = true;
        return s;
    }
    if (auto tries = r.sw.triesLeft()) {
        s.triesLeft = *tries;
        s.blocked = *tries == 0;
        return s;
    }
    expectSuccess(r, "VERIFY (status)");
    return s;
}

void IasCard::verifyPin(std::uint8_t pinRef, ByteView pin, const PinEncoding& encoding) {
    // An empty VERIFY reads the counter: never send one as a login.
    if (pin.empty()) throw CardError(CardErrorKind::WrongLength, StatusWord(), "VERIFY with an empty PIN");
    CommandApdu c = command(apdu::ins::kVerify, 0x00, pinRef);
    c.data = encodePin(pin, encoding);
    c.sensitive = true;
    sendExpectingSuccess(c, "VERIFY");
}

void IasCard::changePin(std::uint8_t pinRef, ByteView oldPin, ByteView newPin, const PinEncoding& encoding) {
    if (oldPin.empty() || newPin.empty()) throw CardError(CardErrorKind::WrongLength, StatusWord(), "CHANGE REFERENCE DATA");
    CommandApdu c = command(apdu::ins::kChangeReferenceData, 0x00, pinRef);
    c.data = encodePin(oldPin, encoding);
    const SecureBytes n = encodePin(newPin, encoding);
    c.data.insert(c.data.end(), n.begin(), n.end());
    c.sensitive = true;
    sendExpectingSuccess(c, "CHANGE REFERENCE DATA");
}

void IasCard::resetRetryCounter(std::uint8_t pinRef, ByteView newPin, const PinEncoding& encoding) {
    if (newPin.empty()) throw CardError(CardErrorKind::WrongLength, StatusWord(), "RESET RETRY COUNTER");
    CommandApdu c = command(apdu::ins::kResetRetryCounter, 0x02, pinRef);
    c.data = encodePin(newPin, encoding);
    c.sensitive = true;
    sendExpectingSuccess(c, "RESET RETRY COUNTER");
}

void IasCard::setSecurityEnvironment(Crt crt, std::uint8_t keyRef, std::uint8_t algRef) {
    // Algorithm first, then the key: the order of the IDEMIA and Gemalto middlewares
    // (realcards/esteid2018_idemia, lateid_idemia_v2, uruguay_eid_gemalto_ias traces).
    const std::uint8_t data[] = {0x80, 0x01, algRef, 0x84, 0x01, keyRef};
    sendExpectingSuccess(command(apdu::ins::kManageSecurityEnvironment, 0x41, static_cast<std::uint8_t>(crt), data),
                         "MSE SET");
}

Bytes IasCard::internalAuthenticate(ByteView input, std::size_t signatureSize) {
    const ResponseApdu r = sendExpectingSuccess(command(apdu::ins::kInternalAuthenticate, 0x00, 0x00, input, signatureLe(signatureSize)),
                                                "INTERNAL AUTHENTICATE");
    return signatureFrom(r, signatureSize, "INTERNAL AUTHENTICATE");
}

Bytes IasCard::signatureFrom(const ResponseApdu& r, std::size_t signatureSize, const char* operation) {
    if (r.data.empty() || r.data.size() > signatureSize) malformedResponse(operation);
    Bytes sig(signatureSize - r.data.size(), 0x00);  // left-pad a short signature
    apdu::append(sig, r.data);
    return sig;
}

Bytes IasCard::computeSignatureOverHash(ByteView hash, std::size_t signatureSize) {
    const ResponseApdu r = sendExpectingSuccess(
        command(apdu::ins::kPerformSecurityOperation, 0x9E, 0x9A, hash, signatureLe(signatureSize)), "PSO COMPUTE DIGITAL SIGNATURE");
    return signatureFrom(r, signatureSize, "PSO COMPUTE DIGITAL SIGNATURE");
}

void IasCard::hashForSignature(ByteView hash) {
    sendExpectingSuccess(command(apdu::ins::kPerformSecurityOperation, 0x90, 0xA0, apdu::encodeTlv(0x90, hash)), "PSO HASH");
}

Bytes IasCard::computeSignatureOverCardHash(std::size_t signatureSize) {
    const ResponseApdu r = sendExpectingSuccess(
        command(apdu::ins::kPerformSecurityOperation, 0x9E, 0x9A, {}, signatureLe(signatureSize)), "PSO COMPUTE DIGITAL SIGNATURE");
    return signatureFrom(r, signatureSize, "PSO COMPUTE DIGITAL SIGNATURE");
}

SdoAccess IasCard::readSdoAccess(SdoClass cls, std::uint8_t ref) { return parseSdoAccess(readSdoAnswer(cls, ref), cls, ref & 0x1F); }

Bytes IasCard::readSdoAnswer(SdoClass cls, std::uint8_t ref) {
    // 4D { 70 { BF cls|80 ref { A0 } } } with OpenSC's trailing 80 (a zero-length A0 request),
    // byte for byte what the Cosmo v8 traces show (realcards/esteid2018_idemia).
    const std::uint8_t r = ref & 0x1F;
    const std::uint8_t data[] = {0x4D, 0x08, 0x70, 0x06, 0xBF, static_cast<std::uint8_t>(static_cast<std::uint8_t>(cls) | 0x80), r, 0x02, 0xA0, 0x80};
    const ResponseApdu answer = sendExpectingSuccess(command(apdu::ins::kGetData, 0x3F, 0xFF, data, 256), "GET DATA (SDO)");
    return plain(answer.data);
}

Bytes IasCard::readPinInformation(std::uint8_t pinRef) {
    const std::uint8_t data[] = {0xA0, 0x03, 0x83, 0x01, pinRef};
    const ResponseApdu answer = sendExpectingSuccess(command(apdu::ins::kGetData, 0x00, 0xFF, data), "GET DATA (PIN information)");
    return plain(answer.data);
}

SecureBytes IasCard::decipher(ByteView cryptogram) {
    CommandApdu c = command(apdu::ins::kPerformSecurityOperation, 0x80, 0x86, {}, 256);
    c.data.reserve(cryptogram.size() + 1);
    c.data.push_back(0x81);
    c.data.insert(c.data.end(), cryptogram.begin(), cryptogram.end());
    ResponseApdu r = sendExpectingSuccess(c, "PSO DECIPHER");
    return std::move(r.data);
}

Bytes IasCard::getChallenge(std::size_t length) {
    const ResponseApdu r = sendExpectingSuccess(command(apdu::ins::kGetChallenge, 0x00, 0x00, {}, length), "GET CHALLENGE");
    if (r.data.size() != length) malformedResponse("GET CHALLENGE length");
    return plain(r.data);
}

void IasCard::setExternalAuthenticationKey(std::uint8_t keysetRef) {
    const std::uint8_t data[] = {0x80, 0x01, 0x1C, 0x83, 0x01, keysetRef};
    sendExpectingSuccess(command(apdu::ins::kManageSecurityEnvironment, 0x81, 0xA4, data), "MSE SET (external authentication)");
}

void IasCard::externalAuthenticate(ByteView cryptogram) {
    CommandApdu c = command(apdu::ins::kExternalAuthenticate, 0x00, 0x00, cryptogram);
    c.sensitive = true;
    sendExpectingSuccess(c, "EXTERNAL AUTHENTICATE");
}

}  // namespace ias::card
