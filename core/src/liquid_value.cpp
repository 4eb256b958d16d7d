// Liquid runtime values: conversions, comparisons and Ruby-compatible number arithmetic.
//
// Ruby Liquid's semantics live in Ruby's core classes (Integer, Float, BigDecimal, String,
// Array, Hash); this file reproduces the parts the standard tags and filters rely on:
// to_s/inspect, ==, <=>, Float#to_s formatting, Integer() parsing, and the Integer and
// BigDecimal rules that `plus`, `times`, `round` and friends follow. The arithmetic itself is
// the core's exact Decimal (so 0.1 | plus: 0.2 is 0.3). Everything here is deterministic and
// locale-free.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "liquid_internal.hpp"

namespace shopflow::liquid::detail {

void fail(std::string message, int line, int column) {
  throw LiquidError{std::move(message), line, column};
}

// [SECTION] Value construction and access

Value Value::str(std::string v) {
  auto owned = std::make_shared<const std::string>(std::move(v));
  Value r;
  r.kind = Kind::Str;
  r.s = *owned;
  r.hold = std::move(owned);
  return r;
}

Value Value::array(Array v) {
  auto owned = std::make_shared<const Array>(std::move(v));
  Value r;
  r.kind = Kind::Arr;
  r.p = owned.get();
  r.hold = std::move(owned);
  return r;
}

Value Value::drop(std::shared_ptr<DropState> d) {
  Value r;
  r.kind = Kind::Drop;
  r.p = d.get();
  r.hold = std::move(d);
  return r;
}

Value Value::from_json(const Json& j) {
  Value r;
  switch (j.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
      return r;
    case Json::value_t::boolean:
      return boolean(j.get<bool>());
    case Json::value_t::number_integer:
      return integer(j.get<int64_t>());
    case Json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return flt(static_cast<double>(u));
      return integer(static_cast<int64_t>(u));
    }
    case Json::value_t::number_float:
      return flt(j.get<double>());
    case Json::value_t::string:
      return view(j.get_ref<const std::string&>());
    case Json::value_t::array:
      r.kind = Kind::Arr;
      r.json = true;
      r.p = &j;
      return r;
    case Json::value_t::object:
      r.kind = Kind::Obj;
      r.json = true;
      r.p = &j;
      return r;
    case Json::value_t::binary:
      return r;
  }
  return r;
}

size_t arr_size(const Value& v) { return v.json ? v.j().size() : v.a().size(); }

Value arr_at(const Value& v, size_t i) {
  if (v.json) return Value::from_json(v.j()[i]);
  return v.a()[i];
}

bool obj_get(const Value& v, std::string_view key, Value& out) {
  // ordered_json keeps its members in a vector: scan it directly, without building a key string.
  const auto& members = v.j().get_ref<const Json::object_t&>();
  for (const auto& kv : members) {
    if (kv.first.size() == key.size() && kv.first == key) {
      out = Value::from_json(kv.second);
      return true;
    }
  }
  return false;
}

size_t obj_size(const Value& v) { return v.j().size(); }

