// SPDX-License-Identifier: Apache-2.0
// The holder's e-mail as an Internet message (RFC 5322 headers, RFC 2045 MIME, RFC 2047
// encoded Subject): multipart/alternative with a text part and a branded HTML part, UTF-8 in
// quoted-printable, French or English. Bodies hold the link: they are built in wiping memory.
// A CR, LF or NUL in any header field is refused (no header injection).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "ias/apdu/bytes.hpp"

namespace ias::service::mail {

using SecureString = std::basic_string<char, std::char_traits<char>, apdu::WipingAllocator<char>>;

// An addr-spec for From/To: 3..254 bytes, one '@', a local part of 1..64 bytes and a dotted
// domain; no space, control character or RFC 5322 special. UTF-8 (SMTPUTF8) is let through.
bool validAddress(std::string_view e);

// A header field value that would break the message (CR, LF, NUL, or a bad address).
class HeaderError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// RFC 2047: the text as is when printable ASCII, else UTF-8 "B" encoded-words, each at most
// 75 characters and never splitting a UTF-8 sequence. Throws HeaderError on CR/LF/NUL.
std::string encodeHeaderText(std::string_view utf8);
// RFC 2045 quoted-printable, CRLF line ends, encoded lines of at most 76 characters.
SecureString quotedPrintable(std::string_view utf8);
// RFC 5322 date-time in UTC, e.g. "Sat, 05 Dec 2026 04:55:42 +0000".
std::string rfc5322Date(std::int64_t unixSeconds);

struct Message {
    std::string from;       // addr-spec
    std::string fromName;   // display name (any UTF-8, encoded)
    std::string to;         // addr-spec
    std::string subject;    // UTF-8
    std::string messageId;  // "<id@domain>"
    std::int64_t date = 0;
    SecureString text;  // text/plain body
    SecureString html;  // text/html body
};

// The whole message, CRLF line ends. Throws HeaderError for a bad header field.
SecureString build(const Message& m, std::string_view boundary);

// What the holder's mail says.
struct Content {
    std::string language;  // "fr" (default) or "en"
    std::string serial;
    std::string_view link;
    const Branding* brand = nullptr;
    const SupportContacts* support = nullptr;
};
std::string subject(const std::string& language);
SecureString textBody(const Content& c);
SecureString htmlBody(const Content& c);

}  // namespace ias::service::mail
