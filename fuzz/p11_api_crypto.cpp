// SPDX-License-Identifier: Apache-2.0
// p11_api operations on objects and keys, PIN changes, randomness, faults (p11_api_ops.hpp).
#include <cstdio>
#include <cstring>

#include "fake_pcsc.hpp"
#include "p11_api_ops.hpp"
#include "p11_api_util.hpp"

namespace ias::fuzz::p11 {

namespace {

CK_UTF8CHAR_PTR utf8(const std::string& s) { return reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(s.data())); }

// Data to sign / decrypt: short, a digest-sized block, or a modulus-sized block.
std::vector<std::uint8_t> payload(Input& in) {
    const std::uint8_t mode = in.u8();
    std::size_t n = mode % 4 == 0 ? in.u8() : mode % 4 == 1 ? 32 : mode % 4 == 2 ? 256 : in.u16() % 1200;
    const auto b = in.bytes(n);
    std::vector<std::uint8_t> out(b.begin(), b.end());
    out.resize(n, static_cast<std::uint8_t>(mode));
    return out;
}

// A one-shot C_Sign / C_Decrypt with the length-query rules of PKCS#11 §5.2.
using OneShot = CK_RV (*)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);

void oneShot(Input& in, CK_SESSION_HANDLE h, OneShot call, const rv::Allowed& allowed, const char* name) {
    std::vector<std::uint8_t> data = payload(in);
    const std::uint8_t mode = in.u8() % 5;
    CK_BYTE_PTR dataPtr = data.empty() ? nullptr : data.data();
    if (mode == 4) {  // NULL length pointer
        const CK_RV r = call(h, dataPtr, data.size(), nullptr, nullptr);
        expect(allowed, r, name);
        if (r == CKR_OK) fail("one-shot call accepted a NULL length pointer");
        return;
    }
    if (mode == 3) {  // a caller-chosen buffer without a query first
        CK_ULONG size = in.u16() % 1100;
        auto out = buffer(size);
        CK_ULONG len = size;
        const CK_RV r = call(h, dataPtr, data.size(), out.get(), &len);
        expect(allowed, r, name);
        if (r == CKR_OK && len > size) fail("one-shot call wrote past the buffer");
        if (r == CKR_BUFFER_TOO_SMALL && len <= size) fail("BUFFER_TOO_SMALL without a larger length");
        return;
    }
    CK_ULONG len = 0;
    CK_RV r = call(h, dataPtr, data.size(), nullptr, &len);
    expect(allowed, r, name);
    if (r != CKR_OK) return;
    const CK_ULONG announced = len;
    if (mode == 2) return;  // leave the operation active after the query
    const CK_ULONG size = mode == 0 ? announced : (announced > 0 ? announced - 1 : 0);
    auto out = buffer(size);
    len = size;
    r = call(h, dataPtr, data.size(), out.get(), &len);
    expect(allowed, r, name);
    if (mode == 0 && r == CKR_BUFFER_TOO_SMALL) {
        std::fprintf(stderr, "%s: announced %lu, then wants %lu\n", name, announced, len);
        fail("BUFFER_TOO_SMALL for a buffer of the announced length");
    }
    if (r == CKR_OK && len > size) fail("one-shot call wrote more than the buffer holds");
    if (r == CKR_OK && len > announced) fail("one-shot call wrote more than it announced");
    if (r == CKR_BUFFER_TOO_SMALL && len <= size) fail("BUFFER_TOO_SMALL without a larger length");
}

}  // namespace

