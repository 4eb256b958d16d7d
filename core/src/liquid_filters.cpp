// Liquid filters: Ruby Liquid's standard filters plus Shopify's `json` and `money` family.
//
// Every filter is registered in one table at the end of this file (name, function, argument
// counts). Each follows the Ruby implementation in liquid 5.x's standardfilters.rb, including
// its coercions (`to_s` of arrays, to_number of strings, InputIterator flattening) and its
// errors (which here end the render with an Error). `money` formats exact decimals: amounts are
// decimal strings such as "49.90" as Shopify's webhooks send them; no binary float touches them.
#include <algorithm>
#include <cstring>

#include "liquid_internal.hpp"
#include "shopflow/currency.hpp"
#include "shopflow/decimal.hpp"

namespace shopflow::liquid::detail {

namespace {

using Args = FilterArgs;

const Value& arg(const Args& a, size_t k) {
  static const Value kNil;
  return k < a.pos.size() ? a.pos[k] : kNil;
}

bool has_arg(const Args& a, size_t k) { return k < a.pos.size(); }

[[noreturn]] void property_error(const Value& property) {
  fail("cannot select the property '" + to_s(property) + "'");
}

size_t max_elems(Renderer& r) { return r.options().limits.max_loop_iterations; }

// [SECTION] UTF-8 and case mapping

// Decodes one UTF-8 sequence at s[i]; invalid bytes decode as themselves (cp = byte, len 1).
uint32_t decode_utf8(std::string_view s, size_t i, size_t& len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  auto cont = [&](size_t k) { return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  if (c < 0x80) {
    len = 1;
    return c;
  }
  if (c >= 0xC2 && c < 0xE0 && cont(1)) {
    len = 2;
    return ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
  }
  if (c >= 0xE0 && c < 0xF0 && cont(1) && cont(2)) {
    len = 3;
    return ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
  }
  if (c >= 0xF0 && c < 0xF5 && cont(1) && cont(2) && cont(3)) {
    len = 4;
    return ((c & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
           ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) | (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
  }
  len = 1;
  return 0xFFFFFFFFu;  // invalid byte: copied through unchanged
}

void encode_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Simple case mapping for Latin, Greek, Cyrillic and Armenian letters.
uint32_t to_upper_cp(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0x80) return c;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 32;
  if (c == 0xFF) return 0x178;
  if (c == 0xB5) return 0x39C;
  if (c >= 0x100 && c <= 0x17F) {
    if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return (c & 1) ? c - 1 : c;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c : c - 1;
    if (c == 0x131) return 'I';
    if (c == 0x17F) return 'S';
    return c;
  }
  if (c >= 0x3B1 && c <= 0x3C9) return c == 0x3C2 ? 0x3A3 : c - 32;
  switch (c) {
    case 0x3AC: return 0x386;
    case 0x3AD: return 0x388;
    case 0x3AE: return 0x389;
    case 0x3AF: return 0x38A;
    case 0x3CC: return 0x38C;
    case 0x3CD: return 0x38E;
    case 0x3CE: return 0x38F;
    default: break;
  }
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F)) return (c & 1) ? c - 1 : c;
  if (c >= 0x561 && c <= 0x586) return c - 48;
  if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF)) return (c & 1) ? c - 1 : c;
  if (c >= 0xFF41 && c <= 0xFF5A) return c - 32;
  return c;
}

uint32_t to_lower_cp(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0x80) return c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c == 0x178) return 0xFF;
  if (c >= 0x100 && c <= 0x17F) {
    if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return (c & 1) ? c : c + 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : c;
    if (c == 0x130) return 'i';
    return c;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  switch (c) {
    case 0x386: return 0x3AC;
    case 0x388: return 0x3AD;
    case 0x389: return 0x3AE;
    case 0x38A: return 0x3AF;
    case 0x38C: return 0x3CC;
    case 0x38E: return 0x3CD;
    case 0x38F: return 0x3CE;
    default: break;
  }
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F)) return (c & 1) ? c : c + 1;
  if (c >= 0x531 && c <= 0x556) return c + 48;
  if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF)) return (c & 1) ? c : c + 1;
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;
  return c;
}

enum class CaseOp { Up, Down, Capitalize };

std::string map_case(std::string_view s, CaseOp op) {
  std::string out;
  out.reserve(s.size());
  bool first = true;
  for (size_t i = 0; i < s.size();) {
    size_t len;
    uint32_t cp = decode_utf8(s, i, len);
    if (cp == 0xFFFFFFFFu) {
      out += s[i];
    } else {
      bool up = op == CaseOp::Up || (op == CaseOp::Capitalize && first);
      if (up && cp == 0xDF) {
        out += first && op == CaseOp::Capitalize ? "Ss" : "SS";
      } else {
        encode_utf8(out, up ? to_upper_cp(cp) : to_lower_cp(cp));
      }
    }
    first = false;
    i += len;
  }
  return out;
}

// Byte offsets of UTF-8 character boundaries (size n+1).
std::vector<size_t> char_offsets(std::string_view s) {
  std::vector<size_t> off;
  off.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) off.push_back(i);
  }
  off.push_back(s.size());
  return off;
}

// [SECTION] String helpers

std::string S(const Value& v) { return to_s(v); }

std::string replace_all(std::string_view in, std::string_view pat, std::string_view rep) {
  std::string out;
  if (pat.empty()) {
    // Ruby's gsub("") inserts the replacement at every character boundary.
    auto off = char_offsets(in);
    for (size_t k = 0; k + 1 < off.size(); ++k) {
      out += rep;
      out.append(in.substr(off[k], off[k + 1] - off[k]));
    }
    out += rep;
    return out;
  }
  size_t pos = 0;
  while (true) {
    size_t f = in.find(pat, pos);
    if (f == std::string_view::npos) break;
    out.append(in.substr(pos, f - pos));
    out += rep;
    pos = f + pat.size();
  }
  out.append(in.substr(pos));
  return out;
}

