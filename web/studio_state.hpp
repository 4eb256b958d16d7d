// The studio's whole state: a plain struct the panels read and change. Nothing in it is
// hidden in a panel, so it can be printed, saved and inspected by the tests.
#pragma once

#include <string>
#include <vector>

#include "shopflow/bundle.hpp"

namespace shopflow::studio {

struct BundleFile {
  std::string path;  // where it came from, e.g. "/workflows/order-processing.json"
  std::string text;  // the bundle as JSON text
};

struct StudioState {
  std::vector<std::string> examples;  // example bundles shipped with the page
  int selected_example = -1;
  BundleFile file;
  bool loaded = false;
  std::string load_error;  // JSON syntax error of the current file, "" when none
  BundleCheck check;       // the loaded bundle and its problems
  int frames = 0;          // frames drawn so far; the tests wait for the first
};

// Loads bundle text into the state: parses, checks, and keeps the result or the error.
void load_bundle_text(StudioState& state, std::string path, std::string text);

// A short JSON summary the page exposes to JavaScript (tests read it).
std::string status_json(const StudioState& state);

}  // namespace shopflow::studio
