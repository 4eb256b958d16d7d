// Shopflow's commerce operators for JSON Logic: exact money (decimal.hpp), Shopify-style
// tag lists, ISO 8601 time arithmetic (timeutil.hpp) and table lookups. Registered in the
// table in condition.cpp; documented in workflows/CONDITIONS.md.
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "logic_internal.hpp"
#include "shopflow/currency.hpp"
#include "shopflow/decimal.hpp"
#include "shopflow/time_zone.hpp"
#include "shopflow/timeutil.hpp"

namespace shopflow::logic::detail {

namespace {

std::string op_name(const Node& n) { return std::string("\"") + n.op->name + "\""; }

std::string ordinal(std::size_t i) {
  static const char* kWords[] = {"first", "second", "third", "fourth", "fifth"};
  return i < 5 ? kWords[i] : "argument " + std::to_string(i + 1) + " as";
}

// [SECTION] money

bool to_decimal(const Node& n, Ctx& c, const Json& v, std::size_t index, Decimal* out) {
  Result<Decimal> d = Error{};
  switch (v.type()) {
    case Json::value_t::string: d = Decimal::parse(v.get_ref<const std::string&>()); break;
    case Json::value_t::number_integer: d = Decimal::from_int(v.get<std::int64_t>()); break;
    case Json::value_t::number_unsigned: d = Decimal::parse(std::to_string(v.get<std::uint64_t>())); break;
    case Json::value_t::number_float: d = Decimal::from_double(v.get<double>()); break;
    default:
      return c.fail(n, kNaN,
                    op_name(n) + " needs an amount as its " + ordinal(index) + " argument, not " + describe(v) +
                        "; write amounts as \"49.90\" or 49.9" +
                        (v.is_null() ? " (for a value that may be missing, use {\"??\": [value, \"0\"]})" : ""));
  }
  if (!d) return c.fail(n, kNaN, op_name(n) + ": " + d.error().message);
  *out = d.value();
  return true;
}

bool money_out(Ctx& c, const Node& n, const Result<Decimal>& d, Value& out) {
  if (!d) return c.fail(n, kNaN, op_name(n) + ": " + d.error().message);
  out.set(d.value().to_money_string(2));
  return true;
}

// Reads a currency code ("JPY", "bhd") as its ISO 4217 minor units; a code the currency table
// does not hold has 2. False (and a failure) when `v` is not a three-letter code.
bool currency_places(const Node& n, Ctx& c, const Json& v, int* places) {
  std::string code = v.is_string() ? v.get<std::string>() : std::string();
  for (char& ch : code) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
  if (!is_currency_code(code)) {
    return c.fail(n, kInvalidArguments,
                  op_name(n) + " needs a currency code such as \"USD\" (ISO 4217), not " + describe(v));
  }
  const Currency* known = find_currency(code);
  *places = known ? known->minor_units : 2;
  return true;
}

// A number of places, or a currency code standing for its minor units (then `*exact` is set:
// the result shows exactly that many digits, "1.500" in BHD).
bool places_arg(const Node& n, Ctx& c, const Args& a, std::size_t i, int max, int* places, bool* exact) {
  *places = 2;
  *exact = false;
  if (i >= a.size() || a[i].is_null()) return true;
  if (a[i].is_string() && a[i].get_ref<const std::string&>().size() == 3 &&
      std::isalpha(static_cast<unsigned char>(a[i].get_ref<const std::string&>()[0]))) {
    *exact = true;
    return currency_places(n, c, a[i], places);
  }
  double d = to_number(a[i]);
  if (is_nan(d) || d < 0 || d > max || std::floor(d) != d) {
    return c.fail(n, kInvalidArguments,
                  op_name(n) + " needs a whole number of places from 0 to " + std::to_string(max) +
                      " or a currency code such as \"JPY\", not " + describe(a[i]));
  }
  *places = static_cast<int>(d);
  return true;
}

bool rounding_arg(const Node& n, Ctx& c, const Args& a, std::size_t i, Rounding* mode) {
  *mode = Rounding::HalfUp;
  if (i >= a.size() || a[i].is_null()) return true;
  if (!a[i].is_string()) {
    return c.fail(n, kInvalidArguments, op_name(n) + " needs a rounding mode name, not " + describe(a[i]));
  }
  auto r = Decimal::parse_rounding(a[i].get_ref<const std::string&>());
  if (!r) return c.fail(n, kInvalidArguments, op_name(n) + ": " + r.error().message);
  *mode = r.value();
  return true;
}

enum class Fold { Add, Sub, Mul, Min, Max };

bool fold(const Node& n, Ctx& c, Value& out, Fold how) {
  Args a;
  if (!a.collect(n, c)) return false;
  Decimal acc;
  if (!to_decimal(n, c, a[0], 0, &acc)) return false;
  for (std::size_t i = 1; i < a.size(); ++i) {
    Decimal x;
    if (!to_decimal(n, c, a[i], i, &x)) return false;
    Result<Decimal> r = acc;
    switch (how) {
      case Fold::Add: r = acc.add(x); break;
      case Fold::Sub: r = acc.sub(x); break;
      case Fold::Mul: r = acc.mul(x); break;
      case Fold::Min: r = x < acc ? x : acc; break;
      case Fold::Max: r = acc < x ? x : acc; break;
    }
    if (!r) return c.fail(n, kNaN, op_name(n) + ": " + r.error().message);
    acc = r.value();
  }
  return money_out(c, n, acc, out);
}

bool compare(const Node& n, Ctx& c, Value& out, int* result) {
  Args a;
  if (!a.collect(n, c)) return false;
  Decimal x, y;
  if (!to_decimal(n, c, a[0], 0, &x) || !to_decimal(n, c, a[1], 1, &y)) return false;
  *result = x.compare(y);
  (void)out;
  return true;
}

// [SECTION] tags

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

std::string fold_case(const std::string& s) {
  std::string out = s;
  for (char& ch : out) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  return out;
}

// Tags from "a, b ,c" or ["a", "b"]: trimmed, empty ones dropped, duplicates (ignoring
// case) kept once in their first spelling. null is no tags.
bool parse_tags(const Node& n, Ctx& c, const Json& v, std::vector<std::string>* out) {
  std::vector<std::string> raw;
  if (v.is_null()) {
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t comma = s.find(',', start);
      if (comma == std::string::npos) comma = s.size();
      raw.push_back(s.substr(start, comma - start));
      start = comma + 1;
    }
  } else if (v.is_array()) {
    if (!c.charge(n, v.size())) return false;
    for (const Json& t : v) {
      if (t.is_null()) continue;
      if (t.is_array() || t.is_object()) {
        return c.fail(n, kInvalidArguments, op_name(n) + " needs tags as text, not " + describe(t));
      }
      raw.push_back(t.is_string() ? t.get<std::string>() : to_js_string(t));
    }
  } else if (v.is_number()) {
    raw.push_back(to_js_string(v));
  } else {
    return c.fail(n, kInvalidArguments,
                  op_name(n) + " needs tags as \"a, b\" or [\"a\", \"b\"], not " + describe(v));
  }
  if (!c.charge(n, raw.size())) return false;
  std::vector<std::string> seen;
  for (std::string& t : raw) {
    std::string tag = trim(t);
    if (tag.empty()) continue;
    std::string key = fold_case(tag);
    bool dup = false;
    for (const std::string& s : seen) dup = dup || s == key;
    if (dup) continue;
    seen.push_back(std::move(key));
    out->push_back(std::move(tag));
  }
  return true;
}

bool contains_tag(const std::vector<std::string>& tags, const std::string& tag) {
  std::string key = fold_case(trim(tag));
  if (key.empty()) return false;
  for (const std::string& t : tags) {
    if (fold_case(t) == key) return true;
  }
  return false;
}

bool same_tag(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_view(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

// has_tag without building the tag list (the common case: a tag string or an array of
// strings). Returns false in *handled for other shapes, which the general path reports.
bool quick_has_tag(const Json& tags, std::string_view want, bool* handled) {
  *handled = true;
  want = trim_view(want);
  if (want.empty() || tags.is_null()) return false;
  if (tags.is_string()) {
    std::string_view s = tags.get_ref<const std::string&>();
    size_t start = 0;
    while (start <= s.size()) {
      size_t comma = s.find(',', start);
      if (comma == std::string_view::npos) comma = s.size();
      if (same_tag(trim_view(s.substr(start, comma - start)), want)) return true;
      start = comma + 1;
    }
    return false;
  }
  if (tags.is_array()) {
    for (const Json& t : tags) {
      if (!t.is_string()) {
        *handled = false;
        return false;
      }
      if (same_tag(trim_view(t.get_ref<const std::string&>()), want)) return true;
    }
    return false;
  }
  *handled = false;
  return false;
}

Json tags_like(const Json& input, const std::vector<std::string>& tags) {
  if (input.is_array()) {
    Json out = Json::array();
    for (const std::string& t : tags) out.push_back(t);
    return out;
  }
  std::string s;
  for (const std::string& t : tags) s += (s.empty() ? "" : ", ") + t;
  return s;
}

// [SECTION] time

bool to_timestamp(const Node& n, Ctx& c, const Json& v, timeutil::Timestamp* out) {
  if (v.is_string()) {
    auto t = timeutil::parse_timestamp(v.get_ref<const std::string&>());
    if (!t) return c.fail(n, kInvalidArguments, op_name(n) + ": " + t.error().message);
    *out = t.value();
    return true;
  }
  if (v.is_number()) {
    double d = to_number(v);
    if (!(d >= static_cast<double>(timeutil::kMinMillis) && d <= static_cast<double>(timeutil::kMaxMillis))) {
      return c.fail(n, kInvalidArguments, op_name(n) + ": " + describe(v) + " is not a time in the years 0000 to 9999");
    }
    *out = timeutil::Timestamp{static_cast<timeutil::Millis>(std::floor(d)), 0};
    return true;
  }
  return c.fail(n, kInvalidArguments,
                op_name(n) + " needs a timestamp such as \"2026-03-01T09:30:00Z\" (or epoch milliseconds), not " +
                    describe(v) + (v.is_null() ? "; is the field missing?" : ""));
}

struct Unit {
  const char* name;
  timeutil::Millis ms;  // 0: calendar months
  int months;
};

const Unit kUnits[] = {
    {"millisecond", 1, 0},
    {"second", timeutil::kMillisPerSecond, 0},
    {"minute", timeutil::kMillisPerMinute, 0},
    {"hour", timeutil::kMillisPerHour, 0},
    {"day", timeutil::kMillisPerDay, 0},
    {"week", 7 * timeutil::kMillisPerDay, 0},
    {"month", 0, 1},
    {"year", 0, 12},
};

const Unit* find_unit(const Json& v) {
  if (!v.is_string()) return nullptr;
  std::string s = fold_case(v.get<std::string>());
  if (s.size() > 1 && s.back() == 's') s.pop_back();
  for (const Unit& u : kUnits) {
    if (s == u.name) return &u;
  }
  return nullptr;
}

bool unit_arg(const Node& n, Ctx& c, const Json& v, bool calendar_ok, const Unit** out) {
  *out = find_unit(v);
  if (*out && (calendar_ok || (*out)->ms != 0)) return true;
  return c.fail(n, kInvalidArguments,
                op_name(n) + " needs a unit: milliseconds, seconds, minutes, hours, days, weeks" +
                    (calendar_ok ? ", months or years" : "") + "; not " + describe(v));
}

bool time_out(const Node& n, Ctx& c, const Result<timeutil::Timestamp>& t, Value& out) {
  if (!t) return c.fail(n, kInvalidArguments, op_name(n) + ": " + t.error().message);
  out.set(timeutil::format_timestamp(t.value()));
  return true;
}

bool instant_pair(const Node& n, Ctx& c, timeutil::Millis* a, timeutil::Millis* b) {
  Args args;
  if (!args.collect(n, c)) return false;
  timeutil::Timestamp x, y;
  if (!to_timestamp(n, c, args[0], &x) || !to_timestamp(n, c, args[1], &y)) return false;
  *a = x.ms;
  *b = y.ms;
  return true;
}

const Json kNull;

// item[name] (or the dotted path `segs` when it has them); nullptr when absent.
const Json* field_of(const Json& item, const std::string* name, const std::vector<PathSeg>& segs) {
  if (!name) return &item;
  if (segs.empty()) {
    if (!item.is_object()) return nullptr;
    auto it = item.find(*name);
    return it == item.end() ? nullptr : &*it;
  }
  Frame f;
  f.value = &item;
  Value v;
  bool found;
  resolve(&f, 0, segs, v, &found);
  return found && v.is_ref() ? &v.get() : nullptr;
}

}  // namespace

bool op_money(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  Decimal x;
  if (!to_decimal(n, c, a[0], 0, &x)) return false;
  if (a.size() < 2 || a[1].is_null()) return money_out(c, n, x, out);
  // In a currency: rounded half up to its minor units, shown with exactly that many digits.
  int places;
  if (!currency_places(n, c, a[1], &places)) return false;
  out.set(x.round(places).to_money_string(places));
  return true;
}
bool op_money_add(const Node& n, Ctx& c, Value& out) { return fold(n, c, out, Fold::Add); }
bool op_money_sub(const Node& n, Ctx& c, Value& out) { return fold(n, c, out, Fold::Sub); }
bool op_money_mul(const Node& n, Ctx& c, Value& out) { return fold(n, c, out, Fold::Mul); }
bool op_money_min(const Node& n, Ctx& c, Value& out) { return fold(n, c, out, Fold::Min); }
bool op_money_max(const Node& n, Ctx& c, Value& out) { return fold(n, c, out, Fold::Max); }

bool op_money_div(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  Decimal x, y;
  int places;
  bool exact;
  Rounding mode;
  if (!to_decimal(n, c, a[0], 0, &x) || !to_decimal(n, c, a[1], 1, &y) || !places_arg(n, c, a, 2, 18, &places, &exact) ||
      !rounding_arg(n, c, a, 3, &mode)) {
    return false;
  }
  auto r = x.div(y, places, mode);
  if (!r) return c.fail(n, kNaN, op_name(n) + ": " + r.error().message);
  out.set(r.value().to_money_string(exact || places < 2 ? places : 2));
  return true;
}

bool op_money_round(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  Decimal x;
  int places;
  bool exact;
  Rounding mode;
  if (!to_decimal(n, c, a[0], 0, &x) || !places_arg(n, c, a, 1, 38, &places, &exact) || !rounding_arg(n, c, a, 2, &mode)) {
    return false;
  }
  // Shown with exactly `places` digits (0 places: "50").
  out.set(x.round(places, mode).to_money_string(places));
  return true;
}

bool op_money_sum(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  const Json& items = a[0];
  if (!items.is_array() && !items.is_null()) {
    return c.fail(n, kInvalidArguments, "\"money_sum\" needs a list first, not " + describe(items));
  }
  std::vector<PathSeg> field, qty;
  bool has_field = a.size() > 1 && !a[1].is_null(), has_qty = a.size() > 2 && !a[2].is_null();
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (!a[i].is_null() && !a[i].is_string()) {
      return c.fail(n, kInvalidArguments, "\"money_sum\" needs field names as text, not " + describe(a[i]));
    }
  }
  // Dotted names ("price_set.amount") are paths; plain names are read directly.
  if (has_field && a[1].get_ref<const std::string&>().find('.') != std::string::npos) {
    field = split_var_path(a[1].get<std::string>());
  }
  if (has_qty && a[2].get_ref<const std::string&>().find('.') != std::string::npos) {
    qty = split_var_path(a[2].get<std::string>());
  }
  Decimal total;
  if (items.is_array()) {
    if (!c.charge(n, items.size())) return false;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const Json& item = items[i];
      const Json* amount = field_of(item, has_field ? &a[1].get_ref<const std::string&>() : nullptr, field);
      Decimal x;
      if (!to_decimal(n, c, amount ? *amount : kNull, 0, &x)) {
        return c.fail(n, kNaN,
                      "\"money_sum\": item " + std::to_string(i) +
                          (has_field ? " field \"" + a[1].get<std::string>() + "\"" : "") + " is " +
                          describe(amount ? *amount : kNull) + ", not an amount");
      }
      if (has_qty) {
        const Json* count = field_of(item, &a[2].get_ref<const std::string&>(), qty);
        Decimal q;
        if (!to_decimal(n, c, count ? *count : kNull, 0, &q)) {
          return c.fail(n, kNaN,
                        "\"money_sum\": item " + std::to_string(i) + " quantity \"" + a[2].get<std::string>() +
                            "\" is " + describe(count ? *count : kNull) + ", not a number");
        }
        auto p = x.mul(q);
        if (!p) return c.fail(n, kNaN, "\"money_sum\": " + p.error().message);
        x = p.value();
      }
      auto s = total.add(x);
      if (!s) return c.fail(n, kNaN, "\"money_sum\": " + s.error().message);
      total = s.value();
    }
  }
  return money_out(c, n, total, out);
}