std::string replace_first_(std::string_view in, std::string_view pat, std::string_view rep) {
  size_t f = in.find(pat);
  if (f == std::string_view::npos) return std::string(in);
  std::string out(in.substr(0, f));
  out += rep;
  out.append(in.substr(f + pat.size()));
  return out;
}

std::string replace_last_(std::string_view in, std::string_view pat, std::string_view rep) {
  size_t f = in.rfind(pat);
  if (f == std::string_view::npos) return std::string(in);
  std::string out(in.substr(0, f));
  out += rep;
  out.append(in.substr(f + pat.size()));
  return out;
}

bool ruby_ws(char c) { return is_space(c) || c == '\0'; }

std::string_view lstrip_(std::string_view s) {
  size_t b = 0;
  while (b < s.size() && ruby_ws(s[b])) ++b;
  return s.substr(b);
}

std::string_view rstrip_(std::string_view s) {
  size_t e = s.size();
  while (e > 0 && ruby_ws(s[e - 1])) --e;
  return s.substr(0, e);
}

// Ruby's String#split(" "): runs of whitespace, leading whitespace ignored.
std::vector<std::string_view> awk_split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size()) break;
    size_t st = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    out.push_back(s.substr(st, i - st));
  }
  return out;
}

// [SECTION] JSON output

void json_into(std::string& out, const Value& v, int depth) {
  if (depth > 200) fail("value nested too deeply for json");
  switch (v.kind) {
    case Kind::Nil: out += "null"; break;
    case Kind::Bool: out += v.b ? "true" : "false"; break;
    case Kind::Int: out += std::to_string(v.i); break;
    case Kind::Float: {
      if (!std::isfinite(v.f)) {
        out += "null";
      } else {
        char buf[64];
        char* e = nlohmann::detail::to_chars(buf, buf + sizeof buf, v.f);
        out.append(buf, static_cast<size_t>(e - buf));
      }
      break;
    }
    case Kind::Str: append_json_string(out, v.s); break;
    case Kind::Blank:
    case Kind::Empty: out += "\"\""; break;
    case Kind::Arr:
      if (v.json) {
        out += v.j().dump(-1, ' ', false, Json::error_handler_t::replace);
      } else {
        out += '[';
        for (size_t k = 0; k < v.a().size(); ++k) {
          if (k) out += ',';
          json_into(out, v.a()[k], depth + 1);
        }
        out += ']';
      }
      break;
    case Kind::Obj: out += v.j().dump(-1, ' ', false, Json::error_handler_t::replace); break;
    case Kind::Range: {
      out += '[';
      for (int64_t k = v.i; v.i2 >= v.i; ++k) {
        if (k != v.i) out += ',';
        out += std::to_string(k);
        if (out.size() > (1u << 26)) fail("range too large for json");
        if (k == v.i2) break;
      }
      out += ']';
      break;
    }
    case Kind::Drop: {
      const DropState& d = v.d();
      out += "{\"length\":" + std::to_string(d.length) + ",\"index\":" + std::to_string(d.index + 1) +
             ",\"index0\":" + std::to_string(d.index) + ",\"rindex\":" + std::to_string(d.length - d.index) +
             ",\"rindex0\":" + std::to_string(d.length - d.index - 1) + ",\"first\":" + (d.index == 0 ? "true" : "false") +
             ",\"last\":" + (d.index == d.length - 1 ? "true" : "false") + "}";
      break;
    }
  }
}

Json to_json_value(const Value& v, int depth = 0) {
  std::string text;
  json_into(text, v, depth);
  return Json::parse(text);
}

// [SECTION] Filters: strings

Value f_append(Renderer&, const Value& in, const Args& a) { return Value::str(S(in) + S(arg(a, 0))); }
Value f_prepend(Renderer&, const Value& in, const Args& a) { return Value::str(S(arg(a, 0)) + S(in)); }
Value f_downcase(Renderer&, const Value& in, const Args&) { return Value::str(map_case(S(in), CaseOp::Down)); }
Value f_upcase(Renderer&, const Value& in, const Args&) { return Value::str(map_case(S(in), CaseOp::Up)); }
Value f_capitalize(Renderer&, const Value& in, const Args&) { return Value::str(map_case(S(in), CaseOp::Capitalize)); }
Value f_strip(Renderer&, const Value& in, const Args&) { return Value::str(std::string(rstrip_(lstrip_(S(in))))); }
Value f_lstrip(Renderer&, const Value& in, const Args&) { return Value::str(std::string(lstrip_(S(in)))); }
Value f_rstrip(Renderer&, const Value& in, const Args&) { return Value::str(std::string(rstrip_(S(in)))); }

Value f_escape(Renderer&, const Value& in, const Args&) {
  if (in.is_nil()) return Value::nil();
  std::string s = S(in), out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return Value::str(std::move(out));
}

Value f_escape_once(Renderer&, const Value& in, const Args&) {
  std::string s = S(in), out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '&') {
      // &(?!([a-zA-Z]+|(#\d+));)
      size_t k = i + 1;
      bool entity = false;
      if (k < s.size() && s[k] == '#') {
        size_t d = k + 1;
        while (d < s.size() && s[d] >= '0' && s[d] <= '9') ++d;
        entity = d > k + 1 && d < s.size() && s[d] == ';';
      } else {
        size_t d = k;
        while (d < s.size() && ((s[d] >= 'a' && s[d] <= 'z') || (s[d] >= 'A' && s[d] <= 'Z'))) ++d;
        entity = d > k && d < s.size() && s[d] == ';';
      }
      out += entity ? "&" : "&amp;";
      continue;
    }
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return Value::str(std::move(out));
}

