// SPDX-License-Identifier: Apache-2.0
// A fake PC/SC layer for the p11_api target: the SCard* functions the module calls
// (apdu/src/pcsc.cpp) are defined in fake_pcsc.cpp, inside the fuzz executable, so the
// module under test talks to one in-process reader holding the simulated card (sim_card.hpp)
// instead of pcscd. The fuzz input drives faults through this interface: the next answer
// replaced by given bytes, the card pulled (and put back), a reset by another application.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ias::fuzz::pcsc {

inline constexpr const char* kReaderName = "Fuzz Reader 00 00";
inline constexpr const char* kEmptyReaderName = "Fuzz Empty Reader 01 00";

// Starts a world for one input: a pristine personalised card in the reader (powered on),
// optionally a second, empty reader. No contexts or handles are open.
void begin(bool secondReader);
// Ends it: fails (fuzz::fail) if the module left a context or card handle open.
void end();

// Faults, taking effect on the next SCardTransmit / call on an open handle.
void replaceNextAnswer(std::vector<std::uint8_t> answer);  // the card still executes the command
void removeCard();   // handles see SCARD_W_REMOVED_CARD; the card keeps its persistent state
void insertCard();   // same card back (powered on again); new handles work
void resetCard();    // open handles see SCARD_W_RESET_CARD once; card security state lost

// True once any answer was forged by replaceNextAnswer in this world: from then on the
// module may legitimately believe what a genuine card would never say.
bool answersForged();
// Commands the card executed in this world (for sanity checks).
std::size_t commandCount();

}  // namespace ias::fuzz::pcsc
