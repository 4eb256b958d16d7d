// Everything the studio asks of the browser, in one place: files packaged with the page,
// downloads, the file picker, localStorage and sessionStorage, HTTP requests to a runner, and
// the functions JavaScript calls (the page's test API, window.shopflow in shell.html). Outside Emscripten the browser calls are stubs,
// so the rest of the studio compiles natively.
#pragma once

#include <optional>
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

// Offers `text` as a file download named `filename` (a JSON file).
void download_text(const std::string& filename, const std::string& text);

// What a file chosen in the picker is for; the picked file arrives in import_picked_text().
enum class PickPurpose { Bundle = 0, Events = 1 };

// Opens the browser's file picker. Must run soon after a click (browsers require a user
// gesture). The chosen file's text comes back later through the exported studio_import_text.
void open_file_picker(PickPurpose purpose);

// localStorage. get: nullopt when absent or when storage is unavailable.
std::optional<std::string> storage_get(const std::string& key);
// set: false when the browser refused (storage full or unavailable).
bool storage_set(const std::string& key, const std::string& value);
void storage_remove(const std::string& key);

// sessionStorage: kept for this tab until it closes, never written to disk by the studio (the
// runner's token lives here). get: nullopt when absent or unavailable.
std::optional<std::string> session_get(const std::string& key);
void session_set(const std::string& key, const std::string& value);
void session_remove(const std::string& key);

// An HTTP request with fetch(): `token` (when not empty) goes as `Authorization: Bearer`, `body`
// (when not empty) as JSON. The answer comes back later through http_answered(), under `id`:
// its status (0 when there was no answer: network, CORS or cancelled, with the reason as the
// body), its Shopflow-Next-After header ("" when absent) and its body. Only on a user's
// gesture, or to go on with what one started (the next page of a load).
void http_request(int id, const std::string& method, const std::string& url, const std::string& token,
                  const std::string& body);
// Cancels the request `id` if it is still under way: its answer comes with status 0.
void http_cancel(int id);

// Where answers go (panel_runner.cpp); set once at start.
using HttpAnswer = void (*)(StudioState& state, int id, int status, const std::string& next_after, std::string body);
void on_http_answer(HttpAnswer handler);

// The localStorage key of the studio's saved work.
inline constexpr const char* kStorageKey = "shopflow.studio.v1";

// Saves the edited bundle (and the version it started from, unless a packaged example) to
// localStorage; when it does not fit, says so in state.not_kept.
void save_work(StudioState& state);

// Restores saved work; false when there is none (or it is unreadable).
bool restore_work(StudioState& state);

// Forgets saved work and reopens the example (or file) the edit started from.
void revert_to_saved(StudioState& state);

// The canvas as the page lays it out: its size in CSS pixels, the device pixel ratio, and
// whether the browser prefers a light colour scheme.
struct PageView {
  double css_w = 1280, css_h = 800;
  double dpr = 1;
  bool prefers_light = false;
};
PageView page_view();

// Sets the canvas's drawing buffer to w x h device pixels (its CSS size stays the page's).
void set_canvas_pixels(int w, int h);

// The mouse wheel since the last call, in notches (one notch of a wheel mouse is 1; touchpads
// give fractions): x and y scroll (y > 0 is up, the wheel turned away from the user), zoom is
// the wheel with Ctrl or Cmd held, or a touchpad pinch (> 0 zooms in). The page takes the
// canvas's wheel events itself, so the browser neither scrolls nor zooms the page for them.
struct Wheel {
  float x = 0, y = 0, zoom = 0;
};
void install_wheel();
Wheel take_wheel();

// Applies text picked in the file picker (called from JavaScript through studio_import_text).
void import_picked_text(StudioState& state, const std::string& name, const std::string& text, PickPurpose purpose);

}  // namespace shopflow::studio