// [SECTION] Strings

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  // Ruby's strip also removes NUL at the end; whitespace is enough here.
  while (b < e && (is_space(s[b]) || s[b] == '\0')) ++b;
  while (e > b && (is_space(s[e - 1]) || s[e - 1] == '\0')) --e;
  return s.substr(b, e - b);
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string format_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  char buf[64];
  char* end = nlohmann::detail::to_chars(buf, buf + sizeof(buf), d);
  std::string_view t(buf, static_cast<size_t>(end - buf));
  bool neg = false;
  if (!t.empty() && t[0] == '-') {
    neg = true;
    t.remove_prefix(1);
  }
  // Split nlohmann's text into significant digits and a decimal exponent.
  int exp10 = 0;
  size_t epos = t.find_first_of("eE");
  std::string_view mant = t.substr(0, epos);
  if (epos != std::string_view::npos) {
    std::string_view e = t.substr(epos + 1);
    bool eneg = false;
    if (!e.empty() && (e[0] == '+' || e[0] == '-')) {
      eneg = e[0] == '-';
      e.remove_prefix(1);
    }
    for (char c : e) exp10 = exp10 * 10 + (c - '0');
    if (eneg) exp10 = -exp10;
  }
  std::string digits;
  int point = -1;
  for (char c : mant) {
    if (c == '.') {
      point = static_cast<int>(digits.size());
    } else {
      digits += c;
    }
  }
  if (point < 0) point = static_cast<int>(digits.size());
  // Strip leading zeros (moving the point) and trailing zeros.
  size_t lead = 0;
  while (lead + 1 < digits.size() && digits[lead] == '0') ++lead;
  digits.erase(0, lead);
  point -= static_cast<int>(lead);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int decpt = point + exp10;  // value = 0.digits * 10^decpt
  std::string out = neg ? "-" : "";
  if (digits == "0") return out + "0.0";
  int nd = static_cast<int>(digits.size());
  if (decpt > 0 && decpt <= 16) {
    if (nd <= decpt) {
      out += digits;
      out.append(static_cast<size_t>(decpt - nd), '0');
      out += ".0";
    } else {
      out.append(digits, 0, static_cast<size_t>(decpt));
      out += '.';
      out.append(digits, static_cast<size_t>(decpt), std::string::npos);
    }
  } else if (decpt <= 0 && decpt > -4) {
    out += "0.";
    out.append(static_cast<size_t>(-decpt), '0');
    out += digits;
  } else {
    out += digits[0];
    out += '.';
    if (nd > 1) {
      out.append(digits, 1, std::string::npos);
    } else {
      out += '0';
    }
    int e = decpt - 1;
    out += 'e';
    out += e < 0 ? '-' : '+';
    int ae = e < 0 ? -e : e;
    if (ae < 10) out += '0';
    out += std::to_string(ae);
  }
  return out;
}

namespace {

void inspect_string(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      case '\b': out += "\\b"; break;
      case '\a': out += "\\a"; break;
      case 0x1b: out += "\\e"; break;
      case '#':
        if (i + 1 < s.size() && (s[i + 1] == '{' || s[i + 1] == '$' || s[i + 1] == '@')) {
          out += "\\#";
        } else {
          out += '#';
        }
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static const char* hex = "0123456789ABCDEF";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void inspect_into(std::string& out, const Value& v, int depth);

void inspect_json_into(std::string& out, const Json& j, int depth) { inspect_into(out, Value::from_json(j), depth); }

void inspect_into(std::string& out, const Value& v, int depth) {
  if (depth > 100) {
    out += "...";
    return;
  }
  switch (v.kind) {
    case Kind::Nil: out += "nil"; break;
    case Kind::Str: inspect_string(out, v.s); break;
    case Kind::Blank:
    case Kind::Empty: out += "\"\""; break;
    case Kind::Arr: {
      out += '[';
      size_t n = arr_size(v);
      for (size_t i = 0; i < n; ++i) {
        if (i) out += ", ";
        inspect_into(out, arr_at(v, i), depth + 1);
      }
      out += ']';
      break;
    }
    case Kind::Obj: {
      out += '{';
      bool first = true;
      for (auto it = v.j().begin(); it != v.j().end(); ++it) {
        if (!first) out += ", ";
        first = false;
        inspect_string(out, it.key());
        out += "=>";
        inspect_json_into(out, it.value(), depth + 1);
      }
      out += '}';
      break;
    }
    default: out += to_s(v);
  }
}

void output_into(std::string& out, const Value& v, int depth) {
  if (v.kind == Kind::Arr) {
    if (depth > 100) return;
    size_t n = arr_size(v);
    for (size_t i = 0; i < n; ++i) output_into(out, arr_at(v, i), depth + 1);
    return;
  }
  if (v.kind == Kind::Str) {
    out += v.s;
    return;
  }
  if (v.kind == Kind::Nil) return;
  out += to_s(v);
}

}  // namespace

std::string inspect(const Value& v) {
  std::string out;
  inspect_into(out, v, 0);
  return out;
}

std::string to_s(const Value& v) {
  switch (v.kind) {
    case Kind::Nil: return "";
    case Kind::Bool: return v.b ? "true" : "false";
    case Kind::Int: return std::to_string(v.i);
    case Kind::Float: return format_float(v.f);
    case Kind::Str: return std::string(v.s);
    case Kind::Arr:
    case Kind::Obj: return inspect(v);
    case Kind::Range: return std::to_string(v.i) + ".." + std::to_string(v.i2);
    case Kind::Blank:
    case Kind::Empty: return "";
    case Kind::Drop: return v.d().tablerow ? "Liquid::TablerowloopDrop" : "Liquid::ForloopDrop";
  }
  return "";
}

std::string_view str_view(const Value& v, std::string& scratch) {
  if (v.kind == Kind::Str) return v.s;
  scratch = to_s(v);
  return scratch;
}

void append_output(std::string& out, const Value& v) { output_into(out, v, 0); }

// [SECTION] Comparison

bool ruby_equal(const Value& a, const Value& b) {
  if (a.kind == Kind::Int && b.kind == Kind::Int) return a.i == b.i;
  if (a.is_number() && b.is_number()) {
    double x = a.kind == Kind::Int ? static_cast<double>(a.i) : a.f;
    double y = b.kind == Kind::Int ? static_cast<double>(b.i) : b.f;
    return !(x < y) && !(y < x) && !std::isnan(x) && !std::isnan(y);
  }
  auto strish = [](const Value& v) { return v.kind == Kind::Str || v.kind == Kind::Blank || v.kind == Kind::Empty; };
  if (strish(a) && strish(b)) return a.s == b.s;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::Nil: return true;
    case Kind::Bool: return a.b == b.b;
    case Kind::Range: return a.i == b.i && a.i2 == b.i2;
    case Kind::Drop: return a.p == b.p;
    case Kind::Arr: {
      size_t n = arr_size(a);
      if (n != arr_size(b)) return false;
      for (size_t i = 0; i < n; ++i) {
        if (!ruby_equal(arr_at(a, i), arr_at(b, i))) return false;
      }
      return true;
    }
    case Kind::Obj: {
      if (a.p == b.p) return true;
      if (obj_size(a) != obj_size(b)) return false;
      for (auto it = a.j().begin(); it != a.j().end(); ++it) {
        Value other;
        if (!obj_get(b, it.key(), other)) return false;
        if (!ruby_equal(Value::from_json(it.value()), other)) return false;
      }
      return true;
    }
    default: return false;
  }
}

