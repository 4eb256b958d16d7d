// Conditions and computed values: JSON Logic (jsonlogic.com) plus commerce operators.
//
// A rule is plain JSON. compile() checks it once (unknown operators, wrong arity) and builds
// a compiled form; evaluate() runs that form against data as often as needed. explain()
// also returns the verdict tree, so a user can see which clause decided, on what values.
// Used by the engine (workflow filters, if/switch steps, set steps), `shopflow eval` and the
// studio's condition builder.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow::logic {

// Answers the table-lookup operator: the row of `table` at `key`, or nullopt when absent.
using TableLookup = std::function<std::optional<Json>(const std::string& table, const Json& key)>;

struct EvalOptions {
  TableLookup table_lookup;       // unset: the lookup operator yields null
  size_t max_steps = 1'000'000;   // operator applications before evaluation stops with an error
  size_t max_depth = 128;         // nesting of the rule
};

struct Node;  // compiled form, private to condition.cpp

class Condition {
 public:
  Condition() = default;

  // Compiles `rule`. Fails with the JSON Pointer (relative to `pointer_base`) of the first
  // unknown operator or wrong argument count, and a sentence saying what is accepted.
  static Result<Condition> compile(const Json& rule, const std::string& pointer_base = "");

  // Evaluates against `data`. Fails with a clear message on a type error, a `throw`
  // that is not caught, or a limit reached.
  Result<Json> evaluate(const Json& data, const EvalOptions& options = {}) const;

  // Like evaluate(), and fills `*tree` with the verdict tree:
  //   {"op": "<", "args": [<values seen>], "result": <value>, "children": [...]}
  // (literals and var reads appear as {"var": "path", "result": value} / {"value": v}).
  Result<Json> explain(const Json& data, Json* tree, const EvalOptions& options = {}) const;

  const Json& source() const { return source_; }

 private:
  std::shared_ptr<const Node> root_;
  Json source_;
};

// JSON Logic truthiness: false, null, 0, "", [] are false; everything else true.
bool truthy(const Json& value);

// The names of all operators compile() accepts, for the studio and for documentation.
std::vector<std::string> operator_names();

}  // namespace shopflow::logic
