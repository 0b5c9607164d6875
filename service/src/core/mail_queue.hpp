// SPDX-License-Identifier: Apache-2.0
// Delivery of the holder's e-mail over SMTP through the durable queue in the database
// (outbox rows, schema 6): the link sealed for the queue, the decisions after each attempt
// (retry with exponential backoff on a temporary failure, failed for good on a permanent one
// or after mail.give_up_after), the libcurl SMTP transport and the background sender of
// `serve`. Several instances share the queue: a row is claimed under a lease by one of them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/mail.hpp"
#include "core/tokens.hpp"
#include "store/store.hpp"

namespace ias::service::mail {

// The link token sealed for the queue: hex(nonce 12 ‖ AES-256-GCM ciphertext ‖ tag 16), the
// key HMAC(K_hmac, "ias-unblock-mail-link-v1" 00 ‖ nonce) computed by the HSM, the recipient
// as additional data (a sealed link moved to another row does not open).
std::string sealLink(const KeyedMac& key, const std::string& recipient, apdu::ByteView token);
// Throws std::runtime_error (without any secret) when it does not open.
apdu::SecureBytes openLink(const KeyedMac& key, const std::string& recipient, const std::string& sealedHex);

// One delivery attempt.
struct Attempt {
    enum class Result { Sent, Temporary, Permanent };
    Result result = Result::Temporary;
    std::string error;  // why, for the outbox row and the log (no secret)
};

// Seconds before the next attempt after `attempts` failed ones: mail.retry_min doubling,
// at most mail.retry_max.
std::int64_t backoff(int attempts, const MailConfig& c);
// What an attempt of `m` leaves: sent; retry after the backoff; failed for good (permanent,
// or the next attempt would come after created_at + mail.give_up_after).
store::MailOutcome afterAttempt(const store::ClaimedMail& m, const Attempt& a, const MailConfig& c, store::Time now);

class Transport {
public:
    virtual ~Transport() = default;
    virtual Attempt send(const std::string& from, const std::string& to, const SecureString& message) = 0;
    // Makes a send in progress give up soon (shutdown).
    virtual void abort() noexcept {}
};

// SMTP by libcurl: mail.smtp_url, mail.starttls, mail.user + mail.password_file, mail.ca_file,
// mail.timeout. SMTP 5xx = permanent; 4xx, no connection, timeout, TLS failure = temporary.
class SmtpTransport final : public Transport {
public:
    explicit SmtpTransport(const MailConfig& c);
    Attempt send(const std::string& from, const std::string& to, const SecureString& message) override;
    void abort() noexcept override { abort_ = true; }

private:
    const MailConfig& config_;
    std::atomic<bool> abort_{false};
};

// Claims due mails, builds each message (the link opened with the HSM's key), sends it and
// records the outcome (audit event "mail": sent / retry / failed).
class Sender {
public:
    Sender(const ServiceConfig& config, store::Store& store, KeyedMac key, const Clock& clock, AuditLog& audit,
           Transport& transport, std::ostream& log);
    ~Sender();
    Sender(const Sender&) = delete;
    Sender& operator=(const Sender&) = delete;

    // Sends every due mail once; returns the number of attempts made (tests, the thread).
    int runOnce();
    // The background thread: runOnce every `pollSeconds` until stop() (also by the destructor).
    void start(int pollSeconds);
    void stop();

private:
    bool sendOne();
    void run(int pollSeconds);

    const ServiceConfig& config_;
    store::Store& store_;
    KeyedMac key_;
    const Clock& clock_;
    AuditLog& audit_;
    Transport& transport_;
    std::ostream& log_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace ias::service::mail
