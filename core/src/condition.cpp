// JSON Logic: the operator registration table, the compiler (rule -> node tree), the
// evaluation loop with its limits, the explain recorder and the public API.
//
// The operators themselves live in logic_ops.cpp (jsonlogic.com's operators and the newer
// val / exists / ?? / throw / try) and logic_commerce.cpp (money, tags, time, lookup);
// coercions and paths in logic_values.cpp.
#include <algorithm>
#include <cstring>
#include <exception>
#include <new>

#include "edit_distance.hpp"
#include "logic_internal.hpp"
#include "shopflow/condition.hpp"

namespace shopflow::logic {

// The compiled rule behind Condition's shared pointer.
struct Node {
  detail::Node root;
};

namespace detail {

// [SECTION] the operator table
//
// Every operator compile() accepts, registered here and nowhere else. Columns: name,
// implementation, fewest and most arguments (-1: any), flags, compile hook, usage, group.
namespace {

constexpr OpDef kOps[] = {
    // Data access.
    {"var", op_var, 0, 2, 0, hook_var, "{\"var\": \"a.b.0\"} or {\"var\": [\"path\", default]}: reads the data", "data"},
    {"val", op_val, 0, -1, 0, hook_val,
     "{\"val\": \"key\"} or {\"val\": [\"a\", \"b\", 0]}; [[n], ...] first climbs n scopes", "data"},
    {"exists", op_exists, 0, -1, 0, hook_val, "{\"exists\": \"key\"} or {\"exists\": [\"a\", \"b\"]}: true when the key is present",
     "data"},
    {"missing", op_missing, 0, -1, kSpread, nullptr, "{\"missing\": [\"a\", \"b.c\"]}: the keys that are absent, null or \"\"",
     "data"},
    {"missing_some", op_missing_some, 2, 2, 0, nullptr, "{\"missing_some\": [n, [\"a\", \"b\"]]}: [] when n keys are present",
     "data"},
    {"preserve", op_preserve, 0, -1, kRaw, nullptr, "{\"preserve\": value}: the value as written, not evaluated", "data"},
    {"object", op_object, 0, -1, kMembers, nullptr,
     "{\"object\": {\"sku\": {\"var\": \"sku\"}, \"qty\": 2}}: an object built from the members' values", "data"},
    // Logic.
    {"if", op_if, 0, -1, kNeedsArray, nullptr, "{\"if\": [cond, then, cond2, then2, ..., else]}", "logic"},
    {"?:", op_if, 0, -1, kNeedsArray, nullptr, "{\"?:\": [cond, then, else]}", "logic"},
    {"==", op_eq, 2, -1, kNeedsArray, nullptr, "{\"==\": [a, b]}: equal after converting types", "logic"},
    {"===", op_strict_eq, 2, -1, kNeedsArray, nullptr, "{\"===\": [a, b]}: equal with the same type", "logic"},
    {"!=", op_ne, 2, -1, kNeedsArray, nullptr, "{\"!=\": [a, b]}: not equal after converting types", "logic"},
    {"!==", op_strict_ne, 2, -1, kNeedsArray, nullptr, "{\"!==\": [a, b]}: not equal, or of another type", "logic"},
    {"!", op_not, 0, 1, 0, nullptr, "{\"!\": [a]} or {\"!\": a}: true when a is falsy", "logic"},
    {"!!", op_truthy, 0, 1, 0, nullptr, "{\"!!\": [a]} or {\"!!\": a}: true when a is truthy", "logic"},
    {"rule", op_rule, 1, 1, kRaw, nullptr, "{\"rule\": \"name\"}: the value of the bundle's rule of that name", "logic"},
    {"or", op_or, 0, -1, kNeedsArray, nullptr, "{\"or\": [a, b, ...]}: the first truthy value, else the last", "logic"},
    {"and", op_and, 0, -1, kNeedsArray, nullptr, "{\"and\": [a, b, ...]}: the first falsy value, else the last", "logic"},
    {"??", op_coalesce, 0, -1, kSpread, nullptr, "{\"??\": [a, b, ...]}: the first value that is not null", "logic"},
    {"throw", op_throw, 1, 1, 0, nullptr, "{\"throw\": \"type\"} or {\"throw\": {\"type\": ...}}: fails with that error",
     "logic"},
    {"try", op_try, 0, -1, 0, nullptr, "{\"try\": [a, fallback, ...]}: the first that does not fail; fallbacks read the error",
     "logic"},
    {"log", op_log, 1, 1, 0, nullptr, "{\"log\": a}: a, also handed to the log sink", "logic"},
    // Comparison.
    {">", op_gt, 2, -1, kNeedsArray, nullptr, "{\">\": [a, b]} or [a, b, c] (each greater than the next)", "logic"},
    {">=", op_ge, 2, -1, kNeedsArray, nullptr, "{\">=\": [a, b]} or [a, b, c]", "logic"},
    {"<", op_lt, 2, -1, kNeedsArray, nullptr, "{\"<\": [a, b]} or {\"<\": [low, x, high]} (strictly between)", "logic"},
    {"<=", op_le, 2, -1, kNeedsArray, nullptr, "{\"<=\": [a, b]} or {\"<=\": [low, x, high]} (between, inclusive)", "logic"},
    // Numbers.
    {"max", op_max, 0, -1, kSpread, nullptr, "{\"max\": [a, b, ...]}: the largest number (null for none)", "math"},
    {"min", op_min, 0, -1, kSpread, nullptr, "{\"min\": [a, b, ...]}: the smallest number (null for none)", "math"},
    {"+", op_add, 0, -1, kSpread, nullptr, "{\"+\": [a, b, ...]}: the sum; {\"+\": \"3.5\"} converts to a number", "math"},
    {"-", op_sub, 1, -1, kSpread, nullptr, "{\"-\": [a, b, ...]}: a minus the rest; {\"-\": a} negates", "math"},
    {"*", op_mul, 0, -1, kSpread, nullptr, "{\"*\": [a, b, ...]}: the product", "math"},
    {"/", op_div, 1, -1, kSpread, nullptr, "{\"/\": [a, b, ...]}: a divided by the rest", "math"},
    {"%", op_mod, 2, -1, kSpread, nullptr, "{\"%\": [a, b]}: the remainder of a / b", "math"},
    // Arrays.
    {"map", op_map, 2, 2, kNeedsArray, hook_iterator, "{\"map\": [array, rule]}: the rule applied to each item", "array"},
    {"filter", op_filter, 2, 2, kNeedsArray, hook_iterator, "{\"filter\": [array, rule]}: the items the rule holds for",
     "array"},
    {"reduce", op_reduce, 2, 3, kNeedsArray, hook_iterator,
     "{\"reduce\": [array, rule, initial]}: the rule reads \"current\" and \"accumulator\"", "array"},
    {"all", op_all, 2, 2, kNeedsArray, hook_iterator, "{\"all\": [array, rule]}: true when the array is not empty and the "
     "rule holds for every item", "array"},
    {"none", op_none, 2, 2, kNeedsArray, hook_iterator, "{\"none\": [array, rule]}: true when the rule holds for no item",
     "array"},
    {"some", op_some, 2, 2, kNeedsArray, hook_iterator, "{\"some\": [array, rule]}: true when the rule holds for an item",
     "array"},
    {"merge", op_merge, 0, -1, kSpread, nullptr, "{\"merge\": [a, b, ...]}: one array of the arrays' items (and values)",
     "array"},
    {"in", op_in, 2, 2, 0, nullptr, "{\"in\": [x, array]} (an item) or {\"in\": [\"sub\", \"string\"]} (a substring)",
     "array"},
    {"length", op_length, 1, 1, 0, nullptr, "{\"length\": x}: characters of a string, items of an array, keys of an object",
     "array"},
    // Strings.
    {"cat", op_cat, 0, -1, kSpread, nullptr, "{\"cat\": [a, b, ...]}: the values joined as text", "string"},
    {"substr", op_substr, 2, 3, 0, nullptr, "{\"substr\": [text, start, length]}: negative start counts from the end",
     "string"},
    {"lower", op_lower, 1, 1, 0, nullptr, "{\"lower\": text}: ASCII letters in lower case", "string"},
    {"upper", op_upper, 1, 1, 0, nullptr, "{\"upper\": text}: ASCII letters in upper case", "string"},
    {"starts_with", op_starts_with, 2, 2, 0, nullptr, "{\"starts_with\": [text, prefix]}", "string"},
    {"ends_with", op_ends_with, 2, 2, 0, nullptr, "{\"ends_with\": [text, suffix]}", "string"},
    // Money: exact decimals, results as canonical strings ("99.80").
    {"money", op_money, 1, 2, 0, nullptr,
     "{\"money\": \"49.9\"}: the canonical amount \"49.90\"; {\"money\": [amount, \"JPY\"]}: rounded to the currency",
     "money"},
    {"money_add", op_money_add, 1, -1, kSpread, nullptr, "{\"money_add\": [a, b, ...]}: the exact sum", "money"},
    {"money_sub", op_money_sub, 2, -1, kSpread, nullptr, "{\"money_sub\": [a, b, ...]}: a minus the rest", "money"},
    {"money_mul", op_money_mul, 2, -1, kSpread, nullptr, "{\"money_mul\": [price, quantity]}: the exact product", "money"},
    {"money_div", op_money_div, 2, 4, 0, nullptr,
     "{\"money_div\": [a, b, places = 2, mode = \"half_up\"]}: the rounded quotient; places may be a currency code", "money"},
    {"money_round", op_money_round, 1, 3, 0, nullptr,
     "{\"money_round\": [a, places = 2, mode = \"half_up\"]}; places may be a currency code (\"JPY\"); modes half_up, half_even, down, up, floor, ceiling",
     "money"},
    {"money_sum", op_money_sum, 1, 3, 0, nullptr,
     "{\"money_sum\": [items, \"price\", \"quantity\"]}: the sum of amounts (times quantities) in a list", "money"},
    {"money_min", op_money_min, 1, -1, kSpread, nullptr, "{\"money_min\": [a, b, ...]}: the smallest amount", "money"},
    {"money_max", op_money_max, 1, -1, kSpread, nullptr, "{\"money_max\": [a, b, ...]}: the largest amount", "money"},
    {"money_cmp", op_money_cmp, 2, 2, 0, nullptr, "{\"money_cmp\": [a, b]}: -1, 0 or 1", "money"},
    {"money_eq", op_money_eq, 2, 2, 0, nullptr, "{\"money_eq\": [a, b]}: equal amounts (\"1.5\" equals \"1.50\")", "money"},
    {"money_ne", op_money_ne, 2, 2, 0, nullptr, "{\"money_ne\": [a, b]}", "money"},
    {"money_lt", op_money_lt, 2, 2, 0, nullptr, "{\"money_lt\": [a, b]}: a < b, exactly", "money"},
    {"money_lte", op_money_lte, 2, 2, 0, nullptr, "{\"money_lte\": [a, b]}: a <= b, exactly", "money"},
    {"money_gt", op_money_gt, 2, 2, 0, nullptr, "{\"money_gt\": [a, b]}: a > b, exactly", "money"},
    {"money_gte", op_money_gte, 2, 2, 0, nullptr, "{\"money_gte\": [a, b]}: a >= b, exactly", "money"},
    // Tags: Shopify's comma-separated tag strings (or arrays), trimmed, case-insensitive.
    {"has_tag", op_has_tag, 2, 2, 0, nullptr, "{\"has_tag\": [tags, \"vip\"]}", "tags"},
    {"has_any_tag", op_has_any_tag, 2, 2, 0, nullptr, "{\"has_any_tag\": [tags, [\"vip\", \"wholesale\"]]}", "tags"},
    {"has_all_tags", op_has_all_tags, 2, 2, 0, nullptr, "{\"has_all_tags\": [tags, [\"vip\", \"eu\"]]}", "tags"},
    {"tags", op_tags, 1, 1, 0, nullptr, "{\"tags\": \"a, b\"}: [\"a\", \"b\"]", "tags"},
    {"add_tag", op_add_tag, 2, 2, 0, nullptr, "{\"add_tag\": [tags, \"vip\"]}: the tags with vip added once", "tags"},
    {"remove_tag", op_remove_tag, 2, 2, 0, nullptr, "{\"remove_tag\": [tags, \"vip\"]}: the tags without vip", "tags"},
    // Time: ISO 8601 timestamps; the clock is the data's "now".
    {"now", op_now, 0, 0, 0, nullptr, "{\"now\": []}: the data's \"now\" timestamp", "time"},
    {"time", op_time, 1, 1, 0, nullptr, "{\"time\": ts}: epoch milliseconds, for comparing and arithmetic", "time"},
    {"time_format", op_time_format, 1, 2, 0, nullptr, "{\"time_format\": [ts or ms, \"Europe/Berlin\" or \"+02:00\"]}: an ISO 8601 timestamp",
     "time"},
    {"time_add", op_time_add, 2, 3, 0, nullptr,
     "{\"time_add\": [ts, \"P1DT2H\"]} or {\"time_add\": [ts, 3, \"days\"]}; \"-P1D\" subtracts", "time"},
    {"time_diff", op_time_diff, 2, 3, 0, nullptr,
     "{\"time_diff\": [a, b, \"hours\"]}: a - b in seconds (default), minutes, hours, days or weeks", "time"},
    {"time_before", op_time_before, 2, 2, 0, nullptr, "{\"time_before\": [a, b]}: a is earlier than b", "time"},
    {"time_after", op_time_after, 2, 2, 0, nullptr, "{\"time_after\": [a, b]}: a is later than b", "time"},
    {"business_days_add", op_business_days_add, 2, 3, 0, nullptr,
     "{\"business_days_add\": [ts, n, holidays]}: n Monday-to-Friday days later (earlier when negative), "
     "skipping the holiday dates", "time"},
    {"weekday", op_weekday, 1, 1, 0, nullptr, "{\"weekday\": ts}: 1 (Monday) to 7 (Sunday)", "time"},
    {"local_time", op_local_time, 3, 3, 0, nullptr,
     "{\"local_time\": [day, \"14:00\", \"Europe/Berlin\"]}: when that zone's clocks show 14:00 on day's date", "time"},
    // Tables.
    {"lookup", op_lookup, 2, 3, 0, nullptr, "{\"lookup\": [\"table\", key]} or [\"table\", key, \"field\"]: a row or null",
     "tables"},
    {"rows", op_rows, 1, 1, 0, nullptr, "{\"rows\": \"table\"}: every row of the table, in key order", "tables"},
};

constexpr std::size_t kOpCount = sizeof(kOps) / sizeof(kOps[0]);

constexpr std::uint32_t kMaxCompileDepth = 512;
constexpr std::size_t kExplainIterations = 20;
constexpr std::size_t kExplainRecords = 5000;

}  // namespace

const OpDef* op_table(std::size_t* count) {
  *count = kOpCount;
  return kOps;
}

const OpDef* find_op(const std::string& name) {
  for (const OpDef& op : kOps) {
    if (name == op.name) return &op;
  }
  return nullptr;
}

// [SECTION] failures

bool Ctx::fail(const Node& n, const char* type, std::string message) {
  error_value = Json::object({{"type", type}});
  error_message = std::move(message);
  error_pointer = n.pointer;
  catchable = true;
  return false;
}

bool Ctx::fail_thrown(const Node& n, Json thrown) {
  error_message = "uncaught throw of " + short_json(thrown);
  error_value = std::move(thrown);
  error_pointer = n.pointer;
  catchable = true;
  return false;
}

bool Ctx::fail_limit(const Node& n, std::string message) {
  error_value = Json::object({{"type", "Limit"}});
  error_message = std::move(message);
  error_pointer = n.pointer;
  catchable = false;
  return false;
}

bool Ctx::charge(const Node& n, std::size_t units) {
  steps += units;
  if (steps <= opt.max_steps) return true;
  return fail_limit(n, "evaluation stopped after " + std::to_string(opt.max_steps) +
                           " steps (the limit max_steps); the rule loops over too much data");
}

bool Ctx::check_size(const Node& n, std::size_t size, const char* what) {
  if (size <= opt.max_size) return true;
  return fail_limit(n, std::string("evaluation stopped: ") + what + " would have more than " +
                           std::to_string(opt.max_size) + " elements (the limit max_size)");
}

// [SECTION] compiling

namespace {

struct Compiler {
  std::string error;
  std::string error_type;
  std::string error_pointer;
  const NamedRules* rules = nullptr;
  std::vector<std::string> naming;  // the named rules being compiled, outermost first

