// SPDX-License-Identifier: Apache-2.0
// Non-interactive input: the new PIN, the secret or the answers from a file or a file
// descriptor, read straight into wiping buffers (no iostream copies).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ias/apdu/bytes.hpp"

namespace ias::tools {

// Every line of the file/descriptor (line ends "\n" or "\r\n" removed; a final empty line
// after the last line end is not a line). nullopt when it cannot be read or exceeds 64 KiB.
std::optional<std::vector<apdu::SecureBytes>> readSecretLinesFromFd(int fd);
std::optional<std::vector<apdu::SecureBytes>> readSecretLinesFromFile(const std::string& path);

// The first line only (for the PIN and the secret).
std::optional<apdu::SecureBytes> readFirstLine(std::optional<std::vector<apdu::SecureBytes>> lines);

}  // namespace ias::tools
