// JSON parsing with positions a user can find, and JSON Pointer building.
#include "shopflow/json.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include <simdjson.h>

namespace shopflow {

namespace {

// nlohmann's messages read "[json.exception.parse_error.101] parse error at line 3, column 7:
// syntax error while parsing value - ..."; keep the part after the position.
std::string tidy_parse_message(const std::string& what) {
  auto pos = what.find(": ");
  std::string msg = pos == std::string::npos ? what : what.substr(pos + 2);
  if (msg.rfind("syntax error while parsing ", 0) == 0) msg = msg.substr(27);
  return msg;
}

// The length of the UTF-8 sequence at s[i] (lead byte >= 0x80), or 0 when it is not one: its
// length from the lead byte, then continuation bytes, no overlong forms, no surrogates,
// nothing past U+10FFFF.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  bool ok = n > 0 && c <= 0xF4 && i + n <= s.size();
  for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  if (ok && n >= 3) {
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xE0) ok = c1 >= 0xA0;
    else if (c == 0xED) ok = c1 < 0xA0;
    else if (c == 0xF0) ok = c1 >= 0x90;
    else if (c == 0xF4) ok = c1 < 0x90;
  }
  return ok ? n : 0;
}

// `n` more bytes at the end of `out`, for the caller to fill. libc++ (WebAssembly's) leaves
// them unset: zeroing them first, as resize() does, costs a memset call per short string there.
char* extend(std::string& out, size_t n) {
  const size_t at = out.size();
#if defined(_LIBCPP_VERSION)
  out.__resize_default_init(at + n);
#else
  out.resize(at + n);
#endif
  return out.data() + at;
}

}  // namespace

size_t invalid_utf8_at(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

namespace {

// Bytes that a JSON string holds as they are: printable ASCII other than '"' and '\\'.
constexpr bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }
struct PlainBytes {
  bool of[256] = {};
  constexpr PlainBytes() {
    for (int c = 0; c < 256; ++c) of[c] = plain(static_cast<unsigned char>(c));
  }
};
constexpr PlainBytes kPlain;
inline bool plain_byte(unsigned char c) { return kPlain.of[c]; }

// How many bytes from `i` on are plain: eight at a time while a whole word is (no byte below
// 0x20 or from 0x80 up, no '"', no '\\'), then one at a time.
size_t plain_run(std::string_view s, size_t i) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const size_t begin = i;
  while (i + 8 <= s.size()) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    const std::uint64_t quote = w ^ (kOnes * '"'), backslash = w ^ (kOnes * '\\');
    const std::uint64_t special = (w | ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
                                   ((backslash - kOnes) & ~backslash)) & kHigh;
    if (special != 0) break;
    i += 8;
  }
  while (i < s.size() && plain_byte(static_cast<unsigned char>(s[i]))) ++i;
  return i - begin;
}

// An integer's decimal text, written into `buf`; returns its length.
size_t integer_text(const Json& j, char (&buf)[24]) {
  const auto end = j.is_number_unsigned() ? std::to_chars(buf, buf + sizeof buf, j.get<std::uint64_t>()).ptr
                                          : std::to_chars(buf, buf + sizeof buf, j.get<std::int64_t>()).ptr;
  return static_cast<size_t>(end - buf);
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  size_t i = plain_run(s, 0);
  if (i == s.size()) {  // nothing to escape, as most strings: in one piece
    char* p = extend(out, s.size() + 2);
    p[0] = '"';
    if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());
    p[s.size() + 1] = '"';
    return;
  }
  out += '"';
  out.append(s.data(), i);
  while (i < s.size()) {
    // A run of bytes that need no escaping goes in at once.
    const size_t j = i + plain_run(s, i);
    if (j > i) {
      out.append(s.data() + i, j - i);
      i = j;
      if (i == s.size()) break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          out.append(esc, sizeof esc);
        }
      }
      ++i;
      continue;
    }
    const size_t n = utf8_sequence_length(s, i);
    if (n > 0) {
      out.append(s.data() + i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out += '"';
}

Json object_with(const char* key, Json value) {
  Json out = Json::object();
  out.get_ref<Json::object_t&>().emplace(key, std::move(value));
  return out;
}

void append_json(std::string& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object: {
      const auto& members = j.get_ref<const Json::object_t&>();
      out += '{';
      bool first = true;
      for (const auto& [key, value] : members) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, key);
        out += ':';
        append_json(out, value);
      }
      out += '}';
      return;
    }
    case Json::value_t::array: {
      const auto& items = j.get_ref<const Json::array_t&>();
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ',';
        append_json(out, items[i]);
      }
      out += ']';
      return;
    }
    case Json::value_t::string: append_json_string(out, j.get_ref<const std::string&>()); return;
    case Json::value_t::null: out += "null"; return;
    case Json::value_t::boolean: out += j.get<bool>() ? "true" : "false"; return;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: {
      char buf[24];
      out.append(buf, integer_text(j, buf));
      return;
    }
    default: out += j.dump(); return;  // floats (their shortest form is nlohmann's), binary
  }
}

