// SPDX-License-Identifier: Apache-2.0
// secret_fuzz: protocol::parseSecret and the API JSON parsers (protocol/api.hpp).
// Expected failure of the JSON parsers: protocol::ApiException(BadRequest). Properties:
//  * parseSecret: ok() <=> a secret is present; an accepted secret's canonical and display
//    forms parse back to the same 10 bytes;
//  * a parsed body serialised again (toJson) parses back to the same fields.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_input.hpp"
#include "ias/protocol/api.hpp"
#include "ias/protocol/secret.hpp"

using namespace ias;
using ias::fuzz::fail;

namespace {

std::string_view view(const apdu::SecureBytes& b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

void secretProperties(std::string_view text) {
    const protocol::SecretParseResult r = protocol::parseSecret(text);
    if (r.ok() != r.secret.has_value()) fail("parseSecret: ok() and secret disagree");
    (void)protocol::toString(r.error);
    if (!r.ok()) return;
    for (const apdu::SecureBytes& form : {r.secret->canonical(), r.secret->display()}) {
        const auto again = protocol::parseSecret(view(form));
        if (!again.ok() || again.secret->bytes() != r.secret->bytes()) fail("secret canonical/display round trip");
    }
}

void badRequestOnly(const protocol::ApiException& e) {
    if (e.error() != protocol::ApiError::BadRequest) fail("parser threw an ApiException other than BadRequest");
}

void jsonProperties(std::uint8_t which, std::string_view text) {
    try {
        switch (which % 6) {
            case 0: {
                const auto r = protocol::parseVerifyRequest(text);
                const auto back = protocol::parseVerifyRequest(view(protocol::toJson(r)));
                if (back.serial != r.serial) fail("VerifyRequest serial round trip");
                break;
            }
            case 1: {
                const auto r = protocol::parseVerifyResponse(text);
                const auto back = protocol::parseVerifyResponse(view(protocol::toJson(r)));
                if (back.expiresIn != r.expiresIn) fail("VerifyResponse round trip");
                break;
            }
            case 2: {
                const auto r = protocol::parseCryptogramRequest(text);
                if (r.challenge.size() != 8) fail("challenge size");
                const auto back = protocol::parseCryptogramRequest(view(protocol::toJsonSecure(r)));
                if (back.challenge != r.challenge) fail("CryptogramRequest round trip");
                break;
            }
            case 3: {
                const auto r = protocol::parseCryptogramResponse(text);
                if (r.cryptogram.size() != 24) fail("cryptogram size");
                if (protocol::parseCryptogramResponse(protocol::toJson(r)).cryptogram != r.cryptogram) {
                    fail("CryptogramResponse round trip");
                }
                break;
            }
            case 4: {
                const auto r = protocol::parseConfirmRequest(text);
                if (r.triesAfter < -1 || r.triesAfter > 15) fail("tries_after out of range accepted");
                const auto back = protocol::parseConfirmRequest(view(protocol::toJsonSecure(r)));
                if (back.outcome != r.outcome || back.triesAfter != r.triesAfter) fail("ConfirmRequest round trip");
                break;
            }
            default: {
                const auto r = protocol::parseErrorBody(text);
                const auto back = protocol::parseErrorBody(protocol::toJson(r));
                if (back.error != r.error || back.triesLeft != r.triesLeft || back.requestId != r.requestId) {
                    fail("ErrorBody round trip");
                }
                (void)protocol::httpStatus(r.error);
                break;
            }
        }
    } catch (const protocol::ApiException& e) {
        badRequestOnly(e);
    }
    try {
        (void)protocol::normaliseSerial(text);
    } catch (const protocol::ApiException& e) {
        badRequestOnly(e);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    secretProperties(all);
    if (size == 0) return 0;
    jsonProperties(data[0], all.substr(1));
    return 0;
}