bool op_money_cmp(const Node& n, Ctx& c, Value& out) {
  int r;
  if (!compare(n, c, out, &r)) return false;
  out.set(r);
  return true;
}

#define SHOPFLOW_MONEY_REL(fn, expr)             \
  bool fn(const Node& n, Ctx& c, Value& out) {   \
    int r;                                       \
    if (!compare(n, c, out, &r)) return false;   \
    out.set(expr);                               \
    return true;                                 \
  }
SHOPFLOW_MONEY_REL(op_money_eq, r == 0)
SHOPFLOW_MONEY_REL(op_money_ne, r != 0)
SHOPFLOW_MONEY_REL(op_money_lt, r < 0)
SHOPFLOW_MONEY_REL(op_money_lte, r <= 0)
SHOPFLOW_MONEY_REL(op_money_gt, r > 0)
SHOPFLOW_MONEY_REL(op_money_gte, r >= 0)
#undef SHOPFLOW_MONEY_REL

// [SECTION] tags

bool op_has_tag(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  if (a[1].is_string()) {
    bool handled;
    bool found = quick_has_tag(a[0], a[1].get_ref<const std::string&>(), &handled);
    if (handled) {
      out.set(found);
      return true;
    }
  }
  std::vector<std::string> tags;
  if (!parse_tags(n, c, a[0], &tags)) return false;
  if (!a[1].is_string() && !a[1].is_number()) {
    return c.fail(n, kInvalidArguments, "\"has_tag\" needs one tag as text second, not " + describe(a[1]) +
                                            " (for several, use has_any_tag or has_all_tags)");
  }
  out.set(contains_tag(tags, a[1].is_string() ? a[1].get<std::string>() : to_js_string(a[1])));
  return true;
}

