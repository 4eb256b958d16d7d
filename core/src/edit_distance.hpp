// The edit distance between two names, for the "did you mean ...?" of the checker's messages
// (operators, rules, tables, partials, fields, time zones). Private to the core.
#pragma once

#include <cstddef>
#include <string_view>

namespace shopflow {

// Levenshtein distance: the fewest single-byte insertions, deletions and substitutions that
// turn `a` into `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace shopflow
