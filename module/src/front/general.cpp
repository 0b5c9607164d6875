// SPDX-License-Identifier: Apache-2.0
// General-purpose functions: C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList and the
// PKCS#11 3.0 interface discovery (C_GetInterfaceList, C_GetInterface).
#include <cstring>

#include "exports.hpp"
#include "front.hpp"

using namespace ias::p11;
using namespace ias::p11::front;

namespace {

constexpr CK_VERSION kVersion240{2, 40};
constexpr CK_VERSION kVersion30{3, 0};
constexpr CK_VERSION kLibraryVersion{0, 1};
CK_CHAR kInterfaceName[] = "PKCS 11";

#define IAS_FUNCTIONS_240(F)                                                                                        \
    F(C_Initialize) F(C_Finalize) F(C_GetInfo) F(C_GetFunctionList) F(C_GetSlotList) F(C_GetSlotInfo)              \
    F(C_GetTokenInfo) F(C_GetMechanismList) F(C_GetMechanismInfo) F(C_InitToken) F(C_InitPIN) F(C_SetPIN)           \
    F(C_OpenSession) F(C_CloseSession) F(C_CloseAllSessions) F(C_GetSessionInfo) F(C_GetOperationState)             \
    F(C_SetOperationState) F(C_Login) F(C_Logout) F(C_CreateObject) F(C_CopyObject) F(C_DestroyObject)              \
    F(C_GetObjectSize) F(C_GetAttributeValue) F(C_SetAttributeValue) F(C_FindObjectsInit) F(C_FindObjects)          \
    F(C_FindObjectsFinal) F(C_EncryptInit) F(C_Encrypt) F(C_EncryptUpdate) F(C_EncryptFinal) F(C_DecryptInit)       \
    F(C_Decrypt) F(C_DecryptUpdate) F(C_DecryptFinal) F(C_DigestInit) F(C_Digest) F(C_DigestUpdate) F(C_DigestKey) \
    F(C_DigestFinal) F(C_SignInit) F(C_Sign) F(C_SignUpdate) F(C_SignFinal) F(C_SignRecoverInit) F(C_SignRecover)   \
    F(C_VerifyInit) F(C_Verify) F(C_VerifyUpdate) F(C_VerifyFinal) F(C_VerifyRecoverInit) F(C_VerifyRecover)        \
    F(C_DigestEncryptUpdate) F(C_DecryptDigestUpdate) F(C_SignEncryptUpdate) F(C_DecryptVerifyUpdate)               \
    F(C_GenerateKey) F(C_GenerateKeyPair) F(C_WrapKey) F(C_UnwrapKey) F(C_DeriveKey) F(C_SeedRandom)                \
    F(C_GenerateRandom) F(C_GetFunctionStatus) F(C_CancelFunction) F(C_WaitForSlotEvent)

#define IAS_FUNCTIONS_30(F)                                                                                        \
    F(C_GetInterfaceList) F(C_GetInterface) F(C_LoginUser) F(C_SessionCancel) F(C_MessageEncryptInit)               \
    F(C_EncryptMessage) F(C_EncryptMessageBegin) F(C_EncryptMessageNext) F(C_MessageEncryptFinal)                   \
    F(C_MessageDecryptInit) F(C_DecryptMessage) F(C_DecryptMessageBegin) F(C_DecryptMessageNext)                    \
    F(C_MessageDecryptFinal) F(C_MessageSignInit) F(C_SignMessage) F(C_SignMessageBegin) F(C_SignMessageNext)       \
    F(C_MessageSignFinal) F(C_MessageVerifyInit) F(C_VerifyMessage) F(C_VerifyMessageBegin) F(C_VerifyMessageNext)  \
    F(C_MessageVerifyFinal)

#define IAS_ASSIGN(name) list.name = name;

CK_FUNCTION_LIST makeList240() noexcept {
    CK_FUNCTION_LIST list{};
    list.version = kVersion240;
    IAS_FUNCTIONS_240(IAS_ASSIGN)
    return list;
}

CK_FUNCTION_LIST_3_0 makeList30() noexcept {
    CK_FUNCTION_LIST_3_0 list{};
    list.version = kVersion30;
    IAS_FUNCTIONS_240(IAS_ASSIGN)
    IAS_FUNCTIONS_30(IAS_ASSIGN)
    return list;
}

CK_FUNCTION_LIST gList240 = makeList240();
CK_FUNCTION_LIST_3_0 gList30 = makeList30();

// The 3.0 interface first: it is the default.
CK_INTERFACE gInterfaces[] = {
    {kInterfaceName, &gList30, 0},
    {kInterfaceName, &gList240, 0},
};

}  // namespace

IAS_EXPORT CK_RV C_Initialize(CK_VOID_PTR args) { return initializeLibrary(args); }

IAS_EXPORT CK_RV C_Finalize(CK_VOID_PTR reserved) { return finalizeLibrary(reserved); }

IAS_EXPORT CK_RV C_GetInfo(CK_INFO_PTR info) {
    return guarded("C_GetInfo", [&] {
        currentLibrary();
        requireArgument(info != nullptr);
        std::memset(info, 0, sizeof *info);
        info->cryptokiVersion = version3Caller() ? kVersion30 : kVersion240;
        padCopy(info->manufacturerID, sizeof info->manufacturerID, "ias-pkcs11 project");
        padCopy(info->libraryDescription, sizeof info->libraryDescription, "IAS-ECC PKCS#11 module");
        info->libraryVersion = kLibraryVersion;
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
    if (list == nullptr) return CKR_ARGUMENTS_BAD;
    *list = &gList240;
    return CKR_OK;
}

IAS_EXPORT CK_RV C_GetInterfaceList(CK_INTERFACE_PTR interfaces, CK_ULONG_PTR count) {
    if (count == nullptr) return CKR_ARGUMENTS_BAD;
    constexpr CK_ULONG n = sizeof gInterfaces / sizeof gInterfaces[0];
    if (interfaces == nullptr) {
        *count = n;
        return CKR_OK;
    }
    if (*count < n) {
        *count = n;
        return CKR_BUFFER_TOO_SMALL;
    }
    std::memcpy(interfaces, gInterfaces, sizeof gInterfaces);
    *count = n;
    markVersion3Caller();
    return CKR_OK;
}

IAS_EXPORT CK_RV C_GetInterface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR version, CK_INTERFACE_PTR_PTR interface,
                                CK_FLAGS flags) {
    if (interface == nullptr) return CKR_ARGUMENTS_BAD;
    if (name != nullptr && std::strcmp(reinterpret_cast<const char*>(name), "PKCS 11") != 0) return CKR_ARGUMENTS_BAD;
    for (CK_INTERFACE& candidate : gInterfaces) {
        const auto* v = static_cast<const CK_VERSION*>(candidate.pFunctionList);
        if (version != nullptr && (v->major != version->major || v->minor != version->minor)) continue;
        if ((candidate.flags & flags) != flags) continue;
        *interface = &candidate;
        if (v->major >= 3) markVersion3Caller();
        return CKR_OK;
    }
    return CKR_ARGUMENTS_BAD;
}
