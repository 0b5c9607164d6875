// SPDX-License-Identifier: Apache-2.0
#include "library.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "error.hpp"
#include "log.hpp"

namespace ias::p11 {

namespace {

// Guards gLibrary. Held only for the pointer swap/copy, never during card I/O.
std::mutex gLifecycle;
std::shared_ptr<Library> gLibrary;
std::once_flag gForkHandlers;
std::atomic<bool> gVersion3Caller{false};

void lockBeforeFork() { gLifecycle.lock(); }
void unlockAfterFork() { gLifecycle.unlock(); }
void childAfterFork() {
    gLifecycle.unlock();
    // The parent's state (PC/SC handles, other threads' locks) is not ours: forget it
    // without destroying it. A child that wants the module calls C_Initialize again.
    if (gLibrary) new std::shared_ptr<Library>(std::move(gLibrary));  // deliberately leaked
}

}  // namespace

namespace {

// The public cache directory (docs/cache.md): IAS_PKCS11_CACHE_DIR (tests), else cache_dir,
// else $XDG_CACHE_HOME/ias-pkcs11, else ~/.cache/ias-pkcs11. A privileged (AT_SECURE) process
// takes no directory from its environment: only cache_dir of the system configuration.
std::shared_ptr<const card::CacheDirectory> openPublicCache(const config::Config& c) {
    if (!c.cache) return nullptr;
    const bool privileged = config::privilegedProcess();
    auto env = [&](const char* name) -> std::string {
        const char* v = privileged ? nullptr : secure_getenv(name);
        return v != nullptr && v[0] == '/' ? std::string(v) : std::string();
    };
    std::string path = env("IAS_PKCS11_CACHE_DIR");
    if (path.empty()) path = c.cacheDir;
    if (path.empty() && !privileged) {
        if (const std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty()) path = xdg + "/ias-pkcs11";
        else if (const std::string home = env("HOME"); !home.empty()) path = home + "/.cache/ias-pkcs11";
    }
    if (path.empty()) {
        logLine(LogLevel::Debug, "public cache off: no cache directory");
        return nullptr;
    }
    auto cache = std::make_shared<const card::CacheDirectory>(path);
    if (!cache->usable()) {
        logf(LogLevel::Warn, "public cache off: %s", cache->why().c_str());
        return nullptr;
    }
    return cache;
}

UnblockSettings unblockSettingsFrom(const config::Config& c) {
    UnblockSettings u;
    u.adminKeysetRef = c.adminKeysetRef;
    u.secretAsUserPin = c.secretAsUserPin;
    if (c.soLogin == config::Config::SoLogin::Puk) {
        u.method = UnblockSettings::Method::Puk;
    } else if (!c.serviceUrl.empty()) {
        u.method = UnblockSettings::Method::Service;
        unblock::ServiceSettings s;
        s.baseUrl = c.serviceUrl;
        s.pinnedPublicKey = c.servicePinSha256;
        s.caFile = c.serviceCaFile;
        s.connectTimeout = c.serviceConnectTimeout;
        s.totalTimeout = c.serviceTimeout;
        if (s.pinnedPublicKey.empty()) {
            // Once per process, not per C_Initialize: a browser re-initialises modules often.
            static std::once_flag warned;
            std::call_once(warned, [&] {
                logf(LogLevel::Warn,
                     "service_pin_sha256 not set: the unblock service %s is trusted on %s; pin its public key",
                     c.serviceUrl.c_str(), c.serviceCaFile.empty() ? "any public CA certificate" : "service_ca_file");
            });
        }
        u.service = std::make_shared<unblock::HttpsUnblockServiceClient>(std::move(s));
    }
    return u;
}

}  // namespace

Library::Library(const CK_C_INITIALIZE_ARGS* args, const config::Config& config)
    : mutexes_(args), config_(config), owner_(getpid()), sessionsMutex_(mutexes_.make()) {
    unblock_ = unblockSettingsFrom(config_);
    slots_ = std::make_unique<SlotTable>(mutexes_, config_.readerFilter, [this] { return nextObjectHandle(); },
                                         openPublicCache(config_));
}

Library::~Library() { slots_->cancelWaits(); }

CK_SESSION_HANDLE Library::openSession(CK_SLOT_ID slot, CK_FLAGS flags) {
    std::shared_ptr<Token> token = slots_->token(slot);
    if ((flags & CKF_RW_SESSION) == 0 && token->loginState() == LoginState::SecurityOfficer) {
        fail(CKR_SESSION_READ_WRITE_SO_EXISTS, "SO logged in: read-only sessions refused");
    }
    std::lock_guard lock(*sessionsMutex_);
    const CK_SESSION_HANDLE handle = nextSessionHandle_++;
    sessions_[handle] = std::make_shared<Session>(handle, slot, flags, std::move(token), mutexes_.make());
    return handle;
}

std::shared_ptr<Session> Library::session(CK_SESSION_HANDLE handle) {
    std::shared_ptr<Session> s;
    {
        std::lock_guard lock(*sessionsMutex_);
        const auto it = sessions_.find(handle);
        if (it == sessions_.end()) fail(CKR_SESSION_HANDLE_INVALID, "unknown session");
        s = it->second;
    }
    if (s->token()->isRemoved()) {
        closeSession(handle);
        fail(CKR_DEVICE_REMOVED, "card removed");
    }
    return s;
}

void Library::closeSession(CK_SESSION_HANDLE handle) {
    std::shared_ptr<Token> token;
    {
        std::lock_guard lock(*sessionsMutex_);
        const auto it = sessions_.find(handle);
        if (it == sessions_.end()) fail(CKR_SESSION_HANDLE_INVALID, "unknown session");
        token = it->second->token();
        sessions_.erase(it);
        for (const auto& [h, other] : sessions_) {
            if (other->token() == token) return;
        }
    }
    onLastSessionClosed(token);
}

void Library::closeAllSessions(CK_SLOT_ID slot) {
    std::vector<std::shared_ptr<Token>> tokens;
    {
        std::lock_guard lock(*sessionsMutex_);
        for (auto it = sessions_.begin(); it != sessions_.end();) {
            if (it->second->slot() == slot) {
                tokens.push_back(it->second->token());
                it = sessions_.erase(it);
            } else {
                ++it;
            }
        }
    }
    if (!tokens.empty()) onLastSessionClosed(tokens.front());
}

void Library::onLastSessionClosed(const std::shared_ptr<Token>& token) {
    if (token->isRemoved() || token->loginState() == LoginState::Public) return;
    try {
        token->logout();
    } catch (...) {
        // The card may be gone; the login state is dropped with the token.
    }
}

std::pair<CK_ULONG, CK_ULONG> Library::sessionCounts(CK_SLOT_ID slot) {
    std::lock_guard lock(*sessionsMutex_);
    CK_ULONG all = 0;
    CK_ULONG rw = 0;
    for (const auto& [h, s] : sessions_) {
        if (s->slot() != slot) continue;
        ++all;
        if (s->readWrite()) ++rw;
    }
    return {all, rw};
}

bool Library::hasReadOnlySession(CK_SLOT_ID slot) {
    const auto [all, rw] = sessionCounts(slot);
    return all > rw;
}

void markVersion3Caller() noexcept { gVersion3Caller = true; }
bool version3Caller() noexcept { return gVersion3Caller; }

CK_RV initializeLibrary(CK_VOID_PTR rawArgs) noexcept {
    return guarded("C_Initialize", [&]() -> CK_RV {
        std::call_once(gForkHandlers, [] { pthread_atfork(lockBeforeFork, unlockAfterFork, childAfterFork); });
        const auto* args = static_cast<const CK_C_INITIALIZE_ARGS*>(rawArgs);
        if (args != nullptr && args->pReserved != nullptr) return CKR_ARGUMENTS_BAD;
        std::lock_guard lock(gLifecycle);
        if (gLibrary) return CKR_CRYPTOKI_ALREADY_INITIALIZED;
        const config::LoadResult loaded = config::loadFromEnvironment();
        configureLog(loaded.config.logLevel, loaded.config.logFile);
        for (const std::string& d : loaded.diagnostics) logLine(LogLevel::Warn, d.c_str());
        gLibrary = std::make_shared<Library>(args, loaded.config);
        logf(LogLevel::Info, "initialized (log level %s)", config::toString(loaded.config.logLevel));
        return CKR_OK;
    });
}

CK_RV finalizeLibrary(CK_VOID_PTR reserved) noexcept {
    return guarded("C_Finalize", [&]() -> CK_RV {
        if (reserved != nullptr) return CKR_ARGUMENTS_BAD;
        std::shared_ptr<Library> library;
        {
            std::lock_guard lock(gLifecycle);
            if (!gLibrary) return CKR_CRYPTOKI_NOT_INITIALIZED;
            library = std::move(gLibrary);
        }
        library->slots().cancelWaits();
        return CKR_OK;
    });
}

std::shared_ptr<Library> currentLibrary() {
    std::lock_guard lock(gLifecycle);
    if (!gLibrary) fail(CKR_CRYPTOKI_NOT_INITIALIZED, "C_Initialize not called");
    return gLibrary;
}

}  // namespace ias::p11
