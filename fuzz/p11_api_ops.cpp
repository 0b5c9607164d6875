// SPDX-License-Identifier: Apache-2.0
#include "p11_api_ops.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

#include "fake_pcsc.hpp"
#include "p11_api_util.hpp"

namespace ias::fuzz::p11 {
namespace {

}  // namespace

CK_FUNCTION_LIST_PTR f = nullptr;

void expect(const rv::Allowed& allowed, CK_RV r, const char* function) {
    static const bool trace = std::getenv("IAS_FUZZ_TRACE") != nullptr;  // seeds: see what a sequence does
    if (trace) std::fprintf(stderr, "%s -> 0x%08lX\n", function, r);
    if (allowed.has(r)) return;
    std::fprintf(stderr, "%s returned 0x%08lX\n", function, r);
    fail("return value outside the function's allowed set");
}

namespace {

// ---- application mutex callbacks (C_Initialize with CreateMutex & co.) ----------------

struct FakeMutex {
    bool locked = false;
};
std::set<FakeMutex*> gMutexes;
bool gCreateFails = false;

CK_RV createMutex(CK_VOID_PTR_PTR out) {
    if (out == nullptr) fail("CreateMutex called with NULL");
    if (gCreateFails) return CKR_HOST_MEMORY;
    auto* m = new FakeMutex;
    gMutexes.insert(m);
    *out = m;
    return CKR_OK;
}
CK_RV destroyMutex(CK_VOID_PTR p) {
    auto* m = static_cast<FakeMutex*>(p);
    if (gMutexes.erase(m) != 1) fail("DestroyMutex of an unknown mutex");
    if (m->locked) fail("DestroyMutex of a locked mutex");
    delete m;
    return CKR_OK;
}
CK_RV lockMutex(CK_VOID_PTR p) {
    auto* m = static_cast<FakeMutex*>(p);
    if (gMutexes.count(m) == 0) fail("LockMutex of an unknown mutex");
    if (m->locked) fail("LockMutex of a mutex this thread holds (self-deadlock)");
    m->locked = true;
    return CKR_OK;
}
CK_RV unlockMutex(CK_VOID_PTR p) {
    auto* m = static_cast<FakeMutex*>(p);
    if (gMutexes.count(m) == 0) fail("UnlockMutex of an unknown mutex");
    if (!m->locked) fail("UnlockMutex of an unlocked mutex");
    m->locked = false;
    return CKR_OK;
}

}  // namespace

// ---- argument material --------------------------------------------------------------

const CK_MECHANISM_TYPE kMechanisms[] = {
    CKM_RSA_PKCS, CKM_SHA1_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS,
    CKM_RSA_PKCS_PSS, CKM_SHA1_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS, CKM_SHA512_RSA_PKCS_PSS,
    CKM_ECDSA, CKM_ECDSA_SHA1, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384, CKM_RSA_PKCS_OAEP, CKM_RSA_X_509,
    CKM_SHA224_RSA_PKCS, CKM_ECDSA_SHA224, CKM_ECDSA_SHA512, CKM_SHA256, CKM_AES_CBC};

const CK_ATTRIBUTE_TYPE kAttributes[] = {
    CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_ID, CKA_KEY_TYPE, CKA_MODULUS, CKA_PUBLIC_EXPONENT,
    CKA_VALUE, CKA_SIGN, CKA_DECRYPT, CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_ALWAYS_AUTHENTICATE, CKA_EC_PARAMS,
    CKA_EC_POINT, CKA_CERTIFICATE_TYPE, CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_MODULUS_BITS,
    CKA_ALLOWED_MECHANISMS, CKA_PRIVATE_EXPONENT, CKA_LOCAL, CKA_KEY_GEN_MECHANISM, CKA_MODIFIABLE};

CK_MECHANISM_TYPE mechanismType(Input& in) {
    const std::uint8_t b = in.u8();
    if (b < 0xF0) return kMechanisms[b % std::size(kMechanisms)];
    return b == 0xF0 ? 0xFFFFFFFFUL : in.u16();
}

CK_ATTRIBUTE_TYPE attributeType(Input& in) {
    const std::uint8_t b = in.u8();
    if (b < 0xF0) return kAttributes[b % std::size(kAttributes)];
    return b == 0xF0 ? CKA_VENDOR_DEFINED | in.u8() : in.u16();
}

void readMechanism(Input& in, Mechanism& out) {
    out.m.mechanism = mechanismType(in);
    const std::uint8_t mode = in.u8();
    static const CK_MECHANISM_TYPE hashes[] = {CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512, 0x1234};
    static const CK_RSA_PKCS_MGF_TYPE mgfs[] = {CKG_MGF1_SHA1, CKG_MGF1_SHA224, CKG_MGF1_SHA256, CKG_MGF1_SHA384,
                                                CKG_MGF1_SHA512, 0x99};
    switch (mode % 5) {
        case 0: break;
        case 1:
            out.pss.hashAlg = hashes[in.u8() % std::size(hashes)];
            out.pss.mgf = mgfs[in.u8() % std::size(mgfs)];
            out.pss.sLen = in.u16();
            out.m.pParameter = &out.pss;
            out.m.ulParameterLen = (mode & 0x80) ? sizeof out.pss - 1 - in.u8() % 8 : sizeof out.pss;
            break;
        case 2:
            out.oaep.hashAlg = hashes[in.u8() % std::size(hashes)];
            out.oaep.mgf = mgfs[in.u8() % std::size(mgfs)];
            out.oaep.source = in.u8() & 1 ? CKZ_DATA_SPECIFIED : 0;
            out.m.pParameter = &out.oaep;
            out.m.ulParameterLen = sizeof out.oaep;
            break;
        case 3: {
            const auto bytes = in.bytes(in.u8() % 64);
            out.raw.assign(bytes.begin(), bytes.end());
            out.m.pParameter = out.raw.empty() ? nullptr : out.raw.data();
            out.m.ulParameterLen = out.raw.size();
            break;
        }
        case 4:
            out.m.pParameter = nullptr;
            out.m.ulParameterLen = in.u8();  // NULL with a length
            break;
    }
}

std::unique_ptr<std::uint8_t[]> buffer(CK_ULONG n) { return std::make_unique<std::uint8_t[]>(n == 0 ? 1 : n); }

void setFunctionList(CK_FUNCTION_LIST_PTR list) { f = list; }

// ---- handles ------------------------------------------------------------------------

namespace {
template <class T>
T pickFrom(Input& in, const std::vector<T>& live) {
    const std::uint8_t b = in.u8();
    if (b < 0xF0 && !live.empty()) return live[b % live.size()];
    switch (b & 3) {
        case 0: return 0;
        case 1: return b;
        case 2: return ~T{0};
        default: return in.u16();
    }
}
}  // namespace

CK_SLOT_ID Driver::slot() { return pickFrom(in_, slots_); }
CK_OBJECT_HANDLE Driver::object() { return pickFrom(in_, objects_); }
CK_SESSION_HANDLE Driver::session() {
    std::vector<CK_SESSION_HANDLE> live;
    for (const auto& [h, s] : sessions_) live.push_back(h);
    return pickFrom(in_, live);
}

// A PIN argument: the current PIN, empty, the current PIN with a NUL or padding after it,
// a prefix of it, bytes from the input, a long one.
std::string Driver::pin() {
    const std::uint8_t mode = in_.u8();
    switch (mode % 7) {
        case 0: return pin_;
        case 1: return {};
        case 2: return pin_ + std::string(1 + mode / 8 % 4, '\0');
        case 3: return pin_ + std::string(1, static_cast<char>(0xFF));
        case 4: return pin_.substr(0, pin_.size() - std::min<std::size_t>(pin_.size(), 1 + mode / 8 % 4));
        case 5: {
            const auto b = in_.bytes(in_.u8());
            return std::string(b.begin(), b.end());
        }
        default: return std::string(64 + in_.u8() * 4, static_cast<char>('0' + mode % 10));
    }
}

void Driver::forgetAll() {
    slots_.clear();
    sessions_.clear();
    objects_.clear();
}

void Driver::step() {
    switch (in_.u8() % 24) {
        case 0: initialize(); break;
        case 1: finalize(); break;
        case 2: getSlotList(); break;
        case 3: getTokenInfo(); break;
        case 4: mechanisms(); break;
        case 5: openSession(); break;
        case 6: closeSession(); break;
        case 7: closeAllSessions(); break;
        case 8: sessionInfo(); break;
        case 9: login(); break;
        case 10: logout(); break;
        case 11: findObjects(); break;
        case 12: getAttributeValue(); break;
        case 13: signInit(false); break;
        case 14: sign(); break;
        case 15: signParts(); break;
        case 16: signInit(true); break;
        case 17: decrypt(); break;
        case 18: setPin(); break;
        case 19: initPin(); break;
        case 20: generateRandom(); break;
        case 21: fault(); break;
        case 22: misc(); break;
        default: fault(); break;
    }
}

void Driver::initialize() {
    const std::uint8_t mode = in_.u8() % 7;
    CK_C_INITIALIZE_ARGS args{};
    gCreateFails = false;
    if (mode != 0) {
        if (mode >= 2) {
            args.CreateMutex = createMutex;
            args.DestroyMutex = destroyMutex;
            args.LockMutex = lockMutex;
            args.UnlockMutex = unlockMutex;
        }
        if (mode == 1 || mode == 3) args.flags = CKF_OS_LOCKING_OK;
        if (mode == 4) args.LockMutex = nullptr;        // some but not all callbacks
        if (mode == 5) args.pReserved = &args;          // must be NULL
        if (mode == 6) gCreateFails = !initialized_;    // the application cannot make mutexes
    }
    const CK_RV r = f->C_Initialize(mode == 0 ? nullptr : &args);
    expect(rv::kInitialize, r, "C_Initialize");
    if (r == CKR_OK) {
        if (initialized_) fail("C_Initialize twice succeeded");
        if (mode == 4 || mode == 5) fail("C_Initialize accepted bad arguments");
        initialized_ = true;
        callbacks_ = mode == 2 || mode == 6;
    } else if (r != CKR_CRYPTOKI_ALREADY_INITIALIZED && !initialized_ && mode != 4 && mode != 5 &&
               !(mode == 6 && r == CKR_CANT_LOCK)) {
        fail("C_Initialize refused good arguments");
    }
    gCreateFails = false;
}

void Driver::finalize() {
    const bool bad = in_.u8() == 0xFF;
    int dummy = 0;
    const CK_RV r = f->C_Finalize(bad ? &dummy : nullptr);
    expect(rv::kFinalize, r, "C_Finalize");
    if (r == CKR_OK) {
        if (bad) fail("C_Finalize accepted a non-NULL argument");
        initialized_ = false;
        forgetAll();
        if (!gMutexes.empty()) fail("application mutexes left after C_Finalize");
    }
}

void Driver::finish() {
    const CK_RV r = f->C_Finalize(nullptr);
    expect(rv::kFinalize, r, "C_Finalize");
    if ((r == CKR_OK) != initialized_) fail("C_Finalize disagrees with C_Initialize");
    initialized_ = false;
    forgetAll();
    if (!gMutexes.empty()) fail("application mutexes left after C_Finalize");
}

void Driver::getSlotList() {
    const CK_BBOOL present = in_.u8() & 1;
    const std::uint8_t mode = in_.u8() % 4;
    if (mode == 0) {
        expect(rv::kGetSlotList, f->C_GetSlotList(present, nullptr, nullptr), "C_GetSlotList");
        return;
    }
    CK_ULONG count = 0;
    CK_RV r = f->C_GetSlotList(present, nullptr, &count);
    expect(rv::kGetSlotList, r, "C_GetSlotList");
    if (r != CKR_OK) return;
    const CK_ULONG announced = count;
    CK_ULONG size = mode == 1 ? count : mode == 2 ? (count > 0 ? count - 1 : 0) : count + 4;
    std::vector<CK_SLOT_ID> list(size + 1);
    count = size;
    r = f->C_GetSlotList(present, list.data(), &count);
    expect(rv::kGetSlotList, r, "C_GetSlotList");
    if (r == CKR_BUFFER_TOO_SMALL) {
        if (size >= announced) fail("C_GetSlotList: too small a buffer of the announced size");
        if (count <= size) fail("C_GetSlotList: BUFFER_TOO_SMALL without a larger size");
        return;
    }
    if (r != CKR_OK) return;
    if (count > size) fail("C_GetSlotList wrote more slots than the buffer holds");
    if (count > announced) fail("C_GetSlotList returned more slots than announced");
    slots_.assign(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(count));
}

void Driver::getTokenInfo() {
    const CK_SLOT_ID s = slot();
    if (in_.u8() & 1) {
        CK_SLOT_INFO info;
        expect(rv::kGetSlotInfo, f->C_GetSlotInfo(s, &info), "C_GetSlotInfo");
        return;
    }
    CK_TOKEN_INFO info;
    const CK_RV r = f->C_GetTokenInfo(s, &info);
    expect(rv::kGetTokenInfo, r, "C_GetTokenInfo");
    if (r == CKR_OK && (info.ulMinPinLen > info.ulMaxPinLen)) fail("C_GetTokenInfo: min PIN length > max");
}

void Driver::mechanisms() {
    const CK_SLOT_ID s = slot();
    const std::uint8_t mode = in_.u8() % 4;
    if (mode == 3) {
        CK_MECHANISM_INFO info;
        const CK_MECHANISM_TYPE t = mechanismType(in_);
        const CK_RV r = f->C_GetMechanismInfo(s, t, &info);
        expect(rv::kGetMechanismInfo, r, "C_GetMechanismInfo");
        if (r == CKR_OK && info.ulMinKeySize > info.ulMaxKeySize) fail("C_GetMechanismInfo: min key size > max");
        return;
    }
    CK_ULONG count = 0;
    CK_RV r = f->C_GetMechanismList(s, nullptr, &count);
    expect(rv::kGetMechanismList, r, "C_GetMechanismList");
    if (r != CKR_OK) return;
    const CK_ULONG announced = count;
    const CK_ULONG size = mode == 0 ? count : mode == 1 ? (count > 0 ? count - 1 : 0) : count + 3;
    std::vector<CK_MECHANISM_TYPE> list(size + 1);
    count = size;
    r = f->C_GetMechanismList(s, list.data(), &count);
    expect(rv::kGetMechanismList, r, "C_GetMechanismList");
    if (r == CKR_BUFFER_TOO_SMALL && (size >= announced || count <= size)) {
        fail("C_GetMechanismList: inconsistent BUFFER_TOO_SMALL");
    }
    if (r == CKR_OK && (count > size || count > announced)) fail("C_GetMechanismList wrote more than announced");
}

void Driver::openSession() {
    const CK_SLOT_ID s = slot();
    const std::uint8_t mode = in_.u8();
    CK_FLAGS flags = (mode & 1) ? 0 : CKF_SERIAL_SESSION;
    if (mode & 2) flags |= CKF_RW_SESSION;
    if (mode & 4) flags |= 0x80;  // unknown bit
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    const CK_RV r = f->C_OpenSession(s, flags, nullptr, nullptr, (mode & 8) ? nullptr : &h);
    expect(rv::kOpenSession, r, "C_OpenSession");
    if (r != CKR_OK) return;
    if (mode & 8) fail("C_OpenSession accepted a NULL handle pointer");
    if (!(flags & CKF_SERIAL_SESSION)) fail("C_OpenSession without CKF_SERIAL_SESSION succeeded");
    if (h == CK_INVALID_HANDLE) fail("C_OpenSession returned CK_INVALID_HANDLE");
    if (sessions_.count(h) != 0) fail("C_OpenSession returned a handle of a live session");
    sessions_[h] = s;
}

void Driver::closeSession() {
    const CK_SESSION_HANDLE h = session();
    const CK_RV r = f->C_CloseSession(h);
    expect(rv::kCloseSession, r, "C_CloseSession");
    if (r == CKR_OK) sessions_.erase(h);
}

void Driver::closeAllSessions() {
    const CK_SLOT_ID s = slot();
    const CK_RV r = f->C_CloseAllSessions(s);
    expect(rv::kCloseAllSessions, r, "C_CloseAllSessions");
    if (r != CKR_OK) return;
    for (auto it = sessions_.begin(); it != sessions_.end();) it = it->second == s ? sessions_.erase(it) : std::next(it);
}

void Driver::sessionInfo() {
    const CK_SESSION_HANDLE h = session();
    CK_SESSION_INFO info;
    const bool null = in_.u8() & 1;
    const CK_RV r = f->C_GetSessionInfo(h, null ? nullptr : &info);
    expect(rv::kGetSessionInfo, r, "C_GetSessionInfo");
    if (r == CKR_OK && null) fail("C_GetSessionInfo accepted NULL");
}

void Driver::login() {
    const CK_SESSION_HANDLE h = session();
    const std::uint8_t type = in_.u8();
    const CK_USER_TYPE user = type % 4 == 0 ? CKU_USER : type % 4 == 1 ? CKU_SO : type % 4 == 2 ? CKU_CONTEXT_SPECIFIC : type;
    const std::string p = pin();
    const bool nullPin = (type & 0x80) != 0;
    const CK_RV r = f->C_Login(h, user, nullPin ? nullptr : reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(p.data())),
                               p.size());
    // Documented deviations: CKR_USER_NOT_LOGGED_IN for a context-specific login of an
    // operation whose user login was lost (front/login.cpp); CKR_FUNCTION_NOT_SUPPORTED for an
    // SO login without an unblock service or PUK, CKR_PIN_LEN_RANGE / CKR_PIN_INVALID for a
    // malformed unblock secret (UNBLOCK.md). A user PIN is never CKR_PIN_LEN_RANGE.
    const bool documented =
        (user == CKU_CONTEXT_SPECIFIC && r == CKR_USER_NOT_LOGGED_IN) ||
        (user == CKU_SO && (r == CKR_FUNCTION_NOT_SUPPORTED || r == CKR_PIN_LEN_RANGE || r == CKR_PIN_INVALID));
    if (!documented) expect(rv::kLogin, r, "C_Login");
    if (r != CKR_OK || pcsc::answersForged()) return;
    if (nullPin) fail("C_Login succeeded with a NULL PIN pointer");
    if ((user == CKU_USER || user == CKU_CONTEXT_SPECIFIC) && p != pin_) fail("C_Login succeeded with a wrong PIN");
    if (user == CKU_SO) fail("C_Login(CKU_SO) succeeded without an unblock service");
}