void Driver::getAttributeValue() {
    const CK_SESSION_HANDLE h = session();
    const CK_OBJECT_HANDLE o = object();
    const std::size_t n = in_.u8() % 7;
    std::vector<CK_ATTRIBUTE> templ(n + 1);
    std::vector<std::unique_ptr<std::uint8_t[]>> buffers(n);
    std::vector<CK_ULONG> sizes(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        templ[i].type = attributeType(in_);
        const std::uint8_t mode = in_.u8();
        if (mode % 3 == 0) continue;  // length query
        sizes[i] = mode % 3 == 1 ? mode / 3 : 2048 + mode;
        buffers[i] = buffer(sizes[i]);
        templ[i].pValue = buffers[i].get();
        templ[i].ulValueLen = sizes[i];
    }
    const CK_RV r = f->C_GetAttributeValue(h, o, n > 0 || (in_.u8() & 1) ? templ.data() : nullptr, n);
    expect(rv::kGetAttributeValue, r, "C_GetAttributeValue");
    const bool complete = r == CKR_OK || r == CKR_BUFFER_TOO_SMALL || r == CKR_ATTRIBUTE_SENSITIVE ||
                          r == CKR_ATTRIBUTE_TYPE_INVALID;
    if (!complete) return;
    bool anyUnavailable = false;
    bool anyTooSmall = false;
    std::vector<CK_ATTRIBUTE> again;
    for (std::size_t i = 0; i < n; ++i) {
        const CK_ULONG len = templ[i].ulValueLen;
        if (len == CK_UNAVAILABLE_INFORMATION) {
            anyUnavailable = true;
            if (templ[i].pValue != nullptr) anyTooSmall = true;  // or sensitive / invalid
            continue;
        }
        if (templ[i].pValue != nullptr && len > sizes[i]) fail("C_GetAttributeValue: value longer than its buffer");
        if (templ[i].pValue == nullptr) again.push_back(CK_ATTRIBUTE{templ[i].type, nullptr, len});
    }
    if (r == CKR_OK && anyUnavailable) fail("C_GetAttributeValue: CKR_OK with an unavailable attribute");
    if (r == CKR_BUFFER_TOO_SMALL && !anyTooSmall) fail("C_GetAttributeValue: BUFFER_TOO_SMALL without a short buffer");
    if (again.empty() || pcsc::answersForged()) return;
    // Second call with exactly the announced lengths: must fit.
    std::vector<std::unique_ptr<std::uint8_t[]>> exact;
    std::vector<CK_ULONG> announced;
    for (CK_ATTRIBUTE& a : again) {
        exact.push_back(buffer(a.ulValueLen));
        a.pValue = exact.back().get();
        announced.push_back(a.ulValueLen);
    }
    const CK_RV r2 = f->C_GetAttributeValue(h, o, again.data(), again.size());
    expect(rv::kGetAttributeValue, r2, "C_GetAttributeValue");
    if (r2 == CKR_BUFFER_TOO_SMALL) fail("C_GetAttributeValue: BUFFER_TOO_SMALL for the announced lengths");
    if (r2 != CKR_OK) return;
    for (std::size_t i = 0; i < again.size(); ++i) {
        if (again[i].ulValueLen > announced[i]) fail("C_GetAttributeValue: value longer than announced");
    }
}

void Driver::signInit(bool forDecrypt) {
    const CK_SESSION_HANDLE h = session();
    const CK_OBJECT_HANDLE key = object();
    Mechanism m;
    readMechanism(in_, m);
    const bool nullMechanism = in_.u8() == 0xFF;
    CK_MECHANISM_PTR mp = nullMechanism ? nullptr : &m.m;
    const CK_RV r = forDecrypt ? f->C_DecryptInit(h, mp, key) : f->C_SignInit(h, mp, key);
    expect(forDecrypt ? rv::kDecryptInit : rv::kSignInit, r, forDecrypt ? "C_DecryptInit" : "C_SignInit");
    if (r == CKR_OK && nullMechanism) fail("C_SignInit / C_DecryptInit accepted a NULL mechanism");
}

void Driver::sign() { oneShot(in_, session(), f->C_Sign, rv::kSign, "C_Sign"); }

void Driver::decrypt() { oneShot(in_, session(), f->C_Decrypt, rv::kDecrypt, "C_Decrypt"); }

