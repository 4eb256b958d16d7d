// The operators of JSON Logic (jsonlogic.com) and of its newer community specification
// (val, exists, ??, throw, try, scopes), following the shared conformance suites.
// Registered in the table in condition.cpp.
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>

#include "logic_internal.hpp"

namespace shopflow::logic::detail {

namespace {

std::string op_name(const Node& n) { return std::string("\"") + n.op->name + "\""; }

// [SECTION] numbers: exact int64 where JavaScript would be exact too, else doubles

struct Num {
  bool is_int = true;
  std::int64_t i = 0;
  double d = 0;
  double as_double() const { return is_int ? static_cast<double>(i) : d; }
};

constexpr double kTwo53 = 9007199254740992.0;

Num num_from_double(double d) {
  Num n;
  if (std::isfinite(d) && std::fabs(d) < kTwo53 && std::floor(d) == d) {
    n.i = static_cast<std::int64_t>(d);
  } else {
    n.is_int = false;
    n.d = d;
  }
  return n;
}

bool to_num(const Json& v, Num* out) {
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    out->is_int = true;
    out->i = v.get<std::int64_t>();
    return true;
  }
  if (v.is_number_unsigned() && v.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)) {
    out->is_int = true;
    out->i = static_cast<std::int64_t>(v.get<std::uint64_t>());
    return true;
  }
  double d = to_number(v);
  if (is_nan(d)) return false;
  *out = num_from_double(d);
  return true;
}

Json num_json(const Num& n) { return n.is_int ? Json(n.i) : number_json(n.d); }

bool not_a_number(const Node& n, Ctx& c, const Json& v) {
  return c.fail(n, kNaN, op_name(n) + " cannot use " + describe(v) + " as a number");
}

bool finish(const Node& n, Ctx& c, const Num& r, Value& out) {
  if (!r.is_int && !std::isfinite(r.d)) return c.fail(n, kNaN, op_name(n) + " gave a result that is not a finite number");
  out.set(num_json(r));
  return true;
}

Num add(const Num& a, const Num& b) {
  Num r;
  if (a.is_int && b.is_int && !__builtin_add_overflow(a.i, b.i, &r.i)) return r;
  return num_from_double(a.as_double() + b.as_double());
}

Num mul(const Num& a, const Num& b) {
  Num r;
  if (a.is_int && b.is_int && !__builtin_mul_overflow(a.i, b.i, &r.i)) return r;
  return num_from_double(a.as_double() * b.as_double());
}

Num sub(const Num& a, const Num& b) {
  Num r;
  if (a.is_int && b.is_int && !__builtin_sub_overflow(a.i, b.i, &r.i)) return r;
  return num_from_double(a.as_double() - b.as_double());
}

int cmp(const Num& a, const Num& b) {
  if (a.is_int && b.is_int) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  double x = a.as_double(), y = b.as_double();
  return x < y ? -1 : (x > y ? 1 : 0);
}

// [SECTION] comparison chains: a op b op c ..., evaluated left to right, stopping at false

enum class Rel { Eq, Ne, StrictEq, StrictNe, Gt, Ge, Lt, Le };

const char* kRelWord[] = {"equal", "differ", "equal", "differ", "order", "order", "order", "order"};

