// SPDX-License-Identifier: Apache-2.0
#include "ias/protocol/admin_key.hpp"

#include "ias/apdu/crypto.hpp"
#include "ias/apdu/error.hpp"

namespace ias::protocol {

namespace crypto = apdu::crypto;

namespace {
void require(bool ok, const char* what) {
    if (!ok) throw apdu::Error(apdu::ErrorKind::Malformed, what);
}
}  // namespace

Bytes serialIcc(ByteView serial) {
    Bytes out(kSerialIccSize, 0x00);
    const std::size_t n = std::min(serial.size(), kSerialIccSize);
    std::copy(serial.end() - static_cast<std::ptrdiff_t>(n), serial.end(), out.end() - static_cast<std::ptrdiff_t>(n));
    return out;
}

Bytes cardKeyDerivationData(ByteView sn8) {
    require(sn8.size() == kSerialIccSize, "SN.ICC must be 8 bytes");
    Bytes d(sn8.begin(), sn8.end());
    for (const std::uint8_t b : sn8) d.push_back(static_cast<std::uint8_t>(~b));
    return d;
}

Bytes adminKeyDerivationData(ByteView sn8, bool forMac) {
    require(sn8.size() == kSerialIccSize, "SN.ICC must be 8 bytes");
    const std::uint8_t keyId = forMac ? 0x02 : 0x01;
    Bytes d;
    for (const std::uint8_t tag : {std::uint8_t{0xF0}, std::uint8_t{0x0F}}) {
        d.insert(d.end(), sn8.begin() + 2, sn8.end());  // six least significant bytes
        d.push_back(tag);
        d.push_back(keyId);
    }
    return d;
}

SecureBytes cardMasterKey(ByteView master16, ByteView sn8) {
    return crypto::des3EcbEncrypt(master16, cardKeyDerivationData(sn8));
}

AdminKeys deriveAdminKeys(ByteView master16, ByteView sn8) {
    const SecureBytes card = cardMasterKey(master16, sn8);
    AdminKeys k;
    k.enc = crypto::des3EcbEncrypt(card, adminKeyDerivationData(sn8, false));
    k.mac = crypto::des3EcbEncrypt(card, adminKeyDerivationData(sn8, true));
    return k;
}

Bytes externalAuthCryptogram(const AdminKeys& keys, ByteView challenge8, ByteView sn8) {
    require(challenge8.size() == kChallengeSize, "challenge must be 8 bytes");
    require(sn8.size() == kSerialIccSize, "SN.ICC must be 8 bytes");
    SecureBytes plain(challenge8.begin(), challenge8.end());
    apdu::append(plain, sn8);
    const SecureBytes e = crypto::des3CbcEncrypt(keys.enc, plain);
    const Bytes m = crypto::retailMac(keys.mac, crypto::padIso9797m2(e));
    Bytes out(e.begin(), e.end());
    apdu::append(out, m);
    return out;
}

bool checkExternalAuthCryptogram(const AdminKeys& keys, ByteView challenge8, ByteView sn8, ByteView cryptogram) {
    if (cryptogram.size() != kCryptogramSize) return false;
    const Bytes expected = externalAuthCryptogram(keys, challenge8, sn8);
    return apdu::constantTimeEqual(expected, cryptogram);
}

}  // namespace ias::protocol
