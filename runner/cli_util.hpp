// Small helpers shared by the subcommands: reading input files (or stdin for "-") and
// printing errors the same way everywhere.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shopflow/bundle.hpp"

namespace shopflow::cli {

// Reads and checks the bundle at `path` ("-" for stdin). When it cannot be read or is not
// JSON, prints "PATH:LINE:COLUMN: reason" to stderr and returns nullopt (exit status 2).
// Problems are the caller's to print: validate lists them, the others refuse to run.
std::optional<BundleCheck> read_bundle(const std::string& path);

// read_bundle() for a command that uses a bundle's parts (eval, render --bundle): a bundle with
// problems is refused, its problems printed to stderr after "shopflow COMMAND: ".
std::optional<BundleCheck> read_usable_bundle(const std::string& path, const char* command);

// Table lookups and rows for rules tried outside a run, answered from the rows the bundle
// declares (what a fresh store starts with). `bundle` must outlive `options`.
void use_bundle_tables(const Bundle& bundle, logic::EvalOptions* options);
// The same from tables given (a run's tables as a step found them); `options` keeps them.
void use_tables(std::vector<TableDef> tables, logic::EvalOptions* options);

// Reads the whole file at `path`, or standard input when path is "-". On failure prints
// "shopflow: cannot read PATH: reason" to stderr and returns nullopt.
std::optional<std::string> read_input(const std::string& path);

// True when `arg` is -h or --help.
bool is_help(const char* arg);

}  // namespace shopflow::cli
