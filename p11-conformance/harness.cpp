// SPDX-License-Identifier: Apache-2.0
// Module loader, profile and fixtures of the conformance suite (see harness.hpp).
#include "harness.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace conf {

CK_BBOOL kTrue = CK_TRUE;
CK_BBOOL kFalse = CK_FALSE;

namespace {

std::string env(const char* name, const std::string& fallback = {}) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : fallback;
}

bool parseBool(const std::string& v) { return v == "1" || v == "true" || v == "yes"; }

void applyKey(Profile& p, const std::string& key, const std::string& value) {
    if (key == "name") p.name = value;
    else if (key == "user_pin") p.userPin = value;
    else if (key == "so_pin") p.soPin = value;
    else if (key == "token_label") p.tokenLabel = value;
    else if (key == "slot_index") p.slotIndex = std::stoul(value);
    else if (key == "token_init") p.tokenInit = parseBool(value);
    else if (key == "object_creation") p.objectCreation = parseBool(value);
    else if (key == "threads") p.threads = static_cast<unsigned>(std::stoul(value));
    else if (key == "concurrent_close_all") p.concurrentCloseAll = parseBool(value);
}

Profile loadProfile() {
    Profile p;
    const std::string which = env("IAS_P11_PROFILE", "softhsm");
    if (which == "softhsm") {
        p = Profile{"softhsm", "123456", "12345678", "conformance", 0, true, true, 8};
        p.concurrentCloseAll = false;
    } else if (which == "ias") {
        // The signing card: personalised by its issuer, read-only, SO PIN = one-time secret.
        p = Profile{"ias", "4711", "", "", 0, false, false, 8};
    } else {
        std::ifstream in(which);
        if (!in) throw std::runtime_error("IAS_P11_PROFILE: cannot read " + which);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            const auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            auto trim = [](std::string s) {
                s.erase(0, s.find_first_not_of(" \t"));
                s.erase(s.find_last_not_of(" \t\r") + 1);
                return s;
            };
            applyKey(p, trim(line.substr(0, eq)), trim(line.substr(eq + 1)));
        }
    }
    if (const char* v = std::getenv("IAS_P11_PIN")) p.userPin = v;
    if (const char* v = std::getenv("IAS_P11_SO_PIN")) p.soPin = v;
    if (const char* v = std::getenv("IAS_P11_TOKEN_LABEL")) p.tokenLabel = v;
    if (const char* v = std::getenv("IAS_P11_SLOT_INDEX")) p.slotIndex = std::stoul(v);
    return p;
}

struct Loaded {
    void* handle = nullptr;
    CK_FUNCTION_LIST* list = nullptr;
    GetFunctionListFn getFunctionList = nullptr;
    GetInterfaceFn getInterface = nullptr;
    GetInterfaceListFn getInterfaceList = nullptr;
    std::string error;
};

// Loaded once per process and never unloaded (dlclose of a module with live threads is a
// classic host crash, and not what is under test).
const Loaded& loaded() {
    static const Loaded l = [] {
        Loaded r;
        const std::string path = env("IAS_P11_MODULE");
        if (path.empty()) {
            r.error = "IAS_P11_MODULE is not set";
            return r;
        }
        r.handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!r.handle) {
            r.error = std::string("dlopen: ") + dlerror();
            return r;
        }
        r.getFunctionList = reinterpret_cast<GetFunctionListFn>(dlsym(r.handle, "C_GetFunctionList"));
        r.getInterface = reinterpret_cast<GetInterfaceFn>(dlsym(r.handle, "C_GetInterface"));
        r.getInterfaceList = reinterpret_cast<GetInterfaceListFn>(dlsym(r.handle, "C_GetInterfaceList"));
        if (!r.getFunctionList) {
            r.error = "the module does not export C_GetFunctionList";
            return r;
        }
        if (r.getFunctionList(&r.list) != CKR_OK || !r.list) r.error = "C_GetFunctionList failed";
        return r;
    }();
    return l;
}

}  // namespace

const Profile& profile() {
    static const Profile p = loadProfile();
    return p;
}