namespace {

bool tag_sets(const Node& n, Ctx& c, Value& out, bool all) {
  Args a;
  if (!a.collect(n, c)) return false;
  std::vector<std::string> tags, wanted;
  if (!parse_tags(n, c, a[0], &tags) || !parse_tags(n, c, a[1], &wanted)) return false;
  bool result = all;
  for (const std::string& w : wanted) {
    bool has = contains_tag(tags, w);
    if (all && !has) result = false;
    if (!all && has) result = true;
  }
  if (all && wanted.empty()) result = true;
  out.set(result);
  return true;
}

bool edit_tags(const Node& n, Ctx& c, Value& out, bool add) {
  Args a;
  if (!a.collect(n, c)) return false;
  std::vector<std::string> tags, change;
  if (!parse_tags(n, c, a[0], &tags) || !parse_tags(n, c, a[1], &change)) return false;
  std::vector<std::string> result;
  if (add) {
    result = tags;
    for (const std::string& t : change) {
      if (!contains_tag(result, t)) result.push_back(t);
    }
  } else {
    for (const std::string& t : tags) {
      if (!contains_tag(change, t)) result.push_back(t);
    }
  }
  out.set(tags_like(a[0], result));
  return true;
}

}  // namespace

bool op_has_any_tag(const Node& n, Ctx& c, Value& out) { return tag_sets(n, c, out, false); }
bool op_has_all_tags(const Node& n, Ctx& c, Value& out) { return tag_sets(n, c, out, true); }
bool op_add_tag(const Node& n, Ctx& c, Value& out) { return edit_tags(n, c, out, true); }
bool op_remove_tag(const Node& n, Ctx& c, Value& out) { return edit_tags(n, c, out, false); }

