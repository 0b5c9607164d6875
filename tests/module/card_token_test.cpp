// SPDX-License-Identifier: Apache-2.0
// The module's token on an in-process card (no pcscd): the simulator's card behind the
// apdu::CardConnection seam. Every card operation of the token — identity, objects, login,
// sign (each path the card's access rules choose), decrypt, PIN change, lock, reset by PUK
// and by the unblock service (a fake service computing the cryptogram with the test master
// key) — is checked on each card shape, with the APDUs each one costs.
#include <gtest/gtest.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/mechanisms.hpp"
#include "core/token.hpp"
#include "ias/apdu/connection.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/response.hpp"
#include "ias/protocol/admin_key.hpp"
#include "ias/protocol/secret.hpp"
#include "ias/sim/card.hpp"
#include "card/sdo_access.hpp"
#include "ias/sim/personalise.hpp"
#include "ias/sim/personality.hpp"
#include "sim_connection.hpp"

namespace ias::p11 {
namespace {

using apdu::Bytes;
using apdu::ByteView;

using test::fixedCardOptions;
using test::SimConnection;

const std::string kPin = "4711";
const std::string kPuk = "12345678";

// The issuer's service, reduced to its card-facing part: any secret "is" right, the
// cryptogram is computed with the test master key as ias-unblockd does in its HSM.
class FakeService final : public unblock::UnblockServiceClient {
public:
    explicit FakeService(Bytes serialIcc) : serialIcc_(std::move(serialIcc)) {}
    unblock::Ticket verify(const std::string&, ByteView) override {
        ++verifies;
        unblock::Ticket t;
        t.value = apdu::SecureBytes{1, 2, 3};
        t.expiresAt = std::chrono::steady_clock::now() + std::chrono::minutes(5);
        return t;
    }
    Bytes cryptogram(ByteView, ByteView challenge) override {
        const protocol::AdminKeys keys =
            protocol::deriveAdminKeys(apdu::fromHex(sim::kDefaultTestMasterKey), serialIcc_);
        return protocol::externalAuthCryptogram(keys, challenge, serialIcc_);
    }
    void confirm(ByteView, bool done, int) override { confirmedDone = done; }
    int verifies = 0;
    bool confirmedDone = false;

private:
    Bytes serialIcc_;
};

struct Shape {
    std::string name;
    std::string personality;                      // simulator personality (a real card family)
    std::function<void(sim::CardState&)> adjust;  // after personalisation
    bool withEcKey = false;                       // plus an EC P-256 key under the signature key's rule

