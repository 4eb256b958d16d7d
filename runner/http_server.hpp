// The HTTP face of `shopflow serve` (cpp-httplib): health endpoints, and the studio's static
// files when asked. The server owns its threads; the core is only ever called from one.
#pragma once

#include <memory>
#include <string>

#include "shopflow/bundle.hpp"
#include "shopflow/result.hpp"

namespace shopflow::runner {

struct ServeOptions {
  Bundle bundle;
  std::string db_path;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string studio_dir;  // "" = do not serve the studio
};

class HttpServer {
 public:
  explicit HttpServer(ServeOptions options);
  ~HttpServer();

  // Opens the store and binds the port; fails with a message naming what went wrong.
  Status open();
  // Serves until stop(); returns the process exit code.
  int run();
  // Asks run() to return after in-flight requests finish. Safe from a signal handler.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shopflow::runner
