// SPDX-License-Identifier: Apache-2.0
// sim_fuzz: ias::sim::Card::process on arbitrary C-APDU sequences against a freshly
// personalised card (sim_card.hpp; a pristine copy per input, persist does nothing).
// Input: items [len u8][len bytes of C-APDU]; len 0 resets the card (warm reset).
// Card::process must never throw; properties:
//  * every answer is data || SW1 SW2, and outside secure messaging carries at most Ne bytes
//    (none without Le);
//  * never 6581: the simulator answers 6581 only when a handler threw unexpectedly
//    (persisting cannot fail here).
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "ias/apdu/error.hpp"
#include "ias/sim/card.hpp"
#include "sim_card.hpp"

using namespace ias;
using ias::fuzz::fail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    sim::Card card(fuzz::pristineCard(), [](const sim::CardState&) {});
    card.powerOn();
    fuzz::Input in(data, size);
    for (unsigned n = 0; n < 64 && !in.empty(); ++n) {
        const std::size_t len = in.u8();
        if (len == 0) {
            card.reset();
            continue;
        }
        const apdu::ByteView capdu = in.bytes(len);
        const apdu::Bytes rapdu = card.process(capdu);
        if (rapdu.size() < 2) fail("R-APDU without SW1 SW2");
        const std::uint16_t sw = static_cast<std::uint16_t>(rapdu[rapdu.size() - 2] << 8 | rapdu.back());
        if (sw == 0x6581) fail("6581: a command handler threw");
        try {
            const apdu::CommandApdu c = apdu::CommandApdu::parse(capdu);
            const std::size_t dataLen = rapdu.size() - 2;
            if ((c.cla & 0x0C) == 0 && dataLen > c.ne) fail("more data than Ne outside secure messaging");
        } catch (const apdu::Error&) {
            if (rapdu.size() != 2) fail("data in the answer to an unparsable command");
        }
    }
    return 0;
}
