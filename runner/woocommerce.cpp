// The woocommerce connector: effects become WooCommerce REST v3 calls, authenticated with the
// consumer key and secret (HTTP basic auth over HTTPS).
#include <curl/curl.h>

#include <algorithm>

#include "connectors.hpp"
#include "http_client.hpp"

namespace shopflow::runner {

namespace {

bool is_id(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

class WooCommerce final : public Connector {
 public:
  explicit WooCommerce(const AdapterConfig& a) : a_(a) {
    base_ = a.url;
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    base_ += "/wp-json/wc/v3";
  }

  DeliveryResult deliver(const OutboundEffect& e) override;
  Result<std::string> check(const std::vector<std::string>& routed_types) override;

 private:
  struct Answer {
    bool ok = false;
    Json body;
    DeliveryResult failure;
  };
  Answer request(const std::string& method, const std::string& path, const Json& body);
  // "/products/12" or "/products/12/variations/34" from the effect's ids, or found by SKU.
  Answer product_path(const OutboundEffect& e);

  AdapterConfig a_;
  std::string base_;
};

WooCommerce::Answer WooCommerce::request(const std::string& method, const std::string& path, const Json& body) {
  Answer out;
  HttpCall c;
  c.method = method;
  c.url = base_ + path;
  c.headers = {"Accept: application/json"};
  if (!body.is_null()) {
    c.headers.push_back("Content-Type: application/json");
    c.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  c.userpwd = a_.key + ":" + a_.secret;
  c.timeout_ms = a_.timeout_ms;
  HttpAnswer h = http_call(c);
  std::string where = "WooCommerce " + method + " " + path;
  if (!h.answered()) {
    out.failure.error = where + ": " + h.error;
    return out;
  }
  Json parsed = Json::parse(h.body, nullptr, false);
  if (h.status >= 200 && h.status < 300) {
    out.ok = true;
    out.body = parsed.is_discarded() ? Json() : std::move(parsed);
    return out;
  }
  // WooCommerce explains a refusal as {"code": "...", "message": "..."}.
  std::string why = parsed.is_object() ? parsed.value("message", std::string()) : std::string();
  if (parsed.is_object() && parsed.contains("code")) why += " (" + text_of(parsed["code"]) + ")";
  out.failure.error = where + ": answered " + std::to_string(h.status) + (why.empty() ? "" : ": " + why);
  if (h.status == 401 || h.status == 403) {
    out.failure.retryable = false;
    out.failure.credentials_refused = true;
    out.failure.error += "; the store refused the consumer key";
  } else if (h.status == 429) {
    out.failure.throttled = true;
    auto it = h.headers.find("retry-after");
    out.failure.retry_after_ms = it != h.headers.end() ? std::max(1000L, std::atol(it->second.c_str()) * 1000) : 5000;
  } else {
    out.failure.retryable = h.status >= 500 || h.status == 408;
  }
  return out;
}

WooCommerce::Answer WooCommerce::product_path(const OutboundEffect& e) {
  Answer out;
  std::string product = text_of(e.params.value("product_id", Json()));
  std::string variation = text_of(e.params.value("variation_id", Json()));
  if (is_id(product)) {
    out.ok = true;
    out.body = "/products/" + product + (is_id(variation) ? "/variations/" + variation : "");
    return out;
  }
  std::string sku = text_of(e.params.value("sku", Json()));
  if (sku.empty()) {
    out.failure.retryable = false;
    out.failure.error = e.type + " needs \"product_id\" (and \"variation_id\" for a variation) or \"sku\"";
    return out;
  }
  char* escaped = curl_easy_escape(nullptr, sku.c_str(), static_cast<int>(sku.size()));
  std::string query = escaped ? escaped : "";
  curl_free(escaped);
  Answer found = request("GET", "/products?sku=" + query, nullptr);
  if (!found.ok) return found;
  if (!found.body.is_array() || found.body.empty()) {
    out.failure.retryable = false;
    out.failure.error = "WooCommerce has no product with the SKU " + sku;
    return out;
  }
  const Json& p = found.body[0];
  out.ok = true;
  if (p.value("type", "") == "variation" && p.contains("parent_id")) {
    out.body = "/products/" + text_of(p["parent_id"]) + "/variations/" + text_of(p["id"]);
  } else {
    out.body = "/products/" + text_of(p.value("id", Json()));
  }
  return out;
}

DeliveryResult WooCommerce::deliver(const OutboundEffect& e) {
  auto done = [](const Answer& a) {
    if (!a.ok) return a.failure;
    DeliveryResult r;
    r.ok = true;
    return r;
  };
  auto permanent = [](std::string error) {
    DeliveryResult r;
    r.retryable = false;
    r.error = std::move(error);
    return r;
  };
  if (e.type == "order.note" || e.type == "order.hold" || e.type == "refund.create") {
    std::string order = text_of(e.params.value("order_id", Json()));
    if (!is_id(order)) return permanent(e.type + " needs \"order_id\", the WooCommerce order number (got " + order + ")");
    if (e.type == "order.note") {
      return done(request("POST", "/orders/" + order + "/notes",
                          Json{{"note", text_of(e.params.value("note", Json()))},
                               {"customer_note", e.params.value("customer_note", false)}}));
    }
    if (e.type == "order.hold") {
      Json body = {{"status", "on-hold"}};
      return done(request("PUT", "/orders/" + order, body));
    }
    // A refund carries the effect's key in its metadata: a second try finds it and stops.
    Answer existing = request("GET", "/orders/" + order + "/refunds", nullptr);
    if (!existing.ok) return existing.failure;
    if (existing.body.is_array()) {
      for (const auto& r : existing.body) {
        for (const auto& m : r.value("meta_data", Json::array())) {
          if (m.value("key", "") == "_shopflow_effect" && text_of(m.value("value", Json())) == e.id) {
            return done(existing);
          }
        }
      }
    }
    Json body = {{"amount", text_of(e.params.value("amount", Json()))},
                 {"reason", text_of(e.params.value("reason", Json()))},
                 {"api_refund", e.params.value("api_refund", true)},
                 {"meta_data", Json::array({{{"key", "_shopflow_effect"}, {"value", e.id}}})}};
    if (e.params.contains("line_items")) body["line_items"] = e.params["line_items"];
    return done(request("POST", "/orders/" + order + "/refunds", body));
  }
  if (e.type == "price.update" || e.type == "inventory.adjust") {
    Answer path = product_path(e);
    if (!path.ok) return path.failure;
    std::string p = path.body.get<std::string>();
    if (e.type == "price.update") {
      std::string price = text_of(e.params.value("price", Json()));
      if (price.empty()) return permanent("price.update needs \"price\"");
      return done(request("PUT", p, Json{{"regular_price", price}}));
    }
    // No delta endpoint: read, add, write. Not atomic (a sale in between is overwritten).
    const Json d = e.params.value("delta", Json());
    long long delta = 0;
    try {
      delta = d.is_number_integer() ? d.get<long long>() : std::stoll(text_of(d));
    } catch (const std::exception&) {
      return permanent("inventory.adjust needs \"delta\": a whole number (got " + d.dump() + ")");
    }
    Answer now = request("GET", p, nullptr);
    if (!now.ok) return now.failure;
    const Json q = now.body.is_object() ? now.body.value("stock_quantity", Json()) : Json();
    long long stock = q.is_number_integer() ? q.get<long long>() : 0;
    return done(request("PUT", p, Json{{"manage_stock", true}, {"stock_quantity", stock + delta}}));
  }
  return permanent("the woocommerce adapter cannot perform " + e.type);
}

Result<std::string> WooCommerce::check(const std::vector<std::string>&) {
  Answer a = request("GET", "/orders?per_page=1", nullptr);
  if (!a.ok) return Error{a.failure.error, "", 0, 0};
  return std::string("the consumer key may read orders at ") + base_;
}

}  // namespace

std::unique_ptr<Connector> make_woocommerce_connector(const AdapterConfig& a) {
  return std::make_unique<WooCommerce>(a);
}

}  // namespace shopflow::runner