bool chain(const Node& n, Ctx& c, Value& out, Rel rel) {
  Value prev, cur;
  if (!eval(n.args[0], c, prev)) return false;
  for (std::size_t i = 1; i < n.args.size(); ++i) {
    if (!eval(n.args[i], c, cur)) return false;
    const Json& a = prev.get();
    const Json& b = cur.get();
    bool holds = false;
    if (rel == Rel::StrictEq || rel == Rel::StrictNe) {
      holds = strict_equal(a, b) == (rel == Rel::StrictEq);
    } else {
      Order o = (rel == Rel::Eq || rel == Rel::Ne) ? loose_equality(a, b) : loose_order(a, b);
      if (o == Order::Unordered) {
        return c.fail(n, kNaN,
                      op_name(n) + " cannot " + kRelWord[static_cast<int>(rel)] + " " + describe(a) + " and " +
                          describe(b) +
                          ": arrays and objects are not compared, and text against a number must read as a number");
      }
      switch (rel) {
        case Rel::Eq: holds = o == Order::Equal; break;
        case Rel::Ne: holds = o != Order::Equal; break;
        case Rel::Gt: holds = o == Order::Greater; break;
        case Rel::Ge: holds = o == Order::Greater || o == Order::Equal; break;
        case Rel::Lt: holds = o == Order::Less; break;
        case Rel::Le: holds = o == Order::Less || o == Order::Equal; break;
        default: break;
      }
    }
    if (!holds) {
      out.set(false);
      return true;
    }
    prev = std::move(cur);
  }
  out.set(true);
  return true;
}

// [SECTION] helpers

bool missing_key(Ctx& c, const Json& key) {
  std::vector<PathSeg> segs = split_var_path(key.is_string() ? key.get<std::string>() : to_js_string(key));
  Value v;
  bool found;
  resolve(c.top, 0, segs, v, &found);
  const Json& j = v.get();
  return !found || j.is_null() || (j.is_string() && j.get_ref<const std::string&>().empty());
}

// The evaluated array an iterator walks, or a failure. `null_is_empty`: map, filter and
// reduce treat a missing array as empty; all, some and none call it a mistake.
bool iterated(const Node& n, Ctx& c, Value& arr, bool null_is_empty, bool* empty_null) {
  *empty_null = false;
  if (!eval(n.args[0], c, arr)) return false;
  const Json& a = arr.get();
  if (a.is_array()) return c.charge(n, a.size());
  if (a.is_null() && null_is_empty) {
    *empty_null = true;
    return true;
  }
  return c.fail(n, kInvalidArguments, op_name(n) + " needs an array to go through, not " + describe(a));
}

// Per-item evaluation of args[1] with the scope item -> {index} -> outer context.
struct ItemScope {
  Frame meta;
  Frame item;
};

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

// Byte offsets of each code point start, plus the end.
std::vector<std::size_t> utf8_offsets(const std::string& s) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) out.push_back(i);
  }
  out.push_back(s.size());
  return out;
}

long long js_integer(const Json& v) {
  double d = to_number(v);
  if (is_nan(d)) return 0;
  if (d > 1e15) return 1000000000000000LL;
  if (d < -1e15) return -1000000000000000LL;
  return static_cast<long long>(std::trunc(d));
}

std::string text_of(const Json& v) { return v.is_string() ? v.get<std::string>() : to_js_string(v); }

}  // namespace

// [SECTION] data

bool op_var(const Node& n, Ctx& c, Value& out) {
  bool found = false;
  if (n.static_path) {
    resolve(c.top, 0, n.path, out, &found);
  } else {
    Value p;
    if (!eval(n.args[0], c, p)) return false;
    const Json& pv = p.get();
    std::vector<PathSeg> segs;
    if (!pv.is_null()) segs = split_var_path(text_of(pv));
    resolve(c.top, 0, segs, out, &found);
  }
  if (!found && n.args.size() > 1) return eval(n.args[1], c, out);
  return true;
}