    sim::PersonalisedCard personalise() const;
};

// gtest prints the parameter by its name (not as bytes).
void PrintTo(const Shape& shape, std::ostream* os) { *os << shape.name; }

// What a card's own data say it allows (the simulator's personality); the module learns the
// same facts through APDUs only.
struct CardFacts {
    unsigned keys = 0;  // RSA
    unsigned ecKeys = 0;
    unsigned keysSigningByCardHash = 0;  // RSA key rule refuses INTERNAL AUTHENTICATE
    unsigned ecKeysSigningByCds = 0;     // EC key rule refuses INTERNAL AUTHENTICATE
    unsigned keysUnderSecondPin = 0;
    unsigned keysNotUsableOverContact = 0;  // contact rule allows nothing (CPx contactless application)
    bool resetByPuk = false;
    bool resetByService = false;
};

std::uint8_t scbOf(const Bytes& acl, std::uint8_t bit) { return card::compactAclScb(acl, bit).value; }

CardFacts factsOf(const sim::CardState& s, const sim::Personality& p) {
    CardFacts f;
    for (const sim::KeyObject& k : s.keys) {
        if (scbOf(k.acl, 0x40) == 0xFF && scbOf(k.acl, 0x20) == 0xFF && scbOf(k.acl, 0x10) == 0xFF) {
            ++f.keysNotUsableOverContact;
            continue;
        }
        if (k.kind != sim::KeyKind::Rsa) {
            ++f.ecKeys;
            if (scbOf(k.acl, 0x20) == 0xFF) ++f.ecKeysSigningByCds;
            continue;
        }
        ++f.keys;
        if (scbOf(k.acl, 0x20) == 0xFF) ++f.keysSigningByCardHash;
    }
    for (const sim::KeySpec& k : p.keys) {
        if (k.pin != 0) ++f.keysUnderSecondPin;
    }
    for (const sim::PinObject& pin : s.pins) {
        if (pin.ref != p.userPin.ref) continue;
        const std::uint8_t reset = scbOf(pin.acl, 0x10);
        f.resetByService = reset != 0xFF && (reset & 0x20) != 0;
        f.resetByPuk = p.puk.has_value() && reset != 0xFF && (reset & 0x10) != 0;
    }
    return f;
}

sim::KeyObject& keyByRef(sim::CardState& s, std::uint8_t ref) {
    sim::KeyObject* k = s.findKey(ref);
    if (k == nullptr) throw std::runtime_error("no key");
    return *k;
}

// Card shapes the token must handle whatever the ATR says.
sim::PersonalisedCard Shape::personalise() const {
    sim::PersonalisedCard p = sim::personalise(fixedCardOptions(personality, withEcKey));
    adjust(p.state);
    return p;
}

std::vector<Shape> shapes() {
    std::vector<Shape> out;
    for (const sim::Personality& p : sim::personalities()) out.push_back({p.name, p.name, [](sim::CardState&) {}});
    auto more = std::vector<Shape>{
        {"amos-with-ec-key", "amos", [](sim::CardState&) {}, true},
        {"cosmo-v7-with-ec-key", "cosmo-v7", [](sim::CardState&) {}, true},
        // IDEMIA non-repudiation key: INTERNAL AUTHENTICATE never, PSO CDS after the PIN.
        {"amos-sign-key-refuses-internal-authenticate", "amos",
         [](sim::CardState& s) { keyByRef(s, 0x02).acl = {0x7A, 0x11, 0xFF, 0xFF, 0xFF, 0xFF}; }},
        // Every key signs only by PSO CDS.
        {"amos-all-keys-pso-only", "amos",
         [](sim::CardState& s) {
             keyByRef(s, 0x01).acl = {0x7A, 0x11, 0xFF, 0x11, 0xFF, 0xFF};
             keyByRef(s, 0x02).acl = {0x7A, 0x11, 0xFF, 0xFF, 0xFF, 0xFF};
         }},
    };
    out.insert(out.end(), more.begin(), more.end());
    return out;
}

class CardToken : public ::testing::TestWithParam<Shape> {
protected:
    void SetUp() override {
        sim::PersonalisedCard p = GetParam().personalise();
        facts_ = factsOf(p.state, *sim::findPersonality(GetParam().personality));
        card_ = std::make_shared<sim::Card>(p.state);
        auto connection = std::make_unique<SimConnection>(card_);
        connection_ = connection.get();
        token_ = std::make_unique<Token>(std::move(connection), [this] { return ++handles_; });
        service_ = std::make_shared<FakeService>(card_->serialIcc());
    }

    // Commands sent with this INS since the token was made.
    std::size_t sent(std::uint8_t ins, std::uint8_t p1) {
        std::size_t n = 0;
        for (const Bytes& c : connection_->commands()) {
            if (c[1] == ins && c[2] == p1) ++n;
        }
        return n;
    }

    std::size_t apdusOf(const std::function<void()>& op) {
        const std::size_t before = connection_->commands().size();
        op();
        return connection_->commands().size() - before;
    }

    std::vector<std::shared_ptr<Object>> ofClass(CK_OBJECT_CLASS cls) {
        std::vector<std::shared_ptr<Object>> out;
        for (const auto& o : token_->objects()) {
            if (o->objectClass() == cls) out.push_back(o);
        }
        return out;
    }

    // The certificate's public key for a private key (same CKA_ID).
    EVP_PKEY* publicKeyOf(const Object& key) {
        for (const auto& c : ofClass(CKO_CERTIFICATE)) {
            if (*c->find(CKA_ID) != *key.find(CKA_ID)) continue;
            const Bytes& der = *c->find(CKA_VALUE);
            const unsigned char* p = der.data();
            X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
            EVP_PKEY* k = X509_get_pubkey(x);
            X509_free(x);
            return k;
        }
        return nullptr;
    }

    bool verifiesPkcs1(const Object& key, ByteView digestInfo, ByteView signature) {
        EVP_PKEY* pub = publicKeyOf(key);
        if (pub == nullptr) return false;
        EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(pub, nullptr);
        bool ok = EVP_PKEY_verify_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
                  EVP_PKEY_verify(ctx, signature.data(), signature.size(), digestInfo.data(), digestInfo.size()) == 1;
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pub);
        return ok;
    }

    UnblockSettings settings(UnblockSettings::Method m) {
        UnblockSettings s;
        s.method = m;
        s.service = service_;
        s.adminKeysetRef = 0x81;
        return s;
    }

