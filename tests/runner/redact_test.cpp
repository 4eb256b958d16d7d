// Redaction of the runner's API answers: which fields become pseudonyms (Shopify and
// WooCommerce payloads), emails inside text, stable and email-shaped pseudonyms, and the
// deployment config's "api" settings.
#include "redact.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <string>

using namespace shopflow;
using namespace shopflow::runner;

namespace {
Redactor defaults(const std::string& key = "k1") { return Redactor(parse_redact_rules(nullptr).value(), key); }
const std::regex kEmailPseudonym("c-[0-9a-f]{16}@redacted\\.invalid");
const std::regex kPseudonym("p-[0-9a-f]{16}");
}  // namespace

TEST_CASE("a Shopify order loses who bought it, keeps what was bought") {
  Json order = Json::parse(R"({
    "id": 450789469, "name": "#1001", "email": "Bob.Norman@hostmail.com", "total_price": "409.94",
    "browser_ip": "216.191.105.146", "note": "leave at the back door", "phone": null, "tags": "vip",
    "customer": {"id": 207119551, "email": "bob.norman@hostmail.com", "first_name": "Bob", "last_name": "Norman"},
    "shipping_address": {"name": "Bob Norman", "address1": "Chestnut Street 92", "city": "Louisville", "zip": "40202",
                         "country_code": "US", "phone": "+1 555 0100"},
    "line_items": [{"name": "IPod Nano - 8gb - green", "sku": "IPOD2008GREEN", "price": "199.00"}]})");
  defaults().redact(order);
  // What identifies the buyer is gone...
  CHECK(std::regex_match(order["email"].get<std::string>(), kEmailPseudonym));
  CHECK(std::regex_match(order["customer"]["first_name"].get<std::string>(), kPseudonym));
  CHECK(std::regex_match(order["shipping_address"]["name"].get<std::string>(), kPseudonym));
  CHECK(std::regex_match(order["shipping_address"]["address1"].get<std::string>(), kPseudonym));
  CHECK(std::regex_match(order["shipping_address"]["zip"].get<std::string>(), kPseudonym));
  CHECK(std::regex_match(order["shipping_address"]["phone"].get<std::string>(), kPseudonym));
  CHECK(std::regex_match(order["browser_ip"].get<std::string>(), kPseudonym));
  CHECK(std::regex_match(order["note"].get<std::string>(), kPseudonym));
  // ...one person, one pseudonym, whatever the case of the address...
  CHECK(order["email"] == order["customer"]["email"]);
  // ...and what the workflows decide on stays as it was.
  CHECK(order["name"] == "#1001");
  CHECK(order["line_items"][0]["name"] == "IPod Nano - 8gb - green");
  CHECK(order["shipping_address"]["city"] == "Louisville");
  CHECK(order["shipping_address"]["country_code"] == "US");
  CHECK(order["total_price"] == "409.94");
  CHECK(order["phone"].is_null());
  CHECK(order["id"] == 450789469);
}

TEST_CASE("a WooCommerce order's billing and shipping contacts are redacted") {
  Json order = Json::parse(R"({"id": 727, "billing": {"first_name": "John", "last_name": "Doe", "address_1": "969 Market",
    "postcode": "94103", "email": "john.doe@example.com", "phone": "(555) 555-5555", "country": "US"},
    "shipping": {"first_name": "John", "address_1": "969 Market", "city": "San Francisco"},
    "customer_ip_address": "::1", "customer_note": "ring twice"})");
  defaults().redact(order);
  for (const char* path : {"/billing/first_name", "/billing/last_name", "/billing/address_1", "/billing/postcode",
                           "/billing/phone", "/shipping/first_name", "/customer_ip_address", "/customer_note"}) {
    CAPTURE(path);
    CHECK(std::regex_match(order.at(Json::json_pointer(path)).get<std::string>(), kPseudonym));
  }
  CHECK(std::regex_match(order["billing"]["email"].get<std::string>(), kEmailPseudonym));
  CHECK(order["billing"]["first_name"] == order["shipping"]["first_name"]);
  CHECK(order["shipping"]["city"] == "San Francisco");
}

TEST_CASE("emails inside any text and in object keys become their pseudonyms") {
  Redactor r = defaults();
  std::string alone = r.pseudonym("ada@lovelace.example");
  CHECK(std::regex_match(alone, kEmailPseudonym));
  CHECK(r.redact_text("write to ada@lovelace.example.") == "write to " + alone + ".");
  CHECK(r.redact_text("a@b, ada@lovelace.example and @handle") == "a@b, " + alone + " and @handle");
  Json doc = {{"message", "Ada (ADA@lovelace.example) asked"}, {"ada@lovelace.example", {{"orders", 3}}}};
  r.redact(doc);
  CHECK(doc["message"] == "Ada (" + alone + ") asked");
  CHECK(doc.contains(alone));
  CHECK(doc[alone]["orders"] == 3);
  // A pseudonym redacted again stays the same (an answer built from redacted data agrees).
  CHECK(r.pseudonym(alone) == alone);
  CHECK(r.pseudonym(r.pseudonym("Ada")) == r.pseudonym("Ada"));
}

TEST_CASE("pseudonyms are the same under one key and differ under another") {
  CHECK(defaults("k1").pseudonym("Ada") == defaults("k1").pseudonym("Ada"));
  CHECK(defaults("k1").pseudonym("Ada") != defaults("k2").pseudonym("Ada"));
  CHECK(defaults("k1").pseudonym("Ada") != defaults("k1").pseudonym("Grace"));
}

TEST_CASE("the deployment config turns redaction off, replaces or amends the fields") {
  struct Case {
    const char* api;
    const char* field;
    bool redacted;
  };
  const Case cases[] = {
      {R"({"redact": false})", "email", false},
      {R"({"redact_fields": ["loyalty_id"]})", "loyalty_id", true},
      {R"({"redact_fields": ["loyalty_id"]})", "email", false},
      {R"({"redact_fields": ["+loyalty_id"]})", "loyalty_id", true},
      {R"({"redact_fields": ["+loyalty_id"]})", "first_name", true},
      {R"({"redact_fields": ["-company"]})", "company", false},
      {R"({"redact_fields": ["-company"]})", "last_name", true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.api);
    CAPTURE(c.field);
    auto rules = parse_redact_rules(Json::parse(c.api));
    REQUIRE(rules.ok());
    Json doc = {{c.field, "Nordhaus AB"}};
    Redactor(rules.value(), "k").redact(doc);
    CHECK((doc[c.field] != "Nordhaus AB") == c.redacted);
  }
  auto bad = parse_redact_rules(Json::parse(R"({"redact_fields": ["email", "a.b.c"]})"));
  REQUIRE(!bad.ok());
  CHECK(bad.error().pointer == "/api/redact_fields/1");
  CHECK(parse_redact_rules(Json::parse(R"({"redact": "no"})")).error().pointer == "/api/redact");
}