bool op_tags(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  std::vector<std::string> tags;
  if (!parse_tags(n, c, a[0], &tags)) return false;
  Json arr = Json::array();
  for (std::string& t : tags) arr.push_back(std::move(t));
  out.set(std::move(arr));
  return true;
}

// [SECTION] time

bool op_now(const Node& n, Ctx& c, Value& out) {
  if (c.root.is_object()) {
    auto it = c.root.find("now");
    if (it != c.root.end() && (it->is_string() || it->is_number())) {
      out.ref(*it);
      return true;
    }
  }
  return c.fail(n, kInvalidArguments,
                "\"now\" reads the data's \"now\" field (the engine sets it to the current time), but the data has "
                "none; with `shopflow eval`, put \"now\": \"2026-03-01T09:30:00Z\" in the data");
}

bool op_time(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  timeutil::Timestamp t;
  if (!to_timestamp(n, c, a[0], &t)) return false;
  out.set(t.ms);
  return true;
}

bool op_time_format(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  timeutil::Timestamp t;
  if (!to_timestamp(n, c, a[0], &t)) return false;
  if (a.size() > 1 && !a[1].is_null()) {
    const Json& o = a[1];
    int offset = 0;
    bool ok = false;
    if (o.is_string()) {
      // Reuse the timestamp reader on a fixed date to read "Z", "+02:00", "-0530".
      const std::string& text = o.get_ref<const std::string&>();
      auto probe = timeutil::parse_timestamp("2000-01-01T00:00:00" + text);
      if (probe) {
        offset = probe.value().offset_minutes;
        ok = true;
      } else if (!text.empty() && text[0] != '+' && text[0] != '-') {
        // A zone name: the offset its clocks show at that instant (daylight saving included).
        auto zone = TimeZone::named(text);
        if (!zone) return c.fail(n, kInvalidArguments, "\"time_format\": " + zone.error().message);
        offset = zone.value().offset_minutes_at(t.ms);
        ok = true;
      }
    } else if (o.is_number()) {
      double d = to_number(o);
      ok = d > -24 * 60 && d < 24 * 60 && std::floor(d) == d;
      offset = ok ? static_cast<int>(d) : 0;
    }
    if (!ok) {
      return c.fail(n, kInvalidArguments,
                    "\"time_format\" needs a time zone such as \"Europe/Berlin\", an offset such as \"Z\" or \"+02:00\", "
                    "or minutes, not " + describe(o));
    }
    t.offset_minutes = offset;
  }
  out.set(timeutil::format_timestamp(t));
  return true;
}

