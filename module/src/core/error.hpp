// SPDX-License-Identifier: Apache-2.0
// The module's one error type: carries the CK_RV decided where the failure is understood.
// Lower layers throw their own errors (apdu::Error, card::CardError); toRv() maps them to
// CK_RV in one table, at the C boundary only.
#pragma once

#include <exception>

#include "ias/p11/pkcs11.hpp"

namespace ias::p11 {

class Error : public std::exception {
public:
    // `why` must be a string literal or otherwise static: never a secret, never user data.
    Error(CK_RV rv, const char* why) noexcept : rv_(rv), why_(why) {}
    CK_RV rv() const noexcept { return rv_; }
    const char* what() const noexcept override { return why_; }

private:
    CK_RV rv_;
    const char* why_;
};

[[noreturn]] inline void fail(CK_RV rv, const char* why) { throw Error(rv, why); }

inline void require(bool condition, CK_RV rv, const char* why) {
    if (!condition) fail(rv, why);
}

// Maps the exception in flight to a CK_RV and logs it (without data). Call only from a
// catch block. Never throws.
CK_RV currentExceptionToRv(const char* function) noexcept;

// Runs `body` and turns any exception into its CK_RV: the uniform C boundary.
template <class Body>
CK_RV guarded(const char* function, Body&& body) noexcept {
    try {
        return body();
    } catch (...) {
        return currentExceptionToRv(function);
    }
}

}  // namespace ias::p11
