#include "ingest.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "webhooks.hpp"

namespace shopflow::runner {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The media type without parameters, lower-cased: "application/json; charset=utf-8" -> "application/json".
std::string media_type(const std::string& content_type) {
  std::string t = lower(content_type.substr(0, content_type.find(';')));
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(t.begin());
  return t;
}

bool is_json_media(const std::string& mt) {
  return mt == "application/json" || (mt.size() > 5 && mt.compare(mt.size() - 5, 5, "+json") == 0) ||
         mt == "text/json";
}

Decoded malformed(const Error& e) {
  Decoded d = Decoded::refuse(400, json_too_deep(e) ? "too_deep" : "malformed_json", e.message);
  d.refusal.line = e.line;
  d.refusal.column = e.column;
  return d;
}

Decoded invalid_event(const Error& e, const std::string& prefix = "") {
  return Decoded::refuse(400, "invalid_event", e.message, prefix + e.pointer);
}

Decoded structured(const std::string& body, bool batch_allowed, bool single_allowed, const EventLimits& limits) {
  auto doc = parse_json(body, "the request body");
  if (!doc) return malformed(doc.error());
  Decoded out;
  if (doc.value().is_array()) {
    if (!batch_allowed) {
      return Decoded::refuse(400, "invalid_event",
                             "a batch (JSON array) needs Content-Type application/cloudevents-batch+json");
    }
    auto events = parse_cloudevent_batch(doc.value(), limits);
    if (!events) return invalid_event(events.error());
    out.events = std::move(events.value());
    return out;
  }
  if (!single_allowed) {
    return Decoded::refuse(400, "invalid_event", "a batch must be a JSON array of events");
  }
  auto ev = parse_cloudevent(doc.value(), limits);
  if (!ev) return invalid_event(ev.error());
  out.events.push_back(std::move(ev.value()));
  return out;
}

// CloudEvents HTTP binary mode: attributes in ce-* headers, the body is the data.
Decoded binary(const HttpInput& in, const EventLimits& limits) {
  Json doc = Json::object();
  for (const char* attr : {"id", "source", "specversion", "type", "time", "subject", "dataschema"}) {
    std::string v = in.header(std::string("ce-") + attr);
    if (!v.empty()) doc[attr] = v;
  }
  std::string mt = media_type(in.content_type);
  if (!in.content_type.empty()) doc["datacontenttype"] = in.content_type;
  if (!in.body->empty()) {
    if (is_json_media(mt)) {
      auto data = parse_json(*in.body, "the request body");
      if (!data) return malformed(data.error());
      doc["data"] = std::move(data.value());
    } else if (mt.rfind("text/", 0) == 0 && invalid_utf8_at(*in.body) == std::string_view::npos) {
      doc["data"] = *in.body;  // text in another charset travels as bytes, below
    } else {
      std::string b64 = base64_encode(*in.body);
      doc["data_base64"] = b64;
    }
  }
  auto ev = parse_cloudevent(doc, limits);
  if (!ev) {
    Error e = ev.error();
    // Name the header, not a pointer into a document the sender never wrote.
    if (e.pointer.size() > 1 && e.pointer.find('/', 1) == std::string::npos) {
      std::string attr = e.pointer.substr(1);
      if (attr != "data" && attr != "data_base64" && attr != "datacontenttype") {
        return Decoded::refuse(400, "invalid_event", "header ce-" + attr + ": " + e.message);
      }
    }
    return invalid_event(e);
  }
  Decoded out;
  out.events.push_back(std::move(ev.value()));
  return out;
}

// Builds the event a webhook stands for; the body has been verified but not parsed yet.
Decoded webhook_event(const HttpInput& in, const std::string& id, const std::string& source, const std::string& type,
                      const std::string& time_header, const EventLimits& limits) {
  if (!is_json_media(media_type(in.content_type))) {
    return Decoded::refuse(415, "unsupported_media_type",
                           "webhooks are JSON: send Content-Type application/json (got \"" + in.content_type + "\")");
  }
  auto data = parse_json(*in.body, "the webhook body");
  if (!data) return malformed(data.error());
  Json doc = {{"specversion", "1.0"}, {"id", id}, {"source", source}, {"type", type}};
  std::string time = time_header;
  if (time.empty() || !parse_instant(time)) time = format_instant(in.received_ms);
  doc["time"] = time;
  doc["datacontenttype"] = "application/json";
  doc["data"] = std::move(data.value());
  auto ev = parse_cloudevent(doc, limits);
  if (!ev) return invalid_event(ev.error());
  Decoded out;
  out.events.push_back(std::move(ev.value()));
  return out;
}

// Webhook headers become event attributes, and those are JSON strings: UTF-8 only. Names the
// first header that is not.
std::optional<Decoded> headers_not_utf8(const HttpInput& in, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    std::string v = in.header(lower(name));
    size_t bad = invalid_utf8_at(v);
    if (bad != std::string_view::npos) {
      return Decoded::refuse(400, "invalid_header", std::string("header ") + name + " is not valid UTF-8 (byte " +
                                                        std::to_string(bad + 1) + " of " + std::to_string(v.size()) + ")");
    }
  }
  return std::nullopt;
}

}  // namespace