int ruby_compare(const Value& a, const Value& b) {
  if (a.kind == Kind::Int && b.kind == Kind::Int) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  if (a.is_number() && b.is_number()) {
    double x = a.kind == Kind::Int ? static_cast<double>(a.i) : a.f;
    double y = b.kind == Kind::Int ? static_cast<double>(b.i) : b.f;
    if (std::isnan(x) || std::isnan(y)) return 2;
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.kind == Kind::Str && b.kind == Kind::Str) {
    int c = a.s.compare(b.s);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.kind == Kind::Arr && b.kind == Kind::Arr) {
    size_t n = std::min(arr_size(a), arr_size(b));
    for (size_t i = 0; i < n; ++i) {
      int c = ruby_compare(arr_at(a, i), arr_at(b, i));
      if (c != 0) return c;
    }
    size_t x = arr_size(a), y = arr_size(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (ruby_equal(a, b)) return 0;
  return 2;
}

bool ordered_compare(const Value& a, const Value& b, std::string_view op) {
  bool an = a.is_number(), bn = b.is_number();
  bool as = a.kind == Kind::Str, bs = b.kind == Kind::Str;
  if ((an && bs) || (as && bn)) {
    std::string cls = an ? (a.kind == Kind::Int ? "Integer" : "Float") : "String";
    std::string other = an ? "String" : to_s(b);
    fail("comparison of " + cls + " with " + other + " failed");
  }
  if (!((an && bn) || (as && bs))) return false;
  int c = ruby_compare(a, b);
  if (c == 2) return false;
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

bool liquid_contains(const Value& left, const Value& right) {
  if (!left.truthy() || !right.truthy()) return false;
  switch (left.kind) {
    case Kind::Str: {
      std::string scratch;
      std::string_view needle = str_view(right, scratch);
      return left.s.find(needle) != std::string_view::npos;
    }
    case Kind::Arr: {
      size_t n = arr_size(left);
      for (size_t i = 0; i < n; ++i) {
        if (ruby_equal(arr_at(left, i), right)) return true;
      }
      return false;
    }
    case Kind::Obj: {
      if (right.kind != Kind::Str) return false;
      Value ignored;
      return obj_get(left, right.s, ignored);
    }
    case Kind::Range: {
      if (!right.is_number()) return false;
      double x = right.kind == Kind::Int ? static_cast<double>(right.i) : right.f;
      return x >= static_cast<double>(left.i) && x <= static_cast<double>(left.i2);
    }
    default: return false;
  }
}

bool is_blank(const Value& v) {
  switch (v.kind) {
    case Kind::Nil: return true;
    case Kind::Bool: return !v.b;
    case Kind::Str: {
      for (char c : v.s) {
        if (!is_space(c)) return false;
      }
      return true;
    }
    case Kind::Arr: return arr_size(v) == 0;
    case Kind::Obj: return obj_size(v) == 0;
    default: return false;
  }
}

bool is_empty(const Value& v) {
  switch (v.kind) {
    case Kind::Str: return v.s.empty();
    case Kind::Arr: return arr_size(v) == 0;
    case Kind::Obj: return obj_size(v) == 0;
    case Kind::Range: return v.i2 < v.i;
    default: return false;
  }
}

// [SECTION] Integer conversions

namespace {

// Ruby's String#to_i: optional whitespace and sign, digits with single underscores between them.
int64_t string_to_i(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    neg = s[i] == '-';
    ++i;
  }
  i128 v = 0;
  bool any = false;
  while (i < s.size()) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (v < static_cast<i128>(1) << 100) v = v * 10 + (c - '0');
      any = true;
      ++i;
    } else if (c == '_' && any && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9') {
      ++i;
    } else {
      break;
    }
  }
  if (neg) v = -v;
  if (v > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (v < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

}  // namespace

int64_t to_integer_strict(const Value& v) {
  if (v.kind == Kind::Int) return v.i;
  std::string text = to_s(v);
  std::string_view s = trim(text);
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    neg = s[i] == '-';
    ++i;
  }
  int base = 10;
  if (i + 1 < s.size() && s[i] == '0') {
    char p = static_cast<char>(s[i + 1] | 0x20);
    if (p == 'x') { base = 16; i += 2; }
    else if (p == 'b') { base = 2; i += 2; }
    else if (p == 'o') { base = 8; i += 2; }
    else if (p == 'd') { base = 10; i += 2; }
    else { base = 8; i += 1; }
  }
  i128 val = 0;
  bool any = false, last_us = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
    else if (c == '_' && any && !last_us) { last_us = true; continue; }
    if (d < 0 || d >= base) fail("invalid integer");
    last_us = false;
    any = true;
    if (val < static_cast<i128>(1) << 100) val = val * base + d;
  }
  if (!any || last_us) {
    if (!(base == 8 && s.size() >= 1 && i >= 1 && s[i - 1] == '0' && !last_us)) fail("invalid integer");
  }
  if (neg) val = -val;
  if (val > std::numeric_limits<int64_t>::max() || val < std::numeric_limits<int64_t>::min()) fail("integer out of range");
  return static_cast<int64_t>(val);
}

int64_t to_i(const Value& v) {
  switch (v.kind) {
    case Kind::Int: return v.i;
    case Kind::Float:
      if (std::isnan(v.f) || std::isinf(v.f)) fail("float " + format_float(v.f) + " out of range of integer");
      if (v.f >= 9.2e18) return std::numeric_limits<int64_t>::max();
      if (v.f <= -9.2e18) return std::numeric_limits<int64_t>::min();
      return static_cast<int64_t>(v.f);
    case Kind::Str: return string_to_i(v.s);
    case Kind::Nil:
    case Kind::Blank:
    case Kind::Empty: return 0;
    default: fail("undefined method 'to_i' for " + inspect(v));
  }
}

// [SECTION] Iteration and indexing

namespace {

void flatten_into(Array& out, const Value& v, size_t max_elements, int depth) {
  if (depth > 100) fail("nesting too deep");
  size_t n = arr_size(v);
  for (size_t i = 0; i < n; ++i) {
    Value e = arr_at(v, i);
    if (e.kind == Kind::Arr) {
      flatten_into(out, e, max_elements, depth + 1);
    } else {
      out.push_back(std::move(e));
    }
    if (out.size() > max_elements) fail("array too large (limit " + std::to_string(max_elements) + " elements)");
  }
}

}  // namespace

Array to_iterable(const Value& v, size_t max_elements) {
  Array out;
  switch (v.kind) {
    case Kind::Nil: return out;
    case Kind::Arr:
      out.reserve(arr_size(v));
      flatten_into(out, v, max_elements, 0);
      return out;
    case Kind::Range: {
      if (v.i2 >= v.i) {
        u128 n = static_cast<u128>(static_cast<i128>(v.i2) - v.i + 1);
        if (n > max_elements) fail("range too large (limit " + std::to_string(max_elements) + " elements)");
        out.reserve(static_cast<size_t>(n));
        for (int64_t k = v.i;; ++k) {
          out.push_back(Value::integer(k));
          if (k == v.i2) break;
        }
      }
      return out;
    }
    case Kind::Blank:
    case Kind::Empty:
      out.push_back(Value::view(""));
      return out;
    default:
      out.push_back(v);
      return out;
  }
}

namespace {

Value drop_get(const DropState& d, std::string_view key) {
  if (key == "index") return Value::integer(d.index + 1);
  if (key == "index0") return Value::integer(d.index);
  if (key == "rindex") return Value::integer(d.length - d.index);
  if (key == "rindex0") return Value::integer(d.length - d.index - 1);
  if (key == "first") return Value::boolean(d.index == 0);
  if (key == "last") return Value::boolean(d.index == d.length - 1);
  if (key == "length") return Value::integer(d.length);
  if (d.tablerow) {
    if (key == "col") return Value::integer(d.col);
    if (key == "col0") return Value::integer(d.col - 1);
    if (key == "row") return Value::integer(d.row);
    if (key == "col_first") return Value::boolean(d.col == 1);
    if (key == "col_last") return Value::boolean(d.col == d.cols);
  } else {
    if (key == "name") return Value::str(d.name);
    if (key == "parentloop") return d.parent ? Value::drop(d.parent) : Value::nil();
  }
  return Value::nil();
}

// The UTF-8 character at a (possibly negative) character index, or false.
bool utf8_char_at(std::string_view s, int64_t index, std::string_view& out) {
  int64_t n = static_cast<int64_t>(utf8_length(s));
  if (index < 0) index += n;
  if (index < 0 || index >= n) return false;
  int64_t k = -1;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      ++k;
      if (k == index) start = i;
      if (k == index + 1) {
        out = s.substr(start, i - start);
        return true;
      }
    }
  }
  out = s.substr(start);
  return true;
}

}  // namespace