CK_FUNCTION_LIST* p11() {
    const Loaded& l = loaded();
    if (!l.error.empty()) ADD_FAILURE() << l.error;
    return l.list;
}
GetInterfaceFn getInterface() { return loaded().getInterface; }
GetInterfaceListFn getInterfaceList() { return loaded().getInterfaceList; }
GetFunctionListFn getFunctionList() { return loaded().getFunctionList; }

std::string rvName(CK_RV rv) {
#define RV(x) {x, #x}
    static const std::map<CK_RV, const char*> names = {
        RV(CKR_OK), RV(CKR_CANCEL), RV(CKR_HOST_MEMORY), RV(CKR_SLOT_ID_INVALID), RV(CKR_GENERAL_ERROR),
        RV(CKR_FUNCTION_FAILED), RV(CKR_ARGUMENTS_BAD), RV(CKR_NO_EVENT), RV(CKR_NEED_TO_CREATE_THREADS),
        RV(CKR_CANT_LOCK), RV(CKR_ATTRIBUTE_READ_ONLY), RV(CKR_ATTRIBUTE_SENSITIVE), RV(CKR_ATTRIBUTE_TYPE_INVALID),
        RV(CKR_ATTRIBUTE_VALUE_INVALID), RV(CKR_ACTION_PROHIBITED), RV(CKR_DATA_INVALID), RV(CKR_DATA_LEN_RANGE),
        RV(CKR_DEVICE_ERROR), RV(CKR_DEVICE_MEMORY), RV(CKR_DEVICE_REMOVED), RV(CKR_ENCRYPTED_DATA_INVALID),
        RV(CKR_ENCRYPTED_DATA_LEN_RANGE), RV(CKR_FUNCTION_CANCELED), RV(CKR_FUNCTION_NOT_PARALLEL),
        RV(CKR_FUNCTION_NOT_SUPPORTED), RV(CKR_KEY_HANDLE_INVALID), RV(CKR_KEY_SIZE_RANGE),
        RV(CKR_KEY_TYPE_INCONSISTENT), RV(CKR_KEY_FUNCTION_NOT_PERMITTED), RV(CKR_MECHANISM_INVALID),
        RV(CKR_MECHANISM_PARAM_INVALID), RV(CKR_OBJECT_HANDLE_INVALID), RV(CKR_OPERATION_ACTIVE),
        RV(CKR_OPERATION_NOT_INITIALIZED), RV(CKR_PIN_INCORRECT), RV(CKR_PIN_INVALID), RV(CKR_PIN_LEN_RANGE),
        RV(CKR_PIN_EXPIRED), RV(CKR_PIN_LOCKED), RV(CKR_SESSION_CLOSED), RV(CKR_SESSION_COUNT),
        RV(CKR_SESSION_HANDLE_INVALID), RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED), RV(CKR_SESSION_READ_ONLY),
        RV(CKR_SESSION_EXISTS), RV(CKR_SESSION_READ_ONLY_EXISTS), RV(CKR_SESSION_READ_WRITE_SO_EXISTS),
        RV(CKR_SIGNATURE_INVALID), RV(CKR_SIGNATURE_LEN_RANGE), RV(CKR_TEMPLATE_INCOMPLETE),
        RV(CKR_TEMPLATE_INCONSISTENT), RV(CKR_TOKEN_NOT_PRESENT), RV(CKR_TOKEN_NOT_RECOGNIZED),
        RV(CKR_TOKEN_WRITE_PROTECTED), RV(CKR_USER_ALREADY_LOGGED_IN), RV(CKR_USER_NOT_LOGGED_IN),
        RV(CKR_USER_PIN_NOT_INITIALIZED), RV(CKR_USER_TYPE_INVALID), RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
        RV(CKR_USER_TOO_MANY_TYPES), RV(CKR_RANDOM_SEED_NOT_SUPPORTED), RV(CKR_RANDOM_NO_RNG),
        RV(CKR_DOMAIN_PARAMS_INVALID), RV(CKR_BUFFER_TOO_SMALL), RV(CKR_CRYPTOKI_NOT_INITIALIZED),
        RV(CKR_CRYPTOKI_ALREADY_INITIALIZED), RV(CKR_FUNCTION_REJECTED), RV(CKR_OPERATION_CANCEL_FAILED),
        RV(CKR_KEY_NOT_NEEDED), RV(CKR_KEY_INDIGESTIBLE), RV(CKR_MUTEX_BAD), RV(CKR_MUTEX_NOT_LOCKED),
    };
