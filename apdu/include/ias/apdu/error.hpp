// SPDX-License-Identifier: Apache-2.0
// The error type of the apdu layer. Messages never contain APDU data, only headers/SWs.
#pragma once

#include <stdexcept>
#include <string>

namespace ias::apdu {

enum class ErrorKind {
    Malformed,        // bytes that do not parse (APDU, TLV, hex, framing)
    NoService,        // PC/SC service (pcscd) not running / not reachable
    NoReader,         // reader absent or gone
    NoCard,           // no card in the reader
    CardRemoved,      // card pulled during use
    CardReset,        // card reset by someone else: security state is gone
    Transport,        // other PC/SC or transmission failure
    SecureMessaging,  // SM wrapping/unwrapping failed (bad MAC, bad DO)
    Crypto,           // OpenSSL failure
    Internal,
};

const char* toString(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

}  // namespace ias::apdu
