// SPDX-License-Identifier: Apache-2.0
#include "ias/sim/vpcd.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "ias/apdu/command.hpp"

namespace ias::sim {

namespace {

constexpr std::uint8_t kPowerOff = 0x00;
constexpr std::uint8_t kPowerOn = 0x01;
constexpr std::uint8_t kReset = 0x02;
constexpr std::uint8_t kGetAtr = 0x04;
constexpr int kPollMs = 200;
constexpr int kPulledOutMs = 2000;  // how long a card pulled by a fault stays out

class Socket {
public:
    explicit Socket(int fd = -1) : fd_(fd) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    int fd() const { return fd_; }

private:
    int fd_;
};

int connectTo(const VpcdOptions& o) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(o.port);
    if (::getaddrinfo(o.host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
    int fd = -1;
    for (addrinfo* a = res; a; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        ::close(fd);
        fd = -1;
    }
    ::freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

enum class ReadResult { Ok, Closed, Stopped };

// Reads exactly n bytes, waking up regularly to look at `stop`.
ReadResult readExactly(int fd, std::uint8_t* buf, std::size_t n, const std::atomic<bool>& stop) {
    std::size_t done = 0;
    while (done < n) {
        if (stop) return ReadResult::Stopped;
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, kPollMs);
        if (r < 0 && errno != EINTR) return ReadResult::Closed;
        if (r <= 0) continue;
        const ssize_t got = ::recv(fd, buf + done, n - done, 0);
        // vpcd writes the length and the payload separately: acknowledge at once, or Nagle on
        // its side and delayed ACKs on ours cost ~40 ms per message.
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        if (got == 0) return ReadResult::Closed;
        if (got < 0) {
            if (errno == EINTR) continue;
            return ReadResult::Closed;
        }
        done += static_cast<std::size_t>(got);
    }
    return ReadResult::Ok;
}

bool sendFrame(int fd, apdu::ByteView payload) {
    apdu::Bytes frame{static_cast<std::uint8_t>(payload.size() >> 8), static_cast<std::uint8_t>(payload.size())};
    frame.insert(frame.end(), payload.begin(), payload.end());
    std::size_t done = 0;
    while (done < frame.size()) {
        const ssize_t n = ::send(fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool isSensitive(apdu::ByteView c) {
    if (c.size() < 2) return false;
    if ((c[0] & 0x0C) != 0) return true;  // secure messaging: never trace its content
    switch (c[1]) {
        case 0x20:  // VERIFY
        case 0x24:  // CHANGE REFERENCE DATA
        case 0x2C:  // RESET RETRY COUNTER
        case 0x82:  // EXTERNAL / MUTUAL AUTHENTICATE
            return true;
        default:
            return false;
    }
}

std::string hexBytes(apdu::ByteView v) { return apdu::toHex(v, ' '); }

void appendLine(const std::string& path, const std::string& line) {
    if (path.empty()) return;
    std::ofstream out(path, std::ios::app);
    out << line << '\n';
}

}  // namespace

std::optional<FaultPlan> FaultPlan::parse(const std::string& spec) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos) return std::nullopt;
    const std::string name = spec.substr(0, eq);
    FaultPlan f;
    if (name == "drop-before") f.kind = Kind::DropBefore;
    else if (name == "drop-after") f.kind = Kind::DropAfter;
    else if (name == "sw6f00") f.kind = Kind::StatusWord6F00;
    else return std::nullopt;
    try {
        std::size_t used = 0;
        const unsigned long n = std::stoul(spec.substr(eq + 1), &used);
        if (used != spec.size() - eq - 1 || n == 0 || n > 1000000) return std::nullopt;
        f.atApdu = static_cast<unsigned>(n);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    return f;
}

std::string describeExchange(apdu::ByteView c, apdu::ByteView r) {
    std::string line;
    try {
        const apdu::CommandApdu cmd = apdu::CommandApdu::parse(c);
        line = cmd.header();
        if (!cmd.data.empty()) line += " Lc=" + std::to_string(cmd.data.size());
        if (cmd.ne != 0) line += " Le=" + std::to_string(cmd.ne);
    } catch (const std::exception&) {
        line = "malformed command of " + std::to_string(c.size()) + " bytes";
    }
    if (r.size() >= 2) {
        line += " -> " + hexBytes(r.subspan(r.size() - 2));
        if (r.size() > 2) line += " (" + std::to_string(r.size() - 2) + " bytes)";
    }
    return line;
}

std::string traceExchange(apdu::ByteView c, apdu::ByteView r) {
    std::string out;
    if (isSensitive(c) && c.size() > 5) {
        out = ">! " + hexBytes(c.first(5));
        const std::size_t lc = c[4];
        for (std::size_t i = 5; i < c.size(); ++i) out += (i < 5 + lc) ? " .." : " " + hexBytes(c.subspan(i, 1));
    } else {
        out = "> " + hexBytes(c);
    }
    // Responses of SM commands and of MUTUAL AUTHENTICATE carry session material: SW only.
    if (isSensitive(c) && r.size() > 2) {
        out += "\n# " + std::to_string(r.size() - 2) + " response bytes not traced\n< " + hexBytes(r.subspan(r.size() - 2));
    } else {
        out += "\n< " + hexBytes(r);
    }
    return out;
}

int serveVpcd(Card& card, const VpcdOptions& o, const std::atomic<bool>& stop) {
    unsigned apduCount = 0;
    bool faultDone = false;
    bool announcedWait = false;
    bool pulled = false;
    while (!stop) {
        Socket sock(connectTo(o));
        if (sock.fd() < 0) {
            if (!announcedWait) {
                std::cerr << "ias-card-sim: waiting for vpcd on " << o.host << ":" << o.port << "\n";
                announcedWait = true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
            continue;
        }
        announcedWait = false;
        std::cerr << "ias-card-sim: connected to vpcd on " << o.host << ":" << o.port << "\n";
        card.powerOff();
        for (;;) {
            std::uint8_t len[2];
            ReadResult rr = readExactly(sock.fd(), len, 2, stop);
            if (rr != ReadResult::Ok) break;
            const std::size_t n = static_cast<std::size_t>(len[0] << 8 | len[1]);
            apdu::Bytes payload(n);
            if (n > 0 && readExactly(sock.fd(), payload.data(), n, stop) != ReadResult::Ok) break;
            if (n == 1) {
                switch (payload[0]) {
                    case kPowerOff: card.powerOff(); break;
                    case kPowerOn: card.powerOn(); break;
                    case kReset: card.reset(); break;
                    case kGetAtr: {
                        const auto atr = card.atr();
                        if (!sendFrame(sock.fd(), atr)) rr = ReadResult::Closed;
                        break;
                    }
                    default: break;
                }
                if (rr != ReadResult::Ok) break;
                continue;
            }
            ++apduCount;
            const bool faultNow = !faultDone && o.fault.kind != FaultPlan::Kind::None && apduCount == o.fault.atApdu;
            if (faultNow) faultDone = true;
            if (faultNow && o.fault.kind == FaultPlan::Kind::DropBefore) {
                std::cerr << "ias-card-sim: fault: card pulled before APDU " << apduCount << "\n";
                pulled = true;
                break;
            }
            if (o.latencyMs) std::this_thread::sleep_for(std::chrono::milliseconds(o.latencyMs));
            apdu::Bytes response;
            if (faultNow && o.fault.kind == FaultPlan::Kind::StatusWord6F00) {
                response = {0x6F, 0x00};
            } else {
                response = card.process(payload);
            }
            appendLine(o.apduLog, describeExchange(payload, response));
            appendLine(o.apduTrace, traceExchange(payload, response));
            if (faultNow && o.fault.kind == FaultPlan::Kind::DropAfter) {
                std::cerr << "ias-card-sim: fault: card pulled after APDU " << apduCount << "\n";
                pulled = true;
                break;
            }
            if (!sendFrame(sock.fd(), response)) break;
        }
        card.powerOff();
        if (!stop) std::cerr << "ias-card-sim: connection to vpcd closed\n";
        if (pulled) {
            // A pulled card stays out long enough for pcscd (polling every 400 ms) and the
            // host to see the removal, then is put back.
            for (int waited = 0; waited < kPulledOutMs && !stop; waited += kPollMs) {
                std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
            }
            pulled = false;
        }
    }
    return 0;
}

}  // namespace ias::sim