std::string json_text(const Json& j) {
  std::string out;
  append_json(out, j);
  return out;
}

void append_json_key(std::string& out, std::string_view key, bool first) {
  char* p = extend(out, (first ? 0 : 1) + key.size() + 3);
  if (!first) *p++ = ',';
  *p++ = '"';
  std::memcpy(p, key.data(), key.size());
  p[key.size()] = '"';
  p[key.size() + 1] = ':';
}

void release_json(Json& j) {
  if (j.is_object()) {
    auto& members = j.get_ref<Json::object_t&>();
    for (auto& m : members) release_json(m.second);
    members.clear();
  } else if (j.is_array()) {
    auto& items = j.get_ref<Json::array_t&>();
    for (Json& item : items) release_json(item);
    items.clear();
  }
}

namespace {

// The size of `s` as append_json_string writes it.
size_t json_string_size(std::string_view s) {
  size_t n = 2;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (plain_byte(c)) {
      const size_t run = plain_run(s, i);  // bytes that need no escaping
      n += run;
      i += run;
    } else if (c < 0x80) {
      const bool short_escape = c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t';
      n += short_escape ? 2 : 6;
      ++i;
    } else if (const size_t k = utf8_sequence_length(s, i); k > 0) {
      n += k;
      i += k;
    } else {
      n += 3;  // U+FFFD
      ++i;
    }
  }
  return n;
}

}  // namespace

size_t json_text_size(const Json& j) {
  switch (j.type()) {
    case Json::value_t::object: {
      const auto& members = j.get_ref<const Json::object_t&>();
      size_t n = 2 + (members.empty() ? 0 : members.size() - 1);  // braces and commas
      for (const auto& [key, value] : members) n += json_string_size(key) + 1 + json_text_size(value);
      return n;
    }
    case Json::value_t::array: {
      const auto& items = j.get_ref<const Json::array_t&>();
      size_t n = 2 + (items.empty() ? 0 : items.size() - 1);
      for (const Json& item : items) n += json_text_size(item);
      return n;
    }
    case Json::value_t::string: return json_string_size(j.get_ref<const std::string&>());
    case Json::value_t::null: return 4;
    case Json::value_t::boolean: return j.get<bool>() ? 4 : 5;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: {
      char buf[24];
      return integer_text(j, buf);
    }
    default: return j.dump().size();  // floats, binary: as append_json writes them
  }
}