  bool fail(const std::string& pointer, const char* type, std::string message) {
    error_pointer = pointer;
    error_type = type;
    error = std::move(message);
    return false;
  }

  // The closest operator name, when one is close enough to be a likely typo.
  static std::string suggestion(const std::string& name) {
    if (name.size() > 40 || name.size() < 3) return "";
    std::string lower = name;
    for (char& ch : lower) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    std::size_t allowed = lower.size() <= 4 ? 1 : 2;
    std::string best;
    std::size_t best_d = allowed + 1;
    for (const OpDef& op : kOps) {
      std::size_t d = edit_distance(lower, op.name);
      if (d < best_d) {
        best_d = d;
        best = op.name;
      }
    }
    return best;
  }

  bool named_rule(const Json& args, const std::string& ptr, const std::string& here, std::uint32_t level, Node& out);

  bool compile(const Json& rule, const std::string& ptr, std::uint32_t level, Node& out) {
    out.pointer = ptr;
    if (level > kMaxCompileDepth) {
      return fail(ptr, kInvalidArguments,
                  "the rule is nested more than " + std::to_string(kMaxCompileDepth) + " levels deep");
    }
    if (rule.is_array()) {
      out.args.resize(rule.size());
      bool all_literal = true;
      std::uint32_t depth = 0;
      for (std::size_t i = 0; i < rule.size(); ++i) {
        if (!compile(rule[i], pointer_join(ptr, i), level + 1, out.args[i])) return false;
        all_literal = all_literal && out.args[i].kind == NodeKind::Literal;
        depth = std::max(depth, out.args[i].depth);
      }
      if (all_literal) {
        out.args.clear();
        out.kind = NodeKind::Literal;
        out.literal = rule;
        out.depth = 1;
        return true;
      }
      out.kind = NodeKind::Array;
      out.depth = depth + 1;
      return true;
    }
    if (!rule.is_object() || rule.empty()) {
      out.kind = NodeKind::Literal;
      out.literal = rule;
      return true;
    }
    if (rule.size() > 1) {
      std::string keys;
      std::size_t shown = 0;
      for (auto it = rule.begin(); it != rule.end() && shown < 3; ++it, ++shown) {
        keys += (keys.empty() ? "\"" : ", \"") + it.key() + "\"";
      }
      if (rule.size() > 3) keys += ", ...";
      return fail(ptr, "Unknown Operator",
                  "an object with " + std::to_string(rule.size()) + " keys (" + keys +
                      ") is not a rule: a rule object has exactly one key, its operator, such as {\"var\": \"total\"}; "
                      "to use an object as a value, write {\"preserve\": {...}}");
    }
    const std::string& name = rule.begin().key();
    const Json& args = rule.begin().value();
    const OpDef* op = find_op(name);
    if (!op) {
      std::string hint = suggestion(name);
      std::string shown = name.size() > 40 ? name.substr(0, 40) + "..." : name;
      return fail(ptr, "Unknown Operator",
                  "unknown operator \"" + shown + "\"" + (hint.empty() ? "." : "; did you mean \"" + hint + "\"?") +
                      " Operators are JSON Logic's (var, if, and, or, ==, <, +, map, ...) and Shopflow's "
                      "(money_add, has_tag, time_add, lookup, ...); workflows/CONDITIONS.md lists them all. "
                      "To use an object as a value, write {\"preserve\": {...}}");
    }
    out.kind = NodeKind::Op;
    out.op = op;
    std::string here = pointer_join(ptr, name);
    auto arity = [&](std::size_t count) {
      bool few = static_cast<long>(count) < op->min_args;
      bool many = op->max_args >= 0 && static_cast<long>(count) > op->max_args;
      if (!few && !many) return true;
      std::string want;
      if (op->min_args == op->max_args) {
        want = std::to_string(op->min_args) + (op->min_args == 1 ? " argument" : " arguments");
      } else if (op->max_args < 0) {
        want = "at least " + std::to_string(op->min_args) + (op->min_args == 1 ? " argument" : " arguments");
      } else {
        want = std::to_string(op->min_args) + " to " + std::to_string(op->max_args) + " arguments";
      }
      return fail(ptr, kInvalidArguments,
                  "\"" + name + "\" takes " + want + ", not " + std::to_string(count) + ": " + op->usage);
    };
    if (op->fn == op_rule) return named_rule(args, ptr, here, level, out);
    if (op->flags & kRaw) {
      out.literal = args;
      return true;
    }
    if (op->flags & kMembers) {
      if (!args.is_object()) {
        return fail(ptr, kInvalidArguments, "\"" + name + "\" needs an object of members, not " + describe(args) + ": " + op->usage);
      }
      std::uint32_t member_depth = 0;
      out.args.resize(args.size());
      out.keys.reserve(args.size());
      std::size_t i = 0;
      for (auto it = args.begin(); it != args.end(); ++it, ++i) {
        out.keys.push_back(it.key());
        if (!compile(it.value(), pointer_join(here, it.key()), level + 1, out.args[i])) return false;
        member_depth = std::max(member_depth, out.args[i].depth);
      }
      out.depth = member_depth + 1;
      return true;
    }
    std::uint32_t depth = 0;
    if (args.is_array()) {
      if (!arity(args.size())) return false;
      out.args.resize(args.size());
      for (std::size_t i = 0; i < args.size(); ++i) {
        if (!compile(args[i], pointer_join(here, i), level + 1, out.args[i])) return false;
        depth = std::max(depth, out.args[i].depth);
      }
    } else {
      if (op->flags & kNeedsArray) {
        return fail(ptr, kInvalidArguments,
                    "\"" + name + "\" needs its arguments in an array, not " + describe(args) + ": " + op->usage);
      }
      out.args.resize(1);
      if (!compile(args, here, level + 1, out.args[0])) return false;
      depth = out.args[0].depth;
      if ((op->flags & kSpread) && out.args[0].kind == NodeKind::Op) {
        out.spread = true;  // its value is the argument list, counted when evaluated
      } else if (!arity(1)) {
        return false;
      }
    }
    out.depth = depth + 1;
    if (op->hook) {
      std::string why;
      if (!op->hook(out, args, &why)) return fail(ptr, kInvalidArguments, "\"" + name + "\" " + why + ": " + op->usage);
    }
    return true;
  }
};

bool Compiler::named_rule(const Json& args, const std::string& ptr, const std::string& here, std::uint32_t level,
                          Node& out) {
  const Json* name = args.is_array() && args.size() == 1 ? &args[0] : &args;
  if (!name->is_string()) {
    return fail(ptr, kInvalidArguments, "\"rule\" needs the name of one of the bundle's rules, not " + describe(*name));
  }
  const std::string& id = name->get_ref<const std::string&>();
  out.literal = id;
  if (!rules) return fail(ptr, kInvalidArguments, "no named rules here: {\"rule\": \"" + id + "\"} is for rules in a bundle");
  auto it = rules->find(id);
  if (it == rules->end()) {
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, id.size() / 3) + 1;
    for (const auto& kv : *rules) {
      std::size_t d = edit_distance(id, kv.first);
      if (d < best_d) {
        best_d = d;
        best = kv.first;
      }
    }
    return fail(ptr, kInvalidArguments,
                "no rule named \"" + id + "\" under \"rules\"" + (best.empty() ? "" : "; did you mean \"" + best + "\"?"));
  }
  if (std::find(naming.begin(), naming.end(), id) != naming.end()) {
    std::string cycle;
    for (auto n = std::find(naming.begin(), naming.end(), id); n != naming.end(); ++n) cycle += *n + " → ";
    return fail(ptr, kInvalidArguments, "the rules " + cycle + id + " use each other in a cycle, so none has a value");
  }
  naming.push_back(id);
  out.args.resize(1);
  bool ok = compile(it->second, here, level + 1, out.args[0]);
  naming.pop_back();
  if (!ok) {
    // A problem inside the named rule is reported where the rule is written, once; here it
    // is enough to say which rule it is.
    if (error.rfind("rule \"", 0) != 0 && error.find("in a cycle") == std::string::npos)
      error = "rule \"" + id + "\" (under \"rules\") does not compile: " + error;
    error_pointer = ptr;
    return false;
  }
  out.depth = out.args[0].depth + 1;
  return true;
}

bool is_path_literal(const Json& v) { return v.is_string() || v.is_number() || v.is_null(); }

}  // namespace

bool hook_var(Node& n, const Json& args, std::string* /*error*/) {
  // {"var": path} or {"var": [path, default]}; a literal path is split once, here.
  const Json* path = args.is_array() ? (args.empty() ? nullptr : &args[0]) : &args;
  if (!path || is_path_literal(*path)) {
    n.static_path = true;
    n.literal = path ? *path : Json();
    if (path && path->is_number()) {
      n.path = split_var_path(to_js_string(*path));
    } else if (path && path->is_string()) {
      n.path = split_var_path(path->get_ref<const std::string&>());
    }
  }
  return true;
}

bool hook_val(Node& n, const Json& args, std::string* /*error*/) {
  // Static when every segment is a literal; [[n], ...] first climbs n scopes.
  n.literal = args;
  if (!args.is_array()) {
    if (!is_path_literal(args)) return true;
    n.static_path = true;
    n.whole_args_raw = true;
    if (!args.is_null()) n.path.push_back(seg_from_json(args));
    return true;
  }
  std::size_t start = 0;
  int climb = 0;
  if (!args.empty() && args[0].is_array()) {
    if (args[0].size() != 1 || !args[0][0].is_number()) return true;  // evaluated at run time
    double d = args[0][0].get<double>();
    if (d < 0) d = -d;
    climb = d > 1000 ? 1000 : static_cast<int>(d);
    start = 1;
  }
  std::vector<PathSeg> segs;
  for (std::size_t i = start; i < args.size(); ++i) {
    if (!is_path_literal(args[i])) return true;
    if (args[i].is_null()) continue;
    segs.push_back(seg_from_json(args[i]));
  }
  n.static_path = true;
  n.climb = climb;
  n.path = std::move(segs);
  return true;
}

bool hook_iterator(Node& n, const Json& args, std::string* error) {
  // A literal null where the array or the rule belongs is a mistake, not an empty list.
  if (args.is_array() && !args.empty() && args[0].is_null()) {
    *error = "needs an array (or a rule giving one) as its first argument, not null";
    return false;
  }
  std::string name = n.op->name;
  if ((name == "map" || name == "filter" || name == "reduce") && args.is_array() && args.size() > 1 &&
      args[1].is_null()) {
    *error = "needs a rule as its second argument, not null";
    return false;
  }
  return true;
}

// [SECTION] evaluation and explain

// The tree is written as compact JSON text as evaluation goes (what json_text() of the tree
// gives): a record's text, and what its parent's "args" shows for it.
struct ExplainRecord {
  std::string text;  // "" when the argument was not evaluated
  std::string arg;   // its result, or a literal's value; null when it failed
};

struct ExplainFrame {
  const Node* node = nullptr;
  std::vector<ExplainRecord> records;  // per argument
  // Per argument: its per-item records so far, as the text of an unfinished array ("[{...},{...}"),
  // and how many; empty until an argument is evaluated per item.
  std::vector<std::string> iterations;
  std::vector<std::size_t> kept;
  std::vector<std::size_t> more;  // per argument: iterations not kept
  long item = -1;
  ExplainFrame* parent = nullptr;
};

struct Explainer {
  ExplainFrame* top = nullptr;
  std::string root;  // "" until the root's record is written
  std::size_t records = 0;
};

void explain_item(Ctx& c, long index) {
  if (c.ex && c.ex->top) c.ex->top->item = index;
}

namespace {

// Abbreviates a value for the explain tree.
constexpr std::size_t kSummaryString = 200;  // bytes of a string kept whole

Json summarize(const Json& v, int level = 0) {
  constexpr std::size_t kItems = 20, kKeys = 30;
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.size() <= kSummaryString) return v;
    std::size_t cut = kSummaryString;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
    return s.substr(0, cut) + "…";
  }
  if (v.is_array()) {
    if (level >= 4 && !v.empty()) return "[…]";
    Json out = Json::array();
    for (std::size_t i = 0; i < v.size() && i < kItems; ++i) out.push_back(summarize(v[i], level + 1));
    if (v.size() > kItems) out.push_back("… " + std::to_string(v.size() - kItems) + " more");
    return out;
  }
  if (v.is_object()) {
    if (level >= 4 && !v.empty()) return "{…}";
    Json out = Json::object();
    std::size_t k = 0;
    for (auto it = v.begin(); it != v.end(); ++it, ++k) {
      if (k == kKeys) {
        out["…"] = std::to_string(v.size() - kKeys) + " more keys";
        break;
      }
      out[it.key()] = summarize(it.value(), level + 1);
    }
    return out;
  }
  return v;
}

