// SPDX-License-Identifier: Apache-2.0
// The persistent public cache (docs/cache.md) with the token on in-process simulator cards:
// each "process" is a token of its own over its own connection to the same card, so the APDUs
// a second process saves are counted. Hit (on every card family), miss, corrupt, truncated,
// foreign and swapped-card files, concurrent writers, file permissions, the parser on every
// truncation and every flipped byte, and no cache at all.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "card/layout_hints.hpp"
#include "card/public_cache.hpp"
#include "card/sdo_access.hpp"
#include "core/mechanisms.hpp"
#include "core/token.hpp"
#include "sim_connection.hpp"

namespace ias::p11 {
namespace {

using card::CacheDirectory;
using card::CardRecord;
using test::fixedCardOptions;
using test::SimConnection;

constexpr const char* kSerialA = "0010000000123456";
constexpr const char* kSerialB = "0010000000654321";

std::shared_ptr<sim::Card> cardOf(const std::string& personality, const char* serial) {
    sim::PersonalisationOptions o = fixedCardOptions(personality);
    o.serial = apdu::fromHex(serial);
    return std::make_shared<sim::Card>(sim::personalise(o).state);
}

class ScratchDir {
public:
    ScratchDir() {
        std::string name = std::filesystem::temp_directory_path().string() + "/ias-cache-test-XXXXXX";
        if (::mkdtemp(name.data()) == nullptr) throw std::runtime_error("mkdtemp");
        root_ = name;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    std::string root() const { return root_; }
    std::string cache() const { return root_ + "/ias-pkcs11"; }
    std::string file(const char* serial) const { return cache() + "/" + serial + ".cache"; }

private:
    std::string root_;
};

// One process on the card: its own token and connection; identity = the APDUs of first contact.
class Process {
public:
    Process(std::shared_ptr<sim::Card> card, std::shared_ptr<const CacheDirectory> cache, const Bytes& atr = {}) {
        auto connection = std::make_unique<SimConnection>(std::move(card), atr);
        connection_ = connection.get();
        token_ = std::make_unique<Token>(std::move(connection), [this] { return ++handles_; }, std::move(cache));
        identity_ = connection_->commands().size();
    }
    Token& token() { return *token_; }
    std::size_t identityApdus() const { return identity_; }
    std::size_t apdusOf(const std::function<void()>& op) {
        const std::size_t before = connection_->commands().size();
        op();
        return connection_->commands().size() - before;
    }
    // Class, label, ID and value of every object: what an application lists.
    std::vector<std::string> listing() {
        std::vector<std::string> out;
        for (const auto& o : token_->objects()) {
            std::string line = std::to_string(o->objectClass());
            for (CK_ATTRIBUTE_TYPE a : {CKA_LABEL, CKA_ID, CKA_VALUE, CKA_MODULUS}) {
                const Bytes* v = o->find(a);
                line += " " + (v ? apdu::toHex(*v) : std::string("-"));
            }
            out.push_back(line);
        }
        return out;
    }

private:
    SimConnection* connection_ = nullptr;
    std::unique_ptr<Token> token_;
    CK_OBJECT_HANDLE handles_ = 0;
    std::size_t identity_ = 0;
};

std::shared_ptr<const CacheDirectory> directory(const ScratchDir& d) {
    auto cache = std::make_shared<const CacheDirectory>(d.cache());
    if (!cache->usable()) throw std::runtime_error("cache directory not usable: " + cache->why());
    return cache;
}

Bytes fileBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const std::string& path, const Bytes& b) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// --- a second process on every card family ---

class CardCacheFamily : public ::testing::TestWithParam<std::string> {};

TEST_P(CardCacheFamily, SecondProcessReadsNoPublicFile) {
    ScratchDir d;
    const auto cache = directory(d);
    const auto card = cardOf(GetParam(), kSerialA);
    Process cold(card, cache);
    std::vector<std::string> coldListing;
    const std::size_t coldObjects = cold.apdusOf([&] { coldListing = cold.listing(); });
    ASSERT_TRUE(cache->load(apdu::fromHex(kSerialA)).has_value()) << "no record written";

    Process warm(card, cache);
    std::vector<std::string> warmListing;
    const std::size_t warmObjects = warm.apdusOf([&] { warmListing = warm.listing(); });
    std::cerr << "  " << GetParam() << ": first contact cold " << cold.identityApdus() << ", warm " << warm.identityApdus()
              << "; objects cold " << coldObjects << ", warm " << warmObjects << " APDUs\n";
    // Identify the card (SELECT + TokenInfo) and read the PIN's tries: nothing else.
    EXPECT_LE(warm.identityApdus(), 3u);
    EXPECT_EQ(warmObjects, 0u);
    EXPECT_EQ(warmListing, coldListing);
    EXPECT_EQ(warm.token().snapshot().serial, cold.token().snapshot().serial);
    EXPECT_EQ(warm.token().snapshot().label, cold.token().snapshot().label);
    EXPECT_EQ(warm.token().snapshot().userPin.triesLeft, cold.token().snapshot().userPin.triesLeft);
    EXPECT_EQ(warm.token().snapshot().userPinLengths.min, cold.token().snapshot().userPinLengths.min);
}

// Gemalto: the card refuses the PIN's SDO; its tries come from an empty VERIFY (not from its
// own PIN information, which says nothing more and costs two APDUs through 61xx); the record
// keeps that the card shows no descriptor, and a second process asks the tries by VERIFY only.
TEST(CardCache, GemaltoPinTriesComeFromAnEmptyVerify) {
    ScratchDir d;
    const auto cache = directory(d);
    const auto card = cardOf("gemalto-multiapp", kSerialA);
    Process cold(card, cache);
    EXPECT_EQ(cold.token().snapshot().userPin.triesLeft, 3u);
    const auto record = cache->load(apdu::fromHex(kSerialA));
    ASSERT_TRUE(record.has_value());
    const auto pin = record->descriptors.find(CardRecord::DescriptorKey{0, 0x01, 0x11});
    ASSERT_NE(pin, record->descriptors.end());
    EXPECT_TRUE(pin->second.empty());
    Process warm(card, cache);
    EXPECT_EQ(warm.token().snapshot().userPin.triesLeft, 3u);
    EXPECT_LE(warm.identityApdus(), 3u);
}

// A Gemalto card whose user PIN (0x11) `change` alters.
std::shared_ptr<sim::Card> gemaltoWithUserPin(const std::function<void(sim::PinObject&)>& change) {
    sim::PersonalisationOptions o = fixedCardOptions("gemalto-multiapp");
    o.serial = apdu::fromHex(kSerialA);
    sim::CardState state = sim::personalise(o).state;
    for (sim::PinObject& pin : state.pins) {
        if (pin.ref == 0x11) change(pin);
    }
    return std::make_shared<sim::Card>(state);
}

// A card that refuses the PIN's SDO and the empty VERIFY (here: VERIFY only under secure
// messaging) is asked Gemalto's PIN information once: the tries left from DF21.
TEST(CardCache, GemaltoPinInformationWhenTheEmptyVerifyIsRefused) {
    ScratchDir d;
    Process p(gemaltoWithUserPin([](sim::PinObject& pin) {
                  pin.acl[2] = 0x43;  // VERIFY under SM (SE #3) only: the empty VERIFY gets 6982
                  pin.triesLeft = 2;
              }),
              directory(d));
    EXPECT_EQ(p.token().snapshot().userPin.triesLeft, 2u);
}

// Gemalto shows no PIN descriptor, hence no try limit: a card with more tries left than the
// default (the trace's card had 5) shows at least that many as its limit.
TEST(CardCache, TryLimitIsAtLeastTheTriesLeftWhenTheCardDoesNotStateIt) {
    ScratchDir d;
    Process p(gemaltoWithUserPin([](sim::PinObject& pin) { pin.maxTries = pin.triesLeft = 5; }), directory(d));
    EXPECT_EQ(p.token().snapshot().userPin.triesLeft, 5u);
    EXPECT_EQ(p.token().snapshot().userPin.maxTries, 5u);
}

// Sagem: EF.SN is a PAN (read shifted by OpenSC); the token's serial and the record's name
// are TokenInfo's serial, the same as on every other card.
TEST(CardCache, SagemSerialIsTokenInfos) {
    ScratchDir d;
    const auto cache = directory(d);
    Process p(cardOf("sagem", kSerialA), cache);
    EXPECT_EQ(p.token().snapshot().serial, kSerialA);
    EXPECT_TRUE(cache->load(apdu::fromHex(kSerialA)).has_value());
}

INSTANTIATE_TEST_SUITE_P(Families, CardCacheFamily, ::testing::Values("amos", "cosmo-v7", "cosmo-v8", "cosmo-v8-ec", "gemalto-multiapp", "cpx", "sagem"),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (char& c : n) c = c == '-' ? '_' : c;
                             return n;
                         });

// --- the cold first contact (what `pkcs11-tool -L` costs with an empty cache) on every family ---
// EF.DIR by its SFI 1E, SELECT of the application it names, TokenInfo, ODF and AODF by SFI,
// the PIN's descriptor: 6 (Cosmo). A card whose EF.DIR has no SFI and that has the Generic PKI
// application: the refused SFI read, then that application's SELECT (amos, sagem: 6). EF.SN is
// not read: TokenInfo states the serial. A T=0 card gets the PIN descriptor's GET DATA answer
// through 61xx + GET RESPONSE (CPx: 7). Gemalto: its EF.DIR has no SFI and it has no Generic
// PKI application (refused SFI read, refused SELECT, SELECT + READ EF.DIR by path from the MF),
// and it refuses the PIN's SDO: its tries come from an empty VERIFY (10; 12 before, with SELECT
// MF + SELECT EF.DIR and Gemalto's PIN information + GET RESPONSE instead).
// docs/cache.md, bench/apdu_compare.sh.
using ColdBound = std::pair<std::string, std::size_t>;  // personality, APDUs

class CardCacheCold : public ::testing::TestWithParam<ColdBound> {};

TEST_P(CardCacheCold, FirstContactWithinItsBound) {
    const auto& [personality, bound] = GetParam();
    ScratchDir d;
    Process cold(cardOf(personality, kSerialA), directory(d));
    std::cerr << "  " << personality << ": cold first contact " << cold.identityApdus() << " APDUs\n";
    EXPECT_LE(cold.identityApdus(), bound);
    EXPECT_FALSE(cold.token().snapshot().serial.empty());
    EXPECT_GT(cold.token().snapshot().userPin.triesLeft, 0u);
}

INSTANTIATE_TEST_SUITE_P(Families, CardCacheCold,
                         ::testing::Values(ColdBound{"amos", 6}, ColdBound{"sagem", 6}, ColdBound{"cosmo-v7", 6}, ColdBound{"cosmo-v8", 6},
                                           ColdBound{"cosmo-v8-ec", 6}, ColdBound{"cpx", 6}, ColdBound{"gemalto-multiapp", 10}),
                         [](const auto& info) {
                             std::string n = info.param.first;
                             for (char& c : n) c = c == '-' ? '_' : c;
                             return n;
                         });

// A card whose EF.DIR has an SFI and lists another application before the Generic PKI one: the
// Generic PKI application is the token's, as when its SELECT finds it; EF.DIR costs one READ.
TEST(CardCache, EfDirListingTheGenericPkiApplicationSecondStillMakesItTheToken) {
    sim::PersonalisationOptions o = fixedCardOptions("amos");
    o.serial = apdu::fromHex(kSerialA);
    sim::CardState state = sim::personalise(o).state;
    bool changed = false;
    for (sim::FileNode& f : state.mf.children) {
        if (f.fid != 0x2F00) continue;
        f.sfi = 0x1E;
        Bytes listing = apdu::fromHex("61124F09A0000000770108000750056F74686572");  // 61 {4F AID, 50 "other"}
        apdu::append(listing, f.content);
        f.content = std::move(listing);
        changed = true;
    }
    ASSERT_TRUE(changed);
    ScratchDir d;
    Process cold(std::make_shared<sim::Card>(state), directory(d));
    EXPECT_EQ(cold.token().snapshot().label, "IAS-ECC SIM");
    EXPECT_LE(cold.identityApdus(), 6u);
}

// A card presenting the ATR of a layout hint's family (card/layout_hints.cpp: the Gemalto IAS
// card of realcards/uruguay_eid_gemalto_ias, as OpenSC card-cedulauy.c lists it): its application is
// SELECTed at once, with the token it would have without the hint. A card with that ATR but
// not that application (here the default card) is discovered as without the hint.
const Bytes kUruguayGemaltoAtr = apdu::fromHex("3B7F94000080318065B0850300EF120FFF829000");

TEST(CardCache, LayoutHintSelectsTheFamilysApplicationAtOnce) {
    ScratchDir hinted;
    ScratchDir plain;
    const auto card = cardOf("gemalto-multiapp", kSerialA);
    Process withHint(card, directory(hinted), kUruguayGemaltoAtr);
    Process without(cardOf("gemalto-multiapp", kSerialA), directory(plain));
    std::cerr << "  gemalto-multiapp with the Uruguay ATR: cold first contact " << withHint.identityApdus() << " APDUs (without the hint "
              << without.identityApdus() << ")\n";
    EXPECT_LE(withHint.identityApdus(), 6u);
    EXPECT_EQ(withHint.identityApdus() + 4, without.identityApdus());
    EXPECT_EQ(withHint.token().snapshot().label, without.token().snapshot().label);
    EXPECT_EQ(withHint.token().snapshot().serial, without.token().snapshot().serial);
    EXPECT_EQ(withHint.token().snapshot().userPin.triesLeft, without.token().snapshot().userPin.triesLeft);
    EXPECT_EQ(withHint.token().snapshot().userPinLengths.max, without.token().snapshot().userPinLengths.max);
    EXPECT_EQ(withHint.listing(), without.listing());
    // Its record names the same application: a second process finds the card in the cache.
    Process warm(card, directory(hinted), kUruguayGemaltoAtr);
    EXPECT_LE(warm.identityApdus(), 3u);
    EXPECT_EQ(warm.listing(), without.listing());
}

TEST(LayoutHints, AtrMatchesUnderItsMaskAndOnlyTheCpxSimulatedCardIsHinted) {
    Bytes atr = kUruguayGemaltoAtr;
    ASSERT_TRUE(card::layoutHintFor(atr).has_value());
    EXPECT_EQ(apdu::toHex(apdu::fromHex(card::layoutHintFor(atr)->application)), "E828BD080F0147656D20503135");
    atr[2] = 0x96;   // TA1, masked
    atr[12] = 0x01;  // historical bytes, masked
    EXPECT_TRUE(card::layoutHintFor(atr).has_value());
    atr[9] = 0xB1;  // a byte the mask keeps
    EXPECT_FALSE(card::layoutHintFor(atr).has_value());
    EXPECT_FALSE(card::layoutHintFor(apdu::ByteView(kUruguayGemaltoAtr).first(19)).has_value());
    // Of the simulator's cards only the CPx presents the ATR of a hinted family (its own, OpenSC's
    // "IAS/ECC CPx" pattern); the others present ATRs of other evidence.
    for (const sim::Personality& p : sim::personalities()) {
        EXPECT_EQ(card::layoutHintFor(p.atr).has_value(), p.name == "cpx") << p.name;
    }
}

// The CPx hint skips EF.DIR, and so the contactless application EF.DIR lists second: the token
// (objects, label, serial, PIN) is the one a card without the hint gives, in fewer APDUs.
TEST(CardCache, LayoutHintOnTheCpxListsTheTokenOfItsDiscovery) {
    ScratchDir hinted;
    ScratchDir plain;
    const auto card = cardOf("cpx", kSerialA);
    const Bytes unhintedAtr = sim::findPersonality("amos")->atr;
    ASSERT_FALSE(card::layoutHintFor(unhintedAtr).has_value());
    Process withHint(card, directory(hinted));
    Process without(cardOf("cpx", kSerialA), directory(plain), unhintedAtr);
    std::cerr << "  cpx: cold first contact " << withHint.identityApdus() << " APDUs (without the hint " << without.identityApdus()
              << ")\n";
    EXPECT_LE(withHint.identityApdus(), 6u);
    EXPECT_LT(withHint.identityApdus(), without.identityApdus());
    EXPECT_EQ(withHint.token().snapshot().label, without.token().snapshot().label);
    EXPECT_EQ(withHint.token().snapshot().serial, without.token().snapshot().serial);
    EXPECT_EQ(withHint.token().snapshot().userPin.triesLeft, without.token().snapshot().userPin.triesLeft);
    EXPECT_EQ(withHint.token().snapshot().userPinLengths.max, without.token().snapshot().userPinLengths.max);
    EXPECT_EQ(withHint.listing(), without.listing());
    EXPECT_FALSE(withHint.listing().empty());
    Process warm(card, directory(hinted));
    EXPECT_LE(warm.identityApdus(), 3u);
    EXPECT_EQ(warm.listing(), without.listing());
}

TEST(CardCache, LayoutHintThatTheCardRefutesCostsOneSelect) {
    ScratchDir hinted;
    ScratchDir plain;
    Process withHint(cardOf("amos", kSerialA), directory(hinted), kUruguayGemaltoAtr);
    Process without(cardOf("amos", kSerialA), directory(plain));
    EXPECT_EQ(withHint.identityApdus(), without.identityApdus() + 1);
    EXPECT_EQ(withHint.token().snapshot().label, without.token().snapshot().label);
    EXPECT_EQ(withHint.token().snapshot().serial, without.token().snapshot().serial);
    EXPECT_EQ(withHint.listing(), without.listing());
}

TEST(CardCache, ColdFirstContactOnTheDefaultCardIsAtMostSix) {
    ScratchDir d;
    Process cold(cardOf("amos", kSerialA), directory(d));
    EXPECT_LE(cold.identityApdus(), 6u);
}

TEST(CardCache, WarmLoginAndSignSendOnlyVerifyMseAndSign) {
    ScratchDir d;
    const auto cache = directory(d);
    const auto card = cardOf("amos", kSerialA);
    Bytes di = digestInfoPrefix(Hash::Sha256);
    di.resize(di.size() + 32, 0x5A);
    {
        Process first(card, cache);
        first.token().loginUser(apdu::ByteView(reinterpret_cast<const std::uint8_t*>("4711"), 4), UnblockSettings{});
        for (const auto& o : first.token().objects()) {
            if (o->objectClass() == CKO_PRIVATE_KEY && o->key()->canSign && !o->key()->alwaysAuthenticate) (void)first.token().sign(*o, *findMechanism(CKM_RSA_PKCS), di, Hash::None);
        }
        first.token().logout();
    }
    Process second(card, cache);
    const std::size_t login =
        second.apdusOf([&] { second.token().loginUser(apdu::ByteView(reinterpret_cast<const std::uint8_t*>("4711"), 4), UnblockSettings{}); });
    std::size_t signs = 0;
    std::size_t keys = 0;
    for (const auto& o : second.token().objects()) {
        if (o->objectClass() != CKO_PRIVATE_KEY || !o->key()->canSign || o->key()->alwaysAuthenticate) continue;
        ++keys;
        signs += second.apdusOf([&] { (void)second.token().sign(*o, *findMechanism(CKM_RSA_PKCS), di, Hash::None); });
    }
    EXPECT_EQ(login, 1u);
    ASSERT_GT(keys, 0u);
    EXPECT_EQ(signs, 2 * keys) << "MSE SET + the signature per key: its descriptor comes from the cache";
    EXPECT_LE(second.identityApdus() + login + signs / keys, 8u);
}

TEST(CardCache, PinTriesAreAlwaysTheCardsOwn) {
    ScratchDir d;
    const auto cache = directory(d);
    const auto card = cardOf("amos", kSerialA);
    const std::string wrong = "0000";
    const apdu::ByteView wrongPin(reinterpret_cast<const std::uint8_t*>(wrong.data()), wrong.size());
    Process first(card, cache);
    const unsigned full = first.token().snapshot().userPin.triesLeft;
    EXPECT_THROW(first.token().loginUser(wrongPin, UnblockSettings{}), std::exception);
    Process second(card, cache);
    EXPECT_LE(second.identityApdus(), 3u);
    EXPECT_EQ(second.token().snapshot().userPin.triesLeft, full - 1) << "tries read from the card, not the cache";
    for (unsigned i = 1; i < full; ++i) EXPECT_THROW(second.token().loginUser(wrongPin, UnblockSettings{}), std::exception);
    Process third(card, cache);
    EXPECT_TRUE(third.token().snapshot().userPin.blocked);
    EXPECT_EQ(third.token().snapshot().userPin.triesLeft, 0u);
    const auto record = cache->load(apdu::fromHex(kSerialA));
    ASSERT_TRUE(record.has_value());
    for (const auto& [key, answer] : record->descriptors) {
        if (answer.empty()) continue;
        EXPECT_EQ(card::parseSdoAccess(answer, static_cast<card::SdoClass>(std::get<1>(key)), std::get<2>(key) & 0x1F).triesLeft, std::nullopt)
            << "a counter in the cache";
    }
}

// --- bad files ---

TEST(CardCache, CorruptTruncatedOrForeignFilesAreIgnoredAndRewritten) {
    const std::vector<std::pair<std::string, std::function<Bytes(Bytes)>>> damages = {
        {"flipped byte", [](Bytes b) { b[b.size() / 2] ^= 0x01; return b; }},
        {"truncated", [](Bytes b) { b.resize(b.size() / 2); return b; }},
        {"last byte missing", [](Bytes b) { b.pop_back(); return b; }},
        {"empty", [](const Bytes&) { return Bytes{}; }},
        {"trailing byte", [](Bytes b) { b.push_back(0); return b; }},
        {"not a cache file", [](const Bytes&) { return Bytes(4096, 0x41); }},
    };
    for (const auto& [name, damage] : damages) {
        SCOPED_TRACE(name);
        ScratchDir d;
        const auto cache = directory(d);
        const auto card = cardOf("amos", kSerialA);
        Process cold(card, cache);
        const auto reference = cold.listing();
        writeBytes(d.file(kSerialA), damage(fileBytes(d.file(kSerialA))));
        EXPECT_FALSE(cache->load(apdu::fromHex(kSerialA)).has_value());

        Process again(card, cache);
        EXPECT_GT(again.identityApdus(), 3u) << "read from the card like a first time";
        EXPECT_EQ(again.listing(), reference);
        EXPECT_TRUE(cache->load(apdu::fromHex(kSerialA)).has_value()) << "rewritten";
    }
}

TEST(CardCache, RecordFiledUnderAnotherSerialIsForeign) {
    ScratchDir d;
    const auto cache = directory(d);
    Process a(cardOf("amos", kSerialA), cache);
    (void)a.listing();
    // Card A's record under card B's name (and A's own file gone).
    std::filesystem::rename(d.file(kSerialA), d.file(kSerialB));
    EXPECT_FALSE(cache->load(apdu::fromHex(kSerialB)).has_value());
    EXPECT_TRUE(cache->recordsFor(cardOf("amos", kSerialB)->atr()).empty());

    const auto cardB = cardOf("amos", kSerialB);
    Process reference(cardB, nullptr);
    Process b(cardB, cache);
    EXPECT_EQ(b.token().snapshot().serial, kSerialB);
    EXPECT_EQ(b.listing(), reference.listing());
    const auto rewritten = cache->load(apdu::fromHex(kSerialB));
    ASSERT_TRUE(rewritten.has_value());
    EXPECT_EQ(rewritten->serial, apdu::fromHex(kSerialB));
}

TEST(CardCache, SwappedCardShowsOnlyItsOwnObjects) {
    ScratchDir d;
    const auto cache = directory(d);
    // Card A in the reader, then card B (same family, same ATR) in the same reader.
    Process a(cardOf("amos", kSerialA), cache);
    const auto listingA = a.listing();
    const auto cardB = cardOf("amos", kSerialB);
    Process referenceB(cardB, nullptr);
    const auto listingB = referenceB.listing();
    ASSERT_NE(listingA, listingB);

    Process b(cardB, cache);
    EXPECT_EQ(b.token().snapshot().serial, kSerialB);
    EXPECT_EQ(b.listing(), listingB);
    // And back to A: A's objects again, from its own record.
    Process backToA(cardOf("amos", kSerialA), cache);
    EXPECT_EQ(backToA.listing(), listingA);
    EXPECT_EQ(backToA.token().snapshot().serial, kSerialA);
}

TEST(CardCache, CardChangedSinceRecordedIsReadAgain) {
    ScratchDir d;
    const auto cache = directory(d);
    const auto card = cardOf("amos", kSerialA);
    Process first(card, cache);
    (void)first.listing();
    // The recorded TokenInfo no longer matches the card's (as after a re-personalisation).
    auto record = cache->load(apdu::fromHex(kSerialA));
    ASSERT_TRUE(record.has_value());
    Bytes& tokenInfo = record->files.at({0, 0x5032});
    tokenInfo.back() ^= 0x01;
    std::string why;
    ASSERT_TRUE(cache->store(*record, why)) << why;

    Process second(card, cache);
    EXPECT_GT(second.identityApdus(), 3u);
    EXPECT_EQ(second.listing(), first.listing());
    EXPECT_NE(cache->load(apdu::fromHex(kSerialA))->files.at({0, 0x5032}), tokenInfo) << "rewritten from the card";
}

// --- the file itself ---

CardRecord sampleRecord(std::size_t certificateSize) {
    CardRecord r;
    r.atr = apdu::fromHex("3BDF18FF8191FE1FC30031B8640C01ECC173940180829000B3");
    r.serial = apdu::fromHex(kSerialA);
    r.applications = {apdu::fromHex("E828BD080FD25047656E65726963")};
    r.files[{0, 0x5032}] = apdu::fromHex("3003040101");
    r.files[{0, 0xB001}] = Bytes(certificateSize, 0x30);
    r.missingFiles.emplace_back(0, 0x5033);
    r.descriptors[{0, 0x10, 0x81}] = apdu::fromHex("70 05 BF 90 01 A0 00");
    return r;
}

TEST(CardCacheFile, ParserRefusesEveryTruncationAndEveryFlippedByte) {
    const CardRecord r = sampleRecord(40);
    const Bytes encoded = card::encodeCardRecord(r);
    const auto back = card::parseCardRecord(encoded);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, r);
    for (std::size_t n = 0; n < encoded.size(); ++n) {
        EXPECT_FALSE(card::parseCardRecord(apdu::ByteView(encoded.data(), n)).has_value()) << "prefix " << n;
        Bytes flipped = encoded;
        flipped[n] ^= 0x20;
        EXPECT_FALSE(card::parseCardRecord(flipped).has_value()) << "flipped byte " << n;
    }
}

