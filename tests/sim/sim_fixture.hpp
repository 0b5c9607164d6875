// SPDX-License-Identifier: Apache-2.0
// Shared fixture of the simulator unit tests: one personalised card (keys generated once per
// test binary), a fresh Card per test, and APDU helpers.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "ias/apdu/bytes.hpp"
#include "ias/sim/card.hpp"
#include "ias/sim/personalise.hpp"

namespace ias::sim::test {

// The bytes of a string (a PIN) in hex.
inline std::string hexOf(const std::string& s) { return apdu::toHex(apdu::Bytes(s.begin(), s.end())); }

using apdu::Bytes;
using apdu::fromHex;
using apdu::ResponseApdu;

inline Bytes operator+(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}
inline Bytes& operator+=(Bytes& a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

inline const Bytes kSerial = fromHex("0010000000123459");
inline const Bytes kMaster = fromHex("00112233445566778899AABBCCDDEEFF");

inline const PersonalisedCard& personalisedCard() {
    static const PersonalisedCard card = [] {
        PersonalisationOptions o;
        o.serial = kSerial;
        o.pin = "4711";
        o.puk = "12345678";
        o.masterKey = kMaster;
        o.withEcKey = true;
        return personalise(o);
    }();
    return card;
}

class SimCard : public ::testing::Test {
protected:
    void SetUp() override {
        state_ = personalisedCard().state;
        card_ = std::make_unique<Card>(state_, [this](const CardState& s) {
            ++saves_;
            saved_ = s;
        });
        card_->powerOn();
    }

    ResponseApdu tx(const std::string& hex) {
        const Bytes raw = card_->process(fromHex(hex));
        return ResponseApdu::parse(raw);
    }
    std::uint16_t swOf(const std::string& hex) { return tx(hex).sw.value(); }
    static Bytes data(const ResponseApdu& r) { return Bytes(r.data.begin(), r.data.end()); }

    void selectApplication() { ASSERT_EQ(swOf("00A4040C0EE828BD080FD25047656E65726963"), 0x9000); }
    void verifyUserPin() { ASSERT_EQ(swOf("0020008104" + apdu::toHex(Bytes{'4', '7', '1', '1'})), 0x9000); }

    // Reads a whole EF of the application by FID.
    Bytes readFile(const std::string& fid) {
        EXPECT_EQ(swOf("00A4020C02" + fid), 0x9000);
        Bytes out;
        for (;;) {
            const std::size_t off = out.size();
            char hdr[16];
            (void)std::snprintf(hdr, sizeof hdr, "00B0%02X%02X00", static_cast<unsigned>(off >> 8), static_cast<unsigned>(off & 0xFF));
            const ResponseApdu r = tx(hdr);
            if (r.sw.value() == 0x6282) break;
            EXPECT_EQ(r.sw.value(), 0x9000);
            if (r.data.empty() || r.sw.value() != 0x9000) break;
            out.insert(out.end(), r.data.begin(), r.data.end());
        }
        return out;
    }

    // Public key of the certificate in `fid` (B001 auth, B002 signature, B003 EC).
    std::shared_ptr<EVP_PKEY> certificateKey(const std::string& fid) { return publicKeyOf(readFile(fid)); }

    // Public key of a DER certificate (null when it does not parse).
    static std::shared_ptr<EVP_PKEY> publicKeyOf(const Bytes& der) {
        const unsigned char* p = der.data();
        X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
        EXPECT_NE(cert, nullptr);
        EVP_PKEY* key = cert ? X509_get_pubkey(cert) : nullptr;
        X509_free(cert);
        return std::shared_ptr<EVP_PKEY>(key, &EVP_PKEY_free);
    }

    CardState state_;
    std::unique_ptr<Card> card_;
    int saves_ = 0;
    CardState saved_;
};

}  // namespace ias::sim::test
