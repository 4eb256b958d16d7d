// Effect delivery for `shopflow serve`: the adapters an effect can leave through, chosen per
// effect type in the deployment config (never in the bundle; secrets come from the
// environment):
//   file     append the effect as one JSON line to a file (the demo's default)
//   http     POST the effect as a CloudEvent, with Idempotency-Key and an HMAC-SHA256 signature
//   smtp     send email.send effects as mail (libcurl)
//   perform  carry out an http.request effect as it specifies (method, url, headers, body)
// and the store connectors (connectors.hpp): shopify (Admin GraphQL), woocommerce (REST v3),
// slack (incoming webhooks).
// Delivery is at least once: receivers deduplicate on the effect id (Idempotency-Key).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "egress.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow::runner {

class Connector;

// One effect as the outbox hands it over.
struct OutboundEffect {
  std::string id;    // idempotency key (run id + step path)
  std::string type;  // "email.send", "order.tag", ...
  Json params;
  std::string run_id;
  std::string workflow;
  int attempt = 1;   // 1 for the first try
};

struct DeliveryResult {
  bool ok = false;
  bool retryable = true;  // false: retrying cannot help (e.g. a 4xx other than 408/429)
  std::string error;      // why it failed, for the dead-letter list
  Json response;          // http.request / perform: {"status", "headers", "body"}
  // The service asked us to slow down (Shopify's THROTTLED, Slack's 429): try again after
  // retry_after_ms, and do not count this try as a failed attempt.
  bool throttled = false;
  long retry_after_ms = 0;
  bool credentials_refused = false;  // 401/403: the token or key was refused
};

struct AdapterConfig {
  std::string adapter = "file";  // file | http | smtp | perform | shopify | woocommerce | slack
  std::string path;              // file
  std::string url;               // http, smtp, woocommerce (the store's base URL); shopify (instead
                                 // of shop); slack (or url_env)
  std::string secret;            // http: HMAC key; woocommerce: consumer secret (from secret_env)
  std::string shop;              // shopify: "example.myshopify.com"
  std::string api_version;       // shopify: "2025-10"
  std::string token;             // shopify: Admin API access token (from token_env), or
  std::string client_id, client_secret;  // shopify: a Dev Dashboard app's credentials, exchanged
                                         // for tokens (client credentials grant)
  std::string key;               // woocommerce: consumer key (from key_env)
  std::string from;              // smtp
  std::string username, password;  // smtp (read from *_env)
  long timeout_ms = 10000;
};

struct DeliveryConfig {
  AdapterConfig fallback;                        // for types without a route
  std::map<std::string, AdapterConfig> routes;  // effect type -> adapter
  EgressPolicy calls;                            // where http.request calls may go
  int max_attempts = 8;
  long base_backoff_ms = 1000;
  long max_backoff_ms = 3'600'000;
};

// Reads the "delivery" part of a deployment config. `env` looks up environment variables
// (secrets are named there, never written). Errors name the JSON Pointer.
Result<DeliveryConfig> parse_delivery_config(const Json& config, const std::string& default_file,
                                             const std::function<std::string(const std::string&)>& env);

class Deliverer {
 public:
  // Copies are not allowed: the connectors are keyed by the address of their route's config.
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;
  explicit Deliverer(DeliveryConfig config);
  ~Deliverer();
  DeliveryResult deliver(const OutboundEffect& effect);
  // Delivers several effects, one result each in the same order. Effects for the same file
  // are appended with one write and one fdatasync: one disk flush for the batch.
  std::vector<DeliveryResult> deliver_batch(const std::vector<OutboundEffect>& effects);
  // Carries out an http.request effect now (method, url, headers, body) and returns its
  // response {"status", "body"}; used for http.request steps, whose response is their output.
  DeliveryResult perform_now(const AdapterConfig& a, const OutboundEffect& e);
  // Makes a call whose answer a run waits for: http.request as it specifies, shopify.query
  // through the shopify route. The response (the step's output) is in `response`; none when
  // no answer came, and `error` says why.
  DeliveryResult perform_call(const OutboundEffect& e);
  const DeliveryConfig& config() const { return config_; }

  // Milliseconds to wait before attempt `attempt + 1`: exponential from base_backoff_ms, capped,
  // with jitter in [50%, 100%] drawn from `random01`.
  long backoff_ms(int attempt, double random01) const;

 private:
  const AdapterConfig& adapter_for(const OutboundEffect& e) const;
  static std::string file_line(const OutboundEffect& e);
  DeliveryResult to_file(const AdapterConfig& a, const OutboundEffect& e);
  // Appends `lines` to the file of `a`, flushed once; the error text, empty on success.
  std::string append_lines(const AdapterConfig& a, const std::string& lines);
  DeliveryResult to_http(const AdapterConfig& a, const OutboundEffect& e);
  DeliveryResult to_smtp(const AdapterConfig& a, const OutboundEffect& e);
  DeliveryResult to_connector(const AdapterConfig& a, const OutboundEffect& e);

  DeliveryConfig config_;
  std::mutex file_mu_;
  std::mutex connectors_mu_;
  // One client per store connection, keyed by the route's adapter config: each keeps its
  // shop's rate-limit state.
  std::map<const AdapterConfig*, std::unique_ptr<Connector>> connectors_;
};

// The CloudEvent an effect is POSTed as by the http adapter.
Json effect_cloudevent(const OutboundEffect& e);

}  // namespace shopflow::runner
