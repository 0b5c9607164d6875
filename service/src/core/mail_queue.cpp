// SPDX-License-Identifier: Apache-2.0
#include "core/mail_queue.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "ias/apdu/crypto.hpp"

namespace ias::service::mail {

namespace {

constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::string_view kSealLabel = "ias-unblock-mail-link-v1";

// The sealing key of one nonce, from the HSM.
apdu::SecureBytes sealKey(const KeyedMac& key, apdu::ByteView nonce) {
    apdu::SecureBytes input(kSealLabel.begin(), kSealLabel.end());
    input.push_back(0);
    apdu::append(input, nonce);
    apdu::Bytes k = key(input);
    apdu::SecureBytes out = apdu::secureCopy(k);
    apdu::wipeMemory(k.data(), k.size());
    if (out.size() != 32) throw std::runtime_error("mail link key: unexpected HMAC length");
    return out;
}

using Cipher = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

Cipher gcm(bool encrypt, const apdu::SecureBytes& k, apdu::ByteView nonce, const std::string& aad) {
    Cipher ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    int n = 0;
    if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
        EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, k.data(), nonce.data(), encrypt ? 1 : 0) != 1 ||
        EVP_CipherUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                         static_cast<int>(aad.size())) != 1)
        throw std::runtime_error("mail link sealing: cipher setup failed");
    return ctx;
}

struct CurlDeleter {
    void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

struct Upload {
    const SecureString& data;
    std::size_t done = 0;
};

std::size_t readUpload(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* u = static_cast<Upload*>(user);
    const std::size_t n = std::min(size * count, u->data.size() - u->done);
    std::copy_n(u->data.data() + u->done, n, buffer);
    u->done += n;
    return n;
}

int progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<std::atomic<bool>*>(user)->load() ? 1 : 0;
}

std::string domainOf(const std::string& address) { return address.substr(address.find('@') + 1); }

}  // namespace

std::string sealLink(const KeyedMac& key, const std::string& recipient, apdu::ByteView token) {
    const apdu::SecureBytes nonce = apdu::crypto::randomBytes(kNonceBytes);
    const apdu::SecureBytes k = sealKey(key, nonce);
    Cipher ctx = gcm(true, k, nonce, recipient);
    apdu::Bytes out(nonce.begin(), nonce.end());
    out.resize(kNonceBytes + token.size() + kTagBytes);
    int n = 0;
    int fin = 0;
    if (EVP_EncryptUpdate(ctx.get(), out.data() + kNonceBytes, &n, token.data(), static_cast<int>(token.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), out.data() + kNonceBytes + n, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                            out.data() + kNonceBytes + token.size()) != 1)
        throw std::runtime_error("mail link sealing failed");
    return apdu::toHex(out);
}

apdu::SecureBytes openLink(const KeyedMac& key, const std::string& recipient, const std::string& sealedHex) {
    apdu::Bytes sealed;
    try {
        sealed = apdu::fromHex(sealedHex);
    } catch (const std::exception&) {
        throw std::runtime_error("sealed mail link: not hex");
    }
    if (sealed.size() <= kNonceBytes + kTagBytes) throw std::runtime_error("sealed mail link: too short");
    const apdu::ByteView all(sealed);
    const apdu::ByteView nonce = all.first(kNonceBytes);
    const apdu::ByteView body = all.subspan(kNonceBytes, all.size() - kNonceBytes - kTagBytes);
    apdu::Bytes tag(all.end() - kTagBytes, all.end());
    const apdu::SecureBytes k = sealKey(key, nonce);
    Cipher ctx = gcm(false, k, nonce, recipient);
    apdu::SecureBytes token(body.size() + kTagBytes);
    int n = 0;
    int fin = 0;
    if (EVP_DecryptUpdate(ctx.get(), token.data(), &n, body.data(), static_cast<int>(body.size())) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), token.data() + n, &fin) != 1)
        throw std::runtime_error("sealed mail link does not open (wrong key, row or recipient)");
    token.resize(static_cast<std::size_t>(n) + static_cast<std::size_t>(fin));
    return token;
}

std::int64_t backoff(int attempts, const MailConfig& c) {
    std::int64_t wait = c.retryMin;
    for (int i = 1; i < attempts && wait < c.retryMax; ++i) wait *= 2;
    return std::min<std::int64_t>(wait, c.retryMax);
}

store::MailOutcome afterAttempt(const store::ClaimedMail& m, const Attempt& a, const MailConfig& c, store::Time now) {
    using Kind = store::MailOutcome::Kind;
    switch (a.result) {
        case Attempt::Result::Sent: return {Kind::Sent, 0, ""};
        case Attempt::Result::Permanent: return {Kind::Failed, 0, a.error};
        case Attempt::Result::Temporary: break;
    }
    const store::Time next = now + backoff(m.attempts, c);
    if (next >= m.createdAt + c.giveUpAfter)
        return {Kind::Failed, 0, a.error + " (gave up after " + std::to_string(m.attempts) + " attempts)"};
    return {Kind::Retry, next, a.error};
}

SmtpTransport::SmtpTransport(const MailConfig& c) : config_(c) { curl_global_init(CURL_GLOBAL_DEFAULT); }

