// Small helpers shared by the subcommands: reading input files (or stdin for "-") and
// printing errors the same way everywhere.
#pragma once

#include <optional>
#include <string>

namespace shopflow::cli {

// Reads the whole file at `path`, or standard input when path is "-". On failure prints
// "shopflow: cannot read PATH: reason" to stderr and returns nullopt.
std::optional<std::string> read_input(const std::string& path);

// True when `arg` is -h or --help.
bool is_help(const char* arg);

}  // namespace shopflow::cli