Value f_url_encode(Renderer&, const Value& in, const Args&) {
  if (in.is_nil()) return Value::nil();
  static const char* hex = "0123456789ABCDEF";
  std::string s = S(in), out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
        c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return Value::str(std::move(out));
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t len;
    if (decode_utf8(s, i, len) == 0xFFFFFFFFu) return false;
    i += len;
  }
  return true;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Value f_url_decode(Renderer&, const Value& in, const Args&) {
  if (in.is_nil()) return Value::nil();
  std::string s = S(in), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  if (!valid_utf8(out)) fail("invalid byte sequence in UTF-8");
  return Value::str(std::move(out));
}

const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string b64_encode(std::string_view s, bool url) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t n = static_cast<unsigned char>(s[i]) << 16;
    size_t got = 1;
    if (i + 1 < s.size()) {
      n |= static_cast<unsigned char>(s[i + 1]) << 8;
      ++got;
    }
    if (i + 2 < s.size()) {
      n |= static_cast<unsigned char>(s[i + 2]);
      ++got;
    }
    char q[4] = {kB64[(n >> 18) & 63], kB64[(n >> 12) & 63], got > 1 ? kB64[(n >> 6) & 63] : '=', got > 2 ? kB64[n & 63] : '='};
    for (char c : q) {
      if (url && c == '+') c = '-';
      if (url && c == '/') c = '_';
      out += c;
    }
    i += 3;
  }
  return out;
}

bool b64_decode(std::string_view s, std::string& out) {
  if (s.size() % 4 != 0) return false;
  for (size_t i = 0; i < s.size(); i += 4) {
    uint32_t n = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      char c = s[i + k];
      int v;
      if (c == '=') {
        if (i + 4 != s.size() || k < 2) return false;
        ++pad;
        v = 0;
      } else {
        if (pad) return false;
        const char* p = std::strchr(kB64, c);
        if (!p || c == '\0') return false;
        v = static_cast<int>(p - kB64);
      }
      n = (n << 6) | static_cast<uint32_t>(v);
    }
    out += static_cast<char>((n >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(n & 0xFF);
    // Ruby's strict decoder rejects non-zero padding bits.
    if (pad == 2 && (n & 0xFFFF)) return false;
    if (pad == 1 && (n & 0xFF)) return false;
  }
  return true;
}

Value f_base64_encode(Renderer&, const Value& in, const Args&) { return Value::str(b64_encode(S(in), false)); }
Value f_base64_url_safe_encode(Renderer&, const Value& in, const Args&) { return Value::str(b64_encode(S(in), true)); }

Value f_base64_decode(Renderer&, const Value& in, const Args&) {
  std::string out;
  if (!b64_decode(S(in), out)) fail("invalid base64 provided to base64_decode");
  return Value::str(std::move(out));
}

Value f_base64_url_safe_decode(Renderer&, const Value& in, const Args&) {
  std::string s = S(in);
  for (char& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/') c = '!';  // not part of the URL-safe alphabet
  }
  if (s.size() % 4 != 0 && (s.empty() || s.back() != '=')) s.append(4 - s.size() % 4, '=');
  std::string out;
  if (!b64_decode(s, out)) fail("invalid base64 provided to base64_url_safe_decode");
  return Value::str(std::move(out));
}

Value f_newline_to_br(Renderer&, const Value& in, const Args&) {
  std::string s = S(in), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      out += "<br />\n";
      ++i;
    } else if (s[i] == '\n') {
      out += "<br />\n";
    } else {
      out += s[i];
    }
  }
  return Value::str(std::move(out));
}

Value f_strip_newlines(Renderer&, const Value& in, const Args&) {
  std::string s = S(in), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      ++i;
    } else if (s[i] != '\n') {
      out += s[i];
    }
  }
  return Value::str(std::move(out));
}

Value f_strip_html(Renderer&, const Value& in, const Args&) {
  std::string s = S(in);
  // First <script>...</script>, <!-- ... -->, <style>...</style> (leftmost, shortest), then <...>.
  std::string pass1;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '<') {
      std::string_view rest(s.data() + i, s.size() - i);
      size_t end = std::string_view::npos;
      if (rest.compare(0, 7, "<script") == 0) {
        size_t e = rest.find("</script>", 7);
        if (e != std::string_view::npos) end = e + 9;
      } else if (rest.compare(0, 4, "<!--") == 0) {
        size_t e = rest.find("-->", 4);
        if (e != std::string_view::npos) end = e + 3;
      } else if (rest.compare(0, 6, "<style") == 0) {
        size_t e = rest.find("</style>", 6);
        if (e != std::string_view::npos) end = e + 8;
      }
      if (end != std::string_view::npos) {
        i += end;
        continue;
      }
    }
    pass1 += s[i++];
  }
  std::string out;
  for (size_t k = 0; k < pass1.size();) {
    if (pass1[k] == '<') {
      size_t e = pass1.find('>', k + 1);
      if (e != std::string::npos) {
        k = e + 1;
        continue;
      }
    }
    out += pass1[k++];
  }
  return Value::str(std::move(out));
}

Value f_replace(Renderer&, const Value& in, const Args& a) { return Value::str(replace_all(S(in), S(arg(a, 0)), S(arg(a, 1)))); }
Value f_replace_first(Renderer&, const Value& in, const Args& a) { return Value::str(replace_first_(S(in), S(arg(a, 0)), S(arg(a, 1)))); }
Value f_replace_last(Renderer&, const Value& in, const Args& a) { return Value::str(replace_last_(S(in), S(arg(a, 0)), S(arg(a, 1)))); }
Value f_remove(Renderer&, const Value& in, const Args& a) { return Value::str(replace_all(S(in), S(arg(a, 0)), "")); }
Value f_remove_first(Renderer&, const Value& in, const Args& a) { return Value::str(replace_first_(S(in), S(arg(a, 0)), "")); }
Value f_remove_last(Renderer&, const Value& in, const Args& a) { return Value::str(replace_last_(S(in), S(arg(a, 0)), "")); }

