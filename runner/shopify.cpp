// The shopify connector: effects become Admin GraphQL calls. The client keeps the shop's
// query-cost bucket from every answer (extensions.cost.throttleStatus) and waits before a call
// that would not fit; a THROTTLED answer is handed back as "try again later", not as a failure.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "connectors.hpp"
#include "http_client.hpp"
#include "webhooks.hpp"

namespace shopflow::runner {

namespace {

struct Mutation {
  const char* type;
  const char* scope;
};

// The effect types the adapter performs and the access scope each needs. Reads (the order's
// fulfillment orders, transactions, a variant by SKU) are covered by the write scope.
const Mutation kMutations[] = {
    {"shopify.query", ""},  // a read: the scopes it needs depend on the query
    {"order.tag", "write_orders"},
    {"customer.tag", "write_customers"},
    {"order.note", "write_orders"},
    {"order.hold", "write_merchant_managed_fulfillment_orders"},
    {"order.release_hold", "write_merchant_managed_fulfillment_orders"},
    {"fulfillment.create", "write_merchant_managed_fulfillment_orders"},
    {"refund.create", "write_orders"},
    {"inventory.adjust", "write_inventory"},
    {"return.approve", "write_returns"},
    {"return.deny", "write_returns"},
    {"price.update", "write_products"},
};

const char* kUserErrors = "userErrors { field message }";

std::vector<std::string> tag_list(const Json& v) {
  std::vector<std::string> out;
  auto add = [&](std::string t) {
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(t.begin());
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    if (!t.empty()) out.push_back(std::move(t));
  };
  if (v.is_array()) {
    for (const auto& t : v) add(text_of(t));
  } else {
    std::string s = text_of(v);
    size_t start = 0;
    for (;;) {
      size_t comma = s.find(',', start);
      add(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

// A hold's handle is at most 64 characters and unique per app and fulfillment order: the
// effect's key when it fits, else a digest of it.
std::string hold_handle(const std::string& effect_id) {
  if (effect_id.size() <= 64) return effect_id;
  return "shopflow-" + hex_encode(hmac_sha256("shopflow-hold", effect_id)).substr(0, 40);
}

DeliveryResult permanent(std::string error) {
  DeliveryResult r;
  r.retryable = false;
  r.error = std::move(error);
  return r;
}

DeliveryResult delivered(Json response = nullptr) {
  DeliveryResult r;
  r.ok = true;
  r.response = std::move(response);
  return r;
}

class Shopify final : public Connector {
 public:
  explicit Shopify(const AdapterConfig& a) : a_(a) {
    std::string base = a.url;
    if (base.empty()) {
      std::string shop = a.shop;
      if (shop.find('.') == std::string::npos) shop += ".myshopify.com";
      base = "https://" + shop;
    }
    while (!base.empty() && base.back() == '/') base.pop_back();
    base_ = base;
    endpoint_ = base + "/admin/api/" + a.api_version + "/graphql.json";
  }

  DeliveryResult deliver(const OutboundEffect& e) override;
  Result<std::string> check(const std::vector<std::string>& routed_types) override;
  DeliveryResult query(const OutboundEffect& e) override;

 private:
  // One GraphQL answer: data when ok, else the result to hand back.
  struct Answer {
    bool ok = false;
    Json data;
    DeliveryResult failure;
  };

  Answer call(const std::string& op, const std::string& document, const Json& variables);
  // `op`'s payload in `data`, or the failure its userErrors describe.
  static Answer payload(const Answer& a, const std::string& op);
  // Milliseconds until the bucket holds `cost` points (0 when it does now).
  long room_wait_ms(double cost);

  DeliveryResult tags_add(const OutboundEffect& e, const char* kind, const char* id_param);
  DeliveryResult order_note(const OutboundEffect& e);
  DeliveryResult order_hold(const OutboundEffect& e, bool release);
  DeliveryResult fulfillment_create(const OutboundEffect& e);
  DeliveryResult refund_create(const OutboundEffect& e);
  DeliveryResult inventory_adjust(const OutboundEffect& e);
  DeliveryResult return_request(const OutboundEffect& e, bool approve);
  DeliveryResult price_update(const OutboundEffect& e);
  // The order's fulfillment orders: [{id, status, fulfillmentHolds: [{handle}]}].
  Answer fulfillment_orders(const std::string& order_gid);

  // The access token: the configured one, or one from the client credentials grant, asked for
  // again shortly before it expires (or at once when `renew`). Empty with `error` set on failure.
  std::string access_token(bool renew, DeliveryResult* error);

  AdapterConfig a_;
  std::string base_;
  std::string endpoint_;
  std::mutex mu_;
  std::mutex token_mu_;
  std::string granted_;  // from the client credentials grant
  std::chrono::steady_clock::time_point granted_until_;
  bool known_ = false;  // a throttleStatus has been seen
  double available_ = 0, maximum_ = 0, restore_ = 0;
  std::chrono::steady_clock::time_point seen_at_;
  std::map<std::string, double> cost_;  // requested cost last seen, per operation
};

std::string Shopify::access_token(bool renew, DeliveryResult* error) {
  if (!a_.token.empty()) return a_.token;
  std::lock_guard<std::mutex> lock(token_mu_);
  auto now = std::chrono::steady_clock::now();
  if (!renew && !granted_.empty() && now < granted_until_) return granted_;
  HttpCall c;
  c.url = base_ + "/admin/oauth/access_token";
  c.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
  auto escape = [](const std::string& v) {
    char* e = curl_easy_escape(nullptr, v.c_str(), static_cast<int>(v.size()));
    std::string out = e ? e : "";
    curl_free(e);
    return out;
  };
  c.body = "grant_type=client_credentials&client_id=" + escape(a_.client_id) + "&client_secret=" + escape(a_.client_secret);
  c.timeout_ms = a_.timeout_ms;
  HttpAnswer h = http_call(c);
  Json body = Json::parse(h.body, nullptr, false);
  if (!h.answered() || h.status >= 500) {
    error->error = "Shopify access token: " + (h.answered() ? "answered HTTP " + std::to_string(h.status) : h.error);
    return "";
  }
  if (h.status != 200 || !body.is_object() || !body.value("access_token", Json()).is_string()) {
    error->retryable = false;
    error->credentials_refused = true;
    error->error = "Shopify refused the app's client credentials (HTTP " + std::to_string(h.status) +
                   "); check client_id_env, client_secret_env and that the app is installed on the shop";
    return "";
  }
  granted_ = body["access_token"].get<std::string>();
  // Asked for again five minutes before it expires (tokens last about a day).
  long lifetime = body.value("expires_in", Json(86399)).is_number() ? body.value("expires_in", 86399L) : 86399L;
  granted_until_ = now + std::chrono::seconds(std::max(60L, lifetime - 300));
  return granted_;
}

long Shopify::room_wait_ms(double cost) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!known_ || restore_ <= 0) return 0;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - seen_at_).count();
  double now_available = std::min(maximum_, available_ + restore_ * elapsed);
  if (now_available >= cost) {
    // Reserve the points, so the next call counts them as spent until the answer says otherwise.
    available_ = now_available - cost;
    seen_at_ = std::chrono::steady_clock::now();
    return 0;
  }
  return static_cast<long>(std::ceil((cost - now_available) / restore_ * 1000.0));
}

Shopify::Answer Shopify::call(const std::string& op, const std::string& document, const Json& variables) {
  Answer out;
  double cost = 10;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = cost_.find(op); it != cost_.end()) cost = it->second;
  }
  // Wait for room in the bucket; a long wait is handed back so the dispatcher can go on.
  constexpr long kLongestWaitMs = 5000;
  for (long wait = room_wait_ms(cost); wait > 0; wait = room_wait_ms(cost)) {
    if (wait > kLongestWaitMs) {
      out.failure.throttled = true;
      out.failure.retry_after_ms = wait;
      out.failure.error = "Shopify " + op + ": the shop's query-cost bucket is short; waiting " + std::to_string(wait) + " ms";
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
  HttpCall c;
  c.url = endpoint_;
  c.body = Json{{"query", document}, {"variables", variables}}.dump(-1, ' ', false, Json::error_handler_t::replace);
  c.timeout_ms = a_.timeout_ms;
  HttpAnswer h;
  // A granted token refused is asked for again once: it may have expired early.
  for (int tries = 0; tries < 2; ++tries) {
    std::string token = access_token(tries > 0, &out.failure);
    if (token.empty()) return out;
    c.headers = {"Content-Type: application/json", "Accept: application/json", "X-Shopify-Access-Token: " + token};
    h = http_call(c);
    if (!(h.answered() && h.status == 401 && a_.token.empty())) break;
  }
  std::string where = "Shopify " + op;
  if (!h.answered()) {
    out.failure.error = where + ": " + h.error;
    return out;
  }
  if (h.status == 401 || h.status == 403) {
    out.failure.retryable = false;
    out.failure.credentials_refused = true;
    out.failure.error = where + ": the shop refused the access token (HTTP " + std::to_string(h.status) +
                        "); check token_env and the app's installation";
    return out;
  }
  if (h.status == 429) {
    out.failure.throttled = true;
    out.failure.retry_after_ms = 1000;
    if (auto it = h.headers.find("retry-after"); it != h.headers.end()) {
      out.failure.retry_after_ms = std::max(1000L, static_cast<long>(std::atof(it->second.c_str()) * 1000));
    }
    out.failure.error = where + ": answered 429 (too many requests)";
    return out;
  }
  if (h.status < 200 || h.status >= 300) {
    out.failure.retryable = h.status >= 500 || h.status == 408;
    out.failure.error = where + ": answered HTTP " + std::to_string(h.status) + " " + h.body.substr(0, 200);
    return out;
  }
  Json body = Json::parse(h.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    out.failure.error = where + ": the answer is not JSON";
    return out;
  }
  const Json* cost_info = nullptr;
  if (body.contains("extensions") && body["extensions"].is_object() && body["extensions"].contains("cost")) {
    cost_info = &body["extensions"]["cost"];
  }
  if (cost_info && cost_info->is_object()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cost_info->contains("requestedQueryCost") && (*cost_info)["requestedQueryCost"].is_number()) {
      cost_[op] = (*cost_info)["requestedQueryCost"].get<double>();
    }
    const Json ts = cost_info->value("throttleStatus", Json::object());
    if (ts.is_object() && ts.value("maximumAvailable", Json()).is_number()) {
      known_ = true;
      maximum_ = ts.value("maximumAvailable", 0.0);
      available_ = ts.value("currentlyAvailable", 0.0);
      restore_ = ts.value("restoreRate", 0.0);
      seen_at_ = std::chrono::steady_clock::now();
    }
  }
  if (body.contains("errors") && body["errors"].is_array() && !body["errors"].empty()) {
    std::string messages;
    bool throttled = false, passing = false;
    for (const auto& err : body["errors"]) {
      std::string code = err.is_object() && err.contains("extensions") && err["extensions"].is_object()
                             ? err["extensions"].value("code", "")
                             : "";
      throttled = throttled || code == "THROTTLED";
      passing = passing || code == "INTERNAL_SERVER_ERROR" || code == "SERVICE_UNAVAILABLE";
      if (!messages.empty()) messages += "; ";
      messages += err.is_object() ? err.value("message", err.dump()) : err.dump();
      if (!code.empty()) messages += " (" + code + ")";
    }
    if (throttled) {
      std::lock_guard<std::mutex> lock(mu_);
      double need = std::max(0.0, cost - available_);
      out.failure.throttled = true;
      out.failure.retry_after_ms =
          restore_ > 0 ? std::max(100L, static_cast<long>(std::ceil(need / restore_ * 1000.0))) : 1000;
      out.failure.error = where + ": throttled by the shop";
      return out;
    }
    out.failure.retryable = passing;
    out.failure.error = where + ": " + messages;
    return out;
  }
  if (!body.contains("data") || !body["data"].is_object()) {
    out.failure.error = where + ": the answer has no data";
    return out;
  }
  out.ok = true;
  out.data = std::move(body["data"]);
  return out;
}

Shopify::Answer Shopify::payload(const Answer& a, const std::string& op) {
  if (!a.ok) return a;
  Answer out;
  const Json p = a.data.value(op, Json());
  if (!p.is_object()) {
    out.failure = permanent("Shopify " + op + ": the answer has no " + op);
    return out;
  }
  const Json errors = p.value("userErrors", Json::array());
  if (errors.is_array() && !errors.empty()) {
    std::string text;
    for (const auto& ue : errors) {
      if (!text.empty()) text += "; ";
      std::string field;
      if (ue.contains("field") && ue["field"].is_array()) {
        for (const auto& f : ue["field"]) field += (field.empty() ? "" : ".") + text_of(f);
      }
      text += (field.empty() ? "" : field + ": ") + ue.value("message", std::string("(no message)"));
    }
    out.failure = permanent("Shopify refused " + op + ": " + text);
    return out;
  }
  out.ok = true;
  out.data = p;
  return out;
}

DeliveryResult Shopify::deliver(const OutboundEffect& e) {
  const std::string& t = e.type;
  if (t == "order.tag") return tags_add(e, "Order", "order_id");
  if (t == "customer.tag") return tags_add(e, "Customer", "customer_id");
  if (t == "order.note") return order_note(e);
  if (t == "order.hold") return order_hold(e, false);
  if (t == "order.release_hold") return order_hold(e, true);
  if (t == "fulfillment.create") return fulfillment_create(e);
  if (t == "refund.create") return refund_create(e);
  if (t == "inventory.adjust") return inventory_adjust(e);
  if (t == "return.approve") return return_request(e, true);
  if (t == "return.deny") return return_request(e, false);
  if (t == "price.update") return price_update(e);
  return permanent("the shopify adapter cannot perform " + t);
}

#define SHOPFLOW_NEED_GID(var, kind, param)                                                                   \
  std::string var = shopify_gid(kind, e.params.value(param, Json()));                                          \
  if (var.empty()) {                                                                                           \
    return permanent(e.type + " needs \"" param "\": a number or a gid://shopify/" kind "/ id (got " +         \
                     e.params.value(param, Json()).dump() + ")");                                              \
  }

DeliveryResult Shopify::tags_add(const OutboundEffect& e, const char* kind, const char* id_param) {
  std::string id = shopify_gid(kind, e.params.value(id_param, Json()));
  if (id.empty()) {
    return permanent(e.type + " needs \"" + id_param + "\": a number or a gid://shopify/" + kind + "/ id (got " +
                     e.params.value(id_param, Json()).dump() + ")");
  }
  auto tags = tag_list(e.params.value("tags", Json()));
  if (tags.empty()) return permanent(e.type + " needs \"tags\": a comma-separated list or an array");
  auto a = payload(call("tagsAdd",
                        std::string("mutation TagsAdd($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) "
                                    "{ node { id } ") + kUserErrors + " } }",
                        Json{{"id", id}, {"tags", tags}}),
                   "tagsAdd");
  return a.ok ? delivered() : a.failure;
}

DeliveryResult Shopify::order_note(const OutboundEffect& e) {
  SHOPFLOW_NEED_GID(id, "Order", "order_id")
  auto a = payload(call("orderUpdate",
                        std::string("mutation OrderUpdate($input: OrderInput!) { orderUpdate(input: $input) "
                                    "{ order { id } ") + kUserErrors + " } }",
                        Json{{"input", {{"id", id}, {"note", text_of(e.params.value("note", Json()))}}}}),
                   "orderUpdate");
  return a.ok ? delivered() : a.failure;
}

Shopify::Answer Shopify::fulfillment_orders(const std::string& order_gid) {
  Answer a = call("order query",
                  "query OrderFulfillmentOrders($id: ID!) { order(id: $id) { id fulfillmentOrders(first: 50) "
                  "{ nodes { id status fulfillmentHolds { handle } } } } }",
                  Json{{"id", order_gid}});
  if (!a.ok) return a;
  const Json order = a.data.value("order", Json());
  if (!order.is_object()) {
    Answer out;
    out.failure = permanent("Shopify has no order " + order_gid);
    return out;
  }
  Json nodes = Json::array();
  if (order.contains("fulfillmentOrders") && order["fulfillmentOrders"].is_object()) {
    nodes = order["fulfillmentOrders"].value("nodes", Json::array());
  }
  a.data = nodes;
  return a;
}

DeliveryResult Shopify::order_hold(const OutboundEffect& e, bool release) {
  SHOPFLOW_NEED_GID(order, "Order", "order_id")
  Answer fos = fulfillment_orders(order);
  if (!fos.ok) return fos.failure;
  std::string handle = hold_handle(e.id);
  size_t done = 0, eligible = 0;
  for (const auto& fo : fos.data) {
    std::string status = fo.value("status", "");
    bool ours = false;
    for (const auto& h : fo.value("fulfillmentHolds", Json::array())) ours = ours || h.value("handle", "") == handle;
    if (release) {
      if (status != "ON_HOLD") continue;
      ++eligible;
      auto a = payload(call("fulfillmentOrderReleaseHold",
                            std::string("mutation FulfillmentOrderReleaseHold($id: ID!) { fulfillmentOrderReleaseHold"
                                        "(id: $id) { fulfillmentOrder { id status } ") + kUserErrors + " } }",
                            Json{{"id", fo.value("id", "")}}),
                       "fulfillmentOrderReleaseHold");
      if (!a.ok) return a.failure;
      ++done;
      continue;
    }
    if (status != "OPEN" && status != "IN_PROGRESS" && status != "ON_HOLD") continue;
    ++eligible;
    if (ours) continue;  // held by this very effect on an earlier try
    Json hold = {{"reason", e.params.value("hold_reason", std::string("OTHER"))},
                 {"reasonNotes", text_of(e.params.value("reason", Json()))},
                 {"handle", handle},
                 {"notifyMerchant", e.params.value("notify_merchant", false)}};
    auto a = payload(call("fulfillmentOrderHold",
                          std::string("mutation FulfillmentOrderHold($id: ID!, $fulfillmentHold: FulfillmentOrderHoldInput!) "
                                      "{ fulfillmentOrderHold(id: $id, fulfillmentHold: $fulfillmentHold) "
                                      "{ fulfillmentOrder { id status } ") + kUserErrors + " } }",
                          Json{{"id", fo.value("id", "")}, {"fulfillmentHold", hold}}),
                     "fulfillmentOrderHold");
    if (!a.ok) return a.failure;
    ++done;
  }
  if (eligible == 0 && !release) {
    return permanent("Shopify order " + order + " has no open fulfillment order to hold (already fulfilled or closed)");
  }
  return delivered(Json{{"fulfillment_orders", done}});
}

DeliveryResult Shopify::fulfillment_create(const OutboundEffect& e) {
  SHOPFLOW_NEED_GID(order, "Order", "order_id")
  Answer fos = fulfillment_orders(order);
  if (!fos.ok) return fos.failure;
  Json by_fo = Json::array();
  size_t closed = 0;
  for (const auto& fo : fos.data) {
    std::string status = fo.value("status", "");
    if (status == "OPEN" || status == "IN_PROGRESS") {
      by_fo.push_back({{"fulfillmentOrderId", fo.value("id", "")}});
    } else if (status == "CLOSED") {
      ++closed;
    }
  }
  // Everything already fulfilled: an earlier try of this effect did it (the call has no key).
  if (by_fo.empty() && closed > 0) return delivered(Json{{"already_fulfilled", true}});
  if (by_fo.empty()) return permanent("Shopify order " + order + " has no open fulfillment order to fulfil");
  Json fulfillment = {{"lineItemsByFulfillmentOrder", by_fo},
                      {"notifyCustomer", e.params.value("notify_customer", true)}};
  Json tracking = Json::object();
  if (e.params.contains("tracking_number")) tracking["number"] = text_of(e.params["tracking_number"]);
  if (e.params.contains("carrier")) tracking["company"] = text_of(e.params["carrier"]);
  if (e.params.contains("tracking_url")) tracking["url"] = text_of(e.params["tracking_url"]);
  if (!tracking.empty()) fulfillment["trackingInfo"] = tracking;
  auto a = payload(call("fulfillmentCreate",
                        std::string("mutation FulfillmentCreate($fulfillment: FulfillmentInput!) { fulfillmentCreate"
                                    "(fulfillment: $fulfillment) { fulfillment { id status } ") + kUserErrors + " } }",
                        Json{{"fulfillment", fulfillment}}),
                   "fulfillmentCreate");
  return a.ok ? delivered() : a.failure;
}

DeliveryResult Shopify::refund_create(const OutboundEffect& e) {
  SHOPFLOW_NEED_GID(order, "Order", "order_id")
  Json input = {{"orderId", order}, {"notify", e.params.value("notify_customer", false)}};
  if (e.params.contains("reason")) input["note"] = text_of(e.params["reason"]);
  if (e.params.contains("line_items") && e.params["line_items"].is_array()) {
    Json items = Json::array();
    for (const auto& li : e.params["line_items"]) {
      items.push_back({{"lineItemId", shopify_gid("LineItem", li.value("line_item_id", li.value("id", Json())))},
                       {"quantity", li.value("quantity", 1)},
                       {"restockType", li.value("restock_type", std::string("NO_RESTOCK"))}});
    }
    input["refundLineItems"] = items;
  }
  if (e.params.contains("amount")) {
    // The money goes back through the gateway that took it: the order's successful sale or capture.
    Answer tx = call("order query",
                     "query OrderTransactions($id: ID!) { order(id: $id) { id transactions(first: 50) "
                     "{ id kind status gateway } } }",
                     Json{{"id", order}});
    if (!tx.ok) return tx.failure;
    const Json o = tx.data.value("order", Json());
    if (!o.is_object()) return permanent("Shopify has no order " + order);
    Json parent;
    for (const auto& t : o.value("transactions", Json::array())) {
      std::string kind = t.value("kind", "");
      if (t.value("status", "") == "SUCCESS" && (kind == "SALE" || kind == "CAPTURE")) parent = t;
    }
    if (parent.is_null()) return permanent("Shopify order " + order + " has no successful payment to refund");
    input["transactions"] = Json::array({{{"orderId", order},
                                          {"parentId", parent.value("id", "")},
                                          {"gateway", parent.value("gateway", "")},
                                          {"kind", "REFUND"},
                                          {"amount", text_of(e.params["amount"])}}});
  }
  auto a = payload(call("refundCreate",
                        std::string("mutation RefundCreate($input: RefundInput!, $key: String!) { refundCreate"
                                    "(input: $input) @idempotent(key: $key) { refund { id } ") + kUserErrors + " } }",
                        Json{{"input", input}, {"key", e.id}}),
                   "refundCreate");
  return a.ok ? delivered() : a.failure;
}

DeliveryResult Shopify::inventory_adjust(const OutboundEffect& e) {
  SHOPFLOW_NEED_GID(item, "InventoryItem", "inventory_item_id")
  SHOPFLOW_NEED_GID(location, "Location", "location_id")
  const Json d = e.params.value("delta", Json());
  long long delta = 0;
  try {
    delta = d.is_number_integer() ? d.get<long long>() : std::stoll(text_of(d));
  } catch (const std::exception&) {
    return permanent("inventory.adjust needs \"delta\": a whole number (got " + d.dump() + ")");
  }
  Json input = {{"reason", e.params.value("reason", std::string("correction"))},
                {"name", e.params.value("quantity_name", std::string("available"))},
                {"referenceDocumentUri", "shopflow://effects/" + e.id},
                {"changes", Json::array({{{"delta", delta}, {"inventoryItemId", item}, {"locationId", location}}})}};
  auto a = payload(call("inventoryAdjustQuantities",
                        std::string("mutation InventoryAdjustQuantities($input: InventoryAdjustQuantitiesInput!, "
                                    "$key: String!) { inventoryAdjustQuantities(input: $input) @idempotent(key: $key) "
                                    "{ inventoryAdjustmentGroup { id } ") + kUserErrors + " } }",
                        Json{{"input", input}, {"key", e.id}}),
                   "inventoryAdjustQuantities");
  return a.ok ? delivered() : a.failure;
}

DeliveryResult Shopify::return_request(const OutboundEffect& e, bool approve) {
  SHOPFLOW_NEED_GID(id, "Return", "return_id")
  if (approve) {
    auto a = payload(call("returnApproveRequest",
                          std::string("mutation ReturnApproveRequest($input: ReturnApproveRequestInput!) "
                                      "{ returnApproveRequest(input: $input) { return { id status } ") + kUserErrors + " } }",
                          Json{{"input", {{"id", id}}}}),
                     "returnApproveRequest");
    return a.ok ? delivered() : a.failure;
  }
  Json input = {{"id", id}, {"declineReason", e.params.value("decline_reason", std::string("OTHER"))}};
  if (e.params.contains("reason")) input["declineNote"] = text_of(e.params["reason"]);
  auto a = payload(call("returnDeclineRequest",
                        std::string("mutation ReturnDeclineRequest($input: ReturnDeclineRequestInput!) "
                                    "{ returnDeclineRequest(input: $input) { return { id status } ") + kUserErrors + " } }",
                        Json{{"input", input}}),
                   "returnDeclineRequest");
  return a.ok ? delivered() : a.failure;
}

DeliveryResult Shopify::price_update(const OutboundEffect& e) {
  std::string variant = shopify_gid("ProductVariant", e.params.value("variant_id", Json()));
  std::string product = shopify_gid("Product", e.params.value("product_id", Json()));
  std::string price = text_of(e.params.value("price", Json()));
  if (price.empty()) return permanent("price.update needs \"price\"");
  if (variant.empty() || product.empty()) {
    // Found by SKU, as the catalogue workflows know a variant.
    std::string sku = text_of(e.params.value("sku", Json()));
    if (sku.empty()) return permanent("price.update needs \"variant_id\" and \"product_id\", or \"sku\"");
    Answer v = call("productVariants query",
                    "query VariantBySku($q: String!) { productVariants(first: 2, query: $q) { nodes { id product { id } } } }",
                    Json{{"q", "sku:" + Json(sku).dump()}});
    if (!v.ok) return v.failure;
    Json nodes = Json::array();
    if (v.data.contains("productVariants") && v.data["productVariants"].is_object()) {
      nodes = v.data["productVariants"].value("nodes", Json::array());
    }
    if (nodes.empty()) return permanent("Shopify has no variant with the SKU " + sku);
    if (nodes.size() > 1) return permanent("Shopify has several variants with the SKU " + sku + "; give variant_id");
    variant = nodes[0].value("id", "");
    product = nodes[0].contains("product") ? nodes[0]["product"].value("id", "") : "";
  }
  Json v = {{"id", variant}, {"price", price}};
  if (e.params.contains("compare_at_price")) v["compareAtPrice"] = text_of(e.params["compare_at_price"]);
  auto a = payload(call("productVariantsBulkUpdate",
                        std::string("mutation ProductVariantsBulkUpdate($productId: ID!, $variants: "
                                    "[ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $productId, "
                                    "variants: $variants) { productVariants { id price } ") + kUserErrors + " } }",
                        Json{{"productId", product}, {"variants", Json::array({v})}}),
                   "productVariantsBulkUpdate");
  return a.ok ? delivered() : a.failure;
}

DeliveryResult Shopify::query(const OutboundEffect& e) {
  std::string document = text_of(e.params.value("query", Json()));
  Json variables = e.params.value("variables", Json::object());
  if (!variables.is_object()) variables = Json::object();
  // A run waits for this answer: a throttled read waits here (on a call thread, never the
  // engine's) for the bucket to refill, up to a minute.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    Answer a = call("query", document, variables);
    if (a.ok) {
      DeliveryResult r = delivered(Json{{"status", 200}, {"headers", Json::object()}, {"body", {{"data", a.data}}}});
      return r;
    }
    if (!a.failure.throttled || std::chrono::steady_clock::now() > give_up) {
      // The run decides what to do without the answer: the body says why there is none.
      DeliveryResult r = a.failure;
      r.response = Json{{"status", r.credentials_refused ? 401 : 0}, {"headers", Json::object()},
                        {"body", {{"errors", Json::array({{{"message", r.error}}})}}}, {"error", r.error}};
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max(100L, a.failure.retry_after_ms)));
  }
}