Attempt SmtpTransport::send(const std::string& from, const std::string& to, const SecureString& message) {
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return {Attempt::Result::Temporary, "smtp: curl_easy_init failed"};
    std::unique_ptr<curl_slist, SlistDeleter> rcpt(curl_slist_append(nullptr, ("<" + to + ">").c_str()));
    const std::string mailFrom = "<" + from + ">";
    Upload upload{message};
    CURL* h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, config_.smtpUrl.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, mailFrom.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, readUpload);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(std::min(config_.timeout, 15)));
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &abort_);
    if (!config_.smtpUrl.starts_with("smtps://")) {
        const long useSsl = config_.startTls == StartTls::Required        ? CURLUSESSL_ALL
                            : config_.startTls == StartTls::Opportunistic ? CURLUSESSL_TRY
                                                                          : CURLUSESSL_NONE;
        curl_easy_setopt(h, CURLOPT_USE_SSL, useSsl);
    }
    if (!config_.caFile.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config_.caFile.c_str());
    if (!config_.user.empty()) {
        curl_easy_setopt(h, CURLOPT_USERNAME, config_.user.c_str());
        if (!config_.passwordFile.empty()) {
            // libcurl keeps its own copy of the option.
            apdu::SecureBytes password = readSecretFile(config_.passwordFile);
            password.push_back(0);
            curl_easy_setopt(h, CURLOPT_PASSWORD, reinterpret_cast<const char*>(password.data()));
        }
    }
    const CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_OK) return {Attempt::Result::Sent, ""};
    std::string why = std::string("smtp: ") + curl_easy_strerror(rc);
    if (code > 0) why += " (server replied " + std::to_string(code) + ")";
    // A 5xx reply is the server's final refusal (RFC 5321 4.2.1); anything else may pass later.
    return {code >= 500 && code < 600 ? Attempt::Result::Permanent : Attempt::Result::Temporary, why};
}

Sender::Sender(const ServiceConfig& config, store::Store& store, KeyedMac key, const Clock& clock, AuditLog& audit,
               Transport& transport, std::ostream& log)
    : config_(config),
      store_(store),
      key_(std::move(key)),
      clock_(clock),
      audit_(audit),
      transport_(transport),
      log_(log) {}

Sender::~Sender() { stop(); }

int Sender::runOnce() {
    int n = 0;
    while (true) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) break;
        }
        if (!sendOne()) break;
        ++n;
    }
    return n;
}

bool Sender::sendOne() {
    const store::Time now = clock_.now();
    // The lease outlasts the attempt (connect + transfer) with room to record its outcome.
    const auto m = store_.claimMail(now, now + 2 * static_cast<store::Time>(config_.mail.timeout) + 60);
    if (!m) return false;
    Attempt a;
    AuditEvent ev{"", "mail", "", "", "", m->caseId, {}, m->attempts, {}};
    try {
        const auto c = store_.caseById(m->caseId);
        if (!c) throw HeaderError("no such case");
        ev.serial = c->serial;
        const apdu::SecureBytes token = openLink(key_, m->recipient, m->sealedLink);
        SecureString link(config_.publicUrl + "/h/");
        link.append(reinterpret_cast<const char*>(token.data()), token.size());
        const Content content{c->language, c->serial, std::string_view(link.data(), link.size()), &config_.brand,
                              &config_.support};
        Message msg;
        msg.from = config_.mail.from;
        msg.fromName = config_.brand.issuerName;
        msg.to = m->recipient;
        msg.subject = subject(c->language);
        // Stable across attempts: a receiver can recognise a copy sent again after a timeout.
        msg.messageId = "<ias-unblock." + std::to_string(m->id) + "." + std::to_string(m->createdAt) + "@" +
                        domainOf(config_.mail.from) + ">";
        msg.date = now;
        msg.text = textBody(content);
        msg.html = htmlBody(content);
        const std::string boundary = "=_ias_" + apdu::toHex(apdu::crypto::randomBytes(12));
        a = transport_.send(config_.mail.from, m->recipient, build(msg, boundary));
    } catch (const HeaderError& e) {
        a = {Attempt::Result::Permanent, std::string("mail: ") + e.what()};
    } catch (const std::exception& e) {
        a = {Attempt::Result::Temporary, std::string("mail: ") + e.what()};
    }
    const store::MailOutcome out = afterAttempt(*m, a, config_.mail, clock_.now());
    store_.finishMail(*m, out, clock_.now());
    ev.result = out.kind == store::MailOutcome::Kind::Sent    ? "sent"
                : out.kind == store::MailOutcome::Kind::Retry ? "retry"
                                                              : "failed";
    audit_.record(ev);
    if (out.kind != store::MailOutcome::Kind::Sent)
        log_ << "ias-unblockd: mail of case " << m->caseId << " (attempt " << m->attempts << "): " << ev.result << ": "
             << out.error << std::endl;
    return true;
}

void Sender::start(int pollSeconds) {
    std::lock_guard lock(mutex_);
    if (thread_.joinable() || stopping_) return;
    thread_ = std::thread([this, pollSeconds] { run(pollSeconds); });
}

void Sender::run(int pollSeconds) {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        try {
            runOnce();
        } catch (const std::exception& e) {  // database unavailable: try again at the next poll
            log_ << "ias-unblockd: mail sender: " << e.what() << std::endl;
        }
        lock.lock();
        wake_.wait_for(lock, std::chrono::seconds(pollSeconds), [this] { return stopping_; });
    }
}

void Sender::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    transport_.abort();
    if (thread_.joinable()) thread_.join();
}

}  // namespace ias::service::mail
