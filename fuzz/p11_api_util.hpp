// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the p11_api operation files (p11_api_ops.cpp, p11_api_crypto.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "fuzz_input.hpp"
#include "ias/p11/pkcs11.hpp"
#include "core/return_values.hpp"

namespace ias::fuzz::p11 {

namespace rv = ias::p11::rv;

extern CK_FUNCTION_LIST_PTR f;  // the module's function list

// fuzz::fail unless r is in the allowed set of the function.
void expect(const rv::Allowed& allowed, CK_RV r, const char* function);

CK_MECHANISM_TYPE mechanismType(Input& in);
CK_ATTRIBUTE_TYPE attributeType(Input& in);

// A mechanism with parameters from the input: none, well-formed PSS / OAEP parameters, PSS
// parameters of a wrong size, raw bytes, or NULL with a length.
struct Mechanism {
    CK_MECHANISM m{};
    CK_RSA_PKCS_PSS_PARAMS pss{};
    CK_RSA_PKCS_OAEP_PARAMS oaep{};
    std::vector<std::uint8_t> raw;
};
void readMechanism(Input& in, Mechanism& out);

// Exactly-sized heap buffers, so that ASan sees any write past the announced length.
std::unique_ptr<std::uint8_t[]> buffer(CK_ULONG n);

}  // namespace ias::fuzz::p11