bool op_time_add(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  timeutil::Timestamp t;
  if (!to_timestamp(n, c, a[0], &t)) return false;
  timeutil::Duration d;
  if (a.size() == 2) {
    if (a[1].is_string()) {
      auto p = timeutil::parse_duration(a[1].get_ref<const std::string&>());
      if (!p) return c.fail(n, kInvalidArguments, "\"time_add\": " + p.error().message);
      d = p.value();
    } else if (a[1].is_number()) {
      double ms = to_number(a[1]);  // milliseconds
      if (!(std::fabs(ms) < 1e15)) {
        return c.fail(n, kInvalidArguments, "\"time_add\": " + describe(a[1]) + " milliseconds is too long");
      }
      d.millis = static_cast<timeutil::Millis>(ms);
    } else {
      return c.fail(n, kInvalidArguments,
                    "\"time_add\" needs a duration such as \"P1DT2H\" second, not " + describe(a[1]));
    }
  } else {
    const Unit* u;
    if (!unit_arg(n, c, a[2], true, &u)) return false;
    double amount = to_number(a[1]);
    if (is_nan(amount) || std::fabs(amount) > 1e9) {
      return c.fail(n, kInvalidArguments, "\"time_add\" needs an amount second, not " + describe(a[1]));
    }
    if (u->ms == 0) {
      if (std::floor(amount) != amount) {
        return c.fail(n, kInvalidArguments, "\"time_add\" adds whole months or years, not " + describe(a[1]));
      }
      d.months = static_cast<std::int64_t>(amount) * u->months;
    } else {
      d.millis = static_cast<timeutil::Millis>(std::trunc(amount * static_cast<double>(u->ms)));
    }
  }
  return time_out(n, c, timeutil::add_duration(t, d), out);
}

