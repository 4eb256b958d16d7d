#include "http_server.hpp"

#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "api.hpp"
#include "cli_util.hpp"
#include "delivery.hpp"
#include "egress.hpp"
#include "heartbeat.hpp"
#include "ingest.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "pipeline.hpp"
#include "shopflow/engine.hpp"
#include "shopflow/open_store.hpp"
#include "shopflow/simulator.hpp"
#include "wakeups.hpp"
#include "shopflow/timeutil.hpp"

namespace shopflow::runner {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// One answer, before it is handed to the library.
struct Answer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // the connection ends after it (the rest of the request is not read)
};

Answer json_answer(int status, const Json& body) {
  Answer a;
  a.status = status;
  // Replacing what is not UTF-8: messages may quote what the request sent.
  a.body = body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  return a;
}

Answer text_answer(int status, std::string text, std::string content_type = "text/plain") {
  Answer a;
  a.status = status;
  a.content_type = std::move(content_type);
  a.body = std::move(text);
  return a;
}

MHD_Result queue(MHD_Connection* c, const Answer& a) {
  MHD_Response* r = MHD_create_response_from_buffer(a.body.size(), const_cast<char*>(a.body.data()), MHD_RESPMEM_MUST_COPY);
  if (r == nullptr) return MHD_NO;
  if (!a.content_type.empty()) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a.content_type.c_str());
  for (const auto& [name, value] : a.headers) MHD_add_response_header(r, name.c_str(), value.c_str());
  if (a.close) MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
  MHD_Result ok = MHD_queue_response(c, static_cast<unsigned>(a.status), r);
  MHD_destroy_response(r);
  return ok;
}

std::string header_of(MHD_Connection* c, const std::string& name) {
  const char* v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name.c_str());
  return v ? v : "";
}

// A streamed API answer as libmicrohttpd reads it: pieces made on demand, a page at a time.
struct Streamed {
  std::function<StreamStep(std::string&)> next;
  std::string buffer;
  size_t offset = 0;
  bool ended = false;
};

Answer answer_of_api(const ApiAnswer& a) {
  Answer out;
  out.status = a.status;
  out.content_type = a.content_type;
  out.body = a.body;
  out.headers = a.headers;
  return out;
}

// libmicrohttpd asks a streamed answer for its next bytes: handed out of the piece in hand,
// the next piece made when it is used up.
ssize_t read_streamed(void* cls, uint64_t, char* buf, size_t max) {
  auto* s = static_cast<Streamed*>(cls);
  while (s->offset == s->buffer.size()) {
    if (s->ended) return MHD_CONTENT_READER_END_OF_STREAM;
    s->buffer.clear();
    s->offset = 0;
    StreamStep step = s->next(s->buffer);
    if (step == StreamStep::Failed) return MHD_CONTENT_READER_END_WITH_ERROR;
    if (step == StreamStep::End) s->ended = true;
  }
  size_t n = std::min(max, s->buffer.size() - s->offset);
  std::memcpy(buf, s->buffer.data() + s->offset, n);
  s->offset += n;
  return static_cast<ssize_t>(n);
}

MHD_Result queue_streamed(MHD_Connection* c, ApiAnswer& a) {
  auto* streamed = new Streamed;
  streamed->next = std::move(a.stream);
  MHD_Response* r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read_streamed, streamed,
                                                      [](void* cls) { delete static_cast<Streamed*>(cls); });
  if (r == nullptr) {
    delete streamed;
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a.content_type.c_str());
  for (const auto& [name, value] : a.headers) MHD_add_response_header(r, name.c_str(), value.c_str());
  MHD_Result ok = MHD_queue_response(c, static_cast<unsigned>(a.status), r);
  MHD_destroy_response(r);
  return ok;
}

