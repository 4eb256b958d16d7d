// Liquid runtime values: conversions, comparisons and Ruby-compatible number arithmetic.
//
// Ruby Liquid's semantics live in Ruby's core classes (Integer, Float, BigDecimal, String,
// Array, Hash); this file reproduces the parts the standard tags and filters rely on:
// to_s/inspect, ==, <=>, Float#to_s formatting, Integer() parsing, and the BigDecimal arithmetic
// that `plus`, `times`, `round` and friends use (exact decimals, so 0.1 | plus: 0.2 is 0.3).
// Everything here is deterministic and locale-free.
#include <algorithm>
#include <cmath>
#include <cstring>
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

namespace {

constexpr int kMaxDigits = 36;

i128 pow10_i128(int n) {
  i128 r = 1;
  for (int k = 0; k < n; ++k) r *= 10;
  return r;
}

i128 abs128(i128 v) { return v < 0 ? -v : v; }

const i128 kDecLimit = pow10_i128(kMaxDigits);

Num make_int(i128 v) {
  Num n;
  n.t = Num::T::Int;
  n.coef = v;
  return n;
}

Num make_dbl(double d) {
  Num n;
  n.t = Num::T::Dbl;
  n.dbl = d;
  return n;
}

Num make_dec(i128 coef, int scale) {
  Num n;
  n.t = Num::T::Dec;
  // Keep coefficients small: drop trailing zeros of the fraction.
  while (scale > 0 && coef % 10 == 0) {
    coef /= 10;
    --scale;
  }
  n.coef = coef;
  n.scale = scale;
  return n;
}

Num as_dec(const Num& a) {
  if (a.t == Num::T::Int) {
    Num n;
    n.t = Num::T::Dec;
    n.coef = a.coef;
    n.scale = 0;
    return n;
  }
  return a;
}

// Brings two decimals to the same scale; false on overflow.
bool align(const Num& a, const Num& b, i128& x, i128& y, int& scale) {
  scale = std::max(a.scale, b.scale);
  x = a.coef;
  y = b.coef;
  for (int k = a.scale; k < scale; ++k) {
    if (abs128(x) >= kDecLimit) return false;
    x *= 10;
  }
  for (int k = b.scale; k < scale; ++k) {
    if (abs128(y) >= kDecLimit) return false;
    y *= 10;
  }
  return true;
}

// Floor division and modulo as Ruby defines them for integers.
i128 floor_div(i128 a, i128 b) {
  i128 q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

i128 floor_mod(i128 a, i128 b) {
  i128 r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

bool is_zero(const Num& n) {
  if (n.t == Num::T::Dbl) return !(n.dbl < 0) && !(n.dbl > 0);
  return n.coef == 0;
}

}  // namespace

bool parse_decimal(std::string_view text, Num& out) {
  size_t i = 0;
  bool neg = false;
  if (i < text.size() && text[i] == '-') {
    neg = true;
    ++i;
  }
  i128 coef = 0;
  int scale = 0, digits = 0;
  bool any_int = false, any_frac = false, point = false;
  bool truncated = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') return false;
    if (point) any_frac = true; else any_int = true;
    if (digits >= kMaxDigits) {
      // Too many digits for an exact decimal: keep the integer magnitude, drop fraction digits.
      truncated = true;
      if (!point) {
        out = make_dbl(0);
        return false;
      }
      continue;
    }
    if (coef != 0 || c != '0') ++digits;
    coef = coef * 10 + (c - '0');
    if (point) ++scale;
  }
  (void)truncated;
  if (!any_int || (point && !any_frac)) return false;
  if (neg) coef = -coef;
  out = point ? make_dec(coef, scale) : make_int(coef);
  if (point) {
    // make_dec strips zeros but the value stays a decimal (BigDecimal).
    out.t = Num::T::Dec;
  }
  return true;
}

namespace {

Num float_to_num(double d) {
  if (!std::isfinite(d)) return make_dbl(d);
  // BigDecimal(float.to_s): the shortest decimal that round-trips.
  std::string t = format_float(d);
  bool neg = false;
  size_t i = 0;
  if (t[0] == '-') {
    neg = true;
    i = 1;
  }
  i128 coef = 0;
  int scale = 0, exp10 = 0;
  bool point = false;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c == '.') {
      point = true;
    } else if (c == 'e') {
      exp10 = std::stoi(t.substr(i + 1));
      break;
    } else {
      coef = coef * 10 + (c - '0');
      if (point) ++scale;
    }
  }
  scale -= exp10;
  while (scale < 0) {
    if (abs128(coef) >= kDecLimit) return make_dbl(d);
    coef *= 10;
    ++scale;
  }
  if (scale > 60) return make_dbl(d);
  Num n = make_dec(neg ? -coef : coef, scale);
  return n;
}

}  // namespace

