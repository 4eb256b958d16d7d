// Everything the studio asks of the browser, in one place: files packaged with the page and
// the functions JavaScript calls (the page's test API).
#pragma once

#include <string>
#include <vector>

namespace shopflow::studio {

struct StudioState;

// The example bundles packaged with the page (file names under /workflows), sorted.
std::vector<std::string> list_examples();

// A packaged file's content, or "" when absent.
std::string read_packaged_file(const std::string& path);

// Gives the JavaScript entry points access to the studio's state.
void bind_browser(StudioState* state);

}  // namespace shopflow::studio
