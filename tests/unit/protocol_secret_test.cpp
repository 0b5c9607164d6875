// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "ias/apdu/error.hpp"
#include "ias/protocol/secret.hpp"
#include "apdu_test_util.hpp"

using namespace ias::apdu;
using namespace ias::protocol;
using ias::apdu::test::str;

namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";


UnblockSecret known() { return UnblockSecret::fromBytes(fromHex("00112233445566778899")); }
}  // namespace

TEST(Secret, KnownVectorEncodesMsbFirst) {
    // Independently computed (Python) from the documented algorithm.
    const std::string c = str(known().canonical());
    ASSERT_EQ(c.size(), kSecretSymbols);
    EXPECT_EQ(c, "008J4CT4ANK7F24S5X");
    const std::string d = str(known().display());
    EXPECT_EQ(d.size(), kSecretDisplayLength);
    EXPECT_EQ(d, "008J-4CT4-ANK7-F24S-5X");
}

TEST(Secret, CheckSymbolsSatisfyTheDocumentedEquation) {
    for (int n = 0; n < 200; ++n) {
        const std::string c = str(UnblockSecret::generate().canonical());
        unsigned sum = 0;
        for (std::size_t i = 0; i < c.size(); ++i) {
            const unsigned v = static_cast<unsigned>(std::string(kAlphabet).find(c[i]));
            const unsigned w = i < 16 ? static_cast<unsigned>(i + 2) : (i == 16 ? 32u : 1u);
            sum = (sum + w * v) % 1021;
        }
        EXPECT_EQ(sum, 0u);
        EXPECT_LT(32u * std::string(kAlphabet).find(c[16]) + std::string(kAlphabet).find(c[17]), 1021u);
    }
}

TEST(Secret, RoundTripAndLenientInput) {
    const UnblockSecret s = known();
    const std::string d = str(s.display());
    for (const std::string& typed : {d, str(s.canonical())}) {
        auto r = parseSecret(typed);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r.secret->bytes(), s.bytes());
    }
    std::string lower = d;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_TRUE(parseSecret(lower).ok());
    std::string spaced;
    for (char ch : str(s.canonical())) { spaced += ch; spaced += ' '; }
    EXPECT_TRUE(parseSecret(spaced).ok());
    // 0 typed as O and 1 typed as I / L.
    std::string confusable = d;
    for (char& ch : confusable) if (ch == '0') ch = 'o';
    EXPECT_TRUE(parseSecret(confusable).ok());
    const UnblockSecret ones = UnblockSecret::fromBytes(fromHex("08421084210842108421"));  // all symbols 1
    std::string withI = str(ones.display());
    ASSERT_EQ(withI.substr(0, 4), "1111");
    withI[0] = 'I';
    withI[1] = 'l';
    withI[2] = 'L';
    EXPECT_TRUE(parseSecret(withI).ok());
}

TEST(Secret, ErrorsAreDistinguished) {
    const std::string c = str(known().canonical());
    EXPECT_EQ(parseSecret("").error, SecretParseError::BadLength);
    EXPECT_EQ(parseSecret(c.substr(0, 17)).error, SecretParseError::BadLength);
    EXPECT_EQ(parseSecret(c + "0").error, SecretParseError::BadLength);
    std::string u = c;
    u[3] = 'U';
    EXPECT_EQ(parseSecret(u).error, SecretParseError::BadSymbol);
    u[3] = '*';
    EXPECT_EQ(parseSecret(u).error, SecretParseError::BadSymbol);
    std::string wrong = c;
    wrong[5] = wrong[5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(parseSecret(wrong).error, SecretParseError::BadCheck);
    EXPECT_STREQ(toString(SecretParseError::BadCheck), "bad_check");
}

TEST(Secret, EverySingleSubstitutionIsDetected) {
    for (int n = 0; n < 20; ++n) {
        const std::string c = str(UnblockSecret::generate().canonical());
        for (std::size_t i = 0; i < c.size(); ++i) {
            for (char alt : std::string(kAlphabet)) {
                if (alt == c[i]) continue;
                std::string t = c;
                t[i] = alt;
                EXPECT_EQ(parseSecret(t).error, SecretParseError::BadCheck) << "position " << i;
            }
        }
    }
}

TEST(Secret, EveryAdjacentTranspositionIsDetected) {
    for (int n = 0; n < 300; ++n) {
        const std::string c = str(UnblockSecret::generate().canonical());
        for (std::size_t i = 0; i + 1 < c.size(); ++i) {
            if (c[i] == c[i + 1]) continue;
            std::string t = c;
            std::swap(t[i], t[i + 1]);
            EXPECT_EQ(parseSecret(t).error, SecretParseError::BadCheck) << "position " << i;
        }
    }
}

TEST(Secret, GeneratedSecretsDiffer) {
    std::set<std::string> seen;
    for (int n = 0; n < 100; ++n) seen.insert(str(UnblockSecret::generate().canonical()));
    EXPECT_EQ(seen.size(), 100u);
    EXPECT_THROW(UnblockSecret::fromBytes(fromHex("0011")), ias::apdu::Error);
}
