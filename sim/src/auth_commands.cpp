// SPDX-License-Identifier: Apache-2.0
// GET CHALLENGE, EXTERNAL AUTHENTICATE (role authentication with the administration key set,
// UNBLOCK.md / IAS-ECC-reference §9) and MUTUAL AUTHENTICATE (SM session set-up, §8.2).
#include "ias/apdu/crypto.hpp"
#include "ias/apdu/error.hpp"
#include "ias/protocol/admin_key.hpp"
#include "ias/sim/card.hpp"
#include "handler_util.hpp"

namespace ias::sim {

using namespace detail;
namespace crypto = apdu::crypto;

namespace {

constexpr std::size_t kChallengeSize = 8;
constexpr std::size_t kMutualAuthSize = 0x48;
constexpr std::size_t kMutualAuthCipherSize = 64;
constexpr std::uint8_t kMseSetVerification = 0x81;
constexpr std::uint8_t kMseSetMutual = 0xC1;
constexpr std::uint16_t kAuthenticationFailed = 0x6300;

// MAC over E with K_MAC: which variant matches (standard first)?
std::optional<crypto::MacVariant> macVariantOf(ByteView macKey, ByteView e, ByteView mac) {
    const SecureBytes padded = crypto::padIso9797m2(e);
    for (auto v : {crypto::MacVariant::Standard, crypto::MacVariant::OpenSc}) {
        if (apdu::constantTimeEqual(crypto::retailMac(macKey, padded, v), mac)) return v;
    }
    return std::nullopt;
}

}  // namespace

// GET CHALLENGE 00 84 00 00 08: the challenge is kept for one (external or mutual)
// authentication attempt.
ResponseApdu Card::getChallenge(const CommandApdu& c) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return sw(StatusWord::kIncorrectP1P2);
    if (!c.data.empty()) return sw(StatusWord::kWrongLength);
    if (c.ne != kChallengeSize) return sw(static_cast<std::uint16_t>(0x6C00 | kChallengeSize));
    const SecureBytes rnd = crypto::randomBytes(kChallengeSize);
    challenge_ = apdu::plainCopy(rnd);
    return ok(*challenge_);
}

// EXTERNAL AUTHENTICATE 00 82 00 00 18 E(16) || M(8) after MSE SET 81 A4 {80 1C, 83 kr} and
// GET CHALLENGE. Success opens the external-authentication condition (SCB 2n) until reset
// or application re-selection. After MSE SET C1 A4 the same instruction is MUTUAL
// AUTHENTICATE.
ResponseApdu Card::externalAuthenticate(const CommandApdu& c) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return sw(StatusWord::kIncorrectP1P2);
    const auto at = mse_.find(layout::kCrtAt);
    if (at == mse_.end()) return sw(StatusWord::kConditionsNotSatisfied);
    if (at->second.p1 == kMseSetMutual) return mutualAuthenticate(c);
    if (at->second.p1 != kMseSetVerification) return sw(StatusWord::kConditionsNotSatisfied);

    const std::optional<Bytes> challenge = std::move(challenge_);
    challenge_.reset();  // single use, whatever the outcome
    if (!challenge) return sw(StatusWord::kConditionsNotSatisfied);
    KeysetObject* keyset = state_.findKeyset(*at->second.keyRef & 0x1F);
    if (!keyset) return sw(StatusWord::kReferenceNotFound);
    if (!scbSatisfied(scbFor(keyset->acl, amb::kKeysetExternalAuth))) return sw(StatusWord::kSecurityNotSatisfied);
    if (c.data.size() != protocol::kCryptogramSize) return sw(StatusWord::kWrongLength);

    const protocol::AdminKeys keys{keyset->enc, keyset->mac};
    const Bytes sn8 = serialIcc();
    bool good = protocol::checkExternalAuthCryptogram(keys, *challenge, sn8, c.data);
    if (!good) {
        // OpenSC's MAC variant over the same E.
        const Bytes expected = protocol::externalAuthCryptogram(keys, *challenge, sn8);
        const ByteView data(c.data);
        good = apdu::constantTimeEqual(ByteView(expected).first(16), data.first(16)) &&
               macVariantOf(keyset->mac, data.first(16), data.subspan(16)) == crypto::MacVariant::OpenSc;
    }
    if (!good) {
        externalAuthKeyset_.reset();
        return sw(kAuthenticationFailed);
    }
    externalAuthKeyset_ = keyset->ref;
    return ok();
}

// MUTUAL AUTHENTICATE 00 82 00 00 48 E.IFD(64) || M.IFD(8) -> E.ICC(64) || M.ICC(8).
ResponseApdu Card::mutualAuthenticate(const CommandApdu& c) {
    const SecurityEnvironmentSetting& at = mse_.at(layout::kCrtAt);
    const std::optional<Bytes> rndIcc = std::move(challenge_);
    challenge_.reset();
    sm_.reset();
    if (!rndIcc) return sw(StatusWord::kConditionsNotSatisfied);
    KeysetObject* keyset = state_.findKeyset(*at.keyRef & 0x1F);
    if (!keyset) return sw(StatusWord::kReferenceNotFound);
    if (!scbSatisfied(scbFor(keyset->acl, amb::kKeysetMutualAuth))) return sw(StatusWord::kSecurityNotSatisfied);
    if (c.data.size() != kMutualAuthSize) return sw(StatusWord::kWrongLength);

    const ByteView data(c.data);
    const ByteView eIfd = data.first(kMutualAuthCipherSize);
    const auto variant = macVariantOf(keyset->mac, eIfd, data.subspan(kMutualAuthCipherSize));
    if (!variant) return sw(kAuthenticationFailed);
    const SecureBytes plain = crypto::des3CbcDecrypt(keyset->enc, eIfd);
    const ByteView p(plain);
    const Bytes sn8 = serialIcc();
    if (!apdu::constantTimeEqual(p.subspan(16, 8), *rndIcc) || !apdu::constantTimeEqual(p.subspan(24, 8), sn8)) {
        return sw(kAuthenticationFailed);
    }
    const ByteView rndIfd = p.subspan(0, 8);
    const ByteView snIfd = p.subspan(8, 8);
    const ByteView kIfd = p.subspan(32, 32);
    const SecureBytes kIcc = crypto::randomBytes(32);

    SecureBytes answer(rndIcc->begin(), rndIcc->end());
    apdu::append(answer, sn8);
    apdu::append(answer, rndIfd);
    apdu::append(answer, snIfd);
    apdu::append(answer, kIcc);
    const SecureBytes eIcc = crypto::des3CbcEncrypt(keyset->enc, answer);
    const crypto::MacVariant answerVariant = options_.openScMac ? crypto::MacVariant::OpenSc : *variant;
    const Bytes mIcc = crypto::retailMac(keyset->mac, crypto::padIso9797m2(eIcc), answerVariant);

    const bool sha256 = at.algorithm == layout::kAlgMutualAuthSha256;
    sm_.emplace(kIfd, kIcc, *rndIcc, rndIfd, sha256, answerVariant, !options_.openScMac);
    SecureBytes out = eIcc;
    apdu::append(out, mIcc);
    return ResponseApdu{std::move(out), StatusWord(StatusWord::kSuccess)};
}

}  // namespace ias::sim