namespace {

// val / exists with a path computed at run time: evaluate the segments, then read.
bool dynamic_val(const Node& n, Ctx& c, Value& out, bool* found) {
  Json spec;
  if (n.literal.is_array()) {
    spec = Json::array();
    for (const Node& a : n.args) {
      Value v;
      if (!eval(a, c, v)) return false;
      spec.push_back(v.take());
    }
  } else {
    Value v;
    if (!eval(n.args[0], c, v)) return false;
    spec = v.take();
  }
  if (spec.is_array() && spec.size() == 1 && !spec[0].is_array()) spec = Json(spec[0]);
  std::vector<PathSeg> segs;
  int climb = 0;
  if (!spec.is_array()) {
    if (!spec.is_null()) segs.push_back(seg_from_json(spec));
  } else {
    std::size_t start = 0;
    if (!spec.empty() && spec[0].is_array() && spec[0].size() == 1) {
      double d = std::fabs(to_number(spec[0][0]));
      climb = is_nan(d) ? 0 : (d > 1000 ? 1000 : static_cast<int>(d));
      start = 1;
    }
    for (std::size_t i = start; i < spec.size(); ++i) {
      if (!spec[i].is_null()) segs.push_back(seg_from_json(spec[i]));
    }
  }
  Value r;
  resolve(c.top, climb, segs, r, found);
  out.set(r.take());  // the segments die here; whatever r refers to does not
  return true;
}

}  // namespace

bool op_val(const Node& n, Ctx& c, Value& out) {
  bool found = false;
  if (n.static_path) {
    resolve(c.top, n.climb, n.path, out, &found);
    return true;
  }
  return dynamic_val(n, c, out, &found);
}

bool op_exists(const Node& n, Ctx& c, Value& out) {
  bool found = false;
  Value v;
  if (n.static_path) {
    resolve(c.top, n.climb, n.path, v, &found);
  } else if (!dynamic_val(n, c, v, &found)) {
    return false;
  }
  out.set(found);
  return true;
}

bool op_missing(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  Json result = Json::array();
  auto check = [&](const Json& key) {
    if (missing_key(c, key)) result.push_back(key);
  };
  if (a.size() > 0 && a[0].is_array()) {
    if (!c.charge(n, a[0].size())) return false;
    for (const Json& key : a[0]) check(key);
  } else {
    if (!c.charge(n, a.size())) return false;
    for (std::size_t i = 0; i < a.size(); ++i) check(a[i]);
  }
  out.set(std::move(result));
  return true;
}

bool op_missing_some(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  const Json& keys = a[1];
  if (!keys.is_array()) {
    return c.fail(n, kInvalidArguments, "\"missing_some\" needs an array of keys second, not " + describe(keys));
  }
  Num need;
  if (!to_num(a[0], &need)) {
    return c.fail(n, kInvalidArguments, "\"missing_some\" needs a count first, not " + describe(a[0]));
  }
  if (!c.charge(n, keys.size())) return false;
  Json result = Json::array();
  for (const Json& key : keys) {
    if (missing_key(c, key)) result.push_back(key);
  }
  double present = static_cast<double>(keys.size() - result.size());
  if (present >= need.as_double()) result = Json::array();
  out.set(std::move(result));
  return true;
}

bool op_preserve(const Node& n, Ctx& /*c*/, Value& out) {
  out.ref(n.literal);
  return true;
}

bool op_object(const Node& n, Ctx& c, Value& out) {
  Json result = Json::object();
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    Value v;
    if (!eval(n.args[i], c, v)) return false;
    result[n.keys[i]] = v.take();
  }
  out.set(std::move(result));
  return true;
}

// [SECTION] logic

bool op_if(const Node& n, Ctx& c, Value& out) {
  std::size_t k = n.args.size();
  if (k == 0) {
    out.set(nullptr);
    return true;
  }
  for (std::size_t i = 0; i + 1 < k; i += 2) {
    Value test;
    if (!eval(n.args[i], c, test)) return false;
    if (truthy(test.get())) return eval(n.args[i + 1], c, out);
  }
  if (k % 2 == 1) return eval(n.args[k - 1], c, out);
  out.set(nullptr);
  return true;
}

