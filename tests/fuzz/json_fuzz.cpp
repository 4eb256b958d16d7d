// libFuzzer target for the JSON reader every outside input goes through (core/src/json.cpp:
// simdjson, and nlohmann_json where simdjson refuses) and the CloudEvents envelope on top of it
// (core/src/event.cpp).
//
// Input: JSON text. It either parses, and then writes back to text that parses to the same
// document and nests no deeper than kMaxJsonDepth, or is refused with a line and column inside
// the text; nesting past the limit is always refused as too deep, never by running out of stack.
// A document that parses is also read as a CloudEvent (which may refuse it, but not crash).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shopflow/event.hpp"
#include "shopflow/json.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

size_t depth_of(const shopflow::Json& j) {
  size_t deepest = 0;
  if (j.is_array() || j.is_object()) {
    for (const auto& item : j) {
      size_t d = depth_of(item);
      if (d > deepest) deepest = d;
    }
    return deepest + 1;
  }
  return 0;
}

// The nesting of the text's brackets outside strings, as the reader counts it.
size_t bracket_depth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = shopflow::parse_json(text, "input");
  if (!doc) {
    const auto& e = doc.error();
    check(e.line >= 0 && e.column >= 0);
    if (bracket_depth(text) > shopflow::kMaxJsonDepth) check(shopflow::json_too_deep(e));
    return 0;
  }
  check(depth_of(doc.value()) <= shopflow::kMaxJsonDepth);
  std::string again = shopflow::json_text(doc.value());
  auto back = shopflow::parse_json(again, "written back");
  check(back.ok());
  check(back.value() == doc.value());
  (void)shopflow::parse_cloudevent(doc.value());
  return 0;
}
