// SPDX-License-Identifier: Apache-2.0
#include <cstdio>
#include <cstdlib>

#include "fuzz_input.hpp"

namespace ias::fuzz {

void fail(const char* what) {
    std::fprintf(stderr, "FUZZ PROPERTY VIOLATED: %s\n", what);
    std::abort();
}

}  // namespace ias::fuzz
