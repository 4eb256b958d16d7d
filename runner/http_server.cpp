#include "http_server.hpp"

#include <httplib.h>
#include <openssl/crypto.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>

#include "cli_util.hpp"
#include "delivery.hpp"
#include "ingest.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "pipeline.hpp"
#include "shopflow/engine.hpp"

namespace shopflow::runner {

namespace {

std::string env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void reply_json(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  // Replacing what is not UTF-8: messages may quote what the request sent.
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n", "application/json");
}

void declare_metrics(Metrics& m) {
  m.declare("shopflow_events_accepted_total", "counter", "Events committed to the inbox, by endpoint");
  m.declare("shopflow_events_duplicate_total", "counter", "Events whose id was already in the inbox, by endpoint");
  m.declare("shopflow_requests_rejected_total", "counter", "Requests refused, by endpoint and reason");
  m.declare("shopflow_request_seconds", "histogram", "Time to answer an ingest request, by endpoint",
            {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
  m.declare("shopflow_commit_seconds", "histogram", "Time of one group commit of the inbox",
            {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1});
  m.declare("shopflow_commit_events", "histogram", "Events in one group commit", {1, 2, 4, 8, 16, 32, 64, 128, 512, 2000});
  m.declare("shopflow_runs", "gauge", "Runs in the store, by workflow and status");
  m.declare("shopflow_inbox_pending", "gauge", "Committed events not yet run");
  m.declare("shopflow_ingest_queue", "gauge", "Requests waiting for the next group commit");
  m.declare("shopflow_outbox_in_flight", "gauge", "Effects being delivered");
  m.declare("shopflow_dead_letters", "gauge", "Effects that failed every attempt");
  m.declare("shopflow_effect_deliveries_total", "counter", "Effect delivery attempts, by type and outcome");
  m.declare("shopflow_delivery_seconds", "histogram", "Time of one delivery attempt, by effect type",
            {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10});
  m.declare("shopflow_bundle_reloads_total", "counter", "Bundle reloads on SIGHUP, by outcome");
  m.declare("shopflow_wal_bytes", "gauge", "Size of the store's write-ahead log on disk");
}

// Production's http.request: performed synchronously, its response becomes the step output.
// No answer at all (DNS, refused, timeout) is status 0 with the reason, so a workflow's
// `if status == 200 ... else` handles an unreachable service like any other failure.
RequestPort request_port(Deliverer* deliverer) {
  return [deliverer](const Json& request) -> Result<Json> {
    OutboundEffect e;
    e.id = request.value("idempotency_key", std::string("request"));
    e.type = "http.request";
    e.params = request;
    AdapterConfig a;
    a.adapter = "perform";
    DeliveryResult r = deliverer->perform_now(a, e);
    if (r.response.is_null()) {
      return Json{{"status", 0}, {"headers", Json::object()}, {"body", nullptr}, {"error", r.error}};
    }
    return r.response;
  };
}

}  // namespace

struct HttpServer::Impl {
  static constexpr size_t kDrainBytes = 16 * 1024;  // of a refused request's body
  ServeOptions opts;
  httplib::Server http;
  Metrics metrics;
  std::unique_ptr<Pipeline> pipeline;
  Deliverer* deliverer = nullptr;  // owned by the pipeline
  WebhookSecrets secrets;
  std::string api_token;
  EventLimits limits;
  // Event types that the bundle's emit steps make: only its workflows send them.
  std::shared_ptr<const std::set<std::string>> emitted_types = std::make_shared<std::set<std::string>>();
  std::atomic<bool> stopping{false};

  void learn_emitted_types(const Bundle& bundle) {
    auto types = std::make_shared<std::set<std::string>>();
    for (const auto& wf : bundle.workflows) {
      for (const auto& st : wf.steps) {
        if (!st.emit_type.empty()) types->insert(st.emit_type);
      }
    }
    std::atomic_store(&emitted_types, std::shared_ptr<const std::set<std::string>>(std::move(types)));
  }

  void refuse(const char* endpoint, httplib::Response& res, const Refusal& r) {
    metrics.add("shopflow_requests_rejected_total", {{"endpoint", endpoint}, {"reason", r.code}});
    // Where and why, never what: a refusal's message may quote the body or a header as sent.
    Json fields = {{"endpoint", endpoint}, {"status", r.status}, {"reason", r.code}};
    if (!r.pointer.empty()) fields["pointer"] = r.pointer;
    if (r.line > 0) {
      fields["line"] = r.line;
      fields["column"] = r.column;
    }
    log_warn("request refused", fields);
    reply_json(res, r.status, r.to_json());
  }

  // Reads the body of a request whose credentials have been looked at, as it arrives, and stops
  // at the limit (chunked or not, and after any Content-Encoding is undone). False, with the
  // refusal in `refusal`, when it is over the limit or could not be read.
  bool read_body(const httplib::ContentReader& reader, std::string& body, Refusal& refusal) const {
    const size_t limit = opts.max_body_bytes;
    bool over = false;
    bool ok = reader([&](const char* data, size_t n) {
      if (n > limit - body.size()) {
        over = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (ok) return true;
    refusal.status = over ? 413 : 400;
    refusal.code = over ? "too_large" : "unreadable_body";
    refusal.message = over ? "the request body is over the limit of " + std::to_string(limit) + " bytes"
                           : "the request body could not be read (over the limit, cut short or badly chunked)";
    body = std::string();
    return false;
  }

  // Decodes, submits and answers one ingest request: first what the headers alone decide
  // (credentials), then the body, read only then and never past the limit.
  template <class Before, class Decode>
  void ingest(const char* endpoint, const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader& reader, Before before_body, Decode decode) {
    auto t0 = std::chrono::steady_clock::now();
    std::string body;
    HttpInput in;
    in.content_type = req.get_header_value("Content-Type");
    in.header = [&req](const std::string& name) { return req.get_header_value(name.c_str()); };
    in.body = &body;
    in.received_ms = system_now_ms();
    if (std::optional<Decoded> early = before_body(in); early && !early->ok) {
      // The body is not wanted: what little a client sends anyway is read and dropped, so that the
      // connection can go on; more ends it.
      size_t drained = 0;
      reader([&](const char*, size_t n) { return (drained += n) <= kDrainBytes; });
      if (drained > kDrainBytes) res.set_header("Connection", "close");
      refuse(endpoint, res, early->refusal);
      return;
    }
    Refusal unread;
    if (!read_body(reader, body, unread)) {
      if (res.status == 413) {  // a Content-Length over the limit: refused before any of it was read
        unread.status = 413;
        unread.code = "too_large";
        unread.message = "the request body is over the limit of " + std::to_string(opts.max_body_bytes) + " bytes";
      }
      res.set_header("Connection", "close");
      refuse(endpoint, res, unread);
      return;
    }
    Decoded d = decode(in);
    if (d.ok) {
      auto internal = std::atomic_load(&emitted_types);
      for (size_t i = 0; i < d.events.size(); ++i) {
        if (!internal->count(d.events[i].type)) continue;
        std::string where = d.events.size() > 1 ? "/" + std::to_string(i) + "/type" : "/type";
        d = Decoded::refuse(400, "internal_type",
                            "events of type \"" + d.events[i].type +
                                "\" are emitted by the bundle's workflows; they are not taken from outside",
                            where);
        break;
      }
    }
    if (!d.ok) {
      refuse(endpoint, res, d.refusal);
      return;
    }
    SubmitResult s;
    s.ok = true;
    if (!d.events.empty()) s = pipeline->submit(std::move(d.events));
    if (!s.ok) {
      metrics.add("shopflow_requests_rejected_total", {{"endpoint", endpoint}, {"reason", "unavailable"}});
      res.set_header("Retry-After", "5");
      reply_json(res, 503, Json{{"error", {{"code", "unavailable"}, {"message", s.error}}}});
      return;
    }
    metrics.add("shopflow_events_accepted_total", {{"endpoint", endpoint}}, static_cast<double>(s.accepted));
    metrics.add("shopflow_events_duplicate_total", {{"endpoint", endpoint}}, static_cast<double>(s.duplicates));
    metrics.observe("shopflow_request_seconds", {{"endpoint", endpoint}},
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    reply_json(res, 202, Json{{"accepted", s.accepted}, {"duplicates", s.duplicates}});
  }

  bool authorized(const httplib::Request& req) const {
    if (api_token.empty()) return true;
    std::string want = "Bearer " + api_token;
    std::string got = req.get_header_value("Authorization");
    return got.size() == want.size() && CRYPTO_memcmp(got.data(), want.data(), want.size()) == 0;
  }

  Result<std::unique_ptr<Engine>> open_engine(Bundle bundle) {
    auto store = Store::open(opts.db_path);
    if (!store) return Error{"cannot open the store " + opts.db_path + ": " + store.error().message, "", 0, 0};
    // The pipeline's own connection checkpoints the log; the engine's commits never do.
    if (auto st = store.value()->auto_checkpoint(false); !st) return st.error();
    EngineOptions eo;
    eo.request = request_port(deliverer);
    eo.explain = true;
    return Engine::open(std::move(bundle), std::move(store.value()), eo);
  }
};

HttpServer::HttpServer(ServeOptions options) : impl_(std::make_unique<Impl>()) { impl_->opts = std::move(options); }
HttpServer::~HttpServer() {
  if (impl_->pipeline) impl_->pipeline->stop();
}

Status HttpServer::open() {
  auto& s = *impl_;
  declare_metrics(s.metrics);
  s.secrets.shopify = env("SHOPFLOW_SHOPIFY_SECRET");
  s.secrets.woocommerce = env("SHOPFLOW_WOOCOMMERCE_SECRET");
  s.api_token = env("SHOPFLOW_API_TOKEN");
  if (s.api_token.empty() && !is_loopback(s.opts.host)) {
    return Error{"listening on " + s.opts.host +
                     " needs SHOPFLOW_API_TOKEN in the environment: /v1/events would be open to the network otherwise",
                 "", 0, 0};
  }

  Json config = nullptr;
  if (!s.opts.config_path.empty()) {
    auto text = cli::read_input(s.opts.config_path);
    if (!text) return Error{"cannot read the config " + s.opts.config_path, "", 0, 0};
    auto doc = parse_json(*text, "the config");
    if (!doc) return Error{s.opts.config_path + ": " + doc.error().to_string(), "", 0, 0};
    config = doc.value();
  }
  std::filesystem::path db(s.opts.db_path);
  std::string default_file = (db.parent_path().empty() ? std::filesystem::path(".") : db.parent_path()) / "effects.jsonl";
  auto delivery = parse_delivery_config(config, default_file, env);
  if (!delivery) return Error{s.opts.config_path + ": " + delivery.error().to_string(), "", 0, 0};
  auto deliverer = std::make_unique<Deliverer>(delivery.value());
  s.deliverer = deliverer.get();

  auto checkpointer = Store::open(s.opts.db_path);
  if (!checkpointer) return Error{"cannot open the store " + s.opts.db_path + ": " + checkpointer.error().message, "", 0, 0};
  // A store from when the inbox deduplicated on the event id alone: its events get their keys by
  // sender (see inbox_key), so that a retry of one of them is still a duplicate.
  auto rekeyed = checkpointer.value()->inbox_rekey("inbox_keys_by_sender", legacy_inbox_key);
  if (!rekeyed) return Error{"cannot migrate the inbox of " + s.opts.db_path + ": " + rekeyed.error().message, "", 0, 0};
  if (rekeyed.value() > 0) log_info("inbox events keyed by sender", {{"events", rekeyed.value()}});
  auto engine = s.open_engine(s.opts.bundle);
  if (!engine) return engine.error();
  s.learn_emitted_types(s.opts.bundle);
  PipelineOptions po;
  po.max_wal_bytes = static_cast<std::int64_t>(s.opts.max_wal_bytes);
  s.pipeline = std::make_unique<Pipeline>(std::move(engine.value()), std::move(deliverer), s.metrics, system_now_ms, po);
  s.pipeline->set_checkpointer(std::move(checkpointer.value()));

  s.http.set_tcp_nodelay(true);
  // A store sends webhooks over long-lived connections: reuse them (the library's default
  // closes a connection after 5 requests).
  s.http.set_keep_alive_max_count(10000);
  s.http.set_payload_max_length(s.opts.max_body_bytes);
  int threads = s.opts.threads;
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 413) {
      reply_json(res, 413, Json{{"error", {{"code", "too_large"}, {"message", "the request body is over the limit"}}}});
    } else if (res.status == 404 && res.body.empty()) {
      reply_json(res, 404, Json{{"error", {{"code", "not_found"}, {"message", "no such endpoint"}}}});
    }
  });

  s.http.Post("/v1/events", [this](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) {
    auto& st = *impl_;
    auto token = [&](const HttpInput&) -> std::optional<Decoded> {
      if (st.authorized(req)) return std::nullopt;
      res.set_header("WWW-Authenticate", "Bearer");
      return Decoded::refuse(401, "unauthorized", "missing or wrong bearer token");
    };
    st.ingest("events", req, res, reader, token,
              [&](const HttpInput& in) { return decode_cloudevents(in, st.limits); });
  });
  s.http.Post("/webhooks/shopify", [this](const httplib::Request& req, httplib::Response& res,
                                          const httplib::ContentReader& reader) {
    auto& st = *impl_;
    st.ingest("shopify", req, res, reader, [&](const HttpInput& in) { return shopify_refusal_before_body(in, st.secrets); },
              [&](const HttpInput& in) { return decode_shopify(in, st.secrets, st.limits); });
  });
  s.http.Post("/webhooks/woocommerce", [this](const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& reader) {
    auto& st = *impl_;
    st.ingest("woocommerce", req, res, reader,
              [&](const HttpInput& in) { return woocommerce_refusal_before_body(in, st.secrets); },
              [&](const HttpInput& in) { return decode_woocommerce(in, st.secrets, st.limits); });
  });
  s.http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  s.http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    bool ready = !impl_->stopping.load() && impl_->pipeline->healthy();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "not ready\n", "text/plain");
  });
  s.http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(impl_->metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (!s.opts.studio_dir.empty()) {
    if (!std::filesystem::is_directory(s.opts.studio_dir)) {
      return Error{"--studio " + s.opts.studio_dir + " is not a folder (build the wasm preset first)", "", 0, 0};
    }
    s.http.set_mount_point("/", s.opts.studio_dir);
    s.http.set_file_extension_and_mimetype_mapping("wasm", "application/wasm");
    s.http.set_file_extension_and_mimetype_mapping("data", "application/octet-stream");
  }
  if (!s.http.bind_to_port(s.opts.host.c_str(), s.opts.port)) {
    return Error{"cannot listen on " + s.opts.host + ":" + std::to_string(s.opts.port) +
                     " (in use, or not an address of this machine); choose another with --listen",
                 "", 0, 0};
  }
  if (s.secrets.shopify.empty()) log_warn("Shopify webhooks will be refused: SHOPFLOW_SHOPIFY_SECRET is not set", {});
  if (s.api_token.empty()) log_warn("/v1/events takes no token: SHOPFLOW_API_TOKEN is not set (loopback only)", {});
  return Status::Ok();
}

int HttpServer::run() {
  auto& s = *impl_;
  s.pipeline->start();
  log_info("serving", {{"bundle", s.opts.bundle.name},
                       {"version", s.opts.bundle.version},
                       {"workflows", s.opts.bundle.workflows.size()},
                       {"listen", "http://" + s.opts.host + ":" + std::to_string(s.opts.port) + "/"},
                       {"db", s.opts.db_path},
                       {"studio", s.opts.studio_dir}});
  bool ok = s.http.listen_after_bind();
  s.pipeline->stop();
  log_info("stopped", {});
  return ok || s.stopping ? 0 : 1;
}

void HttpServer::stop() {
  impl_->stopping = true;
  impl_->http.stop();
}

void HttpServer::abandon() {
  impl_->pipeline->stop();
  log_warn("stopped without waiting for clients still sending", {});
}

void HttpServer::reload() {
  auto& s = *impl_;
  auto text = cli::read_input(s.opts.bundle_path);
  if (!text) {
    s.metrics.add("shopflow_bundle_reloads_total", {{"outcome", "refused"}});
    log_error("reload refused: cannot read the bundle; the old one keeps running", {{"path", s.opts.bundle_path}});
    return;
  }
  auto loaded = load_bundle(*text);
  if (!loaded || !loaded.value().ok()) {
    Json problems = Json::array();
    if (!loaded) {
      problems.push_back(loaded.error().to_string());
    } else {
      for (const auto& p : loaded.value().problems) problems.push_back(p.to_string());
    }
    s.metrics.add("shopflow_bundle_reloads_total", {{"outcome", "refused"}});
    log_error("reload refused: the new bundle has problems; the old one keeps running",
              {{"path", s.opts.bundle_path}, {"problems", problems}});
    return;
  }
  auto engine = s.open_engine(loaded.value().bundle);
  if (!engine) {
    s.metrics.add("shopflow_bundle_reloads_total", {{"outcome", "refused"}});
    log_error("reload refused; the old bundle keeps running", {{"error", engine.error().message}});
    return;
  }
  s.metrics.add("shopflow_bundle_reloads_total", {{"outcome", "applied"}});
  s.learn_emitted_types(loaded.value().bundle);
  s.pipeline->replace_engine(std::move(engine.value()));
}

}  // namespace shopflow::runner
