// SPDX-License-Identifier: Apache-2.0
// A self-signed TLS certificate for 127.0.0.1 (EC P-256), generated once per test process.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace ias::service::test {

struct TlsFiles {
    std::string cert;
    std::string key;
};

inline const TlsFiles& testTls() {
    struct Holder {
        TlsFiles files;
        std::filesystem::path dir;
        Holder() : dir(std::filesystem::temp_directory_path() / ("ias-unblockd-tls-" + std::to_string(::getpid()))) {
            std::filesystem::create_directories(dir);
            files = {(dir / "cert.pem").string(), (dir / "key.pem").string()};
            EVP_PKEY* key = EVP_EC_gen("P-256");
            X509* x = X509_new();
            X509_set_version(x, 2);
            ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
            X509_gmtime_adj(X509_getm_notBefore(x), -3600);
            X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
            X509_set_pubkey(x, key);
            X509_NAME* name = X509_get_subject_name(x);
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1,
                                       -1, 0);
            X509_set_issuer_name(x, name);
            X509V3_CTX ctx;
            X509V3_set_ctx_nodb(&ctx);
            X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
            X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
            X509_add_ext(x, san, -1);
            X509_EXTENSION_free(san);
            X509_sign(x, key, EVP_sha256());
            const auto writePem = [](const std::string& path, const auto& write) {
                FILE* f = std::fopen(path.c_str(), "w");
                if (!f) throw std::runtime_error("cannot create " + path);
                const bool written = write(f) == 1;
                if (std::fclose(f) != 0 || !written) throw std::runtime_error("cannot write " + path);
            };
            writePem(files.cert, [&](FILE* f) { return PEM_write_X509(f, x); });
            writePem(files.key, [&](FILE* f) { return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr); });
            X509_free(x);
            EVP_PKEY_free(key);
        }
        Holder(const Holder&) = delete;
        Holder& operator=(const Holder&) = delete;
        ~Holder() {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    };
    static Holder h;
    return h.files;
}

}  // namespace ias::service::test
