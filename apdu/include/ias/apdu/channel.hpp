// SPDX-License-Identifier: Apache-2.0
// CardChannel: the single abstraction of the transmit path. Every stage (PC/SC transport,
// ISO GET RESPONSE / chaining, tracing, secure messaging, replay fake card) implements it,
// and decorators wrap another CardChannel:
//
//   SecureMessagingChannel -> IsoChannel -> TracingChannel -> PcscChannel / ReplayChannel
//
// (outermost first). A channel transmits one logical command and returns one response; it
// holds no lock of its own: callers serialise access to a card (one PC/SC transaction per
// operation, see pcsc.hpp).
#pragma once

#include "ias/apdu/command.hpp"
#include "ias/apdu/response.hpp"

namespace ias::apdu {

class CardChannel {
public:
    CardChannel() = default;
    CardChannel(const CardChannel&) = delete;
    CardChannel& operator=(const CardChannel&) = delete;
    virtual ~CardChannel();

    // Sends `command`, returns the card's answer. Throws Error (Transport, CardReset,
    // CardRemoved, Malformed, SecureMessaging, ...) when no answer can be produced; a
    // card-level failure is a normal ResponseApdu with a non-9000 status word.
    virtual ResponseApdu transmit(const CommandApdu& command) = 0;
};

}  // namespace ias::apdu
