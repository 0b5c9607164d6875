// SPDX-License-Identifier: Apache-2.0
#include "hsm/hsm.hpp"

#include "ias/protocol/admin_key.hpp"

namespace ias::service::hsm {

namespace {

CK_OBJECT_HANDLE findOne(Session& s, CK_OBJECT_CLASS cls, const char* label) {
    const auto found = s.find(cls, label);
    if (found.size() != 1) throw HsmError(std::string("key not found or not unique: ") + label, CKR_KEY_HANDLE_INVALID);
    return found.front();
}

enum class KeyUse { Encrypt, Derive };

// Derives a session DES2 key = 3DES-ECB(base, data) (CKM_DES3_ECB_ENCRYPT_DATA), usable either
// to encrypt or (the per-card key KC) only to derive further keys.
CK_OBJECT_HANDLE deriveDes2(const Session& s, CK_OBJECT_HANDLE base, apdu::ByteView data, KeyUse use = KeyUse::Encrypt) {
    CK_KEY_DERIVATION_STRING_DATA param{const_cast<CK_BYTE*>(data.data()), data.size()};
    CK_MECHANISM mech{CKM_DES3_ECB_ENCRYPT_DATA, &param, sizeof param};
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_DES2;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_BBOOL canEncrypt = use == KeyUse::Encrypt ? CK_TRUE : CK_FALSE;
    CK_BBOOL canDerive = use == KeyUse::Derive ? CK_TRUE : CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},         {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_TOKEN, &no, sizeof no},           {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},     {CKA_ENCRYPT, &canEncrypt, sizeof canEncrypt},
        {CKA_DERIVE, &canDerive, sizeof canDerive},
    };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    check(s.fn()->C_DeriveKey(s.handle(), &mech, base, tmpl, std::size(tmpl), &h), "C_DeriveKey");
    return h;
}

apdu::Bytes encrypt(const Session& s, CK_MECHANISM_TYPE type, CK_OBJECT_HANDLE key, apdu::ByteView data) {
    CK_BYTE iv[8] = {};
    CK_MECHANISM mech{type, type == CKM_DES3_CBC ? iv : nullptr, type == CKM_DES3_CBC ? sizeof iv : 0};
    check(s.fn()->C_EncryptInit(s.handle(), &mech, key), "C_EncryptInit");
    apdu::Bytes out(data.size());
    CK_ULONG n = out.size();
    check(s.fn()->C_Encrypt(s.handle(), const_cast<CK_BYTE*>(data.data()), data.size(), out.data(), &n), "C_Encrypt");
    out.resize(n);
    return out;
}

}  // namespace

