// SPDX-License-Identifier: Apache-2.0
// MANAGE SECURITY ENVIRONMENT, INTERNAL AUTHENTICATE and PERFORM SECURITY OPERATION
// (HASH, COMPUTE DIGITAL SIGNATURE, DECIPHER) — IAS-ECC-reference §5, §7.
#include <algorithm>

#include "ias/apdu/error.hpp"
#include "ias/apdu/tlv.hpp"
#include "ias/sim/card.hpp"
#include "ias/sim/key_ops.hpp"
#include "handler_util.hpp"
#include "partial_hash.hpp"

namespace ias::sim {

using namespace detail;

namespace {

constexpr std::uint8_t kMseSetComputation = 0x41;   // internal auth, signature, decipher, hash
constexpr std::uint8_t kMseSetVerification = 0x81;  // external authentication
constexpr std::uint8_t kMseSetMutual = 0xC1;        // mutual authentication (SM)
constexpr std::uint8_t kMseRestore = 0xF3;
constexpr std::uint8_t kPaddingIndicatorPkcs1 = 0x81;

bool isRsaSignAlgorithm(std::uint8_t alg) {
    return alg == layout::kAlgRsaPkcs1 || alg == layout::kAlgRsaPkcs1Sha1 || alg == layout::kAlgRsaPkcs1Sha256 ||
           alg == layout::kAlgRsaPss;
}
bool isEcSignAlgorithm(std::uint8_t alg) {
    return alg == layout::kAlgEcdsa || alg == layout::kAlgEcdsaSha256 || alg == layout::kAlgEcdsaDst;
}

std::optional<HashKind> hashOfAlgorithm(std::uint8_t alg) {
    switch (alg) {
        case layout::kAlgSha1:
        case layout::kAlgRsaPkcs1Sha1: return HashKind::Sha1;
        case layout::kAlgSha256:
        case layout::kAlgRsaPkcs1Sha256:
        case layout::kAlgEcdsaSha256: return HashKind::Sha256;
        default: return std::nullopt;
    }
}

}  // namespace

// A personality may restrict a key to some algorithm bytes (EstEID 2018: 04 in an AT, 54 in a DST).
bool Card::personalityAllows(std::uint8_t keyRef, std::uint8_t alg) const {
    for (const KeySpec& k : personality_->keys) {
        if (k.ref != keyRef || k.algorithms.empty()) continue;
        return std::find(k.algorithms.begin(), k.algorithms.end(), alg) != k.algorithms.end();
    }
    return true;
}

// MSE SET 00 22 <41|81|C1> <A4|AA|B6|B8> {80 alg, 83/84 ref, 95 usage}; MSE RESTORE F3.
ResponseApdu Card::manageSecurityEnvironment(const CommandApdu& c) {
    if (c.p1 == kMseRestore) {
        if (!c.data.empty()) return sw(StatusWord::kWrongLength);
        mse_.clear();
        return ok();
    }
    SecurityEnvironmentSetting s;
    s.p1 = c.p1;
    try {
        for (const apdu::Tlv& item : apdu::TlvParser::parseAll(c.data)) {
            if (item.value.size() != 1) return sw(StatusWord::kWrongData);
            switch (item.tag) {
                case 0x80: s.algorithm = item.value[0]; break;
                case 0x83:
                case 0x84: s.keyRef = item.value[0]; break;
                case 0x95: s.usage = item.value[0]; break;
                default: return sw(StatusWord::kWrongData);
            }
        }
    } catch (const apdu::Error&) {
        return sw(StatusWord::kWrongData);
    }
    const std::uint8_t crt = c.p2;
    if (c.p1 == kMseSetComputation) {
        if (crt == layout::kCrtHt) {
            if (!s.algorithm || !hashOfAlgorithm(*s.algorithm)) return sw(StatusWord::kWrongData);
        } else if (crt == layout::kCrtAt || crt == layout::kCrtDst || crt == layout::kCrtCt) {
            if (!s.keyRef || !s.algorithm) return sw(StatusWord::kWrongData);
            const KeyObject* key = state_.findKey(*s.keyRef & 0x1F);
            if (!key) return sw(StatusWord::kReferenceNotFound);
            const std::uint8_t alg = *s.algorithm;
            const bool rsa = key->kind == KeyKind::Rsa;
            const bool fits = crt == layout::kCrtCt
                                  ? rsa && (alg == layout::kAlgRsaPkcs1Decipher || alg == layout::kAlgRsaPkcs1DecipherAlt)
                                  : (rsa ? isRsaSignAlgorithm(alg) : isEcSignAlgorithm(alg));
            if (!fits || !personalityAllows(*s.keyRef & 0x1F, alg)) return sw(StatusWord::kWrongData);
            if (crt == layout::kCrtAt && (hashOfAlgorithm(alg) || alg == layout::kAlgRsaPss)) return sw(StatusWord::kWrongData);
        } else {
            return sw(StatusWord::kIncorrectP1P2);
        }
    } else if (c.p1 == kMseSetVerification || c.p1 == kMseSetMutual) {
        if (crt != layout::kCrtAt) return sw(StatusWord::kIncorrectP1P2);
        if (!s.keyRef || !s.algorithm) return sw(StatusWord::kWrongData);
        const std::uint8_t alg = *s.algorithm;
        const bool algOk = c.p1 == kMseSetVerification
                               ? alg == layout::kAlgExternalAuth
                               : alg == layout::kAlgMutualAuthSha1 || alg == layout::kAlgMutualAuthSha256;
        if (!algOk) return sw(StatusWord::kWrongData);
        if (!state_.findKeyset(*s.keyRef & 0x1F)) return sw(StatusWord::kReferenceNotFound);
    } else {
        return sw(StatusWord::kIncorrectP1P2);
    }
    mse_[crt] = s;
    if (crt == layout::kCrtDst || crt == layout::kCrtHt) hashResult_.reset();
    return ok();
}

// INTERNAL AUTHENTICATE 00 88 00 00 Lc <data> 00 with the key of the AT template: RSA pads
// the given bytes with PKCS#1 type 1 (no DigestInfo added); EC signs them as a hash (r || s).
ResponseApdu Card::internalAuthenticate(const CommandApdu& c) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return sw(StatusWord::kIncorrectP1P2);
    const auto at = mse_.find(layout::kCrtAt);
    if (at == mse_.end() || at->second.p1 != kMseSetComputation) return sw(StatusWord::kConditionsNotSatisfied);
    KeyObject* key = state_.findKey(*at->second.keyRef & 0x1F);
    if (!key) return sw(StatusWord::kReferenceNotFound);
    if (!scbSatisfied(scbFor(key->acl, amb::kKeyInternalAuth))) return sw(StatusWord::kSecurityNotSatisfied);
    if (c.data.empty()) return sw(StatusWord::kWrongLength);
    try {
        if (key->kind == KeyKind::Rsa) {
            if (c.data.size() + 11 > keyops::keySizeBytes(*key)) return sw(StatusWord::kWrongLength);
            return ok(keyops::rsaSignRaw(*key, c.data));
        }
        return ok(keyops::ecdsaSignRaw(*key, c.data));
    } catch (const apdu::Error&) {
        return sw(StatusWord::kWrongData);
    }
}

