// SPDX-License-Identifier: Apache-2.0
#include "ias/apdu/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "ias/apdu/error.hpp"

namespace ias::apdu::crypto {

namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

[[noreturn]] void fail(const char* what) { throw Error(ErrorKind::Crypto, what); }

void checkKey(ByteView key) {
    if (key.size() != kDes2KeySize) fail("3DES key must be 16 bytes");
}

void checkBlocks(ByteView data) {
    if (data.size() % kDesBlock != 0) fail("3DES data must be a multiple of 8 bytes");
}

SecureBytes run(const EVP_CIPHER* cipher, ByteView key, ByteView data, ByteView iv, bool encrypt) {
    checkKey(key);
    checkBlocks(data);
    if (!iv.empty() && iv.size() != kDesBlock) fail("3DES IV must be 8 bytes");
    const std::uint8_t zero[kDesBlock] = {};
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    if (!ctx) fail("EVP_CIPHER_CTX_new failed");
    const std::uint8_t* ivp = iv.empty() ? zero : iv.data();
    if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), ivp, encrypt ? 1 : 0) != 1) fail("3DES init failed");
    EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
    SecureBytes out(data.size() + kDesBlock);
    int n1 = 0;
    int n2 = 0;
    if (EVP_CipherUpdate(ctx.get(), out.data(), &n1, data.data(), static_cast<int>(data.size())) != 1) fail("3DES failed");
    if (EVP_CipherFinal_ex(ctx.get(), out.data() + n1, &n2) != 1) fail("3DES final failed");
    out.resize(static_cast<std::size_t>(n1) + static_cast<std::size_t>(n2));
    return out;
}

}  // namespace

SecureBytes des3CbcEncrypt(ByteView key16, ByteView data, ByteView iv) {
    return run(EVP_des_ede_cbc(), key16, data, iv, true);
}

SecureBytes des3CbcDecrypt(ByteView key16, ByteView data, ByteView iv) {
    return run(EVP_des_ede_cbc(), key16, data, iv, false);
}

SecureBytes des3EcbEncrypt(ByteView key16, ByteView data) { return run(EVP_des_ede_ecb(), key16, data, {}, true); }

SecureBytes padIso9797m2(ByteView data) {
    SecureBytes out(data.begin(), data.end());
    out.push_back(0x80);
    while (out.size() % kDesBlock != 0) out.push_back(0x00);
    return out;
}

SecureBytes unpadIso9797m2(ByteView padded) {
    std::size_t n = padded.size();
    while (n > 0 && padded[n - 1] == 0x00) --n;
    if (n == 0 || padded[n - 1] != 0x80 || padded.size() - (n - 1) > kDesBlock) {
        throw Error(ErrorKind::SecureMessaging, "invalid ISO 9797-1 padding");
    }
    return SecureBytes(padded.begin(), padded.begin() + static_cast<std::ptrdiff_t>(n - 1));
}

Bytes retailMac(ByteView key16, ByteView paddedData, MacVariant variant, ByteView iv) {
    checkKey(key16);
    checkBlocks(paddedData);
    if (paddedData.empty()) fail("MAC over empty data");
    // Single DES under K1 = 3DES-EDE under (K1, K1).
    SecureBytes k1k1(key16.begin(), key16.begin() + kDesBlock);
    k1k1.insert(k1k1.end(), key16.begin(), key16.begin() + kDesBlock);
    const std::size_t lastOff = paddedData.size() - kDesBlock;
    Bytes chain(kDesBlock, 0);
    if (!iv.empty()) {
        if (iv.size() != kDesBlock) fail("MAC IV must be 8 bytes");
        chain.assign(iv.begin(), iv.end());
    }
    if (lastOff > 0) {
        const SecureBytes c = des3CbcEncrypt(k1k1, paddedData.first(lastOff), chain);
        chain.assign(c.end() - kDesBlock, c.end());
    }
    Bytes last(paddedData.begin() + static_cast<std::ptrdiff_t>(lastOff), paddedData.end());
    for (std::size_t i = 0; i < kDesBlock; ++i) last[i] ^= chain[i];
    const SecureBytes f = des3EcbEncrypt(key16, last);
    Bytes mac(f.begin(), f.end());
    if (variant == MacVariant::OpenSc) {
        for (std::size_t i = 0; i < 4; ++i) mac[i] = chain[i];
    }
    return mac;
}

SecureBytes randomBytes(std::size_t n) {
    SecureBytes out(n);
    if (n != 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) fail("RAND_bytes failed");
    return out;
}

namespace {
Bytes digest(const EVP_MD* md, ByteView data) {
    Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
    unsigned int n = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr) != 1) fail("digest failed");
    out.resize(n);
    return out;
}
}  // namespace

Bytes sha1(ByteView data) { return digest(EVP_sha1(), data); }
Bytes sha256(ByteView data) { return digest(EVP_sha256(), data); }

}  // namespace ias::apdu::crypto
