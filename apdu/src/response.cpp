// SPDX-License-Identifier: Apache-2.0
#include "ias/apdu/response.hpp"

#include "ias/apdu/error.hpp"

namespace ias::apdu {

SecureBytes ResponseApdu::encode() const {
    SecureBytes out(data.begin(), data.end());
    out.push_back(sw.sw1());
    out.push_back(sw.sw2());
    return out;
}

ResponseApdu ResponseApdu::parse(ByteView raw) {
    if (raw.size() < 2) throw Error(ErrorKind::Malformed, "response APDU shorter than 2 bytes");
    ResponseApdu r;
    r.data.assign(raw.begin(), raw.end() - 2);
    r.sw = StatusWord(raw[raw.size() - 2], raw[raw.size() - 1]);
    return r;
}

}  // namespace ias::apdu