Value f_split(Renderer& r, const Value& in, const Args& a) {
  std::string s = S(in), pat = S(arg(a, 0));
  // Its pieces are not charged as text, and a chain of splits re-reads them as ever longer
  // inspected text: bound what one split may take.
  const size_t limit = r.options().limits.max_output_bytes;
  if (s.size() > limit) fail("text too large to split (limit " + std::to_string(limit) + " bytes)");
  Array out;
  auto push = [&](std::string_view piece) {
    out.push_back(Value::str(std::string(piece)));
    if (out.size() > max_elems(r)) fail("array too large");
  };
  if (pat == " ") {
    for (auto w : awk_split(s)) push(w);
    return Value::array(std::move(out));
  }
  if (pat.empty()) {
    auto off = char_offsets(s);
    for (size_t k = 0; k + 1 < off.size(); ++k) push(std::string_view(s).substr(off[k], off[k + 1] - off[k]));
    return Value::array(std::move(out));
  }
  size_t pos = 0;
  while (true) {
    size_t f = s.find(pat, pos);
    if (f == std::string::npos) {
      push(std::string_view(s).substr(pos));
      break;
    }
    push(std::string_view(s).substr(pos, f - pos));
    pos = f + pat.size();
  }
  // Ruby drops trailing empty fields.
  while (!out.empty() && out.back().s.empty()) out.pop_back();
  return Value::array(std::move(out));
}

Value f_truncate(Renderer&, const Value& in, const Args& a) {
  if (in.is_nil()) return Value::nil();
  std::string s = S(in);
  int64_t length = has_arg(a, 0) ? to_integer_strict(arg(a, 0)) : 50;
  std::string ellipsis = has_arg(a, 1) ? S(arg(a, 1)) : "...";
  int64_t n = static_cast<int64_t>(utf8_length(s));
  if (n <= length) return Value::str(std::move(s));
  int64_t ell = static_cast<int64_t>(utf8_length(ellipsis));
  int64_t l = length < ell ? 0 : length - ell;
  auto off = char_offsets(s);
  return Value::str(s.substr(0, off[static_cast<size_t>(l)]) + ellipsis);
}

Value f_truncatewords(Renderer&, const Value& in, const Args& a) {
  if (in.is_nil()) return Value::nil();
  std::string s = S(in);
  int64_t words = has_arg(a, 0) ? to_integer_strict(arg(a, 0)) : 15;
  std::string ellipsis = has_arg(a, 1) ? S(arg(a, 1)) : "...";
  if (words <= 0) words = 1;
  auto list = awk_split(s);
  if (static_cast<int64_t>(list.size()) <= words) return Value::str(std::move(s));
  std::string out;
  for (int64_t k = 0; k < words; ++k) {
    if (k) out += ' ';
    out.append(list[static_cast<size_t>(k)]);
  }
  return Value::str(out + ellipsis);
}

Value f_slice(Renderer&, const Value& in, const Args& a) {
  int64_t offset = to_integer_strict(arg(a, 0));
  int64_t length = has_arg(a, 1) && !arg(a, 1).is_nil() ? to_integer_strict(arg(a, 1)) : 1;
  if (in.kind == Kind::Arr) {
    int64_t n = static_cast<int64_t>(arr_size(in));
    if (offset < 0) offset += n;
    if (offset < 0 || offset > n || length < 0) return Value::array({});
    Array out;
    for (int64_t k = offset; k < n && k - offset < length; ++k) out.push_back(arr_at(in, static_cast<size_t>(k)));
    return Value::array(std::move(out));
  }
  std::string s = S(in);
  auto off = char_offsets(s);
  int64_t n = static_cast<int64_t>(off.size()) - 1;
  if (offset < 0) offset += n;
  if (offset < 0 || offset > n || length < 0) return Value::view("");
  int64_t end = length > n - offset ? n : offset + length;
  return Value::str(s.substr(off[static_cast<size_t>(offset)], off[static_cast<size_t>(end)] - off[static_cast<size_t>(offset)]));
}

Value f_size(Renderer&, const Value& in, const Args&) {
  switch (in.kind) {
    case Kind::Str: return Value::integer(static_cast<int64_t>(utf8_length(in.s)));
    case Kind::Arr: return Value::integer(static_cast<int64_t>(arr_size(in)));
    case Kind::Obj: return Value::integer(static_cast<int64_t>(obj_size(in)));
    case Kind::Range: return Value::integer(range_size(in));
    case Kind::Int: return Value::integer(8);
    default: return Value::integer(0);
  }
}

// [SECTION] Filters: numbers

Value f_plus(Renderer&, const Value& in, const Args& a) { return num_value(num_add(to_number(in), to_number(arg(a, 0)))); }
Value f_minus(Renderer&, const Value& in, const Args& a) { return num_value(num_sub(to_number(in), to_number(arg(a, 0)))); }
Value f_times(Renderer&, const Value& in, const Args& a) { return num_value(num_mul(to_number(in), to_number(arg(a, 0)))); }
Value f_divided_by(Renderer&, const Value& in, const Args& a) { return num_value(num_div(to_number(in), to_number(arg(a, 0)))); }
Value f_modulo(Renderer&, const Value& in, const Args& a) { return num_value(num_mod(to_number(in), to_number(arg(a, 0)))); }
Value f_abs(Renderer&, const Value& in, const Args&) { return num_value(num_abs(to_number(in))); }
Value f_ceil(Renderer&, const Value& in, const Args&) { return num_value(num_ceil(to_number(in))); }
Value f_floor(Renderer&, const Value& in, const Args&) { return num_value(num_floor(to_number(in))); }