void Driver::signParts() {
    const CK_SESSION_HANDLE h = session();
    const unsigned parts = in_.u8() % 4;
    for (unsigned i = 0; i < parts; ++i) {
        std::vector<std::uint8_t> part = payload(in_);
        const CK_RV r = f->C_SignUpdate(h, part.empty() ? nullptr : part.data(), part.size());
        expect(rv::kSignUpdate, r, "C_SignUpdate");
        if (r != CKR_OK) return;
    }
    const std::uint8_t mode = in_.u8() % 3;
    CK_ULONG len = 0;
    CK_RV r = f->C_SignFinal(h, nullptr, &len);
    expect(rv::kSignFinal, r, "C_SignFinal");
    if (r != CKR_OK || mode == 2) return;
    const CK_ULONG announced = len;
    const CK_ULONG size = mode == 0 ? announced : (announced > 0 ? announced - 1 : 0);
    auto out = buffer(size);
    len = size;
    r = f->C_SignFinal(h, out.get(), &len);
    expect(rv::kSignFinal, r, "C_SignFinal");
    if (mode == 0 && r == CKR_BUFFER_TOO_SMALL) fail("C_SignFinal: BUFFER_TOO_SMALL for the announced length");
    if (r == CKR_OK && (len > size || len > announced)) fail("C_SignFinal wrote more than announced");
    if (r == CKR_BUFFER_TOO_SMALL && len <= size) fail("C_SignFinal: BUFFER_TOO_SMALL without a larger length");
}

void Driver::setPin() {
    const CK_SESSION_HANDLE h = session();
    const std::string oldPin = pin();
    const std::string newPin = pin();
    const bool nullOld = (in_.u8() & 3) == 3;
    const CK_RV r = f->C_SetPIN(h, nullOld ? nullptr : utf8(oldPin), oldPin.size(), utf8(newPin), newPin.size());
    expect(rv::kSetPin, r, "C_SetPIN");
    if (r != CKR_OK || pcsc::answersForged()) return;
    if (nullOld) fail("C_SetPIN succeeded with a NULL old PIN");
    if (oldPin != pin_) fail("C_SetPIN succeeded with a wrong old PIN");
    pin_ = newPin;
}

void Driver::initPin() {
    const CK_SESSION_HANDLE h = session();
    const std::string newPin = pin();
    const CK_RV r = f->C_InitPIN(h, utf8(newPin), newPin.size());
    expect(rv::kInitPin, r, "C_InitPIN");
    if (r == CKR_OK && !pcsc::answersForged()) fail("C_InitPIN succeeded without an SO login");
}

void Driver::generateRandom() {
    const CK_SESSION_HANDLE h = session();
    const CK_ULONG n = in_.u16() % 1100;
    const bool null = (in_.u8() & 7) == 7;
    auto out = buffer(n);
    const CK_RV r = f->C_GenerateRandom(h, null ? nullptr : out.get(), n);
    expect(rv::kGenerateRandom, r, "C_GenerateRandom");
    if (r == CKR_OK && null && n > 0) fail("C_GenerateRandom accepted a NULL buffer");
}

void Driver::fault() {
    switch (in_.u8() % 4) {
        case 0: {
            const auto b = in_.bytes(in_.u8());
            pcsc::replaceNextAnswer(std::vector<std::uint8_t>(b.begin(), b.end()));
            break;
        }
        case 1: pcsc::removeCard(); break;
        case 2: pcsc::insertCard(); break;
        default: pcsc::resetCard(); break;
    }
}

void Driver::misc() {
    switch (in_.u8() % 4) {
        case 0: {
            CK_INFO info;
            const bool null = in_.u8() & 1;
            const CK_RV r = f->C_GetInfo(null ? nullptr : &info);
            expect(rv::kGetInfo, r, "C_GetInfo");
            if (r == CKR_OK && null) fail("C_GetInfo accepted NULL");
            break;
        }
        case 1: {
            CK_SLOT_ID s = 0;
            expect(rv::kWaitForSlotEvent, f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &s, nullptr), "C_WaitForSlotEvent");
            break;
        }
        case 2: {
            const CK_SESSION_HANDLE h = session();
            CK_ULONG size = 0;
            expect(rv::kGetObjectSize, f->C_GetObjectSize(h, object(), &size), "C_GetObjectSize");
            break;
        }
        default: {
            const CK_SESSION_HANDLE h = session();
            expect(rv::kFindObjectsFinal, f->C_FindObjectsFinal(h), "C_FindObjectsFinal");
            break;
        }
    }
}

}  // namespace ias::fuzz::p11