bool is_path_op(const Node& n) {
  return n.kind == NodeKind::Op && n.static_path &&
         (n.op->fn == op_var || n.op->fn == op_val || n.op->fn == op_exists);
}

// What a node that was not evaluated looks like in the tree.
Json describe_skipped(const Node& n) {
  Json rec = Json::object();
  if (n.kind == NodeKind::Literal) {
    rec["value"] = summarize(n.literal);
  } else if (is_path_op(n)) {
    rec[n.op->name] = summarize(n.literal);
  } else {
    rec["op"] = n.kind == NodeKind::Array ? "array" : n.op->name;
  }
  rec["skipped"] = true;
  return rec;
}

bool dispatch(const Node& n, Ctx& c, Value& out);

// Appends the compact JSON text of the summary of `v`: `v`'s own when it needs no abbreviation
// (a number, a short string...), without copying it first.
void append_summary(std::string& out, const Json& v) {
  if (!v.is_structured() && !(v.is_string() && v.get_ref<const std::string&>().size() > kSummaryString)) {
    append_json(out, v);
  } else {
    append_json(out, summarize(v));
  }
}

std::string summary_text(const Json& v) {
  std::string out;
  append_summary(out, v);
  return out;
}

void attach(Explainer& ex, const Node& n, std::string rec, std::string arg) {
  ExplainFrame* parent = ex.top;
  if (!parent) {
    ex.root = std::move(rec);
    return;
  }
  const Node* base = parent->node->args.data();
  if (&n < base || &n >= base + parent->node->args.size()) return;
  std::size_t i = static_cast<std::size_t>(&n - base);
  if (parent->item >= 0) {
    if (parent->iterations.empty()) {
      parent->iterations.resize(parent->node->args.size());
      parent->kept.resize(parent->node->args.size());
      parent->more.resize(parent->node->args.size());
    }
    if (parent->kept[i] >= kExplainIterations) {
      ++parent->more[i];
      return;
    }
    // The record, tagged with its item's index first: {"index": i, ...}.
    std::string& items = parent->iterations[i];
    items += parent->kept[i]++ == 0 ? '[' : ',';
    items += "{\"index\":";
    items += std::to_string(parent->item);
    items += ',';
    items.append(rec, 1, std::string::npos);
    return;
  }
  parent->records[i] = ExplainRecord{std::move(rec), std::move(arg)};
}

