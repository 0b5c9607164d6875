// SPDX-License-Identifier: Apache-2.0
// Random numbers from the card: C_GenerateRandom (GET CHALLENGE), C_SeedRandom.
#include "front.hpp"

using namespace ias::p11;
using namespace ias::p11::front;

namespace {
constexpr CK_ULONG kMaxRandomLength = 1 << 16;
}

IAS_EXPORT CK_RV C_GenerateRandom(CK_SESSION_HANDLE handle, CK_BYTE_PTR out, CK_ULONG length) {
    return guarded("C_GenerateRandom", [&] {
        auto [library, session] = sessionCall(handle);
        requireArgument(out != nullptr || length == 0);
        if (length > kMaxRandomLength) return CKR_ARGUMENTS_BAD;
        const Bytes random = session->token()->random(length);
        std::copy(random.begin(), random.end(), out);
        return CKR_OK;
    });
}

IAS_EXPORT CK_RV C_SeedRandom(CK_SESSION_HANDLE handle, CK_BYTE_PTR seed, CK_ULONG seedLength) {
    return guarded("C_SeedRandom", [&] {
        sessionCall(handle);
        // Arguments first: a NULL seed with a length is the caller's error, whatever we support.
        requireArgument(seed != nullptr || seedLength == 0);
        return CKR_RANDOM_SEED_NOT_SUPPORTED;
    });
}
