// SPDX-License-Identifier: Apache-2.0
// unblock_reset: wall time and APDUs of the whole built-in unblock (C_Login(CKU_SO, secret)
// + C_InitPIN) through ias-pkcs11, on the simulated card (run the simulator with
// --latency-ms 20 to model a USB token). Driven by bench/unblock_reset.sh.
//
//   unblock_reset MODULE APDU_LOG SECRET NEW_PIN
//
// Prints: "login_ms <t>", "initpin_ms <t>", "total_ms <t>", "apdus <n>" (card I/O of the
// reset itself; the token was already read by C_GetTokenInfo before the clock starts).
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace {
long lines(const char* path) {
    std::ifstream in(path);
    long n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    return n;
}
// A failed step ends the run: main() prints it and exits 1.
struct Failed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void check(CK_RV rv, const char* what) {
    if (rv == CKR_OK) return;
    char code[24];
    if (std::snprintf(code, sizeof code, "0x%08lX", rv) < 0) code[0] = '\0';
    throw Failed(std::string(what) + " failed: " + code);
}
double ms(std::chrono::steady_clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
int run(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: unblock_reset MODULE APDU_LOG SECRET NEW_PIN\n");
        return 2;
    }
    void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) return std::fprintf(stderr, "%s\n", dlerror()), 1;
    CK_FUNCTION_LIST* p = nullptr;
    check(reinterpret_cast<CK_RV (*)(CK_FUNCTION_LIST**)>(dlsym(lib, "C_GetFunctionList"))(&p), "C_GetFunctionList");
    check(p->C_Initialize(nullptr), "C_Initialize");
    CK_SLOT_ID slot = 0;
    CK_ULONG n = 1;
    check(p->C_GetSlotList(CK_TRUE, &slot, &n), "C_GetSlotList");
    CK_TOKEN_INFO info;
    check(p->C_GetTokenInfo(slot, &info), "C_GetTokenInfo");
    CK_SESSION_HANDLE s = 0;
    check(p->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s), "C_OpenSession");
    const std::string secret = argv[3];
    const std::string pin = argv[4];
    const long before = lines(argv[2]);
    const auto t0 = std::chrono::steady_clock::now();
    check(p->C_Login(s, CKU_SO, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(secret.data())), secret.size()), "C_Login(SO)");
    const auto t1 = std::chrono::steady_clock::now();
    check(p->C_InitPIN(s, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.data())), pin.size()), "C_InitPIN");
    const auto t2 = std::chrono::steady_clock::now();
    std::printf("login_ms %.1f\ninitpin_ms %.1f\ntotal_ms %.1f\napdus %ld\n", ms(t1 - t0), ms(t2 - t1), ms(t2 - t0),
                lines(argv[2]) - before);
    p->C_Logout(s);
    p->C_Finalize(nullptr);
    dlclose(lib);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", "unblock_reset", e.what());
        return 1;
    }
}
