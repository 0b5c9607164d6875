// SPDX-License-Identifier: Apache-2.0
// ISO 7816-4 / IAS-ECC instruction bytes (INS), shared by the card layer and the simulator.
#pragma once

#include <cstdint>

namespace ias::apdu::ins {

inline constexpr std::uint8_t kSelect = 0xA4;
inline constexpr std::uint8_t kReadBinary = 0xB0;
inline constexpr std::uint8_t kGetData = 0xCB;
inline constexpr std::uint8_t kVerify = 0x20;
inline constexpr std::uint8_t kChangeReferenceData = 0x24;
inline constexpr std::uint8_t kResetRetryCounter = 0x2C;
inline constexpr std::uint8_t kManageSecurityEnvironment = 0x22;
inline constexpr std::uint8_t kInternalAuthenticate = 0x88;
inline constexpr std::uint8_t kPerformSecurityOperation = 0x2A;
inline constexpr std::uint8_t kGetChallenge = 0x84;
inline constexpr std::uint8_t kExternalAuthenticate = 0x82;  // also MUTUAL AUTHENTICATE
inline constexpr std::uint8_t kGetResponse = 0xC0;

}  // namespace ias::apdu::ins
