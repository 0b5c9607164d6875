// SPDX-License-Identifier: Apache-2.0
#include <PCSC/winscard.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "ias/apdu/pcsc.hpp"

using namespace ias::apdu;

TEST(PcscErrors, EventsMapToTheirKinds) {
    EXPECT_EQ(pcscErrorInfo(SCARD_W_RESET_CARD).kind, ErrorKind::CardReset);
    EXPECT_EQ(pcscErrorInfo(SCARD_W_REMOVED_CARD).kind, ErrorKind::CardRemoved);
    EXPECT_EQ(pcscErrorInfo(SCARD_E_NO_SMARTCARD).kind, ErrorKind::CardRemoved);
    EXPECT_EQ(pcscErrorInfo(SCARD_E_NO_SERVICE).kind, ErrorKind::NoService);
    EXPECT_EQ(pcscErrorInfo(SCARD_E_SERVICE_STOPPED).kind, ErrorKind::NoService);
    EXPECT_EQ(pcscErrorInfo(SCARD_E_UNKNOWN_READER).kind, ErrorKind::NoReader);
    EXPECT_EQ(pcscErrorInfo(SCARD_E_READER_UNAVAILABLE).kind, ErrorKind::NoReader);
    EXPECT_EQ(pcscErrorInfo(SCARD_E_NO_READERS_AVAILABLE).kind, ErrorKind::NoReader);
    EXPECT_EQ(pcscErrorInfo(SCARD_E_SHARING_VIOLATION).kind, ErrorKind::Transport);
    EXPECT_EQ(pcscErrorInfo(SCARD_E_INVALID_PARAMETER).kind, ErrorKind::Internal);
    EXPECT_STREQ(pcscErrorInfo(SCARD_W_RESET_CARD).name, "SCARD_W_RESET_CARD");
}

TEST(PcscErrors, TableHasUniqueNamedCodes) {
    std::set<long> codes;
    for (const auto& e : pcscErrorTable()) {
        EXPECT_TRUE(codes.insert(e.code).second) << e.name;
        EXPECT_EQ(std::string(e.name).rfind("SCARD_", 0), 0u);
        EXPECT_NE(e.code, SCARD_S_SUCCESS);
    }
    // Every code from SCARD_F_INTERNAL_ERROR to SCARD_E_SERVER_TOO_BUSY except the gaps
    // pcsc-lite leaves (0x22), and the 0x65..0x6F warnings.
    for (long c = SCARD_F_INTERNAL_ERROR; c <= SCARD_E_SERVER_TOO_BUSY; ++c) {
        if (c == 0x80100022L) continue;
        EXPECT_TRUE(codes.count(c)) << std::hex << c;
    }
    for (long c = SCARD_W_UNSUPPORTED_CARD; c <= SCARD_W_CARD_NOT_AUTHENTICATED; ++c) {
        EXPECT_TRUE(codes.count(c)) << std::hex << c;
    }
}

TEST(PcscErrors, UnknownCodeIsTransport) {
    EXPECT_EQ(pcscErrorInfo(0x12345).kind, ErrorKind::Transport);
}

TEST(PcscErrors, CheckThrowsWithNameAndKind) {
    EXPECT_NO_THROW(checkPcsc(SCARD_S_SUCCESS, "SCardTransmit"));
    try {
        checkPcsc(SCARD_W_REMOVED_CARD, "SCardTransmit");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::CardRemoved);
        EXPECT_EQ(std::string(e.what()), "SCardTransmit: SCARD_W_REMOVED_CARD (0x80100069)");
    }
}

TEST(PcscErrors, ReaderStateFlags) {
    ReaderState s;
    s.eventState = SCARD_STATE_CHANGED | SCARD_STATE_PRESENT | SCARD_STATE_INUSE;
    EXPECT_TRUE(s.changed());
    EXPECT_TRUE(s.present());
    EXPECT_TRUE(s.inUse());
    EXPECT_FALSE(s.empty());
    EXPECT_FALSE(s.unavailable());
    s.acknowledge();
    EXPECT_EQ(s.currentState, static_cast<unsigned long>(SCARD_STATE_PRESENT | SCARD_STATE_INUSE));
    EXPECT_EQ(std::string(PcscContext::kPnpNotification), "\\\\?PnP?\\Notification");
}