#undef RV
    const auto it = names.find(rv);
    std::ostringstream o;
    o << (it != names.end() ? it->second : "CKR_?") << " (0x" << std::hex << rv << ")";
    return o.str();
}

std::string mechanismName(CK_MECHANISM_TYPE m) {
#define M(x) {x, #x}
    static const std::map<CK_MECHANISM_TYPE, const char*> names = {
        M(CKM_RSA_PKCS), M(CKM_SHA1_RSA_PKCS), M(CKM_SHA256_RSA_PKCS), M(CKM_SHA384_RSA_PKCS),
        M(CKM_SHA512_RSA_PKCS), M(CKM_RSA_PKCS_PSS), M(CKM_SHA256_RSA_PKCS_PSS), M(CKM_SHA384_RSA_PKCS_PSS),
        M(CKM_SHA512_RSA_PKCS_PSS), M(CKM_ECDSA), M(CKM_ECDSA_SHA256), M(CKM_ECDSA_SHA384), M(CKM_ECDSA_SHA512),
        M(CKM_RSA_PKCS_OAEP), M(CKM_RSA_X_509),
    };
#undef M
    const auto it = names.find(m);
    if (it != names.end()) return it->second;
    std::ostringstream o;
    o << "0x" << std::hex << m;
    return o.str();
}

testing::AssertionResult rvEquals(const char*, const char* actualExpr, CK_RV expected, CK_RV actual) {
    if (expected == actual) return testing::AssertionSuccess();
    return testing::AssertionFailure() << actualExpr << "\n  returned " << rvName(actual) << "\n  expected "
                                       << rvName(expected);
}

testing::AssertionResult rvIn(CK_RV actual, std::initializer_list<CK_RV> allowed) {
    for (CK_RV rv : allowed)
        if (rv == actual) return testing::AssertionSuccess();
    auto r = testing::AssertionFailure() << "returned " << rvName(actual) << ", expected one of:";
    for (CK_RV rv : allowed) r << " " << rvName(rv);
    return r;
}

testing::AssertionResult blankPadded(const CK_UTF8CHAR* field, std::size_t size) {
    std::size_t end = size;
    while (end > 0 && field[end - 1] == ' ') --end;
    for (std::size_t i = 0; i < end; ++i) {
        if (field[i] == 0)
            return testing::AssertionFailure() << "NUL byte at offset " << i << " of a " << size
                                               << "-byte blank-padded field";
    }
    return testing::AssertionSuccess();
}

std::string trimmed(const CK_UTF8CHAR* field, std::size_t size) {
    std::string s(reinterpret_cast<const char*>(field), size);
    s.erase(s.find_last_not_of(' ') + 1);
    return s;
}

// --- fixtures ---

void P11Test::SetUp() {
    f = p11();
    ASSERT_NE(f, nullptr);
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    ASSERT_RV(CKR_OK, f->C_Initialize(&args));
    initialised_ = true;
    CK_ULONG n = 0;
    ASSERT_RV(CKR_OK, f->C_GetSlotList(CK_TRUE, nullptr, &n));
    std::vector<CK_SLOT_ID> slots(n);
    ASSERT_RV(CKR_OK, f->C_GetSlotList(CK_TRUE, slots.data(), &n));
    slots.resize(n);
    ASSERT_FALSE(slots.empty()) << "no slot with a token";
    const Profile& p = profile();
    if (!p.tokenLabel.empty()) {
        for (CK_SLOT_ID s : slots) {
            CK_TOKEN_INFO info{};
            if (f->C_GetTokenInfo(s, &info) == CKR_OK && trimmed(info.label, sizeof info.label) == p.tokenLabel) {
                slot_ = s;
                return;
            }
        }
        FAIL() << "no token labelled '" << p.tokenLabel << "'";
    }
    ASSERT_LT(p.slotIndex, slots.size());
    slot_ = slots[p.slotIndex];
}

