// SPDX-License-Identifier: Apache-2.0
#include "pkcs11_module.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <map>
#include <mutex>

namespace ias::service::hsm {

HsmError::HsmError(const std::string& what, CK_RV rv) : std::runtime_error(what), rv_(rv) {}

void check(CK_RV rv, const char* function) {
    if (rv == CKR_OK) return;
    char buf[32];
    (void)std::snprintf(buf, sizeof buf, "0x%08lX", static_cast<unsigned long>(rv));
    throw HsmError(std::string(function) + " failed: " + buf, rv);
}

std::string paddedLabel(const std::string& label) {
    std::string l = label.substr(0, 32);
    l.resize(32, ' ');
    return l;
}

namespace {
// Guards the loaded modules and their use counts (open() may share one while reinitialize()
// checks that nobody else holds it).
std::mutex& registryMutex() {
    static std::mutex m;
    return m;
}
}  // namespace

std::shared_ptr<Pkcs11Module> Pkcs11Module::open(const std::string& path) {
    static std::map<std::string, std::weak_ptr<Pkcs11Module>> loaded;
    std::lock_guard lock(registryMutex());
    if (auto existing = loaded[path].lock()) return existing;

    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) throw HsmError("cannot load PKCS#11 module " + path, CKR_GENERAL_ERROR);
    auto getList = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
    CK_FUNCTION_LIST* list = nullptr;
    if (!getList || getList(&list) != CKR_OK || !list) {
        dlclose(handle);
        throw HsmError("no C_GetFunctionList in " + path, CKR_GENERAL_ERROR);
    }
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    const CK_RV rv = list->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        dlclose(handle);
        check(rv, "C_Initialize");
    }
    std::shared_ptr<Pkcs11Module> m(new Pkcs11Module(handle, list, rv == CKR_OK));
    loaded[path] = m;
    return m;
}

Pkcs11Module::Pkcs11Module(void* handle, CK_FUNCTION_LIST* fn, bool finalize)
    : handle_(handle), fn_(fn), finalize_(finalize) {}

Pkcs11Module::~Pkcs11Module() {
    if (finalize_) fn_->C_Finalize(nullptr);
    dlclose(handle_);
}

bool Pkcs11Module::reinitialize(const std::shared_ptr<Pkcs11Module>& self) {
    std::lock_guard lock(registryMutex());
    if (!finalize_ || self.get() != this || self.use_count() != 1) return false;
    fn_->C_Finalize(nullptr);
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    const CK_RV rv = fn_->C_Initialize(&args);
    finalize_ = rv == CKR_OK;
    if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) check(rv, "C_Initialize");
    return true;
}

namespace {
std::vector<CK_SLOT_ID> slots(CK_FUNCTION_LIST* fn) {
    CK_ULONG n = 0;
    check(fn->C_GetSlotList(CK_TRUE, nullptr, &n), "C_GetSlotList");
    std::vector<CK_SLOT_ID> ids(n);
    check(fn->C_GetSlotList(CK_TRUE, ids.data(), &n), "C_GetSlotList");
    ids.resize(n);
    return ids;
}
}  // namespace

std::optional<CK_SLOT_ID> Pkcs11Module::findToken(const std::string& label) const {
    const std::string padded = paddedLabel(label);
    for (CK_SLOT_ID id : slots(fn_)) {
        CK_TOKEN_INFO info{};
        if (fn_->C_GetTokenInfo(id, &info) != CKR_OK) continue;
        if (!(info.flags & CKF_TOKEN_INITIALIZED)) continue;
        if (std::string(reinterpret_cast<const char*>(info.label), 32) == padded) return id;
    }
    return std::nullopt;
}

std::optional<CK_SLOT_ID> Pkcs11Module::findFreeSlot() const {
    for (CK_SLOT_ID id : slots(fn_)) {
        CK_TOKEN_INFO info{};
        if (fn_->C_GetTokenInfo(id, &info) == CKR_OK && !(info.flags & CKF_TOKEN_INITIALIZED)) return id;
    }
    return std::nullopt;
}

Session::Session(std::shared_ptr<Pkcs11Module> module, CK_SLOT_ID slot, bool readWrite) : module_(std::move(module)) {
    CK_FLAGS flags = CKF_SERIAL_SESSION | (readWrite ? CKF_RW_SESSION : 0);
    check(module_->fn()->C_OpenSession(slot, flags, nullptr, nullptr, &h_), "C_OpenSession");
}

Session::~Session() {
    if (h_ != CK_INVALID_HANDLE) module_->fn()->C_CloseSession(h_);
}

void Session::login(CK_USER_TYPE user, apdu::ByteView pin) {
    const CK_RV rv = fn()->C_Login(h_, user, const_cast<CK_UTF8CHAR*>(pin.data()), pin.size());
    if (rv == CKR_USER_ALREADY_LOGGED_IN) return;
    check(rv, "C_Login");
}

std::vector<CK_OBJECT_HANDLE> Session::find(CK_OBJECT_CLASS cls, const std::string& label) {
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
    };
    check(fn()->C_FindObjectsInit(h_, tmpl, 2), "C_FindObjectsInit");
    std::vector<CK_OBJECT_HANDLE> out(16);
    CK_ULONG n = 0;
    const CK_RV rv = fn()->C_FindObjects(h_, out.data(), out.size(), &n);
    fn()->C_FindObjectsFinal(h_);
    check(rv, "C_FindObjects");
    out.resize(n);
    return out;
}

ScopedObject::~ScopedObject() {
    if (h_ != CK_INVALID_HANDLE) s_.fn()->C_DestroyObject(s_.handle(), h_);
}

}  // namespace ias::service::hsm
