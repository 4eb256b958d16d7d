// Prints the trace hash of every example bundle simulated over its sample events and over each
// of its tests, one line each. Built natively and as WebAssembly (run under Node); CTest's
// determinism.native_vs_wasm compares the two outputs byte for byte.
// Usage: shopflow_simulate_tool SOURCE_DIR
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shopflow/simulator.hpp"
#include "shopflow/zoneinfo.hpp"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  shopflow::use_zone_source(&shopflow::system_zones());
  if (argc != 2) {
    std::fprintf(stderr, "usage: shopflow_simulate_tool SOURCE_DIR\n");
    return 2;
  }
  std::vector<fs::path> bundles;
  for (const auto& entry : fs::directory_iterator(fs::path(argv[1]) / "workflows")) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".json" && name.find(".schema.") == std::string::npos) bundles.push_back(entry.path());
  }
  std::sort(bundles.begin(), bundles.end());
  int status = 0;
  for (const auto& path : bundles) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto loaded = shopflow::load_bundle(text.str());
    std::string name = path.filename().string();
    if (!loaded || !loaded.value().ok()) {
      std::printf("%s: does not load\n", name.c_str());
      status = 1;
      continue;
    }
    const shopflow::Bundle& b = loaded.value().bundle;
    auto trace = shopflow::simulate(b, b.sample_events);
    if (!trace) {
      std::printf("%s samples: %s\n", name.c_str(), trace.error().to_string().c_str());
      status = 1;
    } else {
      std::printf("%s samples %s %zu bytes\n", name.c_str(), trace.value().hash.c_str(), trace.value().json.dump().size());
    }
    for (const auto& t : shopflow::run_tests(b)) {
      std::printf("%s test \"%s\" %s %s\n", name.c_str(), t.name.c_str(), t.trace_hash.c_str(), t.passed ? "pass" : "FAIL");
    }
  }
  return status;
}
