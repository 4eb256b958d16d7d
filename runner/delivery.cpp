#include "delivery.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>

#include "connectors.hpp"
#include "webhooks.hpp"

namespace shopflow::runner {

namespace {

std::string lower_ascii(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// Response headers as {"name": "value"} with lower-case names.
size_t collect_header(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = lower_ascii(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(value.begin());
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
    (*static_cast<Json*>(out))[name] = value;
  }
  return size * n;
}

size_t collect(char* data, size_t size, size_t n, void* out) {
  auto* s = static_cast<std::string*>(out);
  // Keep at most 64 KiB of a response: enough for an API answer, bounded for a bad peer.
  size_t room = s->size() < 65536 ? 65536 - s->size() : 0;
  s->append(data, std::min(room, size * n));
  return size * n;
}

struct CurlHandle {
  CURL* h = curl_easy_init();
  curl_slist* headers = nullptr;
  ~CurlHandle() {
    if (headers) curl_slist_free_all(headers);
    if (h) curl_easy_cleanup(h);
  }
  void header(const std::string& line) { headers = curl_slist_append(headers, line.c_str()); }
};

// A status that retrying may fix: server errors, timeouts and throttling.
bool retryable_status(long status) { return status >= 500 || status == 408 || status == 429; }

Result<AdapterConfig> parse_adapter(const Json& j, const std::string& at, const std::string& default_file,
                                    const std::function<std::string(const std::string&)>& env) {
  AdapterConfig a;
  if (!j.is_object()) return Error{"must be an object like {\"adapter\": \"file\", \"path\": \"effects.jsonl\"}", at, 0, 0};
  a.adapter = j.value("adapter", "file");
  a.path = j.value("path", default_file);
  a.url = j.value("url", "");
  a.from = j.value("from", "");
  a.timeout_ms = j.value("timeout_ms", 10000L);
  auto from_env = [&](const char* key, std::string* out) -> Status {
    if (!j.contains(key)) return Status::Ok();
    std::string name = j.value(key, "");
    *out = env(name);
    if (out->empty()) {
      return Error{"the environment variable " + name + " is not set", pointer_join(at, key), 0, 0};
    }
    return Status::Ok();
  };
  a.shop = j.value("shop", "");
  a.api_version = j.value("api_version", "");
  for (auto [key, out] : {std::pair{"secret_env", &a.secret}, std::pair{"username_env", &a.username},
                          std::pair{"password_env", &a.password}, std::pair{"token_env", &a.token},
                          std::pair{"key_env", &a.key}, std::pair{"url_env", &a.url},
                          std::pair{"client_id_env", &a.client_id}, std::pair{"client_secret_env", &a.client_secret}}) {
    if (auto st = from_env(key, out); !st) return st.error();
  }
  auto needs = [&](bool missing, const std::string& what) -> Status {
    if (missing) return Error{"the " + a.adapter + " adapter needs " + what, at, 0, 0};
    return Status::Ok();
  };
  if (a.adapter == "shopify") {
    for (auto st : {needs(a.shop.empty() && a.url.empty(), "\"shop\" (e.g. \"example.myshopify.com\") or \"url\""),
                    needs(a.api_version.empty(), "\"api_version\", e.g. \"2025-10\": pin the Admin API version"),
                    needs(a.token.empty() && (a.client_id.empty() || a.client_secret.empty()),
                          "\"token_env\" (the environment variable holding an Admin API token), or "
                          "\"client_id_env\" and \"client_secret_env\" (a Dev Dashboard app's credentials)")}) {
      if (!st) return st.error();
    }
  } else if (a.adapter == "woocommerce") {
    for (auto st : {needs(a.url.empty(), "\"url\": the store's base URL, e.g. \"https://shop.example.com\""),
                    needs(a.key.empty(), "\"key_env\": the environment variable holding the consumer key (ck_...)"),
                    needs(a.secret.empty(), "\"secret_env\": the environment variable holding the consumer secret (cs_...)")}) {
      if (!st) return st.error();
    }
    // The key and secret travel as HTTP basic auth: only over TLS, or to this machine.
    bool local = a.url.rfind("http://127.", 0) == 0 || a.url.rfind("http://localhost", 0) == 0 ||
                 a.url.rfind("http://[::1]", 0) == 0;
    if (a.url.rfind("https://", 0) != 0 && !local) {
      return Error{"the woocommerce adapter sends the consumer key as basic auth: the url must be https://",
                   pointer_join(at, "url"), 0, 0};
    }
  } else if (a.adapter == "slack") {
    if (auto st = needs(a.url.empty(), "\"url_env\": the environment variable holding the incoming-webhook URL"); !st) {
      return st.error();
    }
  } else if (a.adapter == "http" || a.adapter == "smtp") {
    if (a.url.empty()) return Error{"the " + a.adapter + " adapter needs a \"url\"", at, 0, 0};
  } else if (a.adapter == "file") {
    if (a.path.empty()) return Error{"the file adapter needs a \"path\"", at, 0, 0};
  } else if (a.adapter != "perform") {
    return Error{"unknown adapter \"" + a.adapter + "\": use file, http, smtp, perform, shopify, woocommerce or slack",
                 pointer_join(at, "adapter"), 0, 0};
  }
  return a;
}

}  // namespace

Json effect_cloudevent(const OutboundEffect& e) {
  return Json{{"specversion", "1.0"},
              {"id", e.id},
              {"source", "shopflow://runs/" + e.run_id},
              {"type", "shopflow.effect." + e.type},
              {"datacontenttype", "application/json"},
              {"subject", e.workflow},
              {"data", Json{{"type", e.type}, {"params", e.params}, {"run", e.run_id}, {"workflow", e.workflow},
                            {"attempt", e.attempt}}}};
}

Result<DeliveryConfig> parse_delivery_config(const Json& config, const std::string& default_file,
                                             const std::function<std::string(const std::string&)>& env) {
  DeliveryConfig out;
  out.fallback.path = default_file;
  if (config.is_null()) return out;
  const Json d = config.value("delivery", Json::object());
  if (!d.is_object()) return Error{"must be an object", "/delivery", 0, 0};
  if (d.contains("default")) {
    auto a = parse_adapter(d["default"], "/delivery/default", default_file, env);
    if (!a) return a.error();
    out.fallback = a.value();
    if (is_connector(out.fallback.adapter)) {
      return Error{"the " + out.fallback.adapter + " adapter performs only some effect types: route each of them under "
                   "\"routes\" instead of making it the default",
                   "/delivery/default", 0, 0};
    }
  }
  if (d.contains("routes")) {
    if (!d["routes"].is_object()) return Error{"must map effect types to adapters", "/delivery/routes", 0, 0};
    for (auto it = d["routes"].begin(); it != d["routes"].end(); ++it) {
      auto a = parse_adapter(it.value(), pointer_join("/delivery/routes", it.key()), default_file, env);
      if (!a) return a.error();
      // A route the adapter cannot carry out is refused now, not found when the first effect fails.
      const auto& types = connector_effect_types(a.value().adapter);
      if (is_connector(a.value().adapter) && std::find(types.begin(), types.end(), it.key()) == types.end()) {
        std::string can;
        for (const auto& t : types) can += (can.empty() ? "" : ", ") + t;
        return Error{"the route for " + it.key() + " goes to the " + a.value().adapter + " adapter, which cannot perform " +
                         it.key() + " (it performs " + can + ")",
                     pointer_join("/delivery/routes", it.key()), 0, 0};
      }
      out.routes[it.key()] = a.value();
    }
  }
  auto calls = parse_egress(config);
  if (!calls) return calls.error();
  out.calls = std::move(calls.value());
  const Json r = config.value("retry", Json::object());
  out.max_attempts = r.value("max_attempts", out.max_attempts);
  out.base_backoff_ms = r.value("base_ms", out.base_backoff_ms);
  out.max_backoff_ms = r.value("max_ms", out.max_backoff_ms);
  if (out.max_attempts < 1) return Error{"must be at least 1", "/retry/max_attempts", 0, 0};
  return out;
}

Deliverer::Deliverer(DeliveryConfig config) : config_(std::move(config)) { curl_global_init(CURL_GLOBAL_DEFAULT); }
Deliverer::~Deliverer() { curl_global_cleanup(); }

long Deliverer::backoff_ms(int attempt, double random01) const {
  double exp = static_cast<double>(config_.base_backoff_ms) * std::pow(2.0, std::max(0, attempt - 1));
  double capped = std::min(exp, static_cast<double>(config_.max_backoff_ms));
  return static_cast<long>(capped * (0.5 + 0.5 * std::clamp(random01, 0.0, 1.0)));
}

const AdapterConfig& Deliverer::adapter_for(const OutboundEffect& e) const {
  auto it = config_.routes.find(e.type);
  return it != config_.routes.end() ? it->second : config_.fallback;
}

DeliveryResult Deliverer::deliver(const OutboundEffect& e) {
  const AdapterConfig& a = adapter_for(e);
  if (a.adapter == "http") return to_http(a, e);
  if (a.adapter == "smtp") return to_smtp(a, e);
  if (a.adapter == "perform") return perform_now(a, e);
  if (is_connector(a.adapter)) return to_connector(a, e);
  return to_file(a, e);
}

DeliveryResult Deliverer::perform_call(const OutboundEffect& e) {
  if (e.type == "http.request") {
    AdapterConfig perform;
    perform.adapter = "perform";
    return perform_now(perform, e);
  }
  auto route = config_.routes.find(e.type);
  if (route == config_.routes.end() || !is_connector(route->second.adapter)) {
    DeliveryResult r;
    r.retryable = false;
    r.error = "no connector answers " + e.type + ": route it to a shopify adapter under delivery.routes";
    return r;
  }
  Connector* c = nullptr;
  {
    std::lock_guard<std::mutex> lock(connectors_mu_);
    auto& slot = connectors_[&route->second];
    if (!slot) slot = make_connector(route->second);
    c = slot.get();
  }
  return c->query(e);
}

DeliveryResult Deliverer::to_connector(const AdapterConfig& a, const OutboundEffect& e) {
  Connector* c = nullptr;
  {
    std::lock_guard<std::mutex> lock(connectors_mu_);
    auto& slot = connectors_[&a];
    if (!slot) slot = make_connector(a);
    c = slot.get();
  }
  return c->deliver(e);
}

std::vector<DeliveryResult> Deliverer::deliver_batch(const std::vector<OutboundEffect>& effects) {
  std::vector<DeliveryResult> results(effects.size());
  // Effects bound for the same file: their lines, and which effects they are.
  std::map<const AdapterConfig*, std::pair<std::string, std::vector<size_t>>> files;
  for (size_t i = 0; i < effects.size(); ++i) {
    const AdapterConfig& a = adapter_for(effects[i]);
    if (a.adapter == "file") {
      auto& [lines, which] = files[&a];
      lines += file_line(effects[i]);
      which.push_back(i);
    } else {
      results[i] = deliver(effects[i]);
    }
  }
  for (const auto& [a, batch] : files) {
    std::string error = append_lines(*a, batch.first);
    for (size_t i : batch.second) {
      results[i].ok = error.empty();
      results[i].error = error;
    }
  }
  return results;
}

std::string Deliverer::file_line(const OutboundEffect& e) {
  return Json{{"id", e.id}, {"type", e.type}, {"params", e.params}, {"run", e.run_id},
              {"workflow", e.workflow}, {"attempt", e.attempt}}
             .dump(-1, ' ', false, Json::error_handler_t::replace) +
         "\n";
}

std::string Deliverer::append_lines(const AdapterConfig& a, const std::string& lines) {
  std::lock_guard<std::mutex> lock(file_mu_);
  int fd = ::open(a.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot open " + a.path + ": " + std::strerror(errno);
  ssize_t n = ::write(fd, lines.data(), lines.size());
  bool ok = n == static_cast<ssize_t>(lines.size()) && ::fdatasync(fd) == 0;
  std::string error = ok ? std::string() : "cannot append to " + a.path + ": " + std::strerror(errno);
  ::close(fd);
  return error;
}

DeliveryResult Deliverer::to_file(const AdapterConfig& a, const OutboundEffect& e) {
  DeliveryResult r;
  r.error = append_lines(a, file_line(e));
  r.ok = r.error.empty();
  return r;
}

DeliveryResult Deliverer::to_http(const AdapterConfig& a, const OutboundEffect& e) {
  DeliveryResult r;
  std::string body = effect_cloudevent(e).dump();
  std::string response;
  CurlHandle c;
  c.header("Content-Type: application/cloudevents+json");
  c.header("Idempotency-Key: " + e.id);
  if (!a.secret.empty()) c.header("X-Shopflow-Signature: sha256=" + hex_encode(hmac_sha256(a.secret, body)));
  curl_easy_setopt(c.h, CURLOPT_URL, a.url.c_str());
  curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, c.headers);
  curl_easy_setopt(c.h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c.h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c.h, CURLOPT_TIMEOUT_MS, a.timeout_ms);
  curl_easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &response);
  CURLcode rc = curl_easy_perform(c.h);
  if (rc != CURLE_OK) {
    r.error = std::string("POST ") + a.url + ": " + curl_easy_strerror(rc);
    return r;
  }
  long status = 0;
  curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &status);
  r.ok = status >= 200 && status < 300;
  if (!r.ok) {
    r.retryable = retryable_status(status);
    r.error = "POST " + a.url + " answered " + std::to_string(status);
  }
  return r;
}

