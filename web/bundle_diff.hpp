// What an edit changes between two versions of a bundle, in words, step by step: the Runner
// panel shows it between the version a runner has deployed and the edited bundle, before a
// backtest and before a deploy ("remind-abandoned-checkout, step wait-order (wait): timeout
// 4 hours -> 2 hours"). Pure functions over the bundle documents, no UI.
#pragma once

#include <string>
#include <vector>

#include "shopflow/json.hpp"

namespace shopflow::studio {

// One line per difference, in the bundle's order: workflows added or removed; for a workflow in
// both (by id), its trigger and name, steps added, removed or moved, and each changed field of a
// step (conditions as text, durations in words, other values in short JSON); then templates,
// tables and tests by name, and the bundle's other settings. Sample events are not compared (the
// runner does not use them). Empty when the two behave alike in every part compared.
std::vector<std::string> bundle_diff(const Json& before, const Json& after);

}  // namespace shopflow::studio
