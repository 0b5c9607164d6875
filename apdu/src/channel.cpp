// SPDX-License-Identifier: Apache-2.0
#include "ias/apdu/channel.hpp"

namespace ias::apdu {

CardChannel::~CardChannel() = default;

}  // namespace ias::apdu