    static ByteView view(const std::string& s) { return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

    std::shared_ptr<sim::Card> card_;
    SimConnection* connection_ = nullptr;
    std::unique_ptr<Token> token_;
    std::shared_ptr<FakeService> service_;
    CK_OBJECT_HANDLE handles_ = 0;
    CardFacts facts_;
    const std::string signPin_ = "12345";

    // Keys under their own PIN: verify it first (what CKU_CONTEXT_SPECIFIC does).
    void authorise(const Object& key) {
        if (key.key()->alwaysAuthenticate) token_->verifyForSignature(key, view(signPin_));
    }
};

Bytes sha256DigestInfo(const std::string& message) {
    Bytes out = digestInfoPrefix(Hash::Sha256);
    std::uint8_t h[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(message.data()), message.size(), h);
    out.insert(out.end(), h, h + sizeof h);
    return out;
}

TEST_P(CardToken, IdentityAndObjectsWithoutPin) {
    const TokenSnapshot s = token_->snapshot();
    EXPECT_EQ(s.serial, "0010000000123456");
    EXPECT_EQ(s.userPin.triesLeft, 3u);
    EXPECT_EQ(s.userPin.maxTries, 3u);
    EXPECT_FALSE(s.userPin.blocked);
    EXPECT_EQ(ofClass(CKO_CERTIFICATE).size(), facts_.keys + facts_.ecKeys);
    EXPECT_EQ(ofClass(CKO_PRIVATE_KEY).size(), facts_.keys + facts_.ecKeys);
    unsigned underOwnPin = 0;
    for (const auto& key : ofClass(CKO_PRIVATE_KEY)) underOwnPin += key->key()->alwaysAuthenticate ? 1 : 0;
    EXPECT_EQ(underOwnPin, facts_.keysUnderSecondPin);
    // The PIN's tries: from the IAS-ECC descriptor (GET DATA 00 CB 3F FF) on every card but the
    // Gemalto one, which refuses it and is asked by an empty VERIFY; Gemalto's own PIN
    // information (00 CB 00 FF) only for a card refusing both: none here.
    const bool gemalto = GetParam().personality == "gemalto-multiapp";
    EXPECT_EQ(sent(0xCB, 0x00), 0u);
    EXPECT_EQ(sent(0x20, 0x00), gemalto ? 1u : 0u) << "empty VERIFY at first contact";
    // Keys a contact reader cannot use (the CPx contactless application's) are not listed,
    // nor their certificates (ID 48 on cpx).
    EXPECT_EQ(facts_.keysNotUsableOverContact, GetParam().personality == "cpx" ? 1u : 0u);
    for (const auto& o : token_->objects()) {
        if (const Bytes* id = o->find(CKA_ID)) {
            EXPECT_NE(*id, Bytes{0x48});
        }
    }
}

TEST_P(CardToken, EveryKeySignsPkcs1AndTheSignatureVerifies) {
    token_->loginUser(view(kPin), settings(UnblockSettings::Method::None));
    const Bytes di = sha256DigestInfo("ias-pkcs11 card token test");
    for (const auto& key : ofClass(CKO_PRIVATE_KEY)) {
        if (key->key()->keyType != CKK_RSA) continue;
        for (CK_MECHANISM_TYPE m : {CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS}) {
            // Token::sign takes the DigestInfo for both (the front hashes SHA256_RSA_PKCS).
            Bytes sig;
            authorise(*key);
            const std::size_t n = apdusOf([&] { sig = token_->sign(*key, *findMechanism(m), di, Hash::None); });
            EXPECT_TRUE(verifiesPkcs1(*key, di, sig)) << GetParam().name << " key " << key->handle();
            EXPECT_LE(n, 5u) << "APDUs for one signature";
        }
    }
    // The path follows each key's rule, read once per key, never tried and refused.
    const unsigned byCardHash = facts_.keysSigningByCardHash;
    EXPECT_EQ(sent(0x2A, 0x90), 2 * byCardHash) << "PSO HASH";
    EXPECT_EQ(sent(0x88, 0x00), 2 * (facts_.keys - byCardHash)) << "INTERNAL AUTHENTICATE";
    EXPECT_LE(sent(0xCB, 0x3F), 1u + facts_.keys + facts_.ecKeys + facts_.keysNotUsableOverContact)
        << "GET DATA: the PIN's and each key's descriptor at most once";
}

TEST_P(CardToken, PsoOnlyKeyRefusesInputThatIsNotADigestInfo) {
    if (facts_.keysSigningByCardHash == 0) GTEST_SKIP() << "every key of this card signs by INTERNAL AUTHENTICATE";
    token_->loginUser(view(kPin), settings(UnblockSettings::Method::None));
    const Bytes raw(36, 0x5A);  // a TLS 1.1 MD5||SHA-1 input: no DigestInfo for the card to build
    bool refused = false;
    for (const auto& key : ofClass(CKO_PRIVATE_KEY)) {
        if (key->key()->keyType != CKK_RSA) continue;
        try {
            authorise(*key);
            token_->sign(*key, *findMechanism(CKM_RSA_PKCS), raw, Hash::None);
        } catch (const Error& e) {
            EXPECT_EQ(e.rv(), CKR_DATA_INVALID);
            refused = true;
        }
    }
    EXPECT_TRUE(refused);
}

TEST_P(CardToken, EcKeySignsEcdsaOnThePathItsRuleNames) {
    if (facts_.ecKeys == 0) GTEST_SKIP() << "no EC key on this card";
    token_->loginUser(view(kPin), settings(UnblockSettings::Method::None));
    const std::string message = "ecdsa";
    for (const auto& key : ofClass(CKO_PRIVATE_KEY)) {
        if (key->key()->keyType != CKK_EC) continue;
        // The hash of the curve's size (P-256: SHA-256, P-384: SHA-384, as EstEID 2018 signs).
        const unsigned field = (key->key()->bits + 7) / 8;
        Bytes hash(field > 32 ? SHA384_DIGEST_LENGTH : SHA256_DIGEST_LENGTH);
        const auto* m = reinterpret_cast<const unsigned char*>(message.data());
        if (field > 32) SHA384(m, message.size(), hash.data());
        else SHA256(m, message.size(), hash.data());
        authorise(*key);
        const Bytes rs = token_->sign(*key, *findMechanism(CKM_ECDSA), hash, Hash::None);
        ASSERT_EQ(rs.size(), 2u * field) << GetParam().name;
        ECDSA_SIG* sig = ECDSA_SIG_new();
        ECDSA_SIG_set0(sig, BN_bin2bn(rs.data(), static_cast<int>(field), nullptr),
                       BN_bin2bn(rs.data() + field, static_cast<int>(field), nullptr));
        unsigned char* der = nullptr;
        const int derLen = i2d_ECDSA_SIG(sig, &der);
        EVP_PKEY* pub = publicKeyOf(*key);
        ASSERT_NE(pub, nullptr);
        EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(pub, nullptr);
        EXPECT_EQ(EVP_PKEY_verify_init(ctx), 1);
        EXPECT_EQ(EVP_PKEY_verify(ctx, der, static_cast<std::size_t>(derLen), hash.data(), hash.size()), 1) << GetParam().name;
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pub);
        OPENSSL_free(der);
        ECDSA_SIG_free(sig);
    }
    // Each EC key on the path its rule names: PSO CDS when it refuses INTERNAL AUTHENTICATE,
    // with the algorithm byte of its own TokenInfo entry (the simulated EstEID 2018 refuses
    // any other: 6A80).
    EXPECT_EQ(sent(0x2A, 0x9E), facts_.ecKeysSigningByCds);
    EXPECT_EQ(sent(0x88, 0x00), facts_.ecKeys - facts_.ecKeysSigningByCds);
}

TEST_P(CardToken, DecryptChangePinLockAndResetByPuk) {
    token_->loginUser(view(kPin), settings(UnblockSettings::Method::None));
    const std::string message = "session key";
    unsigned decrypted = 0;
    for (const auto& key : ofClass(CKO_PRIVATE_KEY)) {
        if (!key->key()->canDecrypt) continue;
        EVP_PKEY* pub = publicKeyOf(*key);
        ASSERT_NE(pub, nullptr);
        EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(pub, nullptr);
        Bytes cryptogram(512);
        std::size_t len = cryptogram.size();
        ASSERT_EQ(EVP_PKEY_encrypt_init(ctx), 1);
        ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
        ASSERT_EQ(EVP_PKEY_encrypt(ctx, cryptogram.data(), &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()), 1);
        cryptogram.resize(len);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pub);
        authorise(*key);
        const apdu::SecureBytes plain = token_->decrypt(*key, cryptogram);
        EXPECT_EQ(std::string(plain.begin(), plain.end()), message);
        ++decrypted;
    }
    EXPECT_GE(decrypted, facts_.keys > 0 ? 1u : 0u);  // an EC-only card decrypts nothing
    token_->changeUserPin(view(kPin), view("2468"), settings(UnblockSettings::Method::None));
    token_->logout();
    for (int i = 0; i < 3; ++i) {
        EXPECT_ANY_THROW(token_->loginUser(view("0000"), settings(UnblockSettings::Method::None)));
    }
    EXPECT_TRUE(token_->snapshot().userPin.blocked);
    if (!facts_.resetByPuk) {
        EXPECT_THROW(token_->loginSecurityOfficer(view(kPuk), settings(UnblockSettings::Method::Puk)), Error);
        return;
    }
    token_->loginSecurityOfficer(view(kPuk), settings(UnblockSettings::Method::Puk));
    token_->initUserPin(view("1357"), settings(UnblockSettings::Method::Puk));
    token_->logout();
    EXPECT_FALSE(token_->snapshot().userPin.blocked);
    token_->loginUser(view("1357"), settings(UnblockSettings::Method::None));
}

