#include "api.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>

#include "bundle_vetting.hpp"
#include "log.hpp"
#include "shopflow/instant.hpp"
#include "shopflow/open_store.hpp"
#include "shopflow/simulator.hpp"
#include "shopflow/store.hpp"
#include "webhooks.hpp"

namespace shopflow::runner {

namespace {

constexpr size_t kEventsDefault = 1000, kEventsMax = 100000;
constexpr size_t kRunsDefault = 1000, kRunsMax = 10000;
constexpr size_t kEffectsDefault = 1000, kEffectsMax = 10000;
constexpr size_t kHistoryMax = 1000;
constexpr size_t kStreamBatch = 256;  // events read from the store per piece of a streamed answer
constexpr size_t kRunStreamBatch = 64;  // runs with their steps per piece (each is read, parsed and redacted)
constexpr const char* kKeyMeta = "api_pseudonym_key";
constexpr const char* kHowToTurnOn =
    "the runner's API is off: set SHOPFLOW_API_READ_TOKEN (reads) and/or SHOPFLOW_API_ADMIN_TOKEN (reads and "
    "deploys) in the runner's environment and restart it";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

ApiAnswer json_answer(int status, const Json& body) {
  ApiAnswer a;
  a.status = status;
  // Replacing what is not UTF-8: stored events are the senders' text.
  a.body = body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  return a;
}

ApiAnswer api_error(int status, const std::string& code, const std::string& message) {
  return json_answer(status, Json{{"error", code}, {"message", message}});
}

// RFC 3339 with milliseconds always: "2026-03-01T09:30:00.000Z".
std::string rfc3339_ms(Millis ms) {
  std::string s = format_instant(ms);
  if (s.find('.') == std::string::npos && !s.empty() && s.back() == 'Z') s.insert(s.size() - 1, ".000");
  return s;
}

std::string sha256(std::string_view s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// Compares digests, so the time taken says nothing of where, or whether in length, they differ.
bool same_secret(std::string_view got, std::string_view want) {
  if (want.empty()) return false;
  std::string a = sha256(got), b = sha256(want);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The stored JSON text as a value (text that does not parse stays a string).
Json json_of(const std::string& text) {
  if (text.empty()) return nullptr;
  auto doc = parse_json(text, "stored JSON");
  return doc ? std::move(doc.value()) : Json(text);
}

// ?after=SEQ&limit=N, each checked: nullopt when fine, else the 400 to answer.
struct Page {
  std::int64_t after = 0;
  size_t limit = 0;
};
std::optional<ApiAnswer> read_page(const ApiRequest& r, size_t fallback, size_t most, Page* page) {
  page->limit = fallback;
  for (const char* name : {"after", "limit"}) {
    std::string v = r.query(name);
    if (v.empty()) continue;
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(v.c_str(), &end, 10);
    bool ok = errno == 0 && end && *end == '\0' && n >= (name[0] == 'a' ? 0 : 1);
    if (!ok || (name[0] == 'l' && static_cast<unsigned long long>(n) > most)) {
      return api_error(400, "bad_query",
                       std::string(name) + "=" + v + " is not " +
                           (name[0] == 'a' ? "a sequence number (0 or more; the Shopflow-Next-After or next_after of the previous page)"
                                           : "a number from 1 to " + std::to_string(most)));
    }
    if (name[0] == 'a') {
      page->after = n;
    } else {
      page->limit = static_cast<size_t>(n);
    }
  }
  return std::nullopt;
}

// ?since=T&until=T (RFC 3339): the range [since, until).
std::optional<ApiAnswer> read_range(const ApiRequest& r, Millis* since, Millis* until) {
  for (const char* name : {"since", "until"}) {
    std::string v = r.query(name);
    if (v.empty()) continue;
    // An offset's '+' typed into a URL unescaped arrives as a space.
    std::replace(v.begin(), v.end(), ' ', '+');
    auto t = parse_instant(v);
    if (!t) return api_error(400, "bad_query", std::string(name) + "=" + v + ": " + t.error().message);
    *(name[0] == 's' ? since : until) = t.value();
  }
  return std::nullopt;
}

// What the listed fields of a run's event hold, so that the run's steps and effects, which may
// repeat them (an explanation's values, a rendered "Dear Ada"), are redacted alike. None for a
// run without an event (a schedule's).
Result<std::vector<std::string>> known_of_event(Store& store, const std::string& event_id, const Redactor& redactor) {
  if (!redactor.on() || event_id.empty()) return std::vector<std::string>();
  auto body = store.inbox_body(event_id);
  if (!body) return body.error();
  if (!body.value()) return std::vector<std::string>();
  return redactor.known_values(json_of(*body.value()));
}

ApiAnswer store_unavailable(const Error& e) {
  log_error("api: the store failed", {{"error", e.message}});
  return api_error(503, "store_unavailable", "the store did not answer (" + e.message + "); retry later");
}

// The bundle version each run started under, from the history of versions (oldest first).
class VersionAt {
 public:
  explicit VersionAt(std::vector<BundleVersionRow> newest_first) : rows_(std::move(newest_first)) {
    std::reverse(rows_.begin(), rows_.end());
  }
  Json operator()(Millis started) const {
    auto it = std::upper_bound(rows_.begin(), rows_.end(), started,
                               [](Millis t, const BundleVersionRow& row) { return t < row.deployed_at; });
    if (it == rows_.begin()) return nullptr;
    return std::prev(it)->version;
  }

 private:
  std::vector<BundleVersionRow> rows_;
};

Json run_json(const RunRow& r, const VersionAt& version_at, const Redactor& redactor) {
  return Json{{"seq", r.seq},
              {"id", r.id},
              {"workflow", r.workflow},
              {"event_id", r.event_id},
              {"status", r.status},
              {"started", rfc3339_ms(r.started)},
              {"updated", rfc3339_ms(r.updated)},
              {"error", redactor.on() ? redactor.redact_text(r.error) : r.error},
              {"error_step", r.error_step},
              {"bundle_version", r.bundle_version.empty() ? version_at(r.started) : Json(r.bundle_version)}};
}

// A run with its step records, redacted alike wherever they are asked for (GET /v1/runs/{id},
// and each line of GET /v1/runs?steps=true): the values of the run's event's listed fields are
// redacted in its steps too.
Result<Json> run_with_steps(Store& store, const RunRow& row, const VersionAt& version_at, const Redactor& redactor) {
  Json run = run_json(row, version_at, redactor);
  auto known = known_of_event(store, row.event_id, redactor);
  if (!known) return known.error();
  Json steps = json_of(row.steps);
  if (!steps.is_array()) steps = Json::array();
  redactor.redact(steps, &known.value());
  run["steps"] = std::move(steps);
  return run;
}

// GET /v1/runs?steps=true: the page's runs as JSON Lines, each with its steps, streamed.
ApiAnswer runs_with_steps(std::unique_ptr<Store> store, std::vector<RunRow> rows, const Json& next,
                          std::shared_ptr<const VersionAt> version_at, std::shared_ptr<const Redactor> redactor) {
  ApiAnswer a;
  a.content_type = "application/x-ndjson";
  if (!next.is_null()) a.headers.emplace_back("Shopflow-Next-After", next.dump());
  // The page's runs are listed (without their steps) before the first byte, so the header can
  // say whether another page follows; each piece then reads a few runs whole and redacts them.
  struct Cursor {
    std::unique_ptr<Store> store;
    std::vector<RunRow> rows;
    size_t at = 0;
    std::shared_ptr<const VersionAt> version_at;
    std::shared_ptr<const Redactor> redactor;
  };
  auto cur = std::make_shared<Cursor>(Cursor{std::move(store), std::move(rows), 0, std::move(version_at), std::move(redactor)});
  a.stream = [cur](std::string& out) -> StreamStep {
    for (size_t n = 0; n < kRunStreamBatch && cur->at < cur->rows.size(); ++n) {
      const RunRow& listed = cur->rows[cur->at++];
      auto row = cur->store->run_get(listed.id);
      Result<Json> run = row ? Result<Json>(Json()) : Result<Json>(row.error());
      if (row && row.value()) run = run_with_steps(*cur->store, *row.value(), *cur->version_at, *cur->redactor);
      if (!run) {
        log_error("api: the store failed while runs were sent; the answer is cut", {{"error", run.error().message}});
        return StreamStep::Failed;
      }
      if (run.value().is_null()) continue;  // gone since it was listed (the store was truncated)
      out += run.value().dump(-1, ' ', false, Json::error_handler_t::replace);
      out += '\n';
    }
    return cur->at < cur->rows.size() ? StreamStep::More : StreamStep::End;
  };
  return a;
}

}  // namespace

Result<std::unique_ptr<Api>> Api::open(const Json& config, std::string db_path, ApiHooks hooks) {
  std::unique_ptr<Api> api(new Api);
  api->db_path_ = std::move(db_path);
  api->hooks_ = std::move(hooks);
  api->read_token_ = env("SHOPFLOW_API_READ_TOKEN");
  api->admin_token_ = env("SHOPFLOW_API_ADMIN_TOKEN");
  Json settings = config.is_object() && config.contains("api") ? config["api"] : Json(nullptr);
  auto rules = parse_redact_rules(settings);
  if (!rules) return rules.error();
  if (settings.is_object() && settings.contains("cors_origins")) {
    const Json& origins = settings["cors_origins"];
    if (!origins.is_array()) {
      return Error{"\"cors_origins\" must be a list of origins (\"https://studio.example.com\")", "/api/cors_origins", 0, 0};
    }
    for (size_t i = 0; i < origins.size(); ++i) {
      const Json& o = origins[i];
      std::string where = "/api/cors_origins/" + std::to_string(i);
      if (!o.is_string() || o.get<std::string>().find("://") == std::string::npos || o.get<std::string>().back() == '/') {
        return Error{"an origin is a scheme, a host and maybe a port, without a path (\"https://studio.example.com\"); "
                     "\"*\" is not taken: name each origin the API may answer",
                     where, 0, 0};
      }
      api->cors_origins_.push_back(o.get<std::string>());
    }
  }
  std::string key;
  if (api->enabled()) {
    // The pseudonyms' key: made once and kept in the store, so that every runner sharing it,
    // and every restart, gives a value the same pseudonym.
    unsigned char fresh[32];
    if (RAND_bytes(fresh, sizeof fresh) != 1) return Error{"cannot make the pseudonym key: no randomness", "", 0, 0};
    auto store = open_store(api->db_path_);
    if (!store) return store.error();
    auto kept = store.value()->meta_get_or_set(kKeyMeta, hex_encode(std::string_view(reinterpret_cast<char*>(fresh), sizeof fresh)));
    if (!kept) return kept.error();
    key = kept.value();
  }
  api->redactor_ = std::make_shared<const Redactor>(std::move(rules.value()), std::move(key));
  return api;
}

bool Api::is_route(const std::string& method, const std::string& path) {
  if (path != "/v1" && path.rfind("/v1/", 0) != 0) return false;
  return !(path == "/v1/events" && method == "POST");
}

const char* Api::route_name(const std::string& path) {
  if (path == "/v1/events") return "events";
  if (path == "/v1/runs") return "runs";
  if (path.rfind("/v1/runs/", 0) == 0) return "run";
  if (path == "/v1/effects") return "effects";
  if (path == "/v1/bundle") return "bundle";
  if (path == "/v1/bundle/rollback") return "rollback";
  return "other";
}

Api::Role Api::role_of(const ApiRequest& r) const {
  std::string auth = r.header("Authorization");
  const std::string bearer = "Bearer ";
  if (auth.size() <= bearer.size() || auth.compare(0, bearer.size(), bearer) != 0) return Role::None;
  std::string token = auth.substr(bearer.size());
  if (same_secret(token, admin_token_)) return Role::Admin;
  if (same_secret(token, read_token_)) return Role::Read;
  return Role::None;
}

bool Api::origin_allowed(const std::string& origin) const {
  return std::find(cors_origins_.begin(), cors_origins_.end(), origin) != cors_origins_.end();
}

void Api::add_cors(const ApiRequest& r, ApiAnswer& a) const {
  std::string origin = r.header("Origin");
  if (origin.empty() || !origin_allowed(origin)) return;
  a.headers.emplace_back("Access-Control-Allow-Origin", origin);
  a.headers.emplace_back("Vary", "Origin");
  a.headers.emplace_back("Access-Control-Expose-Headers", "Shopflow-Next-After");
}

ApiAnswer Api::error(const ApiRequest& r, int status, const std::string& code, const std::string& message) const {
  ApiAnswer a = api_error(status, code, message);
  add_cors(r, a);
  return a;
}

std::optional<ApiAnswer> Api::before_body(const ApiRequest& r) const {
  if (!enabled()) return api_error(404, "api_off", kHowToTurnOn);
  // Which routes there are, which methods each takes, and whether deploying is what it does.
  struct Route {
    bool match;
    const char* methods;
    const char* admin_method;
  };
  const std::string& p = r.path;
  const Route routes[] = {
      {p == "/v1/events", "GET, HEAD", ""},
      {p == "/v1/runs", "GET, HEAD", ""},
      {p.rfind("/v1/runs/", 0) == 0 && p.size() > 9, "GET, HEAD", ""},
      {p == "/v1/effects", "GET, HEAD", ""},
      {p == "/v1/bundle", "GET, HEAD, PUT", "PUT"},
      {p == "/v1/bundle/rollback", "POST", "POST"},
  };
  const Route* route = nullptr;
  for (const Route& rt : routes) {
    if (rt.match) route = &rt;
  }
  if (route == nullptr) {
    return error(r, 404, "not_found",
                 "no API route " + p + " (GET /v1/events, /v1/runs, /v1/runs/{id}, /v1/effects, /v1/bundle; PUT "
                 "/v1/bundle; POST /v1/bundle/rollback)");
  }
  if (r.method == "OPTIONS") {
    // A browser asking whether it may: only the configured origins get a yes.
    std::string origin = r.header("Origin");
    if (origin.empty() || !origin_allowed(origin)) {
      return api_error(403, "origin_refused",
                       "the origin " + (origin.empty() ? std::string("(none)") : origin) +
                           " may not call this API; list it in the deployment config's \"api\": {\"cors_origins\": [...]}");
    }
    ApiAnswer a;
    a.status = 204;
    a.content_type.clear();
    add_cors(r, a);
    a.headers.emplace_back("Access-Control-Allow-Methods", std::string(route->methods) + ", OPTIONS");
    a.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
    a.headers.emplace_back("Access-Control-Max-Age", "600");
    return a;
  }
  std::string methods = route->methods;
  bool allowed = false;
  for (size_t at = 0; at < methods.size();) {
    size_t end = methods.find(", ", at);
    if (methods.substr(at, end == std::string::npos ? std::string::npos : end - at) == r.method) allowed = true;
    at = end == std::string::npos ? methods.size() : end + 2;
  }
  if (!allowed) {
    ApiAnswer a = error(r, 405, "method_not_allowed", r.method + " " + p + " is not served; it takes " + methods);
    a.headers.emplace_back("Allow", methods);
    return a;
  }
  Role role = role_of(r);
  if (role == Role::None) {
    ApiAnswer a = error(r, 401, "unauthorized",
                        "missing or wrong bearer token: send Authorization: Bearer <SHOPFLOW_API_READ_TOKEN or "
                        "SHOPFLOW_API_ADMIN_TOKEN>");
    a.headers.emplace_back("WWW-Authenticate", "Bearer");
    return a;
  }
  if (r.method == route->admin_method && role != Role::Admin) {
    return error(r, 403, "forbidden",
                 r.method + " " + p + " deploys: it takes the admin token (SHOPFLOW_API_ADMIN_TOKEN), not the read token");
  }
  return std::nullopt;
}

ApiAnswer Api::answer(const ApiRequest& r) const {
  ApiAnswer a;
  const std::string& p = r.path;
  if (p == "/v1/events") {
    a = events(r);
  } else if (p == "/v1/runs") {
    a = runs(r);
  } else if (p.rfind("/v1/runs/", 0) == 0) {
    a = run(r, p.substr(9));
  } else if (p == "/v1/effects") {
    a = effects(r);
  } else if (p == "/v1/bundle" && r.method == "PUT") {
    a = deploy(r);
  } else if (p == "/v1/bundle") {
    a = bundle(r);
  } else {
    a = rollback(r);
  }
  if (a.later) {
    // The answer comes from another thread: its CORS headers go with it.
    auto later = std::move(a.later);
    ApiAnswer probe;
    add_cors(r, probe);
    a.later = [later, cors = std::move(probe.headers)]() {
      ApiAnswer done = later();
      done.headers.insert(done.headers.end(), cors.begin(), cors.end());
      return done;
    };
    return a;
  }
  add_cors(r, a);
  return a;
}

ApiAnswer Api::events(const ApiRequest& r) const {
  Page page;
  if (auto bad = read_page(r, kEventsDefault, kEventsMax, &page)) return *bad;
  InboxQuery q;
  if (auto bad = read_range(r, &q.since, &q.until)) return *bad;
  q.type = r.query("type");
  auto store = open_store(db_path_);
  if (!store) return store_unavailable(store.error());
  // Where this page ends, and whether another follows: the page's last event and the next one.
  auto ends = store.value()->inbox_outside_seqs(q, page.after, page.limit - 1, 2);
  if (!ends) return store_unavailable(ends.error());
  ApiAnswer a;
  a.content_type = "application/x-ndjson";
  if (ends.value().size() == 2) a.headers.emplace_back("Shopflow-Next-After", std::to_string(ends.value()[0]));
  struct Cursor {
    std::unique_ptr<Store> store;
    InboxQuery q;
    std::int64_t after;
    size_t left;
    std::shared_ptr<const Redactor> redactor;
  };
  auto cur = std::make_shared<Cursor>(Cursor{std::move(store.value()), q, page.after, page.limit, redactor_});
  a.stream = [cur](std::string& out) -> StreamStep {
    if (cur->left == 0) return StreamStep::End;
    auto rows = cur->store->inbox_outside(cur->q, cur->after, std::min(kStreamBatch, cur->left));
    if (!rows) {
      log_error("api: the store failed while events were sent; the answer is cut", {{"error", rows.error().message}});
      return StreamStep::Failed;
    }
    if (rows.value().empty()) return StreamStep::End;
    for (InboxRow& row : rows.value()) {
      Json ev = json_of(row.body);
      std::vector<std::string> known = cur->redactor->known_values(ev);
      cur->redactor->redact(ev, &known);
      Json line = {{"seq", row.seq}, {"received", rfc3339_ms(row.received != 0 ? row.received : row.time)},
                   {"key", row.id}, {"event", std::move(ev)}};
      out += line.dump(-1, ' ', false, Json::error_handler_t::replace);
      out += '\n';
      cur->after = row.seq;
      --cur->left;
    }
    return cur->left == 0 ? StreamStep::End : StreamStep::More;
  };
  return a;
}

ApiAnswer Api::runs(const ApiRequest& r) const {
  const std::string with_steps = r.query("steps");
  if (!with_steps.empty() && with_steps != "true" && with_steps != "false") {
    return api_error(400, "bad_query", "steps=" + with_steps + " is not true or false");
  }
  Page page;
  if (auto bad = read_page(r, kRunsDefault, kRunsMax, &page)) return *bad;
  RunQuery q;
  if (auto bad = read_range(r, &q.since, &q.until)) return *bad;
  q.workflow = r.query("workflow");
  auto store = open_store(db_path_);
  if (!store) return store_unavailable(store.error());
  auto rows = store.value()->runs_matching(q, page.after, page.limit + 1);
  if (!rows) return store_unavailable(rows.error());
  auto history = store.value()->bundle_history(SIZE_MAX);
  if (!history) return store_unavailable(history.error());
  auto version_at = std::make_shared<const VersionAt>(std::move(history.value()));
  Json next = nullptr;
  if (rows.value().size() > page.limit) {
    rows.value().pop_back();
    next = rows.value().back().seq;
  }
  if (with_steps == "true") {
    return runs_with_steps(std::move(store.value()), std::move(rows.value()), next, std::move(version_at), redactor_);
  }
  Json list = Json::array();
  for (const RunRow& row : rows.value()) list.push_back(run_json(row, *version_at, *redactor_));
  ApiAnswer a = json_answer(200, Json{{"runs", std::move(list)}, {"next_after", next}});
  if (!next.is_null()) a.headers.emplace_back("Shopflow-Next-After", next.dump());
  return a;
}

ApiAnswer Api::run(const ApiRequest&, const std::string& id) const {
  auto store = open_store(db_path_);
  if (!store) return store_unavailable(store.error());
  auto row = store.value()->run_get(id);
  if (!row) return store_unavailable(row.error());
  if (!row.value()) return api_error(404, "not_found", "no run " + id + " in the store (run ids are listed by GET /v1/runs)");
  auto history = store.value()->bundle_history(SIZE_MAX);
  if (!history) return store_unavailable(history.error());
  auto run = run_with_steps(*store.value(), *row.value(), VersionAt(std::move(history.value())), *redactor_);
  if (!run) return store_unavailable(run.error());
  return json_answer(200, Json{{"run", std::move(run.value())}});
}

ApiAnswer Api::effects(const ApiRequest& r) const {
  Page page;
  if (auto bad = read_page(r, kEffectsDefault, kEffectsMax, &page)) return *bad;
  auto store = open_store(db_path_);
  if (!store) return store_unavailable(store.error());
  auto rows = store.value()->effects_of_run(r.query("run"), page.after, page.limit + 1);
  if (!rows) return store_unavailable(rows.error());
  Json next = nullptr;
  if (rows.value().size() > page.limit) {
    rows.value().pop_back();
    next = rows.value().back().seq;
  }
  Json list = Json::array();
  std::map<std::string, std::vector<std::string>> known_by_run;
  for (const EffectRow& e : rows.value()) {
    auto known = known_by_run.find(e.run_id);
    if (known == known_by_run.end() && redactor_->on()) {
      auto run = store.value()->run_get(e.run_id);
      if (!run) return store_unavailable(run.error());
      auto values = known_of_event(*store.value(), run.value() ? run.value()->event_id : std::string(), *redactor_);
      if (!values) return store_unavailable(values.error());
      known = known_by_run.emplace(e.run_id, std::move(values.value())).first;
    }
    Json params = json_of(e.params);
    redactor_->redact(params, known == known_by_run.end() ? nullptr : &known->second);
    list.push_back(Json{{"seq", e.seq},
                        {"id", e.id},
                        {"run_id", e.run_id},
                        {"path", e.path},
                        {"type", e.type},
                        {"params", std::move(params)},
                        {"status", e.status},
                        {"attempts", e.attempts},
                        {"created", rfc3339_ms(e.created)},
                        {"last_error", redactor_->on() ? redactor_->redact_text(e.last_error) : e.last_error}});
  }
  ApiAnswer a = json_answer(200, Json{{"effects", std::move(list)}, {"next_after", next}});
  if (!next.is_null()) a.headers.emplace_back("Shopflow-Next-After", next.dump());
  return a;
}

ApiAnswer Api::bundle(const ApiRequest&) const {
  auto store = open_store(db_path_);
  if (!store) return store_unavailable(store.error());
  std::string version = hooks_.current_version();
  auto text = store.value()->bundle_text(version);
  if (!text) return store_unavailable(text.error());
  auto history = store.value()->bundle_history(kHistoryMax);
  if (!history) return store_unavailable(history.error());
  Json list = Json::array();
  for (const BundleVersionRow& h : history.value()) {
    list.push_back(Json{{"version", h.version}, {"deployed_at", rfc3339_ms(h.deployed_at)}, {"source", h.source}});
  }
  // The bundle is the analysts' own text, samples included: it is not redacted.
  Json bundle = text.value() ? json_of(*text.value()) : Json(nullptr);
  return json_answer(200, Json{{"version", version}, {"bundle", std::move(bundle)}, {"history", std::move(list)}});
}

ApiAnswer Api::deploy(const ApiRequest& r) const {
  ApiAnswer a;
  std::string text = r.body ? *r.body : std::string();
  a.later = [this, text = std::move(text)]() -> ApiAnswer {
    BundleVetting vetting = vet_bundle_text(text);
    if (!vetting.passed()) {
      Json problems = Json::array();
      for (const Problem& p : vetting.check.problems) problems.push_back(Json{{"pointer", p.pointer}, {"message", p.message}});
      Json failed = Json::array();
      for (const TestOutcome& t : vetting.tests) {
        if (!t.passed) failed.push_back(Json{{"name", t.name}, {"diff", t.diff}});
      }
      std::string message = std::to_string(problems.size()) + " problem" + (problems.size() == 1 ? "" : "s") + " and " +
                            std::to_string(failed.size()) + " failed test" + (failed.size() == 1 ? "" : "s") +
                            "; the running bundle is unchanged (shopflow validate and shopflow test show the same)";
      log_warn("deploy refused", {{"problems", problems.size()}, {"failed_tests", failed.size()}});
      return json_answer(422, Json{{"error", "bundle_refused"},
                                   {"message", message},
                                   {"problems", std::move(problems)},
                                   {"failed_tests", std::move(failed)}});
    }
    std::string version = trace_hash_hex(text);
    if (auto st = hooks_.swap_in(text, std::move(vetting.check.bundle), "deploy"); !st) {
      const Error& e = st.error();
      if (e.pointer.empty()) return api_error(503, "deploy_failed", e.message + "; the running bundle is unchanged");
      return json_answer(422, Json{{"error", "bundle_refused"},
                                   {"message", e.to_string()},
                                   {"problems", Json::array({Json{{"pointer", e.pointer}, {"message", e.message}}})},
                                   {"failed_tests", Json::array()}});
    }
    return json_answer(200, Json{{"version", version}});
  };
  return a;
}

ApiAnswer Api::rollback(const ApiRequest& r) const {
  auto doc = parse_json(r.body ? *r.body : std::string(), "the request body");
  if (!doc || !doc.value().is_object() || !doc.value().contains("version") || !doc.value()["version"].is_string()) {
    return api_error(400, "bad_request", "the body must be {\"version\": \"<16 hex digits>\"}, a version GET /v1/bundle lists");
  }
  std::string version = doc.value()["version"].get<std::string>();
  auto store = open_store(db_path_);
  if (!store) return store_unavailable(store.error());
  auto text = store.value()->bundle_text(version);
  if (!text) return store_unavailable(text.error());
  if (!text.value()) {
    return api_error(404, "unknown_version", "no bundle version " + version + " in the store (GET /v1/bundle lists them)");
  }
  ApiAnswer a;
  a.later = [this, version, text = std::move(*text.value())]() -> ApiAnswer {
    auto loaded = load_bundle(text);
    if (!loaded || !loaded.value().ok()) {
      return api_error(422, "bundle_refused",
                       "version " + version + " no longer validates with this runner (" +
                           (loaded ? loaded.value().problems.front().to_string() : loaded.error().to_string()) + ")");
    }
    if (auto st = hooks_.swap_in(text, std::move(loaded.value().bundle), "rollback"); !st) {
      return api_error(st.error().pointer.empty() ? 503 : 422, st.error().pointer.empty() ? "deploy_failed" : "bundle_refused",
                       st.error().to_string() + "; the running bundle is unchanged");
    }
    return json_answer(200, Json{{"version", version}});
  };
  return a;
}

}  // namespace shopflow::runner
