// SPDX-License-Identifier: Apache-2.0
#include "core/mail.hpp"

#include <array>
#include <ctime>

namespace ias::service::mail {

namespace {

constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        std::uint32_t v = static_cast<std::uint8_t>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i + 1])) << 8;
        if (i + 2 < in.size()) v |= static_cast<std::uint8_t>(in[i + 2]);
        out += kBase64[(v >> 18) & 63];
        out += kBase64[(v >> 12) & 63];
        out += i + 1 < in.size() ? kBase64[(v >> 6) & 63] : '=';
        out += i + 2 < in.size() ? kBase64[v & 63] : '=';
    }
    return out;
}

void refuseBreaks(std::string_view v, const char* field) {
    for (const char ch : v)
        if (ch == '\r' || ch == '\n' || ch == '\0')
            throw HeaderError(std::string(field) + ": CR, LF or NUL in a header field");
}

// Bytes of the UTF-8 sequence starting with `lead` (1 for a stray byte).
std::size_t sequenceLength(unsigned char lead) {
    if (lead >= 0xF0) return 4;
    if (lead >= 0xE0) return 3;
    if (lead >= 0xC0) return 2;
    return 1;
}

template <class S>
void appendHtmlEscaped(S& out, std::string_view s) {
    for (const char ch : s) {
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += ch;
        }
    }
}

// A CSS colour from the configuration, used only when it is #rgb or #rrggbb.
std::string safeColour(const std::string& c) {
    const bool hex = (c.size() == 4 || c.size() == 7) && c[0] == '#' &&
                     c.find_first_not_of("0123456789abcdefABCDEF", 1) == std::string::npos;
    return hex ? c : "#1d4e89";
}

bool english(const std::string& language) { return language == "en"; }

}  // namespace

bool validAddress(std::string_view e) {
    const std::size_t at = e.find('@');
    if (e.size() < 3 || e.size() > 254 || at == std::string_view::npos || at == 0 || at > 64 ||
        e.find('@', at + 1) != std::string_view::npos)
        return false;
    for (const char ch : e) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7F || std::string_view("<>()[]\\,;:\"").find(ch) != std::string_view::npos) return false;
    }
    const std::string_view domain = e.substr(at + 1);
    return !domain.empty() && domain.front() != '.' && domain.back() != '.' &&
           domain.find("..") == std::string_view::npos && domain.front() != '-';
}

std::string encodeHeaderText(std::string_view utf8) {
    refuseBreaks(utf8, "header");
    bool plain = true;
    for (const char ch : utf8) plain = plain && static_cast<unsigned char>(ch) >= 0x20 && static_cast<unsigned char>(ch) < 0x7F;
    // "=?" in plain text would read as an encoded-word: encode it too.
    if (plain && utf8.find("=?") == std::string_view::npos) return std::string(utf8);
    // =?UTF-8?B?...?= is 12 characters around the payload: 45 bytes -> 60 characters -> 72.
    constexpr std::size_t kChunk = 45;
    std::string out;
    for (std::size_t i = 0; i < utf8.size();) {
        std::size_t end = i;
        while (end < utf8.size()) {
            const std::size_t n = sequenceLength(static_cast<unsigned char>(utf8[end]));
            if (end + n - i > kChunk) break;
            end += n;
        }
        if (end == i) end = std::min(utf8.size(), i + sequenceLength(static_cast<unsigned char>(utf8[i])));
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + base64(utf8.substr(i, end - i)) + "?=";
        i = end;
    }
    return out;
}

SecureString quotedPrintable(std::string_view utf8) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    SecureString out;
    out.reserve(utf8.size() * 3 + 64);
    std::size_t lineLength = 0;
    const auto put = [&](std::string_view piece) {
        if (lineLength + piece.size() > 75) {  // soft line break: "=" then CRLF (76 with the "=")
            out += "=\r\n";
            lineLength = 0;
        }
        out += piece;
        lineLength += piece.size();
    };
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c == '\n') {
            out += "\r\n";
            lineLength = 0;
            continue;
        }
        if (c == '\r') continue;
        const bool atLineEnd = i + 1 == utf8.size() || utf8[i + 1] == '\n' || utf8[i + 1] == '\r';
        if ((c >= 33 && c <= 126 && c != '=') || (c == ' ' && !atLineEnd) || (c == '\t' && !atLineEnd)) {
            const char one[1] = {static_cast<char>(c)};
            put(std::string_view(one, 1));
        } else {
            const char enc[3] = {'=', kHex[c >> 4], kHex[c & 15]};
            put(std::string_view(enc, 3));
        }
    }
    return out;
}

