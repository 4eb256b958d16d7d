// Webhook verification and mapping for `shopflow serve`: HMAC-SHA256 signatures (OpenSSL),
// checked over the raw body before it is parsed, in constant time; store topics mapped to
// Shopflow's dotted event types; the event id a delivery is deduplicated on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopflow::runner {

// HMAC-SHA256 of `message` under `key`, as raw bytes (32).
std::string hmac_sha256(std::string_view key, std::string_view message);

std::string base64_encode(std::string_view bytes);
std::string hex_encode(std::string_view bytes);

// True when `signature_b64` is the base64 HMAC-SHA256 of `body` under `secret`. The compare
// takes the same time wherever the first difference is. An empty secret never verifies.
bool verify_hmac_base64(std::string_view secret, std::string_view body, std::string_view signature_b64);

// Shopify's X-Shopify-Topic ("orders/create") as an event type ("order.created").
// Topics without a mapping become "shopify.<topic with '/' as '.'>".
std::string shopify_event_type(std::string_view topic);

// WooCommerce's X-WC-Webhook-Topic ("order.created", "product.updated") as an event type.
// Its topics are already dotted; "action.*" and unknown ones keep a "woocommerce." prefix.
std::string woocommerce_event_type(std::string_view topic);

// The webhook topics that bring an event type, for `shopflow topics`: the reverse of the two
// mappings above; empty when the store sends no topic that maps to it.
std::vector<std::string> shopify_topics_for(std::string_view event_type);
std::vector<std::string> woocommerce_topics_for(std::string_view event_type);

}  // namespace shopflow::runner
