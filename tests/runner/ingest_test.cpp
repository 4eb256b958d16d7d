// Requests to events: every bad-input class gets its status and a message saying what and
// where; good requests give the events the store will keep.
#include "ingest.hpp"

#include <doctest/doctest.h>

#include <map>

#include "webhooks.hpp"

using namespace shopflow;
using namespace shopflow::runner;

namespace {

struct Request {
  std::string content_type;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  HttpInput input() const {
    HttpInput in;
    in.content_type = content_type;
    in.header = [this](const std::string& name) {
      auto it = headers.find(name);
      return it == headers.end() ? std::string() : it->second;
    };
    in.body = &body;
    in.received_ms = 1'790'000'000'000;
    return in;
  }
};

const std::string kOrder = R"({"id":820982911946154508,"email":"jon@example.com","total_price":"49.90","checkout_token":"c1"})";

Request shopify(const std::string& secret, const std::string& body = kOrder) {
  return Request{"application/json",
                 {{"x-shopify-topic", "orders/create"},
                  {"x-shopify-hmac-sha256", base64_encode(hmac_sha256(secret, body))},
                  {"x-shopify-shop-domain", "demo.myshopify.com"},
                  {"x-shopify-webhook-id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"},
                  {"x-shopify-triggered-at", "2026-11-22T10:00:00.000Z"}},
                 body};
}

}  // namespace

TEST_CASE("CloudEvents: structured, batch and binary mode") {
  EventLimits limits;
  Request one{"application/cloudevents+json", {},
              R"({"specversion":"1.0","id":"e1","source":"/shop","type":"order.created","data":{"total_price":"49.90"}})"};
  auto d = decode_cloudevents(one.input(), limits);
  REQUIRE(d.ok);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].id == "e1");
  CHECK(d.events[0].data["total_price"] == "49.90");

  Request batch{"application/cloudevents-batch+json", {},
                R"([{"specversion":"1.0","id":"e1","source":"/s","type":"a.b"},{"specversion":"1.0","id":"e2","source":"/s","type":"a.c"}])"};
  d = decode_cloudevents(batch.input(), limits);
  REQUIRE(d.ok);
  CHECK(d.events.size() == 2);

  Request bin{"application/json",
              {{"ce-specversion", "1.0"}, {"ce-id", "b1"}, {"ce-source", "/shop"}, {"ce-type", "order.paid"}},
              R"({"total_price":"10.00"})"};
  d = decode_cloudevents(bin.input(), limits);
  REQUIRE(d.ok);
  CHECK(d.events[0].type == "order.paid");
  CHECK(d.events[0].data["total_price"] == "10.00");
}

