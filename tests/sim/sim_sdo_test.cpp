// SPDX-License-Identifier: Apache-2.0
// GET DATA of SDOs: the verified responses of IAS-ECC-reference §4.3.
#include "sim_fixture.hpp"

namespace ias::sim::test {

TEST_F(SimCard, GetDataChvLengthsAndDocp) {
    selectApplication();
    const ResponseApdu chv = tx("00CB3FFF0B4D09700 7BF8101037F418000");
    ASSERT_EQ(chv.sw.value(), 0x9000);
    EXPECT_EQ(data(chv), fromHex("700DBF8101097F410680010881 0104"));
    const ResponseApdu docp = tx("00CB3FFF0A4D087006BF810102A08000");
    ASSERT_EQ(docp.sw.value(), 0x9000);
    EXPECT_EQ(data(docp), fromHex("7015BF810111A00FA1078C057211003 2FF9A01039B0103"));
}

TEST_F(SimCard, GetDataDocpShowsTriesLeft) {
    selectApplication();
    EXPECT_EQ(swOf("002000810439393939"), 0x63C2);
    const ResponseApdu docp = tx("00CB3FFF0A4D087006BF810102A08000");
    EXPECT_EQ(data(docp), fromHex("7015BF810111A00FA1078C0572110032FF9A01039B0102"));
}

TEST_F(SimCard, GetDataPrivateKey) {
    selectApplication();
    EXPECT_EQ(swOf("00CB3FFF0B4D097007BF9001037F488000"), 0x6A80);
    const ResponseApdu docp = tx("00CB3FFF0A4D087006BF900102A08000");
    ASSERT_EQ(docp.sw.value(), 0x9000);
    EXPECT_EQ(data(docp), fromHex("7014BF900110A00EA1088C067A111111FFFF80020100"));
    EXPECT_EQ(swOf("00CB3FFF0A4D087006BF900902A08000"), 0x6A88);
}

TEST_F(SimCard, GetDataPublicKeyOfRsaAndEcKeys) {
    selectApplication();
    // RSA-2048 public key: more than 256 bytes, the rest behind 61xx.
    const ResponseApdu rsa = tx("00CB3FFF0B4D097007BFA001037F498000");
    ASSERT_EQ(rsa.sw.sw1(), 0x61);
    EXPECT_EQ(rsa.data[0], 0x70);
    EXPECT_EQ(rsa.data.size(), 256u);
    const ResponseApdu rest = tx("00C00000" + apdu::toHex(Bytes{rsa.sw.sw2()}));
    EXPECT_EQ(rest.sw.value(), 0x9000);
    EXPECT_EQ(rest.data.size(), rsa.sw.sw2());
    const ResponseApdu ec = tx("00CB3FFF0B4D097007BFA003037F498000");
    ASSERT_EQ(ec.sw.value(), 0x9000);
    EXPECT_EQ(apdu::toHex(data(ec)).find("864104"), 18u);  // 70 L BF A0 03 L 7F 49 L 86 41 04...
}

TEST_F(SimCard, GetDataSecurityEnvironmentsAndKeysets) {
    selectApplication();
    const ResponseApdu se1 = tx("00CB3FFF0A4D087006BFFB01027B8000");
    ASSERT_EQ(se1.sw.value(), 0x9000);
    EXPECT_EQ(data(se1), fromHex("700EBFFB010A7B08A406830181950108"));
    const ResponseApdu se2 = tx("00CB3FFF0A4D087006BFFB02027B8000");
    EXPECT_EQ(data(se2), fromHex("7019BFFB02157B13A406830182950108A409800 11C830181950180"));
    const ResponseApdu keyset = tx("00CB3FFF0A4D087006BF8A0102A08000");
    ASSERT_EQ(keyset.sw.value(), 0x9000);
    EXPECT_EQ(swOf("00CB3FFF0A4D087006BF8A0102A28000"), 0x6A80);  // key values never leave
}

TEST_F(SimCard, GetDataMalformedRequests) {
    selectApplication();
    EXPECT_EQ(swOf("00CB3FFE0A4D087006BF810102A08000"), 0x6A86);
    EXPECT_EQ(swOf("00CB3FFF0A4D097006BF810102A08000"), 0x6A80);   // 4D length beyond data
    EXPECT_EQ(swOf("00CB3FFF054D03700100 00"), 0x6A80);
    EXPECT_EQ(swOf("00CB3FFF025C0000"), 0x6A80);
    EXPECT_EQ(swOf("00CB3FFF0A4D087006BF8101027F4800"), 0x6A80);    // private-key template on a CHV
    EXPECT_EQ(swOf("00CB3FFF0A4D087006BF810502A08000"), 0x6A88);    // no CHV 5
}

}  // namespace ias::sim::test
