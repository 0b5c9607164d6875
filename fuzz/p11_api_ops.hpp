// SPDX-License-Identifier: Apache-2.0
// The operations of p11_api_fuzz (see p11_api_fuzz.cpp): one PKCS#11 call (or a card fault)
// per step, arguments read from the input, properties checked after every call.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "ias/p11/pkcs11.hpp"

namespace ias::fuzz::p11 {

void setFunctionList(CK_FUNCTION_LIST_PTR list);

class Driver {
public:
    explicit Driver(Input& in) : in_(in) {}
    void step();    // one operation chosen by the next input byte
    void finish();  // C_Finalize and the end-of-input checks

private:
    CK_SLOT_ID slot();
    CK_SESSION_HANDLE session();
    CK_OBJECT_HANDLE object();
    std::string pin();

    void initialize();
    void finalize();
    void getSlotList();
    void getTokenInfo();
    void mechanisms();
    void openSession();
    void closeSession();
    void closeAllSessions();
    void sessionInfo();
    void login();
    void logout();
    void findObjects();
    void getAttributeValue();
    void signInit(bool decrypt);
    void sign();
    void signParts();
    void decrypt();
    void setPin();
    void initPin();
    void generateRandom();
    void fault();
    void misc();
    void forgetAll();

    Input& in_;
    bool initialized_ = false;
    bool callbacks_ = false;
    std::string pin_ = "4711";  // the card's user PIN as long as answers are genuine
    std::vector<CK_SLOT_ID> slots_;
    std::map<CK_SESSION_HANDLE, CK_SLOT_ID> sessions_;
    std::vector<CK_OBJECT_HANDLE> objects_;
};

}  // namespace ias::fuzz::p11
