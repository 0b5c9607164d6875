// SPDX-License-Identifier: Apache-2.0
// Loading ias-pkcs11.so in the world tests: $IAS_MODULE (set by ctest) or the default name.
#pragma once

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>

#include <cstdlib>

namespace ias::world_test {

// dlopen + C_GetFunctionList; a fatal test failure when the module does not load.
inline void loadModule(void*& lib, CK_FUNCTION_LIST*& functions) {
    const char* path = std::getenv("IAS_MODULE");
    lib = dlopen(path ? path : "ias-pkcs11.so", RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(lib, nullptr) << dlerror();
    auto getList = reinterpret_cast<CK_RV (*)(CK_FUNCTION_LIST**)>(dlsym(lib, "C_GetFunctionList"));
    ASSERT_NE(getList, nullptr) << "no C_GetFunctionList";
    ASSERT_EQ(getList(&functions), CKR_OK);
}

}  // namespace ias::world_test
