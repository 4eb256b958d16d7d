// Conditions and computed values: JSON Logic (jsonlogic.com) plus commerce operators.
//
// A rule is plain JSON. compile() checks it once (unknown operators, wrong arity) and builds
// a compiled form; evaluate() runs that form against data as often as needed. explain()
// also returns the verdict tree, so a user can see which clause decided, on what values.
// Used by the engine (workflow filters, if/switch steps, set steps), `shopflow eval` and the
// studio's condition builder. Operators and their semantics: workflows/CONDITIONS.md.
//
// Nothing here throws. A compiled Condition is immutable and cheap to copy (the compiled
// form is shared), so one may be evaluated from several threads at once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow::logic {

// Answers the table-lookup operator: the row of `table` at `key`, or nullopt when absent.
using TableLookup = std::function<std::optional<Json>(const std::string& table, const Json& key)>;

// Answers the table-rows operator: every row of `table` in key order, or nullopt for no such table.
using TableRows = std::function<std::optional<Json>(const std::string& table)>;

// Receives what the `log` operator logs (the operator itself returns its argument).
using LogSink = std::function<void(const Json& value)>;

struct EvalOptions {
  TableLookup table_lookup;       // unset: the lookup operator yields null
  TableRows table_rows;           // unset: the rows operator yields []
  size_t max_steps = 1'000'000;   // operator applications before evaluation stops with an error
  size_t max_depth = 128;         // nesting of the rule
  size_t max_size = 1'000'000;    // elements of an array / bytes of a string an operator may build
  LogSink log;                    // unset: `log` only passes its value through
  // Names that the data's top level answers with another of its members when it has no member
  // of that name itself: {"trigger", "event"} makes {"var": "trigger.id"} read event.id where
  // the data has no "trigger" (the engine's event runs, whose trigger is their event).
  std::vector<std::pair<std::string, std::string>> root_aliases;
};

// Rules a bundle gives names to ("rules": {"risky": {...}}), used as {"rule": "risky"}.
using NamedRules = std::map<std::string, Json>;

struct CompileOptions {
  // Where {"rule": name} finds its rule; unset: the rule operator is an error.
  const NamedRules* rules = nullptr;
};

struct Node;  // compiled form, private to condition.cpp and logic_*.cpp

class Condition {
 public:
  Condition() = default;

  // Compiles `rule`. Fails with the JSON Pointer (relative to `pointer_base`) of the first
  // unknown operator or wrong argument count, and a sentence saying what is accepted.
  static Result<Condition> compile(const Json& rule, const std::string& pointer_base = "");

  // Like compile(); on failure also sets *error_value (when not null) to the JSON Logic
  // error object: {"type": "Invalid Arguments"} for a wrong argument count or shape,
  // {"type": "Unknown Operator"} for an unknown operator or a malformed rule object.
  static Result<Condition> compile(const Json& rule, const std::string& pointer_base, Json* error_value);

  // Like compile(), with named rules: {"rule": "risky"} compiles the rule named risky in its
  // place, shown by explain() as a node {"op": "rule", "rule": "risky", ...} whose child is that
  // rule's tree. Fails on an unknown name (with the nearest one) and on rules that use each
  // other in a cycle (naming the cycle).
  static Result<Condition> compile(const Json& rule, const std::string& pointer_base, const CompileOptions& options);

  // Evaluates against `data`. Fails with a clear message on a type error, a `throw`
  // that is not caught, or a limit reached.
  // The Error's pointer names the node that failed (pointer_base + path in the rule).
  Result<Json> evaluate(const Json& data, const EvalOptions& options = {}) const;

  // Like evaluate(); on failure also sets *error_value (when not null) to the error object
  // a `try` would have seen: {"type": "NaN"}, {"type": "Invalid Arguments"}, the value of an
  // uncaught `throw`, or {"type": "Limit"} when max_steps, max_depth or max_size stopped it.
  Result<Json> evaluate(const Json& data, const EvalOptions& options, Json* error_value) const;

  // Like evaluate(), and fills `*tree` with the verdict tree:
  //   {"op": "<", "args": [<values seen>], "result": <value>, "children": [...]}
  // (literals and var reads appear as {"var": "path", "result": value} / {"value": v}).
  // Details: children[i] explains argument i; an argument that short-circuiting skipped is
  // {"op"|"var"|"value": ..., "skipped": true} and its args[i] is null; an iterator's
  // per-item argument is {"iterations": [{"index": i, ...}, ...], "more": n} (at most 20
  // items are kept) and its args[i] is null. A node that failed has "error" (the error
  // object) instead of "result"; on failure *tree still holds everything up to the failure.
  // Values are abbreviated (long strings, arrays and objects are cut, marked with "…").
  Result<Json> explain(const Json& data, Json* tree, const EvalOptions& options = {}) const;
  // The same tree as compact JSON text (json_text() of explain()'s tree; "" for a null tree),
  // written as evaluation goes: no tree of values is built.
  Result<Json> explain_text(const Json& data, std::string* tree, const EvalOptions& options = {}) const;

  const Json& source() const { return source_; }

  // True for a default-constructed Condition (it evaluates to null).
  bool empty() const { return root_ == nullptr; }

 private:
  static Result<Condition> compile_with(const Json& rule, const std::string& pointer_base, Json* error_value,
                                        const NamedRules* rules);
  std::shared_ptr<const Node> root_;
  Json source_;
  std::string base_;  // pointer_base, prefixed to the pointers of evaluation errors
};

// JSON Logic truthiness: false, null, 0, "", [] are false; everything else true.
bool truthy(const Json& value);

// A text shared by strings and numbers that `==` finds equal ("42", 42 and "42.0" all give
// "42"; a text that is no number gives itself): an index key for correlating events. Values
// that are neither a string nor a number give "" (not indexable).
std::string correlation_key(const Json& value);

// The names of all operators compile() accepts, for the studio and for documentation.
std::vector<std::string> operator_names();

// One operator: its name, how to call it, and its group ("logic", "data", "math", "array",
// "string", "money", "tags", "time", "tables"), in the order of the registration table.
struct OperatorInfo {
  std::string name;
  std::string usage;
  std::string group;
};
std::vector<OperatorInfo> operator_catalog();

}  // namespace shopflow::logic
