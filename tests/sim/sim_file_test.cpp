// SPDX-License-Identifier: Apache-2.0
// SELECT and READ BINARY: the OpenSC card-init sequence (IAS-ECC-reference §2) and errors.
#include "ias/apdu/tlv.hpp"
#include "sim_fixture.hpp"

namespace ias::sim::test {

namespace {
const std::string kAid = "E828BD080FD25047656E65726963";
}

TEST_F(SimCard, OpenScInitSequence) {
    EXPECT_EQ(tx("00A4000C023F00").sw.value(), 0x9000);
    EXPECT_TRUE(tx("00A4000C023F00").data.empty());

    const ResponseApdu fcp = tx("00A40904022F0100");
    ASSERT_EQ(fcp.sw.value(), 0x9000);
    const auto size = apdu::TlvParser::findPath(fcp.data, {0x62, 0x80});
    ASSERT_TRUE(size);
    EXPECT_EQ(Bytes(size->value.begin(), size->value.end()), fromHex("0020"));
    EXPECT_TRUE(apdu::TlvParser::findPath(fcp.data, {0x62, 0xA1, 0x8C}));
    const auto type = apdu::TlvParser::findPath(fcp.data, {0x62, 0x82});
    ASSERT_TRUE(type);
    EXPECT_EQ(type->value[0], 0x01);

    const ResponseApdu atr = tx("00B0000020");
    ASSERT_EQ(atr.sw.value(), 0x9000);
    EXPECT_EQ(data(atr), fromHex("43014046040102030147039401 80E010020201040202010402020100020201 00"));

    const ResponseApdu sn = tx("00B09C00C0");
    ASSERT_EQ(sn.sw.value(), 0x9000);
    EXPECT_EQ(data(sn), fromHex("5A08") + kSerial);
}

TEST_F(SimCard, SelectApplicationByNameReturnsDfFcp) {
    const ResponseApdu r = tx("00A404040E" + kAid + "00");
    ASSERT_EQ(r.sw.value(), 0x9000);
    const auto fdb = apdu::TlvParser::findPath(r.data, {0x62, 0x82});
    ASSERT_TRUE(fdb);
    EXPECT_EQ(fdb->value[0], 0x38);
    const auto name = apdu::TlvParser::findPath(r.data, {0x62, 0x84});
    ASSERT_TRUE(name);
    EXPECT_EQ(Bytes(name->value.begin(), name->value.end()), fromHex(kAid));
}

TEST_F(SimCard, SelectVariantsOfReference) {
    selectApplication();
    EXPECT_EQ(swOf("00A409040250310 0"), 0x9000);               // path from current DF
    EXPECT_EQ(swOf("00A40204027001 00"), 0x9000);               // EF under current DF
    EXPECT_EQ(swOf("00A40904043F002F0100"), 0x9000);            // path with leading 3F00 (Gemalto)
    EXPECT_EQ(swOf("00A408040450005032 00"), 0x9000);           // path from MF
    EXPECT_EQ(swOf("00A4030C"), 0x9000);                        // parent of the application
    EXPECT_EQ(swOf("00A40204022F0000"), 0x9000);                // now in the MF
    EXPECT_EQ(swOf("00A4000C"), 0x9000);                        // no data: the MF
}

TEST_F(SimCard, SelectErrors) {
    EXPECT_EQ(swOf("00A40204021234 00"), 0x6A82);
    EXPECT_EQ(swOf("00A404040EE828BD080FD25047656E65726900 00"), 0x6A82);
    EXPECT_EQ(swOf("00A4020802503100"), 0x6A86);                 // P2 08 unsupported
    EXPECT_EQ(swOf("00A4070402503100"), 0x6A86);                 // P1 07
    EXPECT_EQ(swOf("00A402040150 00"), 0x6A80);                  // odd FID length
    EXPECT_EQ(swOf("00A40904042F015031 00"), 0x6A82);            // EF in the middle of a path
}

TEST_F(SimCard, ReadBinaryChunksAndEndOfFile) {
    selectApplication();
    const Bytes cert = readFile("B001");
    ASSERT_GT(cert.size(), 512u);
    EXPECT_EQ(cert[0], 0x30);
    // Offset exactly at the end: 62 82 without data; beyond: 6B 00.
    char hdr[16];
    (void)std::snprintf(hdr, sizeof hdr, "00B0%02X%02X10", static_cast<unsigned>(cert.size() >> 8),
                  static_cast<unsigned>(cert.size() & 0xFF));
    const ResponseApdu eof = tx(hdr);
    EXPECT_EQ(eof.sw.value(), 0x6282);
    EXPECT_TRUE(eof.data.empty());
    (void)std::snprintf(hdr, sizeof hdr, "00B0%02X%02X10", static_cast<unsigned>((cert.size() + 1) >> 8),
                  static_cast<unsigned>((cert.size() + 1) & 0xFF));
    EXPECT_EQ(swOf(hdr), 0x6B00);
    // Fewer bytes than asked: what is left, 90 00.
    (void)std::snprintf(hdr, sizeof hdr, "00B0%02X%02X00", static_cast<unsigned>((cert.size() - 3) >> 8),
                  static_cast<unsigned>((cert.size() - 3) & 0xFF));
    const ResponseApdu tail = tx(hdr);
    EXPECT_EQ(tail.sw.value(), 0x9000);
    EXPECT_EQ(tail.data.size(), 3u);
}

TEST_F(SimCard, ReadBinaryWithoutCurrentEfOrUnknownSfi) {
    EXPECT_EQ(swOf("00A4000C023F00"), 0x9000);
    EXPECT_EQ(swOf("00B0000010"), 0x6986);
    EXPECT_EQ(swOf("00B0810010"), 0x6A82);  // no EF with SFI 1
    EXPECT_EQ(swOf("00B0000001AA10"), 0x6700);
}

// READ BINARY by short EF identifier (ISO 7816-4 §7.2.3: P1 b8=1, b5..b1 = SFI, P2 = offset):
// the EF of that SFI in the current DF, which the read makes the current EF.
TEST_F(SimCard, ReadBinaryByShortEfIdentifier) {
    const ResponseApdu whole = tx("00B09C0000");                    // EF.SN, the MF current at power-on
    ASSERT_EQ(whole.sw.value(), 0x9000);
    const Bytes sn = data(whole);
    EXPECT_EQ(sn, fromHex("5A08") + kSerial);
    EXPECT_EQ(swOf("00B09E0010"), 0x6A82);                          // no SFI 1E on this card's EF.DIR
    EXPECT_EQ(swOf("00B0970010"), 0x6A82);                          // no EF with SFI 17 in the MF
    EXPECT_EQ(swOf("00B0DC0010"), 0x6A86);                          // P1 b7/b6 set: not an SFI read
    // Offset in P2: a part, the end (62 82), beyond the end (6B 00).
    const ResponseApdu part = tx("00B09C0204");
    ASSERT_EQ(part.sw.value(), 0x9000);
    EXPECT_EQ(data(part), Bytes(sn.begin() + 2, sn.begin() + 6));
    char hdr[16];
    (void)std::snprintf(hdr, sizeof hdr, "00B09C%02X10", static_cast<unsigned>(sn.size()));
    EXPECT_EQ(swOf(hdr), 0x6282);
    (void)std::snprintf(hdr, sizeof hdr, "00B09C%02X10", static_cast<unsigned>(sn.size() + 1));
    EXPECT_EQ(swOf(hdr), 0x6B00);
    // The SFI read made EF.SN current: a plain READ BINARY goes on in it.
    EXPECT_EQ(swOf("00A40C0C022F01"), 0x6A86);                      // (P1 0C: refused, nothing changes)
    ASSERT_EQ(swOf("00B09C0001"), 0x9000);
    const ResponseApdu rest = tx("00B0000100");
    ASSERT_EQ(rest.sw.value(), 0x9000);
    EXPECT_EQ(data(rest), Bytes(sn.begin() + 1, sn.end()));
    // In the application: TokenInfo 5032 by its SFI 12; EF.SN's SFI is the MF's.
    selectApplication();
    EXPECT_EQ(swOf("00B09C0010"), 0x6A82);
    const ResponseApdu tokenInfo = tx("00B0920000");
    ASSERT_EQ(tokenInfo.sw.value(), 0x9000);
    EXPECT_EQ(data(tokenInfo), readFile("5032"));
}

TEST_F(SimCard, Pkcs15FilesAreTheReferenceEncodings) {
    selectApplication();
    EXPECT_EQ(readFile("5031"), fromHex("A806300404027001A006300404027002A406300404027005"));
    const Bytes tokenInfo = readFile("5032");
    ASSERT_FALSE(tokenInfo.empty());
    EXPECT_NO_THROW(apdu::TlvParser::parseAllChecked(tokenInfo));
    const auto serial = apdu::TlvParser::findPath(tokenInfo, {0x30, 0x04});
    ASSERT_TRUE(serial);
    EXPECT_EQ(Bytes(serial->value.begin(), serial->value.end()), kSerial);
    const Bytes aodf = readFile("7001");
    // User PIN: authId 01, protected by the PUK (authId 02), reference 0x81; PUK: unblockingPin.
    EXPECT_NE(apdu::toHex(aodf).find("3003040101A1163014030203C80A010202010402010802010880020081"), std::string::npos);
    EXPECT_NE(apdu::toHex(aodf).find("80020081"), std::string::npos);
    EXPECT_NE(apdu::toHex(aodf).find("030201CA"), std::string::npos);
    const Bytes prkdf = readFile("7002");
    EXPECT_NE(apdu::toHex(prkdf).find("02020081"), std::string::npos);      // keyReference
    EXPECT_NE(apdu::toHex(prkdf).find("A10A30083002040002020800"), std::string::npos);  // path 30 02 04 00
    const Bytes cdf = readFile("7005");
    EXPECT_NE(apdu::toHex(cdf).find("3003040145A108300630040402B001"), std::string::npos);
}

}  // namespace ias::sim::test