bool op_eq(const Node& n, Ctx& c, Value& out) { return chain(n, c, out, Rel::Eq); }
bool op_ne(const Node& n, Ctx& c, Value& out) { return chain(n, c, out, Rel::Ne); }
bool op_strict_eq(const Node& n, Ctx& c, Value& out) { return chain(n, c, out, Rel::StrictEq); }
bool op_strict_ne(const Node& n, Ctx& c, Value& out) { return chain(n, c, out, Rel::StrictNe); }
bool op_gt(const Node& n, Ctx& c, Value& out) { return chain(n, c, out, Rel::Gt); }
bool op_ge(const Node& n, Ctx& c, Value& out) { return chain(n, c, out, Rel::Ge); }
bool op_lt(const Node& n, Ctx& c, Value& out) { return chain(n, c, out, Rel::Lt); }
bool op_le(const Node& n, Ctx& c, Value& out) { return chain(n, c, out, Rel::Le); }

bool op_not(const Node& n, Ctx& c, Value& out) {
  if (n.args.empty()) {
    out.set(true);
    return true;
  }
  Value v;
  if (!eval(n.args[0], c, v)) return false;
  out.set(!truthy(v.get()));
  return true;
}

bool op_truthy(const Node& n, Ctx& c, Value& out) {
  if (n.args.empty()) {
    out.set(false);
    return true;
  }
  Value v;
  if (!eval(n.args[0], c, v)) return false;
  out.set(truthy(v.get()));
  return true;
}

// A named rule: its compiled body is the only argument (see Compiler::compile).
bool op_rule(const Node& n, Ctx& c, Value& out) {
  if (n.args.empty()) {
    out.set(nullptr);
    return true;
  }
  return eval(n.args[0], c, out);
}

bool op_or(const Node& n, Ctx& c, Value& out) {
  if (n.args.empty()) {
    out.set(false);
    return true;
  }
  for (const Node& a : n.args) {
    if (!eval(a, c, out)) return false;
    if (truthy(out.get())) return true;
  }
  return true;
}

bool op_and(const Node& n, Ctx& c, Value& out) {
  if (n.args.empty()) {
    out.set(false);
    return true;
  }
  for (const Node& a : n.args) {
    if (!eval(a, c, out)) return false;
    if (!truthy(out.get())) return true;
  }
  return true;
}

bool op_coalesce(const Node& n, Ctx& c, Value& out) {
  if (n.spread) {
    Args a;
    if (!a.collect(n, c)) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_null()) {
        out.set(a[i]);
        return true;
      }
    }
    out.set(nullptr);
    return true;
  }
  for (const Node& a : n.args) {
    if (!eval(a, c, out)) return false;
    if (!out.get().is_null()) return true;
  }
  out.set(nullptr);
  return true;
}

bool op_throw(const Node& n, Ctx& c, Value& /*out*/) {
  Value v;
  if (!eval(n.args[0], c, v)) return false;
  Json thrown = v.take();
  if (thrown.is_array()) thrown = thrown.empty() ? Json() : Json(thrown[0]);
  if (!thrown.is_object()) thrown = Json::object({{"type", std::move(thrown)}});
  return c.fail_thrown(n, std::move(thrown));
}

bool op_try(const Node& n, Ctx& c, Value& out) {
  if (n.args.empty()) {
    out.set(nullptr);
    return true;
  }
  Value v;
  if (eval(n.args[0], c, v)) {
    out = std::move(v);
    return true;
  }
  for (std::size_t i = 1; i < n.args.size(); ++i) {
    if (!c.catchable) return false;
    // The fallback reads the error: {"val": "type"}; [[2], ...] climbs back to the data.
    Json error = c.error_value;
    Frame meta;
    meta.kind = Frame::Kind::Iteration;
    meta.has_index = false;
    Frame scope;
    scope.value = &error;
    ScopeGuard g1(c, meta);
    ScopeGuard g2(c, scope);
    c.clear_error();
    Value r;
    if (eval(n.args[i], c, r)) {
      out.set(r.take());  // may point into `error`, which ends here
      return true;
    }
  }
  return false;
}

