// open_store: the backend by the URL's scheme.
#include "shopflow/open_store.hpp"

#include "shopflow/postgres_store.hpp"
#include "shopflow/sqlite_store.hpp"

namespace shopflow {

bool is_postgres_url(std::string_view url) {
  return url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
}

Result<std::unique_ptr<Store>> open_store(const std::string& url) {
  if (is_postgres_url(url)) {
    auto pg = PostgresStore::open(url);
    if (!pg) return pg.error();
    return std::unique_ptr<Store>(std::move(pg.value()));
  }
  auto lite = SqliteStore::open(url);
  if (!lite) return lite.error();
  return std::unique_ptr<Store>(std::move(lite.value()));
}

std::string redact_store_url(const std::string& url) {
  if (!is_postgres_url(url)) return url;
  // postgres://user:password@host/... : the password is between the first ':' after the
  // scheme and the '@' that ends the credentials.
  const size_t start = url.find("://") + 3;
  const size_t at = url.find('@', start);
  const size_t slash = url.find('/', start);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  const size_t colon = url.find(':', start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace shopflow
