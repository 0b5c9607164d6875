// SPDX-License-Identifier: Apache-2.0
// The holder's e-mail (core/mail.hpp: MIME, encodings, header injection) and its delivery
// queue (core/mail_queue.hpp, store outbox rows): sealing of the link, backoff, the state
// transitions of a row, claims by several instances, the sender with a scripted transport.
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <atomic>
#include <cctype>
#include <set>
#include <sstream>
#include <thread>

#include "core/audit.hpp"
#include "core/mail.hpp"
#include "core/mail_queue.hpp"
#include "store_fixture.hpp"

using namespace ias::service;
using namespace ias::service::mail;
using ias::apdu::ByteView;
using store::MailOutcome;

namespace {

// A software stand-in for the HSM's HMAC key.
KeyedMac softwareKey(unsigned char fill = 0x42) {
    return [fill](ByteView d) {
        const std::vector<unsigned char> k(32, fill);
        ias::apdu::Bytes out(32);
        unsigned int n = 0;
        HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()), d.data(), d.size(), out.data(), &n);
        return out;
    };
}

ByteView bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

std::string str(const SecureString& s) { return std::string(s.data(), s.size()); }

std::string decodeQuotedPrintable(const std::string& qp) {
    std::string out;
    for (std::size_t i = 0; i < qp.size(); ++i) {
        if (qp[i] == '=' && i + 2 < qp.size() && qp[i + 1] == '\r' && qp[i + 2] == '\n') {
            i += 2;
        } else if (qp[i] == '=' && i + 2 < qp.size() && std::isxdigit(static_cast<unsigned char>(qp[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(qp[i + 2]))) {
            out += static_cast<char>(std::stoi(qp.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += qp[i];
        }
    }
    return out;
}

Message sample() {
    Message m;
    m.from = "unblock@issuer.example";
    m.fromName = "Autorité de test";
    m.to = "holder@example.org";
    m.subject = "Déblocage de votre support";
    m.messageId = "<ias-unblock.1.1000@issuer.example>";
    m.date = 1'700'000'000;
    m.text = SecureString("Bonjour, ouvrez ce lien : https://u.example/h/abc\n");
    m.html = SecureString("<p>Bonjour é</p>\n");
    return m;
}

}  // namespace

TEST(Mail, MessageHasTheHeadersOfRfc5322AndMime) {
    const std::string msg = str(build(sample(), "=_b1"));
    const std::string head = msg.substr(0, msg.find("\r\n\r\n"));
    for (const char* h : {"From: =?UTF-8?B?", "To: <holder@example.org>\r\n", "Subject: =?UTF-8?B?",
                          "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n", "Message-ID: <ias-unblock.1.1000@issuer.example>\r\n",
                          "MIME-Version: 1.0\r\n", "Content-Type: multipart/alternative; boundary=\"=_b1\""})
        EXPECT_NE(head.find(h), std::string::npos) << h << "\n" << head;
    EXPECT_NE(msg.find("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable"),
              std::string::npos);
    EXPECT_NE(msg.find("Content-Type: text/html; charset=UTF-8"), std::string::npos);
    EXPECT_NE(msg.find("\r\n--=_b1--\r\n"), std::string::npos);
    // Every line ends in CRLF and is at most 78 characters (RFC 5322 2.1.1).
    std::size_t start = 0;
    std::size_t end = 0;
    while ((end = msg.find('\n', start)) != std::string::npos) {
        ASSERT_GT(end, start) << "bare LF";
        EXPECT_EQ(msg[end - 1], '\r');
        EXPECT_LE(end - 1 - start, 78u) << msg.substr(start, end - start);
        start = end + 1;
    }
    for (const char c : msg) EXPECT_LT(static_cast<unsigned char>(c), 0x80) << "8-bit byte in the message";
}

TEST(Mail, BodiesAreQuotedPrintableUtf8) {
    EXPECT_EQ(str(quotedPrintable("é=")), "=C3=A9=3D");
    EXPECT_EQ(str(quotedPrintable("a \nb")), "a=20\r\nb") << "trailing space encoded";
    const std::string longLine(200, 'x');
    const std::string qp = str(quotedPrintable(longLine));
    EXPECT_EQ(decodeQuotedPrintable(qp), longLine);
    std::size_t start = 0;
    std::size_t end = 0;
    while ((end = qp.find("\r\n", start)) != std::string::npos) {
        EXPECT_LE(end - start, 76u);
        start = end + 2;
    }
    const std::string text = "Ouvrez ce lien personnel dans les 24 heures : https://unblock.example.org/h/"
                             "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg — déblocage\n";
    std::string crlf = text;
    crlf.replace(crlf.size() - 1, 1, "\r\n");
    EXPECT_EQ(decodeQuotedPrintable(str(quotedPrintable(text))), crlf);
}

TEST(Mail, SubjectIsEncodedInWholeUtf8Words) {
    EXPECT_EQ(encodeHeaderText("Unblocking your token"), "Unblocking your token");
    EXPECT_EQ(encodeHeaderText("Déblocage"), "=?UTF-8?B?RMOpYmxvY2FnZQ==?=");
    EXPECT_NE(encodeHeaderText("a =?x?= b").find("=?UTF-8?B?"), std::string::npos) << "an encoded-word look-alike";
    std::string longText;
    for (int i = 0; i < 40; ++i) longText += "é€";
    const std::string enc = encodeHeaderText(longText);
    std::size_t start = 0;
    for (std::size_t end = 0; start < enc.size(); start = end + 3) {
        end = enc.find("\r\n ", start);
        if (end == std::string::npos) end = enc.size();
        const std::string word = enc.substr(start, end - start);
        EXPECT_LE(word.size(), 75u);
        EXPECT_TRUE(word.starts_with("=?UTF-8?B?") && word.ends_with("?=")) << word;
    }
}

TEST(Mail, LineBreaksInHeaderFieldsAreRefused) {
    for (const char* bad : {"a@b.example\r\nBcc: x@evil.example", "a@b.example\nBcc: x@evil.example", "a b@c.example",
                            "<a@b.example>"}) {
        Message m = sample();
        m.to = bad;
        EXPECT_THROW(build(m, "=_b"), HeaderError) << bad;
        m = sample();
        m.from = bad;
        EXPECT_THROW(build(m, "=_b"), HeaderError) << bad;
    }
    Message m = sample();
    m.subject = "Hello\r\nBcc: x@evil.example";
    EXPECT_THROW(build(m, "=_b"), HeaderError);
    m = sample();
    m.fromName = "Issuer\nBcc: x@evil.example";
    EXPECT_THROW(build(m, "=_b"), HeaderError);
    m = sample();
    m.messageId = "<a@b>\r\nBcc: x@evil.example";
    EXPECT_THROW(build(m, "=_b"), HeaderError);
    EXPECT_THROW(encodeHeaderText(std::string("a\0b", 3)), HeaderError);
}

TEST(Mail, BrandedBodiesInFrenchByDefaultAndEnglishPerCase) {
    Branding brand;
    brand.issuerName = "Autorité <test>";
    brand.accentColor = "#123abc";
    SupportContacts support;
    const Content fr{"fr", "0102", "https://u.example/h/abc", &brand, &support};
    const Content en{"en", "0102", "https://u.example/h/abc", &brand, &support};
    EXPECT_NE(str(textBody(fr)).find("Bonjour"), std::string::npos);
    EXPECT_NE(str(textBody(en)).find("Hello"), std::string::npos);
    const std::string html = str(htmlBody(fr));
    EXPECT_NE(html.find("lang=\"fr\""), std::string::npos);
    EXPECT_NE(html.find("Autorité &lt;test&gt;"), std::string::npos) << "escaped issuer";
    EXPECT_NE(html.find("#123abc"), std::string::npos);
    EXPECT_NE(html.find("href=\"https://u.example/h/abc\""), std::string::npos);
    EXPECT_NE(html.find(support.email), std::string::npos);
    brand.accentColor = "red;background:url(x)";
    EXPECT_EQ(str(htmlBody(fr)).find("url(x)"), std::string::npos) << "a colour that is not #hex is not used";
    EXPECT_EQ(subject("en"), "Unblocking your token");
}

TEST(MailQueue, SealedLinkOpensOnlyWithItsKeyAndRecipient) {
    const std::string sealed = sealLink(softwareKey(), "holder@example.org", bytes("token-123"));
    EXPECT_EQ(sealed.find("token"), std::string::npos);
    const auto opened = openLink(softwareKey(), "holder@example.org", sealed);
    EXPECT_EQ(std::string(opened.begin(), opened.end()), "token-123");
    EXPECT_THROW(openLink(softwareKey(), "other@example.org", sealed), std::runtime_error);
    EXPECT_THROW(openLink(softwareKey(0x43), "holder@example.org", sealed), std::runtime_error);
    std::string tampered = sealed;
    tampered[30] = tampered[30] == '0' ? '1' : '0';
    EXPECT_THROW(openLink(softwareKey(), "holder@example.org", tampered), std::runtime_error);
    EXPECT_NE(sealLink(softwareKey(), "holder@example.org", bytes("token-123")), sealed) << "a fresh nonce each time";
}

TEST(MailQueue, BackoffDoublesUpToItsMaximum) {
    MailConfig c;
    c.retryMin = 30;
    c.retryMax = 3600;
    EXPECT_EQ(backoff(1, c), 30);
    EXPECT_EQ(backoff(2, c), 60);
    EXPECT_EQ(backoff(3, c), 120);
    EXPECT_EQ(backoff(8, c), 3600);
    EXPECT_EQ(backoff(1000, c), 3600);
}

TEST(MailQueue, OutcomeOfAnAttempt) {
    MailConfig c;
    c.retryMin = 30;
    c.giveUpAfter = 3600;
    const store::ClaimedMail m{1, 1, "h@example.org", "", 2, 1000};
    EXPECT_EQ(afterAttempt(m, {Attempt::Result::Sent, ""}, c, 1100).kind, MailOutcome::Kind::Sent);
    EXPECT_EQ(afterAttempt(m, {Attempt::Result::Permanent, "550"}, c, 1100).kind, MailOutcome::Kind::Failed);
    const auto retry = afterAttempt(m, {Attempt::Result::Temporary, "421"}, c, 1100);
    EXPECT_EQ(retry.kind, MailOutcome::Kind::Retry);
    EXPECT_EQ(retry.retryAt, 1100 + 60);
    EXPECT_EQ(retry.error, "421");
    EXPECT_EQ(afterAttempt(m, {Attempt::Result::Temporary, "421"}, c, 1000 + 3600 - 60).kind, MailOutcome::Kind::Failed)
        << "the next attempt would come after mail.give_up_after";
}

namespace {

store::NewCase queuedCase(const std::string& serial, const std::string& link) {
    store::NewCase n;
    n.serial = serial;
    n.email = "holder@example.org";
    n.language = "en";
    n.questions = {{"Q1", "h1"}};
    n.linkHash = link;
    n.linkExpiresAt = 1000 + 86400;
    n.mailSubject = "subject";
    n.sealedLink = sealLink(softwareKey(), n.email, bytes("tok-" + link));
    return n;
}

class MailStore : public ::testing::Test {
protected:
    std::string sealedOf(std::int64_t outboxId) {
        const auto rows = db.connection()->query("SELECT link_sealed FROM outbox WHERE id = ?", {outboxId});
        return rows.at(0).at(0).value_or("");
    }
    test::TestDatabase db;
    std::unique_ptr<store::Store> s = db.open();
};

}  // namespace

TEST_F(MailStore, QueuedRowGoesThroughClaimRetryAndSent) {
    const auto id = *s->createCase(queuedCase("0102", "L1"), 1000);
    auto m = s->mailOfCase(id);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->state, "queued");
    const auto claim = s->claimMail(1000, 1100);
    ASSERT_TRUE(claim);
    EXPECT_EQ(claim->caseId, id);
    EXPECT_EQ(claim->attempts, 1);
    EXPECT_FALSE(s->claimMail(1050, 1150)) << "leased to the first claim";
    EXPECT_TRUE(s->finishMail(*claim, {MailOutcome::Kind::Retry, 1200, "smtp: 421"}, 1060));
    EXPECT_EQ(s->mailOfCase(id)->lastError, "smtp: 421");
    EXPECT_EQ(s->mailOfCase(id)->nextAttemptAt, 1200);
    EXPECT_FALSE(s->claimMail(1199, 1300)) << "not due before the backoff";
    const auto second = s->claimMail(1200, 1300);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->attempts, 2);
    EXPECT_FALSE(s->finishMail(*claim, {MailOutcome::Kind::Sent, 0, ""}, 1210)) << "a stale claim records nothing";
    EXPECT_FALSE(sealedOf(second->id).empty());
    EXPECT_TRUE(s->finishMail(*second, {MailOutcome::Kind::Sent, 0, ""}, 1210));
    m = s->mailOfCase(id);
    EXPECT_EQ(m->state, "sent");
    EXPECT_EQ(m->sentAt, 1210);
    EXPECT_EQ(sealedOf(second->id), "") << "no link left after delivery";
    EXPECT_FALSE(s->claimMail(5000, 5100));
}

TEST_F(MailStore, ExpiredLeaseIsClaimedAgainAndFailureWipesTheLink) {
    const auto id = *s->createCase(queuedCase("0102", "L1"), 1000);
    const auto first = s->claimMail(1000, 1100);
    ASSERT_TRUE(first);
    const auto again = s->claimMail(1100, 1200);  // the first sender died
    ASSERT_TRUE(again);
    EXPECT_EQ(again->attempts, 2);
    EXPECT_TRUE(s->finishMail(*again, {MailOutcome::Kind::Failed, 0, "smtp: 550"}, 1110));
    EXPECT_EQ(s->mailOfCase(id)->state, "failed");
    EXPECT_EQ(sealedOf(again->id), "");
}

TEST_F(MailStore, TwoInstancesNeverClaimOneMailTwice) {
    constexpr int kMails = 30, kThreads = 6;
    for (int i = 0; i < kMails; ++i) ASSERT_TRUE(s->createCase(queuedCase("03" + std::to_string(10 + i), "Q" + std::to_string(i)), 1000));
    auto other = db.open();  // a second instance on the same database
    std::mutex mutex;
    std::multiset<std::int64_t> claimed;
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            store::Store& mine = t % 2 ? *other : *s;
            ++ready;
            while (ready.load() < kThreads) std::this_thread::yield();
            while (const auto c = mine.claimMail(1000, 2000)) {
                std::lock_guard lock(mutex);
                claimed.insert(c->id);
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kMails));
    EXPECT_EQ(std::set<std::int64_t>(claimed.begin(), claimed.end()).size(), static_cast<std::size_t>(kMails))
        << "a mail claimed twice";
}

