// SPDX-License-Identifier: Apache-2.0
// Stand-in for a set-user-ID program that loads the module for a user (sudo or su with
// pam_pkcs11 / pam_p11, a setuid helper): dlopen, then twice C_Initialize, C_GetInfo,
// C_Finalize (as an application that re-initialises the module).
// module_setuid.sh installs it set-user-ID root and runs it as an unprivileged user.
//   setuid_loader MODULE.so   -> one line "loader: C_Initialize=0 C_GetInfo=0 C_Finalize=0"
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <cstdio>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s MODULE.so\n", argv[0]);
        return 2;
    }
    void* handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        std::fprintf(stderr, "loader: dlopen failed: %s\n", dlerror());
        return 3;
    }
    auto* getList = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
    CK_FUNCTION_LIST_PTR f = nullptr;
    if (getList == nullptr || getList(&f) != CKR_OK || f == nullptr) {
        std::fprintf(stderr, "loader: no C_GetFunctionList\n");
        dlclose(handle);
        return 4;
    }
    CK_RV init = CKR_OK, getInfo = CKR_OK, fin = CKR_OK;
    for (int round = 0; round < 2 && init == CKR_OK && getInfo == CKR_OK && fin == CKR_OK; ++round) {
        init = f->C_Initialize(nullptr);
        CK_INFO info{};
        getInfo = f->C_GetInfo(&info);
        fin = f->C_Finalize(nullptr);
    }
    std::printf("loader: C_Initialize=%lu C_GetInfo=%lu C_Finalize=%lu\n", init, getInfo, fin);
    dlclose(handle);
    return init == CKR_OK && getInfo == CKR_OK && fin == CKR_OK ? 0 : 1;
}
