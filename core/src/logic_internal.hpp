// Private to the JSON Logic implementation (condition.cpp and logic_*.cpp): the compiled
// node tree, the evaluation context, values that borrow from the data document, and the
// coercions JSON Logic inherits from JavaScript.
//
// Evaluation never throws: an operator returns false after recording the failure in the
// context (Ctx::fail), and every caller passes false up. That keeps the hot path free of
// exception machinery (which WebAssembly makes slow) and makes limits easy to enforce.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shopflow/condition.hpp"
#include "shopflow/json.hpp"

namespace shopflow::logic::detail {

// [SECTION] values

// The result of evaluating a node: either a reference into something that outlives the
// evaluation step (the data document, a literal of the rule, an array an iterator holds)
// or an owned value. Reading data this way copies nothing until a result is returned.
class Value {
 public:
  const Json& get() const { return ref_ ? *ref_ : own_; }
  void ref(const Json& j) { ref_ = &j; }
  void set(Json j) {
    own_ = std::move(j);
    ref_ = nullptr;
  }
  // The value as an owned Json (a copy when it is a reference).
  Json take() { return ref_ ? *ref_ : std::move(own_); }
  bool is_ref() const { return ref_ != nullptr; }

 private:
  const Json* ref_ = nullptr;
  Json own_;
};

// [SECTION] compiled form

struct Node;
struct Ctx;
using EvalFn = bool (*)(const Node& n, Ctx& c, Value& out);
struct OpDef;
using CompileHook = bool (*)(Node& n, const Json& args, std::string* error);

enum OpFlags : unsigned {
  kNeedsArray = 1u << 0,  // the arguments must be written as an array: {"and": [a, b]}
  kSpread = 1u << 1,      // one expression as the argument: its array value supplies the arguments
  kRaw = 1u << 2,         // the argument is not compiled but kept as written (preserve)
  kMembers = 1u << 3,     // the argument is an object whose member values are rules (object)
};

struct OpDef {
  const char* name;
  EvalFn fn;
  int min_args;  // counted when the arguments are an array (a single value counts 1)
  int max_args;  // -1: no limit
  unsigned flags;
  CompileHook hook;   // extra checks and precomputation, or nullptr
  const char* usage;  // how to call it, shown in errors and documentation
  const char* group;  // "logic", "data", "math", "array", "string", "money", "tags", "time", "tables"
};

enum class NodeKind : std::uint8_t { Literal, Array, Op };

// One step of a path into the data: a key, or an array index when the text is a number.
struct PathSeg {
  std::string key;
  bool is_index = false;
  std::size_t index = 0;
};

struct Node {
  NodeKind kind = NodeKind::Literal;
  const OpDef* op = nullptr;
  bool spread = false;         // args[0] yields the argument list
  bool static_path = false;    // var / val / exists with a path known at compile time
  bool whole_args_raw = false; // val: args were a scalar path (not an array)
  int climb = 0;               // val / exists: scopes to climb before the path
  std::uint32_t depth = 1;     // levels of this subtree
  std::vector<Node> args;
  std::vector<PathSeg> path;
  std::vector<std::string> keys;  // object: the member names, one per argument
  Json literal;                // Literal: the value; preserve: what it keeps; paths: the path as written
  std::string pointer;         // relative JSON Pointer of this node in the rule
};

// [SECTION] evaluation context

// A scope: what var/val read from. Iterators push an Iteration frame (the index) and then
// the item, so {"val": [[1], "index"]} climbs to the index and [[2]] to the outer context.
struct Frame {
  enum class Kind : std::uint8_t { Data, Iteration, Reduce };
  Kind kind = Kind::Data;
  const Json* value = nullptr;        // Data: the context; Reduce: the current item
  const Json* accumulator = nullptr;  // Reduce
  std::size_t index = 0;              // Iteration
  bool has_index = false;             // Iteration: false for try's scope
  const Frame* parent = nullptr;
  // The evaluation's data (the outermost frame): EvalOptions::root_aliases, or null.
  const std::vector<std::pair<std::string, std::string>>* aliases = nullptr;
};

struct Explainer;

struct Ctx {
  Ctx(const EvalOptions& o, const Json& r) : opt(o), root(r) {}
  const EvalOptions& opt;
  const Json& root;
  const Frame* top = nullptr;
  std::size_t steps = 0;
  Explainer* ex = nullptr;

  // The failure, once something returned false.
  Json error_value;         // {"type": ...}: what `try` sees
  std::string error_message;
  std::string error_pointer;
  bool catchable = true;    // limits are not catchable by `try`

