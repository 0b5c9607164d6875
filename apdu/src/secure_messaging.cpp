// SPDX-License-Identifier: Apache-2.0
#include "ias/apdu/secure_messaging.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "ias/apdu/error.hpp"
#include "ias/apdu/tlv.hpp"

namespace ias::apdu {

namespace {

constexpr std::uint8_t kSmClaBits = 0x0C;
constexpr std::size_t kSscSize = 8;
constexpr std::size_t kMacSize = 8;
constexpr std::uint8_t kLeObjectWithoutNe = 0x0E;  // "99 02 SW 8E 08 MAC", as OpenSC sends

[[noreturn]] void smError(const std::string& what) { throw Error(ErrorKind::SecureMessaging, what); }

// ISO 9797-1 method 2, added only when not already block-aligned (reference §8.3).
SecureBytes padForMac(SecureBytes in) {
    if (in.size() % crypto::kDesBlock == 0) return in;
    return crypto::padIso9797m2(in);
}

void appendObject(SecureBytes& out, std::uint8_t tag, ByteView value) {
    out.push_back(tag);
    Bytes len;
    appendLength(len, value.size());
    out.insert(out.end(), len.begin(), len.end());
    out.insert(out.end(), value.begin(), value.end());
}

std::uint8_t leByte(std::size_t ne) { return ne >= 256 ? 0x00 : static_cast<std::uint8_t>(ne); }

SecureBytes sliceSecure(ByteView v, std::size_t off, std::size_t n) {
    return SecureBytes(v.begin() + static_cast<std::ptrdiff_t>(off), v.begin() + static_cast<std::ptrdiff_t>(off + n));
}

}  // namespace

// ---- session ------------------------------------------------------------------------

SmSession::SmSession(SecureBytes encKey, SecureBytes macKey, SecureBytes ssc)
    : enc_(std::move(encKey)), mac_(std::move(macKey)), ssc_(std::move(ssc)), open_(true) {
    if (enc_.size() != crypto::kDes2KeySize || mac_.size() != crypto::kDes2KeySize || ssc_.size() != kSscSize) {
        close();
        throw Error(ErrorKind::Internal, "SM session keys must be 16 bytes and SSC 8 bytes");
    }
}

SmSession::SmSession(SmSession&& other) noexcept
    : enc_(std::move(other.enc_)), mac_(std::move(other.mac_)), ssc_(std::move(other.ssc_)), open_(other.open_) {
    other.close();
}

SmSession& SmSession::operator=(SmSession&& other) noexcept {
    if (this != &other) {
        close();
        enc_ = std::move(other.enc_);
        mac_ = std::move(other.mac_);
        ssc_ = std::move(other.ssc_);
        open_ = other.open_;
        other.close();
    }
    return *this;
}

void SmSession::incrementSsc() {
    for (std::size_t i = ssc_.size(); i-- > 0;) {
        if (++ssc_[i] != 0) break;
    }
}

void SmSession::close() noexcept {
    // SecureBytes wipes on release; clear() alone would keep the bytes, so free them.
    SecureBytes().swap(enc_);
    SecureBytes().swap(mac_);
    SecureBytes().swap(ssc_);
    open_ = false;
}

// ---- establishment ------------------------------------------------------------------

Bytes smSerialFromCardSerial(ByteView serial) {
    Bytes out(8, 0x00);
    const std::size_t n = std::min<std::size_t>(serial.size(), 8);
    std::copy(serial.end() - static_cast<std::ptrdiff_t>(n), serial.end(), out.end() - static_cast<std::ptrdiff_t>(n));
    return out;
}

SmSession deriveSmSession(ByteView kIfd, ByteView kIcc, ByteView rndIcc, ByteView rndIfd, SmKeyDerivation derivation) {
    if (kIfd.size() != 32 || kIcc.size() != 32 || rndIcc.size() != 8 || rndIfd.size() != 8) {
        throw Error(ErrorKind::Internal, "SM key derivation: bad input sizes");
    }
    SecureBytes x(36);
    for (std::size_t i = 0; i < 32; ++i) x[i] = kIfd[i] ^ kIcc[i];
    auto derive = [&](std::uint8_t counter) {
        x[35] = counter;
        Bytes d = derivation == SmKeyDerivation::Sha1 ? crypto::sha1(x) : crypto::sha256(x);
        SecureBytes key(d.begin(), d.begin() + crypto::kDes2KeySize);
        wipeMemory(d.data(), d.size());
        return key;
    };
    SecureBytes enc = derive(1);
    SecureBytes mac = derive(2);
    SecureBytes ssc = sliceSecure(rndIcc, 4, 4);
    ssc.insert(ssc.end(), rndIfd.begin() + 4, rndIfd.end());
    return SmSession(std::move(enc), std::move(mac), std::move(ssc));
}

MutualAuthentication::MutualAuthentication(SmParameters params)
    : MutualAuthentication(std::move(params), crypto::randomBytes(8), crypto::randomBytes(32)) {}

MutualAuthentication::MutualAuthentication(SmParameters params, ByteView rndIfd, ByteView kIfd)
    : params_(std::move(params)), rndIfd_(secureCopy(rndIfd)), kIfd_(secureCopy(kIfd)) {
    if (params_.keys.enc.size() != crypto::kDes2KeySize || params_.keys.mac.size() != crypto::kDes2KeySize ||
        params_.snIfd.size() != 8 || params_.snIcc.size() != 8 || rndIfd_.size() != 8 || kIfd_.size() != 32) {
        throw Error(ErrorKind::Internal, "mutual authentication: bad key, serial or nonce size");
    }
}

CommandApdu MutualAuthentication::command(ByteView rndIcc) {
    if (rndIcc.size() != 8) smError("card challenge must be 8 bytes");
    rndIcc_ = secureCopy(rndIcc);
    SecureBytes s = rndIfd_;
    append(s, params_.snIfd);
    append(s, rndIcc_);
    append(s, params_.snIcc);
    append(s, kIfd_);
    const SecureBytes e = crypto::des3CbcEncrypt(params_.keys.enc, s);
    const Bytes m = crypto::retailMac(params_.keys.mac, crypto::padIso9797m2(e), params_.mac);
    CommandApdu c;
    c.ins = 0x82;
    c.data = e;
    append(c.data, m);
    c.ne = 0x48;
    c.sensitive = true;
    return c;
}

SmSession MutualAuthentication::finish(const ResponseApdu& answer) {
    if (rndIcc_.empty()) throw Error(ErrorKind::Internal, "mutual authentication: command() not called");
    if (!answer.isSuccess()) smError("MUTUAL AUTHENTICATE refused: " + answer.sw.describe());
    if (answer.data.size() != 0x48) smError("MUTUAL AUTHENTICATE answer is not 72 bytes");
    const ByteView data(answer.data);
    const ByteView e = data.first(64);
    const Bytes expected = crypto::retailMac(params_.keys.mac, crypto::padIso9797m2(e), params_.mac);
    if (!constantTimeEqual(expected, data.subspan(64, kMacSize))) smError("MUTUAL AUTHENTICATE: card MAC mismatch");
    const SecureBytes s = crypto::des3CbcDecrypt(params_.keys.enc, e);
    const ByteView sv(s);
    if (!constantTimeEqual(sv.first(8), rndIcc_) || !constantTimeEqual(sv.subspan(8, 8), params_.snIcc) ||
        !constantTimeEqual(sv.subspan(16, 8), rndIfd_) || !constantTimeEqual(sv.subspan(24, 8), params_.snIfd)) {
        smError("MUTUAL AUTHENTICATE: card cryptogram does not match this exchange");
    }
    return deriveSmSession(kIfd_, sv.subspan(32, 32), rndIcc_, rndIfd_, params_.derivation);
}

SmSession establishSmSession(CardChannel& plain, SmParameters params) {
    MutualAuthentication auth(std::move(params));
    CommandApdu challenge;
    challenge.ins = 0x84;
    challenge.ne = 8;
    const ResponseApdu rnd = plain.transmit(challenge);
    if (!rnd.isSuccess() || rnd.data.size() != 8) smError("GET CHALLENGE failed: " + rnd.sw.describe());
    return auth.finish(plain.transmit(auth.command(rnd.data)));
}

// ---- the channel --------------------------------------------------------------------

SecureMessagingChannel::SecureMessagingChannel(CardChannel& inner, SmSession session, SmOptions options)
    : inner_(inner), session_(std::move(session)), options_(options) {
    if (options_.maxPlainChunk == 0 || options_.maxPlainChunk > 0xE0) {
        throw Error(ErrorKind::Internal, "SM chunk size must be 1..224");
    }
}

void SecureMessagingChannel::fail(const char* what) {
    session_.close();
    smError(std::string("secure messaging: ") + what + "; session closed");
}

CommandApdu SecureMessagingChannel::wrap(const CommandApdu& plain) {
    if (!session_.isOpen()) smError("secure messaging session is not open");
    if ((plain.cla & kSmClaBits) != 0 || (plain.cla & 0x80) != 0) fail("class byte cannot carry SM");
    if (plain.ne > CommandApdu::kMaxShortNe) fail("Ne above 256 under SM");
    session_.incrementSsc();

    const std::uint8_t cla = static_cast<std::uint8_t>(plain.cla | kSmClaBits);
    const bool odd = (plain.ins & 0x01) != 0;
    SecureBytes objects;
    if (!plain.data.empty() || options_.alwaysDataObject) {
        SecureBytes value;
        if (!odd) value.push_back(0x01);
        append(value, crypto::des3CbcEncrypt(session_.encKey(), crypto::padIso9797m2(plain.data)));
        appendObject(objects, odd ? 0x85 : 0x87, value);
    }
    std::uint8_t le = 0;
    const bool withLe = plain.ne != 0 || options_.alwaysLeObject;
    if (withLe) {
        le = plain.ne != 0 ? leByte(plain.ne) : kLeObjectWithoutNe;
        const std::uint8_t v[1] = {le};
        appendObject(objects, 0x97, v);
    }

    SecureBytes macInput = session_.ssc();
    const std::uint8_t header[8] = {cla, plain.ins, plain.p1, plain.p2, 0x80, 0x00, 0x00, 0x00};
    append(macInput, header);
    append(macInput, objects);
    const Bytes mac = crypto::retailMac(session_.macKey(), padForMac(std::move(macInput)), options_.mac);

    CommandApdu out;
    out.cla = cla;
    out.ins = plain.ins;
    out.p1 = plain.p1;
    out.p2 = plain.p2;
    out.data = std::move(objects);
    appendObject(out.data, 0x8E, mac);
    if (out.data.size() > CommandApdu::kMaxShortLc) fail("wrapped command longer than 255 bytes");
    out.ne = options_.alwaysLeObject ? (le == 0 ? 256 : le) : 256;
    out.sensitive = plain.sensitive;
    session_.incrementSsc();  // the response's value (reference §8.3)
    return out;
}

ResponseApdu SecureMessagingChannel::unwrap(const ResponseApdu& wrapped) {
    if (!session_.isOpen()) smError("secure messaging session is not open");
    if (wrapped.data.empty()) fail("card answered without SM objects");
    std::vector<Tlv> objects;
    try {
        objects = TlvParser::parseAll(wrapped.data);
    } catch (const Error&) {
        fail("malformed SM response objects");
    }
    const Tlv* cryptogram = nullptr;
    const Tlv* status = nullptr;
    const Tlv* mac = nullptr;
    for (const Tlv& t : objects) {
        const bool expectedHere = mac == nullptr && (t.tag == 0x99 ? status == nullptr
                                                      : t.tag == 0x8E ? status != nullptr
                                                      : (t.tag == 0x87 || t.tag == 0x85) && cryptogram == nullptr &&
                                                            status == nullptr);
        if (!expectedHere) fail("unexpected or misplaced SM response object");
        if (t.tag == 0x99) status = &t;
        else if (t.tag == 0x8E) mac = &t;
        else cryptogram = &t;
    }
    if (status == nullptr || status->value.size() != 2) fail("missing or bad status object 99");
    if (mac == nullptr || mac->value.size() != kMacSize) fail("missing or bad MAC object 8E");

    SecureBytes macInput = session_.ssc();
    if (cryptogram != nullptr) append(macInput, cryptogram->raw);
    append(macInput, status->raw);
    const Bytes expected = crypto::retailMac(session_.macKey(), padForMac(std::move(macInput)), options_.mac);
    if (!constantTimeEqual(expected, mac->value)) fail("response MAC mismatch");

    ResponseApdu out;
    out.sw = StatusWord(status->value[0], status->value[1]);
    if (!wrapped.isSuccess() && wrapped.sw != out.sw) fail("outer status word contradicts the protected one");
    if (cryptogram != nullptr) {
        ByteView enc = cryptogram->value;
        if (cryptogram->tag == 0x87) {
            if (enc.empty() || enc[0] != 0x01) fail("unknown padding indicator in 87");
            enc = enc.subspan(1);
        }
        if (enc.empty() || enc.size() % crypto::kDesBlock != 0) fail("cryptogram is not whole 3DES blocks");
        try {
            out.data = crypto::unpadIso9797m2(crypto::des3CbcDecrypt(session_.encKey(), enc));
        } catch (const Error&) {
            fail("bad padding in the response cryptogram");
        }
    }
    return out;
}

ResponseApdu SecureMessagingChannel::exchange(const CommandApdu& part) {
    CommandApdu wrapped = wrap(part);
    ResponseApdu answer;
    try {
        answer = inner_.transmit(wrapped);
    } catch (...) {
        session_.close();  // the counters can no longer be trusted
        throw;
    }
    return unwrap(answer);
}

ResponseApdu SecureMessagingChannel::transmit(const CommandApdu& command) {
    if (!session_.isOpen()) smError("secure messaging session is not open");
    if (command.data.size() <= options_.maxPlainChunk) return exchange(command);
    const std::vector<CommandApdu> parts = command.chained(options_.maxPlainChunk);
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        ResponseApdu r = exchange(parts[i]);
        if (!r.isSuccess()) return r;
        if (!r.data.empty()) fail("data in the answer to a chained part");
    }
    return exchange(parts.back());
}

}  // namespace ias::apdu