TEST_CASE("CloudEvents: each bad input is refused with its status and place") {
  EventLimits limits;
  struct Case {
    const char* what;
    Request req;
    int status;
    const char* code;
    const char* pointer;
  };
  const Case cases[] = {
      {"broken JSON", {"application/cloudevents+json", {}, "{\"id\": \"e1\",\n \"type\": }"}, 400, "malformed_json", ""},
      {"missing id", {"application/cloudevents+json", {}, R"({"specversion":"1.0","source":"/s","type":"a.b"})"}, 400,
       "invalid_event", "/id"},
      {"wrong specversion",
       {"application/cloudevents+json", {}, R"({"specversion":"0.3","id":"1","source":"/s","type":"a.b"})"}, 400,
       "invalid_event", "/specversion"},
      {"second event of a batch bad",
       {"application/cloudevents-batch+json", {},
        R"([{"specversion":"1.0","id":"1","source":"/s","type":"a.b"},{"specversion":"1.0","source":"/s","type":"a.b"}])"},
       400, "invalid_event", "/1/id"},
      {"a batch sent as one event",
       {"application/cloudevents+json", {}, R"([{"specversion":"1.0","id":"1","source":"/s","type":"a.b"}])"}, 400,
       "invalid_event", ""},
      {"form data", {"application/x-www-form-urlencoded", {}, "a=b"}, 415, "unsupported_media_type", ""},
      {"no content type", {"", {}, "{}"}, 415, "unsupported_media_type", ""},
      {"binary mode without ce-type",
       {"application/json", {{"ce-specversion", "1.0"}, {"ce-id", "1"}, {"ce-source", "/s"}}, "{}"}, 400,
       "invalid_event", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto d = decode_cloudevents(c.req.input(), limits);
    REQUIRE_FALSE(d.ok);
    CHECK(d.refusal.status == c.status);
    CHECK(d.refusal.code == c.code);
    CHECK(d.refusal.pointer == c.pointer);
    CHECK_FALSE(d.refusal.message.empty());
  }
  auto d = decode_cloudevents(cases[0].req.input(), limits);
  CHECK(d.refusal.line == 2);
  CHECK(d.refusal.to_json()["error"]["line"] == 2);
}

TEST_CASE("Shopify webhooks: verified over the raw body, mapped, deduplicated on the webhook id") {
  WebhookSecrets secrets{"shpss_secret", ""};
  EventLimits limits;
  auto d = decode_shopify(shopify("shpss_secret").input(), secrets, limits);
  REQUIRE(d.ok);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].type == "order.created");
  CHECK(d.events[0].id == "shopify:b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
  CHECK(d.events[0].source == "shopify://demo.myshopify.com");
  CHECK(d.events[0].time == "2026-11-22T10:00:00.000Z");
  CHECK(d.events[0].data["total_price"] == "49.90");

  Request with_event_id = shopify("shpss_secret");
  with_event_id.headers["x-shopify-event-id"] = "98880550";
  CHECK(decode_shopify(with_event_id.input(), secrets, limits).events.at(0).id == "shopify:98880550");
  // Deduplicated per shop: the same event id from two shops is two events.
  CHECK(d.events[0].key == "shopify:demo.myshopify.com#b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
  Request other_shop = with_event_id;
  other_shop.headers["x-shopify-shop-domain"] = "Other.myshopify.com";
  CHECK(decode_shopify(other_shop.input(), secrets, limits).events.at(0).key == "shopify:other.myshopify.com#98880550");

  Request wrong = shopify("another secret");
  CHECK(decode_shopify(wrong.input(), secrets, limits).refusal.status == 401);
  Request tampered = shopify("shpss_secret");
  tampered.body.replace(tampered.body.find("49.90"), 5, "0.01");
  CHECK(decode_shopify(tampered.input(), secrets, limits).refusal.status == 401);
  Request unsigned_req = shopify("shpss_secret");
  unsigned_req.headers.erase("x-shopify-hmac-sha256");
  CHECK(decode_shopify(unsigned_req.input(), secrets, limits).refusal.code == "bad_signature");
  CHECK(decode_shopify(shopify("").input(), WebhookSecrets{}, limits).refusal.code == "not_configured");

  // Headers become event attributes, which are UTF-8: other bytes are a 400 naming the header.
  for (const char* name : {"x-shopify-webhook-id", "x-shopify-topic", "x-shopify-shop-domain"}) {
    CAPTURE(name);
    Request latin1 = shopify("shpss_secret");
    latin1.headers[name] = "caf\xe9";
    auto bad = decode_shopify(latin1.input(), secrets, limits);
    CHECK(bad.refusal.status == 400);
    CHECK(bad.refusal.code == "invalid_header");
    CHECK(bad.refusal.message.find("not valid UTF-8 (byte 4 of 4)") != std::string::npos);
  }

  // The signature is checked before the body is parsed: a signed non-JSON body is a 400.
  Request signed_garbage = shopify("shpss_secret", "{not json");
  auto g = decode_shopify(signed_garbage.input(), secrets, limits);
  CHECK(g.refusal.status == 400);
  CHECK(g.refusal.code == "malformed_json");
}

TEST_CASE("WooCommerce webhooks: signature, topic, delivery id, and the creation ping") {
  WebhookSecrets secrets{"", "wc_secret"};
  EventLimits limits;
  std::string body = R"({"id":727,"status":"processing","total":"21.00"})";
  Request req{"application/json",
              {{"x-wc-webhook-topic", "order.created"},
               {"x-wc-webhook-signature", base64_encode(hmac_sha256("wc_secret", body))},
               {"x-wc-webhook-delivery-id", "d-9"},
               {"x-wc-webhook-source", "https://shop.example/"}},
              body};
  auto d = decode_woocommerce(req.input(), secrets, limits);
  REQUIRE(d.ok);
  CHECK(d.events.at(0).id == "woocommerce:d-9");
  CHECK(d.events.at(0).key == "woocommerce:https://shop.example/#d-9");
  CHECK(d.events.at(0).type == "order.created");
  req.headers["x-wc-webhook-signature"] = "AAAA";
  CHECK(decode_woocommerce(req.input(), secrets, limits).refusal.status == 401);

  Request ping{"application/x-www-form-urlencoded", {}, "webhook_id=12"};
  auto p = decode_woocommerce(ping.input(), secrets, limits);
  CHECK(p.ok);
  CHECK(p.events.empty());
}

TEST_CASE("inbox keys: CloudEvents by source and id, webhooks in namespaces of their own") {
  EventLimits limits;
  auto ce = [&](const std::string& source, const std::string& id) {
    Request r{"application/cloudevents+json", {},
              Json{{"specversion", "1.0"}, {"id", id}, {"source", source}, {"type", "order.created"}}.dump()};
    auto d = decode_cloudevents(r.input(), limits);
    REQUIRE(d.ok);
    return d.events.at(0).key;
  };
  CHECK(ce("/erp", "1001") == "ce:/erp#1001");
  CHECK(ce("/erp", "1001") != ce("/pos", "1001"));
  // A CloudEvent shaped like a webhook's id stays in the CloudEvents namespace.
  CHECK(ce("shopify://demo.myshopify.com", "shopify:98880550") == "ce:shopify://demo.myshopify.com#shopify:98880550");
  // No two (source, id) pairs share a key, whatever they hold.
  CHECK(ce("a#b", "c") != ce("a", "b#c"));
  CHECK(ce("a#b", "c") == "ce:a%23b#c");
  CHECK(ce("a%23b", "c") == "ce:a%2523b#c");
  CHECK(inbox_key("shopify", "s", "1") != inbox_key("ce", "s", "1"));

  // What a store keyed by event id alone holds, keyed anew.
  CHECK(legacy_inbox_key("o-1", R"({"id":"o-1","source":"/test/shop","type":"order.created"})") == "ce:/test/shop#o-1");
  CHECK(legacy_inbox_key("shopify:wh-1", R"({"id":"shopify:wh-1","source":"shopify://demo.myshopify.com"})") ==
        "shopify:demo.myshopify.com#wh-1");
  CHECK(legacy_inbox_key("woocommerce:d-9", R"({"id":"woocommerce:d-9","source":"https://shop.example/"})") ==
        "woocommerce:https://shop.example/#d-9");
  CHECK(legacy_inbox_key("woocommerce:d-9", R"({"id":"woocommerce:d-9","source":"woocommerce://unknown-store"})") ==
        "woocommerce:unknown-store#d-9");
}

TEST_CASE("nesting past the JSON depth limit is a 400 naming it, for every parser and mode") {
  EventLimits limits;
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  Request structured{"application/cloudevents+json", {}, deep};
  auto d = decode_cloudevents(structured.input(), limits);
  CHECK(d.refusal.status == 400);
  CHECK(d.refusal.code == "too_deep");
  CHECK(d.refusal.message.find("deeper than 128 levels") != std::string::npos);
  CHECK(d.refusal.column == 129);
  // Unclosed, and with bytes that are not UTF-8 after it (the fast parser stops at those first).
  Request binary{"application/json",
                 {{"ce-specversion", "1.0"}, {"ce-id", "x"}, {"ce-source", "/s"}, {"ce-type", "order.created"}},
                 "{\"a\":" + std::string(100000, '[') + "\"\xff\""};
  d = decode_cloudevents(binary.input(), limits);
  CHECK(d.refusal.code == "too_deep");
  WebhookSecrets secrets{"k", ""};
  Request hook = shopify("k", deep);
  hook.headers["x-shopify-hmac-sha256"] = base64_encode(hmac_sha256("k", deep));
  d = decode_shopify(hook.input(), secrets, limits);
  CHECK(d.refusal.code == "too_deep");
  // 128 levels are fine (the event's own limit on `data` then applies).
  auto ok = parse_json(std::string(128, '[') + std::string(128, ']'));
  CHECK(ok.ok());
  auto no = parse_json(std::string(129, '[') + std::string(129, ']'));
  REQUIRE_FALSE(no.ok());
  CHECK(json_too_deep(no.error()));
}