  // Records a failure of `type` ("NaN", "Invalid Arguments", ...) at node `n`; returns false.
  bool fail(const Node& n, const char* type, std::string message);
  // Records a thrown value (from `throw`); returns false.
  bool fail_thrown(const Node& n, Json thrown);
  // Records a limit failure that `try` cannot catch; returns false.
  bool fail_limit(const Node& n, std::string message);
  // Counts `units` of work against max_steps; false (with the failure recorded) when over.
  bool charge(const Node& n, std::size_t units);
  // Fails when a value being built would exceed max_size.
  bool check_size(const Node& n, std::size_t size, const char* what);
  void clear_error() {
    error_value = nullptr;
    error_message.clear();
    error_pointer.clear();
    catchable = true;
  }
};

// Evaluates `n` (one step); false on failure (recorded in c).
bool eval(const Node& n, Ctx& c, Value& out);

// Explain hooks for iterators: the item index the next evaluations belong to (-1: none).
void explain_item(Ctx& c, long index);

// RAII: makes `f` the current scope for the guard's lifetime.
class ScopeGuard {
 public:
  ScopeGuard(Ctx& c, Frame& f) : c_(c), saved_(c.top) {
    f.parent = c.top;
    c.top = &f;
  }
  ~ScopeGuard() { c_.top = saved_; }
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;

 private:
  Ctx& c_;
  const Frame* saved_;
};

// The evaluated arguments of a node: each argument's value, or the elements of the array
// a spread argument produced. Small argument lists live inline (no allocation).
class Args {
 public:
  // Evaluates all arguments of `n`; false on failure. Checks the operator's argument count
  // when the arguments came from a spread.
  bool collect(const Node& n, Ctx& c);
  std::size_t size() const { return spread_ ? spread_->size() : count_; }
  const Json& operator[](std::size_t i) const {
    if (spread_) return (*spread_)[i];
    return i < kInline ? inline_[i].get() : more_[i - kInline].get();
  }
  // Argument i, or null when there are fewer arguments.
  const Json& at_or_null(std::size_t i) const;

