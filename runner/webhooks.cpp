#include "webhooks.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <utility>

namespace shopflow::runner {

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string hex_encode(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

bool verify_hmac_base64(std::string_view secret, std::string_view body, std::string_view signature_b64) {
  if (secret.empty() || signature_b64.empty()) return false;
  std::string expected = base64_encode(hmac_sha256(secret, body));
  if (expected.size() != signature_b64.size()) return false;
  return CRYPTO_memcmp(expected.data(), signature_b64.data(), expected.size()) == 0;
}

namespace {

using TopicTable = std::array<std::pair<std::string_view, std::string_view>, 22>;

const TopicTable kShopifyTopics = {{
    {"orders/create", "order.created"},
    {"orders/updated", "order.updated"},
    {"orders/paid", "order.paid"},
    {"orders/cancelled", "order.cancelled"},
    {"orders/fulfilled", "order.fulfilled"},
    {"orders/partially_fulfilled", "order.partially_fulfilled"},
    {"orders/delete", "order.deleted"},
    {"checkouts/create", "checkout.created"},
    {"checkouts/update", "checkout.updated"},
    {"checkouts/delete", "checkout.deleted"},
    {"inventory_levels/update", "inventory.changed"},
    {"inventory_levels/connect", "inventory.connected"},
    {"fulfillments/create", "shipment.created"},
    {"fulfillments/update", "shipment.updated"},
    {"fulfillment_events/create", "shipment.updated"},
    {"refunds/create", "refund.created"},
    {"returns/request", "return.requested"},
    {"returns/approve", "return.approved"},
    {"customers/create", "customer.created"},
    {"customers/update", "customer.updated"},
    {"products/create", "product.created"},
    {"products/update", "product.updated"},
}};

const std::array<std::pair<std::string_view, std::string_view>, 10> kWooTopics = {{
    {"order.created", "order.created"},
    {"order.updated", "order.updated"},
    {"order.deleted", "order.deleted"},
    {"order.restored", "order.restored"},
    {"product.created", "product.created"},
    {"product.updated", "product.updated"},
    {"product.deleted", "product.deleted"},
    {"customer.created", "customer.created"},
    {"customer.updated", "customer.updated"},
    {"coupon.created", "coupon.created"},
}};

}  // namespace

std::string shopify_event_type(std::string_view topic) {
  for (const auto& [from, to] : kShopifyTopics) {
    if (topic == from) return std::string(to);
  }
  std::string out = "shopify.";
  for (char c : topic) out += c == '/' ? '.' : c;
  return out;
}

std::string woocommerce_event_type(std::string_view topic) {
  for (const auto& [from, to] : kWooTopics) {
    if (topic == from) return std::string(to);
  }
  return "woocommerce." + std::string(topic);
}

std::vector<std::string> shopify_topics_for(std::string_view event_type) {
  std::vector<std::string> out;
  for (const auto& [topic, type] : kShopifyTopics) {
    if (type == event_type) out.emplace_back(topic);
  }
  // "shopify.orders.edited" came from the topic "orders/edited".
  if (out.empty() && event_type.rfind("shopify.", 0) == 0) {
    std::string topic(event_type.substr(8));
    if (auto dot = topic.find('.'); dot != std::string::npos) topic[dot] = '/';
    out.push_back(topic);
  }
  return out;
}

std::vector<std::string> woocommerce_topics_for(std::string_view event_type) {
  std::vector<std::string> out;
  for (const auto& [topic, type] : kWooTopics) {
    if (type == event_type) out.emplace_back(topic);
  }
  if (out.empty() && event_type.rfind("woocommerce.", 0) == 0) out.emplace_back(event_type.substr(12));
  return out;
}

}  // namespace shopflow::runner