ResponseApdu Card::performSecurityOperation(const CommandApdu& c) {
    const std::uint16_t p1p2 = static_cast<std::uint16_t>(c.p1 << 8 | c.p2);
    switch (p1p2) {
        case 0x90A0: return hash(c);
        case 0x9E9A: return computeDigitalSignature(c);
        case 0x8086: return decipher(c);
        default: return sw(StatusWord::kIncorrectP1P2);
    }
}

// PSO HASH 00 2A 90 A0: 90 <complete hash> | 90 <state || bit count> 80 <rest> |
// [90 00] 80 <whole message>. The result waits for the next PSO COMPUTE DIGITAL SIGNATURE.
ResponseApdu Card::hash(const CommandApdu& c) {
    std::optional<std::uint8_t> alg;
    if (const auto ht = mse_.find(layout::kCrtHt); ht != mse_.end()) alg = ht->second.algorithm;
    if (!alg) {
        if (const auto dst = mse_.find(layout::kCrtDst); dst != mse_.end()) alg = dst->second.algorithm;
    }
    const auto kind = alg ? hashOfAlgorithm(*alg) : std::nullopt;
    if (!kind) return sw(StatusWord::kConditionsNotSatisfied);
    std::optional<apdu::Tlv> intermediate;
    std::optional<apdu::Tlv> rest;
    try {
        for (const apdu::Tlv& item : apdu::TlvParser::parseAll(c.data)) {
            if (item.tag == 0x90 && !intermediate) intermediate = item;
            else if (item.tag == 0x80 && !rest) rest = item;
            else return sw(StatusWord::kWrongData);
        }
    } catch (const apdu::Error&) {
        return sw(StatusWord::kWrongData);
    }
    std::optional<Bytes> result;
    if (intermediate && !rest) {
        if (intermediate->value.size() != hashSize(*kind)) return sw(StatusWord::kWrongData);
        result = apdu::plainCopy(intermediate->value);
    } else if (rest && (!intermediate || intermediate->value.empty())) {
        result = hashMessage(*kind, rest->value);
    } else if (rest && intermediate) {
        result = finishHash(*kind, intermediate->value, rest->value);
        if (!result) return sw(StatusWord::kWrongData);
    } else {
        return sw(StatusWord::kWrongData);
    }
    hashResult_ = std::move(result);
    hashAlgorithm_ = *alg;
    return ok();
}

