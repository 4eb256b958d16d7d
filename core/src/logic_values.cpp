// JSON Logic's value rules, inherited from JavaScript: number conversion and printing,
// truthiness helpers, loose and strict equality, ordering, and data paths.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "logic_internal.hpp"

namespace shopflow::logic::detail {

namespace {

constexpr double kTwo53 = 9007199254740992.0;

bool is_js_space(std::string_view s, std::size_t i, std::size_t* len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= '\t' && c <= '\r')) {
    *len = 1;
    return true;
  }
  if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) {  // U+00A0
    *len = 2;
    return true;
  }
  if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBB &&
      static_cast<unsigned char>(s[i + 2]) == 0xBF) {  // U+FEFF
    *len = 3;
    return true;
  }
  return false;
}

std::string_view js_trim(std::string_view s) {
  std::size_t b = 0, len = 0;
  while (b < s.size() && is_js_space(s, b, &len)) b += len;
  std::size_t e = s.size();
  // Trailing: the multi-byte spaces end in 0xA0 / 0xBF; check them from the end.
  while (e > b) {
    unsigned char c = static_cast<unsigned char>(s[e - 1]);
    if (c == ' ' || (c >= '\t' && c <= '\r')) {
      --e;
    } else if (c == 0xA0 && e - b >= 2 && static_cast<unsigned char>(s[e - 2]) == 0xC2) {
      e -= 2;
    } else if (c == 0xBF && e - b >= 3 && static_cast<unsigned char>(s[e - 2]) == 0xBB &&
               static_cast<unsigned char>(s[e - 3]) == 0xEF) {
      e -= 3;
    } else {
      break;
    }
  }
  return s.substr(b, e - b);
}

double pow10_exact(int e) {
  static const double kPow[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  return kPow[e];
}

double radix_number(std::string_view s, int radix) {
  if (s.empty()) return std::numeric_limits<double>::quiet_NaN();
  double v = 0;
  for (char ch : s) {
    int d;
    if (ch >= '0' && ch <= '9') d = ch - '0';
    else if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
    else if (ch >= 'A' && ch <= 'F') d = ch - 'A' + 10;
    else return std::numeric_limits<double>::quiet_NaN();
    if (d >= radix) return std::numeric_limits<double>::quiet_NaN();
    v = v * radix + d;
  }
  return v;
}

// A JavaScript decimal literal ("12", "-1.5e3", ".5", "5."); NaN when it is not one.
double decimal_number(std::string_view s) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  std::string_view rest = s.substr(i);
  if (rest == "Infinity") return negative ? -HUGE_VAL : HUGE_VAL;
  std::string digits;  // significant digits, no leading zeros
  long exp10 = 0;      // value = digits * 10^exp10
  bool any = false, point = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      any = true;
      if (point) --exp10;
      if (digits.empty() && c == '0') continue;
      digits += c;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any) return nan;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    if (i >= s.size()) return nan;
    long e = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (e < 100000) e = e * 10 + (s[i] - '0');
    }
    exp10 += eneg ? -e : e;
  }
  if (i != s.size()) return nan;
  if (digits.empty()) return negative ? -0.0 : 0.0;
  double v;
  if (digits.size() <= 15 && exp10 >= -22 && exp10 <= 22) {
    // Both operands exact, one correctly rounded operation: the correctly rounded result.
    double m = 0;
    for (char c : digits) m = m * 10 + (c - '0');
    v = exp10 >= 0 ? m * pow10_exact(static_cast<int>(exp10)) : m / pow10_exact(static_cast<int>(-exp10));
  } else if (exp10 + static_cast<long>(digits.size()) > 400) {
    v = HUGE_VAL;
  } else if (exp10 + static_cast<long>(digits.size()) < -400) {
    v = 0;
  } else {
    // The rare long or far-out number: nlohmann's reader rounds it correctly. The text has
    // no decimal point, so the C locale's point character cannot matter.
    Json j = Json::parse(digits + "e" + std::to_string(exp10), nullptr, false);
    if (!j.is_number()) return nan;
    v = j.get<double>();
  }
  return negative ? -v : v;
}