int ruby_index(const Value& item, const Value& key, Value& out) {
  out = Value::nil();
  switch (item.kind) {
    case Kind::Obj:
      if (key.kind == Kind::Str) obj_get(item, key.s, out);
      return 0;
    case Kind::Drop:
      if (key.kind == Kind::Str) out = drop_get(item.d(), key.s);
      return 0;
    case Kind::Arr: {
      int64_t idx;
      if (key.kind == Kind::Int) idx = key.i;
      else if (key.kind == Kind::Float && std::isfinite(key.f)) idx = static_cast<int64_t>(key.f);
      else return 2;
      int64_t n = static_cast<int64_t>(arr_size(item));
      if (idx < 0) idx += n;
      if (idx >= 0 && idx < n) out = arr_at(item, static_cast<size_t>(idx));
      return 0;
    }
    case Kind::Str:
    case Kind::Blank:
    case Kind::Empty: {
      std::string_view s = item.kind == Kind::Str ? item.s : std::string_view();
      if (key.kind == Kind::Str) {
        if (s.find(key.s) != std::string_view::npos) out = Value::str(std::string(key.s));
        return 0;
      }
      if (key.kind == Kind::Int) {
        std::string_view ch;
        if (utf8_char_at(s, key.i, ch)) out = Value::str(std::string(ch));
        return 0;
      }
      return 2;
    }
    case Kind::Int:
      if (key.kind == Kind::Int) {
        int64_t bit = key.i;
        if (bit < 0) out = Value::integer(0);
        else if (bit >= 63) out = Value::integer(item.i < 0 ? 1 : 0);
        else out = Value::integer((item.i >> bit) & 1);
        return 0;
      }
      return 2;
    default:
      return 1;
  }
}