bool op_time_diff(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  timeutil::Timestamp x, y;
  if (!to_timestamp(n, c, a[0], &x) || !to_timestamp(n, c, a[1], &y)) return false;
  timeutil::Millis unit = timeutil::kMillisPerSecond;
  if (a.size() > 2 && !a[2].is_null()) {
    const Unit* u;
    if (!unit_arg(n, c, a[2], false, &u)) return false;
    unit = u->ms;
  }
  timeutil::Millis diff = x.ms - y.ms;
  if (diff % unit == 0) {
    out.set(diff / unit);
  } else {
    out.set(number_json(static_cast<double>(diff) / static_cast<double>(unit)));
  }
  return true;
}

bool op_time_before(const Node& n, Ctx& c, Value& out) {
  timeutil::Millis a, b;
  if (!instant_pair(n, c, &a, &b)) return false;
  out.set(a < b);
  return true;
}

bool op_time_after(const Node& n, Ctx& c, Value& out) {
  timeutil::Millis a, b;
  if (!instant_pair(n, c, &a, &b)) return false;
  out.set(a > b);
  return true;
}

bool op_business_days_add(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  timeutil::Timestamp t;
  if (!to_timestamp(n, c, a[0], &t)) return false;
  double days = to_number(a[1]);
  if (a[1].is_null() || is_nan(days) || std::floor(days) != days || std::fabs(days) > 1e6) {
    return c.fail(n, kInvalidArguments, "\"business_days_add\" needs a whole number of days second, not " + describe(a[1]));
  }
  // A calendar: the holidays that are not business days either ("2026-12-25", ...); null or
  // absent is Monday to Friday.
  std::vector<std::int64_t> holidays;
  if (a.size() > 2 && !a[2].is_null()) {
    if (!a[2].is_array()) {
      return c.fail(n, kInvalidArguments,
                    "\"business_days_add\" needs a list of holiday dates third, such as [\"2026-12-25\"], not " +
                        describe(a[2]));
    }
    for (const Json& d : a[2]) {
      auto day = d.is_string() && d.get_ref<const std::string&>().size() == 10
                     ? timeutil::parse_timestamp(d.get_ref<const std::string&>())
                     : Result<timeutil::Timestamp>(Error{"", "", 0, 0});
      if (!day) {
        return c.fail(n, kInvalidArguments,
                      "\"business_days_add\": a holiday is a date such as \"2026-12-25\", not " + describe(d));
      }
      holidays.push_back(timeutil::floor_days(day.value().ms));
    }
  }
  return time_out(n, c, timeutil::add_business_days(t, static_cast<std::int64_t>(days), holidays), out);
}

