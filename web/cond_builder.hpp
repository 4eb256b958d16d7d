// The condition builder's model: a JSON Logic rule as rows of (field, operator, value) in
// AND/OR groups, and back. cond_from_json() accepts only what cond_to_json() gives back
// unchanged, so a rule round-trips exactly; anything else (other operators, computed
// fields, defaults) returns nullopt and the inspector shows the raw JSON editor instead.
// Used by the inspector; pure functions, no UI.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shopflow/json.hpp"

namespace shopflow::studio {

struct CondNode {
  bool is_group = false;
  bool any = false;                // group: true = OR, false = AND
  std::vector<CondNode> children;  // group
  std::string field;               // row: the var path, e.g. "event.data.total"
  std::string op;                  // row: one of row_operators()
  std::string value;               // row: the value as text (see value_from_text)
};

struct RowOperator {
  const char* label;  // shown in the combo
  const char* op;     // JSON Logic operator
  bool unary;         // takes no value
  bool field_second;  // the var is the second argument ("contains": {"in": [value, var]})
};

// The operators a row can have, named in words ("is greater than" for >, "is one of" for in,
// "contains", "is set"), and the commerce operators of the core that compare a field with a
// value (amounts, instants, tags, text), when the core has them.
const std::vector<RowOperator>& row_operators();

// The builder form of `rule`, or nullopt when it has parts a row cannot hold.
std::optional<CondNode> cond_from_json(const Json& rule);

// The rule for `node`. A group with one child is still written as a group.
Json cond_to_json(const CondNode& node);

// A row's value text as JSON: valid JSON text is that value (10, true, "x", [1,2]); anything
// else is the text as a string (so `vip` means "vip").
Json value_from_text(const std::string& text);

// The text that value_from_text() turns back into `v`.
std::string value_to_text(const Json& v);

}  // namespace shopflow::studio
