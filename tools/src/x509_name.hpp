// SPDX-License-Identifier: Apache-2.0
// The holder's name shown in step 1: the CN of a certificate's subject (CKA_SUBJECT, DER
// X.509 Name), parsed with OpenSSL.
#pragma once

#include <optional>
#include <string>

#include "ias/apdu/bytes.hpp"

namespace ias::tools {

// UTF-8 common name; nullopt when the DER does not parse or has no CN. Control characters
// are replaced by '?' (the name is printed on the holder's terminal).
std::optional<std::string> commonNameOfSubject(apdu::ByteView subjectDer);

}  // namespace ias::tools
