#include "http_server.hpp"

#include <httplib.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdio>
#include <filesystem>

#include "log.hpp"

namespace shopflow::runner {

struct HttpServer::Impl {
  ServeOptions opts;
  httplib::Server http;
  sqlite3* db = nullptr;
  std::atomic<bool> stopping{false};

  ~Impl() {
    if (db) sqlite3_close(db);
  }
};

HttpServer::HttpServer(ServeOptions options) : impl_(std::make_unique<Impl>()) { impl_->opts = std::move(options); }
HttpServer::~HttpServer() = default;

Status HttpServer::open() {
  auto& s = *impl_;
  if (sqlite3_open(s.opts.db_path.c_str(), &s.db) != SQLITE_OK) {
    return Error{"cannot open the store " + s.opts.db_path + ": " + sqlite3_errmsg(s.db), "", 0, 0};
  }
  char* err = nullptr;
  if (sqlite3_exec(s.db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Error{"cannot use the store " + s.opts.db_path + ": " + msg, "", 0, 0};
  }

  s.http.set_tcp_nodelay(true);
  s.http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  s.http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    bool ready = !impl_->stopping.load();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "stopping\n", "text/plain");
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
  return Status::Ok();
}

int HttpServer::run() {
  auto& s = *impl_;
  log_info("serving", {{"bundle", s.opts.bundle.name},
                       {"version", s.opts.bundle.version},
                       {"workflows", s.opts.bundle.workflows.size()},
                       {"listen", "http://" + s.opts.host + ":" + std::to_string(s.opts.port) + "/"},
                       {"db", s.opts.db_path},
                       {"studio", s.opts.studio_dir}});
  bool ok = s.http.listen_after_bind();
  log_info("stopped", {});
  return ok || s.stopping ? 0 : 1;
}

void HttpServer::stop() {
  impl_->stopping = true;
  impl_->http.stop();
}

}  // namespace shopflow::runner
