// The slack connector: `notify` effects posted to a Slack incoming webhook. Slack's 4xx answers
// (invalid_payload, action_prohibited, channel_not_found, channel_is_archived) are permanent;
// 429 is retried after its Retry-After; 5xx and network errors are retried with backoff.
#include <algorithm>
#include <cstdlib>

#include "connectors.hpp"
#include "http_client.hpp"

namespace shopflow::runner {

namespace {

class Slack final : public Connector {
 public:
  explicit Slack(const AdapterConfig& a) : a_(a) {}

  DeliveryResult deliver(const OutboundEffect& e) override {
    DeliveryResult r;
    if (e.type != "notify") {
      r.retryable = false;
      r.error = "the slack adapter cannot perform " + e.type;
      return r;
    }
    std::string text = text_of(e.params.value("message", e.params.value("text", Json())));
    if (text.empty()) {
      r.retryable = false;
      r.error = "notify needs \"message\"";
      return r;
    }
    Json body = {{"text", text}};
    if (e.params.contains("blocks")) body["blocks"] = e.params["blocks"];
    HttpCall c;
    c.url = a_.url;
    c.headers = {"Content-Type: application/json"};
    c.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    c.timeout_ms = a_.timeout_ms;
    HttpAnswer h = http_call(c);
    // The URL carries the secret: name only Slack in messages.
    if (!h.answered()) {
      r.error = "Slack: " + h.error.substr(h.error.find(": ") == std::string::npos ? 0 : h.error.find(": ") + 2);
      return r;
    }
    if (h.status >= 200 && h.status < 300) {
      r.ok = true;
      return r;
    }
    r.error = "Slack answered " + std::to_string(h.status) + (h.body.empty() ? "" : ": " + h.body.substr(0, 200));
    if (h.status == 429) {
      r.throttled = true;
      auto it = h.headers.find("retry-after");
      r.retry_after_ms = it != h.headers.end() ? std::max(1000L, std::atol(it->second.c_str()) * 1000) : 1000;
    } else if (h.status >= 400 && h.status < 500 && h.status != 408) {
      r.retryable = false;
      r.credentials_refused = h.status == 403;
    }
    return r;
  }

  Result<std::string> check(const std::vector<std::string>&) override {
    // Posting would put a message in the channel; only the URL's form is checked.
    const std::string prefix = "https://hooks.slack.com/services/";
    if (a_.url.rfind(prefix, 0) != 0) {
      return Error{"the webhook URL does not start with " + prefix + " (checked the URL's form only: nothing was sent)",
                   "", 0, 0};
    }
    return std::string("the webhook URL has the form of a Slack incoming webhook (its form only: nothing was sent)");
  }

 private:
  AdapterConfig a_;
};

}  // namespace

std::unique_ptr<Connector> make_slack_connector(const AdapterConfig& a) { return std::make_unique<Slack>(a); }

}  // namespace shopflow::runner