// [SECTION] Numbers
//
// Integers and BigDecimals are the core's Decimal (an Integer has no places); a Float stands in
// where a value does not fit Decimal's 38 digits, as BigDecimal's results turn into Floats in
// the end anyway (Liquid's filters call to_f on them).

namespace {

// Digits a BigDecimal quotient keeps: more than a double shows, so the Float it becomes is
// the quotient's nearest double.
constexpr int kQuotientDigits = 36;

Num make_int(const Decimal& d) {
  Num n;
  n.t = Num::T::Int;
  n.dec = d;
  return n;
}

Num make_dec(const Decimal& d) {
  Num n;
  n.t = Num::T::Dec;
  n.dec = d;
  return n;
}

Num make_dbl(double d) {
  Num n;
  n.t = Num::T::Dbl;
  n.dbl = d;
  return n;
}

// An exact result of type `t`, or the operation done on doubles when it does not fit.
template <typename OnDoubles>
Num exact_or(const Result<Decimal>& r, Num::T t, OnDoubles on_doubles) {
  if (!r) return make_dbl(on_doubles());
  Num n;
  n.t = t;
  n.dec = r.value();
  return n;
}

bool is_zero(const Num& n) {
  if (n.t == Num::T::Dbl) return !(n.dbl < 0) && !(n.dbl > 0);
  return n.dec.is_zero();
}

// Ruby's Float#% (the result takes the divisor's sign).
double float_mod(double x, double y) {
  double r = std::fmod(x, y);
  if (r != 0 && ((r < 0) != (y < 0))) r += y;
  return r;
}

}  // namespace

