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

// Appends a reference token to a JSON Pointer, escaping '~' and '/' as RFC 6901 says.
std::string pointer_join(const std::string& base, std::string_view token);
std::string pointer_join(const std::string& base, size_t index);

}  // namespace shopflow