Num to_number(const Value& v) {
  switch (v.kind) {
    case Kind::Int: return make_int(v.i);
    case Kind::Float: return float_to_num(v.f);
    case Kind::Str: {
      std::string_view s = trim(v.s);
      Num n;
      size_t dot = s.find('.');
      if (dot != std::string_view::npos && parse_decimal(s, n) && n.t == Num::T::Dec) return n;
      return make_int(string_to_i(v.s));
    }
    default: return make_int(0);
  }
}

double num_to_double(const Num& n) {
  switch (n.t) {
    case Num::T::Int: return static_cast<double>(n.coef);
    case Num::T::Dbl: return n.dbl;
    case Num::T::Dec: {
      bool neg = n.coef < 0;
      return decimal_to_double(neg, static_cast<u128>(neg ? -n.coef : n.coef), n.scale);
    }
  }
  return 0;
}

Value num_value(const Num& n) {
  if (n.t == Num::T::Int) {
    if (n.coef >= std::numeric_limits<int64_t>::min() && n.coef <= std::numeric_limits<int64_t>::max()) {
      return Value::integer(static_cast<int64_t>(n.coef));
    }
    return Value::flt(static_cast<double>(n.coef));
  }
  return Value::flt(num_to_double(n));
}

Num num_add(const Num& a, const Num& b) {
  if (a.t == Num::T::Dbl || b.t == Num::T::Dbl) return make_dbl(num_to_double(a) + num_to_double(b));
  if (a.t == Num::T::Int && b.t == Num::T::Int) {
    if (abs128(a.coef) < kDecLimit && abs128(b.coef) < kDecLimit) return make_int(a.coef + b.coef);
    return make_dbl(num_to_double(a) + num_to_double(b));
  }
  i128 x, y;
  int s;
  if (!align(as_dec(a), as_dec(b), x, y, s) || abs128(x) >= kDecLimit || abs128(y) >= kDecLimit) {
    return make_dbl(num_to_double(a) + num_to_double(b));
  }
  return make_dec(x + y, s);
}

Num num_sub(const Num& a, const Num& b) {
  Num nb = b;
  if (nb.t == Num::T::Dbl) nb.dbl = -nb.dbl; else nb.coef = -nb.coef;
  return num_add(a, nb);
}

Num num_mul(const Num& a, const Num& b) {
  if (a.t == Num::T::Dbl || b.t == Num::T::Dbl) return make_dbl(num_to_double(a) * num_to_double(b));
  static const i128 kHalf = pow10_i128(18);
  if (abs128(a.coef) >= kHalf || abs128(b.coef) >= kHalf) {
    // The product might not fit; a double is the honest fallback.
    if (a.t == Num::T::Int && b.t == Num::T::Int) {
      i128 x = abs128(a.coef), y = abs128(b.coef);
      if (x == 0 || y <= kDecLimit / x) return make_int(a.coef * b.coef);
    }
    return make_dbl(num_to_double(a) * num_to_double(b));
  }
  if (a.t == Num::T::Int && b.t == Num::T::Int) return make_int(a.coef * b.coef);
  Num x = as_dec(a), y = as_dec(b);
  return make_dec(x.coef * y.coef, x.scale + y.scale);
}

