// The HTTP face of `shopflow serve` (libmicrohttpd, event-driven: a few threads each watch their
// connections with epoll, so a slow or idle client holds no thread):
//   POST /v1/events          CloudEvents (structured, batch, binary), bearer token
//   POST /webhooks/shopify   Shopify webhooks, HMAC-verified
//   POST /webhooks/woocommerce
//   GET  /healthz /readyz /metrics
//   /v1/... (but POST /v1/events) the runner's API (runner/api.hpp): events, runs, effects,
//                            bundle versions, deploy and rollback
//   GET  /                   the studio's static files, when --studio is given
// A request is answered 202 only after its events are durably committed (see Pipeline); while it
// waits for the commit its connection is suspended, not its thread. Bounds on what a client can
// hold: ServeOptions' connection cap (503 past it), the request deadline, the header memory.
#pragma once

#include <memory>
#include <string>

#include "shopflow/bundle.hpp"
#include "shopflow/result.hpp"

namespace shopflow::runner {

struct ServeOptions {
  std::string bundle_path;
  std::string bundle_text;  // as read: its XXH3-64 is the version the API reports
  Bundle bundle;
  std::string db_path;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string studio_dir;   // "" = do not serve the studio
  std::string config_path;  // "" = defaults (file delivery next to the database)
  size_t max_body_bytes = 1 << 20;
  size_t max_wal_bytes = 64 << 20;  // the write-ahead log's bound (see PipelineOptions)
  int threads = 2;                  // threads watching connections (each with its own epoll set)
  int max_connections = 1000;       // open connections served; those past it are answered 503
  int request_deadline_seconds = 10;  // for a whole request (headers and body), and for idling
  size_t max_header_bytes = 64 << 10;  // a request line and its headers, together
};

class HttpServer {
 public:
  explicit HttpServer(ServeOptions options);
  ~HttpServer();

  // Opens the store and the engine, reads the deployment config and binds the port; fails
  // with a message naming what went wrong.
  Status open();
  // Serves until stop(); returns the process exit code.
  int run();
  // Asks run() to return: no new connection is taken and no new request is submitted; the
  // requests whose commit was submitted are answered, every connection is then closed (a
  // client still sending is not waited for), and queued commits are done.
  void stop();
  // After stop(), when run() has not returned in time (the store does not answer): finishes the
  // commits already submitted (their requests are not answered) and stops the engine. The
  // process must then exit.
  void abandon();
  // Re-reads the bundle file; swaps it in only when it validates (else logs and keeps the old).
  void reload();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shopflow::runner