Result<std::string> Shopify::check(const std::vector<std::string>& routed_types) {
  Answer a = call("shop query",
                  "query ConnectorCheck { shop { name myshopifyDomain } currentAppInstallation "
                  "{ accessScopes { handle } } }",
                  Json::object());
  if (!a.ok) return Error{a.failure.error, "", 0, 0};
  const Json shop = a.data.value("shop", Json::object());
  std::set<std::string> scopes;
  if (a.data.contains("currentAppInstallation") && a.data["currentAppInstallation"].is_object()) {
    for (const auto& s : a.data["currentAppInstallation"].value("accessScopes", Json::array())) {
      scopes.insert(s.value("handle", ""));
    }
  }
  std::map<std::string, std::vector<std::string>> missing;  // scope -> effect types
  for (const auto& t : routed_types) {
    std::string need = shopify_scope_for(t);
    if (!need.empty() && !scopes.count(need)) missing[need].push_back(t);
  }
  std::string seen = "shop \"" + shop.value("name", std::string()) + "\" (" + shop.value("myshopifyDomain", std::string()) + ")";
  if (!missing.empty()) {
    std::string text = seen + ": the token lacks ";
    bool first = true;
    for (const auto& [scope, types] : missing) {
      text += (first ? "" : ", ") + scope + " (for";
      for (const auto& t : types) text += " " + t;
      text += ")";
      first = false;
    }
    return Error{text + "; add the scopes to the app and install it again", "", 0, 0};
  }
  return seen + ", the token has every scope the routed effects need";
}

}  // namespace

std::string shopify_gid(const std::string& kind, const Json& id) {
  std::string s = id.is_number_integer() ? std::to_string(id.get<long long>()) : id.is_string() ? id.get<std::string>() : "";
  if (s.rfind("gid://shopify/", 0) == 0) return s;
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return "";
  return "gid://shopify/" + kind + "/" + s;
}

std::string shopify_scope_for(const std::string& effect_type) {
  for (const auto& m : kMutations) {
    if (effect_type == m.type) return m.scope;
  }
  return "";
}

std::unique_ptr<Connector> make_shopify_connector(const AdapterConfig& a) { return std::make_unique<Shopify>(a); }

const std::vector<std::string>& shopify_effect_types() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> v;
    for (const auto& m : kMutations) v.push_back(m.type);
    return v;
  }();
  return types;
}

}  // namespace shopflow::runner
