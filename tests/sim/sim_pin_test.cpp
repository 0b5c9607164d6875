// SPDX-License-Identifier: Apache-2.0
// VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER (IAS-ECC-reference §6).
#include "sim_fixture.hpp"

namespace ias::sim::test {

namespace {
std::string verifyApdu(const std::string& pin, const std::string& ref = "81") {
    char lc[3];
    (void)std::snprintf(lc, sizeof lc, "%02X", static_cast<unsigned>(pin.size()));
    return "002000" + ref + lc + hexOf(pin);
}
}  // namespace

TEST_F(SimCard, VerifyStatusWrongCorrectAndRestore) {
    selectApplication();
    EXPECT_EQ(swOf("00200081"), 0x63C3);
    EXPECT_EQ(swOf(verifyApdu("0000")), 0x63C2);
    EXPECT_EQ(swOf("00200081"), 0x63C2);
    EXPECT_FALSE(card_->isPinVerified(0x81));
    EXPECT_EQ(swOf(verifyApdu("4711")), 0x9000);
    EXPECT_TRUE(card_->isPinVerified(0x81));
    EXPECT_EQ(swOf("00200081"), 0x9000);
    EXPECT_EQ(saved_.findPin(1)->triesLeft, 3);  // a correct VERIFY restores the counter
    card_->reset();
    EXPECT_EQ(swOf("00200081"), 0x63C3);         // verification does not survive a reset
}

TEST_F(SimCard, ThreeWrongPinsBlock) {
    selectApplication();
    EXPECT_EQ(swOf(verifyApdu("1111")), 0x63C2);
    EXPECT_EQ(swOf(verifyApdu("2222")), 0x63C1);
    EXPECT_EQ(swOf(verifyApdu("3333")), 0x63C0);
    EXPECT_EQ(swOf("00200081"), 0x6983);
    EXPECT_EQ(swOf(verifyApdu("4711")), 0x6983);  // even the right PIN
    EXPECT_EQ(saved_.findPin(1)->triesLeft, 0);
}

TEST_F(SimCard, VerifyErrors) {
    EXPECT_EQ(swOf(verifyApdu("47", "81")), 0x6700);          // shorter than the minimum: no try spent
    EXPECT_EQ(swOf(verifyApdu("123456789", "81")), 0x6700);
    EXPECT_EQ(swOf("00200081"), 0x63C3);
    EXPECT_EQ(swOf(verifyApdu("4711", "85")), 0x6A88);
    EXPECT_EQ(swOf(verifyApdu("4711", "01")), 0x6A88);        // global reference: none on this card
    EXPECT_EQ(swOf("00200181"), 0x6A86);
}

TEST_F(SimCard, ChangeReferenceData) {
    selectApplication();
    EXPECT_EQ(swOf("0024008108" + hexOf("0000") + hexOf("2580")), 0x63C2);
    EXPECT_EQ(swOf("0024008108" + hexOf("4711") + hexOf("2580")), 0x9000);
    EXPECT_EQ(saved_.findPin(1)->triesLeft, 3);
    card_->reset();
    EXPECT_EQ(swOf(verifyApdu("4711")), 0x63C2);
    EXPECT_EQ(swOf(verifyApdu("2580")), 0x9000);
    // New value too short / too long: refused without a try.
    EXPECT_EQ(swOf("0024008106" + hexOf("2580") + hexOf("12")), 0x6700);
    // P1 01 (new PIN only) needs the user PIN verified (SCB 11): it is.
    EXPECT_EQ(swOf("0024018104" + hexOf("1357")), 0x9000);
    card_->reset();
    EXPECT_EQ(swOf("0024018104" + hexOf("2468")), 0x6982);
    EXPECT_EQ(swOf("0024028104" + hexOf("2468")), 0x6A86);
}

TEST_F(SimCard, ResetRetryCounterNeedsPukOrExternalAuthentication) {
    selectApplication();
    for (const char* wrong : {"1111", "2222", "3333"}) swOf(verifyApdu(wrong));
    ASSERT_EQ(swOf("00200081"), 0x6983);
    // Without PUK or external authentication: refused, nothing changes.
    EXPECT_EQ(swOf("002C028104" + hexOf("2580")), 0x6982);
    EXPECT_EQ(swOf("002C0381"), 0x6982);
    EXPECT_EQ(swOf("00200081"), 0x6983);
    // OpenSC's flow: VERIFY PUK, then RRC P1=02 with the new PIN.
    EXPECT_EQ(swOf("00200082"), 0x63C3);
    EXPECT_EQ(swOf(verifyApdu("12345678", "82")), 0x9000);
    EXPECT_EQ(swOf("002C028104" + hexOf("2580")), 0x9000);
    EXPECT_EQ(swOf("00200081"), 0x63C3);
    EXPECT_EQ(swOf(verifyApdu("2580")), 0x9000);
}

TEST_F(SimCard, ResetRetryCounterWithPukInTheCommand) {
    selectApplication();
    swOf(verifyApdu("1111"));
    // P1 00: PUK || new PIN; wrong PUK costs a PUK try.
    EXPECT_EQ(swOf("002C00810C" + hexOf("87654321") + hexOf("2580")), 0x63C2);
    EXPECT_EQ(swOf("00200082"), 0x63C2);
    EXPECT_EQ(swOf("002C00810C" + hexOf("12345678") + hexOf("2580")), 0x9000);
    EXPECT_EQ(swOf(verifyApdu("2580")), 0x9000);
    // P1 01: PUK only, resets the counter.
    swOf(verifyApdu("1111"));
    EXPECT_EQ(swOf("002C018108" + hexOf("12345678")), 0x9000);
    EXPECT_EQ(swOf("00200081"), 0x63C3);
    // P1 03 after PUK verification: counter only.
    swOf(verifyApdu("1111"));
    EXPECT_EQ(swOf("002C0381"), 0x9000);
    EXPECT_EQ(swOf("00200081"), 0x63C3);
    EXPECT_EQ(swOf("002C0481"), 0x6A86);
    // The PUK itself has no reset condition.
    EXPECT_EQ(swOf("002C0382"), 0x6982);
}

TEST_F(SimCard, BlockedPukBlocksPukPath) {
    selectApplication();
    for (const char* wrong : {"11111111", "22222222", "33333333"}) swOf(verifyApdu(wrong, "82"));
    EXPECT_EQ(swOf("00200082"), 0x6983);
    EXPECT_EQ(swOf("002C00810C" + hexOf("12345678") + hexOf("2580")), 0x6983);
}

}  // namespace ias::sim::test
