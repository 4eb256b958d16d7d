// The condition builder's model: a JSON Logic rule as rows of (field, operator, value) in
// AND/OR groups, and back. A row's field may also be a value looked up in a table ("the
// status of row {trigger.data.id} of quotes"), and its value another field or a table value,
// so wait correlations ("event.data.quote_id is trigger.data.id") and thresholds kept in
// tables are rows too. cond_from_json() accepts only what cond_to_json() gives back
// unchanged, so a rule round-trips exactly; anything else (other operators, computed
// fields, defaults) returns nullopt and the inspector shows the raw JSON editor instead.
// Used by the inspector; pure functions, no UI.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shopflow/json.hpp"

namespace shopflow::studio {

// One part of a table lookup's address: a field's value (its path), with text joined after it
// when the table's keys are made so ({"cat": [{"var": "event.data.order.id"}, ":missing-email"]}),
// or a fixed key (as value_to_text writes it: default, 42).
struct LookupKey {
  bool is_field = false;
  std::string text;
  std::string suffix;  // a field's key only: the text after the field's value
};

// {"lookup": [table, row key, column...]}: the row of `table` whose key is keys[0], or that
// row's column keys[1] (and so on, for nested values).
struct Lookup {
  std::string table;
  std::vector<LookupKey> keys;
};

// What a row is about: a field, a table value, the number of items in a field's list, the
// current time, or a named rule of the bundle (which is true or false by itself).
enum class Subject { Field, Table, Count, Now, Rule };

// What a row compares with.
enum class Side { Value, Field, Table };

struct CondNode {
  bool is_group = false;
  bool any = false;                // group: true = OR, false = AND
  std::vector<CondNode> children;  // group
  Subject subject = Subject::Field;
  std::string field;               // row: the var path, e.g. "event.data.total" (Field, Count); the rule's name (Rule)
  Lookup field_table;
  std::string op;                  // row: one of row_operators()
  Side side = Side::Value;
  std::string value;               // row: the value as text (see value_from_text), or a var path
  Lookup value_table;              // row: the value, when side is Table
  bool bare = false;               // a one-argument operator written without its list: {"!": {...}}
};

struct RowOperator {
  const char* label;  // shown in the combo
  const char* op;     // JSON Logic operator; "var": the field itself; "!x": {"!": {"x": ...}};
                      // "rule": the named rule
  bool unary;         // takes no value
  bool field_second;  // the var is the second argument ("contains": {"in": [value, var]})
};

// The operators a row can have, named in words ("is greater than" for >, "is one of" for in,
// "contains", "is set", "is true", "is not one of"), and the commerce operators of the core
// that compare a field with a value (amounts, instants, tags, text), when the core has them,
// with their negations ("does not have the tag").
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

// `lookup` as its rule, {"lookup": [table, key...]}.
Json lookup_to_json(const Lookup& lookup);

// A wait's time in words: the time a field holds, plus an optional ISO 8601 duration.
struct UntilTime {
  std::string field;   // var path, e.g. "vars.remind_at"
  std::string offset;  // "" or a duration such as "P1DT8H"
};

// {"var": f} or {"time_add": [{"var": f}, "P1D"]} as an UntilTime; nullopt for other rules.
std::optional<UntilTime> until_from_json(const Json& rule);
Json until_to_json(const UntilTime& until);

// The JSON Pointers of the conditions in `bundle` (trigger filters, if, case whens, wait
// matches and wait times) that the builder cannot show, so the inspector shows them as JSON.
std::vector<std::string> conditions_in_json(const Json& bundle);

// The row operator named `label`, or null.
const RowOperator* find_operator(const std::string& label);

}  // namespace shopflow::studio