Value f_round(Renderer&, const Value& in, const Args& a) {
  const Value& nv = arg(a, 0);
  Num digits = has_arg(a, 0) ? to_number(nv) : Num{};
  int64_t d = num_clamp(num_floor(digits), -1000, 1000);
  Num res = num_round(to_number(in), d);
  // Ruby: `result.to_i if n == 0` -- n as given (an Integer 0 or 0.0; not "0").
  bool n_zero = !has_arg(a, 0) || (nv.kind == Kind::Int && nv.i == 0) || (nv.kind == Kind::Float && nv.f == 0);
  if (n_zero) {
    Value v = num_value(res);
    if (v.kind == Kind::Float) {
      if (!std::isfinite(v.f)) fail("Infinity or NaN cannot be converted to an integer");
      return num_value(num_floor(to_number(v)));
    }
    return v;
  }
  return num_value(res);
}

Value f_at_least(Renderer&, const Value& in, const Args& a) {
  Num lo = to_number(arg(a, 0)), v = to_number(in);
  return num_value(num_cmp(lo, v) > 0 ? lo : v);
}

Value f_at_most(Renderer&, const Value& in, const Args& a) {
  Num hi = to_number(arg(a, 0)), v = to_number(in);
  return num_value(num_cmp(hi, v) < 0 ? hi : v);
}

// [SECTION] Filters: arrays

Value f_join(Renderer& r, const Value& in, const Args& a) {
  std::string glue = has_arg(a, 0) ? S(arg(a, 0)) : " ";
  Array items = to_iterable(in, max_elems(r));
  std::string out;
  for (size_t k = 0; k < items.size(); ++k) {
    if (k) out += glue;
    append_output(out, items[k]);
    if (out.size() > r.options().limits.max_output_bytes) fail("result too large");
  }
  return Value::str(std::move(out));
}

Value f_first(Renderer&, const Value& in, const Args&) {
  switch (in.kind) {
    case Kind::Arr: return arr_size(in) ? arr_at(in, 0) : Value::nil();
    case Kind::Range: return Value::integer(in.i);
    case Kind::Obj: {
      if (in.j().empty()) return Value::nil();
      auto it = in.j().begin();
      Array pair{Value::view(it.key()), Value::from_json(it.value())};
      return Value::array(std::move(pair));
    }
    default: return Value::nil();
  }
}

Value f_last(Renderer&, const Value& in, const Args&) {
  switch (in.kind) {
    case Kind::Arr: {
      size_t n = arr_size(in);
      return n ? arr_at(in, n - 1) : Value::nil();
    }
    case Kind::Range: return Value::integer(in.i2);
    default: return Value::nil();
  }
}

Value f_reverse(Renderer& r, const Value& in, const Args&) {
  Array items = to_iterable(in, max_elems(r));
  std::reverse(items.begin(), items.end());
  return Value::array(std::move(items));
}

Value f_concat(Renderer& r, const Value& in, const Args& a) {
  const Value& other = arg(a, 0);
  if (other.kind != Kind::Arr) fail("concat filter requires an array argument");
  Array items = to_iterable(in, max_elems(r));
  size_t n = arr_size(other);
  if (items.size() + n > max_elems(r)) fail("array too large");
  for (size_t k = 0; k < n; ++k) items.push_back(arr_at(other, k));
  return Value::array(std::move(items));
}

bool responds_to_index(const Value& v) {
  switch (v.kind) {
    case Kind::Obj:
    case Kind::Arr:
    case Kind::Str:
    case Kind::Int:
    case Kind::Drop:
    case Kind::Blank:
    case Kind::Empty: return true;
    default: return false;
  }
}

Value f_map(Renderer& r, const Value& in, const Args& a) {
  const Value& prop = arg(a, 0);
  Array items = to_iterable(in, max_elems(r));
  Array out;
  out.reserve(items.size());
  for (const Value& e : items) {
    if (prop.kind == Kind::Str && prop.s == "to_liquid") {
      out.push_back(e);
      continue;
    }
    Value v;
    int rc = ruby_index(e, prop, v);
    if (rc == 2) property_error(prop);
    out.push_back(std::move(v));
  }
  return Value::array(std::move(out));
}

// Ruby's eql? (used by uniq): like == but 1 and 1.0 differ.
bool ruby_eql(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number() && a.kind != b.kind) return false;
  return ruby_equal(a, b);
}

Value f_uniq(Renderer& r, const Value& in, const Args& a) {
  Array items = to_iterable(in, max_elems(r));
  Array out;
  if (!has_arg(a, 0) || arg(a, 0).is_nil()) {
    for (const Value& e : items) {
      bool seen = false;
      for (const Value& o : out) {
        if (ruby_eql(o, e)) {
          seen = true;
          break;
        }
      }
      if (!seen) out.push_back(e);
    }
    return Value::array(std::move(out));
  }
  if (items.empty()) return Value::array({});
  const Value& prop = arg(a, 0);
  std::vector<Value> keys;
  for (const Value& e : items) {
    Value k;
    int rc = ruby_index(e, prop, k);
    if (rc == 2) property_error(prop);
    if (rc == 1) return Value::nil();
    bool seen = false;
    for (const Value& o : keys) {
      if (ruby_eql(o, k)) {
        seen = true;
        break;
      }
    }
    if (!seen) {
      keys.push_back(k);
      out.push_back(e);
    }
  }
  return Value::array(std::move(out));
}

Value f_compact(Renderer& r, const Value& in, const Args& a) {
  Array items = to_iterable(in, max_elems(r));
  Array out;
  if (!has_arg(a, 0) || arg(a, 0).is_nil()) {
    for (const Value& e : items) {
      if (!e.is_nil()) out.push_back(e);
    }
    return Value::array(std::move(out));
  }
  if (items.empty()) return Value::array({});
  const Value& prop = arg(a, 0);
  for (const Value& e : items) {
    Value k;
    int rc = ruby_index(e, prop, k);
    if (rc == 2) property_error(prop);
    if (rc == 1) return Value::nil();
    if (!k.is_nil()) out.push_back(e);
  }
  return Value::array(std::move(out));
}

