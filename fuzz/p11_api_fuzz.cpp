// SPDX-License-Identifier: Apache-2.0
// p11_api_fuzz: sequences of PKCS#11 calls against the whole module (ias_module_core, the
// same code as ias-pkcs11.so) over a fake PC/SC reader holding the simulated card
// (fake_pcsc.hpp: the card of sim_card.hpp, PIN 4711, pristine for every input). The config
// file fuzz/p11_api.conf: no unblock service, hence no network, and no public cache (a record
// of one input must not change how the next one runs, nor land in the user's ~/.cache).
//
// Input: [flags u8] then operations [op u8][arguments...] (p11_api_ops.hpp); C_Finalize
// ends every input. The input also injects card faults: the next answer replaced by given
// bytes, the card pulled / put back, a reset by another application.
// Properties (fuzz::fail):
//  * no crash, sanitizer report or leak; every PC/SC context and card handle released by
//    C_Finalize; application mutex callbacks balanced and all destroyed;
//  * every return value is in the function's allowed set (module/src/core/return_values.hpp,
//    the table the module itself maps card refusals by): no CKR_GENERAL_ERROR;
//  * length queries are consistent: C_GetSlotList, C_GetMechanismList, C_GetAttributeValue,
//    C_Sign, C_Decrypt never write more than they announced, never report a too-small buffer
//    of the announced size, and CKR_BUFFER_TOO_SMALL always announces a larger size;
//  * as long as the card's answers are genuine: C_Login(CKU_USER / CKU_CONTEXT_SPECIFIC)
//    succeeds only with the card's current PIN (never an empty, truncated, padded one),
//    C_SetPIN only with it, C_InitPIN never (no SO login is possible without the service).
#include <cstdlib>

#include "fake_pcsc.hpp"
#include "fuzz_input.hpp"
#include "p11_api_ops.hpp"

extern "C" CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // The module reads its configuration from the environment (config::loadFromEnvironment).
    setenv("IAS_PKCS11_CONF", IAS_FUZZ_SOURCE_DIR "/p11_api.conf", 1);  // NOLINT(concurrency-mt-unsafe): libFuzzer calls this once on its main thread before it starts any other
    unsetenv("IAS_PKCS11_LOG");                 // NOLINT(concurrency-mt-unsafe): same, before any other thread exists
    CK_FUNCTION_LIST_PTR list = nullptr;
    if (C_GetFunctionList(&list) != CKR_OK || list == nullptr) ias::fuzz::fail("C_GetFunctionList");
    ias::fuzz::p11::setFunctionList(list);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ias::fuzz::Input in(data, size);
    const std::uint8_t flags = in.u8();
    ias::fuzz::pcsc::begin((flags & 1) != 0);
    {
        ias::fuzz::p11::Driver driver(in);
        for (unsigned n = 0; n < 96 && !in.empty(); ++n) driver.step();
        driver.finish();
    }
    ias::fuzz::pcsc::end();
    return 0;
}
