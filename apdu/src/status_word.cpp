// SPDX-License-Identifier: Apache-2.0
#include "ias/apdu/status_word.hpp"

#include "ias/apdu/bytes.hpp"

namespace ias::apdu {

std::optional<unsigned> StatusWord::triesLeft() const {
    if ((value_ & 0xFFF0) == 0x63C0) return value_ & 0x0F;
    if (value_ == kAuthBlocked) return 0u;
    return std::nullopt;
}

const char* StatusWord::meaning() const {
    switch (value_) {
        case 0x9000: return "success";
        case 0x6282: return "end of file reached before Ne bytes";
        case 0x6283: return "selected file deactivated";
        case 0x6581: return "memory failure";
        case 0x6700: return "wrong length";
        case 0x6881: return "logical channel not supported";
        case 0x6882: return "secure messaging not supported";
        case 0x6883: return "last command of the chain expected";
        case 0x6884: return "command chaining not supported";
        case 0x6981: return "command incompatible with file structure";
        case 0x6982: return "security status not satisfied";
        case 0x6983: return "authentication method blocked";
        case 0x6984: return "reference data not usable";
        case 0x6985: return "conditions of use not satisfied";
        case 0x6986: return "command not allowed (no current EF)";
        case 0x6987: return "expected secure messaging data objects missing";
        case 0x6988: return "incorrect secure messaging data objects";
        case 0x6A80: return "incorrect parameters in the data field";
        case 0x6A81: return "function not supported";
        case 0x6A82: return "file or application not found";
        case 0x6A83: return "record not found";
        case 0x6A84: return "not enough memory space in the file";
        case 0x6A85: return "Nc inconsistent with TLV structure";
        case 0x6A86: return "incorrect parameters P1-P2";
        case 0x6A87: return "Nc inconsistent with parameters P1-P2";
        case 0x6A88: return "referenced data or reference data not found";
        case 0x6A89: return "file already exists";
        case 0x6B00: return "wrong parameters P1-P2";
        case 0x6D00: return "instruction code not supported or invalid";
        case 0x6E00: return "class not supported";
        case 0x6F00: return "no precise diagnosis";
        default: break;
    }
    switch (sw1()) {
        case 0x61: return "response bytes still available";
        case 0x63: return (sw2() & 0xF0) == 0xC0 ? "verification failed, counter in SW2" : "warning, non-volatile memory changed";
        case 0x6C: return "wrong Le field, exact length in SW2";
        case 0x62: return "warning, non-volatile memory unchanged";
        case 0x64: return "execution error, non-volatile memory unchanged";
        case 0x65: return "execution error, non-volatile memory changed";
        case 0x66: return "security-related issue";
        case 0x67: return "wrong length";
        case 0x68: return "functions in CLA not supported";
        case 0x69: return "command not allowed";
        case 0x6A: return "wrong parameters P1-P2";
        default: return "unknown status";
    }
}

std::string StatusWord::describe() const {
    const std::uint8_t raw[2] = {sw1(), sw2()};
    return toHex(raw) + " (" + meaning() + ")";
}

}  // namespace ias::apdu
