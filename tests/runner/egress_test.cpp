// Where calls may go: the deployment config's list, internal addresses refused unless listed
// (by address and, for names, after resolution), and the bundle's written-out hosts.
#include "egress.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <string>

#include "connectors.hpp"

using namespace shopflow;
using namespace shopflow::runner;

namespace {

EgressPolicy policy(const char* config) {
  auto p = parse_egress(Json::parse(config));
  REQUIRE(p);
  return p.value();
}

}  // namespace

TEST_CASE("calls: which URLs a deployment config lets through") {
  struct Case {
    const char* config;
    const char* url;
    bool allowed;
  };
  const Case cases[] = {
      {"{}", "https://erp.example.com/stock", true},
      {"{}", "http://erp.example.com/stock", true},
      {"{}", "ftp://erp.example.com/stock", false},
      {"{}", "http://169.254.169.254/latest/meta-data/", false},
      {"{}", "http://127.0.0.1:8080/healthz", false},
      {"{}", "http://[::1]/", false},
      {"{}", "http://[::ffff:10.0.0.1]/", false},
      {"{}", "http://10.1.2.3/", false},
      {"{}", "http://172.20.0.1/", false},
      {"{}", "http://192.168.1.1/", false},
      {"{}", "http://0.0.0.0/", false},
      {"{}", "http://8.8.8.8/", true},
      {R"({"calls": {"allow": ["erp.example.com"]}})", "https://erp.example.com/x", true},
      {R"({"calls": {"allow": ["erp.example.com"]}})", "http://erp.example.com/x", false},
      {R"({"calls": {"allow": ["erp.example.com"]}})", "https://evil.example.net/x", false},
      {R"({"calls": {"allow": ["*.carrier.example"]}})", "https://api.carrier.example/x", true},
      {R"({"calls": {"allow": ["*.carrier.example"]}})", "https://carrier.example/x", false},
      {R"({"calls": {"allow": ["http://10.0.0.5:8080"]}})", "http://10.0.0.5:8080/x", true},
      {R"({"calls": {"allow": ["http://10.0.0.5:8080"]}})", "http://10.0.0.5:9090/x", false},
      {R"({"calls": {"allow": ["http://127.0.0.1"]}})", "http://127.0.0.1:4000/x", true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.config);
    CAPTURE(c.url);
    CHECK(egress_check_url(policy(c.config), c.url).ok() == c.allowed);
  }
}

TEST_CASE("calls: a name resolving inside is refused unless its host is listed") {
  sockaddr_in loopback{};
  loopback.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &loopback.sin_addr);
  sockaddr_in outside{};
  outside.sin_family = AF_INET;
  inet_pton(AF_INET, "93.184.216.34", &outside.sin_addr);
  auto url = url_parts("http://localhost:8080/x");
  REQUIRE(url);
  const auto* in = reinterpret_cast<const sockaddr*>(&loopback);
  const auto* out = reinterpret_cast<const sockaddr*>(&outside);
  CHECK_FALSE(egress_address_allowed(policy("{}"), url.value(), in));
  CHECK(egress_address_allowed(policy("{}"), url.value(), out));
  CHECK(egress_address_allowed(policy(R"({"calls": {"allow": ["http://localhost"]}})"), url.value(), in));
}

TEST_CASE("calls: a config's list is checked as it is read") {
  CHECK_FALSE(parse_egress(Json::parse(R"({"calls": {"allow": "erp.example.com"}})")));
  CHECK_FALSE(parse_egress(Json::parse(R"({"calls": {"allow": ["ftp://files.example.com"]}})")));
  CHECK_FALSE(parse_egress(Json::parse(R"({"calls": {"allow": [""]}})")));
}

TEST_CASE("shopify ids: numbers as webhooks carry them, or GIDs") {
  CHECK(shopify_gid("Order", Json(450789469)) == "gid://shopify/Order/450789469");
  CHECK(shopify_gid("Order", Json("450789469")) == "gid://shopify/Order/450789469");
  CHECK(shopify_gid("Order", Json("gid://shopify/Order/1")) == "gid://shopify/Order/1");
  CHECK(shopify_gid("Order", Json("#1001")).empty());
  CHECK(shopify_gid("Order", Json()).empty());
}

TEST_CASE("shopify scopes: each effect type names the scope it needs") {
  CHECK(shopify_scope_for("order.tag") == "write_orders");
  CHECK(shopify_scope_for("customer.tag") == "write_customers");
  CHECK(shopify_scope_for("order.hold") == "write_merchant_managed_fulfillment_orders");
  CHECK(shopify_scope_for("inventory.adjust") == "write_inventory");
  CHECK(shopify_scope_for("email.send").empty());
}