const char* op_name(const Node& n) { return n.kind == NodeKind::Array ? "array" : n.op->name; }

bool eval_explained(const Node& n, Ctx& c, Value& out) {
  Explainer& ex = *c.ex;
  ++ex.records;
  if (n.kind == NodeKind::Literal) {
    out.ref(n.literal);
    std::string value = summary_text(n.literal);
    std::string rec;
    rec.reserve(value.size() + 10);
    rec += "{\"value\":";
    rec += value;
    rec += '}';
    attach(ex, n, std::move(rec), std::move(value));
    return true;
  }
  if (ex.records > kExplainRecords) {
    // Past the budget: evaluate without recording the subtree.
    Explainer* saved = c.ex;
    c.ex = nullptr;
    bool ok = dispatch(n, c, out);
    c.ex = saved;
    std::string rec = "{\"op\":";
    append_json_string(rec, op_name(n));
    rec += ",\"omitted\":true";
    std::string result = ok ? summary_text(out.get()) : std::string("null");
    if (ok) {
      append_json_key(rec, "result");
      rec += result;
    }
    rec += '}';
    attach(ex, n, std::move(rec), std::move(result));
    return ok;
  }
  ExplainFrame f;
  f.node = &n;
  f.records.resize(n.args.size());
  f.parent = ex.top;
  ex.top = &f;
  bool ok = dispatch(n, c, out);
  ex.top = f.parent;

  std::string result = ok ? summary_text(out.get()) : std::string("null");
  std::string rec;
  rec.reserve(n.args.empty() ? 64 : 256);  // grown a few bytes at a time, it would be copied at each doubling
  rec += '{';
  const bool path = is_path_op(n) && std::all_of(f.records.begin(), f.records.end(),
                                                 [](const ExplainRecord& r) { return r.text.empty(); });
  if (path) {  // {"var": "a.b", "result": ...}
    append_json_key(rec, n.op->name, true);
    append_summary(rec, n.literal);
    if (ok) {
      append_json_key(rec, "result");
      rec += result;
    }
  } else {  // {"op": ..., "args": [...], "result": ..., "children": [...]}
    append_json_key(rec, "op", true);
    append_json_string(rec, op_name(n));
    if (n.kind == NodeKind::Op && n.op->fn == op_rule) {  // the named rule, a node that opens
      append_json_key(rec, "rule");
      append_json(rec, n.literal);
    }
    std::string children;
    children.reserve(128 * n.args.size());
    append_json_key(rec, "args");
    rec += '[';
    for (std::size_t i = 0; i < n.args.size(); ++i) {
      if (i > 0) {
        rec += ',';
        children += ',';
      }
      if (!f.iterations.empty() && f.kept[i] > 0) {
        rec += "null";
        children += "{\"iterations\":";
        children += f.iterations[i];
        children += ']';
        if (f.more[i] > 0) {
          children += ",\"more\":";
          children += std::to_string(f.more[i]);
        }
        children += '}';
      } else if (!f.records[i].text.empty()) {
        rec += f.records[i].arg;
        children += f.records[i].text;
      } else {
        rec += "null";
        append_json(children, describe_skipped(n.args[i]));
      }
    }
    rec += ']';
    if (ok) {
      append_json_key(rec, "result");
      rec += result;
    }
    append_json_key(rec, "children");
    rec += '[';
    rec += children;
    rec += ']';
  }
  if (!ok) {
    append_json_key(rec, "error");
    append_json(rec, c.error_value);
  }
  rec += '}';
  attach(ex, n, std::move(rec), std::move(result));
  return ok;
}