// PSO COMPUTE DIGITAL SIGNATURE 00 2A 9E 9A [Lc data] Le with the DST key. Input: the PSO
// HASH result, or the data field (the hash for 12/42/44/04, a DigestInfo for 02).
ResponseApdu Card::computeDigitalSignature(const CommandApdu& c) {
    const auto dst = mse_.find(layout::kCrtDst);
    if (dst == mse_.end()) return sw(StatusWord::kConditionsNotSatisfied);
    KeyObject* key = state_.findKey(*dst->second.keyRef & 0x1F);
    if (!key) return sw(StatusWord::kReferenceNotFound);
    if (!scbSatisfied(scbFor(key->acl, amb::kKeySign))) return sw(StatusWord::kSecurityNotSatisfied);
    const std::uint8_t alg = *dst->second.algorithm;
    Bytes input;
    if (!c.data.empty()) {
        input = apdu::plainCopy(c.data);
    } else if (hashResult_) {
        input = *hashResult_;
    } else {
        return sw(StatusWord::kConditionsNotSatisfied);
    }
    hashResult_.reset();
    try {
        if (key->kind == KeyKind::Ec) return ok(keyops::ecdsaSignRaw(*key, input));
        if (alg == layout::kAlgRsaPss) return ok(keyops::rsaSignPss(*key, input));
        if (alg == layout::kAlgRsaPkcs1) {
            if (input.size() + 11 > keyops::keySizeBytes(*key)) return sw(StatusWord::kWrongLength);
            return ok(keyops::rsaSignRaw(*key, input));
        }
        const auto kind = hashOfAlgorithm(alg);
        if (!kind || input.size() != hashSize(*kind)) return sw(StatusWord::kWrongData);
        return ok(keyops::rsaSignRaw(*key, keyops::digestInfo(input)));
    } catch (const apdu::Error&) {
        return sw(StatusWord::kWrongData);
    }
}

// PSO DECIPHER 00 2A 80 86 (chained with CLA 10): 81 || cryptogram; answers the plaintext
// with the PKCS#1 type-2 padding removed.
ResponseApdu Card::decipher(const CommandApdu& c) {
    const auto ct = mse_.find(layout::kCrtCt);
    if (ct == mse_.end()) return sw(StatusWord::kConditionsNotSatisfied);
    KeyObject* key = state_.findKey(*ct->second.keyRef & 0x1F);
    if (!key) return sw(StatusWord::kReferenceNotFound);
    if (!scbSatisfied(scbFor(key->acl, amb::kKeyDecipher))) return sw(StatusWord::kSecurityNotSatisfied);
    if (c.data.size() < 2 || c.data[0] != kPaddingIndicatorPkcs1) return sw(StatusWord::kWrongData);
    const ByteView cryptogram = ByteView(c.data).subspan(1);
    if (cryptogram.size() != keyops::keySizeBytes(*key)) return sw(StatusWord::kWrongLength);
    try {
        return ResponseApdu{keyops::rsaDecrypt(*key, cryptogram), StatusWord(StatusWord::kSuccess)};
    } catch (const apdu::Error&) {
        return sw(StatusWord::kWrongData);
    }
}

}  // namespace ias::sim
