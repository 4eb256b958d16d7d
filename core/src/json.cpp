// JSON parsing with positions a user can find, and JSON Pointer building.
#include "shopflow/json.hpp"

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

}  // namespace

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