double string_number(std::string_view raw) {
  std::string_view s = js_trim(raw);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    char p = s[1];
    if (p == 'x' || p == 'X') return radix_number(s.substr(2), 16);
    if (p == 'o' || p == 'O') return radix_number(s.substr(2), 8);
    if (p == 'b' || p == 'B') return radix_number(s.substr(2), 2);
  }
  return decimal_number(s);
}

// Digits and decimal point position of the shortest text that reads back as d (d finite, != 0).
void shortest_digits(double d, std::string* digits, int* point) {
  std::string s = Json(d < 0 ? -d : d).dump();  // "1.5", "100.0", "1e+21", "1.5e-07", "0.001"
  int exp = 0;
  std::size_t e = s.find_first_of("eE");
  if (e != std::string::npos) {
    int sign = 1;
    std::size_t i = e + 1;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
    for (; i < s.size(); ++i) exp = exp * 10 + (s[i] - '0');
    exp *= sign;
    s.resize(e);
  }
  std::size_t dot = s.find('.');
  std::string ds = dot == std::string::npos ? s : s.substr(0, dot) + s.substr(dot + 1);
  int pt = static_cast<int>(dot == std::string::npos ? s.size() : dot) + exp;
  while (ds.size() > 1 && ds[0] == '0') {
    ds.erase(0, 1);
    --pt;
  }
  while (ds.size() > 1 && ds.back() == '0') ds.pop_back();
  *digits = ds;
  *point = pt;
}

bool is_container(const Json& v) { return v.is_array() || v.is_object(); }

// Exact comparison of two numbers (integers exactly, otherwise as doubles).
Order compare_numbers(const Json& a, const Json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    // nlohmann keeps non-negative integers unsigned and negative ones signed.
    bool an = !a.is_number_unsigned() && a.get<std::int64_t>() < 0;
    bool bn = !b.is_number_unsigned() && b.get<std::int64_t>() < 0;
    if (an != bn) return an ? Order::Less : Order::Greater;
    if (an) {
      std::int64_t x = a.get<std::int64_t>(), y = b.get<std::int64_t>();
      return x < y ? Order::Less : (x > y ? Order::Greater : Order::Equal);
    }
    std::uint64_t x = a.get<std::uint64_t>(), y = b.get<std::uint64_t>();
    return x < y ? Order::Less : (x > y ? Order::Greater : Order::Equal);
  }
  double x = to_number(a), y = to_number(b);
  if (is_nan(x) || is_nan(y)) return Order::Unordered;
  return x < y ? Order::Less : (x > y ? Order::Greater : Order::Equal);
}

Order compare_as_numbers(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return compare_numbers(a, b);
  double x = to_number(a), y = to_number(b);
  if (is_nan(x) || is_nan(y)) return Order::Unordered;
  return x < y ? Order::Less : (x > y ? Order::Greater : Order::Equal);
}

Order compare_strings(const std::string& a, const std::string& b) {
  int r = a.compare(b);
  return r < 0 ? Order::Less : (r > 0 ? Order::Greater : Order::Equal);
}

bool canonical_index(const std::string& s, std::size_t* index) {
  if (s.empty() || s.size() > 18) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  std::size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  *index = v;
  return true;
}

const Json* child(const Json& j, const PathSeg& seg) {
  if (j.is_object()) {
    auto it = j.find(seg.key);
    return it == j.end() ? nullptr : &*it;
  }
  if (j.is_array() && seg.is_index && seg.index < j.size()) return &j[seg.index];
  return nullptr;
}

