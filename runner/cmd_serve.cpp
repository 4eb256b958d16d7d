// `shopflow serve BUNDLE --db FILE`: runs a bundle in production. Takes events over HTTP,
// keeps all state in SQLite, and can also serve the studio's static files.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli_util.hpp"
#include "commands.hpp"
#include "http_server.hpp"
#include "shopflow/bundle.hpp"

namespace shopflow::cli {

namespace {

const char* kUsage =
    "Usage: shopflow serve BUNDLE.json --db FILE [--listen HOST:PORT] [--studio DIR]\n"
    "\n"
    "Runs the bundle in production: accepts events over HTTP and keeps all state in the SQLite\n"
    "database FILE (created when missing).\n"
    "\n"
    "Options:\n"
    "  --db FILE           the SQLite store (required)\n"
    "  --listen HOST:PORT  where to listen (default 127.0.0.1:8080)\n"
    "  --studio DIR        also serve the studio's static files from DIR at /\n"
    "\n"
    "Endpoints: GET /healthz, GET /readyz.\n"
    "Stops cleanly on SIGTERM or SIGINT.\n";

runner::HttpServer* g_server = nullptr;

void on_signal(int) {
  if (g_server) g_server->stop();
}

}  // namespace

int cmd_serve(int argc, char** argv) {
  runner::ServeOptions opts;
  std::string bundle_path;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "shopflow serve: %s needs a value\n", name);
        return nullptr;
      }
      return argv[++i];
    };
    if (is_help(argv[i])) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--db") {
      const char* v = value("--db");
      if (!v) return 2;
      opts.db_path = v;
    } else if (arg == "--listen") {
      const char* v = value("--listen");
      if (!v) return 2;
      std::string hp = v;
      auto colon = hp.rfind(':');
      if (colon == std::string::npos || colon + 1 == hp.size()) {
        std::fprintf(stderr, "shopflow serve: --listen wants HOST:PORT, e.g. 127.0.0.1:8080 (got %s)\n", v);
        return 2;
      }
      opts.host = hp.substr(0, colon);
      try {
        opts.port = std::stoi(hp.substr(colon + 1));
      } catch (const std::exception&) {
        opts.port = -1;
      }
      if (opts.port <= 0 || opts.port > 65535) {
        std::fprintf(stderr, "shopflow serve: the port in --listen must be 1-65535 (got %s)\n", v);
        return 2;
      }
    } else if (arg == "--studio") {
      const char* v = value("--studio");
      if (!v) return 2;
      opts.studio_dir = v;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "shopflow serve: unknown option %s\n\n%s", arg.c_str(), kUsage);
      return 2;
    } else if (bundle_path.empty()) {
      bundle_path = arg;
    } else {
      std::fprintf(stderr, "shopflow serve: one bundle at a time (got %s and %s)\n", bundle_path.c_str(), arg.c_str());
      return 2;
    }
  }
  if (bundle_path.empty() || opts.db_path.empty()) {
    std::fprintf(stderr, "shopflow serve: %s\n\n%s", bundle_path.empty() ? "which bundle?" : "--db FILE is required",
                 kUsage);
    return 2;
  }

  auto text = read_input(bundle_path);
  if (!text) return 2;
  auto loaded = load_bundle(*text);
  if (!loaded) {
    std::fprintf(stderr, "%s: %s\n", bundle_path.c_str(), loaded.error().to_string().c_str());
    return 2;
  }
  if (!loaded.value().ok()) {
    for (const auto& p : loaded.value().problems) std::fprintf(stderr, "%s: %s\n", bundle_path.c_str(), p.to_string().c_str());
    std::fprintf(stderr, "shopflow serve: the bundle has problems; fix them first (shopflow validate %s)\n",
                 bundle_path.c_str());
    return 1;
  }
  opts.bundle = std::move(loaded.value().bundle);

  runner::HttpServer server(std::move(opts));
  auto started = server.open();
  if (!started) {
    std::fprintf(stderr, "shopflow serve: %s\n", started.error().message.c_str());
    return 1;
  }
  g_server = &server;
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  int rc = server.run();
  g_server = nullptr;
  return rc;
}

}  // namespace shopflow::cli