bool op_weekday(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  timeutil::Timestamp t;
  if (!to_timestamp(n, c, a[0], &t)) return false;
  timeutil::Millis local = t.ms + static_cast<timeutil::Millis>(t.offset_minutes) * timeutil::kMillisPerMinute;
  out.set(timeutil::iso_weekday(timeutil::floor_days(local)));
  return true;
}

// The instant a zone's clocks show a time of day on a date: "until 14:00 Berlin time".
bool op_local_time(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  timeutil::Timestamp t;
  if (!to_timestamp(n, c, a[0], &t)) return false;
  int h = -1, m = -1, s = 0;
  if (a[1].is_string()) {
    const std::string& text = a[1].get_ref<const std::string&>();
    auto two = [&](std::size_t at) {
      if (at + 2 > text.size() || text[at] < '0' || text[at] > '9' || text[at + 1] < '0' || text[at + 1] > '9') return -1;
      return (text[at] - '0') * 10 + (text[at + 1] - '0');
    };
    if ((text.size() == 5 || (text.size() == 8 && text[5] == ':')) && text[2] == ':') {
      h = two(0);
      m = two(3);
      if (text.size() == 8) s = two(6);
    }
  }
  if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59) {
    return c.fail(n, kInvalidArguments, "\"local_time\" needs a time of day such as \"14:00\" second, not " + describe(a[1]));
  }
  if (!a[2].is_string()) {
    return c.fail(n, kInvalidArguments, "\"local_time\" needs a time zone such as \"Europe/Berlin\" third, not " + describe(a[2]));
  }
  auto zone = TimeZone::named(a[2].get_ref<const std::string&>());
  if (!zone) return c.fail(n, kInvalidArguments, "\"local_time\": " + zone.error().message);
  // The date is the one the timestamp shows (in its own offset).
  std::int64_t day = timeutil::floor_days(t.ms + static_cast<timeutil::Millis>(t.offset_minutes) * timeutil::kMillisPerMinute);
  timeutil::Millis local = day * timeutil::kMillisPerDay + h * timeutil::kMillisPerHour + m * timeutil::kMillisPerMinute +
                           s * timeutil::kMillisPerSecond;
  timeutil::Millis at = zone.value().from_local(local);
  if (at < timeutil::kMinMillis || at > timeutil::kMaxMillis) {
    return c.fail(n, kInvalidArguments, "\"local_time\" leaves the years 0000 to 9999");
  }
  out.set(timeutil::format_timestamp(at, zone.value().offset_minutes_at(at)));
  return true;
}

