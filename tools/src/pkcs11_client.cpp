// SPDX-License-Identifier: Apache-2.0
#include "pkcs11_client.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "x509_name.hpp"

namespace ias::tools {

namespace {

std::string trimmed(const CK_UTF8CHAR* p, std::size_t n) {
    std::string s(reinterpret_cast<const char*>(p), n);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
}

// A session closed on every path.
class Session {
public:
    Session(CK_FUNCTION_LIST_PTR fn, CK_SLOT_ID slot, bool rw) : fn_(fn) {
        const CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
        rv_ = fn_->C_OpenSession(slot, flags, nullptr, nullptr, &h_);
    }
    ~Session() {
        if (rv_ == CKR_OK) fn_->C_CloseSession(h_);
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    CK_RV openResult() const noexcept { return rv_; }
    CK_SESSION_HANDLE handle() const noexcept { return h_; }

private:
    CK_FUNCTION_LIST_PTR fn_;
    CK_SESSION_HANDLE h_ = CK_INVALID_HANDLE;
    CK_RV rv_ = CKR_GENERAL_ERROR;
};

}  // namespace

std::string defaultModulePath(const std::filesystem::path& executableDir) {
    std::error_code ec;
    // Run from a build tree: the module of that tree (relative paths, see tools/CMakeLists.txt).
    const auto tree = (executableDir / IAS_UNBLOCK_BUILD_TREE_REL).lexically_normal();
    const auto module = (executableDir / IAS_UNBLOCK_BUILD_MODULE_REL).lexically_normal();
    if (std::filesystem::is_regular_file(tree / "CMakeCache.txt", ec) && std::filesystem::is_regular_file(module, ec))
        return module.string();
    return IAS_UNBLOCK_SYSTEM_MODULE;
}

std::string defaultModulePath() {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return IAS_UNBLOCK_SYSTEM_MODULE;
    return defaultModulePath(self.parent_path());
}

Pkcs11Module::Pkcs11Module(const std::string& path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
        const char* e = dlerror();
        throw std::runtime_error(e ? e : "dlopen failed");
    }
    auto getList = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle_, "C_GetFunctionList"));
    if (!getList || getList(&fn_) != CKR_OK || !fn_) {
        dlclose(handle_);
        throw std::runtime_error("C_GetFunctionList failed");
    }
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    const CK_RV rv = fn_->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        dlclose(handle_);
        throw std::runtime_error("C_Initialize: " + rvName(rv));
    }
}

Pkcs11Module::~Pkcs11Module() {
    fn_->C_Finalize(nullptr);
    dlclose(handle_);
}

std::vector<TokenState> Pkcs11Module::tokens() {
    CK_ULONG n = 0;
    if (fn_->C_GetSlotList(CK_TRUE, nullptr, &n) != CKR_OK) return {};
    std::vector<CK_SLOT_ID> slots(n);
    if (n && fn_->C_GetSlotList(CK_TRUE, slots.data(), &n) != CKR_OK) return {};
    slots.resize(n);
    std::vector<TokenState> out;
    for (CK_SLOT_ID s : slots) {
        if (auto t = read(s, true)) out.push_back(std::move(*t));
    }
    return out;
}

std::optional<TokenState> Pkcs11Module::token(CK_SLOT_ID slot) { return read(slot, false); }

std::optional<TokenState> Pkcs11Module::read(CK_SLOT_ID slot, bool withHolderName) {
    CK_TOKEN_INFO info{};
    if (fn_->C_GetTokenInfo(slot, &info) != CKR_OK) return std::nullopt;
    TokenState t;
    t.slot = slot;
    t.serial = trimmed(info.serialNumber, sizeof info.serialNumber);
    t.label = trimmed(info.label, sizeof info.label);
    t.flags = info.flags;
    if (withHolderName) t.holderName = holderName(slot);
    return t;
}

