// A decision's "why" as a sentence, made from the verdict tree the simulator records for each
// if, switch and trigger filter ({"op", "args", "result", "children"}, {"var", "result"},
// {"value"}): "Took then because email is not set", "Took else because total_price (129.00)
// is not an amount greater than 1000.00 and orders_count (0) is not 0". The Simulator's and
// the Tests panel's run traces show it beside the tree. Pure functions, no UI.
#pragma once

#include <string>

#include "shopflow/json.hpp"

namespace shopflow::studio {

// Why the verdict tree `tree` came out as it did, in words: the clauses that decided it (for
// "and" that was false only the false ones, for "or" that was true only the true ones), each
// as "<field> (<its value>) <operator in words> <value>", negated where the clause was false.
// Operators without words read as "<op>(...) gave <result>". "" when the tree is not one.
std::string why_clauses(const Json& tree);

// The whole sentence for a trace step: its outcome (from `kind`, "if" / "switch" / the
// trigger's filter, and `verdict`), then "because" and why_clauses(). "" without a tree.
std::string why_sentence(const std::string& kind, const std::string& path, const Json& verdict, const Json& tree);

}  // namespace shopflow::studio
