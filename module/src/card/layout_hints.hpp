// SPDX-License-Identifier: Apache-2.0
// Layout hints: card families whose ATR names, on published evidence, the application that
// holds the token, so that a first contact can SELECT it at once instead of discovering it
// (EF.DIR probes). A hint is only a first guess the card verifies: the SELECT fails on a card
// without that application and the module then discovers the card as it would without it
// (docs/cards.md). Data only: one row per family, with its source.
#pragma once

#include <optional>

#include "ias/apdu/bytes.hpp"

namespace ias::card {

struct LayoutHint {
    const char* family;
    const char* atr;          // hex
    const char* atrMask;      // hex, same length: the bytes that must match
    const char* application;  // hex AID of the token's application (the only one EF.DIR lists
                              // whose keys are usable over the contact interface)
    const char* source;
};

// The hint whose ATR (under its mask) is `atr`, if any.
std::optional<LayoutHint> layoutHintFor(apdu::ByteView atr);

}  // namespace ias::card