// One pooled session for one operation. Waits for an idle session, and while a
// re-initialisation is pending; re-opens a pool that a failed re-initialisation left empty.
class Hsm::Lease {
public:
    explicit Lease(Hsm& h) : h_(h) {
        std::unique_lock lock(h_.mutex_);
        h_.available_.wait(lock, [&] { return !h_.reinitialising_ && (!h_.idle_.empty() || h_.sessions_.empty()); });
        if (h_.sessions_.empty()) h_.openLocked();
        s_ = h_.idle_.back();
        h_.idle_.pop_back();
    }
    ~Lease() {
        std::lock_guard lock(h_.mutex_);
        h_.idle_.push_back(s_);
        h_.cryptogramsSinceInit_ += cryptograms_;
        if (h_.reinitialising_ && h_.idle_.size() == h_.sessions_.size()) h_.drained_.notify_one();
        h_.available_.notify_one();
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Session& operator*() const { return *s_; }
    void countCryptogram() { cryptograms_ = 1; }

private:
    Hsm& h_;
    Session* s_ = nullptr;
    std::size_t cryptograms_ = 0;
};

Hsm::Hsm(const HsmConfig& config) : config_(config) { openLocked(); }

// No C_Logout: it would log out every other user of the module in this process and make
// their private key handles invalid; closing the last session logs out (PKCS#11 C_CloseSession).
Hsm::~Hsm() = default;

void Hsm::openLocked() {
    sessions_.clear();
    idle_.clear();
    if (!module_) module_ = Pkcs11Module::open(config_.modulePath);
    const auto slot = module_->findToken(config_.tokenLabel);
    if (!slot) throw HsmError("no HSM token labelled " + config_.tokenLabel, CKR_TOKEN_NOT_PRESENT);
    std::vector<std::unique_ptr<Session>> sessions;
    for (std::size_t i = 0; i < std::max<std::size_t>(1, config_.sessions); ++i)
        sessions.push_back(std::make_unique<Session>(module_, *slot, false));
    sessions.front()->login(CKU_USER, config_.userPin);
    master_ = findOne(*sessions.front(), CKO_SECRET_KEY, kMasterKeyLabel);
    hmac_ = findOne(*sessions.front(), CKO_SECRET_KEY, kHmacKeyLabel);
    sessions_ = std::move(sessions);
    for (const auto& s : sessions_) idle_.push_back(s.get());
}

void Hsm::maybeReinitialise() {
    std::unique_lock lock(mutex_);
    if (config_.reinitAfterCryptograms == 0 || cryptogramsSinceInit_ < config_.reinitAfterCryptograms ||
        reinitialising_)
        return;
    reinitialising_ = true;
    drained_.wait(lock, [&] { return idle_.size() == sessions_.size(); });
    cryptogramsSinceInit_ = 0;
    try {
        idle_.clear();
        sessions_.clear();  // closes them: the module is ours alone again
        if (module_->reinitialize(module_)) ++reinitialisations_;
        openLocked();
    } catch (const HsmError&) {
        // Left empty: the next operation re-opens the pool (or fails with the HSM's error).
        idle_.clear();
        sessions_.clear();
    }
    reinitialising_ = false;
    available_.notify_all();
}

std::size_t Hsm::reinitialisations() const {
    std::lock_guard lock(mutex_);
    return reinitialisations_;
}

apdu::Bytes Hsm::cryptogram(apdu::ByteView sn8, apdu::ByteView challenge8) {
    if (sn8.size() != protocol::kSerialIccSize || challenge8.size() != protocol::kChallengeSize)
        throw HsmError("cryptogram: SN.ICC and challenge must be 8 bytes", CKR_ARGUMENTS_BAD);
    apdu::Bytes out;
    {
        Lease lease(*this);
        lease.countCryptogram();  // its derived keys stay in SoftHSM's memory until C_Finalize
        const Session& s = *lease;
        // Diversification emv-cps-sn8 (protocol/admin_key.hpp): the card key KC, then K_ENC
        // and K_MAC from KC, all session objects that only the HSM can use.
        const ScopedObject kCard(s, deriveDes2(s, master_, protocol::cardKeyDerivationData(sn8), KeyUse::Derive));
        const apdu::Bytes macData = protocol::adminKeyDerivationData(sn8, true);
        const ScopedObject kEnc(s, deriveDes2(s, kCard.get(), protocol::adminKeyDerivationData(sn8, false)));
        const ScopedObject kMac(s, deriveDes2(s, kCard.get(), macData));
        // K_MAC's first half K1 is 3DES-ECB(KC, D1), D1 = the first block of its derivation
        // data, so deriving from D1 || D1 gives (K1, K1): single DES under K1 as 3DES.
        apdu::Bytes doubled(macData.begin(), macData.begin() + 8);
        apdu::append(doubled, apdu::ByteView(macData.data(), 8));
        const ScopedObject kMac1(s, deriveDes2(s, kCard.get(), doubled));

        apdu::Bytes plain(challenge8.begin(), challenge8.end());
        apdu::append(plain, sn8);
        out = encrypt(s, CKM_DES3_CBC, kEnc.get(), plain);
        // Retail MAC over E || 80 00..00: CBC-MAC of E's two blocks under K1, XOR the padding
        // block on the host (a chaining value, not key material), last block under (K1, K2).
        const apdu::Bytes chain = encrypt(s, CKM_DES3_CBC, kMac1.get(), out);
        apdu::Bytes last(chain.end() - 8, chain.end());
        last[0] ^= 0x80;
        apdu::append(out, encrypt(s, CKM_DES3_ECB, kMac.get(), last));
    }
    maybeReinitialise();
    return out;
}

apdu::Bytes Hsm::hmacSha256(apdu::ByteView data) {
    Lease lease(*this);
    Session& s = *lease;
    CK_MECHANISM mech{CKM_SHA256_HMAC, nullptr, 0};
    check(s.fn()->C_SignInit(s.handle(), &mech, hmac_), "C_SignInit");
    apdu::Bytes out(32);
    CK_ULONG n = out.size();
    check(s.fn()->C_Sign(s.handle(), const_cast<CK_BYTE*>(data.data()), data.size(), out.data(), &n), "C_Sign");
    out.resize(n);
    return out;
}

}  // namespace ias::service::hsm