Num num_div(const Num& a, const Num& b) {
  if (is_zero(b)) fail("divided by 0");
  if (a.t == Num::T::Dbl || b.t == Num::T::Dbl) return make_dbl(num_to_double(a) / num_to_double(b));
  if (a.t == Num::T::Int && b.t == Num::T::Int) return make_int(floor_div(a.coef, b.coef));
  Num x = as_dec(a), y = as_dec(b);
  // Scale the numerator up as far as 128 bits allow, then divide: ~20+ significant digits,
  // more than a double keeps.
  i128 num = x.coef;
  int k = 0;
  while (abs128(num) < kDecLimit && k < 60) {
    num *= 10;
    ++k;
  }
  i128 q = num / y.coef;
  int scale = x.scale + k - y.scale;
  while (scale < 0) {
    if (abs128(q) >= kDecLimit) return make_dbl(num_to_double(a) / num_to_double(b));
    q *= 10;
    ++scale;
  }
  return make_dec(q, scale);
}

Num num_mod(const Num& a, const Num& b) {
  if (is_zero(b)) fail("divided by 0");
  if (a.t == Num::T::Dbl || b.t == Num::T::Dbl) {
    double x = num_to_double(a), y = num_to_double(b);
    double r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return make_dbl(r);
  }
  if (a.t == Num::T::Int && b.t == Num::T::Int) return make_int(floor_mod(a.coef, b.coef));
  i128 x, y;
  int s;
  if (!align(as_dec(a), as_dec(b), x, y, s)) {
    double xd = num_to_double(a), yd = num_to_double(b);
    double r = std::fmod(xd, yd);
    if (r != 0 && ((r < 0) != (yd < 0))) r += yd;
    return make_dbl(r);
  }
  return make_dec(floor_mod(x, y), s);
}

Num num_abs(const Num& a) {
  Num r = a;
  if (r.t == Num::T::Dbl) r.dbl = std::fabs(r.dbl);
  else r.coef = abs128(r.coef);
  return r;
}

