// CloudEvents conformance (structured JSON format): every valid single event and batch from
// ../shared/conformance/cloudevents parses, every invalid one is refused.
#include <doctest/doctest.h>

#include <filesystem>

#include "paths.hpp"
#include "shopflow/event.hpp"

using shopflow::Json;

namespace {

Json suite(const char* name) {
  auto path = shopflow::test::conformance_dir() / "cloudevents" / name;
  std::string text = shopflow::test::read_file(path);
  if (text.empty()) {
    MESSAGE("the CloudEvents conformance suite is absent: " << path.string());
    return Json();
  }
  return Json::parse(text);
}

}  // namespace

TEST_CASE("CloudEvents: valid single events parse") {
  Json s = suite("valid-events.json");
  for (const auto& t : s.value("tests", Json::array())) {
    CAPTURE(t["id"].get<std::string>());
    auto r = shopflow::parse_cloudevent(t["event"]);
    if (!r.ok()) FAIL_CHECK(r.error().to_string());
    if (r.ok()) CHECK(r.value().id == t["event"]["id"]);
  }
  CHECK(s.value("tests", Json::array()).size() >= 1);
}

TEST_CASE("CloudEvents: the sample time with an offset is the same instant") {
  auto r = shopflow::parse_cloudevent(Json::parse(
      R"({"specversion": "1.0", "id": "x", "type": "t", "source": "s", "time": "2018-04-05T18:31:00+01:00"})"));
  REQUIRE(r.ok());
  CHECK(r.value().time_ms == shopflow::parse_instant("2018-04-05T17:31:00Z").value());
}

TEST_CASE("CloudEvents: invalid single events are refused") {
  Json s = suite("invalid-events.json");
  for (const auto& t : s.value("tests", Json::array())) {
    CAPTURE(t["id"].get<std::string>());
    auto r = shopflow::parse_cloudevent(t["event"]);
    CHECK_FALSE(r.ok());
    if (!r.ok()) CHECK_FALSE(r.error().message.empty());
  }
}

TEST_CASE("CloudEvents: batches") {
  for (const auto& t : suite("valid-batches.json").value("tests", Json::array())) {
    CAPTURE(t["id"].get<std::string>());
    auto r = shopflow::parse_cloudevent_batch(t["batch"]);
    if (!r.ok()) FAIL_CHECK(r.error().to_string());
    if (r.ok()) CHECK(r.value().size() == t["batch"].size());
  }
  for (const auto& t : suite("invalid-batches.json").value("tests", Json::array())) {
    CAPTURE(t["id"].get<std::string>());
    CHECK_FALSE(shopflow::parse_cloudevent_batch(t["batch"]).ok());
  }
}
