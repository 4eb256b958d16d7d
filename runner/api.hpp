// The runner's API under /v1, served by `shopflow serve` beside the webhooks (README "The
// runner's API"; internals in runner/API.md): the recorded events as JSON Lines, runs with
// their steps, effects, and the bundle versions, with deploy and rollback.
//
// Two bearer tokens from the environment: SHOPFLOW_API_READ_TOKEN reads, SHOPFLOW_API_ADMIN_TOKEN
// reads and deploys; neither set, the API is off. Every answer is redacted (runner/redact.hpp)
// unless the deployment config says "api": {"redact": false}. Cross-origin requests are
// answered only for the config's "api": {"cors_origins": [...]}.
//
// Reads go through a store connection of the request's own, never through the engine's; a long
// list of events is written as it is sent, a page of rows at a time, so memory stays bounded
// whatever the page size. A deploy vets the bundle (runner/bundle_vetting.hpp) on a thread of
// its own and swaps it in through the server's hook, as SIGHUP does. Knows nothing of HTTP
// libraries: runner/http_server.cpp turns ApiAnswer into libmicrohttpd responses.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "redact.hpp"
#include "shopflow/bundle.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow::runner {

struct ApiRequest {
  std::string method;  // GET, PUT, POST, OPTIONS...
  std::string path;    // unescaped: "/v1/runs/confirm:ce:/shop#1"
  std::function<std::string(const std::string&)> query;   // a query argument, unescaped ("" when absent)
  std::function<std::string(const std::string&)> header;  // a request header ("" when absent)
  const std::string* body = nullptr;
};

// What a streamed body's next call did.
enum class StreamStep { More, End, Failed };

struct ApiAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A body made as it is sent: each call appends the next piece to `out` and says whether more
  // follows (Failed: the store failed midway; the connection is then cut, so the client sees
  // an incomplete answer rather than a short one). Set instead of `body` for long answers.
  std::function<StreamStep(std::string& out)> stream;
  // Work that must not hold the server's thread (a deploy runs the bundle's tests): called once
  // on a thread of the server's; what it returns is the answer.
  std::function<ApiAnswer()> later;
};

// What the API needs of the server around it.
struct ApiHooks {
  // The version of the bundle running now.
  std::function<std::string()> current_version;
  // Swaps in a bundle that has no problems, as SIGHUP does, and records its version with
  // `source` ("deploy", "rollback"); fails saying why (a pointer when the bundle is at fault).
  std::function<Status(const std::string& text, Bundle bundle, const std::string& source)> swap_in;
};

class Api {
 public:
  // Reads the deployment config's "api" object (null: defaults) and the tokens from the
  // environment; makes the store's pseudonym key when it has none. Fails naming the config
  // value (/api/cors_origins/0: ...) or the store's trouble.
  static Result<std::unique_ptr<Api>> open(const Json& config, std::string db_path, ApiHooks hooks);

  // Whether a request is the API's: under /v1, except the ingest (POST /v1/events).
  static bool is_route(const std::string& method, const std::string& path);
  // The route a path is, as metrics label it: events, runs, run, effects, bundle, rollback, other.
  static const char* route_name(const std::string& path);
  bool enabled() const { return !read_token_.empty() || !admin_token_.empty(); }

  // What the headers alone decide, before the body is read: the API off (404), a token
  // missing or wrong (401) or not the admin's on an admin route (403), an unknown path or
  // method, a CORS preflight. nullopt: read the body and call answer().
  std::optional<ApiAnswer> before_body(const ApiRequest& r) const;
  // The answer to a request that passed before_body().
  ApiAnswer answer(const ApiRequest& r) const;
  // A request refused by the server itself (413, 503), as the API words its errors.
  ApiAnswer error(const ApiRequest& r, int status, const std::string& code, const std::string& message) const;

 private:
  enum class Role { None, Read, Admin };
  Api() = default;
  Role role_of(const ApiRequest& r) const;
  void add_cors(const ApiRequest& r, ApiAnswer& a) const;
  bool origin_allowed(const std::string& origin) const;
  ApiAnswer events(const ApiRequest& r) const;
  ApiAnswer runs(const ApiRequest& r) const;
  ApiAnswer run(const ApiRequest& r, const std::string& id) const;
  ApiAnswer effects(const ApiRequest& r) const;
  ApiAnswer bundle(const ApiRequest& r) const;
  ApiAnswer deploy(const ApiRequest& r) const;
  ApiAnswer rollback(const ApiRequest& r) const;

  std::string db_path_;
  std::string read_token_, admin_token_;
  std::vector<std::string> cors_origins_;
  std::shared_ptr<const Redactor> redactor_;
  ApiHooks hooks_;
};

}  // namespace shopflow::runner