bool eval_array(const Node& n, Ctx& c, Value& out) {
  Json arr = Json::array();
  for (const Node& a : n.args) {
    Value v;
    if (!eval(a, c, v)) return false;
    arr.push_back(v.take());
  }
  out.set(std::move(arr));
  return true;
}

bool dispatch(const Node& n, Ctx& c, Value& out) {
  switch (n.kind) {
    case NodeKind::Literal: out.ref(n.literal); return true;
    case NodeKind::Array: return eval_array(n, c, out);
    case NodeKind::Op: return n.op->fn(n, c, out);
  }
  return false;
}

}  // namespace

bool eval(const Node& n, Ctx& c, Value& out) {
  if (++c.steps > c.opt.max_steps) return c.charge(n, 0);
  if (c.ex) return eval_explained(n, c, out);
  return dispatch(n, c, out);
}

bool Args::collect(const Node& n, Ctx& c) {
  if (n.spread) {
    if (!eval(n.args[0], c, owner_)) return false;
    const Json& v = owner_.get();
    std::size_t count = 1;
    if (v.is_array()) {
      spread_ = &v;
      count = v.size();
    } else {
      inline_[0] = std::move(owner_);
      count_ = 1;
    }
    const OpDef& op = *n.op;
    if (static_cast<long>(count) < op.min_args || (op.max_args >= 0 && static_cast<long>(count) > op.max_args)) {
      return c.fail(n, kInvalidArguments,
                    "\"" + std::string(op.name) + "\" got " + std::to_string(count) + " arguments from " +
                        short_json(v, 40) + ": " + op.usage);
    }
    return true;
  }
  count_ = n.args.size();
  if (count_ > kInline) more_.resize(count_ - kInline);
  for (std::size_t i = 0; i < count_; ++i) {
    Value& slot = i < kInline ? inline_[i] : more_[i - kInline];
    if (!eval(n.args[i], c, slot)) return false;
  }
  return true;
}