TEST_P(CardToken, ResetByTheServiceWhenTheRuleAllowsExternalAuthentication) {
    for (int i = 0; i < 3; ++i) {
        EXPECT_ANY_THROW(token_->loginUser(view("0000"), settings(UnblockSettings::Method::None)));
    }
    const auto s = settings(UnblockSettings::Method::Service);
    if (!facts_.resetByService) {
        // The card resets by PUK only: the service is not asked, and a typed unblock secret
        // is not sent to the card as a PUK (it could cost a PUK try): no PIN command at all.
        const apdu::SecureBytes secret = protocol::UnblockSecret::generate().display();
        const auto isPinCommand = [](const Bytes& c) { return c[1] == 0x2C || c[1] == 0x24 || (c[1] == 0x20 && c.size() > 5); };
        const std::size_t before = connection_->commands().size();
        try {
            token_->loginSecurityOfficer(ByteView(secret.data(), secret.size()), s);
            ADD_FAILURE() << "SO login with an unblock secret accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.rv(), CKR_FUNCTION_NOT_SUPPORTED);
        }
        const auto& commands = connection_->commands();
        EXPECT_EQ(std::count_if(commands.begin() + static_cast<std::ptrdiff_t>(before), commands.end(), isPinCommand), 0);
        EXPECT_EQ(service_->verifies, 0);
        // A PUK outside its limits is not the PUK either: refused, nothing sent.
        const std::size_t beforeLong = commands.size();
        try {
            token_->loginSecurityOfficer(view(std::string(300, '1')), s);
            ADD_FAILURE() << "SO login with a 300-digit PUK accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.rv(), CKR_PIN_INCORRECT);
        }
        EXPECT_EQ(std::count_if(commands.begin() + static_cast<std::ptrdiff_t>(beforeLong), commands.end(), isPinCommand), 0);
        // The PUK itself still resets the card.
        token_->loginSecurityOfficer(view(kPuk), s);
        token_->initUserPin(view("8642"), s);
        token_->logout();
        token_->loginUser(view("8642"), settings(UnblockSettings::Method::None));
        return;
    }
    const apdu::SecureBytes secret = protocol::UnblockSecret::generate().display();
    token_->loginSecurityOfficer(ByteView(secret.data(), secret.size()), s);
    token_->initUserPin(view("8642"), s);
    EXPECT_TRUE(service_->confirmedDone);
    token_->logout();
    token_->loginUser(view("8642"), settings(UnblockSettings::Method::None));
}

