// The stores a store test runs against: SQLite always; natively also PostgreSQL when the
// environment's SHOPFLOW_TEST_PG names a server (a libpq URL; tests/support/pg_temp.sh starts a
// throwaway one). Each fresh() store is empty and of its own: a new SQLite file (memory in
// WebAssembly) or a new schema in the PostgreSQL database, removed when the backend goes away.
// Used by tests/core/store_suite_test.cpp.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shopflow/sqlite_store.hpp"
#include "shopflow/store.hpp"

#ifdef SHOPFLOW_TEST_POSTGRES
#include <libpq-fe.h>

#include "shopflow/postgres_store.hpp"
#endif

namespace shopflow::test {

struct Backend {
  std::string name;        // as Store::backend() says
  int schema_version = 0;  // what a fresh store's schema_version() is
  bool shared = false;     // whether again() reaches the same store (a second connection)
  std::function<std::unique_ptr<Store>()> fresh;  // an empty store of its own
  std::function<std::unique_ptr<Store>()> again;  // the last fresh() store, through a new connection
  std::function<std::string()> url;               // the last fresh() store's URL
};

// A number for each store made in this process, to name its file or schema.
inline int next_store_number() {
  static std::atomic<int> n{0};
  return ++n;
}

inline Backend sqlite_backend() {
  Backend b;
  b.name = "sqlite";
  b.schema_version = kStoreSchemaVersion;
#ifdef __EMSCRIPTEN__
  b.shared = false;
  b.fresh = [] {
    auto s = SqliteStore::open(":memory:");
    REQUIRE_MESSAGE(s.ok(), s.error().message);
    return std::unique_ptr<Store>(std::move(s.value()));
  };
  b.again = b.fresh;
  b.url = [] { return std::string(":memory:"); };
#else
  // The files this backend made, removed with it.
  struct Files {
    std::vector<std::string> paths;
    ~Files() {
      for (const std::string& p : paths) {
        for (const char* suffix : {"", "-wal", "-shm"}) {
          std::error_code ignored;
          std::filesystem::remove(p + suffix, ignored);
        }
      }
    }
  };
  auto files = std::make_shared<Files>();
  b.shared = true;
  auto open = [](const std::string& path) {
    auto s = SqliteStore::open(path);
    REQUIRE_MESSAGE(s.ok(), s.error().message);
    return std::unique_ptr<Store>(std::move(s.value()));
  };
  b.fresh = [files, open] {
    auto path = (std::filesystem::temp_directory_path() /
                 ("shopflow-store-suite-" + std::to_string(::getpid()) + "-" + std::to_string(next_store_number()) + ".db"))
                    .string();
    files->paths.push_back(path);
    return open(path);
  };
  b.again = [files, open] {
    REQUIRE(!files->paths.empty());
    return open(files->paths.back());
  };
  b.url = [files] { return files->paths.empty() ? std::string() : files->paths.back(); };
#endif
  return b;
}

#ifdef SHOPFLOW_TEST_POSTGRES
// The server SHOPFLOW_TEST_PG names; each fresh store a schema of its own in its database.
inline Backend postgres_backend(const std::string& server) {
  struct Server {
    std::string url;
    PGconn* admin = nullptr;
    std::vector<std::string> schemas;
    std::string last_url;
    ~Server() {
      for (const std::string& schema : schemas) PQclear(PQexec(admin, ("DROP SCHEMA " + schema + " CASCADE").c_str()));
      PQfinish(admin);
    }
  };
  auto srv = std::make_shared<Server>();
  srv->url = server;
  srv->admin = PQconnectdb(server.c_str());
  if (PQstatus(srv->admin) != CONNECTION_OK) {
    FAIL("SHOPFLOW_TEST_PG=" << server << " names no PostgreSQL server that takes connections: "
                             << PQerrorMessage(srv->admin));
  }
  PQsetNoticeProcessor(srv->admin, [](void*, const char*) {}, nullptr);
  Backend b;
  b.name = "postgres";
  b.schema_version = kPostgresSchemaVersion;
  b.shared = true;
  auto open = [](const std::string& url) {
    auto s = PostgresStore::open(url);
    REQUIRE_MESSAGE(s.ok(), s.error().message);
    return std::unique_ptr<Store>(std::move(s.value()));
  };
  b.fresh = [srv, open] {
    std::string schema = "store_suite_" + std::to_string(::getpid()) + "_" + std::to_string(next_store_number());
    PGresult* r = PQexec(srv->admin, ("CREATE SCHEMA " + schema).c_str());
    const bool made = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    REQUIRE_MESSAGE(made, PQerrorMessage(srv->admin));
    srv->schemas.push_back(schema);
    srv->last_url = srv->url + (srv->url.find('?') == std::string::npos ? "?" : "&") +
                    "options=-csearch_path%3D" + schema + "&application_name=" + schema;
    return open(srv->last_url);
  };
  b.again = [srv, open] {
    REQUIRE(!srv->last_url.empty());
    return open(srv->last_url);
  };
  b.url = [srv] { return srv->last_url; };
  return b;
}
#endif

// The backends to run a store test against, in order.
inline std::vector<Backend> store_backends() {
  std::vector<Backend> out;
  out.push_back(sqlite_backend());
#ifdef SHOPFLOW_TEST_POSTGRES
  if (const char* pg = std::getenv("SHOPFLOW_TEST_PG"); pg && *pg) out.push_back(postgres_backend(pg));
#endif
  return out;
}

}  // namespace shopflow::test