int nil_safe_compare(const Value& x, const Value& y) {
  int c = ruby_compare(x, y);
  if (c != 2) return c;
  if (x.is_nil()) return 1;
  if (y.is_nil()) return -1;
  fail("cannot sort values of incompatible types");
}

int casecmp(std::string_view x, std::string_view y) {
  size_t n = std::min(x.size(), y.size());
  for (size_t k = 0; k < n; ++k) {
    unsigned char cx = static_cast<unsigned char>(x[k]), cy = static_cast<unsigned char>(y[k]);
    if (cx >= 'A' && cx <= 'Z') cx = static_cast<unsigned char>(cx + 32);
    if (cy >= 'A' && cy <= 'Z') cy = static_cast<unsigned char>(cy + 32);
    if (cx != cy) return cx < cy ? -1 : 1;
  }
  return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
}

int nil_safe_casecmp(const Value& x, const Value& y) {
  if (!x.is_nil() && !y.is_nil()) {
    std::string sx, sy;
    return casecmp(str_view(x, sx), str_view(y, sy));
  }
  if (x.is_nil() && y.is_nil()) return 0;
  return x.is_nil() ? 1 : -1;
}

Value sort_impl(Renderer& r, const Value& in, const Args& a, bool natural) {
  Array items = to_iterable(in, max_elems(r));
  if (items.empty()) return Value::array({});
  auto cmp = natural ? nil_safe_casecmp : nil_safe_compare;
  if (!has_arg(a, 0) || arg(a, 0).is_nil()) {
    std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) { return cmp(x, y) < 0; });
    return Value::array(std::move(items));
  }
  for (const Value& e : items) {
    if (!responds_to_index(e)) return Value::nil();
  }
  const Value& prop = arg(a, 0);
  std::vector<std::pair<Value, size_t>> keyed;
  keyed.reserve(items.size());
  for (size_t k = 0; k < items.size(); ++k) {
    Value v;
    if (ruby_index(items[k], prop, v) == 2) property_error(prop);
    keyed.emplace_back(std::move(v), k);
  }
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) { return cmp(x.first, y.first) < 0; });
  Array out;
  out.reserve(items.size());
  for (auto& kv : keyed) out.push_back(items[kv.second]);
  return Value::array(std::move(out));
}

Value f_sort(Renderer& r, const Value& in, const Args& a) { return sort_impl(r, in, a, false); }
Value f_sort_natural(Renderer& r, const Value& in, const Args& a) { return sort_impl(r, in, a, true); }

// where / reject / has / find / find_index share Ruby's filter_array.
enum class Select { Where, Reject, Has, Find, FindIndex };

Value select_impl(Renderer& r, const Value& in, const Args& a, Select mode) {
  Array items = to_iterable(in, max_elems(r));
  const Value& prop = arg(a, 0);
  bool has_target = has_arg(a, 1) && !arg(a, 1).is_nil();
  const Value& target = arg(a, 1);
  if (items.empty()) {
    if (mode == Select::Has) return Value::boolean(false);
    if (mode == Select::Find || mode == Select::FindIndex) return Value::nil();
    return Value::array({});
  }
  if (prop.is_nil()) {
    if (mode == Select::Has) return Value::boolean(false);
    return Value::nil();
  }
  Array out;
  for (size_t k = 0; k < items.size(); ++k) {
    const Value& e = items[k];
    Value v;
    int rc = ruby_index(e, prop, v);
    if (rc == 2) property_error(prop);
    if (rc == 1) return Value::nil();
    bool match = has_target ? ruby_equal(v, target) : v.truthy();
    switch (mode) {
      case Select::Where:
        if (match) out.push_back(e);
        break;
      case Select::Reject:
        if (!match) out.push_back(e);
        break;
      case Select::Has:
        if (match) return Value::boolean(true);
        break;
      case Select::Find:
        if (match) return e;
        break;
      case Select::FindIndex:
        if (match) return Value::integer(static_cast<int64_t>(k));
        break;
    }
  }
  if (mode == Select::Has) return Value::boolean(false);
  if (mode == Select::Find || mode == Select::FindIndex) return Value::nil();
  return Value::array(std::move(out));
}

// Like Ruby, a non-array input is a one-item array: 123 | where: 'x' fails as 123['x'] does.
Value f_where(Renderer& r, const Value& in, const Args& a) { return select_impl(r, in, a, Select::Where); }
Value f_reject(Renderer& r, const Value& in, const Args& a) { return select_impl(r, in, a, Select::Reject); }
Value f_has(Renderer& r, const Value& in, const Args& a) { return select_impl(r, in, a, Select::Has); }
Value f_find(Renderer& r, const Value& in, const Args& a) { return select_impl(r, in, a, Select::Find); }
Value f_find_index(Renderer& r, const Value& in, const Args& a) { return select_impl(r, in, a, Select::FindIndex); }

Value f_sum(Renderer& r, const Value& in, const Args& a) {
  Array items = to_iterable(in, max_elems(r));
  Num total;
  bool has_prop = has_arg(a, 0) && !arg(a, 0).is_nil();
  for (const Value& e : items) {
    Value v = e;
    if (has_prop) {
      int rc = ruby_index(e, arg(a, 0), v);
      if (rc == 2) property_error(arg(a, 0));
      if (rc == 1) v = Value::integer(0);
    }
    total = num_add(total, to_number(v));
  }
  return num_value(total);
}

// [SECTION] Filters: misc