const Json& Args::at_or_null(std::size_t i) const {
  static const Json kNull;
  return i < size() ? (*this)[i] : kNull;
}

}  // namespace detail

// [SECTION] public API

namespace {

Error to_error(const detail::Ctx& c, const std::string& base) {
  Error e;
  e.message = c.error_message;
  e.pointer = base + c.error_pointer;
  return e;
}

Result<Json> run(const Node* root, const std::string& base, const Json& data, const EvalOptions& options,
                 Json* error_value, std::string* tree) {
  if (error_value) *error_value = nullptr;
  if (!root) {
    if (tree) *tree = "{\"value\":null}";
    return Json();
  }
  detail::Ctx c(options, data);
  detail::Frame top;
  top.kind = detail::Frame::Kind::Data;
  top.value = &data;
  if (!options.root_aliases.empty()) top.aliases = &options.root_aliases;
  c.top = &top;
  detail::Explainer ex;
  if (tree) c.ex = &ex;
  try {
    if (root->root.depth > options.max_depth) {
      c.fail_limit(root->root, "the rule is nested " + std::to_string(root->root.depth) +
                                   " levels deep; the limit (max_depth) is " + std::to_string(options.max_depth));
      if (error_value) *error_value = c.error_value;
      if (tree) {
        *tree = "{\"error\":";
        append_json(*tree, c.error_value);
        *tree += '}';
      }
      return to_error(c, base);
    }
    detail::Value out;
    bool ok = detail::eval(root->root, c, out);
    if (tree) *tree = std::move(ex.root);
    if (!ok) {
      if (error_value) *error_value = c.error_value;
      return to_error(c, base);
    }
    return out.take();
  } catch (const std::bad_alloc&) {
    if (error_value) *error_value = Json::object({{"type", "Limit"}});
    return Error{"evaluation ran out of memory", base, 0, 0};
  } catch (const std::exception& e) {
    if (error_value) *error_value = Json::object({{"type", "Internal"}});
    return Error{std::string("evaluation failed: ") + e.what(), base, 0, 0};
  } catch (...) {
    if (error_value) *error_value = Json::object({{"type", "Internal"}});
    return Error{"evaluation failed", base, 0, 0};
  }
}

}  // namespace

