// Events: the CloudEvents envelope (strict) and the lenient form for samples and tests.
#include "shopflow/event.hpp"

#include <doctest/doctest.h>

using shopflow::Json;

TEST_CASE("a structured CloudEvent is read with all its attributes") {
  auto r = shopflow::parse_cloudevent(Json::parse(R"({
    "specversion": "1.0", "id": "evt-1", "source": "https://shop.example.com", "type": "order.created",
    "time": "2026-03-01T11:30:00+02:00", "subject": "order/1001", "datacontenttype": "application/json",
    "shopdomain": "example", "data": {"order_id": "1001", "total": "49.90"}})"));
  REQUIRE(r.ok());
  const auto& e = r.value();
  CHECK(e.id == "evt-1");
  CHECK(e.type == "order.created");
  CHECK(e.time_ms == 1772357400000);
  CHECK(e.subject == "order/1001");
  CHECK(e.data["total"] == "49.90");
  CHECK(e.extensions["shopdomain"] == "example");
  Json j = shopflow::event_to_json(e);
  CHECK(j["id"] == "evt-1");
  CHECK(j["data"]["order_id"] == "1001");
}

TEST_CASE("invalid envelopes name the attribute") {
  struct Case {
    const char* json;
    const char* pointer;
  };
  const Case cases[] = {
      {R"({"id": "x", "source": "s", "type": "t"})", "/specversion"},
      {R"({"specversion": "1.0", "source": "s", "type": "t"})", "/id"},
      {R"({"specversion": "1.0", "id": 5, "source": "s", "type": "t"})", "/id"},
      {R"({"specversion": "0.3", "id": "x", "source": "s", "type": "t"})", "/specversion"},
      {R"({"specversion": "1.0", "id": "x", "source": "s", "type": "t", "time": "noon"})", "/time"},
      {R"({"specversion": "1.0", "id": "x", "source": "s", "type": "t", "subject": ""})", "/subject"},
      {R"({"specversion": "1.0", "id": "x", "source": "s", "type": "t", "Bad": 1})", "/Bad"},
      {R"({"specversion": "1.0", "id": "x", "source": "s", "type": "t", "data": 1, "data_base64": "AA=="})", "/data_base64"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.json);
    auto r = shopflow::parse_cloudevent(Json::parse(c.json));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().pointer == c.pointer);
    CHECK_FALSE(r.error().message.empty());
  }
}

TEST_CASE("attributes that are not UTF-8 are refused with the attribute and the byte") {
  // Built in code as binary mode and webhooks build them from headers: JSON text could not say this.
  for (const char* key : {"id", "source", "type", "subject", "shopdomain"}) {
    CAPTURE(key);
    Json doc = {{"specversion", "1.0"}, {"id", "x"}, {"source", "s"}, {"type", "t"}};
    doc[key] = std::string("ab\xff\xfe");
    auto r = shopflow::parse_cloudevent(doc);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().pointer == std::string("/") + key);
    CHECK(r.error().message.find("not valid UTF-8 (byte 3 of 4)") != std::string::npos);
  }
  CHECK(shopflow::invalid_utf8_at("h\xc3\xa9llo \xf0\x9f\x93\xa6") == std::string_view::npos);
  CHECK(shopflow::invalid_utf8_at("\xc0\xaf") == 0);        // overlong
  CHECK(shopflow::invalid_utf8_at("ok\xed\xa0\x80") == 2);  // a surrogate
  CHECK(shopflow::invalid_utf8_at("ok\xe2\x82") == 2);      // cut short
}

TEST_CASE("limits bound the size and nesting of data") {
  shopflow::EventLimits limits;
  limits.max_depth = 3;
  limits.max_bytes = 100;
  Json deep = Json::parse(R"({"specversion":"1.0","id":"x","source":"s","type":"t","data":{"a":{"b":{"c":{"d":1}}}}})");
  auto r = shopflow::parse_cloudevent(deep, limits);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("deeper") != std::string::npos);
  Json big = {{"specversion", "1.0"}, {"id", "x"}, {"source", "s"}, {"type", "t"}, {"data", {{"text", std::string(200, 'x')}}}};
  auto b = shopflow::parse_cloudevent(big, limits);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().message.find("larger") != std::string::npos);
  // Data as text is bounded alike, and a limit of 0 bounds nothing, whatever the data's form.
  Json text = {{"specversion", "1.0"}, {"id", "x"}, {"source", "s"}, {"type", "t"}, {"data", std::string(200, 'x')}};
  CHECK_FALSE(shopflow::parse_cloudevent(text, limits).ok());
  limits.max_bytes = 0;
  CHECK(shopflow::parse_cloudevent(text, limits).ok());
  CHECK(shopflow::parse_cloudevent(big, limits).ok());
}

TEST_CASE("the lenient form fills in id, source and specversion") {
  auto r = shopflow::parse_event(Json::parse(R"({"type": "order.created", "time": "2026-03-01T09:00:00Z", "data": {}})"),
                                 "evt-7");
  REQUIRE(r.ok());
  CHECK(r.value().id == "evt-7");
  CHECK(r.value().source == "shopflow:sample");
  CHECK(r.value().specversion == "1.0");
  CHECK_FALSE(shopflow::parse_event(Json::parse(R"({"time": "2026-03-01T09:00:00Z"})"), "x").ok());
}