Value f_default(Renderer&, const Value& in, const Args& a) {
  bool allow_false = false;
  for (const auto& kv : a.kw) {
    if (kv.first == "allow_false") allow_false = kv.second.truthy();
  }
  Value fallback = has_arg(a, 0) ? arg(a, 0) : Value::view("");
  bool false_check = allow_false ? in.is_nil() : !in.truthy();
  bool empty = (in.kind == Kind::Str && in.s.empty()) || (in.kind == Kind::Arr && arr_size(in) == 0) ||
               (in.kind == Kind::Obj && obj_size(in) == 0) || in.kind == Kind::Blank || in.kind == Kind::Empty;
  return (false_check || empty) ? fallback : in;
}

Value f_date(Renderer& r, const Value& in, const Args& a) { return date_filter(r, in, arg(a, 0), arg(a, 1)); }

Value f_json(Renderer&, const Value& in, const Args&) {
  std::string out;
  json_into(out, in, 0);
  return Value::str(std::move(out));
}

// [SECTION] Money

// An amount as an exact decimal rounded half up to `places` digits (the currency's minor units).
struct Amount {
  Decimal value;
  int places = 2;
};

bool to_amount(const Value& v, int places, Amount& out) {
  auto read = [&]() -> Result<Decimal> {
    if (v.kind == Kind::Int) return Decimal::from_int(v.i);
    if (v.kind == Kind::Float) return Decimal::from_double(v.f);
    std::string_view s = trim(v.s);
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    return Decimal::parse(s);
  };
  if (v.kind != Kind::Int && v.kind != Kind::Float && v.kind != Kind::Str) return false;
  auto d = read();
  if (!d) return false;
  out.value = d.value().round(places, Rounding::HalfUp);
  out.places = places;
  return true;
}

// Whole units with a separator between each group of three digits: "1,234,567".
std::string group_digits(std::string_view digits, const char* sep) {
  std::string out;
  for (size_t k = 0; k < digits.size(); ++k) {
    if (k && (digits.size() - k) % 3 == 0) out += sep;
    out += digits[k];
  }
  return out;
}

// Shopify's placeholders: amount, amount_no_decimals, amount_with_comma_separator,
// amount_no_decimals_with_comma_separator, amount_with_apostrophe_separator,
// amount_no_decimals_with_space_separator, amount_with_space_separator,
// amount_with_period_and_space_separator. The decimals are the amount's places (the
// currency's minor units); `no_trailing_zeros` drops them when they are all zero.
bool format_amount(std::string_view kind, const Amount& a, bool no_trailing_zeros, std::string& out) {
  const char* thousands = ",";
  const char* decimal = ".";
  bool decimals = true;
  if (kind == "amount") {
  } else if (kind == "amount_no_decimals") {
    decimals = false;
  } else if (kind == "amount_with_comma_separator") {
    thousands = ".";
    decimal = ",";
  } else if (kind == "amount_no_decimals_with_comma_separator") {
    thousands = ".";
    decimals = false;
  } else if (kind == "amount_with_apostrophe_separator") {
    thousands = "'";
  } else if (kind == "amount_no_decimals_with_space_separator") {
    thousands = " ";
    decimals = false;
  } else if (kind == "amount_with_space_separator") {
    thousands = " ";
    decimal = ",";
  } else if (kind == "amount_with_period_and_space_separator") {
    thousands = " ";
  } else {
    return false;
  }
  // Without decimals, the amount (already in minor units) is rounded half up to whole units.
  const Decimal value = decimals ? a.value : a.value.round(0, Rounding::HalfUp);
  const std::string text = value.abs().to_string();
  const size_t point = text.find('.');
  std::string fraction = point == std::string::npos ? std::string() : text.substr(point + 1);
  fraction.resize(static_cast<size_t>(a.places), '0');
  out.clear();
  if (value.is_negative()) out += '-';
  out += group_digits(std::string_view(text).substr(0, point), thousands);
  if (decimals && a.places > 0 && !(no_trailing_zeros && fraction.find_first_not_of('0') == std::string::npos)) {
    out += decimal;
    out += fraction;
  }
  return true;
}

// Replaces each {{ amount... }} placeholder of `format`.
std::string apply_money_format(std::string_view format, const Amount& a, bool no_trailing_zeros) {
  std::string out;
  size_t i = 0;
  while (i < format.size()) {
    size_t open = format.find("{{", i);
    if (open == std::string_view::npos) break;
    size_t close = format.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(format.substr(i, open - i));
    std::string_view kind = trim(format.substr(open + 2, close - open - 2));
    std::string text;
    if (format_amount(kind, a, no_trailing_zeros, text)) {
      out += text;
    } else {
      out.append(format.substr(open, close + 2 - open));
    }
    i = close + 2;
  }
  out.append(format.substr(i));
  return out;
}

// How one call writes money: the bundle's formats with cents when no currency is given, else
// the currency's (a code the table does not hold: two decimals and the code after the amount).
struct MoneyStyle {
  std::string format;
  std::string with_currency;
  int places = 2;
};

MoneyStyle money_style(Renderer& r, const char* filter, const Args& a) {
  MoneyStyle style{r.options().money_format, r.options().money_with_currency_format, 2};
  const Value& cur = arg(a, 0);
  if (cur.is_nil() || (cur.kind == Kind::Str && trim(cur.s).empty())) return style;
  if (cur.kind != Kind::Str) {
    fail(std::string(filter) + ": the currency must be a code such as \"USD\", not " + inspect(cur));
  }
  std::string code(trim(cur.s));
  for (char& ch : code) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
  if (!is_currency_code(code)) {
    fail(std::string(filter) + ": " + inspect(cur) + " is not a currency code (three letters, ISO 4217, such as \"USD\")");
  }
  if (const Currency* c = find_currency(code)) {
    style.format = c->money_format;
    style.with_currency = c->money_with_currency_format;
    style.places = c->minor_units;
  } else {
    style.format = "{{amount_with_comma_separator}} " + code;
    style.with_currency = style.format;
  }
  return style;
}

