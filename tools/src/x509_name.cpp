// SPDX-License-Identifier: Apache-2.0
#include "x509_name.hpp"

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <memory>

namespace ias::tools {

std::optional<std::string> commonNameOfSubject(apdu::ByteView subjectDer) {
    if (subjectDer.empty()) return std::nullopt;
    const unsigned char* p = subjectDer.data();
    std::unique_ptr<X509_NAME, decltype(&X509_NAME_free)> name(
        d2i_X509_NAME(nullptr, &p, static_cast<long>(subjectDer.size())), &X509_NAME_free);
    if (!name) return std::nullopt;
    const int at = X509_NAME_get_index_by_NID(name.get(), NID_commonName, -1);
    if (at < 0) return std::nullopt;
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name.get(), at));
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n < 0 || !utf8) return std::nullopt;
    std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
    OPENSSL_free(utf8);
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) c = '?';
    }
    return out;
}

}  // namespace ias::tools
