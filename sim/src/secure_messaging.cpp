// SPDX-License-Identifier: Apache-2.0
#include "ias/sim/secure_messaging.hpp"

#include "ias/apdu/error.hpp"
#include "ias/apdu/tlv.hpp"

namespace ias::sim {

namespace crypto = apdu::crypto;
using apdu::CommandApdu;
using apdu::ResponseApdu;

namespace {

[[noreturn]] void smError(const char* what) { throw apdu::Error(apdu::ErrorKind::SecureMessaging, what); }

constexpr std::uint32_t kTagEncryptedOddIns = 0x85;
constexpr std::uint32_t kTagPlainData = 0x81;
constexpr std::uint32_t kTagEncrypted = 0x87;
constexpr std::uint32_t kTagLe = 0x97;
constexpr std::uint32_t kTagStatus = 0x99;
constexpr std::uint32_t kTagMac = 0x8E;
constexpr std::uint8_t kPaddingIndicator = 0x01;

// MAC input padding (§8.3): ISO 9797-1 method 2 only when not already a multiple of 8.
SecureBytes padForMac(ByteView input) {
    if (!input.empty() && input.size() % crypto::kDesBlock == 0) return apdu::secureCopy(input);
    return crypto::padIso9797m2(input);
}

}  // namespace

SecureBytes deriveSessionKey(ByteView kIfd, ByteView kIcc, std::uint8_t counter, bool sha256) {
    if (kIfd.size() != 32 || kIcc.size() != 32) smError("key halves must be 32 bytes");
    SecureBytes x(32);
    for (std::size_t i = 0; i < 32; ++i) x[i] = kIfd[i] ^ kIcc[i];
    x.insert(x.end(), {0x00, 0x00, 0x00, counter});
    const Bytes digest = sha256 ? crypto::sha256(x) : crypto::sha1(x);
    SecureBytes key(digest.begin(), digest.begin() + 16);
    return key;
}

SmSession::SmSession(ByteView kIfd, ByteView kIcc, ByteView rndIcc, ByteView rndIfd, bool sha256,
                     crypto::MacVariant variant, bool mirrorPeer)
    : kEnc_(deriveSessionKey(kIfd, kIcc, 1, sha256)),
      kMac_(deriveSessionKey(kIfd, kIcc, 2, sha256)),
      variant_(variant),
      mirrorPeer_(mirrorPeer) {
    if (rndIcc.size() != 8 || rndIfd.size() != 8) smError("challenges must be 8 bytes");
    ssc_.assign(rndIcc.begin() + 4, rndIcc.end());
    ssc_.insert(ssc_.end(), rndIfd.begin() + 4, rndIfd.end());
}

void SmSession::incrementSsc() {
    for (std::size_t i = ssc_.size(); i-- > 0;) {
        if (++ssc_[i] != 0) break;
    }
}

// Accepts the standard retail MAC or OpenSC's variant and remembers which one the peer uses.
bool SmSession::macMatches(ByteView macInput, ByteView mac) {
    const SecureBytes padded = padForMac(macInput);
    if (apdu::constantTimeEqual(crypto::retailMac(kMac_, padded, crypto::MacVariant::Standard), mac)) {
        if (mirrorPeer_) variant_ = crypto::MacVariant::Standard;
        return true;
    }
    if (apdu::constantTimeEqual(crypto::retailMac(kMac_, padded, crypto::MacVariant::OpenSc), mac)) {
        if (mirrorPeer_) variant_ = crypto::MacVariant::OpenSc;
        return true;
    }
    return false;
}

CommandApdu SmSession::unwrap(const CommandApdu& c) {
    incrementSsc();
    std::vector<apdu::Tlv> items;
    try {
        items = apdu::TlvParser::parseAll(c.data);
    } catch (const apdu::Error&) {
        smError("SM data objects do not parse");
    }
    if (items.empty() || items.back().tag != kTagMac || items.back().value.size() != 8) smError("SM MAC missing");
    Bytes macInput = ssc_;
    macInput.insert(macInput.end(), {static_cast<std::uint8_t>(c.cla | 0x0C), c.ins, c.p1, c.p2, 0x80, 0x00, 0x00, 0x00});
    for (std::size_t i = 0; i + 1 < items.size(); ++i) apdu::append(macInput, items[i].raw);
    if (!macMatches(macInput, items.back().value)) smError("SM MAC wrong");

    CommandApdu inner;
    inner.cla = static_cast<std::uint8_t>(c.cla & ~0x0C);
    inner.ins = c.ins;
    inner.p1 = c.p1;
    inner.p2 = c.p2;
    bool haveData = false;
    bool haveLe = false;
    for (std::size_t i = 0; i + 1 < items.size(); ++i) {
        const apdu::Tlv& item = items[i];
        switch (item.tag) {
            case kTagEncrypted:
            case kTagEncryptedOddIns: {
                if (haveData) smError("SM data object repeated");
                ByteView enc = item.value;
                if (item.tag == kTagEncrypted) {
                    if (enc.empty() || enc[0] != kPaddingIndicator) smError("SM padding indicator");
                    enc = enc.subspan(1);
                }
                if (enc.empty() || enc.size() % 8 != 0) smError("SM cryptogram length");
                inner.data = crypto::unpadIso9797m2(crypto::des3CbcDecrypt(kEnc_, enc));
                haveData = true;
                break;
            }
            case kTagPlainData:
                if (haveData) smError("SM data object repeated");
                inner.data = apdu::secureCopy(item.value);
                haveData = true;
                break;
            case kTagLe:
                if (haveLe || item.value.size() > 2) smError("SM Le object");
                haveLe = true;
                if (item.value.empty() || (item.value.size() == 1 && item.value[0] == 0)) {
                    inner.ne = 256;
                } else if (item.value.size() == 1) {
                    inner.ne = item.value[0];
                } else {
                    const std::size_t le = static_cast<std::size_t>(item.value[0]) << 8 | item.value[1];
                    inner.ne = le == 0 ? 65536 : le;
                }
                break;
            default:
                smError("unexpected SM data object");
        }
    }
    return inner;
}

ResponseApdu SmSession::wrap(const ResponseApdu& plain) {
    incrementSsc();
    Bytes body;
    if (!plain.data.empty()) {
        const SecureBytes enc = crypto::des3CbcEncrypt(kEnc_, crypto::padIso9797m2(plain.data));
        Bytes value{kPaddingIndicator};
        apdu::append(value, enc);
        apdu::append(body, apdu::encodeTlv(kTagEncrypted, value));
    }
    apdu::append(body, apdu::encodeTlv(kTagStatus, Bytes{plain.sw.sw1(), plain.sw.sw2()}));
    Bytes macInput = ssc_;
    apdu::append(macInput, body);
    const Bytes mac = crypto::retailMac(kMac_, padForMac(macInput), variant_);
    apdu::append(body, apdu::encodeTlv(kTagMac, mac));
    return ResponseApdu{apdu::secureCopy(body), plain.sw};
}

}  // namespace ias::sim
