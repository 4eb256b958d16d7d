// JSON parsing with positions a user can find, and JSON Pointer building.
#include "shopflow/json.hpp"

#include <cstdio>
#include <string>

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

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
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
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const size_t n = utf8_sequence_length(s, i);
    const bool ok = n > 0;
    if (ok) {
      out.append(s.data() + i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out += '"';
}

Result<Json> parse_json(std::string_view text, std::string_view what) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // e.byte is the 1-based offset of the byte the parser stopped at.
    size_t stop = e.byte == 0 ? 0 : e.byte - 1;
    if (stop > text.size()) stop = text.size();
    int line = 1, column = 1;
    for (size_t i = 0; i < stop; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    Error err;
    err.line = line;
    err.column = column;
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