Result<Condition> Condition::compile(const Json& rule, const std::string& pointer_base) {
  return compile(rule, pointer_base, nullptr);
}

Result<Condition> Condition::compile(const Json& rule, const std::string& pointer_base, Json* error_value) {
  return compile_with(rule, pointer_base, error_value, nullptr);
}

Result<Condition> Condition::compile(const Json& rule, const std::string& pointer_base, const CompileOptions& options) {
  return compile_with(rule, pointer_base, nullptr, options.rules);
}

Result<Condition> Condition::compile_with(const Json& rule, const std::string& pointer_base, Json* error_value,
                                          const NamedRules* rules) {
  if (error_value) *error_value = nullptr;
  try {
    auto node = std::make_shared<Node>();
    detail::Compiler compiler;
    compiler.rules = rules;
    if (!compiler.compile(rule, "", 1, node->root)) {
      if (error_value) *error_value = Json::object({{"type", compiler.error_type}});
      return Error{compiler.error, pointer_base + compiler.error_pointer, 0, 0};
    }
    Condition c;
    c.root_ = std::move(node);
    c.source_ = rule;
    c.base_ = pointer_base;
    return c;
  } catch (const std::exception& e) {
    if (error_value) *error_value = Json::object({{"type", "Internal"}});
    return Error{std::string("the rule could not be compiled: ") + e.what(), pointer_base, 0, 0};
  } catch (...) {
    if (error_value) *error_value = Json::object({{"type", "Internal"}});
    return Error{"the rule could not be compiled", pointer_base, 0, 0};
  }
}

