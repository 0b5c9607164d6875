// SPDX-License-Identifier: Apache-2.0
// Token setup for `ias-unblockd hsm-init` (see hsm.hpp).
#include "hsm/hsm.hpp"

namespace ias::service::hsm {

namespace {

void createMaster(Session& s, const apdu::SecureBytes& value) {
    if (value.size() != 16) throw HsmError("master key must be 16 bytes (2-key 3DES)", CKR_KEY_SIZE_RANGE);
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_DES2;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    const std::string label = kMasterKeyLabel;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_DERIVE, &yes, sizeof yes},
        {CKA_ENCRYPT, &no, sizeof no},
        {CKA_DECRYPT, &no, sizeof no},
        {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
        {CKA_VALUE, const_cast<std::uint8_t*>(value.data()), value.size()},
    };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    check(s.fn()->C_CreateObject(s.handle(), tmpl, std::size(tmpl), &h), "C_CreateObject(master)");
}

void generateMaster(Session& s) {
    CK_MECHANISM mech{CKM_DES2_KEY_GEN, nullptr, 0};
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    const std::string label = kMasterKeyLabel;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_TOKEN, &yes, sizeof yes},       {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},   {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_DERIVE, &yes, sizeof yes},      {CKA_ENCRYPT, &no, sizeof no},
        {CKA_DECRYPT, &no, sizeof no},
        {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
    };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    check(s.fn()->C_GenerateKey(s.handle(), &mech, tmpl, std::size(tmpl), &h), "C_GenerateKey(master)");
}

void generateHmac(Session& s) {
    CK_MECHANISM mech{CKM_GENERIC_SECRET_KEY_GEN, nullptr, 0};
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG len = 32;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    const std::string label = kHmacKeyLabel;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_KEY_TYPE, &type, sizeof type},  {CKA_VALUE_LEN, &len, sizeof len},
        {CKA_TOKEN, &yes, sizeof yes},       {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},   {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_SIGN, &yes, sizeof yes},        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
    };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    check(s.fn()->C_GenerateKey(s.handle(), &mech, tmpl, std::size(tmpl), &h), "C_GenerateKey(hmac)");
}

}  // namespace

std::vector<std::string> provisionToken(const ProvisionOptions& o) {
    std::vector<std::string> report;
    auto module = Pkcs11Module::open(o.hsm.modulePath);
    auto slot = module->findToken(o.hsm.tokenLabel);
    if (!slot) {
        const auto free = module->findFreeSlot();
        if (!free) throw HsmError("no free slot to initialise a token", CKR_SLOT_ID_INVALID);
        std::string label = paddedLabel(o.hsm.tokenLabel);
        check(module->fn()->C_InitToken(*free, const_cast<CK_UTF8CHAR*>(o.soPin.data()), o.soPin.size(),
                                        reinterpret_cast<CK_UTF8CHAR*>(label.data())),
              "C_InitToken");
        slot = module->findToken(o.hsm.tokenLabel);
        if (!slot) throw HsmError("token not found after C_InitToken", CKR_GENERAL_ERROR);
        Session so(module, *slot, true);
        so.login(CKU_SO, o.soPin);
        check(so.fn()->C_InitPIN(so.handle(), const_cast<CK_UTF8CHAR*>(o.hsm.userPin.data()), o.hsm.userPin.size()),
              "C_InitPIN");
        so.fn()->C_Logout(so.handle());
        report.push_back("token initialised: " + o.hsm.tokenLabel);
    }
    Session s(module, *slot, true);
    s.login(CKU_USER, o.hsm.userPin);
    if (s.find(CKO_SECRET_KEY, kMasterKeyLabel).empty()) {
        if (o.masterKey) {
            createMaster(s, *o.masterKey);
            report.push_back(std::string("master key imported: ") + kMasterKeyLabel);
        } else {
            generateMaster(s);
            report.push_back(std::string("master key generated: ") + kMasterKeyLabel);
        }
    } else {
        report.push_back(std::string("master key present: ") + kMasterKeyLabel);
    }
    if (s.find(CKO_SECRET_KEY, kHmacKeyLabel).empty()) {
        generateHmac(s);
        report.push_back(std::string("HMAC key generated: ") + kHmacKeyLabel);
    } else {
        report.push_back(std::string("HMAC key present: ") + kHmacKeyLabel);
    }
    return report;
}

}  // namespace ias::service::hsm