const char* mime_type(const std::filesystem::path& file) {
  static const std::map<std::string, const char*> types = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript"}, {".mjs", "text/javascript"},
      {".css", "text/css"}, {".json", "application/json"}, {".wasm", "application/wasm"},
      {".data", "application/octet-stream"}, {".png", "image/png"}, {".svg", "image/svg+xml"},
      {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"}, {".map", "application/json"}};
  auto it = types.find(file.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

// How long filter rejections are kept: the config's filter_rejections.keep, an ISO 8601
// duration in days, hours, minutes or seconds (default P7D).
Result<Millis> rejections_kept(const Json& config) {
  if (!config.is_object() || !config.contains("filter_rejections")) return PipelineOptions{}.keep_rejections_ms;
  const Json& f = config["filter_rejections"];
  if (!f.is_object()) return Error{"must be an object such as {\"keep\": \"P7D\"}", "/filter_rejections", 0, 0};
  if (!f.contains("keep")) return PipelineOptions{}.keep_rejections_ms;
  const Json& keep = f["keep"];
  Result<Millis> ms = Error{"not a text", "", 0, 0};
  if (keep.is_string()) {
    auto d = timeutil::parse_duration(keep.get<std::string>());
    if (d) ms = timeutil::duration_millis(d.value());
  }
  if (!ms || ms.value() <= 0) {
    return Error{"must be a positive ISO 8601 duration in weeks, days, hours, minutes or seconds, such as \"P7D\" or \"PT12H\"",
                 "/filter_rejections/keep", 0, 0};
  }
  return ms.value();
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
  m.declare("shopflow_filter_rejections_total", "counter",
            "Events a workflow's trigger filter rejected since the runner started or last reloaded its bundle, by workflow");
  m.declare("shopflow_inbox_pending", "gauge", "Committed events not yet run");
  m.declare("shopflow_ingest_queue", "gauge", "Requests waiting for the next group commit");
  m.declare("shopflow_outbox_in_flight", "gauge", "Effects being delivered");
  m.declare("shopflow_dead_letters", "gauge", "Effects that failed every attempt");
  m.declare("shopflow_effect_deliveries_total", "counter", "Effect delivery attempts, by type and outcome");
  m.declare("shopflow_delivery_seconds", "histogram", "Time of one delivery attempt, by effect type",
            {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10});
  m.declare("shopflow_bundle_reloads_total", "counter", "Bundle reloads on SIGHUP, by outcome");
  m.declare("shopflow_api_requests_total", "counter", "Requests to the runner's API, by route and status");
  m.declare("shopflow_bundle_info", "gauge",
            "1 for the bundle version this runner runs (XXH3-64 of the bundle file), 0 for those it ran before");
  m.declare("shopflow_wal_bytes", "gauge", "Size of the store's write-ahead log on disk");
  m.declare("shopflow_http_connections", "gauge", "Open HTTP connections");
  m.declare("shopflow_http_connections_closed_total", "counter",
            "HTTP connections closed by the runner, by reason (deadline: a request not in whole in time)");
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

// One ingest endpoint: what the headers alone decide, then how the body is decoded.
struct Endpoint {
  const char* path;
  const char* name;  // its label in metrics and logs
  std::function<std::optional<Decoded>(MHD_Connection*, const HttpInput&)> before_body;
  std::function<Decoded(const HttpInput&)> decode;
};

// A connection, from its accept to its close (the library's socket context).
struct Connection {
  int fd = -1;
  // When its request must be in whole (headers and body); max() while it is being answered.
  // Guarded by Impl::conn_mu.
  SteadyClock::time_point deadline;
  bool reaped = false;
  bool over_cap = false;  // opened past --max-connections: its request is answered 503
};

// A request, from its headers to its answer (the library's request context). Shared with the
// engine thread's callback while its commit is pending.
struct Request {
  const Endpoint* endpoint = nullptr;  // nullptr: not an ingest request (answered once read)
  bool api = false;                    // the runner's API (Api::is_route): its body is kept too
  std::string path, method;
  SteadyClock::time_point t0;
  std::string body;
  bool over = false;       // the body passed --max-body: the rest is read and dropped, then 413
  std::optional<Answer> refused;  // decided from the headers: the body is read and dropped, then this
  bool submitted = false;  // counted in Impl::answering until completed
  std::optional<SubmitResult> result;  // set by the engine thread before the connection resumes
  std::optional<ApiAnswer> later;       // an API answer made on the worker thread, before it resumes
};

using RequestSlot = std::shared_ptr<Request>;

}  // namespace

std::string bundle_version_of(std::string_view bundle_text) { return trace_hash_hex(bundle_text); }

struct HttpServer::Impl {
  static constexpr int kSpareConnections = 64;  // accepted past the cap only to be answered 503
  static constexpr auto kAnswerGrace = std::chrono::seconds(3);  // at stop, for submitted requests
  ServeOptions opts;
  MHD_Daemon* daemon = nullptr;
  int quiesced_fd = -1;
  Metrics metrics;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<Wakeups> wakeups;  // PostgreSQL only: LISTEN/NOTIFY between runners
  // PostgreSQL only: the heartbeat renews this runner's leases on a connection of its own.
  std::unique_ptr<Store> heartbeat_store;
  std::unique_ptr<Heartbeat> heartbeat;
  // Who claims work in the store: this process, named so that an operator can find it.
  std::string owner;
  Deliverer* deliverer = nullptr;  // owned by the pipeline
  WebhookSecrets secrets;
  std::string api_token;
  EventLimits limits;
  std::vector<Endpoint> endpoints;
  // Event types that the bundle's emit steps make: only its workflows send them.
  std::shared_ptr<const std::set<std::string>> emitted_types = std::make_shared<std::set<std::string>>();
  std::atomic<bool> stopping{false};
  std::unique_ptr<Api> api;
  // The bundle running: its version, and one swap at a time (SIGHUP, deploy, rollback).
  std::mutex bundle_mu;
  std::mutex version_mu;
  std::string bundle_version;  // guarded by version_mu
  // The thread API work too long for a connection thread runs on (deploys), one job at a time.
  std::mutex jobs_mu;
  std::condition_variable jobs_cv;
  std::deque<std::function<void()>> jobs;
  bool jobs_stop = false;
  std::thread worker;

  // Open connections, for the cap and the deadline reaper.
  std::mutex conn_mu;
  std::set<Connection*> connections;
  // Requests submitted to the pipeline and not yet answered; the library is stopped only once
  // none is left (or after kAnswerGrace).
  std::mutex run_mu;
  std::condition_variable run_cv;
  int answering = 0;
  bool quiesced = false;  // stop() has taken the listening socket away
  // Set before the library is stopped: a late commit then resumes nothing. Its own mutex, held
  // while resuming, which takes the library's locks.
  std::mutex resume_mu;
  bool daemon_gone = false;
  std::mutex reap_mu;
  std::condition_variable reap_cv;
  bool reap_stop = false;
  std::thread reaper;

  void learn_emitted_types(const Bundle& bundle) {
    auto types = std::make_shared<std::set<std::string>>();
    for (const auto& wf : bundle.workflows) {
      for (const auto& st : wf.steps) {
        if (!st.emit_type.empty()) types->insert(st.emit_type);
      }
    }
    std::atomic_store(&emitted_types, std::shared_ptr<const std::set<std::string>>(std::move(types)));
  }

  Answer refuse(const char* endpoint, const Refusal& r) {
    metrics.add("shopflow_requests_rejected_total", {{"endpoint", endpoint}, {"reason", r.code}});
    // Where and why, never what: a refusal's message may quote the body or a header as sent.
    Json fields = {{"endpoint", endpoint}, {"status", r.status}, {"reason", r.code}};
    if (!r.pointer.empty()) fields["pointer"] = r.pointer;
    if (r.line > 0) {
      fields["line"] = r.line;
      fields["column"] = r.column;
    }
    log_warn("request refused", fields);
    return json_answer(r.status, r.to_json());
  }

  Answer unavailable(const char* endpoint, const std::string& reason, const std::string& message) {
    metrics.add("shopflow_requests_rejected_total", {{"endpoint", endpoint}, {"reason", reason}});
    Answer a = json_answer(503, Json{{"error", {{"code", "unavailable"}, {"message", message}}}});
    a.headers.emplace_back("Retry-After", "5");
    return a;
  }

  Answer too_large() const {
    Refusal r;
    r.status = 413;
    r.code = "too_large";
    r.message = "the request body is over the limit of " + std::to_string(opts.max_body_bytes) + " bytes";
    return json_answer(r.status, r.to_json());
  }

  bool authorized(MHD_Connection* c) const {
    if (api_token.empty()) return true;
    std::string want = "Bearer " + api_token;
    std::string got = header_of(c, "Authorization");
    return got.size() == want.size() && CRYPTO_memcmp(got.data(), want.data(), want.size()) == 0;
  }

  static HttpInput input_of(MHD_Connection* c, const std::string* body) {
    HttpInput in;
    in.content_type = header_of(c, "Content-Type");
    in.header = [c](const std::string& name) { return header_of(c, name); };
    in.body = body;
    in.received_ms = system_now_ms();
    return in;
  }

  void make_endpoints() {
    endpoints.push_back(Endpoint{
        "/v1/events", "events",
        [this](MHD_Connection* c, const HttpInput&) -> std::optional<Decoded> {
          if (authorized(c)) return std::nullopt;
          return Decoded::refuse(401, "unauthorized", "missing or wrong bearer token");
        },
        [this](const HttpInput& in) { return decode_cloudevents(in, limits); }});
    endpoints.push_back(Endpoint{
        "/webhooks/shopify", "shopify",
        [this](MHD_Connection*, const HttpInput& in) { return shopify_refusal_before_body(in, secrets); },
        [this](const HttpInput& in) { return decode_shopify(in, secrets, limits); }});
    endpoints.push_back(Endpoint{
        "/webhooks/woocommerce", "woocommerce",
        [this](MHD_Connection*, const HttpInput& in) { return woocommerce_refusal_before_body(in, secrets); },
        [this](const HttpInput& in) { return decode_woocommerce(in, secrets, limits); }});
  }

  static Connection* connection_of(MHD_Connection* c) {
    const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? static_cast<Connection*>(info->socket_context) : nullptr;
  }

  // The connection's request is in whole (or refused): the deadline no longer runs.
  void answering_now(MHD_Connection* c) {
    if (Connection* conn = connection_of(c)) {
      std::lock_guard<std::mutex> lock(conn_mu);
      conn->deadline = SteadyClock::time_point::max();
    }
  }

  MHD_Result answer(MHD_Connection* c, const Answer& a) {
    answering_now(c);
    return queue(c, a);
  }

  // What is not an ingest endpoint: probes, metrics, the studio's files, 404.
  MHD_Result answer_other(MHD_Connection* c, const std::string& path, const std::string& method) {
    const bool get = method == "GET" || method == "HEAD";
    if (get && path == "/healthz") return answer(c, text_answer(200, "ok\n"));
    if (get && path == "/readyz") {
      bool ready = !stopping.load() && pipeline->healthy();
      return answer(c, text_answer(ready ? 200 : 503, ready ? "ready\n" : "not ready\n"));
    }
    if (get && path == "/metrics") {
      return answer(c, text_answer(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8"));
    }
    if (get && !opts.studio_dir.empty()) {
      if (MHD_Response* file = studio_file(path)) {
        answering_now(c);
        MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, file);
        MHD_destroy_response(file);
        return ok;
      }
    }
    return answer(c, json_answer(404, Json{{"error", {{"code", "not_found"}, {"message", "no such endpoint"}}}}));
  }

  // A regular file under --studio named by the (already unescaped) path, or nullptr.
  MHD_Response* studio_file(const std::string& path) const {
    std::filesystem::path rel = std::filesystem::path(path).relative_path();
    for (const auto& part : rel) {
      if (part == "..") return nullptr;
    }
    if (path.find('\0') != std::string::npos) return nullptr;
    std::filesystem::path file = std::filesystem::path(opts.studio_dir) / rel;
    if (path.empty() || path.back() == '/') file /= "index.html";
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return nullptr;
    }
    MHD_Response* r = MHD_create_response_from_fd(static_cast<size_t>(st.st_size), fd);  // owns fd now
    if (r == nullptr) {
      ::close(fd);
      return nullptr;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, mime_type(file));
    return r;
  }

  // The library calls this once the headers are in (slot empty), once per piece of body as it
  // arrives (*size > 0), and once the request is in whole (and again after a resume).
  MHD_Result handle(MHD_Connection* c, const char* url, const char* method, const char* data, size_t* size,
                    void** slot) {
    if (*slot == nullptr) {
      auto req = std::make_shared<Request>();
      req->t0 = SteadyClock::now();
      *slot = new RequestSlot(req);
      const std::string path = url ? url : "";
      const std::string verb = method ? method : "";
      Connection* conn = connection_of(c);
      const Endpoint* ep = nullptr;
      for (const auto& e : endpoints) {
        if (path == e.path) ep = &e;
      }
      if (conn && conn->over_cap) {
        Answer a = unavailable(ep ? ep->name : "other", "too_many_connections",
                               "the runner has " + std::to_string(opts.max_connections) +
                                   " connections open; retry later");
        a.close = true;
        return answer(c, a);
      }
      if (Api::is_route(verb, path)) {
        req->api = true;
        req->path = path;
        req->method = verb;
        ApiRequest ar = api_request(c, *req, nullptr);
        if (stopping) {
          Answer a = answer_of_api(api->error(ar, 503, "unavailable", "the runner is shutting down; retry later"));
          a.headers.emplace_back("Retry-After", "5");
          a.close = true;
          return answer(c, a);
        }
        // As for the ingest: what the headers decide comes before any of the body is kept.
        if (std::optional<ApiAnswer> early = api->before_body(ar)) {
          req->refused = answer_of_api(*early);
        } else if (std::string length = header_of(c, "Content-Length");
                   !length.empty() && std::strtoull(length.c_str(), nullptr, 10) > opts.max_body_bytes) {
          req->refused = answer_of_api(api->error(ar, 413, "too_large", too_large_message()));
        }
        if (req->refused && header_of(c, "Expect").find("100-continue") != std::string::npos) {
          req->refused->close = true;
          return answer(c, *req->refused);
        }
        return MHD_YES;
      }
      if (ep == nullptr || verb != "POST") {
        // Answered once read: an answer queued now would end the connection (see below).
        req->path = path;
        req->method = verb;
        return MHD_YES;
      }
      req->endpoint = ep;
      if (stopping) {
        Answer a = unavailable(ep->name, "unavailable", "the runner is shutting down");
        a.close = true;
        return answer(c, a);
      }
      // What the headers alone decide comes before any of the body is kept: a refused request's
      // body is read and dropped (within the request deadline), and the answer comes after it,
      // so that the client, still sending, reads it. A client that waits for "100 Continue"
      // is answered at once instead (the connection then ends).
      HttpInput in = input_of(c, nullptr);
      if (std::optional<Decoded> early = ep->before_body(c, in); early && !early->ok) {
        req->refused = refuse(ep->name, early->refusal);
        if (early->refusal.status == 401 && std::string(ep->name) == "events") {
          req->refused->headers.emplace_back("WWW-Authenticate", "Bearer");
        }
      } else if (std::string length = header_of(c, "Content-Length");
                 !length.empty() && std::strtoull(length.c_str(), nullptr, 10) > opts.max_body_bytes) {
        metrics.add("shopflow_requests_rejected_total", {{"endpoint", ep->name}, {"reason", "too_large"}});
        req->refused = too_large();
      }
      if (req->refused && header_of(c, "Expect").find("100-continue") != std::string::npos) {
        req->refused->close = true;
        return answer(c, *req->refused);
      }
      return MHD_YES;
    }
    RequestSlot req = *static_cast<RequestSlot*>(*slot);
    if (*size > 0) {
      // The body as it arrives (chunked or not), never held past the limit.
      size_t n = *size;
      *size = 0;
      if (!req->over && !req->refused && (req->endpoint != nullptr || req->api)) {
        if (n > opts.max_body_bytes - req->body.size()) {
          req->over = true;
          std::string().swap(req->body);
        } else {
          req->body.append(data, n);
        }
      }
      return MHD_YES;
    }
    if (req->api) return answer_api(c, req);
    if (req->endpoint == nullptr) return answer_other(c, req->path, req->method);
    const Endpoint& ep = *req->endpoint;
    if (req->result) return answer(c, answer_of(ep, *req->result, req->t0));
    if (req->refused) return answer(c, *req->refused);
    if (req->over) {
      Refusal r;
      r.status = 413;
      r.code = "too_large";
      r.message = "the request body is over the limit of " + std::to_string(opts.max_body_bytes) + " bytes";
      return answer(c, refuse(ep.name, r));
    }
    HttpInput in = input_of(c, &req->body);
    Decoded d = ep.decode(in);
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
    if (!d.ok) return answer(c, refuse(ep.name, d.refusal));
    if (d.events.empty()) {
      SubmitResult none;
      none.ok = true;
      return answer(c, answer_of(ep, none, req->t0));
    }
    {
      std::lock_guard<std::mutex> lock(run_mu);
      if (stopping) {
        Answer a = unavailable(ep.name, "unavailable", "the runner is shutting down");
        a.close = true;
        return answer(c, a);
      }
      ++answering;
      req->submitted = true;
    }
    // The connection waits for the group commit, its thread does not: it is suspended here and
    // resumed by the engine thread, and this is called again to answer.
    answering_now(c);
    MHD_suspend_connection(c);
    auto resume = [this, c, req](SubmitResult r) {
      std::lock_guard<std::mutex> lock(resume_mu);
      req->result = std::move(r);
      if (!daemon_gone) MHD_resume_connection(c);
    };
    if (!pipeline->submit_async(std::move(d.events), resume)) resume(SubmitResult{false, "the runner is shutting down", 0, 0});
    return MHD_YES;
  }

  std::string too_large_message() const {
    return "the request body is over the limit of " + std::to_string(opts.max_body_bytes) + " bytes";
  }

  static ApiRequest api_request(MHD_Connection* c, const Request& req, const std::string* body) {
    ApiRequest ar;
    ar.method = req.method;
    ar.path = req.path;
    ar.query = [c](const std::string& name) {
      const char* v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name.c_str());
      return std::string(v ? v : "");
    };
    ar.header = [c](const std::string& name) { return header_of(c, name); };
    ar.body = body;
    return ar;
  }

  // An API request read in whole (or refused from its headers, or resumed with its answer).
  MHD_Result answer_api(MHD_Connection* c, const RequestSlot& req) {
    if (req->later) return answer(c, counted(*req, answer_of_api(*req->later)));
    if (req->refused) return answer(c, counted(*req, *req->refused));
    ApiRequest ar = api_request(c, *req, &req->body);
    if (req->over) return answer(c, counted(*req, answer_of_api(api->error(ar, 413, "too_large", too_large_message()))));
    ApiAnswer a = api->answer(ar);
    if (a.stream) {
      answering_now(c);
      count_api(*req, a.status);
      return queue_streamed(c, a);
    }
    if (!a.later) return answer(c, counted(*req, answer_of_api(a)));
    {
      std::lock_guard<std::mutex> lock(run_mu);
      if (stopping) {
        Answer busy = answer_of_api(api->error(ar, 503, "unavailable", "the runner is shutting down; retry later"));
        busy.close = true;
        return answer(c, busy);
      }
      ++answering;
      req->submitted = true;
    }
    // The connection waits for the worker, its thread does not (as for a group commit).
    answering_now(c);
    MHD_suspend_connection(c);
    std::function<ApiAnswer()> work = std::move(a.later);
    {
      std::lock_guard<std::mutex> lock(jobs_mu);
      jobs.push_back([this, c, req, work = std::move(work)] {
        ApiAnswer done = work();
        std::lock_guard<std::mutex> resume_lock(resume_mu);
        req->later = std::move(done);
        if (!daemon_gone) MHD_resume_connection(c);
      });
    }
    jobs_cv.notify_one();
    return MHD_YES;
  }

  // Counts an API answer; a refused token is logged (where and why, never the token).
  void count_api(const Request& req, int status) {
    const char* route = Api::route_name(req.path);
    metrics.add("shopflow_api_requests_total", {{"route", route}, {"status", std::to_string(status)}});
    if (status == 401 || status == 403) {
      log_warn("api request refused", {{"route", route}, {"method", req.method}, {"status", status}});
    }
  }
  Answer counted(const Request& req, Answer a) {
    count_api(req, a.status);
    return a;
  }

  void work_loop() {
    std::unique_lock<std::mutex> lock(jobs_mu);
    for (;;) {
      jobs_cv.wait(lock, [&] { return jobs_stop || !jobs.empty(); });
      if (jobs_stop) return;
      auto job = std::move(jobs.front());
      jobs.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  void stop_worker() {
    {
      std::lock_guard<std::mutex> lock(jobs_mu);
      jobs_stop = true;
    }
    jobs_cv.notify_all();
    if (worker.joinable()) worker.join();
  }

  std::string current_version() {
    std::lock_guard<std::mutex> lock(version_mu);
    return bundle_version;
  }

  // Keeps the bundle's text and a history row in the store: every version run can be rolled
  // back to, and the API tells which version each run started under.
  Status record_version(const std::string& version, const std::string& text, const std::string& source) {
    auto store = open_store(opts.db_path);
    if (!store) return store.error();
    if (auto st = store.value()->bundle_version_add(version, text, system_now_ms(), source); !st) return st;
    std::lock_guard<std::mutex> lock(version_mu);
    if (version != bundle_version) {
      if (!bundle_version.empty()) metrics.set("shopflow_bundle_info", {{"version", bundle_version}}, 0);
      metrics.set("shopflow_bundle_info", {{"version", version}}, 1);
    }
    bundle_version = version;
    return Status::Ok();
  }

  // Swaps a bundle without problems in (SIGHUP, deploy, rollback): its calls must go where the
  // deployment config allows, its engine must open; then the engine thread takes it between
  // two batches, and every event after this returns runs in it.
  Status swap_in(const std::string& text, Bundle bundle, const std::string& source) {
    std::lock_guard<std::mutex> lock(bundle_mu);
    if (auto st = egress_check_bundle(deliverer->config().calls, bundle); !st) return st;
    auto engine = open_engine(bundle, bundle_version_of(text));
    if (!engine) return Error{engine.error().message, "", 0, 0};
    if (auto st = record_version(bundle_version_of(text), text, source); !st) return st;
    learn_emitted_types(bundle);
    pipeline->replace_engine(std::move(engine.value()));
    log_info("bundle swapped in", {{"source", source}, {"bundle", bundle.name}, {"version", current_version()}});
    return Status::Ok();
  }

  Answer answer_of(const Endpoint& ep, const SubmitResult& s, SteadyClock::time_point t0) {
    if (!s.ok) return unavailable(ep.name, "unavailable", s.error);
    metrics.add("shopflow_events_accepted_total", {{"endpoint", ep.name}}, static_cast<double>(s.accepted));
    metrics.add("shopflow_events_duplicate_total", {{"endpoint", ep.name}}, static_cast<double>(s.duplicates));
    metrics.observe("shopflow_request_seconds", {{"endpoint", ep.name}},
                    std::chrono::duration<double>(SteadyClock::now() - t0).count());
    return json_answer(202, Json{{"accepted", s.accepted}, {"duplicates", s.duplicates}});
  }

  void completed(MHD_Connection* c, void** slot) {
    if (*slot == nullptr) return;
    auto* req = static_cast<RequestSlot*>(*slot);
    if ((*req)->submitted) {
      std::lock_guard<std::mutex> lock(run_mu);
      --answering;
      run_cv.notify_all();
    }
    delete req;
    *slot = nullptr;
    // The next request on this connection (or its idling) has a deadline of its own.
    if (Connection* conn = connection_of(c)) {
      std::lock_guard<std::mutex> lock(conn_mu);
      conn->deadline = SteadyClock::now() + std::chrono::seconds(opts.request_deadline_seconds);
    }
  }

  void connection_event(MHD_Connection* c, void** context, MHD_ConnectionNotificationCode what) {
    if (what == MHD_CONNECTION_NOTIFY_STARTED) {
      auto* conn = new Connection;
      const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
      conn->fd = info ? info->connect_fd : -1;
      conn->deadline = SteadyClock::now() + std::chrono::seconds(opts.request_deadline_seconds);
      size_t count;
      {
        std::lock_guard<std::mutex> lock(conn_mu);
        conn->over_cap = connections.size() >= static_cast<size_t>(opts.max_connections);
        connections.insert(conn);
        count = connections.size();
      }
      *context = conn;
      metrics.set("shopflow_http_connections", {}, static_cast<double>(count));
    } else if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
      // Called before the library closes the socket: the reaper never touches a reused fd.
      auto* conn = static_cast<Connection*>(*context);
      if (conn == nullptr) return;
      size_t count;
      {
        std::lock_guard<std::mutex> lock(conn_mu);
        connections.erase(conn);
        count = connections.size();
      }
      delete conn;
      *context = nullptr;
      metrics.set("shopflow_http_connections", {}, static_cast<double>(count));
    }
  }

  // Ends the connections whose request is not in whole by its deadline (a client trickling its
  // headers or body in, or idling): shutting the socket down wakes the library, which closes it.
  void reap_loop() {
    std::unique_lock<std::mutex> reap_lock(reap_mu);
    while (!reap_stop) {
      reap_cv.wait_for(reap_lock, std::chrono::milliseconds(200));
      auto now = SteadyClock::now();
      size_t reaped = 0;
      {
        std::lock_guard<std::mutex> lock(conn_mu);
        for (Connection* conn : connections) {
          if (conn->reaped || conn->deadline > now || conn->fd < 0) continue;
          ::shutdown(conn->fd, SHUT_RDWR);
          conn->reaped = true;
          ++reaped;
        }
      }
      if (reaped > 0) metrics.add("shopflow_http_connections_closed_total", {{"reason", "deadline"}}, static_cast<double>(reaped));
    }
  }

  // `version`: the bundle text's XXH3-64 (the version the API lists), recorded in its runs.
  Result<std::unique_ptr<Engine>> open_engine(Bundle bundle, const std::string& version) {
    auto store = open_store(opts.db_path);
    if (!store) return Error{"cannot open the store " + redact_store_url(opts.db_path) + ": " + store.error().message, "", 0, 0};
    // The pipeline's own connection checkpoints a SQLite file's log; the engine's commits never do.
    if (auto st = store.value()->auto_checkpoint(false); !st) return st.error();
    if (auto st = store.value()->set_owner(owner, opts.lease_ms); !st) return st.error();
    EngineOptions eo;
    eo.request = request_port(deliverer);
    eo.explain = true;
    eo.store_rejections = true;  // `shopflow runs --rejected`; pruned by age (PipelineOptions)
    eo.bundle_version = version;
    return Engine::open(std::move(bundle), std::move(store.value()), eo);
  }

  Status start_daemon();
};

Status HttpServer::Impl::start_daemon() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(opts.port);
  if (getaddrinfo(opts.host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return Error{"cannot listen on " + opts.host + ":" + port + " (not an address of this machine); choose another with --listen",
                 "", 0, 0};
  }
  // Each connection is one descriptor: make room for the cap, its spares and the store's files.
  const rlim_t wanted = static_cast<rlim_t>(opts.max_connections + kSpareConnections + 64);
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < wanted) {
    files.rlim_cur = std::min(wanted, files.rlim_max);
    setrlimit(RLIMIT_NOFILE, &files);
  }
  MHD_AccessHandlerCallback on_request = [](void* cls, MHD_Connection* c, const char* url, const char* method,
                                            const char*, const char* data, size_t* size, void** slot) {
    return static_cast<Impl*>(cls)->handle(c, url, method, data, size, slot);
  };
  MHD_RequestCompletedCallback on_completed = [](void* cls, MHD_Connection* c, void** slot, MHD_RequestTerminationCode) {
    static_cast<Impl*>(cls)->completed(c, slot);
  };
  MHD_NotifyConnectionCallback on_connection = [](void* cls, MHD_Connection* c, void** context,
                                                  MHD_ConnectionNotificationCode what) {
    static_cast<Impl*>(cls)->connection_event(c, context, what);
  };
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
  if (found->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
  daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, on_request, this,
      MHD_OPTION_SOCK_ADDR, found->ai_addr,
      MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(std::max(1, opts.threads)),
      MHD_OPTION_THREAD_STACK_SIZE, static_cast<size_t>(8 << 20),
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(opts.max_connections + kSpareConnections),
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(opts.request_deadline_seconds),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, opts.max_header_bytes,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, this,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, this,
      MHD_OPTION_END);
  freeaddrinfo(found);
  if (daemon == nullptr) {
    return Error{"cannot listen on " + opts.host + ":" + port +
                     " (in use, or not an address of this machine); choose another with --listen",
                 "", 0, 0};
  }
  return Status::Ok();
}

HttpServer::HttpServer(ServeOptions options) : impl_(std::make_unique<Impl>()) { impl_->opts = std::move(options); }
HttpServer::~HttpServer() {
  auto& s = *impl_;
  if (s.daemon != nullptr) {
    {
      std::lock_guard<std::mutex> lock(s.resume_mu);
      s.daemon_gone = true;
    }
    MHD_stop_daemon(s.daemon);
  }
  s.stop_worker();
  {
    std::lock_guard<std::mutex> lock(s.reap_mu);
    s.reap_stop = true;
  }
  s.reap_cv.notify_all();
  if (s.reaper.joinable()) s.reaper.join();
  if (s.pipeline) s.pipeline->stop();
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
  // Effects delivered to a file go next to a SQLite store, or into the working folder.
  std::filesystem::path db(is_postgres_url(s.opts.db_path) ? std::string() : s.opts.db_path);
  std::string default_file = (db.parent_path().empty() ? std::filesystem::path(".") : db.parent_path()) / "effects.jsonl";
  const std::string shown_db = redact_store_url(s.opts.db_path);
  auto delivery = parse_delivery_config(config, default_file, env);
  if (!delivery) return Error{s.opts.config_path + ": " + delivery.error().to_string(), "", 0, 0};
  auto deliverer = std::make_unique<Deliverer>(delivery.value());
  s.deliverer = deliverer.get();

  auto checkpointer = open_store(s.opts.db_path);
  if (!checkpointer) return Error{"cannot open the store " + shown_db + ": " + checkpointer.error().message, "", 0, 0};
  // A store from when the inbox deduplicated on the event id alone: its events get their keys by
  // sender (see inbox_key), so that a retry of one of them is still a duplicate.
  auto rekeyed = checkpointer.value()->inbox_rekey("inbox_keys_by_sender", legacy_inbox_key);
  if (!rekeyed) return Error{"cannot migrate the inbox of " + shown_db + ": " + rekeyed.error().message, "", 0, 0};
  if (rekeyed.value() > 0) log_info("inbox events keyed by sender", {{"events", rekeyed.value()}});
  {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    std::random_device random;
    char tag[16];
    std::snprintf(tag, sizeof tag, "%08x", random());
    s.owner = std::string(host) + ":" + std::to_string(::getpid()) + ":" + tag;
  }
  auto engine = s.open_engine(s.opts.bundle, bundle_version_of(s.opts.bundle_text));
  if (!engine) return engine.error();
  s.learn_emitted_types(s.opts.bundle);
  if (auto st = s.record_version(bundle_version_of(s.opts.bundle_text), s.opts.bundle_text, "start"); !st) {
    return Error{"cannot record the bundle's version in " + s.opts.db_path + ": " + st.error().message, "", 0, 0};
  }
  ApiHooks hooks;
  hooks.current_version = [&s] { return s.current_version(); };
  hooks.swap_in = [&s](const std::string& text, Bundle bundle, const std::string& source) {
    return s.swap_in(text, std::move(bundle), source);
  };
  auto api = Api::open(config, s.opts.db_path, std::move(hooks));
  if (!api) return Error{s.opts.config_path + ": " + api.error().to_string(), "", 0, 0};
  s.api = std::move(api.value());
  PipelineOptions po;
  po.max_wal_bytes = static_cast<std::int64_t>(s.opts.max_wal_bytes);
  po.shared_store = is_postgres_url(s.opts.db_path);
  auto keep = rejections_kept(config);
  if (!keep) return Error{s.opts.config_path + ": " + keep.error().to_string(), "", 0, 0};
  po.keep_rejections_ms = keep.value();
  s.pipeline = std::make_unique<Pipeline>(std::move(engine.value()), std::move(deliverer), s.metrics, system_now_ms, po);
  // PostgreSQL checkpoints its own log: only a SQLite file needs the pipeline's checkpointer.
  if (!is_postgres_url(s.opts.db_path)) s.pipeline->set_checkpointer(std::move(checkpointer.value()));
  if (is_postgres_url(s.opts.db_path)) {
    // The store is across the network: it can go away and come back, and other runners write
    // to it. Wake-ups come from them by NOTIFY; the engine thread's idle look stays the fallback.
    Pipeline* pipeline = s.pipeline.get();
    s.wakeups = std::make_unique<Wakeups>(s.opts.db_path, [pipeline] { pipeline->wake(); }, s.metrics);
    Wakeups* wakeups = s.wakeups.get();
    pipeline->set_announce([wakeups] { wakeups->announce(); });
    auto beat_store = open_store(s.opts.db_path);
    if (!beat_store) return Error{"cannot open the store " + shown_db + ": " + beat_store.error().message, "", 0, 0};
    if (auto st = beat_store.value()->set_owner(s.owner, s.opts.lease_ms); !st) return st.error();
    s.heartbeat_store = std::move(beat_store.value());
    Store* beat = s.heartbeat_store.get();
    s.heartbeat = std::make_unique<Heartbeat>([beat] { return beat->renew_leases(); }, s.opts.lease_ms / 3, s.metrics);
  }

  if (!s.opts.studio_dir.empty() && !std::filesystem::is_directory(s.opts.studio_dir)) {
    return Error{"--studio " + s.opts.studio_dir + " is not a folder (build the wasm preset first)", "", 0, 0};
  }
  s.make_endpoints();
  if (auto st = s.start_daemon(); !st) return st;
  if (s.secrets.shopify.empty()) log_warn("Shopify webhooks will be refused: SHOPFLOW_SHOPIFY_SECRET is not set", {});
  if (s.api_token.empty()) log_warn("/v1/events takes no token: SHOPFLOW_API_TOKEN is not set (loopback only)", {});
  if (!s.api->enabled()) {
    log_info("the runner's API (GET /v1/...) is off: set SHOPFLOW_API_READ_TOKEN or SHOPFLOW_API_ADMIN_TOKEN to turn it on", {});
  }
  s.worker = std::thread([&s] { s.work_loop(); });
  return Status::Ok();
}

int HttpServer::run() {
  auto& s = *impl_;
  s.pipeline->start();
  if (s.wakeups) s.wakeups->start();
  if (s.heartbeat) s.heartbeat->start();
  s.reaper = std::thread([&s] { s.reap_loop(); });
  log_info("serving", {{"bundle", s.opts.bundle.name},
                       {"version", s.opts.bundle.version},
                       {"bundle_version", s.opts.bundle_version},
                       {"owner", s.owner},
                       {"workflows", s.opts.bundle.workflows.size()},
                       {"listen", "http://" + s.opts.host + ":" + std::to_string(s.opts.port) + "/"},
                       {"db", redact_store_url(s.opts.db_path)},
                       {"studio", s.opts.studio_dir}});
  {
    std::unique_lock<std::mutex> lock(s.run_mu);
    s.run_cv.wait(lock, [&] { return s.quiesced; });
    // The requests whose events were submitted are answered; nothing else is waited for.
    if (!s.run_cv.wait_for(lock, Impl::kAnswerGrace, [&] { return s.answering == 0; })) {
      // The store is slow: the pipeline finishes what it was given (resuming those requests),
      // and the library may be stopped only once no connection is left suspended.
      lock.unlock();
      s.pipeline->stop();
      lock.lock();
      s.run_cv.wait_for(lock, std::chrono::seconds(1), [&] { return s.answering == 0; });
    }
  }
  {
    std::lock_guard<std::mutex> lock(s.resume_mu);
    s.daemon_gone = true;
  }
  MHD_stop_daemon(s.daemon);
  s.daemon = nullptr;
  if (s.quiesced_fd >= 0) ::close(s.quiesced_fd);
  {
    std::lock_guard<std::mutex> lock(s.reap_mu);
    s.reap_stop = true;
  }
  s.reap_cv.notify_all();
  s.reaper.join();
  s.stop_worker();
  s.pipeline->stop();
  if (s.wakeups) s.wakeups->stop();
  if (s.heartbeat) {
    s.heartbeat->stop();
    // What this runner still holds (effects not delivered, events not run) is free for the
    // others at once rather than when its leases run out.
    if (auto st = s.heartbeat_store->release_leases(); !st) log_warn("cannot release leases", {{"error", st.error().message}});
  }
  log_info("stopped", {});
  return 0;
}

void HttpServer::stop() {
  auto& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.run_mu);
    if (s.stopping) return;
    s.stopping = true;
  }
  // No new connection: the listening socket is no longer watched (closed once stopped).
  int fd = s.daemon != nullptr ? MHD_quiesce_daemon(s.daemon) : -1;
  {
    std::lock_guard<std::mutex> lock(s.run_mu);
    s.quiesced_fd = fd;
    s.quiesced = true;
  }
  s.run_cv.notify_all();
}

void HttpServer::abandon() {
  impl_->pipeline->stop();
  log_warn("stopped without answering requests still waiting for the store", {});
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
  // A bundle that calls where the deployment config does not allow is refused, naming the step.
  if (auto st = egress_check_bundle(s.deliverer->config().calls, loaded.value().bundle); !st) {
    s.metrics.add("shopflow_bundle_reloads_total", {{"outcome", "refused"}});
    log_error("reload refused: the bundle calls a host the deployment config does not allow; the old one keeps running",
              {{"path", s.opts.bundle_path}, {"error", st.error().to_string()}});
    return;
  }
  if (auto st = s.swap_in(*text, std::move(loaded.value().bundle), "reload"); !st) {
    s.metrics.add("shopflow_bundle_reloads_total", {{"outcome", "refused"}});
    log_error("reload refused; the old bundle keeps running", {{"error", st.error().to_string()}});
    return;
  }
  s.metrics.add("shopflow_bundle_reloads_total", {{"outcome", "applied"}});
}

}  // namespace shopflow::runner