// The member that `seg` names through an alias (for data with no member of that name).
const Json* aliased_member(const Json& data, const PathSeg& seg,
                           const std::vector<std::pair<std::string, std::string>>& aliases) {
  if (seg.is_index) return nullptr;
  for (const auto& [name, target] : aliases) {
    if (name != seg.key) continue;
    auto it = data.find(target);
    return it == data.end() ? nullptr : &*it;
  }
  return nullptr;
}

// `data` with the members its aliases answer for; null when no alias adds one.
Json with_aliases(const Json& data, const std::vector<std::pair<std::string, std::string>>& aliases) {
  bool adds = false;
  for (const auto& [name, target] : aliases) adds = adds || (!data.contains(name) && data.contains(target));
  if (!adds) return Json();
  Json out = Json::object();
  for (auto it = data.begin(); it != data.end(); ++it) {
    out[it.key()] = it.value();
    for (const auto& [name, target] : aliases) {
      if (target == it.key() && !data.contains(name)) out[name] = it.value();
    }
  }
  return out;
}

}  // namespace

bool is_nan(double d) { return d != d; }

double to_number(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return 0;
    case Json::value_t::boolean: return v.get<bool>() ? 1 : 0;
    case Json::value_t::number_integer: return static_cast<double>(v.get<std::int64_t>());
    case Json::value_t::number_unsigned: return static_cast<double>(v.get<std::uint64_t>());
    case Json::value_t::number_float: return v.get<double>();
    case Json::value_t::string: return string_number(v.get_ref<const std::string&>());
    default: return std::numeric_limits<double>::quiet_NaN();
  }
}

Json number_json(double d) {
  if (d == 0) return Json(0);
  if (std::isfinite(d) && std::fabs(d) < kTwo53 && std::floor(d) == d) return Json(static_cast<std::int64_t>(d));
  return Json(d);
}

std::string js_number_string(double d) {
  if (is_nan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  if (d == 0) return "0";
  if (std::fabs(d) < kTwo53 && std::floor(d) == d) return std::to_string(static_cast<std::int64_t>(d));
  std::string digits;
  int n;
  shortest_digits(d, &digits, &n);
  int k = static_cast<int>(digits.size());
  std::string out = d < 0 ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits + std::string(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<std::size_t>(n)) + "." + digits.substr(static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-n), '0') + digits;
  } else {
    int e = n - 1;
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += e >= 0 ? "e+" : "e-";
    out += std::to_string(e >= 0 ? e : -e);
  }
  return out;
}

namespace {

void append_js(std::string& out, const Json& v, int level) {
  switch (v.type()) {
    case Json::value_t::null: out += "null"; break;
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(v.get<std::int64_t>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(v.get<std::uint64_t>()); break;
    case Json::value_t::number_float: out += js_number_string(v.get<double>()); break;
    case Json::value_t::string: out += v.get_ref<const std::string&>(); break;
    case Json::value_t::array: {
      // JavaScript joins with "," and prints null items as nothing. Absurdly deep arrays
      // stop printing rather than exhausting the stack.
      if (level > 64) break;
      bool first = true;
      for (const Json& item : v) {
        if (!first) out += ',';
        first = false;
        if (!item.is_null()) append_js(out, item, level + 1);
      }
      break;
    }
    default: out += "[object Object]"; break;
  }
}

}  // namespace

void append_js_string(std::string& out, const Json& v) { append_js(out, v, 0); }

std::string to_js_string(const Json& v) {
  std::string out;
  append_js_string(out, v);
  return out;
}

bool strict_equal(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return compare_numbers(a, b) == Order::Equal;
  if (a.type() != b.type()) return false;
  return a == b;
}

Order loose_equality(const Json& a, const Json& b) {
  if (a.is_null() && b.is_null()) return Order::Equal;
  if (a.is_string() && b.is_string()) {
    return a.get_ref<const std::string&>() == b.get_ref<const std::string&>() ? Order::Equal : Order::Greater;
  }
  if (is_container(a) || is_container(b)) return Order::Unordered;
  // A text against null is plainly unequal (not an error: checking for a missing value).
  if ((a.is_null() && b.is_string()) || (a.is_string() && b.is_null())) return Order::Greater;
  return compare_as_numbers(a, b);
}

Order loose_order(const Json& a, const Json& b) {
  if (a.is_string() && b.is_string()) {
    return compare_strings(a.get_ref<const std::string&>(), b.get_ref<const std::string&>());
  }
  if (is_container(a) || is_container(b)) return Order::Unordered;
  return compare_as_numbers(a, b);
}

std::string short_json(const Json& v, std::size_t max) {
  std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > max) {
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "…";
  }
  return s;
}