std::string rfc5322Date(std::int64_t unixSeconds) {
    const std::time_t t = static_cast<std::time_t>(unixSeconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 64> buf{};
    const std::size_t n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return std::string(buf.data(), n);
}

SecureString build(const Message& m, std::string_view boundary) {
    if (!validAddress(m.from)) throw HeaderError("From: not a plain address");
    if (!validAddress(m.to)) throw HeaderError("To: not a plain address");
    refuseBreaks(m.messageId, "Message-ID");
    refuseBreaks(boundary, "boundary");
    if (m.messageId.size() < 5 || m.messageId.front() != '<' || m.messageId.back() != '>' ||
        m.messageId.find_first_of(" <>", 1) != m.messageId.size() - 1)
        throw HeaderError("Message-ID: <id@domain> expected");
    SecureString out;
    out.reserve(m.text.size() * 3 + m.html.size() * 3 + 2048);
    out += "From: ";
    if (!m.fromName.empty()) out += encodeHeaderText(m.fromName) + " ";
    out += "<" + m.from + ">\r\n";
    out += "To: <" + m.to + ">\r\n";
    out += "Subject: " + encodeHeaderText(m.subject) + "\r\n";
    out += "Date: " + rfc5322Date(m.date) + "\r\n";
    out += "Message-ID: " + m.messageId + "\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: multipart/alternative; boundary=\"" + std::string(boundary) + "\"\r\n";
    out += "\r\nThis is a MIME message.\r\n";
    const auto part = [&](const char* type, const SecureString& body) {
        out += "\r\n--";
        out += boundary;
        out += "\r\nContent-Type: ";
        out += type;
        out += "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
        out += quotedPrintable(std::string_view(body.data(), body.size()));
        out += "\r\n";
    };
    part("text/plain", m.text);
    part("text/html", m.html);
    out += "\r\n--";
    out += boundary;
    out += "--\r\n";
    return out;
}

std::string subject(const std::string& language) {
    return english(language) ? "Unblocking your token" : "Déblocage de votre support";
}

SecureString textBody(const Content& c) {
    const Branding& b = *c.brand;
    const SupportContacts& s = *c.support;
    SecureString t;
    t.reserve(2048);
    if (english(c.language)) {
        t += "Hello,\n\nYou asked " + b.issuerName + " to unblock your token (serial " + c.serial +
             ").\nOpen this personal link within 24 hours:\n\n";
        t += c.link;
        t += "\n\nAfter 24 hours the link no longer works: contact support again.\n";
    } else {
        t += "Bonjour,\n\nVous avez demandé à " + b.issuerName + " le déblocage de votre support (numéro " + c.serial +
             ").\nOuvrez ce lien personnel dans les 24 heures :\n\n";
        t += c.link;
        t += "\n\nPassé ce délai, le lien ne fonctionne plus : contactez à nouveau le support.\n";
    }
    t += "\n" + s.web + " · " + s.email + " · " + s.phone + " (" + s.hours + ")\n";
    return t;
}

SecureString htmlBody(const Content& c) {
    const Branding& b = *c.brand;
    const SupportContacts& s = *c.support;
    const bool en = english(c.language);
    const std::string colour = safeColour(b.accentColor);
    SecureString h;
    h.reserve(4096);
    h += en ? "<!DOCTYPE html>\n<html lang=\"en\">" : "<!DOCTYPE html>\n<html lang=\"fr\">";
    h += "<head><meta charset=\"utf-8\"><title>";
    appendHtmlEscaped(h, subject(c.language));
    h += "</title></head>\n<body style=\"font-family:sans-serif;color:#222\">\n";
    h += "<div style=\"border-top:6px solid " + colour + ";padding:1em\">\n<h1 style=\"color:" + colour +
         ";font-size:1.3em\">";
    appendHtmlEscaped(h, b.issuerName);
    h += "</h1>\n<p>";
    h += en ? "Hello," : "Bonjour,";
    h += "</p>\n<p>";
    if (en) {
        h += "You asked ";
        appendHtmlEscaped(h, b.issuerName);
        h += " to unblock your token (serial ";
        appendHtmlEscaped(h, c.serial);
        h += "). Open this personal link within 24 hours:";
    } else {
        h += "Vous avez demandé à ";
        appendHtmlEscaped(h, b.issuerName);
        h += " le déblocage de votre support (numéro ";
        appendHtmlEscaped(h, c.serial);
        h += "). Ouvrez ce lien personnel dans les 24 heures :";
    }
    h += "</p>\n<p><a style=\"color:" + colour + ";font-weight:bold\" href=\"";
    appendHtmlEscaped(h, c.link);
    h += "\">";
    appendHtmlEscaped(h, c.link);
    h += "</a></p>\n<p>";
    h += en ? "After 24 hours the link no longer works: contact support again."
            : "Passé ce délai, le lien ne fonctionne plus : contactez à nouveau le support.";
    h += "</p>\n<p style=\"font-size:0.9em;color:#555\">";
    h += en ? "Support: " : "Support : ";
    appendHtmlEscaped(h, s.web);
    h += " · ";
    appendHtmlEscaped(h, s.email);
    h += " · ";
    appendHtmlEscaped(h, s.phone);
    h += " (";
    appendHtmlEscaped(h, s.hours);
    h += ")</p>\n</div>\n</body></html>\n";
    return h;
}

}  // namespace ias::service::mail