 private:
  static constexpr std::size_t kInline = 4;
  Value owner_;                   // holds what a spread argument produced
  const Json* spread_ = nullptr;  // the array being spread
  Value inline_[kInline];
  std::vector<Value> more_;
  std::size_t count_ = 0;
};

// [SECTION] coercions (logic_values.cpp), JavaScript's rules where JSON Logic relies on them

// JavaScript Number(v): null 0, booleans 0/1, numeric strings (trimmed; "" is 0; "1e2",
// "0x1F"), numbers; NaN for anything else (arrays and objects included).
double to_number(const Json& v);
bool is_nan(double d);

// A number as an exact int64 when integral and |x| < 2^53, else a double; -0 becomes 0.
Json number_json(double d);

// JavaScript String(v): "null", "true", numbers the way JavaScript prints them, arrays
// joined with ",", objects "[object Object]".
void append_js_string(std::string& out, const Json& v);
std::string to_js_string(const Json& v);
std::string js_number_string(double d);

// === : same type and value; numbers by value (1 === 1.0); arrays and objects deeply.
bool strict_equal(const Json& a, const Json& b);

enum class Order { Less, Equal, Greater, Unordered };
// == and != : null equals null and 0; two strings compare as text; a string against null is
// simply unequal; otherwise both sides as numbers. Unordered when a side is an array or an
// object or does not convert (NaN).
Order loose_equality(const Json& a, const Json& b);
// < <= > >= : two strings compare as text; otherwise both sides as numbers (null 0).
// Unordered when a side is an array or an object or does not convert.
Order loose_order(const Json& a, const Json& b);

// A short description of a value for messages: "the string \"abc\"", "an array", "null".
std::string describe(const Json& v);

// Truncated, single-line JSON for messages.
std::string short_json(const Json& v, std::size_t max = 80);

// [SECTION] paths

// Splits a var path ("a.b.0") into segments; "" is the whole context.
std::vector<PathSeg> split_var_path(const std::string& path);
PathSeg seg_from_json(const Json& v);  // one val segment: a key, or an index for numbers

// Reads `segs` from scope `f` (after climbing `climb` scopes). *found is false when a key is
// absent or a step meets a non-container; out is then null.
void resolve(const Frame* f, int climb, const std::vector<PathSeg>& segs, Value& out, bool* found);

// [SECTION] operators: the table (condition.cpp) and implementations (logic_ops.cpp,
// logic_commerce.cpp)

const OpDef* find_op(const std::string& name);
const OpDef* op_table(std::size_t* count);

#define SHOPFLOW_LOGIC_OP(name) bool name(const Node& n, Ctx& c, Value& out)
// data
SHOPFLOW_LOGIC_OP(op_var);
SHOPFLOW_LOGIC_OP(op_val);
SHOPFLOW_LOGIC_OP(op_exists);
SHOPFLOW_LOGIC_OP(op_missing);
SHOPFLOW_LOGIC_OP(op_missing_some);
SHOPFLOW_LOGIC_OP(op_preserve);
SHOPFLOW_LOGIC_OP(op_object);
// logic
SHOPFLOW_LOGIC_OP(op_if);
SHOPFLOW_LOGIC_OP(op_eq);
SHOPFLOW_LOGIC_OP(op_ne);
SHOPFLOW_LOGIC_OP(op_strict_eq);
SHOPFLOW_LOGIC_OP(op_strict_ne);
SHOPFLOW_LOGIC_OP(op_not);
SHOPFLOW_LOGIC_OP(op_truthy);
SHOPFLOW_LOGIC_OP(op_rule);
SHOPFLOW_LOGIC_OP(op_or);
SHOPFLOW_LOGIC_OP(op_and);
SHOPFLOW_LOGIC_OP(op_coalesce);
SHOPFLOW_LOGIC_OP(op_throw);
SHOPFLOW_LOGIC_OP(op_try);
SHOPFLOW_LOGIC_OP(op_log);
// comparison
SHOPFLOW_LOGIC_OP(op_gt);
SHOPFLOW_LOGIC_OP(op_ge);
SHOPFLOW_LOGIC_OP(op_lt);
SHOPFLOW_LOGIC_OP(op_le);
// math
SHOPFLOW_LOGIC_OP(op_max);
SHOPFLOW_LOGIC_OP(op_min);
SHOPFLOW_LOGIC_OP(op_add);
SHOPFLOW_LOGIC_OP(op_sub);
SHOPFLOW_LOGIC_OP(op_mul);
SHOPFLOW_LOGIC_OP(op_div);
SHOPFLOW_LOGIC_OP(op_mod);
// arrays
SHOPFLOW_LOGIC_OP(op_map);
SHOPFLOW_LOGIC_OP(op_filter);
SHOPFLOW_LOGIC_OP(op_reduce);
SHOPFLOW_LOGIC_OP(op_all);
SHOPFLOW_LOGIC_OP(op_none);
SHOPFLOW_LOGIC_OP(op_some);
SHOPFLOW_LOGIC_OP(op_merge);
SHOPFLOW_LOGIC_OP(op_in);
SHOPFLOW_LOGIC_OP(op_length);
// strings
SHOPFLOW_LOGIC_OP(op_cat);
SHOPFLOW_LOGIC_OP(op_substr);
SHOPFLOW_LOGIC_OP(op_lower);
SHOPFLOW_LOGIC_OP(op_upper);
SHOPFLOW_LOGIC_OP(op_starts_with);
SHOPFLOW_LOGIC_OP(op_ends_with);
// money
SHOPFLOW_LOGIC_OP(op_money);
SHOPFLOW_LOGIC_OP(op_money_add);
SHOPFLOW_LOGIC_OP(op_money_sub);
SHOPFLOW_LOGIC_OP(op_money_mul);
SHOPFLOW_LOGIC_OP(op_money_div);
SHOPFLOW_LOGIC_OP(op_money_round);
SHOPFLOW_LOGIC_OP(op_money_sum);
SHOPFLOW_LOGIC_OP(op_money_min);
SHOPFLOW_LOGIC_OP(op_money_max);
SHOPFLOW_LOGIC_OP(op_money_cmp);
SHOPFLOW_LOGIC_OP(op_money_eq);
SHOPFLOW_LOGIC_OP(op_money_ne);
SHOPFLOW_LOGIC_OP(op_money_lt);
SHOPFLOW_LOGIC_OP(op_money_lte);
SHOPFLOW_LOGIC_OP(op_money_gt);
SHOPFLOW_LOGIC_OP(op_money_gte);
// tags
SHOPFLOW_LOGIC_OP(op_has_tag);
SHOPFLOW_LOGIC_OP(op_has_any_tag);
SHOPFLOW_LOGIC_OP(op_has_all_tags);
SHOPFLOW_LOGIC_OP(op_tags);
SHOPFLOW_LOGIC_OP(op_add_tag);
SHOPFLOW_LOGIC_OP(op_remove_tag);
// time
SHOPFLOW_LOGIC_OP(op_now);
SHOPFLOW_LOGIC_OP(op_time);
SHOPFLOW_LOGIC_OP(op_time_format);
SHOPFLOW_LOGIC_OP(op_time_add);
SHOPFLOW_LOGIC_OP(op_time_diff);
SHOPFLOW_LOGIC_OP(op_time_before);
SHOPFLOW_LOGIC_OP(op_time_after);
SHOPFLOW_LOGIC_OP(op_business_days_add);
SHOPFLOW_LOGIC_OP(op_weekday);
SHOPFLOW_LOGIC_OP(op_local_time);
// tables
SHOPFLOW_LOGIC_OP(op_lookup);
SHOPFLOW_LOGIC_OP(op_rows);
#undef SHOPFLOW_LOGIC_OP

// Compile hooks (condition.cpp).
bool hook_var(Node& n, const Json& args, std::string* error);
bool hook_val(Node& n, const Json& args, std::string* error);
bool hook_iterator(Node& n, const Json& args, std::string* error);

// Error types of the JSON Logic error objects.
inline constexpr const char* kNaN = "NaN";
inline constexpr const char* kInvalidArguments = "Invalid Arguments";

}  // namespace shopflow::logic::detail