bool op_log(const Node& n, Ctx& c, Value& out) {
  if (!eval(n.args[0], c, out)) return false;
  if (c.opt.log) c.opt.log(out.get());
  return true;
}

// [SECTION] math

bool op_add(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  Num r;
  for (std::size_t i = 0; i < a.size(); ++i) {
    Num x;
    if (!to_num(a[i], &x)) return not_a_number(n, c, a[i]);
    r = add(r, x);
  }
  return finish(n, c, r, out);
}

bool op_mul(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  Num r;
  r.i = 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    Num x;
    if (!to_num(a[i], &x)) return not_a_number(n, c, a[i]);
    r = mul(r, x);
  }
  return finish(n, c, r, out);
}

bool op_sub(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  Num r;
  if (!to_num(a[0], &r)) return not_a_number(n, c, a[0]);
  if (a.size() == 1) return finish(n, c, sub(Num(), r), out);
  for (std::size_t i = 1; i < a.size(); ++i) {
    Num x;
    if (!to_num(a[i], &x)) return not_a_number(n, c, a[i]);
    r = sub(r, x);
  }
  return finish(n, c, r, out);
}

bool op_div(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  Num r;
  if (!to_num(a[0], &r)) return not_a_number(n, c, a[0]);
  std::size_t first = 1;
  if (a.size() == 1) {
    // {"/": x} is 1 / x.
    first = 0;
    r = Num();
    r.i = 1;
  }
  for (std::size_t i = first; i < a.size(); ++i) {
    Num x;
    if (!to_num(a[i], &x)) return not_a_number(n, c, a[i]);
    if (x.as_double() == 0) return c.fail(n, kNaN, "\"/\" cannot divide by " + describe(a[i]) + " (division by zero)");
    if (r.is_int && x.is_int && x.i != -1 && r.i % x.i == 0) {
      r.i /= x.i;
    } else {
      r = num_from_double(r.as_double() / x.as_double());
    }
  }
  return finish(n, c, r, out);
}

bool op_mod(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  Num r;
  if (!to_num(a[0], &r)) return not_a_number(n, c, a[0]);
  for (std::size_t i = 1; i < a.size(); ++i) {
    Num x;
    if (!to_num(a[i], &x)) return not_a_number(n, c, a[i]);
    if (x.as_double() == 0) return c.fail(n, kNaN, "\"%\" cannot take a remainder of division by " + describe(a[i]));
    if (r.is_int && x.is_int) {
      r.i = x.i == -1 ? 0 : r.i % x.i;
    } else {
      r = num_from_double(std::fmod(r.as_double(), x.as_double()));
    }
  }
  return finish(n, c, r, out);
}

namespace {

bool extreme(const Node& n, Ctx& c, Value& out, int want) {
  Args a;
  if (!a.collect(n, c)) return false;
  if (a.size() == 0) {
    out.set(nullptr);
    return true;
  }
  Num best;
  for (std::size_t i = 0; i < a.size(); ++i) {
    Num x;
    if (!to_num(a[i], &x)) return not_a_number(n, c, a[i]);
    if (i == 0 || cmp(x, best) == want) best = x;
  }
  return finish(n, c, best, out);
}

}  // namespace

bool op_max(const Node& n, Ctx& c, Value& out) { return extreme(n, c, out, 1); }
bool op_min(const Node& n, Ctx& c, Value& out) { return extreme(n, c, out, -1); }

// [SECTION] arrays

bool op_map(const Node& n, Ctx& c, Value& out) {
  Value arr;
  bool none;
  if (!iterated(n, c, arr, true, &none)) return false;
  Json result = Json::array();
  if (none) {
    out.set(std::move(result));
    return true;
  }
  const Json& a = arr.get();
  if (!c.check_size(n, a.size(), "the mapped array")) return false;
  ItemScope s;
  s.meta.kind = Frame::Kind::Iteration;
  s.meta.has_index = true;
  ScopeGuard g1(c, s.meta);
  ScopeGuard g2(c, s.item);
  for (std::size_t i = 0; i < a.size(); ++i) {
    s.meta.index = i;
    s.item.value = &a[i];
    explain_item(c, static_cast<long>(i));
    Value v;
    if (!eval(n.args[1], c, v)) return false;
    result.push_back(v.take());
  }
  explain_item(c, -1);
  out.set(std::move(result));
  return true;
}

