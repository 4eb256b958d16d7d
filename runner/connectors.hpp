// The store connectors: delivery adapters that carry an effect out in the store itself rather
// than handing it on as generic JSON. Used by the Deliverer (delivery.hpp) for the routes whose
// adapter is one of them, and by `shopflow connectors check`.
//   shopify      Admin GraphQL API: tags, notes, holds, fulfillments, refunds, inventory,
//                returns and prices; respects the shop's query-cost bucket (shopify.cpp)
//   woocommerce  REST v3: notes, on-hold status, refunds, prices, stock (woocommerce.cpp)
//   slack        incoming webhooks: `notify` effects (slack.cpp)
// Each classifies failures: what retrying cannot fix (a refused token, a business error from
// the API) is permanent and goes to the dead letters at once, with the API's own words.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "delivery.hpp"
#include "shopflow/result.hpp"

namespace shopflow::runner {

class Connector {
 public:
  virtual ~Connector() = default;
  // Carries out one effect. Never throws; what went wrong is in the result.
  virtual DeliveryResult deliver(const OutboundEffect& e) = 0;
  // A harmless call proving the credentials, for the effect types routed to this connector.
  // Returns what it saw (e.g. the shop's name) or why the connection cannot work.
  virtual Result<std::string> check(const std::vector<std::string>& routed_types) = 0;
  // Answers a read whose answer a run waits for (shopify.query): `response` is the step's
  // output {"status", "headers", "body"}. Connectors that read nothing refuse it.
  virtual DeliveryResult query(const OutboundEffect& e) {
    DeliveryResult r;
    r.retryable = false;
    r.error = "this adapter cannot answer " + e.type;
    return r;
  }
};

// The connector for a config whose adapter is shopify, woocommerce or slack; nullptr otherwise.
std::unique_ptr<Connector> make_connector(const AdapterConfig& a);

bool is_connector(const std::string& adapter);

// The effect types a connector can carry out, in the order the README lists them.
const std::vector<std::string>& connector_effect_types(const std::string& adapter);

// The Shopify access scope an effect type needs ("write_orders", ...); empty if none.
std::string shopify_scope_for(const std::string& effect_type);

// An effect parameter as the text an API takes: a string as it is, null as "", anything else
// as its JSON.
std::string text_of(const Json& v);

// "gid://shopify/Order/42" from 42, "42" or the GID itself; empty if `id` is neither.
std::string shopify_gid(const std::string& kind, const Json& id);

}  // namespace shopflow::runner