std::string inbox_key(std::string_view ns, std::string_view origin, std::string_view id) {
  std::string out;
  out.reserve(ns.size() + origin.size() + id.size() + 2);
  out.append(ns);
  out += ':';
  for (char c : origin) {
    if (c == '%') {
      out += "%25";
    } else if (c == '#') {
      out += "%23";
    } else {
      out += c;
    }
  }
  out += '#';
  out.append(id);
  return out;
}

std::optional<std::string> legacy_inbox_key(std::string_view id, std::string_view body) {
  auto doc = parse_json(body, "an inbox event");
  std::string source;
  if (doc && doc.value().is_object()) source = doc.value().value("source", std::string());
  auto starts = [](std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; };
  if (starts(id, "shopify:") && starts(source, "shopify://")) {
    return inbox_key("shopify", std::string_view(source).substr(10), id.substr(8));
  }
  if (starts(id, "woocommerce:")) {
    return inbox_key("woocommerce", source == "woocommerce://unknown-store" ? "unknown-store" : source, id.substr(12));
  }
  return inbox_key("ce", source, id);
}

Json Refusal::to_json() const {
  Json err = {{"code", code}, {"message", message}};
  if (!pointer.empty()) err["pointer"] = pointer;
  if (line > 0) {
    err["line"] = line;
    err["column"] = column;
  }
  return Json{{"error", err}};
}

Decoded Decoded::refuse(int status, std::string code, std::string message, std::string pointer) {
  Decoded d;
  d.ok = false;
  d.refusal.status = status;
  d.refusal.code = std::move(code);
  d.refusal.message = std::move(message);
  d.refusal.pointer = std::move(pointer);
  return d;
}

namespace {
Decoded cloudevents(const HttpInput& in, const EventLimits& limits) {
  std::string mt = media_type(in.content_type);
  bool has_ce_headers = !in.header("ce-specversion").empty() || !in.header("ce-id").empty() ||
                        !in.header("ce-type").empty();
  if (mt == "application/cloudevents+json") return structured(*in.body, false, true, limits);
  if (mt == "application/cloudevents-batch+json") return structured(*in.body, true, false, limits);
  if (has_ce_headers) return binary(in, limits);
  if (mt == "application/json") return structured(*in.body, true, true, limits);
  return Decoded::refuse(415, "unsupported_media_type",
                         "send CloudEvents as application/cloudevents+json (one event), "
                         "application/cloudevents-batch+json (an array), or in binary mode with ce-* headers"
                         " (got Content-Type \"" + in.content_type + "\")");
}
}  // namespace

Decoded decode_cloudevents(const HttpInput& in, const EventLimits& limits) {
  Decoded d = cloudevents(in, limits);
  for (Event& e : d.events) e.key = inbox_key("ce", e.source, e.id);
  return d;
}

std::optional<Decoded> shopify_refusal_before_body(const HttpInput& in, const WebhookSecrets& secrets) {
  if (secrets.shopify.empty()) {
    return Decoded::refuse(401, "not_configured",
                           "Shopify webhooks are refused: the runner has no SHOPFLOW_SHOPIFY_SECRET to verify them with");
  }
  if (in.header("x-shopify-hmac-sha256").empty()) {
    return Decoded::refuse(401, "bad_signature", "missing X-Shopify-Hmac-Sha256 header");
  }
  return std::nullopt;
}