Value money_impl(const char* filter, const Value& in, const std::string& format, int places, bool no_trailing_zeros) {
  if (in.is_nil()) return Value::nil();
  Amount a;
  if (!to_amount(in, places, a)) {
    fail(std::string(filter) + ": " + inspect(in) + " is not an amount (expected a decimal such as \"49.90\")");
  }
  return Value::str(apply_money_format(format, a, no_trailing_zeros));
}

Value f_money(Renderer& r, const Value& in, const Args& a) {
  MoneyStyle s = money_style(r, "money", a);
  return money_impl("money", in, s.format, s.places, false);
}
Value f_money_with_currency(Renderer& r, const Value& in, const Args& a) {
  MoneyStyle s = money_style(r, "money_with_currency", a);
  return money_impl("money_with_currency", in, s.with_currency, s.places, false);
}
Value f_money_without_trailing_zeros(Renderer& r, const Value& in, const Args& a) {
  MoneyStyle s = money_style(r, "money_without_trailing_zeros", a);
  return money_impl("money_without_trailing_zeros", in, s.format, s.places, true);
}
Value f_money_without_currency(Renderer& r, const Value& in, const Args& a) {
  // The amount style of the format (its first {{amount...}} placeholder) without symbols.
  MoneyStyle s = money_style(r, "money_without_currency", a);
  std::string_view fmt = s.format;
  std::string kind = "amount";
  size_t open = fmt.find("{{");
  size_t close = open == std::string_view::npos ? open : fmt.find("}}", open + 2);
  if (close != std::string_view::npos) kind = std::string(trim(fmt.substr(open + 2, close - open - 2)));
  return money_impl("money_without_currency", in, "{{" + kind + "}}", s.places, false);
}

// [SECTION] The filter table

const FilterDef kFilters[] = {
    {"abs", f_abs, 0, 0, false},
    {"append", f_append, 1, 1, false},
    {"at_least", f_at_least, 1, 1, false},
    {"at_most", f_at_most, 1, 1, false},
    {"base64_decode", f_base64_decode, 0, 0, false},
    {"base64_encode", f_base64_encode, 0, 0, false},
    {"base64_url_safe_decode", f_base64_url_safe_decode, 0, 0, false},
    {"base64_url_safe_encode", f_base64_url_safe_encode, 0, 0, false},
    {"capitalize", f_capitalize, 0, 0, false},
    {"ceil", f_ceil, 0, 0, false},
    {"compact", f_compact, 0, 1, false},
    {"concat", f_concat, 1, 1, false},
    {"date", f_date, 1, 2, false},
    {"default", f_default, 0, 1, true},
    {"divided_by", f_divided_by, 1, 1, false},
    {"downcase", f_downcase, 0, 0, false},
    {"escape", f_escape, 0, 0, false},
    {"escape_once", f_escape_once, 0, 0, false},
    {"find", f_find, 1, 2, false},
    {"find_index", f_find_index, 1, 2, false},
    {"first", f_first, 0, 0, false},
    {"floor", f_floor, 0, 0, false},
    {"h", f_escape, 0, 0, false},
    {"has", f_has, 1, 2, false},
    {"join", f_join, 0, 1, false},
    {"json", f_json, 0, 0, false},
    {"last", f_last, 0, 0, false},
    {"lstrip", f_lstrip, 0, 0, false},
    {"map", f_map, 1, 1, false},
    {"minus", f_minus, 1, 1, false},
    {"modulo", f_modulo, 1, 1, false},
    {"money", f_money, 0, 1, false},
    {"money_with_currency", f_money_with_currency, 0, 1, false},
    {"money_without_currency", f_money_without_currency, 0, 1, false},
    {"money_without_trailing_zeros", f_money_without_trailing_zeros, 0, 1, false},
    {"newline_to_br", f_newline_to_br, 0, 0, false},
    {"plus", f_plus, 1, 1, false},
    {"prepend", f_prepend, 1, 1, false},
    {"reject", f_reject, 1, 2, false},
    {"remove", f_remove, 1, 1, false},
    {"remove_first", f_remove_first, 1, 1, false},
    {"remove_last", f_remove_last, 1, 1, false},
    {"replace", f_replace, 1, 2, false},
    {"replace_first", f_replace_first, 1, 2, false},
    {"replace_last", f_replace_last, 2, 2, false},
    {"reverse", f_reverse, 0, 0, false},
    {"round", f_round, 0, 1, false},
    {"rstrip", f_rstrip, 0, 0, false},
    {"size", f_size, 0, 0, false},
    {"slice", f_slice, 1, 2, false},
    {"sort", f_sort, 0, 1, false},
    {"sort_natural", f_sort_natural, 0, 1, false},
    {"split", f_split, 1, 1, false},
    {"strip", f_strip, 0, 0, false},
    {"strip_html", f_strip_html, 0, 0, false},
    {"strip_newlines", f_strip_newlines, 0, 0, false},
    {"sum", f_sum, 0, 1, false},
    {"times", f_times, 1, 1, false},
    {"truncate", f_truncate, 0, 2, false},
    {"truncatewords", f_truncatewords, 0, 2, false},
    {"uniq", f_uniq, 0, 1, false},
    {"upcase", f_upcase, 0, 0, false},
    {"url_decode", f_url_decode, 0, 0, false},
    {"url_encode", f_url_encode, 0, 0, false},
    {"where", f_where, 1, 2, false},
};

}  // namespace

const FilterDef* find_filter(std::string_view name) {
  for (const FilterDef& f : kFilters) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

Json value_to_json(const Value& v) { return to_json_value(v); }

}  // namespace shopflow::liquid::detail
