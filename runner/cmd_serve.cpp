// `shopflow serve BUNDLE --db STORE`: runs a bundle in production. Takes events over HTTP,
// keeps all state in a SQLite file or a PostgreSQL database, and can also serve the studio's
// static files.
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "cli_util.hpp"
#include "commands.hpp"
#include "egress.hpp"
#include "http_server.hpp"
#include "shopflow/bundle.hpp"
#include "shopflow/json.hpp"

namespace shopflow::cli {

namespace {

constexpr int kShutdownGraceSeconds = 5;

const char* kUsage =
    "Usage: shopflow serve BUNDLE.json --db STORE [--listen HOST:PORT] [--config FILE] [--studio DIR]\n"
    "\n"
    "Runs the bundle in production: takes events over HTTP, keeps all state in STORE, fires\n"
    "timers, and delivers effects. STORE is a SQLite database file (created when missing) or a\n"
    "PostgreSQL database, postgres://USER:PASSWORD@HOST:PORT/DATABASE (its tables are created\n"
    "when missing).\n"
    "\n"
    "Options:\n"
    "  --db STORE          the store (required, unless SHOPFLOW_DB gives it)\n"
    "  --listen HOST:PORT  where to listen (default 127.0.0.1:8080)\n"
    "  --config FILE       deployment config: effect delivery adapters, retries and the hosts\n"
    "                      calls may reach (JSON)\n"
    "  --studio DIR        also serve the studio's static files from DIR at /\n"
    "  --max-body BYTES    largest request body accepted, chunked or not (default 1048576)\n"
    "  --max-wal BYTES     bound of a SQLite store's write-ahead log (default 67108864)\n"
    "  --max-connections N open connections served at once; more are answered 503 (default 1000)\n"
    "\n"
    "Endpoints:\n"
    "  POST /v1/events            CloudEvents (structured, batch or binary mode)\n"
    "  POST /webhooks/shopify     Shopify webhooks (X-Shopify-Hmac-Sha256)\n"
    "  POST /webhooks/woocommerce WooCommerce webhooks (X-WC-Webhook-Signature)\n"
    "  GET  /healthz /readyz /metrics\n"
    "\n"
    "Environment:\n"
    "  SHOPFLOW_DB                  the store, when --db is not given\n"
    "  SHOPFLOW_API_TOKEN           bearer token for /v1/* (required unless listening on loopback)\n"
    "  SHOPFLOW_SHOPIFY_SECRET      Shopify webhook secret\n"
    "  SHOPFLOW_WOOCOMMERCE_SECRET  WooCommerce webhook secret\n"
    "\n"
    "Limits: a request (headers and body) must arrive whole within 10 s, and an idle connection is\n"
    "closed after 10 s; request line and headers together at most 64 KiB.\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop cleanly (the requests whose events were submitted are answered,\n"
    "slow clients are not waited for; within 5 s); SIGHUP reloads the bundle if it validates.\n";

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
    } else if (arg == "--config") {
      const char* v = value("--config");
      if (!v) return 2;
      opts.config_path = v;
    } else if (arg == "--max-body") {
      const char* v = value("--max-body");
      if (!v) return 2;
      opts.max_body_bytes = std::strtoull(v, nullptr, 10);
      if (opts.max_body_bytes == 0) {
        std::fprintf(stderr, "shopflow serve: --max-body wants a number of bytes (got %s)\n", v);
        return 2;
      }
    } else if (arg == "--max-wal") {
      const char* v = value("--max-wal");
      if (!v) return 2;
      opts.max_wal_bytes = std::strtoull(v, nullptr, 10);
      if (opts.max_wal_bytes < (1u << 20)) {
        std::fprintf(stderr, "shopflow serve: --max-wal wants a number of bytes, at least 1048576 (got %s)\n", v);
        return 2;
      }
    } else if (arg == "--max-connections") {
      const char* v = value("--max-connections");
      if (!v) return 2;
      long n = std::strtol(v, nullptr, 10);
      if (n < 1 || n > 100000) {
        std::fprintf(stderr, "shopflow serve: --max-connections wants a number from 1 to 100000 (got %s)\n", v);
        return 2;
      }
      opts.max_connections = static_cast<int>(n);
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
  if (opts.db_path.empty()) {
    if (const char* env = std::getenv("SHOPFLOW_DB"); env && *env) opts.db_path = env;
  }
  if (bundle_path.empty() || opts.db_path.empty()) {
    std::fprintf(stderr, "shopflow serve: %s\n\n%s",
                 bundle_path.empty() ? "which bundle?" : "--db STORE is required (or SHOPFLOW_DB)",
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
  // The bundle's calls must go where the deployment config allows; refused now, naming the step.
  {
    Json config = nullptr;
    if (!opts.config_path.empty()) {
      auto config_text = read_input(opts.config_path);
      if (!config_text) return 2;
      auto doc = parse_json(*config_text, "the config");
      if (!doc) {
        std::fprintf(stderr, "%s: %s\n", opts.config_path.c_str(), doc.error().to_string().c_str());
        return 2;
      }
      config = std::move(doc.value());
    }
    auto calls = runner::parse_egress(config);
    if (!calls) {
      std::fprintf(stderr, "%s: %s\n", opts.config_path.c_str(), calls.error().to_string().c_str());
      return 2;
    }
    if (auto st = runner::egress_check_bundle(calls.value(), loaded.value().bundle); !st) {
      std::fprintf(stderr, "%s: %s\nshopflow serve: the bundle calls a host the deployment config does not allow\n",
                   bundle_path.c_str(), st.error().to_string().c_str());
      return 1;
    }
  }
  opts.bundle = std::move(loaded.value().bundle);
  opts.bundle_path = bundle_path;

  // Signals are taken by one thread with sigwait, so the handlers may do real work (stop the
  // server, reload the bundle); every other thread inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  runner::HttpServer server(std::move(opts));
  auto started = server.open();
  if (!started) {
    std::fprintf(stderr, "shopflow serve: %s\n", started.error().message.c_str());
    return 1;
  }
  std::atomic<bool> finished{false};
  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        server.reload();
        continue;
      }
      if (finished) return;
      server.stop();
      // Shutdown takes a bounded time whatever the clients do: the server waits only for the
      // requests whose events it submitted. Should the store hold those past the grace period,
      // the commits already submitted are finished and the process leaves without answering.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kShutdownGraceSeconds);
      while (!finished && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (!finished) {
        server.abandon();
        std::_Exit(0);
      }
      return;
    }
  });
  int rc = server.run();
  finished = true;
  // run() also returns when listening fails; wake the signal thread so it can end.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  return rc;
}

}  // namespace shopflow::cli