DeliveryResult Deliverer::perform_now(const AdapterConfig& a, const OutboundEffect& e) {
  DeliveryResult r;
  std::string method = e.params.value("method", "GET");
  std::string url = e.params.value("url", "");
  if (url.empty()) {
    r.retryable = false;
    r.error = "http.request has no url";
    return r;
  }
  if (auto allowed = egress_check_url(config_.calls, url); !allowed) {
    r.retryable = false;
    r.error = "call refused: " + allowed.error().message;
    return r;
  }
  std::string payload;
  bool json_payload = false;
  if (e.params.contains("body")) {
    json_payload = !e.params["body"].is_string();
    payload = json_payload ? e.params["body"].dump() : e.params["body"].get<std::string>();
  }
  std::string response;
  Json headers = Json::object();
  CurlHandle c;
  bool has_content_type = false;
  if (e.params.contains("headers") && e.params["headers"].is_object()) {
    for (auto it = e.params["headers"].begin(); it != e.params["headers"].end(); ++it) {
      has_content_type = has_content_type || lower_ascii(it.key()) == "content-type";
      c.header(it.key() + ": " + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump()));
    }
  }
  if (json_payload && !has_content_type) c.header("Content-Type: application/json");
  c.header("Idempotency-Key: " + e.id);
  curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, c.headers);
  if (!payload.empty()) {
    curl_easy_setopt(c.h, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(c.h, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  }
  curl_easy_setopt(c.h, CURLOPT_TIMEOUT_MS, a.timeout_ms);
  curl_easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(c.h, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(c.h, CURLOPT_HEADERDATA, &headers);
  // The address a name resolves to is checked as the connection opens; redirects are not
  // followed (a 3xx is the answer), so no other host is reached.
  curl_easy_setopt(c.h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.h, CURLOPT_FOLLOWLOCATION, 0L);
  struct Gate {
    const EgressPolicy* policy;
    UrlParts url;
    bool refused = false;
  } gate{&config_.calls, {}, false};
  if (auto parts = url_parts(url)) gate.url = parts.value();
  auto open_socket = +[](void* user, curlsocktype, curl_sockaddr* address) -> curl_socket_t {
    auto* g = static_cast<Gate*>(user);
    if (!egress_address_allowed(*g->policy, g->url, &address->addr)) {
      g->refused = true;
      return CURL_SOCKET_BAD;
    }
    return ::socket(address->family, address->socktype, address->protocol);
  };
  curl_easy_setopt(c.h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(c.h, CURLOPT_OPENSOCKETDATA, &gate);
  CURLcode rc = curl_easy_perform(c.h);
  if (gate.refused) {
    r.retryable = false;
    r.error = "call refused: " + gate.url.host +
              " resolves to an internal address (loopback, link-local, private); calls go there only when calls.allow "
              "lists it";
    return r;
  }
  if (rc != CURLE_OK) {
    r.error = method + " " + url + ": " + curl_easy_strerror(rc);
    return r;
  }
  long status = 0;
  curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &status);
  // A JSON answer is given to the workflow as JSON, so steps can read steps.<id>.body.field.
  Json body = response;
  if (headers.value("content-type", std::string()).find("json") != std::string::npos) {
    Json parsed = Json::parse(response, nullptr, false);
    if (!parsed.is_discarded()) body = std::move(parsed);
  }
  r.response = {{"status", status}, {"headers", std::move(headers)}, {"body", std::move(body)}};
  r.ok = status < 500 && status != 408 && status != 429;
  if (!r.ok) r.error = method + " " + url + " answered " + std::to_string(status);
  return r;
}

DeliveryResult Deliverer::to_smtp(const AdapterConfig& a, const OutboundEffect& e) {
  DeliveryResult r;
  std::string to = e.params.value("to", "");
  if (to.empty()) {
    r.retryable = false;
    r.error = "email.send has no recipient (\"to\")";
    return r;
  }
  std::string from = a.from.empty() ? "shopflow@localhost" : a.from;
  std::string message = "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + e.params.value("subject", "") +
                        "\r\nMessage-ID: <" + e.id + "@shopflow>\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
                        e.params.value("body", "") + "\r\n";
  size_t offset = 0;
  auto reader = +[](char* buf, size_t size, size_t n, void* user) -> size_t {
    auto* st = static_cast<std::pair<const std::string*, size_t*>*>(user);
    size_t left = st->first->size() - *st->second;
    size_t take = std::min(left, size * n);
    std::memcpy(buf, st->first->data() + *st->second, take);
    *st->second += take;
    return take;
  };
  std::pair<const std::string*, size_t*> state{&message, &offset};
  CurlHandle c;
  curl_slist* rcpt = curl_slist_append(nullptr, to.c_str());
  curl_easy_setopt(c.h, CURLOPT_URL, a.url.c_str());
  curl_easy_setopt(c.h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c.h, CURLOPT_MAIL_RCPT, rcpt);
  if (!a.username.empty()) curl_easy_setopt(c.h, CURLOPT_USERNAME, a.username.c_str());
  if (!a.password.empty()) curl_easy_setopt(c.h, CURLOPT_PASSWORD, a.password.c_str());
  curl_easy_setopt(c.h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  curl_easy_setopt(c.h, CURLOPT_READFUNCTION, reader);
  curl_easy_setopt(c.h, CURLOPT_READDATA, &state);
  curl_easy_setopt(c.h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c.h, CURLOPT_TIMEOUT_MS, a.timeout_ms);
  curl_easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(c.h);
  curl_slist_free_all(rcpt);
  r.ok = rc == CURLE_OK;
  if (!r.ok) r.error = "SMTP " + a.url + ": " + curl_easy_strerror(rc);
  return r;
}

}  // namespace shopflow::runner
