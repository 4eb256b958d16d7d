// JSON text: the compact writer gives the bytes nlohmann's dump() gives, and json_text_size
// their count, on every example bundle and on the values that are easy to get wrong (escapes,
// UTF-8, numbers).
#include "shopflow/json.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>

#include "paths.hpp"

using shopflow::Json;

TEST_CASE("json_text writes what dump() writes for scalars, escapes and numbers") {
  const Json cases[] = {
      Json(),
      Json(true),
      Json(false),
      Json(0),
      Json(-1),
      Json(std::numeric_limits<std::int64_t>::min()),
      Json(std::numeric_limits<std::int64_t>::max()),
      Json(std::numeric_limits<std::uint64_t>::max()),
      Json(0.1),
      Json(1e300),
      Json(-2.5e-7),
      Json(100.0),
      Json(std::numeric_limits<double>::infinity()),
      Json(""),
      Json("plain text, nothing to escape"),
      Json("quote \" backslash \\ slash /"),
      Json("\b\f\n\r\t and \x01\x1f\x7f"),
      Json(std::string("nul \0 inside", 12)),
      Json("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\xA6"),
      Json::array(),
      Json::object(),
      Json::parse(R"({"b": 1, "a": [1, "two", {"c": null}], "": {}, "d": [[]], "e\"": "\u0007"})"),
  };
  for (const Json& j : cases) {
    CAPTURE(j.dump());
    CHECK(shopflow::json_text(j) == j.dump());
    CHECK(shopflow::json_text_size(j) == j.dump().size());
  }
}

TEST_CASE("json_text writes what dump() writes for every example bundle") {
  size_t bundles = 0;
  for (const auto& entry : std::filesystem::directory_iterator(shopflow::test::source_dir() / "workflows")) {
    if (entry.path().extension() != ".json") continue;
    auto doc = shopflow::parse_json(shopflow::test::read_file(entry.path()), "bundle");
    REQUIRE(doc.ok());
    CAPTURE(entry.path().filename().string());
    CHECK(shopflow::json_text(doc.value()) == doc.value().dump());
    CHECK(shopflow::json_text_size(doc.value()) == doc.value().dump().size());
    ++bundles;
  }
  CHECK(bundles > 10);
}

TEST_CASE("json_text escapes a byte that needs it wherever it stands in a long string") {
  // Plain bytes are copied a run at a time: put each kind of special byte at every place near the
  // start, and the bytes on either side of the plain range.
  const std::string specials[] = {"\"", "\\", "\n", "\x01", "\x1f", "\xC3\xA9", "\xE2\x82\xAC", " ", "\x7f", "!", "#", "[", "]"};
  for (const std::string& special : specials) {
    for (size_t at = 0; at < 20; ++at) {
      std::string text(24, 'a');
      text.insert(at, special);
      const Json j(text);
      CAPTURE(text);
      CHECK(shopflow::json_text(j) == j.dump());
      CHECK(shopflow::json_text_size(j) == j.dump().size());
    }
  }
}

TEST_CASE("append_json_string escapes as dump() does and replaces bytes that are not UTF-8") {
  std::string out = "x";
  shopflow::append_json_string(out, "a\"b\\c\nd");
  CHECK(out == R"(x"a\"b\\c\nd")");
  out.clear();
  shopflow::append_json_string(out, "ok \xC3\xA9, bad \xC3 and \xFF");
  CHECK(out == "\"ok \xC3\xA9, bad \xEF\xBF\xBD and \xEF\xBF\xBD\"");
  CHECK(shopflow::json_text_size(Json("ok \xC3\xA9, bad \xC3 and \xFF")) == out.size());
}

namespace {

// The same document with the same types (nlohmann's == takes 5 and 5u, or 1 and 1.0, as equal).
bool same(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    auto i = a.begin(), j = b.begin();
    for (; i != a.end(); ++i, ++j) {
      if (i.key() != j.key() || !same(i.value(), j.value())) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t k = 0; k < a.size(); ++k) {
      if (!same(a[k], b[k])) return false;
    }
    return true;
  }
  if (a.is_number_float()) return std::signbit(a.get<double>()) == std::signbit(b.get<double>()) && a == b;
  return a == b;
}

}  // namespace

TEST_CASE("parse_json reads every text as nlohmann's parser does, or refuses it as nlohmann does") {
  const char* const cases[] = {
      R"({"a": 1, "b": -1, "c": 1.0, "d": 1e2, "e": -0.0, "f": "x", "g": [true, false, null]})",
      "0", "-0", "-0.0", "5", "-5", "1E2", "1e-400", "1e400", "-1e400", "0.1", "123456789012345678",
      "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
      "-9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
      R"({"k": 1, "k": 2})", R"({"k": {"x": 1}, "j": 0, "k": [2]})",
      R"("\u00e9 \ud83d\udce6 \u0000 \/ \b\f\n\r\t")", R"("\ud800")", R"("\udc00")", R"("\ud800x")",
      R"("\ud800\u0041")", "\"caf\xC3\xA9\"", "\"bad \xC3\"", "\"\xFF\"", "\"tab\there\"",
      "\xEF\xBB\xBF{\"bom\": 1}", "", "   ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "NaN",
      "Infinity", "[1] 2", "{} {}", "1 ", " [ ] ", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
      "{\"\": \"\"}", "\"\\x\"", "tru", "nul", "[1 2]", "{\"a\" 1}",
  };
  for (const std::string text : cases) {
    CAPTURE(text);
    auto ours = shopflow::parse_json(text);
    Json theirs;
    bool parses = true;
    try {
      theirs = Json::parse(text);
    } catch (const std::exception&) {  // parse_error, or out_of_range for a number past a double's
      parses = false;
    }
    REQUIRE(ours.ok() == parses);
    if (parses) CHECK(same(ours.value(), theirs));
  }
  // Every example bundle, too.
  for (const auto& entry : std::filesystem::directory_iterator(shopflow::test::source_dir() / "workflows")) {
    if (entry.path().extension() != ".json") continue;
    const std::string text = shopflow::test::read_file(entry.path());
    CAPTURE(entry.path().filename().string());
    auto ours = shopflow::parse_json(text);
    REQUIRE(ours.ok());
    CHECK(same(ours.value(), Json::parse(text)));
  }
}
