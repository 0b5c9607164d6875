// SPDX-License-Identifier: Apache-2.0
#include "ias/apdu/iso_channel.hpp"

#include <algorithm>
#include <string>

#include "ias/apdu/error.hpp"

namespace ias::apdu {

namespace {

constexpr std::uint8_t kInsGetResponse = 0xC0;

std::size_t lengthFromSw2(std::uint8_t sw2) { return sw2 == 0 ? 256 : sw2; }

[[noreturn]] void malformed(const CommandApdu& c, const std::string& what) {
    throw Error(ErrorKind::Malformed, what + " (command " + c.header() + ")");
}

}  // namespace

CommandApdu getResponseCommand(std::uint8_t cla, std::size_t ne) {
    CommandApdu c;
    // Keep only the logical channel bits of an interindustry class.
    c.cla = (cla & 0x80) ? 0x00 : static_cast<std::uint8_t>(cla & 0x03);
    c.ins = kInsGetResponse;
    c.ne = ne;
    return c;
}

IsoChannel::IsoChannel(CardChannel& inner, const IsoChannelOptions& options) : inner_(inner), options_(options) {
    if (options_.maxCommandData == 0 || options_.maxCommandData > CommandApdu::kMaxExtendedLc ||
        options_.maxResponseData == 0 || options_.maxResponseData > CommandApdu::kMaxExtendedNe) {
        throw Error(ErrorKind::Internal, "invalid IsoChannel size limits");
    }
}

ResponseApdu IsoChannel::transmit(const CommandApdu& command) {
    if (command.data.size() <= options_.maxCommandData) return sendFinal(command);
    std::vector<CommandApdu> parts = command.chained(options_.maxCommandData);
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        ResponseApdu r = inner_.transmit(parts[i]);
        if (r.sw.hasMoreData() || r.sw.isWrongLe() || (r.isSuccess() && !r.data.empty())) {
            malformed(parts[i], "unexpected answer " + r.sw.describe() + " to a chained part");
        }
        if (!r.isSuccess()) return r;  // the card refused the chain
    }
    return sendFinal(std::move(parts.back()));
}

ResponseApdu IsoChannel::sendWithLeRetry(CommandApdu& command) {
    ResponseApdu r = inner_.transmit(command);
    if (r.sw.isWrongLe()) {
        const std::size_t le = lengthFromSw2(r.sw.sw2());
        if (le > options_.maxResponseData) malformed(command, "6Cxx asks for more than the maximum response size");
        command.ne = le;
        r = inner_.transmit(command);
        if (r.sw.isWrongLe()) malformed(command, "card repeated 6Cxx");
    }
    // Without Le a card may still answer (up to one APDU's worth); with Le, never more.
    const std::size_t limit = command.ne == 0 ? options_.maxResponseData : command.ne;
    if (r.data.size() > limit) malformed(command, "answer longer than requested");
    return r;
}

ResponseApdu IsoChannel::sendFinal(CommandApdu command) {
    command.ne = std::min(command.ne, options_.maxResponseData);
    ResponseApdu r = sendWithLeRetry(command);
    if (!r.sw.hasMoreData()) return r;

    ResponseApdu out;
    out.data = std::move(r.data);
    unsigned rounds = 0;
    while (r.sw.hasMoreData()) {
        if (++rounds > options_.maxGetResponse) malformed(command, "too many GET RESPONSE rounds");
        CommandApdu get = getResponseCommand(command.cla, std::min(lengthFromSw2(r.sw.sw2()), options_.maxResponseData));
        get.sensitive = command.sensitive;
        r = sendWithLeRetry(get);
        if (out.data.size() + r.data.size() > options_.maxTotalResponse) malformed(get, "response exceeds the size limit");
        out.data.insert(out.data.end(), r.data.begin(), r.data.end());
    }
    out.sw = r.sw;
    return out;
}

}  // namespace ias::apdu
