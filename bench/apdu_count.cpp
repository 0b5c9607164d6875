// SPDX-License-Identifier: Apache-2.0
// apdu_count: runs the operations of the APDU benchmark through one PKCS#11 module and
// prints how many APDUs the simulated card answered for each (from the simulator's APDU
// log, one line per APDU). Used by bench/apdu_compare.sh for OpenSC 0.23 vs ias-pkcs11.
//
//   APDU_COUNT_CIPHERTEXT=FILE apdu_count MODULE APDU_LOG PIN
//
// Output: one line per operation, "<operation> <apdus>", operations in this order:
//   list        C_Initialize, C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo (what -L does)
//   tokeninfo   one more C_GetTokenInfo (what Firefox polls)
//   login       C_OpenSession + C_Login(CKU_USER)
//   sign        C_SignInit + C_Sign, CKM_RSA_PKCS over a SHA-256 DigestInfo
//   decrypt     C_DecryptInit + C_Decrypt, CKM_RSA_PKCS, 2048-bit
// Key lookup (C_FindObjects) is done between the measured steps and not counted.
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

CK_FUNCTION_LIST* p11 = nullptr;
const char* logPath = nullptr;

long logLines() {
    std::ifstream in(logPath);
    long n = 0;
    std::string line;
    while (std::getline(in, line)) ++n;
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

CK_OBJECT_HANDLE findPrivateKey(CK_SESSION_HANDLE s) {
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_DECRYPT, &yes, sizeof yes}};
    check(p11->C_FindObjectsInit(s, t, 2), "C_FindObjectsInit");
    CK_OBJECT_HANDLE h = 0;
    CK_ULONG n = 0;
    check(p11->C_FindObjects(s, &h, 1, &n), "C_FindObjects");
    check(p11->C_FindObjectsFinal(s), "C_FindObjectsFinal");
    if (n != 1) throw Failed("no decryption key");
    return h;
}

int run(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: apdu_count MODULE APDU_LOG PIN\n");
        return 2;
    }
    logPath = argv[2];
    void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        std::fprintf(stderr, "apdu_count: %s\n", dlerror());
        return 1;
    }
    auto getList = reinterpret_cast<CK_RV (*)(CK_FUNCTION_LIST**)>(dlsym(lib, "C_GetFunctionList"));
    check(getList(&p11), "C_GetFunctionList");

    long mark = logLines();
    auto step = [&](const char* name) {
        const long now = logLines();
        std::printf("%s %ld\n", name, now - mark);
        (void)std::fflush(stdout);  // progress output only
        mark = now;
    };

    CK_C_INITIALIZE_ARGS init{};
    init.flags = CKF_OS_LOCKING_OK;
    check(p11->C_Initialize(&init), "C_Initialize");
    CK_ULONG count = 0;
    check(p11->C_GetSlotList(CK_TRUE, nullptr, &count), "C_GetSlotList");
    std::vector<CK_SLOT_ID> slots(count);
    check(p11->C_GetSlotList(CK_TRUE, slots.data(), &count), "C_GetSlotList");
    if (count == 0) {
        std::fprintf(stderr, "apdu_count: no token\n");
        return 1;
    }
    const CK_SLOT_ID slot = slots[0];
    CK_SLOT_INFO slotInfo;
    check(p11->C_GetSlotInfo(slot, &slotInfo), "C_GetSlotInfo");
    CK_TOKEN_INFO info;
    check(p11->C_GetTokenInfo(slot, &info), "C_GetTokenInfo");
    step("list");

    check(p11->C_GetTokenInfo(slot, &info), "C_GetTokenInfo");
    step("tokeninfo");

    CK_SESSION_HANDLE s = 0;
    check(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s), "C_OpenSession");
    const std::string pin = argv[3];
    check(p11->C_Login(s, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.data())), pin.size()), "C_Login");
    step("login");

    const CK_OBJECT_HANDLE key = findPrivateKey(s);
    static const unsigned char digestInfo[] = {0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                                               0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20, 1, 2, 3, 4, 5, 6,
                                               7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                                               24, 25, 26, 27, 28, 29, 30, 31, 32};
    CK_MECHANISM mech{CKM_RSA_PKCS, nullptr, 0};
    unsigned char sig[512];
    CK_ULONG sigLen = sizeof sig;
    mark = logLines();
    check(p11->C_SignInit(s, &mech, key), "C_SignInit");
    check(p11->C_Sign(s, const_cast<unsigned char*>(digestInfo), sizeof digestInfo, sig, &sigLen), "C_Sign");
    step("sign");

    // Ciphertext: PKCS#1 v1.5 encryption under the key's certificate, made by the driver.
    const char* cipherFile = std::getenv("APDU_COUNT_CIPHERTEXT");
    if (!cipherFile) {
        std::fprintf(stderr, "apdu_count: set APDU_COUNT_CIPHERTEXT to a ciphertext for the key\n");
        return 1;
    }
    std::ifstream in(cipherFile, std::ios::binary);
    std::vector<unsigned char> cipher((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    unsigned char plain[512];
    CK_ULONG plainLen = sizeof plain;
    mark = logLines();
    check(p11->C_DecryptInit(s, &mech, key), "C_DecryptInit");
    check(p11->C_Decrypt(s, cipher.data(), cipher.size(), plain, &plainLen), "C_Decrypt");
    step("decrypt");

    p11->C_CloseSession(s);
    p11->C_Finalize(nullptr);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", "apdu_count", e.what());
        return 1;
    }
}
