// The HTTP face of `shopflow serve` (cpp-httplib):
//   POST /v1/events          CloudEvents (structured, batch, binary), bearer token
//   POST /webhooks/shopify   Shopify webhooks, HMAC-verified
//   POST /webhooks/woocommerce
//   GET  /healthz /readyz /metrics
//   GET  /                   the studio's static files, when --studio is given
// A request is answered 202 only after its events are durably committed (see Pipeline).
#pragma once

#include <memory>
#include <string>

#include "shopflow/bundle.hpp"
#include "shopflow/result.hpp"

namespace shopflow::runner {

struct ServeOptions {
  std::string bundle_path;
  Bundle bundle;
  std::string db_path;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string studio_dir;   // "" = do not serve the studio
  std::string config_path;  // "" = defaults (file delivery next to the database)
  size_t max_body_bytes = 1 << 20;
  size_t max_wal_bytes = 64 << 20;  // the write-ahead log's bound (see PipelineOptions)
  int threads = 16;
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
  // Asks run() to return after in-flight requests finish and queued commits are done.
  void stop();
  // After stop(), for clients that do not finish: finishes the commits already submitted (their
  // requests are not answered) and stops the engine, without waiting for the HTTP workers. The
  // process must then exit.
  void abandon();
  // Re-reads the bundle file; swaps it in only when it validates (else logs and keeps the old).
  void reload();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shopflow::runner
