// Where the tests find their data: the project's source tree (example bundles) and the
// shared folder beside it (public conformance suites). Both are absolute paths fixed at
// configure time, so the same test binary works natively and under Node (WebAssembly).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace shopflow::test {

inline std::filesystem::path source_dir() { return SHOPFLOW_SOURCE_DIR; }
inline std::filesystem::path conformance_dir() { return std::filesystem::path(SHOPFLOW_SHARED_DIR) / "conformance"; }

// The whole file, or "" when it cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace shopflow::test
