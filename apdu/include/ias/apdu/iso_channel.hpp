// SPDX-License-Identifier: Apache-2.0
// IsoChannel: the ISO 7816-4 transmission rules on top of a raw channel (IAS-ECC-reference
// §7.4, §7.5):
//  * data longer than maxCommandData is split into command chaining (CLA | 0x10 on all
//    but the last part); intermediate parts must be answered 9000 (any other error status
//    ends the chain and is returned as the answer);
//  * Ne is capped at maxResponseData per APDU (256 = short Le 00);
//  * 61xx is followed with GET RESPONSE (00 C0 00 00 xx), data accumulated, bounded by
//    maxTotalResponse and maxGetResponse rounds;
//  * 6Cxx makes the command (or GET RESPONSE) be re-sent once with Le = xx.
// Anything inconsistent (repeated 6Cxx, answer longer than asked, 61xx in the middle of a
// chain, too much data, too many rounds) throws Error(Malformed): no loop is unbounded.
#pragma once

#include <cstddef>

#include "ias/apdu/channel.hpp"

namespace ias::apdu {

struct IsoChannelOptions {
    // Most data bytes in one APDU; more means command chaining. Above 255 the APDU is
    // sent in extended form (only if the card and reader support it).
    std::size_t maxCommandData = CommandApdu::kMaxShortLc;
    // Largest Ne in one APDU; above 256 the APDU is sent in extended form.
    std::size_t maxResponseData = CommandApdu::kMaxShortNe;
    // Bound on the data of one logical response (all GET RESPONSE parts together).
    std::size_t maxTotalResponse = 65536;
    // Bound on the GET RESPONSE rounds for one command.
    unsigned maxGetResponse = 512;
};

class IsoChannel : public CardChannel {
public:
    // `inner` must outlive this object.
    explicit IsoChannel(CardChannel& inner, const IsoChannelOptions& options = {});

    ResponseApdu transmit(const CommandApdu& command) override;

    const IsoChannelOptions& options() const { return options_; }

private:
    ResponseApdu sendFinal(CommandApdu command);
    ResponseApdu sendWithLeRetry(CommandApdu& command);

    CardChannel& inner_;
    IsoChannelOptions options_;
};

// GET RESPONSE for `ne` bytes (00 = 256) on the logical channel of `cla`.
CommandApdu getResponseCommand(std::uint8_t cla, std::size_t ne);

}  // namespace ias::apdu