void P11Test::TearDown() {
    if (initialised_ && f) {
        EXPECT_RV(CKR_OK, f->C_Finalize(nullptr));
    }
}

CK_SESSION_HANDLE P11Test::openSession(bool readWrite) {
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    const CK_FLAGS flags = CKF_SERIAL_SESSION | (readWrite ? CKF_RW_SESSION : 0);
    EXPECT_RV(CKR_OK, f->C_OpenSession(slot_, flags, nullptr, nullptr, &s));
    return s;
}

CK_RV P11Test::login(CK_SESSION_HANDLE s, CK_USER_TYPE user, const std::string& pin) {
    std::string copy = pin;
    return f->C_Login(s, user, reinterpret_cast<CK_UTF8CHAR_PTR>(copy.data()), copy.size());
}

void P11Test::loginUser(CK_SESSION_HANDLE s) { ASSERT_RV(CKR_OK, login(s, CKU_USER, profile().userPin)); }

void P11Test::requireSo() {
    if (profile().soPin.empty()) GTEST_SKIP() << "profile " << profile().name << ": no SO PIN (one-time secret)";
}

std::vector<CK_OBJECT_HANDLE> P11Test::find(CK_SESSION_HANDLE s, std::vector<CK_ATTRIBUTE> templ) {
    std::vector<CK_OBJECT_HANDLE> out;
    EXPECT_RV(CKR_OK, f->C_FindObjectsInit(s, templ.empty() ? nullptr : templ.data(), templ.size()));
    CK_OBJECT_HANDLE batch[16];
    for (;;) {
        CK_ULONG n = 0;
        const CK_RV rv = f->C_FindObjects(s, batch, 16, &n);
        EXPECT_RV(CKR_OK, rv);
        if (rv != CKR_OK || n == 0) break;
        out.insert(out.end(), batch, batch + n);
    }
    EXPECT_RV(CKR_OK, f->C_FindObjectsFinal(s));
    return out;
}

Bytes P11Test::attribute(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type) {
    CK_ATTRIBUTE a{type, nullptr, 0};
    if (f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return {};
    Bytes v(a.ulValueLen);
    a.pValue = v.data();
    if (f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK) return {};
    v.resize(a.ulValueLen);
    return v;
}

CK_ULONG P11Test::ulongAttribute(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type) {
    CK_ULONG v = CK_UNAVAILABLE_INFORMATION;
    CK_ATTRIBUTE a{type, &v, sizeof v};
    if (f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK) return CK_UNAVAILABLE_INFORMATION;
    return v;
}

bool P11Test::boolAttribute(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, bool fallback) {
    CK_BBOOL v = CK_FALSE;
    CK_ATTRIBUTE a{type, &v, sizeof v};
    if (f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK) return fallback;
    return v != CK_FALSE;
}

std::vector<CK_MECHANISM_TYPE> P11Test::mechanisms() {
    CK_ULONG n = 0;
    EXPECT_RV(CKR_OK, f->C_GetMechanismList(slot_, nullptr, &n));
    std::vector<CK_MECHANISM_TYPE> list(n);
    EXPECT_RV(CKR_OK, f->C_GetMechanismList(slot_, list.data(), &n));
    list.resize(n);
    return list;
}

bool P11Test::supports(CK_MECHANISM_TYPE m, CK_FLAGS flag) {
    CK_MECHANISM_INFO info{};
    return f->C_GetMechanismInfo(slot_, m, &info) == CKR_OK && (info.flags & flag) == flag;
}

CK_TOKEN_INFO P11Test::tokenInfo() {
    CK_TOKEN_INFO info{};
    EXPECT_RV(CKR_OK, f->C_GetTokenInfo(slot_, &info));
    return info;
}

void UninitialisedTest::SetUp() {
    f = p11();
    ASSERT_NE(f, nullptr);
}

void UninitialisedTest::TearDown() {
    if (f) f->C_Finalize(nullptr);  // CKR_CRYPTOKI_NOT_INITIALIZED when the test finalized
}

}  // namespace conf
