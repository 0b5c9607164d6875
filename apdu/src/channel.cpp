#include "ias/apdu/channel.hpp"

namespace ias::apdu {

CardChannel::~CardChannel() = default;

}  // namespace ias::apdu
