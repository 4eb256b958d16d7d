#include "cli_util.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace shopflow::cli {

std::optional<std::string> read_input(const std::string& path) {
  const bool stdin_ = path == "-";
  std::FILE* in = stdin_ ? stdin : std::fopen(path.c_str(), "rb");
  if (!in) {
    std::fprintf(stderr, "shopflow: cannot read %s: %s\n", path.c_str(), std::strerror(errno));
    return std::nullopt;
  }
  // Read in large blocks straight into the text (event files run to hundreds of megabytes); a
  // regular file's size is known up front, so its text is allocated once.
  struct stat st {};
  const bool regular = !stdin_ && fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode);
  std::string text(regular ? static_cast<size_t>(st.st_size) + 1 : size_t{1} << 20, '\0');
  size_t used = 0;
  for (;;) {
    if (used == text.size()) text.resize(2 * text.size());
    const size_t got = std::fread(text.data() + used, 1, text.size() - used, in);
    if (got == 0) break;
    used += got;
  }
  const bool failed = std::ferror(in) != 0;
  const int read_errno = errno;
  if (!stdin_) std::fclose(in);
  if (failed) {
    std::fprintf(stderr, "shopflow: cannot read %s: %s\n", path.c_str(), std::strerror(read_errno));
    return std::nullopt;
  }
  text.resize(used);
  return text;
}

std::optional<BundleCheck> read_bundle(const std::string& path) {
  auto text = read_input(path);
  if (!text) return std::nullopt;
  auto loaded = load_bundle(*text);
  if (!loaded) {
    const Error& e = loaded.error();
    std::fprintf(stderr, "%s:%d:%d: %s\n", path.c_str(), e.line, e.column, e.message.c_str());
    return std::nullopt;
  }
  return std::move(loaded.value());
}

bool is_help(const char* arg) { return std::strcmp(arg, "-h") == 0 || std::strcmp(arg, "--help") == 0; }

std::optional<BundleCheck> read_usable_bundle(const std::string& path, const char* command) {
  auto loaded = read_bundle(path);
  if (!loaded) return std::nullopt;
  if (!loaded->ok()) {
    for (const Problem& p : loaded->problems) std::fprintf(stderr, "shopflow %s: %s: %s\n", command, path.c_str(), p.to_string().c_str());
    std::fprintf(stderr, "shopflow %s: %s has problems; `shopflow validate` lists them\n", command, path.c_str());
    return std::nullopt;
  }
  return loaded;
}

void use_bundle_tables(const Bundle& bundle, logic::EvalOptions* options) { use_tables(bundle.tables, options); }

void use_tables(std::vector<TableDef> tables, logic::EvalOptions* options) {
  auto held = std::make_shared<const std::vector<TableDef>>(std::move(tables));
  auto find = [held](const std::string& name) -> const TableDef* {
    for (const TableDef& t : *held) {
      if (t.name == name) return &t;
    }
    return nullptr;
  };
  options->table_lookup = [find](const std::string& table, const Json& key) -> std::optional<Json> {
    const TableDef* t = find(table);
    if (!t) return std::nullopt;
    const std::string k = table_key(key);
    for (const auto& [row_key, row] : t->rows) {
      if (row_key == k) return row;
    }
    return std::nullopt;
  };
  options->table_rows = [find](const std::string& table) -> std::optional<Json> {
    const TableDef* t = find(table);
    if (!t) return std::nullopt;
    std::vector<std::pair<std::string, Json>> rows = t->rows;  // in key order, keys compared as text
    std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    Json out = Json::array();
    for (auto& r : rows) out.push_back(std::move(r.second));
    return out;
  };
}

}  // namespace shopflow::cli