std::optional<Decoded> woocommerce_refusal_before_body(const HttpInput& in, const WebhookSecrets& secrets) {
  if (in.header("x-wc-webhook-topic").empty()) return std::nullopt;  // perhaps the creation ping
  if (secrets.woocommerce.empty()) {
    return Decoded::refuse(
        401, "not_configured",
        "WooCommerce webhooks are refused: the runner has no SHOPFLOW_WOOCOMMERCE_SECRET to verify them with");
  }
  if (in.header("x-wc-webhook-signature").empty()) {
    return Decoded::refuse(401, "bad_signature", "missing X-WC-Webhook-Signature header");
  }
  return std::nullopt;
}

Decoded decode_shopify(const HttpInput& in, const WebhookSecrets& secrets, const EventLimits& limits) {
  if (auto early = shopify_refusal_before_body(in, secrets)) return *early;
  std::string sig = in.header("x-shopify-hmac-sha256");
  if (!verify_hmac_base64(secrets.shopify, *in.body, sig)) {
    return Decoded::refuse(401, "bad_signature", "X-Shopify-Hmac-Sha256 does not match the body");
  }
  if (auto bad = headers_not_utf8(in, {"X-Shopify-Topic", "X-Shopify-Event-Id", "X-Shopify-Webhook-Id",
                                       "X-Shopify-Shop-Domain", "X-Shopify-Triggered-At"})) {
    return *bad;
  }
  std::string topic = in.header("x-shopify-topic");
  if (topic.empty()) return Decoded::refuse(400, "invalid_event", "missing X-Shopify-Topic header");
  std::string id = in.header("x-shopify-event-id");
  if (id.empty()) id = in.header("x-shopify-webhook-id");
  if (id.empty()) {
    return Decoded::refuse(400, "invalid_event",
                           "missing X-Shopify-Event-Id and X-Shopify-Webhook-Id: without one a retry would run twice");
  }
  std::string shop = lower(in.header("x-shopify-shop-domain"));
  if (shop.empty()) shop = "unknown-shop";
  Decoded d = webhook_event(in, "shopify:" + id, "shopify://" + shop, shopify_event_type(topic),
                            in.header("x-shopify-triggered-at"), limits);
  for (Event& e : d.events) e.key = inbox_key("shopify", shop, id);
  return d;
}

Decoded decode_woocommerce(const HttpInput& in, const WebhookSecrets& secrets, const EventLimits& limits) {
  std::string topic = in.header("x-wc-webhook-topic");
  if (topic.empty() && in.body->rfind("webhook_id=", 0) == 0) return Decoded{};  // creation ping
  if (secrets.woocommerce.empty()) {
    return Decoded::refuse(
        401, "not_configured",
        "WooCommerce webhooks are refused: the runner has no SHOPFLOW_WOOCOMMERCE_SECRET to verify them with");
  }
  std::string sig = in.header("x-wc-webhook-signature");
  if (sig.empty()) return Decoded::refuse(401, "bad_signature", "missing X-WC-Webhook-Signature header");
  if (!verify_hmac_base64(secrets.woocommerce, *in.body, sig)) {
    return Decoded::refuse(401, "bad_signature", "X-WC-Webhook-Signature does not match the body");
  }
  if (topic.empty()) return Decoded::refuse(400, "invalid_event", "missing X-WC-Webhook-Topic header");
  if (auto bad = headers_not_utf8(in, {"X-WC-Webhook-Topic", "X-WC-Webhook-Delivery-ID", "X-WC-Webhook-Source"})) {
    return *bad;
  }
  std::string id = in.header("x-wc-webhook-delivery-id");
  if (id.empty()) {
    return Decoded::refuse(400, "invalid_event",
                           "missing X-WC-Webhook-Delivery-ID: without it a retry would run twice");
  }
  std::string src = in.header("x-wc-webhook-source");
  Decoded d = webhook_event(in, "woocommerce:" + id, src.empty() ? "woocommerce://unknown-store" : src,
                            woocommerce_event_type(topic), "", limits);
  for (Event& e : d.events) e.key = inbox_key("woocommerce", src.empty() ? "unknown-store" : src, id);
  return d;
}

}  // namespace shopflow::runner