bool op_filter(const Node& n, Ctx& c, Value& out) {
  Value arr;
  bool none;
  if (!iterated(n, c, arr, true, &none)) return false;
  Json result = Json::array();
  if (none) {
    out.set(std::move(result));
    return true;
  }
  const Json& a = arr.get();
  ItemScope s;
  s.meta.kind = Frame::Kind::Iteration;
  s.meta.has_index = true;
  ScopeGuard g1(c, s.meta);
  ScopeGuard g2(c, s.item);
  for (std::size_t i = 0; i < a.size(); ++i) {
    s.meta.index = i;
    s.item.value = &a[i];
    explain_item(c, static_cast<long>(i));
    Value v;
    if (!eval(n.args[1], c, v)) return false;
    if (truthy(v.get())) result.push_back(a[i]);
  }
  explain_item(c, -1);
  out.set(std::move(result));
  return true;
}

bool op_reduce(const Node& n, Ctx& c, Value& out) {
  Value acc;
  bool initial = n.args.size() > 2;
  if (initial && !eval(n.args[2], c, acc)) return false;
  Value arr;
  bool none;
  if (!iterated(n, c, arr, true, &none)) return false;
  if (none) {
    if (initial) {
      out = std::move(acc);
    } else {
      out.set(nullptr);
    }
    return true;
  }
  const Json& a = arr.get();
  std::size_t start = 0;
  if (!initial) {
    // Without an initial value the first item is the accumulator (JavaScript's reduce).
    if (a.empty()) {
      out.set(nullptr);
      return true;
    }
    acc.ref(a[0]);
    start = 1;
  }
  Frame meta;
  meta.kind = Frame::Kind::Iteration;
  meta.has_index = true;
  Frame item;
  item.kind = Frame::Kind::Reduce;
  ScopeGuard g1(c, meta);
  ScopeGuard g2(c, item);
  for (std::size_t i = start; i < a.size(); ++i) {
    meta.index = i;
    item.value = &a[i];
    item.accumulator = &acc.get();
    explain_item(c, static_cast<long>(i));
    Value v;
    if (!eval(n.args[1], c, v)) return false;
    Json next = v.take();  // before acc changes: v may point into it
    acc.set(std::move(next));
  }
  explain_item(c, -1);
  out.set(acc.take());
  return true;
}

namespace {

// all / some / none: the first item whose truthiness is `stop_on` decides.
bool quantifier(const Node& n, Ctx& c, bool stop_on, bool* stopped, bool* empty) {
  Value arr;
  bool none;
  if (!iterated(n, c, arr, false, &none)) return false;
  const Json& a = arr.get();
  *empty = a.empty();
  *stopped = false;
  ItemScope s;
  s.meta.kind = Frame::Kind::Iteration;
  s.meta.has_index = true;
  ScopeGuard g1(c, s.meta);
  ScopeGuard g2(c, s.item);
  for (std::size_t i = 0; i < a.size(); ++i) {
    s.meta.index = i;
    s.item.value = &a[i];
    explain_item(c, static_cast<long>(i));
    Value v;
    if (!eval(n.args[1], c, v)) return false;
    if (truthy(v.get()) == stop_on) {
      *stopped = true;
      break;
    }
  }
  explain_item(c, -1);
  return true;
}

}  // namespace

bool op_all(const Node& n, Ctx& c, Value& out) {
  bool stopped, empty;
  if (!quantifier(n, c, false, &stopped, &empty)) return false;
  out.set(!empty && !stopped);
  return true;
}

