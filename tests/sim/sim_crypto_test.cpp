// SPDX-License-Identifier: Apache-2.0
// MSE, INTERNAL AUTHENTICATE, PSO HASH / COMPUTE DIGITAL SIGNATURE, PSO DECIPHER (§5, §7).
// The low-level SHA context computes a host-side intermediate hash state for PSO HASH.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include "ias/apdu/crypto.hpp"
#include "ias/sim/key_ops.hpp"
#include "sim_fixture.hpp"

namespace ias::sim::test {

namespace {

const Bytes kMessage{'h', 'e', 'l', 'l', 'o'};

bool verifySha256Signature(EVP_PKEY* key, const Bytes& message, const Bytes& signature) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestVerify(ctx, signature.data(), signature.size(), message.data(), message.size()) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

Bytes rsaEncrypt(EVP_PKEY* key, const Bytes& plain) {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
    EVP_PKEY_encrypt_init(ctx);
    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING);
    std::size_t n = 0;
    EVP_PKEY_encrypt(ctx, nullptr, &n, plain.data(), plain.size());
    Bytes out(n);
    EVP_PKEY_encrypt(ctx, out.data(), &n, plain.data(), plain.size());
    EVP_PKEY_CTX_free(ctx);
    out.resize(n);
    return out;
}

std::string lc(std::size_t n) {
    char b[3];
    (void)std::snprintf(b, sizeof b, "%02X", static_cast<unsigned>(n));
    return b;
}

}  // namespace

TEST_F(SimCard, InternalAuthenticateSignatureVerifiesWithCertificate) {
    selectApplication();
    auto key = certificateKey("B001");
    ASSERT_TRUE(key);
    const Bytes digestInfo = keyops::digestInfo(apdu::crypto::sha256(kMessage));
    EXPECT_EQ(swOf("0022 41A4 06 840181 800102"), 0x9000);
    // PIN not verified yet: 69 82.
    EXPECT_EQ(swOf("00880000" + lc(digestInfo.size()) + apdu::toHex(digestInfo) + "00"), 0x6982);
    verifyUserPin();
    const ResponseApdu sig = tx("00880000" + lc(digestInfo.size()) + apdu::toHex(digestInfo) + "00");
    ASSERT_EQ(sig.sw.value(), 0x9000);
    ASSERT_EQ(sig.data.size(), 256u);
    EXPECT_TRUE(verifySha256Signature(key.get(), kMessage, data(sig)));
}

TEST_F(SimCard, InternalAuthenticateNeedsMse) {
    selectApplication();
    verifyUserPin();
    EXPECT_EQ(swOf("008800000401020304 00"), 0x6985);
    EXPECT_EQ(swOf("002241A406840189800102"), 0x6A88);  // no key 9
    EXPECT_EQ(swOf("002241A406840181800177"), 0x6A80);  // unknown algorithm
    EXPECT_EQ(swOf("002241A4058401818001"), 0x6A80);    // truncated TLV
    EXPECT_EQ(swOf("002241A4068401818001"), 0x6700);    // Lc beyond the data
    EXPECT_EQ(swOf("002241A703800102"), 0x6A86);        // unknown CRT
    EXPECT_EQ(swOf("002251A406840181800102"), 0x6A86);  // unknown P1
}

TEST_F(SimCard, SignatureKeyViaHashAndComputeDigitalSignature) {
    selectApplication();
    verifyUserPin();
    auto key = certificateKey("B002");
    // Card hashing from the complete message (90 00, 80 <message>).
    EXPECT_EQ(swOf("002241AA03800140"), 0x9000);
    EXPECT_EQ(swOf("002241B606840182800142"), 0x9000);
    EXPECT_EQ(swOf("002A90A0099000800568656C6C6F"), 0x9000);
    const ResponseApdu s1 = tx("002A9E9A00");
    ASSERT_EQ(s1.sw.value(), 0x9000);
    EXPECT_TRUE(verifySha256Signature(key.get(), kMessage, data(s1)));
    // Complete hash given in PSO HASH (90 <32 bytes>).
    EXPECT_EQ(swOf("002A90A022 9020" + apdu::toHex(apdu::crypto::sha256(kMessage))), 0x9000);
    const ResponseApdu s2 = tx("002A9E9A00");
    EXPECT_TRUE(verifySha256Signature(key.get(), kMessage, data(s2)));
    // The hash is used once.
    EXPECT_EQ(swOf("002A9E9A00"), 0x6985);
    // The signature key does not decipher (SCB FF).
    EXPECT_EQ(swOf("002241B80684018280011A"), 0x9000);
    EXPECT_EQ(swOf("002A80860281AA00"), 0x6982);
}