bool parse_decimal(std::string_view text, Num& out) {
  // Liquid's number form first: -?digits(.digits)?
  size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  size_t point = std::string_view::npos;
  size_t keep = text.size();  // digits past Decimal's 38 significant ones are dropped
  int digits = 0;
  bool any_int = false, any_frac = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && point == std::string_view::npos) {
      point = i;
      continue;
    }
    if (c < '0' || c > '9') return false;
    if (point == std::string_view::npos) any_int = true; else any_frac = true;
    if (digits == 0 && c == '0') continue;
    if (++digits > Decimal::kMaxDigits) {
      if (point == std::string_view::npos) return false;  // a whole part too long for an exact number
      keep = std::min(keep, i);
    }
  }
  if (!any_int || (point != std::string_view::npos && !any_frac)) return false;
  std::string_view kept = text.substr(0, keep);
  auto d = Decimal::parse(kept);
  if (d) {
    out = point == std::string_view::npos ? make_int(d.value()) : make_dec(d.value());
    return true;
  }
  if (point == std::string_view::npos) return false;
  // More places than Decimal keeps (0.000...0001): the nearest Float. Written without a
  // decimal point, so strtod reads it the same in every locale.
  std::string compact(kept.substr(0, point));
  compact.append(kept.substr(point + 1));
  compact += "e-" + std::to_string(kept.size() - point - 1);
  out = make_dbl(std::strtod(compact.c_str(), nullptr));
  return true;
}

Num to_number(const Value& v) {
  switch (v.kind) {
    case Kind::Int: return make_int(Decimal::from_int(v.i));
    case Kind::Float: {
      // BigDecimal(float.to_s): the shortest decimal that reads back as the same Float.
      if (!std::isfinite(v.f)) return make_dbl(v.f);
      auto d = Decimal::from_double(v.f);
      return d ? make_dec(d.value()) : make_dbl(v.f);
    }
    case Kind::Str: {
      std::string_view s = trim(v.s);
      Num n;
      if (s.find('.') != std::string_view::npos && parse_decimal(s, n) && n.t != Num::T::Int) return n;
      return make_int(Decimal::from_int(string_to_i(v.s)));
    }
    default: return make_int(Decimal());
  }
}

double num_to_double(const Num& n) { return n.t == Num::T::Dbl ? n.dbl : n.dec.to_double(); }

Value num_value(const Num& n) {
  if (n.t == Num::T::Int) {
    if (auto i = n.dec.to_int64()) return Value::integer(i.value());
  }
  return Value::flt(num_to_double(n));
}

int64_t num_clamp(const Num& n, int64_t lo, int64_t hi) {
  if (n.t == Num::T::Dbl) {
    if (!(n.dbl > static_cast<double>(lo))) return lo;
    if (!(n.dbl < static_cast<double>(hi))) return hi;
    return static_cast<int64_t>(n.dbl);
  }
  if (n.dec.compare(Decimal::from_int(lo)) <= 0) return lo;
  if (n.dec.compare(Decimal::from_int(hi)) >= 0) return hi;
  return n.dec.round(0, Rounding::Down).to_int64().value();
}

namespace {

// Integer op Integer stays an Integer; with a BigDecimal it is a BigDecimal.
Num::T exact_type(const Num& a, const Num& b) {
  return a.t == Num::T::Int && b.t == Num::T::Int ? Num::T::Int : Num::T::Dec;
}

}  // namespace