bool op_some(const Node& n, Ctx& c, Value& out) {
  bool stopped, empty;
  if (!quantifier(n, c, true, &stopped, &empty)) return false;
  out.set(stopped);
  return true;
}

bool op_none(const Node& n, Ctx& c, Value& out) {
  bool stopped, empty;
  if (!quantifier(n, c, true, &stopped, &empty)) return false;
  out.set(!stopped);
  return true;
}

bool op_merge(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  std::size_t total = 0;
  for (std::size_t i = 0; i < a.size(); ++i) total += a[i].is_array() ? a[i].size() : 1;
  if (!c.check_size(n, total, "the merged array") || !c.charge(n, total)) return false;
  Json result = Json::array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_array()) {
      for (const Json& item : a[i]) result.push_back(item);
    } else {
      result.push_back(a[i]);
    }
  }
  out.set(std::move(result));
  return true;
}

bool op_in(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  const Json& needle = a[0];
  const Json& hay = a[1];
  bool found = false;
  if (hay.is_string()) {
    const std::string& h = hay.get_ref<const std::string&>();
    found = needle.is_string() ? h.find(needle.get_ref<const std::string&>()) != std::string::npos
                               : h.find(text_of(needle)) != std::string::npos;
  } else if (hay.is_array()) {
    if (!c.charge(n, hay.size())) return false;
    for (const Json& item : hay) {
      if (strict_equal(item, needle)) {
        found = true;
        break;
      }
    }
  }
  out.set(found);
  return true;
}

bool op_length(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  const Json& v = a[0];
  std::size_t len = 0;
  if (v.is_string()) len = utf8_length(v.get_ref<const std::string&>());
  else if (v.is_array() || v.is_object()) len = v.size();
  out.set(len);
  return true;
}

// [SECTION] strings

bool op_cat(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  std::string s;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_null()) continue;
    append_js_string(s, a[i]);
    if (!c.check_size(n, s.size(), "the joined text")) return false;
  }
  if (!c.charge(n, s.size() / 1024)) return false;
  out.set(std::move(s));
  return true;
}

bool op_substr(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  std::string s = text_of(a[0]);
  std::vector<std::size_t> at = utf8_offsets(s);
  long long size = static_cast<long long>(at.size()) - 1;
  long long start = js_integer(a[1]);
  if (start < 0) start = std::max(size + start, 0LL);
  if (start > size) start = size;
  long long end = size;
  if (a.size() > 2 && !a[2].is_null()) {
    long long len = js_integer(a[2]);
    // A negative length leaves that many characters off the end.
    end = len < 0 ? size + len : start + len;
    if (end > size) end = size;
  }
  if (end < start) end = start;
  out.set(s.substr(at[static_cast<std::size_t>(start)], at[static_cast<std::size_t>(end)] - at[static_cast<std::size_t>(start)]));
  return true;
}

bool op_lower(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  // A missing value is empty text, as for cat: {"lower": null} must not become "null".
  std::string s = a[0].is_null() ? std::string() : text_of(a[0]);
  for (char& ch : s) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  out.set(std::move(s));
  return true;
}

bool op_upper(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  // A missing value is empty text, as for cat: {"upper": null} must not become "null".
  std::string s = a[0].is_null() ? std::string() : text_of(a[0]);
  for (char& ch : s) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
  out.set(std::move(s));
  return true;
}

bool op_starts_with(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  if (a[0].is_null()) {
    out.set(false);
    return true;
  }
  std::string s = text_of(a[0]), p = text_of(a[1]);
  out.set(s.compare(0, p.size(), p) == 0 && s.size() >= p.size());
  return true;
}

bool op_ends_with(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  if (a[0].is_null()) {
    out.set(false);
    return true;
  }
  std::string s = text_of(a[0]), p = text_of(a[1]);
  out.set(s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0);
  return true;
}

}  // namespace shopflow::logic::detail