INSTANTIATE_TEST_SUITE_P(Shapes, CardToken, ::testing::ValuesIn(shapes()),
                         [](const ::testing::TestParamInfo<Shape>& i) {
                             std::string n = i.param.name;  // gtest names: letters, digits, _
                             for (char& c : n) {
                                 if (c == '-') c = '_';
                             }
                             return n;
                         });

// A PIN whose reset rule names neither external authentication nor a PUK: the module says
// so before asking the service anything.
TEST(CardTokenRules, ResetRuleAllowingNeitherIsNotSupported) {
    sim::PersonalisedCard p = sim::personalise(fixedCardOptions());
    for (auto& pin : p.state.pins) {
        if (pin.ref == 0x01) pin.acl = {0x72, 0x11, 0x00, 0xFF, 0xFF};  // reset never
    }
    auto card = std::make_shared<sim::Card>(p.state);
    CK_OBJECT_HANDLE h = 0;
    Token token(std::make_unique<SimConnection>(card), [&h] { return ++h; });
    auto service = std::make_shared<FakeService>(card->serialIcc());
    UnblockSettings s;
    s.method = UnblockSettings::Method::Service;
    s.service = service;
    try {
        const apdu::SecureBytes secret = protocol::UnblockSecret::generate().display();
        token.loginSecurityOfficer(ByteView(secret.data(), secret.size()), s);
        ADD_FAILURE() << "SO login accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.rv(), CKR_FUNCTION_NOT_SUPPORTED);
    }
    EXPECT_EQ(service->verifies, 0);
}

}  // namespace
}  // namespace ias::p11
