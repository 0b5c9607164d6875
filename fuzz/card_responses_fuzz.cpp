// SPDX-License-Identifier: Apache-2.0
// card_responses_fuzz: the module's card layer (card::IasCard over apdu::IsoChannel) talking
// to a fake card whose R-APDUs come from the fuzz input (format: card_responses.hpp).
// Expected failures: card::CardError and apdu::Error. Anything else escaping, a violated
// property or a sanitizer report is a bug.
#include <cstddef>
#include <cstdint>

#include "card/card_error.hpp"
#include "card/ias_card.hpp"
#include "card_responses.hpp"
#include "ias/apdu/error.hpp"
#include "ias/apdu/iso_channel.hpp"

using namespace ias;
using ias::fuzz::fail;

namespace {

class FuzzCard : public apdu::CardChannel {
public:
    explicit FuzzCard(fuzz::Input& in) : in_(in) {}
    apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override {
        // Whatever the host sends must be a valid APDU (IsoChannel sizes it).
        const apdu::SecureBytes encoded = command.encode();
        if (command.data.size() > apdu::CommandApdu::kMaxShortLc || command.ne > apdu::CommandApdu::kMaxShortNe) {
            fail("IsoChannel sent an extended APDU with short limits");
        }
        (void)apdu::CommandApdu::parse(encoded);
        if (in_.empty()) throw apdu::Error(apdu::ErrorKind::CardRemoved, "fuzz: no more responses");
        return apdu::ResponseApdu::parse(fuzz::takeResponse(in_));
    }

private:
    fuzz::Input& in_;
};

card::PinEncoding encoding(fuzz::Input& in) {
    card::PinEncoding e;
    e.padTo = in.u8() % 17;
    e.padChar = in.u8();
    return e;
}

apdu::ByteView shortBytes(fuzz::Input& in) { return in.bytes(in.u8()); }

void run(card::IasCard& card, fuzz::Input& in) {
    const std::uint8_t op = in.u8() % fuzz::kOpCount;
    switch (op) {
        case fuzz::kReadSerialNumber: {
            if (card.readSerialNumber().empty()) fail("empty serial number");
            break;
        }
        case fuzz::kReadFile: {
            const std::uint16_t fid = in.u16();
            const std::uint8_t s = in.u8();
            const std::size_t maxSize = in.u16();
            std::optional<std::uint8_t> sfi;
            if (s & 0x80) sfi = static_cast<std::uint8_t>(s & 0x1F);
            bool sfiWorked = false;
            (void)card.readFile(fid, sfi, maxSize, &sfiWorked);
            if (sfiWorked && !sfi) fail("SFI worked without an SFI");
            break;
        }
        case fuzz::kReadDerObject: {
            const std::uint16_t fid = in.u16();
            const std::size_t maxSize = in.u16();
            const apdu::Bytes der = card.readDerObject(fid, maxSize);
            if (der.size() > maxSize || der.size() < 2 || der[0] != 0x30) fail("readDerObject result");
            break;
        }
        case fuzz::kPinStatus: {
            const card::PinStatus s = card.pinStatus(in.u8());
            if (s.verified && s.blocked) fail("PIN verified and blocked");
            if (s.blocked && s.triesLeft != 0) fail("blocked PIN with tries left");
            break;
        }
        case fuzz::kVerifyPin: {
            const std::uint8_t ref = in.u8();
            const auto pin = shortBytes(in);
            card.verifyPin(ref, pin, encoding(in));
            break;
        }
        case fuzz::kChangePin: {
            const std::uint8_t ref = in.u8();
            const auto oldPin = shortBytes(in);
            const auto newPin = shortBytes(in);
            card.changePin(ref, oldPin, newPin, encoding(in));
            break;
        }
        case fuzz::kResetRetryCounter: {
            const std::uint8_t ref = in.u8();
            const auto pin = shortBytes(in);
            card.resetRetryCounter(ref, pin, encoding(in));
            break;
        }
        case fuzz::kSetSecurityEnv: {
            static constexpr card::Crt kCrts[] = {card::Crt::Authentication, card::Crt::DigitalSignature,
                                                  card::Crt::Confidentiality};
            const card::Crt crt = kCrts[in.u8() % 3];
            const std::uint8_t keyRef = in.u8();
            card.setSecurityEnvironment(crt, keyRef, in.u8());
            break;
        }
        case fuzz::kInternalAuthenticate:
        case fuzz::kSignHash: {
            const bool internal = op == fuzz::kInternalAuthenticate;
            const auto input = shortBytes(in);
            const std::size_t size = in.u16() % 1025;
            const apdu::Bytes sig = internal ? card.internalAuthenticate(input, size)
                                             : card.computeSignatureOverHash(input, size);
            if (sig.size() != size) fail("signature size");
            break;
        }
        case fuzz::kDecipher: {
            const auto cryptogram = in.bytes(in.u16() % 1024);
            (void)card.decipher(cryptogram);
            break;
        }
        case fuzz::kGetChallenge: {
            const std::size_t n = in.u8();
            if (card.getChallenge(n).size() != n) fail("challenge size");
            break;
        }
        case fuzz::kSelectMasterFile: card.selectMasterFile(); break;
        case fuzz::kSelectApplication: card.selectApplication(card::kGenericPkiAid); break;
        case fuzz::kSelectFile: card.selectFile(in.u16()); break;
        case fuzz::kReadBinary: {
            const std::uint16_t offset = in.u16();
            (void)card.readBinary(offset, in.u16() % 257);
            break;
        }
        case fuzz::kReadBinarySfi: {
            const std::uint8_t sfi = in.u8() & 0x1F;
            (void)card.readBinarySfi(sfi, in.u16() % 257);
            break;
        }
        case fuzz::kSetExternalAuthKey: card.setExternalAuthenticationKey(in.u8()); break;
        case fuzz::kExternalAuthenticate: card.externalAuthenticate(shortBytes(in)); break;
        default: break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t options = in.u8();
    apdu::IsoChannelOptions iso;
    if (options & 0x01) iso.maxCommandData = 1 + (options >> 1);  // exercise command chaining
    iso.maxGetResponse = 64;
    FuzzCard fake(in);
    apdu::IsoChannel channel(fake, iso);
    card::IasCard card(channel);
    for (unsigned ops = 0; ops < 32 && !in.empty(); ++ops) {
        try {
            run(card, in);
        } catch (const card::CardError&) {
        } catch (const apdu::Error&) {
        }
    }
    return 0;
}