namespace {

// Fails the first `failures` sends (temporary), then accepts.
class ScriptedTransport final : public Transport {
public:
    explicit ScriptedTransport(int failures) : failures_(failures) {}
    Attempt send(const std::string&, const std::string& to, const SecureString& message) override {
        if (failures_-- > 0) return {Attempt::Result::Temporary, "smtp: connection refused"};
        sent.emplace_back(to, std::string(message.data(), message.size()));
        return {Attempt::Result::Sent, ""};
    }
    std::vector<std::pair<std::string, std::string>> sent;

private:
    int failures_;
};

}  // namespace

TEST_F(MailStore, SenderRetriesThenDeliversOnce) {
    ServiceConfig config;
    config.publicUrl = "https://u.example";
    config.mail.transport = MailTransport::Smtp;
    config.mail.smtpUrl = "smtp://127.0.0.1:1";
    config.mail.from = "unblock@issuer.example";
    config.mail.retryMin = 10;
    ManualClock clock(1000);
    std::ostringstream auditOut, log;
    AuditLog audit(auditOut, clock);
    ScriptedTransport transport(2);
    Sender sender(config, *s, softwareKey(), clock, audit, transport, log);
    const auto id = *s->createCase(queuedCase("0102", "L1"), 1000);
    EXPECT_EQ(sender.runOnce(), 1);
    EXPECT_EQ(s->mailOfCase(id)->state, "queued");
    EXPECT_EQ(sender.runOnce(), 0) << "not due yet";
    clock.advance(10);
    EXPECT_EQ(sender.runOnce(), 1);
    clock.advance(20);
    EXPECT_EQ(sender.runOnce(), 1);
    clock.advance(3600);
    EXPECT_EQ(sender.runOnce(), 0);
    ASSERT_EQ(transport.sent.size(), 1u) << "exactly once";
    EXPECT_EQ(transport.sent[0].first, "holder@example.org");
    const std::string& msg = transport.sent[0].second;
    EXPECT_NE(decodeQuotedPrintable(msg).find("https://u.example/h/tok-L1"), std::string::npos);
    EXPECT_NE(msg.find("Subject: Unblocking your token"), std::string::npos) << "the case's language";
    EXPECT_EQ(s->mailOfCase(id)->state, "sent");
    EXPECT_EQ(s->mailOfCase(id)->attempts, 3);
    EXPECT_EQ(log.str().find("tok-L1"), std::string::npos) << "no link in the log";
    EXPECT_EQ(auditOut.str().find("tok-L1"), std::string::npos) << "no link in the audit log";
    EXPECT_NE(auditOut.str().find("sent"), std::string::npos);
}
