// The JSON value type of the core.
//
// Documents keep the order of their keys (bundles round-trip through the studio and diff
// cleanly), so the core uses nlohmann's ordered_json everywhere under one name.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "shopflow/result.hpp"

namespace shopflow {

using Json = nlohmann::ordered_json;

// Parses JSON text. On failure the Error names the line and column of the first bad byte and
// what the parser expected there; `what` names the input in the message ("bundle", "event").
Result<Json> parse_json(std::string_view text, std::string_view what = "JSON");

// Appends `s` as a JSON string, escaped byte for byte as Json::dump() escapes it, for writing
// JSON text without building a Json first; bytes that are not UTF-8 become U+FFFD.
void append_json_string(std::string& out, std::string_view s);

// The offset of the first byte of `s` that is not part of well-formed UTF-8, or npos when all
// of it is. JSON strings are UTF-8: text from outside a JSON document (an HTTP header, a raw
// body) is checked with this before it goes into one.
size_t invalid_utf8_at(std::string_view s);

// Appends a reference token to a JSON Pointer, escaping '~' and '/' as RFC 6901 says.
std::string pointer_join(const std::string& base, std::string_view token);
std::string pointer_join(const std::string& base, size_t index);

}  // namespace shopflow
