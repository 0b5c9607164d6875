// SPDX-License-Identifier: Apache-2.0
// ISO 7816-4 response APDU.
#pragma once

#include "ias/apdu/bytes.hpp"
#include "ias/apdu/status_word.hpp"

namespace ias::apdu {

struct ResponseApdu {
    SecureBytes data;
    StatusWord sw;

    bool isSuccess() const { return sw.isSuccess(); }
    SecureBytes encode() const;
    // Needs at least the two status bytes; throws Error(Malformed) otherwise.
    static ResponseApdu parse(ByteView raw);
};

}  // namespace ias::apdu