Num num_add(const Num& a, const Num& b) {
  if (a.t == Num::T::Dbl || b.t == Num::T::Dbl) return make_dbl(num_to_double(a) + num_to_double(b));
  return exact_or(a.dec.add(b.dec), exact_type(a, b), [&] { return num_to_double(a) + num_to_double(b); });
}

Num num_sub(const Num& a, const Num& b) {
  if (a.t == Num::T::Dbl || b.t == Num::T::Dbl) return make_dbl(num_to_double(a) - num_to_double(b));
  return exact_or(a.dec.sub(b.dec), exact_type(a, b), [&] { return num_to_double(a) - num_to_double(b); });
}

Num num_mul(const Num& a, const Num& b) {
  if (a.t == Num::T::Dbl || b.t == Num::T::Dbl) return make_dbl(num_to_double(a) * num_to_double(b));
  return exact_or(a.dec.mul(b.dec), exact_type(a, b), [&] { return num_to_double(a) * num_to_double(b); });
}

Num num_div(const Num& a, const Num& b) {
  if (is_zero(b)) fail("divided by 0");
  if (a.t == Num::T::Dbl || b.t == Num::T::Dbl) return make_dbl(num_to_double(a) / num_to_double(b));
  auto on_doubles = [&] { return num_to_double(a) / num_to_double(b); };
  // Integer#/ rounds toward negative infinity.
  if (exact_type(a, b) == Num::T::Int) return exact_or(a.dec.div(b.dec, 0, Rounding::Floor), Num::T::Int, on_doubles);
  return exact_or(a.dec.div_digits(b.dec, kQuotientDigits, Rounding::Down), Num::T::Dec, on_doubles);
}

Num num_mod(const Num& a, const Num& b) {
  if (is_zero(b)) fail("divided by 0");
  if (a.t == Num::T::Dbl || b.t == Num::T::Dbl) return make_dbl(float_mod(num_to_double(a), num_to_double(b)));
  return exact_or(a.dec.mod(b.dec), exact_type(a, b), [&] { return float_mod(num_to_double(a), num_to_double(b)); });
}

Num num_abs(const Num& a) {
  Num r = a;
  if (r.t == Num::T::Dbl) r.dbl = std::fabs(r.dbl);
  else r.dec = r.dec.abs();
  return r;
}

int num_cmp(const Num& a, const Num& b) {
  if (a.t == Num::T::Dbl || b.t == Num::T::Dbl) {
    double x = num_to_double(a), y = num_to_double(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  return a.dec.compare(b.dec);
}

Num num_round(const Num& a, int64_t digits) {
  if (a.t == Num::T::Dbl) {
    if (!std::isfinite(a.dbl)) fail("Infinity or NaN cannot be rounded");
    double p = std::pow(10.0, static_cast<double>(digits));
    return make_dbl(std::round(a.dbl * p) / p);
  }
  if (a.t == Num::T::Int && digits >= 0) return a;
  // Ruby rounds half away from zero; BigDecimal#round returns an Integer when it keeps no
  // places. Rounding to tens and beyond goes through a Float when it needs more than 38 digits.
  Num::T t = a.t == Num::T::Int || digits <= 0 ? Num::T::Int : Num::T::Dec;
  auto exponent = static_cast<int>(-std::max<int64_t>(-1000, std::min<int64_t>(digits, 1000)));
  return exact_or(a.dec.quantize(exponent, Rounding::HalfUp), t, [&] {
    double p = std::pow(10.0, static_cast<double>(-exponent));
    return std::round(a.dec.to_double() * p) / p;
  });
}

namespace {

Num float_to_int(double d, double (*direction)(double)) {
  if (!std::isfinite(d)) fail("Infinity or NaN cannot be converted to an integer");
  double whole = direction(d);
  auto exact = Decimal::from_double(whole);
  return exact ? make_int(exact.value().round(0, Rounding::Down)) : make_dbl(whole);
}

}  // namespace

Num num_floor(const Num& a) {
  if (a.t == Num::T::Dbl) return float_to_int(a.dbl, std::floor);
  return make_int(a.dec.round(0, Rounding::Floor));
}

Num num_ceil(const Num& a) {
  if (a.t == Num::T::Dbl) return float_to_int(a.dbl, std::ceil);
  return make_int(a.dec.round(0, Rounding::Ceiling));
}

}  // namespace shopflow::liquid::detail