// The CN of the first certificate object that has one (public objects: no login needed).
std::string Pkcs11Module::holderName(CK_SLOT_ID slot) {
    Session s(fn_, slot, false);
    if (s.openResult() != CKR_OK) return {};
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_ATTRIBUTE tmpl{CKA_CLASS, &cls, sizeof cls};
    if (fn_->C_FindObjectsInit(s.handle(), &tmpl, 1) != CKR_OK) return {};
    CK_OBJECT_HANDLE objects[16];
    CK_ULONG count = 0;
    const CK_RV found = fn_->C_FindObjects(s.handle(), objects, 16, &count);
    fn_->C_FindObjectsFinal(s.handle());
    if (found != CKR_OK) return {};
    for (CK_ULONG i = 0; i < count; ++i) {
        CK_ATTRIBUTE a{CKA_SUBJECT, nullptr, 0};
        if (fn_->C_GetAttributeValue(s.handle(), objects[i], &a, 1) != CKR_OK || a.ulValueLen == 0 ||
            a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
            continue;
        apdu::Bytes der(a.ulValueLen);
        a.pValue = der.data();
        if (fn_->C_GetAttributeValue(s.handle(), objects[i], &a, 1) != CKR_OK) continue;
        der.resize(a.ulValueLen);
        if (auto cn = commonNameOfSubject(der)) return *cn;
    }
    return {};
}

ResetResult Pkcs11Module::resetUserPin(CK_SLOT_ID slot, apdu::ByteView secret, apdu::ByteView newPin) {
    Session s(fn_, slot, true);
    if (s.openResult() != CKR_OK) return {ResetStage::OpenSession, s.openResult()};
    // PKCS#11 takes non-const pointers; the module does not write through them.
    CK_RV rv = fn_->C_Login(s.handle(), CKU_SO, const_cast<CK_UTF8CHAR_PTR>(secret.data()),
                            static_cast<CK_ULONG>(secret.size()));
    if (rv != CKR_OK) return {ResetStage::Login, rv};
    rv = fn_->C_InitPIN(s.handle(), const_cast<CK_UTF8CHAR_PTR>(newPin.data()), static_cast<CK_ULONG>(newPin.size()));
    fn_->C_Logout(s.handle());
    return {ResetStage::InitPin, rv};
}

std::string rvName(CK_RV rv) {
    switch (rv) {
#define IAS_RV(x) \
    case x: return #x;
        IAS_RV(CKR_OK)
        IAS_RV(CKR_GENERAL_ERROR)
        IAS_RV(CKR_FUNCTION_FAILED)
        IAS_RV(CKR_FUNCTION_NOT_SUPPORTED)
        IAS_RV(CKR_DEVICE_ERROR)
        IAS_RV(CKR_DEVICE_MEMORY)
        IAS_RV(CKR_DEVICE_REMOVED)
        IAS_RV(CKR_TOKEN_NOT_PRESENT)
        IAS_RV(CKR_TOKEN_NOT_RECOGNIZED)
        IAS_RV(CKR_TOKEN_WRITE_PROTECTED)
        IAS_RV(CKR_SLOT_ID_INVALID)
        IAS_RV(CKR_PIN_INCORRECT)
        IAS_RV(CKR_PIN_INVALID)
        IAS_RV(CKR_PIN_LEN_RANGE)
        IAS_RV(CKR_PIN_LOCKED)
        IAS_RV(CKR_PIN_TOO_WEAK)
        IAS_RV(CKR_SESSION_READ_ONLY)
        IAS_RV(CKR_SESSION_READ_ONLY_EXISTS)
        IAS_RV(CKR_USER_NOT_LOGGED_IN)
        IAS_RV(CKR_USER_ALREADY_LOGGED_IN)
        IAS_RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN)
        IAS_RV(CKR_USER_TYPE_INVALID)
        IAS_RV(CKR_CRYPTOKI_NOT_INITIALIZED)
        IAS_RV(CKR_CRYPTOKI_ALREADY_INITIALIZED)
        IAS_RV(CKR_ARGUMENTS_BAD)
        IAS_RV(CKR_HOST_MEMORY)
#undef IAS_RV
        default: break;
    }
    char buf[24];
    (void)std::snprintf(buf, sizeof buf, "0x%08lX", static_cast<unsigned long>(rv));
    return buf;
}

}  // namespace ias::tools