int num_cmp(const Num& a, const Num& b) {
  if (a.t == Num::T::Dbl || b.t == Num::T::Dbl) {
    double x = num_to_double(a), y = num_to_double(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  i128 x, y;
  int s;
  if (!align(as_dec(a), as_dec(b), x, y, s)) {
    double xd = num_to_double(a), yd = num_to_double(b);
    return xd < yd ? -1 : (xd > yd ? 1 : 0);
  }
  return x < y ? -1 : (x > y ? 1 : 0);
}

namespace {

// Rounds coef * 10^-scale to `digits` fraction digits, half away from zero.
Num round_dec(i128 coef, int scale, int64_t digits, bool keep_int) {
  if (digits >= scale) return keep_int ? make_int(coef) : make_dec(coef, scale);
  int64_t drop = scale - digits;  // digits to remove
  if (drop > kMaxDigits + 2) return keep_int ? make_int(0) : make_dec(0, 0);
  i128 p = pow10_i128(static_cast<int>(drop));
  i128 q = coef / p, r = coef % p;
  if (abs128(r) * 2 >= p) q += coef < 0 ? -1 : 1;
  if (digits >= 0) return keep_int ? make_int(q) : make_dec(q, static_cast<int>(digits));
  // Negative digits: scale back up (1234 round -2 = 1200).
  i128 m = pow10_i128(static_cast<int>(-digits));
  if (abs128(q) >= kDecLimit / m) return make_dbl(static_cast<double>(q) * static_cast<double>(m));
  return keep_int ? make_int(q * m) : make_dec(q * m, 0);
}

}  // namespace

Num num_round(const Num& a, int64_t digits) {
  if (a.t == Num::T::Dbl) {
    if (!std::isfinite(a.dbl)) fail("Infinity or NaN cannot be rounded");
    double p = std::pow(10.0, static_cast<double>(digits));
    return make_dbl(std::round(a.dbl * p) / p);
  }
  if (a.t == Num::T::Int) {
    if (digits >= 0) return a;
    return round_dec(a.coef, 0, digits, true);
  }
  // BigDecimal#round returns an Integer when it keeps no fraction digits.
  if (digits <= 0) return round_dec(a.coef, a.scale, digits, true);
  Num r = round_dec(a.coef, a.scale, digits, false);
  if (r.t == Num::T::Int) r.t = Num::T::Dec;
  return r;
}

Num num_floor(const Num& a) {
  if (a.t == Num::T::Dbl) {
    if (!std::isfinite(a.dbl)) fail("Infinity or NaN cannot be converted to an integer");
    return make_int(static_cast<i128>(std::floor(a.dbl)));
  }
  if (a.t == Num::T::Int) return a;
  i128 p = pow10_i128(a.scale);
  return make_int(floor_div(a.coef, p));
}

Num num_ceil(const Num& a) {
  if (a.t == Num::T::Dbl) {
    if (!std::isfinite(a.dbl)) fail("Infinity or NaN cannot be converted to an integer");
    return make_int(static_cast<i128>(std::ceil(a.dbl)));
  }
  if (a.t == Num::T::Int) return a;
  i128 p = pow10_i128(a.scale);
  return make_int(-floor_div(-a.coef, p));
}

// [SECTION] Exact decimal to double

namespace {

// Little big-integer: base 2^32, least significant limb first. Only what the comparison needs.
struct Big {
  std::vector<uint32_t> limb;
  static Big from(u128 v) {
    Big b;
    while (v) {
      b.limb.push_back(static_cast<uint32_t>(v));
      v >>= 32;
    }
    return b;
  }
  void mul_small(uint32_t m) {
    uint64_t carry = 0;
    for (uint32_t& l : limb) {
      uint64_t t = static_cast<uint64_t>(l) * m + carry;
      l = static_cast<uint32_t>(t);
      carry = t >> 32;
    }
    if (carry) limb.push_back(static_cast<uint32_t>(carry));
  }
  void shl(size_t bits) {
    if (limb.empty()) return;
    size_t words = bits / 32, rem = bits % 32;
    if (rem) {
      uint32_t carry = 0;
      for (uint32_t& l : limb) {
        uint32_t next = l >> (32 - rem);
        l = (l << rem) | carry;
        carry = next;
      }
      if (carry) limb.push_back(carry);
    }
    limb.insert(limb.begin(), words, 0u);
  }
  void trim() {
    while (!limb.empty() && limb.back() == 0) limb.pop_back();
  }
};

int big_cmp(Big a, Big b) {
  a.trim();
  b.trim();
  if (a.limb.size() != b.limb.size()) return a.limb.size() < b.limb.size() ? -1 : 1;
  for (size_t k = a.limb.size(); k-- > 0;) {
    if (a.limb[k] != b.limb[k]) return a.limb[k] < b.limb[k] ? -1 : 1;
  }
  return 0;
}

// x = m * 2^e with m < 2^53.
void decompose(double x, uint64_t& m, int& e) {
  if (x == 0) {
    m = 0;
    e = -1074;
    return;
  }
  int ex;
  double fr = std::frexp(x, &ex);
  m = static_cast<uint64_t>(std::ldexp(fr, 53));
  e = ex - 53;
}

// Compares N/D with the midpoint of the positive doubles lo < hi.
int cmp_mid(const Big& n, const Big& d, double lo, double hi) {
  uint64_t ma, mb;
  int ea, eb;
  decompose(lo, ma, ea);
  decompose(hi, mb, eb);
  int emin = std::min(ea, eb);
  Big sum_a = Big::from(ma), sum_b = Big::from(mb);
  sum_a.shl(static_cast<size_t>(ea - emin));
  sum_b.shl(static_cast<size_t>(eb - emin));
  // M = sum_a + sum_b
  Big m;
  size_t len = std::max(sum_a.limb.size(), sum_b.limb.size());
  uint64_t carry = 0;
  for (size_t k = 0; k < len; ++k) {
    uint64_t t = carry;
    if (k < sum_a.limb.size()) t += sum_a.limb[k];
    if (k < sum_b.limb.size()) t += sum_b.limb[k];
    m.limb.push_back(static_cast<uint32_t>(t));
    carry = t >> 32;
  }
  if (carry) m.limb.push_back(static_cast<uint32_t>(carry));
  // mid = M * 2^(emin-1); compare N with D * M * 2^(emin-1).
  int k = emin - 1;
  Big lhs = n, rhs = d;
  // rhs = d * m
  Big prod;
  prod.limb.assign(rhs.limb.size() + m.limb.size() + 1, 0);
  for (size_t x = 0; x < rhs.limb.size(); ++x) {
    uint64_t c = 0;
    for (size_t y = 0; y < m.limb.size(); ++y) {
      uint64_t t = static_cast<uint64_t>(rhs.limb[x]) * m.limb[y] + prod.limb[x + y] + c;
      prod.limb[x + y] = static_cast<uint32_t>(t);
      c = t >> 32;
    }
    size_t pos = x + m.limb.size();
    while (c) {
      uint64_t t = static_cast<uint64_t>(prod.limb[pos]) + c;
      prod.limb[pos] = static_cast<uint32_t>(t);
      c = t >> 32;
      ++pos;
    }
  }
  if (k >= 0) {
    prod.shl(static_cast<size_t>(k));
  } else {
    lhs.shl(static_cast<size_t>(-k));
  }
  return big_cmp(lhs, prod);
}

bool odd_significand(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return (bits & 1) != 0;
}

}  // namespace

double decimal_to_double(bool negative, u128 coef, int scale) {
  if (coef == 0) return negative ? -0.0 : 0.0;
  static const double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  double r;
  if (coef < (static_cast<u128>(1) << 53) && scale >= -22 && scale <= 22) {
    // Both operands exact: one correctly rounded operation.
    double c = static_cast<double>(static_cast<uint64_t>(coef));
    r = scale >= 0 ? c / kPow10[scale] : c * kPow10[-scale];
    return negative ? -r : r;
  }
  int ndigits = 0;
  for (u128 t = coef; t; t /= 10) ++ndigits;
  if (ndigits - scale > 310) return negative ? -HUGE_VAL : HUGE_VAL;
  if (ndigits - scale < -330) return negative ? -0.0 : 0.0;
  // Approximate, then correct by comparing exactly with the neighbours' midpoints.
  double approx = static_cast<double>(coef);
  int s = scale;
  while (s > 0) {
    int step = std::min(s, 22);
    approx /= kPow10[step];
    s -= step;
  }
  while (s < 0) {
    int step = std::min(-s, 22);
    approx *= kPow10[step];
    s += step;
  }
  Big n = Big::from(coef), d = Big::from(1);
  for (int k = 0; k < (scale < 0 ? -scale : 0); ++k) n.mul_small(10);
  for (int k = 0; k < (scale > 0 ? scale : 0); ++k) d.mul_small(10);
  double x = approx;
  for (int iter = 0; iter < 200; ++iter) {
    if (std::isinf(x)) break;
    double up = std::nextafter(x, HUGE_VAL);
    if (std::isinf(up)) break;
    int c = cmp_mid(n, d, x, up);
    if (c > 0 || (c == 0 && odd_significand(x))) {
      x = up;
      if (c == 0) break;
      continue;
    }
    if (x > 0) {
      double down = std::nextafter(x, 0.0);
      int c2 = cmp_mid(n, d, down, x);
      if (c2 < 0 || (c2 == 0 && odd_significand(x))) {
        x = down;
        if (c2 == 0) break;
        continue;
      }
    }
    break;
  }
  return negative ? -x : x;
}

}  // namespace shopflow::liquid::detail