namespace {

// simdjson's document as a Json with the types nlohmann gives. False where nlohmann would read
// the text differently (a key twice) or where simdjson refused it: nlohmann then parses the text
// itself, and says what is wrong with it. `zero` is set for an integer 0, which simdjson gives
// for "-0" too (nlohmann's signed 0).
bool from_simdjson(simdjson::dom::element e, Json& out, bool& zero) {
  using Type = simdjson::dom::element_type;
  switch (e.type()) {
    case Type::OBJECT: {
      out = Json::object();
      auto& members = out.get_ref<Json::object_t&>();
      simdjson::dom::object object;
      if (e.get_object().get(object) != simdjson::SUCCESS) return false;
      members.reserve(std::min<size_t>(object.size(), 4096));  // counted on simdjson's tape (saturating)
      for (simdjson::dom::key_value_pair field : object) {
        auto [it, fresh] = members.emplace(std::string(field.key), Json());
        if (!fresh || !from_simdjson(field.value, it->second, zero)) return false;
      }
      return true;
    }
    case Type::ARRAY: {
      out = Json::array();
      auto& items = out.get_ref<Json::array_t&>();
      simdjson::dom::array array;
      if (e.get_array().get(array) != simdjson::SUCCESS) return false;
      items.reserve(std::min<size_t>(array.size(), 4096));
      for (simdjson::dom::element item : array) {
        items.emplace_back();
        if (!from_simdjson(item, items.back(), zero)) return false;
      }
      return true;
    }
    case Type::STRING: out = std::string(e.get_string().value_unsafe()); return true;
    case Type::INT64: {
      const std::int64_t v = e.get_int64().value_unsafe();
      zero = zero || v == 0;
      if (v >= 0) {
        out = static_cast<std::uint64_t>(v);  // nlohmann keeps unsigned what has no sign
      } else {
        out = v;
      }
      return true;
    }
    case Type::UINT64: out = e.get_uint64().value_unsafe(); return true;
    case Type::DOUBLE: out = e.get_double().value_unsafe(); return true;
    case Type::BOOL: out = e.get_bool().value_unsafe(); return true;
    case Type::NULL_VALUE: out = nullptr; return true;
  }
  return false;
}

// Whether `text` may hold the integer -0: a "-0" that no more of a number follows (one inside a
// string counts too, which only costs nlohmann's parse).
bool has_integer_minus_zero(std::string_view text) {
  for (size_t at = text.find("-0"); at != std::string_view::npos; at = text.find("-0", at + 2)) {
    const char next = at + 2 < text.size() ? text[at + 2] : ' ';
    if (!((next >= '0' && next <= '9') || next == '.' || next == 'e' || next == 'E')) return true;
  }
  return false;
}

// Parses with simdjson, into a buffer with the padding it reads past the end. One parser a
// thread, kept for the next document unless it grew large.
bool parse_fast(std::string_view text, Json& out) {
  thread_local simdjson::dom::parser parser;
  // Refuses what nests deeper than the limit (the capacity grows with the documents).
  if (parser.max_depth() != kMaxJsonDepth && parser.allocate(4096, kMaxJsonDepth) != simdjson::SUCCESS) return false;
  thread_local std::string padded;
  padded.assign(text);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  simdjson::dom::element root;
  bool zero = false;
  const bool ok = parser.parse(padded.data(), text.size(), false).get(root) == simdjson::SUCCESS &&
                  from_simdjson(root, out, zero) && !(zero && has_integer_minus_zero(text));
  if (padded.capacity() > (size_t{4} << 20)) {
    padded = std::string();
    parser = simdjson::dom::parser();
  }
  return ok;
}

constexpr const char* kTooDeep = " nests arrays and objects deeper than ";

// Where `text` first opens an array or object deeper than `max` (the byte offset), if it does;
// brackets inside strings do not count.
std::optional<size_t> too_deep_at(std::string_view text, size_t max) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

void line_and_column(std::string_view text, size_t stop, int& line, int& column) {
  line = 1;
  column = 1;
  for (size_t i = 0; i < stop && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
}

}  // namespace

bool json_too_deep(const Error& e) { return e.message.find(kTooDeep) != std::string::npos; }

Result<Json> parse_json(std::string_view text, std::string_view what) {
  if (Json fast; parse_fast(text, fast)) return fast;
  // The slower parser builds what simdjson would not, and finds what is wrong: never deeper than
  // the limit, which simdjson refuses too.
  if (auto at = too_deep_at(text, kMaxJsonDepth)) {
    Error err;
    line_and_column(text, *at, err.line, err.column);
    err.message = std::string(what) + kTooDeep + std::to_string(kMaxJsonDepth) + " levels";
    return err;
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // e.byte is the 1-based offset of the byte the parser stopped at.
    size_t stop = e.byte == 0 ? 0 : e.byte - 1;
    Error err;
    line_and_column(text, stop, err.line, err.column);
    err.message = std::string(what) + " is not valid JSON: " + tidy_parse_message(e.what());
    return err;
  } catch (const std::exception& e) {
    return Error{std::string(what) + " could not be read: " + e.what(), "", 0, 0};
  }
}

std::string pointer_join(const std::string& base, std::string_view token) {
  std::string out = base;
  out.reserve(base.size() + token.size() + 1);
  out += '/';
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string pointer_join(const std::string& base, size_t index) { return base + "/" + std::to_string(index); }

}  // namespace shopflow