Result<Json> Condition::evaluate(const Json& data, const EvalOptions& options) const {
  return run(root_.get(), base_, data, options, nullptr, nullptr);
}

Result<Json> Condition::evaluate(const Json& data, const EvalOptions& options, Json* error_value) const {
  return run(root_.get(), base_, data, options, error_value, nullptr);
}

Result<Json> Condition::explain(const Json& data, Json* tree, const EvalOptions& options) const {
  std::string text;
  auto r = run(root_.get(), base_, data, options, nullptr, &text);
  if (tree) *tree = text.empty() ? Json() : Json::parse(text);
  return r;
}

Result<Json> Condition::explain_text(const Json& data, std::string* tree, const EvalOptions& options) const {
  std::string scratch;
  std::string& text = tree ? *tree : scratch;
  text.clear();
  return run(root_.get(), base_, data, options, nullptr, &text);
}

std::string correlation_key(const Json& value) {
  if (value.is_number()) return detail::js_number_string(detail::to_number(value));
  if (!value.is_string()) return std::string();
  double d = detail::to_number(value);
  if (d == d) return detail::js_number_string(d);  // a numeric text equals that number
  return "s:" + value.get<std::string>();
}

bool truthy(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return false;
    case Json::value_t::boolean: return value.get<bool>();
    case Json::value_t::number_integer: return value.get<std::int64_t>() != 0;
    case Json::value_t::number_unsigned: return value.get<std::uint64_t>() != 0;
    case Json::value_t::number_float: {
      double d = value.get<double>();
      return d != 0 && d == d;
    }
    case Json::value_t::string: return !value.get_ref<const std::string&>().empty();
    case Json::value_t::array: return !value.empty();
    default: return true;
  }
}

std::vector<std::string> operator_names() {
  std::vector<std::string> out;
  for (const detail::OpDef& op : detail::kOps) out.emplace_back(op.name);
  return out;
}

std::vector<OperatorInfo> operator_catalog() {
  std::vector<OperatorInfo> out;
  for (const detail::OpDef& op : detail::kOps) out.push_back({op.name, op.usage, op.group});
  return out;
}

}  // namespace shopflow::logic
