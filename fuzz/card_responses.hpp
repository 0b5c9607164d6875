// SPDX-License-Identifier: Apache-2.0
// The card_responses target's input format and operations, shared with the seed generator
// (make_seeds.cpp) so that seeds are recorded with exactly the fuzzer's framing.
//
// Input: [options u8] then operations until the input ends: [op u8][parameters], and each
// R-APDU the fake card returns is taken from the input when the card layer transmits:
// [len u8] bytes, or [FF][len u16] bytes for 255 bytes and more.
#pragma once

#include <cstdint>

#include "fuzz_input.hpp"
#include "ias/apdu/bytes.hpp"

namespace ias::fuzz {

inline void appendResponse(apdu::Bytes& out, apdu::ByteView r) {
    if (r.size() < 0xFF) {
        out.push_back(static_cast<std::uint8_t>(r.size()));
    } else {
        out.push_back(0xFF);
        out.push_back(static_cast<std::uint8_t>(r.size() >> 8));
        out.push_back(static_cast<std::uint8_t>(r.size()));
    }
    out.insert(out.end(), r.begin(), r.end());
}

inline apdu::ByteView takeResponse(Input& in) {
    std::size_t n = in.u8();
    if (n == 0xFF) n = in.u16();
    return in.bytes(n);
}

enum Op : std::uint8_t {
    kReadSerialNumber,
    kReadFile,            // fid u16, sfi u8 (bit 7: present, bits 0-4: SFI), maxSize u16
    kReadDerObject,       // fid u16, maxSize u16
    kPinStatus,           // ref u8
    kVerifyPin,           // ref u8, n u8, pin[n], padTo u8, padChar u8
    kChangePin,           // ref u8, n u8, old[n], m u8, new[m], padTo u8, padChar u8
    kResetRetryCounter,   // ref u8, n u8, pin[n], padTo u8, padChar u8
    kSetSecurityEnv,      // crt u8 (0 AT, 1 DST, 2 CT), keyRef u8, algRef u8
    kInternalAuthenticate,// n u8, input[n], signatureSize u16
    kSignHash,            // n u8, hash[n], signatureSize u16
    kDecipher,            // n u16, cryptogram[n]
    kGetChallenge,        // length u8
    kSelectMasterFile,
    kSelectApplication,
    kSelectFile,          // fid u16
    kReadBinary,          // offset u16, ne u16
    kReadBinarySfi,       // sfi u8, ne u16
    kSetExternalAuthKey,  // ref u8
    kExternalAuthenticate,// n u8, data[n]
    kOpCount
};

}  // namespace ias::fuzz
