#include "connectors.hpp"

namespace shopflow::runner {

std::unique_ptr<Connector> make_shopify_connector(const AdapterConfig& a);
std::unique_ptr<Connector> make_woocommerce_connector(const AdapterConfig& a);
std::unique_ptr<Connector> make_slack_connector(const AdapterConfig& a);
const std::vector<std::string>& shopify_effect_types();

std::unique_ptr<Connector> make_connector(const AdapterConfig& a) {
  if (a.adapter == "shopify") return make_shopify_connector(a);
  if (a.adapter == "woocommerce") return make_woocommerce_connector(a);
  if (a.adapter == "slack") return make_slack_connector(a);
  return nullptr;
}

std::string text_of(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

bool is_connector(const std::string& adapter) {
  return adapter == "shopify" || adapter == "woocommerce" || adapter == "slack";
}

const std::vector<std::string>& connector_effect_types(const std::string& adapter) {
  static const std::vector<std::string> woocommerce = {"order.note", "order.hold", "refund.create", "price.update",
                                                       "inventory.adjust"};
  static const std::vector<std::string> slack = {"notify"};
  static const std::vector<std::string> none;
  if (adapter == "shopify") return shopify_effect_types();
  if (adapter == "woocommerce") return woocommerce;
  if (adapter == "slack") return slack;
  return none;
}

}  // namespace shopflow::runner
