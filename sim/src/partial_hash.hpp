// SPDX-License-Identifier: Apache-2.0
// Finishing a SHA-1 / SHA-256 computation from an intermediate state sent by the host
// (PSO HASH, IAS-ECC-reference §7.2): H_intermediate || bit count (8 bytes, big endian) after
// all complete 64-byte blocks, plus the remaining 0..63 message bytes.
#pragma once

#include <optional>

#include "ias/apdu/bytes.hpp"

namespace ias::sim::detail {

enum class HashKind { Sha1, Sha256 };

std::size_t hashSize(HashKind kind);
// Hash of a whole message.
apdu::Bytes hashMessage(HashKind kind, apdu::ByteView message);
// nullopt when the state/bit count is malformed (wrong size, not a multiple of 512 bits).
std::optional<apdu::Bytes> finishHash(HashKind kind, apdu::ByteView stateAndBitCount, apdu::ByteView remainder);

}  // namespace ias::sim::detail