std::string describe(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case Json::value_t::string: return "the text " + short_json(v, 40);
    case Json::value_t::array:
      return v.empty() ? "an empty array" : "an array of " + std::to_string(v.size()) + (v.size() == 1 ? " item" : " items");
    case Json::value_t::object: return v.empty() ? "an empty object" : "an object";
    case Json::value_t::discarded: return "nothing";
    default: return "the number " + short_json(v, 40);
  }
}

// [SECTION] paths

std::vector<PathSeg> split_var_path(const std::string& path) {
  std::vector<PathSeg> out;
  if (path.empty()) return out;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    PathSeg seg;
    seg.key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    seg.is_index = canonical_index(seg.key, &seg.index);
    out.push_back(std::move(seg));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

PathSeg seg_from_json(const Json& v) {
  PathSeg seg;
  if (v.is_number()) {
    double d = to_number(v);
    if (d >= 0 && d < kTwo53 && std::floor(d) == d) {
      seg.is_index = true;
      seg.index = static_cast<std::size_t>(d);
    }
    seg.key = js_number_string(d);
    return seg;
  }
  seg.key = v.is_string() ? v.get<std::string>() : to_js_string(v);
  seg.is_index = canonical_index(seg.key, &seg.index);
  return seg;
}

void resolve(const Frame* f, int climb, const std::vector<PathSeg>& segs, Value& out, bool* found) {
  for (int i = 0; i < climb && f; ++i) f = f->parent;
  *found = false;
  out.set(Json());
  if (!f) return;
  std::size_t k = 0;
  const Json* cur = nullptr;
  switch (f->kind) {
    case Frame::Kind::Data:
      cur = f->value;
      if (f->aliases && cur->is_object()) {
        if (segs.empty()) {
          // The whole data: with each alias it answers for, placed after the member it reads.
          if (Json with = with_aliases(*cur, *f->aliases); !with.is_null()) {
            out.set(std::move(with));
            *found = true;
            return;
          }
        } else {
          // The first segment is looked up once: in the data, else through an alias.
          const Json* first = child(*cur, segs[0]);
          if (!first) first = aliased_member(*cur, segs[0], *f->aliases);
          if (!first) return;
          cur = first;
          k = 1;
        }
      }
      break;
    case Frame::Kind::Iteration:
      if (!f->has_index) return;
      if (segs.empty()) {
        out.set(Json::object({{"index", f->index}}));
        *found = true;
      } else if (segs.size() == 1 && segs[0].key == "index") {
        out.set(Json(f->index));
        *found = true;
      }
      return;
    case Frame::Kind::Reduce:
      if (segs.empty()) {
        out.set(Json::object({{"current", *f->value}, {"accumulator", *f->accumulator}}));
        *found = true;
        return;
      }
      if (segs[0].key == "current") {
        cur = f->value;
      } else if (segs[0].key == "accumulator") {
        cur = f->accumulator;
      } else {
        return;
      }
      k = 1;
      break;
  }
  for (; k < segs.size(); ++k) {
    const Json* next = child(*cur, segs[k]);
    if (!next) return;
    cur = next;
  }
  out.ref(*cur);
  *found = true;
}

}  // namespace shopflow::logic::detail
