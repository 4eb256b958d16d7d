// Webhook signatures: HMAC-SHA256 against RFC 4231's test vectors, Shopify-style base64
// signatures accepted and every tampering refused; topic mapping.
#include "webhooks.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace shopflow::runner;

namespace {
std::string unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}
}  // namespace

TEST_CASE("HMAC-SHA256 matches RFC 4231's test vectors") {
  struct Case {
    const char* name;
    std::string key, data;
    const char* hmac;
  };
  const Case cases[] = {
      {"1", std::string(20, '\x0b'), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"2", "Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"3", std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"4", unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"6", std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"7", std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
       "hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(hex_encode(hmac_sha256(c.key, c.data)) == c.hmac);
  }
  // Case 5 checks a truncated output: the first 128 bits.
  CHECK(hex_encode(hmac_sha256(std::string(20, '\x0c'), "Test With Truncation")).substr(0, 32) ==
        "a3b6167473100ee06e0c796c2955552b");
}

TEST_CASE("a Shopify-style signature verifies over the raw body, and tampering is refused") {
  const std::string secret = "hush";
  const std::string body = R"({"id":820982911946154508,"email":"jon@example.com","total_price":"49.90"})";
  const std::string sig = base64_encode(hmac_sha256(secret, body));
  CHECK(verify_hmac_base64(secret, body, sig));
  CHECK_FALSE(verify_hmac_base64(secret, body + " ", sig));           // body changed
  CHECK_FALSE(verify_hmac_base64("other", body, sig));                // wrong secret
  CHECK_FALSE(verify_hmac_base64(secret, body, sig.substr(1)));       // truncated
  std::string flipped = sig;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  CHECK_FALSE(verify_hmac_base64(secret, body, flipped));             // one character off
  CHECK_FALSE(verify_hmac_base64("", body, base64_encode(hmac_sha256("", body))));  // no secret configured
  CHECK_FALSE(verify_hmac_base64(secret, body, ""));
}

TEST_CASE("store topics map to Shopflow event types") {
  CHECK(shopify_event_type("orders/create") == "order.created");
  CHECK(shopify_event_type("orders/paid") == "order.paid");
  CHECK(shopify_event_type("checkouts/update") == "checkout.updated");
  CHECK(shopify_event_type("inventory_levels/update") == "inventory.changed");
  CHECK(shopify_event_type("app/uninstalled") == "shopify.app.uninstalled");
  CHECK(woocommerce_event_type("order.created") == "order.created");
  CHECK(woocommerce_event_type("action.woocommerce_checkout_order_processed") ==
        "woocommerce.action.woocommerce_checkout_order_processed");
}
