#include "browser.hpp"

#include <emscripten/emscripten.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "studio_state.hpp"

namespace shopflow::studio {

namespace {
StudioState* g_state = nullptr;
std::string g_status;  // keeps the last status alive while JavaScript reads it
}  // namespace

std::vector<std::string> list_examples() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/workflows", ec)) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".json" && name.find(".schema.") == std::string::npos) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_packaged_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void bind_browser(StudioState* state) { g_state = state; }

}  // namespace shopflow::studio

// The page's JavaScript API (see shell.html: window.shopflow).
extern "C" {

EMSCRIPTEN_KEEPALIVE const char* studio_status_json() {
  using namespace shopflow::studio;
  g_status = g_state ? status_json(*g_state) : "{}";
  return g_status.c_str();
}

EMSCRIPTEN_KEEPALIVE int studio_load_bundle_text(const char* path, const char* text) {
  using namespace shopflow::studio;
  if (!g_state) return 0;
  load_bundle_text(*g_state, path, text);
  return g_state->loaded ? 1 : 0;
}
}
