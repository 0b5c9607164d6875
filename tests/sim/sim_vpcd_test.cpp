// SPDX-License-Identifier: Apache-2.0
// The vpcd front end against a fake vpcd (a local TCP server), fault plans, and the
// redaction of logs and traces.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "ias/sim/vpcd.hpp"
#include "sim_fixture.hpp"

namespace ias::sim::test {

namespace {

class FakeVpcd {
public:
    FakeVpcd() {
        listen_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (listen_ < 0) throw std::system_error(errno, std::generic_category(), "fake vpcd: socket");
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_, 1) != 0 ||
            ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            const int error = errno;
            ::close(listen_);
            throw std::system_error(error, std::generic_category(), "fake vpcd: listen on 127.0.0.1");
        }
        port_ = ntohs(a.sin_port);
    }
    FakeVpcd(const FakeVpcd&) = delete;
    FakeVpcd& operator=(const FakeVpcd&) = delete;
    ~FakeVpcd() {
        if (conn_ >= 0) ::close(conn_);
        ::close(listen_);
    }
    std::uint16_t port() const { return port_; }
    void accept() { conn_ = ::accept(listen_, nullptr, nullptr); }
    void closeConnection() {
        ::close(conn_);
        conn_ = -1;
    }
    void send(const Bytes& payload) {
        Bytes f{static_cast<std::uint8_t>(payload.size() >> 8), static_cast<std::uint8_t>(payload.size())};
        f.insert(f.end(), payload.begin(), payload.end());
        ASSERT_EQ(::send(conn_, f.data(), f.size(), 0), static_cast<ssize_t>(f.size()));
    }
    // Empty when the simulator closed the connection.
    Bytes receive() {
        std::uint8_t len[2];
        if (!readAll(len, 2)) return {};
        Bytes out(static_cast<std::size_t>(len[0] << 8 | len[1]));
        if (!readAll(out.data(), out.size())) return {};
        return out;
    }

private:
    bool readAll(std::uint8_t* p, std::size_t n) {
        std::size_t done = 0;
        while (done < n) {
            const ssize_t r = ::recv(conn_, p + done, n - done, 0);
            if (r <= 0) return false;
            done += static_cast<std::size_t>(r);
        }
        return true;
    }
    int listen_ = -1;
    int conn_ = -1;
    std::uint16_t port_ = 0;
};

std::string readText(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST(SimVpcd, FaultPlanParsing) {
    EXPECT_EQ(FaultPlan::parse("drop-before=3")->kind, FaultPlan::Kind::DropBefore);
    EXPECT_EQ(FaultPlan::parse("drop-after=1")->atApdu, 1u);
    EXPECT_EQ(FaultPlan::parse("sw6f00=12")->kind, FaultPlan::Kind::StatusWord6F00);
    EXPECT_FALSE(FaultPlan::parse("drop-before=0"));
    EXPECT_FALSE(FaultPlan::parse("drop-before=x"));
    EXPECT_FALSE(FaultPlan::parse("explode=1"));
    EXPECT_FALSE(FaultPlan::parse("sw6f00"));
}

TEST(SimVpcd, LogAndTraceNeverShowPins) {
    const Bytes verify = fromHex("002000810434373131");
    const Bytes ok = fromHex("9000");
    EXPECT_EQ(describeExchange(verify, ok), "00 20 00 81 Lc=4 -> 90 00");
    const std::string trace = traceExchange(verify, ok);
    EXPECT_EQ(trace, ">! 00 20 00 81 04 .. .. .. ..\n< 90 00");
    EXPECT_EQ(traceExchange(fromHex("002C02810432353830"), ok).find("32 35"), std::string::npos);
    EXPECT_EQ(traceExchange(fromHex("00B0000002"), fromHex("AABB9000")), "> 00 B0 00 00 02\n< AA BB 90 00");
}

TEST_F(SimCard, VpcdProtocolPowerAtrApduAndFaults) {
    FakeVpcd vpcd;
    const auto dir = std::filesystem::temp_directory_path();
    const auto log = dir / ("ias-sim-vpcd-" + std::to_string(::getpid()) + ".log");
    std::filesystem::remove(log);
    VpcdOptions o;
    o.port = vpcd.port();
    o.apduLog = log.string();
    o.fault = *FaultPlan::parse("sw6f00=2");
    std::atomic<bool> stop{false};
    std::thread server([&] { serveVpcd(*card_, o, stop); });

    vpcd.accept();
    vpcd.send({0x01});                       // power on: no answer
    vpcd.send({0x04});                       // ATR
    EXPECT_EQ(vpcd.receive(), Bytes(kAmosAtr.begin(), kAmosAtr.end()));
    vpcd.send(fromHex("00A4000C023F00"));
    EXPECT_EQ(vpcd.receive(), fromHex("9000"));
    vpcd.send(fromHex("0020008104") + Bytes{'4', '7', '1', '1'});  // APDU 2: the injected fault
    EXPECT_EQ(vpcd.receive(), fromHex("6F00"));
    vpcd.send(fromHex("00A4040C0EE828BD080FD25047656E65726963"));
    EXPECT_EQ(vpcd.receive(), fromHex("9000"));
    vpcd.send(fromHex("0020008104") + Bytes{'4', '7', '1', '1'});
    EXPECT_EQ(vpcd.receive(), fromHex("9000"));
    vpcd.send({0x02});                       // reset: security state gone
    vpcd.send(fromHex("00200081"));
    EXPECT_EQ(vpcd.receive(), fromHex("63C3"));

    // The simulator reconnects after the connection drops.
    vpcd.closeConnection();
    vpcd.accept();
    vpcd.send({0x04});
    EXPECT_EQ(vpcd.receive().size(), kAmosAtr.size());
    stop = true;
    server.join();

    const std::string text = readText(log);
    EXPECT_NE(text.find("00 20 00 81 Lc=4 -> 90 00"), std::string::npos);
    EXPECT_EQ(text.find("34 37 31 31"), std::string::npos);
    EXPECT_EQ(text.find("4711"), std::string::npos);
    std::filesystem::remove(log);
}

TEST_F(SimCard, VpcdDropAfterExecutesThenPullsTheCard) {
    FakeVpcd vpcd;
    VpcdOptions o;
    o.port = vpcd.port();
    o.fault = *FaultPlan::parse("drop-after=2");
    std::atomic<bool> stop{false};
    std::thread server([&] { serveVpcd(*card_, o, stop); });
    vpcd.accept();
    vpcd.send({0x01});
    vpcd.send(fromHex("00A4040C0EE828BD080FD25047656E65726963"));
    EXPECT_EQ(vpcd.receive(), fromHex("9000"));
    vpcd.send(fromHex("0020008104") + Bytes{'0', '0', '0', '0'});
    EXPECT_TRUE(vpcd.receive().empty());     // no answer, connection closed
    vpcd.closeConnection();
    vpcd.accept();                           // put back (after 2 s out of the reader)
    stop = true;
    server.join();
    // Read after the join: the socket close is no happens-before edge for TSan.
    EXPECT_EQ(saves_, 1);                    // but the wrong PIN was counted and persisted
    EXPECT_EQ(saved_.findPin(1)->triesLeft, 2);
}

}  // namespace ias::sim::test
