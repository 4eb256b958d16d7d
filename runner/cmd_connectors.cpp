// `shopflow connectors check --config deploy.json`: proves each store connection of a
// deployment config with a harmless call, before `serve` depends on it.
// `shopflow topics BUNDLE`: the Shopify and WooCommerce webhook topics a bundle's triggers
// (and the events its runs wait for) need, to subscribe in the store.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "commands.hpp"
#include "connectors.hpp"
#include "delivery.hpp"
#include "shopflow/bundle.hpp"
#include "shopflow/json.hpp"
#include "webhooks.hpp"

namespace shopflow::cli {

namespace {

const char* kConnectorsUsage =
    "Usage: shopflow connectors check --config FILE\n"
    "\n"
    "For each store connection in the deployment config's delivery routes, makes one harmless\n"
    "call that proves the credentials and prints OK or what is wrong:\n"
    "  shopify      reads the shop's name and the token's access scopes, and compares them with\n"
    "               the scopes the routed effect types need\n"
    "  woocommerce  an authenticated read of one order\n"
    "  slack        the webhook URL's form only (posting would put a message in the channel)\n"
    "Secrets are read from the environment variables the config names, as `serve` does.\n"
    "\n"
    "Exit status: 0 every connection works, 1 one does not, 2 the config cannot be read.\n";

const char* kTopicsUsage =
    "Usage: shopflow topics BUNDLE.json\n"
    "\n"
    "Prints the Shopify and WooCommerce webhook topics the bundle's triggers, and the events its\n"
    "runs wait for, need: subscribe to these in the store, pointed at /webhooks/shopify or\n"
    "/webhooks/woocommerce.\n";

std::string env_or_empty(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

}  // namespace

int cmd_connectors(int argc, char** argv) {
  std::string config_path;
  bool check = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (is_help(argv[i])) {
      std::fputs(kConnectorsUsage, stdout);
      return 0;
    }
    if (arg == "check") {
      check = true;
    } else if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      std::fprintf(stderr, "shopflow connectors: unexpected %s\n\n%s", arg.c_str(), kConnectorsUsage);
      return 2;
    }
  }
  if (!check || config_path.empty()) {
    std::fprintf(stderr, "shopflow connectors: %s\n\n%s", check ? "--config FILE is required" : "which action? (check)",
                 kConnectorsUsage);
    return 2;
  }
  auto text = read_input(config_path);
  if (!text) return 2;
  auto doc = parse_json(*text, "the config");
  if (!doc) {
    std::fprintf(stderr, "%s: %s\n", config_path.c_str(), doc.error().to_string().c_str());
    return 2;
  }
  auto delivery = runner::parse_delivery_config(doc.value(), "effects.jsonl", env_or_empty);
  if (!delivery) {
    std::fprintf(stderr, "%s: %s\n", config_path.c_str(), delivery.error().to_string().c_str());
    return 2;
  }
  // Routes that reach the same store are one connection, checked once for all their types.
  struct Connection {
    const runner::AdapterConfig* config;
    std::vector<std::string> types;
  };
  std::map<std::string, Connection> connections;
  for (const auto& [type, a] : delivery.value().routes) {
    if (!runner::is_connector(a.adapter)) continue;
    std::string where = a.adapter == "shopify" && a.url.empty() ? a.shop : a.url;
    auto& c = connections[a.adapter + " " + where + " " + a.token + a.key];
    c.config = &a;
    c.types.push_back(type);
  }
  if (connections.empty()) {
    std::printf("no route goes to a store connector (shopify, woocommerce, slack): nothing to check\n");
    return 0;
  }
  int failed = 0;
  for (const auto& [name, c] : connections) {
    std::string where = c.config->adapter == "slack" ? "(webhook URL)"
                        : c.config->adapter == "shopify" && c.config->url.empty() ? c.config->shop
                                                                                    : c.config->url;
    std::string types;
    for (const auto& t : c.types) types += (types.empty() ? "" : ", ") + t;
    auto connector = runner::make_connector(*c.config);
    auto r = connector->check(c.types);
    if (r) {
      std::printf("OK    %s %s [%s]: %s\n", c.config->adapter.c_str(), where.c_str(), types.c_str(), r.value().c_str());
    } else {
      ++failed;
      std::printf("FAIL  %s %s [%s]: %s\n", c.config->adapter.c_str(), where.c_str(), types.c_str(),
                  r.error().message.c_str());
    }
  }
  return failed ? 1 : 0;
}

int cmd_topics(int argc, char** argv) {
  std::string path;
  for (int i = 0; i < argc; ++i) {
    if (is_help(argv[i])) {
      std::fputs(kTopicsUsage, stdout);
      return 0;
    }
    if (!path.empty() || (argv[i][0] == '-' && argv[i][1] != '\0')) {
      std::fprintf(stderr, "shopflow topics: unexpected %s\n\n%s", argv[i], kTopicsUsage);
      return 2;
    }
    path = argv[i];
  }
  if (path.empty()) {
    std::fprintf(stderr, "shopflow topics: which bundle?\n\n%s", kTopicsUsage);
    return 2;
  }
  auto loaded = read_bundle(path);
  if (!loaded) return 2;
  if (!loaded->ok()) {
    for (const auto& p : loaded->problems) std::fprintf(stderr, "%s: %s\n", path.c_str(), p.to_string().c_str());
    return 1;
  }
  // Event type -> the workflows (and waits) that need it.
  std::map<std::string, std::set<std::string>> needed;
  for (const auto& w : loaded->bundle.workflows) {
    if (!w.trigger.event.empty()) needed[w.trigger.event].insert(w.id);
    for (const auto& s : w.steps) {
      if (s.kind == StepKind::Wait && s.wait == WaitKind::Event && !s.wait_event.empty()) {
        needed[s.wait_event].insert(w.id + " (waits)");
      }
    }
  }
  std::set<std::string> shopify, woo;
  std::vector<std::string> neither;
  for (const auto& [type, who] : needed) {
    auto s = runner::shopify_topics_for(type);
    auto wc = runner::woocommerce_topics_for(type);
    shopify.insert(s.begin(), s.end());
    woo.insert(wc.begin(), wc.end());
    if (s.empty() && wc.empty()) {
      std::string by;
      for (const auto& w : who) by += (by.empty() ? "" : ", ") + w;
      neither.push_back(type + " (" + by + ")");
    }
  }
  auto print = [](const char* title, const std::set<std::string>& topics) {
    std::printf("%s\n", title);
    if (topics.empty()) std::printf("  (none)\n");
    for (const auto& t : topics) std::printf("  %s\n", t.c_str());
  };
  print("Shopify webhook topics (to /webhooks/shopify):", shopify);
  print("WooCommerce webhook topics (to /webhooks/woocommerce):", woo);
  if (!neither.empty()) {
    std::printf("Sent by neither store (post them as CloudEvents to /v1/events, or from a schedule):\n");
    for (const auto& t : neither) std::printf("  %s\n", t.c_str());
  }
  return 0;
}

}  // namespace shopflow::cli