TEST_F(SimCard, PsoHashFinishesAnIntermediateState) {
    selectApplication();
    verifyUserPin();
    auto key = certificateKey("B002");
    // 100-byte message: one complete block hashed by the host, 36 bytes left.
    Bytes message(100);
    for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>(i);
    // Host side: SHA-256 state after the first complete block, bit count 512, 36 bytes left.
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, message.data(), 64);
    Bytes tlv = fromHex("9028");
    for (unsigned h : ctx.h) {
        for (int shift = 24; shift >= 0; shift -= 8) tlv.push_back(static_cast<std::uint8_t>(h >> shift));
    }
    tlv += fromHex("0000000000000200");
    tlv += fromHex("8024");
    tlv.insert(tlv.end(), message.begin() + 64, message.end());
    EXPECT_EQ(swOf("002241B606840182800142"), 0x9000);
    EXPECT_EQ(swOf("002A90A0" + lc(tlv.size()) + apdu::toHex(tlv)), 0x9000);
    const ResponseApdu s = tx("002A9E9A00");
    ASSERT_EQ(s.sw.value(), 0x9000);
    EXPECT_TRUE(verifySha256Signature(key.get(), message, data(s)));
    const Bytes iv = fromHex("6A09E667BB67AE853C6EF372A54FF53A510E527F9B05688C1F83D9AB5BE0CD19");
    // A bit count that is not a whole number of blocks is refused.
    Bytes bad = fromHex("9028") + iv + fromHex("0000000000000010") + fromHex("8001AA");
    EXPECT_EQ(swOf("002A90A0" + lc(bad.size()) + apdu::toHex(bad)), 0x6A80);
}

TEST_F(SimCard, DecipherChainedStripsPkcs1Padding) {
    selectApplication();
    auto key = certificateKey("B001");
    const Bytes secret{'s', 'e', 'c', 'r', 'e', 't', '!'};
    const Bytes cryptogram = rsaEncrypt(key.get(), secret);
    ASSERT_EQ(cryptogram.size(), 256u);
    Bytes payload{0x81};
    payload.insert(payload.end(), cryptogram.begin(), cryptogram.end());
    const std::string first = "102A8086FF" + apdu::toHex(ByteView(payload).first(255));
    const std::string last = "002A808602" + apdu::toHex(ByteView(payload).subspan(255)) + "00";
    EXPECT_EQ(swOf("002241B80684018180011A"), 0x9000);
    EXPECT_EQ(swOf(first), 0x9000);
    EXPECT_EQ(swOf(last), 0x6982);  // PIN not verified
    verifyUserPin();
    EXPECT_EQ(swOf(first), 0x9000);
    const ResponseApdu plain = tx(last);
    ASSERT_EQ(plain.sw.value(), 0x9000);
    EXPECT_EQ(data(plain), secret);
    // A chain interrupted by another instruction is refused.
    EXPECT_EQ(swOf(first), 0x9000);
    EXPECT_EQ(swOf("00200081"), 0x6883);
    // Garbage cryptogram: 6A 80, no crash.
    EXPECT_EQ(swOf(first), 0x9000);
    EXPECT_EQ(swOf("002A8086020000 00"), 0x6A80);
}

TEST_F(SimCard, EcKeySignsRawRs) {
    selectApplication();
    verifyUserPin();
    auto key = certificateKey("B003");
    const Bytes hash = apdu::crypto::sha256(kMessage);
    EXPECT_EQ(swOf("002241A406840183800104"), 0x9000);
    const ResponseApdu sig = tx("0088000020" + apdu::toHex(hash) + "00");
    ASSERT_EQ(sig.sw.value(), 0x9000);
    ASSERT_EQ(sig.data.size(), 64u);
    ECDSA_SIG* s = ECDSA_SIG_new();
    ECDSA_SIG_set0(s, BN_bin2bn(sig.data.data(), 32, nullptr), BN_bin2bn(sig.data.data() + 32, 32, nullptr));
    unsigned char* der = nullptr;
    const int n = i2d_ECDSA_SIG(s, &der);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key.get(), nullptr);
    EVP_PKEY_verify_init(ctx);
    EXPECT_EQ(EVP_PKEY_verify(ctx, der, static_cast<std::size_t>(n), hash.data(), hash.size()), 1);
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
    // RSA algorithm on an EC key is refused.
    EXPECT_EQ(swOf("002241A406840183800102"), 0x6A80);
}

TEST_F(SimCard, ForcedGetResponse) {
    CardState state = personalisedCard().state;
    Card card(state, {}, CardOptions{true});
    card.powerOn();
    auto run = [&](const std::string& hex) { return ResponseApdu::parse(card.process(fromHex(hex))); };
    run("00A4040C0EE828BD080FD25047656E65726963");
    const ResponseApdu first = run("00A40204025031 00");
    EXPECT_EQ(first.sw.sw1(), 0x61);
    EXPECT_TRUE(first.data.empty());
    // GET RESPONSE without Le (case 1) is refused and the waiting data is kept (sim fuzzer).
    const ResponseApdu noLe = run("00C00000");
    EXPECT_EQ(noLe.sw.value(), 0x6700);
    EXPECT_TRUE(noLe.data.empty());
    const ResponseApdu rest = run("00C00000" + lc(first.sw.sw2()));
    EXPECT_EQ(rest.sw.value(), 0x9000);
    EXPECT_EQ(rest.data[0], 0x62);
    EXPECT_EQ(run("00C0000010").sw.value(), 0x6985);  // nothing pending
}

}  // namespace ias::sim::test
