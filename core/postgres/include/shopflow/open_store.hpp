// Picks the store a URL names, for the runner's --db and SHOPFLOW_DB and its inspection
// commands: postgres://… or postgresql://… is a PostgreSQL database (PostgresStore), anything
// else the path of a SQLite file (SqliteStore; ":memory:" for one in memory).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "shopflow/result.hpp"
#include "shopflow/store.hpp"

namespace shopflow {

// Whether `url` names a PostgreSQL database (its scheme is postgres or postgresql).
bool is_postgres_url(std::string_view url);

// Opens and migrates the store `url` names. Fails, saying why, when it cannot be opened (no
// server there, a file that is no SQLite database) or holds a newer Shopflow's schema.
Result<std::unique_ptr<Store>> open_store(const std::string& url);

// The URL as it may be shown in logs and messages: a password in it replaced by "***".
std::string redact_store_url(const std::string& url);

}  // namespace shopflow
