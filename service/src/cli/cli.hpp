// SPDX-License-Identifier: Apache-2.0
// Sub-commands of ias-unblockd. Each returns the process exit status; errors are thrown.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace ias::service::cli {

std::string usage();
int serve(std::vector<std::string> args);
int hsmInit(std::vector<std::string> args);
int admin(std::vector<std::string> args);
int staffCommand(std::vector<std::string> args);

// Removes "--name value" from args; returns value or `fallback`.
std::string takeOption(std::vector<std::string>& args, const std::string& name, const std::string& fallback = "");
// --config FILE and repeated --set key=value.
ServiceConfig configFrom(std::vector<std::string>& args);

}  // namespace ias::service::cli
