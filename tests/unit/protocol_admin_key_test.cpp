#include <gtest/gtest.h>

#include "ias/apdu/crypto.hpp"
#include "ias/protocol/admin_key.hpp"

using namespace ias::apdu;
using namespace ias::protocol;

TEST(AdminKey, SerialIccPadsAndTruncates) {
    EXPECT_EQ(serialIcc(fromHex("9250001000000012345F")), fromHex("001000000012345F"));
    EXPECT_EQ(serialIcc(fromHex("1234")), fromHex("0000000000001234"));
}

TEST(AdminKey, DerivationDataAndKeys) {
    const Bytes sn = fromHex("001000000012345F");
    EXPECT_EQ(adminKeyDerivationData(sn, false), fromHex("001000000012345F0000000000000001"));
    EXPECT_EQ(adminKeyDerivationData(sn, true), fromHex("001000000012345F0000000000000002"));
    const Bytes master = fromHex("00112233445566778899AABBCCDDEEFF");
    const AdminKeys k = deriveAdminKeys(master, sn);
    EXPECT_EQ(k.enc.size(), 16u);
    const SecureBytes enc = crypto::des3EcbEncrypt(master, adminKeyDerivationData(sn, false));
    EXPECT_EQ(Bytes(k.enc.begin(), k.enc.end()), Bytes(enc.begin(), enc.end()));
    EXPECT_NE(Bytes(k.enc.begin(), k.enc.end()), Bytes(k.mac.begin(), k.mac.end()));
    // Another serial gives other keys.
    const AdminKeys other = deriveAdminKeys(master, fromHex("0010000000123460"));
    EXPECT_NE(Bytes(k.enc.begin(), k.enc.end()), Bytes(other.enc.begin(), other.enc.end()));
}

TEST(AdminKey, CryptogramChecksOnlyForItsChallengeAndCard) {
    const Bytes master = fromHex("00112233445566778899AABBCCDDEEFF");
    const Bytes sn = fromHex("001000000012345F");
    const AdminKeys k = deriveAdminKeys(master, sn);
    const Bytes rnd = fromHex("0102030405060708");
    const Bytes c = externalAuthCryptogram(k, rnd, sn);
    ASSERT_EQ(c.size(), kCryptogramSize);
    EXPECT_TRUE(checkExternalAuthCryptogram(k, rnd, sn, c));
    EXPECT_FALSE(checkExternalAuthCryptogram(k, fromHex("0102030405060709"), sn, c));
    Bytes tampered = c;
    tampered[23] ^= 1;
    EXPECT_FALSE(checkExternalAuthCryptogram(k, rnd, sn, tampered));
    EXPECT_FALSE(checkExternalAuthCryptogram(k, rnd, sn, Bytes(c.begin(), c.begin() + 16)));
    const AdminKeys other = deriveAdminKeys(master, fromHex("0010000000123460"));
    EXPECT_FALSE(checkExternalAuthCryptogram(other, rnd, sn, c));
}
