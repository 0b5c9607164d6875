// SPDX-License-Identifier: Apache-2.0
// Measures the APDUs OpenSC 0.23 sends to the simulated card for each PKCS#11 step, from
// the simulator's APDU log (one line per exchange).
//   opensc_apdu_counts <opensc-pkcs11.so> <apdu.log> <PIN>
// Prints "step: N APDUs" lines; exits non-zero when a step fails.
#include <dlfcn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

const char* gLog = nullptr;

struct DlClose {
    void operator()(void* handle) const noexcept { dlclose(handle); }
};

std::size_t lines() {
    std::ifstream in(gLog);
    std::size_t n = 0;
    std::string l;
    while (std::getline(in, l)) ++n;
    return n;
}

struct Step {
    const char* name;
    std::size_t start;
    explicit Step(const char* n) : name(n), start(lines()) {}
    void done(CK_RV rv) const {
        if (rv != CKR_OK) {
            std::fprintf(stderr, "%s failed: rv 0x%lX\n", name, static_cast<unsigned long>(rv));
            std::exit(1);
        }
        std::printf("%-44s %zu APDUs\n", name, lines() - start);
    }
};

CK_OBJECT_HANDLE findKey(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_BYTE id) {
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, &id, 1}};
    CK_OBJECT_HANDLE h = 0;
    CK_ULONG n = 0;
    f->C_FindObjectsInit(s, tmpl, 2);
    f->C_FindObjects(s, &h, 1, &n);
    f->C_FindObjectsFinal(s);
    if (n != 1) {
        std::fprintf(stderr, "private key %02X not found\n", id);
        std::exit(1);
    }
    return h;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s <pkcs11 module> <apdu.log> <PIN>\n", argv[0]);
        return 2;
    }
    gLog = argv[2];
    const std::unique_ptr<void, DlClose> lib(dlopen(argv[1], RTLD_NOW));
    if (!lib) return std::fprintf(stderr, "%s\n", dlerror()), 1;
    auto getList = reinterpret_cast<CK_C_GetFunctionList>(dlsym(lib.get(), "C_GetFunctionList"));
    CK_FUNCTION_LIST_PTR f = nullptr;
    if (!getList || getList(&f) != CKR_OK || !f) return std::fprintf(stderr, "no C_GetFunctionList\n"), 1;

    { Step s("C_Initialize + C_GetSlotList (card bind)");
      CK_RV rv = f->C_Initialize(nullptr);
      CK_ULONG n = 0;
      if (rv == CKR_OK) rv = f->C_GetSlotList(CK_TRUE, nullptr, &n);
      s.done(rv); }
    CK_SLOT_ID slots[8];
    CK_ULONG nSlots = 8;
    f->C_GetSlotList(CK_TRUE, slots, &nSlots);
    if (nSlots == 0) return std::fprintf(stderr, "no token\n"), 1;
    CK_TOKEN_INFO info;
    { Step s("C_GetTokenInfo (first)"); s.done(f->C_GetTokenInfo(slots[0], &info)); }
    { Step s("C_GetTokenInfo (one more)"); s.done(f->C_GetTokenInfo(slots[0], &info)); }
    CK_SESSION_HANDLE sess = 0;
    { Step s("C_OpenSession"); s.done(f->C_OpenSession(slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &sess)); }
    { Step s("C_Login(CKU_USER)");
      s.done(f->C_Login(sess, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(argv[3]), std::strlen(argv[3]))); }
    CK_OBJECT_HANDLE key = 0;
    { Step s("C_FindObjects (private key 45)"); key = findKey(f, sess, 0x45); s.done(CKR_OK); }

    // DigestInfo(SHA-256) of 32 zero bytes is enough to count APDUs.
    std::vector<CK_BYTE> di = {0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
                               0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    di.resize(di.size() + 32, 0x00);
    CK_MECHANISM mech = {CKM_RSA_PKCS, nullptr, 0};
    CK_BYTE sig[256];
    CK_ULONG sigLen = sizeof sig;
    { Step s("C_SignInit + C_Sign (CKM_RSA_PKCS)");
      CK_RV rv = f->C_SignInit(sess, &mech, key);
      if (rv == CKR_OK) rv = f->C_Sign(sess, di.data(), di.size(), sig, &sigLen);
      s.done(rv); }
    { Step s("second C_SignInit + C_Sign");
      sigLen = sizeof sig;
      CK_RV rv = f->C_SignInit(sess, &mech, key);
      if (rv == CKR_OK) rv = f->C_Sign(sess, di.data(), di.size(), sig, &sigLen);
      s.done(rv); }

    // Encrypt with the certificate's public key (OpenSSL), decrypt on the card.
    CK_OBJECT_CLASS certClass = CKO_CERTIFICATE;
    CK_BYTE id = 0x45;
    CK_ATTRIBUTE certTmpl[] = {{CKA_CLASS, &certClass, sizeof certClass}, {CKA_ID, &id, 1}};
    CK_OBJECT_HANDLE cert = 0;
    CK_ULONG n = 0;
    f->C_FindObjectsInit(sess, certTmpl, 2);
    f->C_FindObjects(sess, &cert, 1, &n);
    f->C_FindObjectsFinal(sess);
    std::vector<CK_BYTE> der(4096);
    CK_ATTRIBUTE value = {CKA_VALUE, der.data(), der.size()};
    if (n != 1 || f->C_GetAttributeValue(sess, cert, &value, 1) != CKR_OK) return std::fprintf(stderr, "no certificate\n"), 1;
    const unsigned char* p = der.data();
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(value.ulValueLen));
    EVP_PKEY* pk = x ? X509_get_pubkey(x) : nullptr;
    CK_BYTE plain[] = {'c', 'o', 'u', 'n', 't'};
    CK_BYTE ct[256];
    std::size_t ctLen = sizeof ct;
    EVP_PKEY_CTX* ectx = pk ? EVP_PKEY_CTX_new(pk, nullptr) : nullptr;
    if (!ectx || EVP_PKEY_encrypt_init(ectx) != 1 || EVP_PKEY_CTX_set_rsa_padding(ectx, RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_encrypt(ectx, ct, &ctLen, plain, sizeof plain) != 1) {
        return std::fprintf(stderr, "encryption with the certificate key failed\n"), 1;
    }
    EVP_PKEY_CTX_free(ectx);
    EVP_PKEY_free(pk);
    X509_free(x);
    CK_BYTE out[256] = {};
    CK_ULONG outLen = sizeof out;
    { Step s("C_DecryptInit + C_Decrypt (CKM_RSA_PKCS)");
      CK_RV rv = f->C_DecryptInit(sess, &mech, key);
      if (rv == CKR_OK) rv = f->C_Decrypt(sess, ct, ctLen, out, &outLen);
      s.done(rv); }
    if (outLen != sizeof plain || std::memcmp(out, plain, sizeof plain) != 0) return std::fprintf(stderr, "decrypt mismatch\n"), 1;
    { Step s("C_Logout"); s.done(f->C_Logout(sess)); }
    f->C_CloseAllSessions(slots[0]);
    f->C_Finalize(nullptr);
    return 0;
}
