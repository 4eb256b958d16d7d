// Turning HTTP requests into events, before anything is stored: CloudEvents in structured,
// batch and binary mode, Shopify and WooCommerce webhooks (signature checked over the raw body
// before it is parsed). Pure functions of the request, so every bad-input class is testable
// without a server. The HTTP status of each refusal is part of the contract (README).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shopflow/event.hpp"

namespace shopflow::runner {

// What the decoders need of a request. `header` looks a header up case-insensitively ("" when
// absent).
struct HttpInput {
  std::string content_type;
  std::function<std::string(const std::string&)> header;
  const std::string* body = nullptr;
  Millis received_ms = 0;  // when the request arrived, for events that carry no time
};

// A refused request: the HTTP status, a stable code, and a sentence saying what and where.
struct Refusal {
  int status = 400;
  std::string code;     // "malformed_json", "invalid_event", "bad_signature", ...
  std::string message;
  std::string pointer;  // JSON Pointer into the body, when about one value
  int line = 0, column = 0;
  Json to_json() const;
};

struct Decoded {
  std::vector<Event> events;  // empty with ok when the request carries no event (a ping)
  bool ok = true;
  Refusal refusal;
  static Decoded refuse(int status, std::string code, std::string message, std::string pointer = "");
};

struct WebhookSecrets {
  std::string shopify;      // SHOPFLOW_SHOPIFY_SECRET
  std::string woocommerce;  // SHOPFLOW_WOOCOMMERCE_SECRET
};

// The key an event from outside is deduplicated on in the inbox (and its runs are named by):
// "<namespace>:<origin>#<id>", with '%' and '#' in the origin percent-encoded so that no two
// (origin, id) pairs share a key. Namespaces: "ce" (CloudEvents, origin = source: the spec
// makes source + id unique), "shopify" (origin = shop domain, id = the event or webhook id),
// "woocommerce" (origin = the site, id = the delivery id). A sender cannot reach into another's.
std::string inbox_key(std::string_view ns, std::string_view origin, std::string_view id);

// The key of an event stored by a runner that deduplicated on the event id alone ("shopify:X" and
// "woocommerce:X" from the webhooks, a CloudEvent's id otherwise), from its id and stored JSON.
std::optional<std::string> legacy_inbox_key(std::string_view id, std::string_view body);

// POST /v1/events. application/cloudevents+json: one structured event;
// application/cloudevents-batch+json: a JSON array of them; application/json: structured (one
// or an array) unless ce-specversion is present, then binary mode like any other content type
// with ce-* headers. Anything else without ce-* headers: 415.
Decoded decode_cloudevents(const HttpInput& in, const EventLimits& limits);

// What the headers alone decide, before the body is read: a refusal (no secret configured, no
// signature), or nullopt to read the body and decode it.
std::optional<Decoded> shopify_refusal_before_body(const HttpInput& in, const WebhookSecrets& secrets);
std::optional<Decoded> woocommerce_refusal_before_body(const HttpInput& in, const WebhookSecrets& secrets);

// POST /webhooks/shopify: X-Shopify-Hmac-Sha256 over the raw body (401 when wrong or when no
// secret is configured), X-Shopify-Topic mapped to an event type, id from X-Shopify-Event-Id,
// else X-Shopify-Webhook-Id.
Decoded decode_shopify(const HttpInput& in, const WebhookSecrets& secrets, const EventLimits& limits);

// POST /webhooks/woocommerce: X-WC-Webhook-Signature over the raw body, X-WC-Webhook-Topic,
// id from X-WC-Webhook-Delivery-ID. WooCommerce's ping on webhook creation (a form body
// "webhook_id=N" without a topic) is answered without an event.
Decoded decode_woocommerce(const HttpInput& in, const WebhookSecrets& secrets, const EventLimits& limits);

}  // namespace shopflow::runner