void Driver::logout() { expect(rv::kLogout, f->C_Logout(session()), "C_Logout"); }

void Driver::findObjects() {
    const CK_SESSION_HANDLE h = session();
    const std::size_t n = in_.u8() % 6;
    std::vector<CK_ATTRIBUTE> templ(n + 1);
    std::vector<std::vector<std::uint8_t>> values(n);
    for (std::size_t i = 0; i < n; ++i) {
        templ[i].type = attributeType(in_);
        const std::uint8_t len = in_.u8();
        if (len == 0xFF) {
            templ[i].pValue = nullptr;
            templ[i].ulValueLen = in_.u8();
            continue;
        }
        const auto b = in_.bytes(len % 32);
        values[i].assign(b.begin(), b.end());
        values[i].resize(len % 32);
        templ[i].pValue = values[i].empty() ? nullptr : values[i].data();
        templ[i].ulValueLen = values[i].size();
    }
    const bool nullTemplate = (in_.u8() & 7) == 7;
    CK_RV r = f->C_FindObjectsInit(h, nullTemplate ? nullptr : templ.data(), n);
    expect(rv::kFindObjectsInit, r, "C_FindObjectsInit");
    if (r == CKR_OK && nullTemplate && n > 0) fail("C_FindObjectsInit accepted a NULL template");
    for (int round = 0; round < 3; ++round) {
        const CK_ULONG max = in_.u8() % 8;
        std::vector<CK_OBJECT_HANDLE> found(max + 1);
        CK_ULONG count = 0xDEAD;
        r = f->C_FindObjects(h, found.data(), max, &count);
        expect(rv::kFindObjects, r, "C_FindObjects");
        if (r != CKR_OK) break;
        if (count > max) fail("C_FindObjects returned more objects than asked for");
        for (CK_ULONG i = 0; i < count; ++i) {
            if (std::find(objects_.begin(), objects_.end(), found[i]) == objects_.end()) objects_.push_back(found[i]);
        }
        if (count == 0) break;
    }
    if (in_.u8() & 1) expect(rv::kFindObjectsFinal, f->C_FindObjectsFinal(h), "C_FindObjectsFinal");
}

}  // namespace ias::fuzz::p11