// [SECTION] tables

bool op_lookup(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  if (!a[0].is_string()) {
    return c.fail(n, kInvalidArguments, "\"lookup\" needs a table name first, not " + describe(a[0]));
  }
  if (a.size() > 2 && !a[2].is_string() && !a[2].is_null()) {
    return c.fail(n, kInvalidArguments, "\"lookup\" needs a field name third, not " + describe(a[2]));
  }
  if (!c.opt.table_lookup) {
    out.set(nullptr);
    return true;
  }
  std::optional<Json> row = c.opt.table_lookup(a[0].get<std::string>(), a[1]);
  if (!row) {
    out.set(nullptr);
    return true;
  }
  if (a.size() > 2 && a[2].is_string()) {
    Frame f;
    f.value = &*row;
    Value v;
    bool found;
    resolve(&f, 0, split_var_path(a[2].get<std::string>()), v, &found);
    out.set(v.take());
    return true;
  }
  out.set(std::move(*row));
  return true;
}

bool op_rows(const Node& n, Ctx& c, Value& out) {
  Args a;
  if (!a.collect(n, c)) return false;
  if (!a[0].is_string()) {
    return c.fail(n, kInvalidArguments, "\"rows\" needs a table name, not " + describe(a[0]));
  }
  if (!c.opt.table_rows) {
    out.set(Json::array());
    return true;
  }
  std::optional<Json> rows = c.opt.table_rows(a[0].get<std::string>());
  if (!rows) return c.fail(n, kInvalidArguments, "\"rows\": no table named \"" + a[0].get<std::string>() + "\"");
  if (!c.check_size(n, rows->size(), "the rows of a table")) return false;
  if (!c.charge(n, rows->size())) return false;
  out.set(std::move(*rows));
  return true;
}

}  // namespace shopflow::logic::detail
