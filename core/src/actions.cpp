// The registry of built-in actions: one table, read by the checker, the engine and the docs.
#include "shopflow/actions.hpp"

namespace shopflow {

const std::vector<ActionSpec>& action_specs() {
  using K = ActionKind;
  static const std::vector<ActionSpec> kSpecs = {
      {"email.send", K::Effect, "send an email",
       {{"to", true, "recipient address"}, {"subject", true, "subject line"}, {"body", true, "text or HTML body"},
        {"from", false, "sender address (default: the runner's)"}, {"reply_to", false, "reply-to address"}}},
      {"http.request", K::Request, "call an HTTP endpoint; its response is the step's output",
       {{"method", true, "GET, POST, PUT, PATCH or DELETE"}, {"url", true, "absolute URL"},
        {"headers", false, "object of header values"}, {"body", false, "request body (text or JSON)"}}},
      {"shopify.query", K::Request, "read the store (Shopify Admin GraphQL); the answer is the step's output",
       {{"query", true, "a GraphQL query, e.g. query CustomerOrders($id: ID!) { customer(id: $id) { numberOfOrders } }"},
        {"variables", false, "object of the query's variables"}}},
      {"notify", K::Effect, "post a message to a team channel",
       {{"channel", true, "channel name, e.g. #ops"}, {"message", true, "message text"}}},
      {"order.tag", K::Effect, "add tags to an order",
       {{"order_id", true, "order id"}, {"tags", true, "comma-separated tags or a list"}}},
      {"order.untag", K::Effect, "remove tags from an order (undoes order.tag)",
       {{"order_id", true, "order id"}, {"tags", true, "comma-separated tags or a list"}}},
      {"customer.tag", K::Effect, "add tags to a customer",
       {{"customer_id", true, "customer id"}, {"tags", true, "comma-separated tags or a list"}}},
      {"order.note", K::Effect, "add a note to an order",
       {{"order_id", true, "order id"}, {"note", true, "note text"},
        {"customer_note", false, "WooCommerce: show the note to the customer (default false)"}}},
      {"order.hold", K::Effect, "hold an order's fulfilment",
       {{"order_id", true, "order id"}, {"reason", true, "why it is held"},
        {"hold_reason", false, "Shopify's hold reason: OTHER (default), AWAITING_PAYMENT, HIGH_RISK_OF_FRAUD, ..."},
        {"notify_merchant", false, "Shopify: tell the merchant about the hold (default false)"}}},
      {"order.cancel", K::Effect, "cancel an order", {{"order_id", true, "order id"}, {"reason", true, "why"}}},
      {"fulfillment.create", K::Effect, "send an order to a warehouse",
       {{"order_id", true, "order id"}, {"warehouse", true, "warehouse code"},
        {"line_items", false, "lines to fulfil (default: all)"}, {"tracking_number", false, "the parcel's tracking number"},
        {"carrier", false, "the carrier's name, e.g. DHL Express"}, {"tracking_url", false, "the tracking page"},
        {"notify_customer", false, "tell the customer it shipped (default true)"}}},
      {"customer.untag", K::Effect, "remove tags from a customer (undoes customer.tag)",
       {{"customer_id", true, "customer id"}, {"tags", true, "comma-separated tags or a list"}}},
      {"order.release_hold", K::Effect, "release an order's held fulfilment (undoes order.hold)",
       {{"order_id", true, "order id"}, {"reason", false, "why it is released, for the audit trail"}}},
      {"fulfillment.cancel", K::Effect, "cancel an order's fulfilment at the warehouse (undoes fulfillment.create)",
       {{"order_id", true, "order id"}, {"reason", false, "why"}}},
      {"label.create", K::Effect, "buy a shipping label",
       {{"order_id", true, "order id"}, {"carrier", true, "carrier code"}, {"service", false, "service level"}}},
      {"return.approve", K::Effect, "approve a return request", {{"return_id", true, "return id"}}},
      {"return.deny", K::Effect, "deny a return request",
       {{"return_id", true, "return id"}, {"reason", true, "why"},
        {"decline_reason", false, "Shopify's reason: OTHER (default), FINAL_SALE, RETURN_PERIOD_ENDED"}}},
      {"refund.create", K::Effect, "refund an order",
       {{"order_id", true, "order id"}, {"amount", true, "amount as a decimal string"},
        {"reason", false, "why"}, {"line_items", false, "lines refunded: [{line_item_id, quantity}]"},
        {"notify_customer", false, "tell the customer (default false)"}}},
      {"price.update", K::Effect, "change a product variant's price in the store",
       {{"sku", true, "SKU of the variant"}, {"price", true, "new price as a decimal string"},
        {"compare_at_price", false, "the struck-through price shown beside it"},
        {"product_id", false, "the product, when known (spares a lookup by SKU)"},
        {"variant_id", false, "Shopify: the variant, when known"}, {"variation_id", false, "WooCommerce: the variation"}}},
      {"inventory.adjust", K::Effect, "change a stock level in the store by a delta",
       {{"delta", true, "units to add (negative to remove)"}, {"inventory_item_id", false, "Shopify: the inventory item"},
        {"location_id", false, "Shopify: the location"}, {"reason", false, "Shopify's reason, e.g. correction (default)"},
        {"product_id", false, "WooCommerce: the product"}, {"variation_id", false, "WooCommerce: the variation"},
        {"sku", false, "WooCommerce: the product's SKU, instead of its id"}}},
      {"purchase_order.create", K::Effect, "order stock from a supplier",
       {{"supplier", true, "supplier code"}, {"sku", true, "SKU"}, {"quantity", true, "units"}}},
      {"table.set", K::TableSet, "set a table row (inside the run's transaction)",
       {{"table", true, "table name"}, {"key", true, "row key"}, {"value", true, "the row (usually an object)"}}},
      {"table.add", K::TableAdd, "add a number to a field of a table row (inside the run's transaction)",
       {{"table", true, "table name"}, {"key", true, "row key"}, {"field", true, "numeric field"},
        {"amount", true, "number or decimal string to add (negative to subtract)"}}},
      {"table.merge", K::TableMerge, "change some fields of a table row, keeping the others (inside the run's transaction)",
       {{"table", true, "table name"}, {"key", true, "row key"},
        {"value", true, "object of fields to set; a null field removes it"}}},
      {"table.delete", K::TableDelete, "delete a table row (inside the run's transaction)",
       {{"table", true, "table name"}, {"key", true, "row key"}}},
  };
  return kSpecs;
}

const ActionSpec* find_action(std::string_view type) {
  for (const auto& s : action_specs()) {
    if (s.type == type) return &s;
  }
  return nullptr;
}

}  // namespace shopflow