TEST(CardCacheFile, ConcurrentWritersNeverShowAPartialFile) {
    ScratchDir d;
    const auto cache = directory(d);
    const CardRecord small = sampleRecord(100);
    const CardRecord large = sampleRecord(200000);
    std::string why;
    ASSERT_TRUE(cache->store(small, why)) << why;
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::atomic<int> reads{0};
    std::thread reader([&] {
        while (!stop) {
            const auto got = cache->load(apdu::fromHex(kSerialA));
            if (!got || (*got != small && *got != large)) ++failures;
            ++reads;
        }
    });
    auto writer = [&](const CardRecord& r) {
        std::string error;
        for (int i = 0; i < 150; ++i) {
            if (!cache->store(r, error)) ++failures;
        }
    };
    std::thread w1(writer, std::cref(small));
    std::thread w2(writer, std::cref(large));
    w1.join();
    w2.join();
    stop = true;
    reader.join();
    EXPECT_EQ(failures, 0);
    EXPECT_GT(reads, 0);
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(d.cache())) {
        ++files;
        EXPECT_EQ(e.path().filename().string(), std::string(kSerialA) + ".cache") << "no temporary file left";
    }
    EXPECT_EQ(files, 1u);
}

TEST(CardCacheFile, PrivateFilesAndNoSymbolicLinks) {
    ScratchDir d;
    const auto cache = directory(d);
    std::string why;
    ASSERT_TRUE(cache->store(sampleRecord(10), why)) << why;
    struct stat st {};
    ASSERT_EQ(::stat(d.file(kSerialA).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    ASSERT_EQ(::stat(d.cache().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);

    // A cache file that is a symbolic link (to a valid record) is never read.
    std::filesystem::rename(d.file(kSerialA), d.root() + "/elsewhere.cache");
    std::filesystem::create_symlink(d.root() + "/elsewhere.cache", d.file(kSerialA));
    EXPECT_FALSE(cache->load(apdu::fromHex(kSerialA)).has_value());
    EXPECT_TRUE(cache->recordsFor(sampleRecord(10).atr).empty());
    // Writing replaces the link itself, never its target.
    ASSERT_TRUE(cache->store(sampleRecord(20), why)) << why;
    EXPECT_FALSE(std::filesystem::is_symlink(d.file(kSerialA)));
    EXPECT_EQ(card::parseCardRecord(fileBytes(d.root() + "/elsewhere.cache")), sampleRecord(10));

    // The directory through a symbolic link, or open to others: refused.
    std::filesystem::create_directory_symlink(d.cache(), d.root() + "/link");
    EXPECT_FALSE(CacheDirectory(d.root() + "/link").usable());
    ASSERT_EQ(::chmod(d.cache().c_str(), 0755), 0);
    EXPECT_FALSE(CacheDirectory(d.cache()).usable());
    EXPECT_FALSE(cache->store(sampleRecord(10), why));
    EXPECT_FALSE(CacheDirectory("relative/path").usable());
}

TEST(CardCache, WithoutCacheNothingIsWritten) {
    ScratchDir d;
    std::filesystem::create_directory(d.cache());
    const auto card = cardOf("amos", kSerialA);
    Process first(card, nullptr);
    (void)first.listing();
    Process second(card, nullptr);
    EXPECT_GT(second.identityApdus(), 3u);
    EXPECT_TRUE(std::filesystem::is_empty(d.cache()));
}

}  // namespace
}  // namespace ias::p11
