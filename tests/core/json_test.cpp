// JSON text: the compact writer gives the bytes nlohmann's dump() gives, and json_text_size
// their count, on every example bundle and on the values that are easy to get wrong (escapes,
// UTF-8, numbers).
#include "shopflow/json.hpp"

#include <doctest/doctest.h>

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

TEST_CASE("append_json_string escapes as dump() does and replaces bytes that are not UTF-8") {
  std::string out = "x";
  shopflow::append_json_string(out, "a\"b\\c\nd");
  CHECK(out == R"(x"a\"b\\c\nd")");
  out.clear();
  shopflow::append_json_string(out, "ok \xC3\xA9, bad \xC3 and \xFF");
  CHECK(out == "\"ok \xC3\xA9, bad \xEF\xBF\xBD and \xEF\xBF\xBD\"");
  CHECK(shopflow::json_text_size(Json("ok \xC3\xA9, bad \xC3 and \xFF")) == out.size());
}
