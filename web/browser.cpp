// The browser glue: EM_JS calls into the page and the C functions the page calls back
// (window.shopflow in shell.html). The only file of the studio that knows it runs in a browser.
#include "browser.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "shopflow/simulator.hpp"
#include "studio_state.hpp"

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>

// clang-format off
EM_JS(void, js_download_text, (const char* name, const char* text), {
  const blob = new Blob([UTF8ToString(text)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = UTF8ToString(name);
  document.body.appendChild(a);
  a.click();
  setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
});

EM_JS(void, js_open_file_picker, (int purpose), {
  const input = document.createElement('input');
  input.type = 'file';
  input.accept = purpose === 1 ? '.jsonl,.json,.ndjson,.txt' : '.json,application/json';
  input.style.display = 'none';
  input.addEventListener('change', function () {
    const file = input.files && input.files[0];
    input.remove();
    if (!file) return;
    file.text().then(function (text) {
      // The text goes through the heap: ccall's 'string' copies onto the stack, which a large
      // file overflows.
      const n = lengthBytesUTF8(text) + 1;
      const p = _malloc(n);
      stringToUTF8(text, p, n);
      Module.ccall('studio_import_text', null, ['string', 'number', 'number'], [file.name, p, purpose]);
      _free(p);
    });
  });
  document.body.appendChild(input);
  input.click();
});

EM_JS(char*, js_storage_get, (const char* key), {
  let v = null;
  try { v = window.localStorage.getItem(UTF8ToString(key)); } catch (e) { v = null; }
  if (v === null) return 0;
  const n = lengthBytesUTF8(v) + 1;
  const p = _malloc(n);
  stringToUTF8(v, p, n);
  return p;
});

EM_JS(int, js_storage_set, (const char* key, const char* value), {
  try { window.localStorage.setItem(UTF8ToString(key), UTF8ToString(value)); return 1; } catch (e) { return 0; }
});

EM_JS(void, js_storage_remove, (const char* key), {
  try { window.localStorage.removeItem(UTF8ToString(key)); } catch (e) {}
});
EM_JS(char*, js_session_get, (const char* key), {
  let v = null;
  try { v = window.sessionStorage.getItem(UTF8ToString(key)); } catch (e) { v = null; }
  if (v === null) return 0;
  const n = lengthBytesUTF8(v) + 1;
  const p = _malloc(n);
  stringToUTF8(v, p, n);
  return p;
});

EM_JS(void, js_session_set, (const char* key, const char* value), {
  try { window.sessionStorage.setItem(UTF8ToString(key), UTF8ToString(value)); } catch (e) {}
});

EM_JS(void, js_session_remove, (const char* key), {
  try { window.sessionStorage.removeItem(UTF8ToString(key)); } catch (e) {}
});

// Each answer is handed over whole, through the heap (a page of events is megabytes: ccall's
// stack copy would overflow); a failed fetch answers status 0 with its reason.
EM_JS(void, js_http_request, (int id, const char* method, const char* url, const char* token, const char* body), {
  const controllers = Module.shopflowFetches || (Module.shopflowFetches = {});
  const controller = new AbortController();
  controllers[id] = controller;
  const headers = {};
  const t = UTF8ToString(token);
  if (t) headers['Authorization'] = 'Bearer ' + t;
  const b = UTF8ToString(body);
  if (b) headers['Content-Type'] = 'application/json';
  const init = { method: UTF8ToString(method), headers: headers, signal: controller.signal, cache: 'no-store' };
  if (b) init.body = b;
  // The body's bytes are copied into the heap as they came: decoding megabytes of UTF-8 into a
  // JavaScript string and encoding it back would cost more than the studio's work on it.
  const hand = function (status, next, bytes) {
    delete controllers[id];
    const n = bytes.length;
    const p = _malloc(n + 1);
    HEAPU8.set(bytes, p);
    HEAPU8[p + n] = 0;
    Module.ccall('studio_http_answer', null, ['number', 'number', 'string', 'number', 'number'], [id, status, next, p, n]);
    _free(p);
  };
  const answer = function (status, next, text) { hand(status, next, new TextEncoder().encode(text)); };
  fetch(UTF8ToString(url), init).then(function (r) {
    const next = r.headers.get('Shopflow-Next-After') || "";
    return r.arrayBuffer().then(function (buf) { hand(r.status, next, new Uint8Array(buf)); });
  }).catch(function (e) {
    answer(0, "", controller.signal.aborted ? 'cancelled' : String(e && e.message || e));
  });
});

EM_JS(void, js_http_cancel, (int id), {
  const c = Module.shopflowFetches && Module.shopflowFetches[id];
  if (c) c.abort();
});

EM_JS(void, js_page_view, (double* out), {
  const canvas = Module['canvas'];
  const r = canvas.getBoundingClientRect();
  if (!Module.shopflowLight && window.matchMedia) Module.shopflowLight = window.matchMedia('(prefers-color-scheme: light)');
  HEAPF64[out >> 3] = r.width;
  HEAPF64[(out >> 3) + 1] = r.height;
  HEAPF64[(out >> 3) + 2] = window.devicePixelRatio || 1;
  HEAPF64[(out >> 3) + 3] = Module.shopflowLight && Module.shopflowLight.matches ? 1 : 0;
});

EM_JS(void, js_set_canvas_pixels, (int w, int h), {
  const canvas = Module['canvas'];
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
});

// Wheel events over the canvas, taken before GLFW's handlers see them (GLFW passes the raw
// pixel delta, 100 per notch, with the sign reversed). Ctrl/Cmd + wheel and touchpad pinches
// (which Chromium sends as wheel events with ctrlKey) zoom.
EM_JS(void, js_install_wheel, (void), {
  const w = Module.shopflowWheel = { x: 0, y: 0, zoom: 0 };
  const take = function (e) {
    if (e.target !== Module['canvas']) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    if (e.type !== 'wheel') return;
    const unit = e.deltaMode === 1 ? 3 : e.deltaMode === 2 ? 1 / 8 : 100;
    if (e.ctrlKey || e.metaKey) {
      // A wheel notch is one step whatever pixels the system gives it (100 at ratio 1, 50 at
      // ratio 2 here); a pinch's small deltas zoom smoothly.
      const n = -e.deltaY / unit;
      w.zoom += Math.abs(n) >= 0.4 ? Math.sign(n) * Math.max(1, Math.round(Math.abs(n))) : n;
    } else if (e.shiftKey && e.deltaX === 0) {
      w.x -= e.deltaY / unit;
    } else {
      w.x -= e.deltaX / unit;
      w.y -= e.deltaY / unit;
    }
  };
  window.addEventListener('wheel', take, { capture: true, passive: false });
  window.addEventListener('mousewheel', take, { capture: true, passive: false });
});

EM_JS(void, js_take_wheel, (float* out), {
  const w = Module.shopflowWheel || { x: 0, y: 0, zoom: 0 };
  HEAPF32[out >> 2] = w.x;
  HEAPF32[(out >> 2) + 1] = w.y;
  HEAPF32[(out >> 2) + 2] = w.zoom;
  w.x = w.y = w.zoom = 0;
});
// clang-format on
#define STUDIO_EXPORT EMSCRIPTEN_KEEPALIVE
#else
// Native stubs: no page, no storage.
static void js_download_text(const char*, const char*) {}
static void js_open_file_picker(int) {}
static char* js_storage_get(const char*) { return nullptr; }
static int js_storage_set(const char*, const char*) { return 0; }
static void js_storage_remove(const char*) {}
static char* js_session_get(const char*) { return nullptr; }
static void js_session_set(const char*, const char*) {}
static void js_session_remove(const char*) {}
static void js_http_request(int, const char*, const char*, const char*, const char*) {}
static void js_http_cancel(int) {}
static void js_page_view(double* out) {
  out[0] = 1280;
  out[1] = 800;
  out[2] = 1;
  out[3] = 0;
}
static void js_set_canvas_pixels(int, int) {}
static void js_install_wheel() {}
static void js_take_wheel(float* out) { out[0] = out[1] = out[2] = 0; }
#define STUDIO_EXPORT
#endif

namespace shopflow::studio {

namespace {
StudioState* g_state = nullptr;
std::string g_out;  // keeps the last string returned to JavaScript alive while it reads it
HttpAnswer g_http_answer = nullptr;
}  // namespace

std::optional<std::string> session_get(const std::string& key) {
  char* p = js_session_get(key.c_str());
  if (!p) return std::nullopt;
  std::string s(p);
  std::free(p);
  return s;
}

void session_set(const std::string& key, const std::string& value) { js_session_set(key.c_str(), value.c_str()); }

void session_remove(const std::string& key) { js_session_remove(key.c_str()); }

void http_request(int id, const std::string& method, const std::string& url, const std::string& token,
                  const std::string& body) {
  js_http_request(id, method.c_str(), url.c_str(), token.c_str(), body.c_str());
}

void http_cancel(int id) { js_http_cancel(id); }

void on_http_answer(HttpAnswer handler) { g_http_answer = handler; }

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

void download_text(const std::string& filename, const std::string& text) {
  js_download_text(filename.c_str(), text.c_str());
}

void open_file_picker(PickPurpose purpose) { js_open_file_picker(static_cast<int>(purpose)); }

PageView page_view() {
  double v[4] = {0, 0, 1, 0};
  js_page_view(v);
  return PageView{v[0], v[1], v[2] > 0 ? v[2] : 1.0, v[3] != 0};
}

void set_canvas_pixels(int w, int h) { js_set_canvas_pixels(w, h); }

void install_wheel() { js_install_wheel(); }

Wheel take_wheel() {
  float v[3] = {0, 0, 0};
  js_take_wheel(v);
  return Wheel{v[0], v[1], v[2]};
}

std::optional<std::string> storage_get(const std::string& key) {
  char* p = js_storage_get(key.c_str());
  if (!p) return std::nullopt;
  std::string s(p);
  std::free(p);
  return s;
}

bool storage_set(const std::string& key, const std::string& value) { return js_storage_set(key.c_str(), value.c_str()) == 1; }

void storage_remove(const std::string& key) { js_storage_remove(key.c_str()); }

namespace {
// Whether the edit started from a file packaged with the page, which need not be stored.
bool from_example(const StudioState& state) {
  return state.selected_example >= 0 && state.file.path == "/workflows/" + state.examples[state.selected_example];
}

// The work is kept under three keys, so that an edit writes only what it changed: the sample
// events (megabytes with a day of them) and the file the edit started from (unless a packaged
// example) are written when they change, the rest of the bundle at every save. In the bundle
// the samples' place holds kSamplesStored, so that restoring puts them back in their place.
constexpr const char* kSamplesKey = "shopflow.studio.v1.samples";
constexpr const char* kFileKey = "shopflow.studio.v1.file";
constexpr const char* kSamplesStored = "(kept under shopflow.studio.v1.samples)";

void forget_work(StudioState& state) {
  storage_remove(kStorageKey);
  storage_remove(kSamplesKey);
  storage_remove(kFileKey);
  state.stored_file_serial = state.stored_samples_serial = -1;
}
}  // namespace

void save_work(StudioState& state) {
  state.saved_revision = state.revision;
  // The same file and samples did not fit last time: they would not now either, and trying
  // costs a good part of a second per edit.
  if (!state.not_kept.empty() && state.not_kept_serials == std::make_pair(state.file_serial, state.samples_serial)) return;
  state.not_kept.clear();
  size_t bytes = 0;
  bool ok = true;
  const bool example = from_example(state);
  if (!example && state.stored_file_serial != state.file_serial) {
    ok = storage_set(kFileKey, state.file.text);
    bytes += state.file.text.size();
    if (ok) state.stored_file_serial = state.file_serial;
  }
  Json edited = Json::object();
  for (auto it = state.doc.begin(); ok && it != state.doc.end(); ++it) {
    if (it.key() != "samples") {
      edited[it.key()] = it.value();
      continue;
    }
    edited["samples"] = kSamplesStored;
    if (state.stored_samples_serial != state.samples_serial) {
      std::string samples = it.value().dump();
      ok = storage_set(kSamplesKey, samples);
      bytes += samples.size();
      if (ok) state.stored_samples_serial = state.samples_serial;
    }
  }
  // Nothing stale left behind to fill the storage.
  if (ok && example && state.stored_file_serial != -1) {
    storage_remove(kFileKey);
    state.stored_file_serial = -1;
  }
  if (ok && !edited.contains("samples") && state.stored_samples_serial != -1) {
    storage_remove(kSamplesKey);
    state.stored_samples_serial = -1;
  }
  Json saved = Json::object();
  saved["path"] = state.file.path;
  saved["example"] = state.selected_example >= 0 ? state.examples[state.selected_example] : "";
  saved["file"] = example ? "example" : "stored";
  saved["edited"] = std::move(edited);
  std::string text = saved.dump();
  bytes += text.size();
  if (ok) ok = storage_set(kStorageKey, text);
  if (!ok) {
    forget_work(state);  // an older edit must not come back on the next visit
    state.not_kept_serials = {state.file_serial, state.samples_serial};
    char mb[32];
    std::snprintf(mb, sizeof mb, "%.1f MB", static_cast<double>(bytes) / 1048576.0);
    state.not_kept = std::string("Edited; not kept in this browser: ") + mb +
                     " does not fit its storage. Export the bundle to keep it.";
  }
}

bool restore_work(StudioState& state) {
  auto text = storage_get(kStorageKey);
  if (!text) return false;
  auto j = parse_json(*text, "saved work");
  if (!j || !j.value().is_object()) return false;
  Json& w = j.value();
  std::string example = w.value("example", std::string());
  for (int i = 0; i < static_cast<int>(state.examples.size()); ++i) {
    if (state.examples[i] == example) state.selected_example = i;
  }
  std::string path = w.value("path", std::string("restored"));
  std::optional<std::string> file;
  const bool file_stored = !w.contains("saved") && w.value("file", std::string()) == "stored";
  if (w.contains("saved")) {
    file = w.value("saved", std::string());  // written by an earlier version: one key, texts
  } else if (file_stored) {
    file = storage_get(kFileKey);
  } else {
    file = read_packaged_file(path);
  }
  if (!file) return false;
  Json edited = std::move(w["edited"]);
  const bool samples_stored = edited.is_object() && edited.contains("samples") && edited["samples"] == kSamplesStored;
  if (samples_stored) {
    auto samples = storage_get(kSamplesKey);
    if (!samples) return false;
    auto parsed = parse_json(*samples, "saved samples");
    if (!parsed) return false;
    edited["samples"] = std::move(parsed.value());
  }
  load_bundle_text(state, path, *file);
  if (edited.is_string()) {
    load_edited_text(state, edited.get<std::string>());
  } else {
    load_edited_doc(state, std::move(edited));
  }
  // Where storage already holds the current file and samples, the next save skips them.
  if (file_stored) state.stored_file_serial = state.file_serial;
  if (samples_stored) state.stored_samples_serial = state.samples_serial;
  state.saved_revision = state.revision;
  state.notice = "Restored your edit from this browser's storage.";
  return true;
}

void revert_to_saved(StudioState& state) {
  forget_work(state);
  std::string path = state.file.path;
  std::string text = state.file.text;
  if (state.selected_example >= 0 && path.rfind("/workflows/", 0) == 0) text = read_packaged_file(path);
  load_bundle_text(state, path, text);
  state.saved_revision = state.revision;
  state.notice = "Reverted to " + path + ".";
}

void import_picked_text(StudioState& state, const std::string& name, const std::string& text, PickPurpose purpose) {
  if (purpose == PickPurpose::Bundle) {
    state.selected_example = -1;
    load_bundle_text(state, "import:" + name, text);
    state.notice = "Imported " + name + ".";
    return;
  }
  // Events, one per line, appended to the bundle's sample events.
  auto events = parse_events_jsonl(text);
  if (!events) {
    state.notice = name + ": " + events.error().to_string();
    return;
  }
  if (!state.loaded || !state.doc.is_object()) return;
  Json& samples = state.doc["samples"];
  if (!samples.is_object()) samples = Json::object();
  Json& list = samples["events"];
  if (!list.is_array()) list = Json::array();
  for (const Event& e : events.value()) list.push_back(event_to_json(e));
  commit_edit(state);
  state.notice = "Added " + std::to_string(events.value().size()) + " events from " + name + ".";
}

}  // namespace shopflow::studio

// The page's JavaScript API (see shell.html: window.shopflow).
extern "C" {

STUDIO_EXPORT const char* studio_status_json() {
  using namespace shopflow::studio;
  g_out = g_state ? status_json(*g_state) : "{}";
  return g_out.c_str();
}

// The frames drawn since the last call, [simulate, UI, render] ms, draw calls and vertices each; clears the log.
STUDIO_EXPORT const char* studio_frame_log_json() {
  using namespace shopflow;
  using namespace shopflow::studio;
  Json out = Json::array();
  if (g_state) {
    for (const auto& f : g_state->frame_log) out.push_back({f.sim, f.ui, f.render, f.draw_calls, f.vertices});
    g_state->frame_log.clear();
  }
  g_out = out.dump();
  return g_out.c_str();
}

// A runner's answer to http_request() (see js_http_request); `body` is `length` bytes.
STUDIO_EXPORT void studio_http_answer(int id, int status, const char* next_after, const char* body, int length) {
  using namespace shopflow::studio;
  if (!g_state || !g_http_answer) return;
  g_http_answer(*g_state, id, status, next_after, std::string(body, static_cast<size_t>(length)));
}

STUDIO_EXPORT int studio_load_bundle_text(const char* path, const char* text) {
  using namespace shopflow::studio;
  if (!g_state) return 0;
  load_bundle_text(*g_state, path, text);
  return g_state->loaded ? 1 : 0;
}

STUDIO_EXPORT void studio_import_text(const char* name, const char* text, int purpose) {
  using namespace shopflow::studio;
  if (g_state) import_picked_text(*g_state, name, text, purpose == 1 ? PickPurpose::Events : PickPurpose::Bundle);
}

// Replaces the edited bundle with `text`, as an edit of the file opened (Undo goes back).
STUDIO_EXPORT void studio_edit_bundle_text(const char* text) {
  using namespace shopflow::studio;
  if (!g_state) return;
  auto doc = shopflow::parse_json(text, "bundle");
  if (!doc) return;
  g_state->doc = std::move(doc.value());
  commit_edit(*g_state);
}

// Opens a packaged example by file name ("abandoned-checkout.json"); 1 when it loaded.
STUDIO_EXPORT int studio_load_example(const char* name) {
  using namespace shopflow::studio;
  if (!g_state) return 0;
  for (int i = 0; i < static_cast<int>(g_state->examples.size()); ++i) {
    if (g_state->examples[i] != name) continue;
    g_state->selected_example = i;
    std::string path = "/workflows/" + g_state->examples[i];
    load_bundle_text(*g_state, path, read_packaged_file(path));
    return g_state->loaded ? 1 : 0;
  }
  return 0;
}

// The edited bundle as it would be exported.
STUDIO_EXPORT const char* studio_bundle_text() {
  using namespace shopflow::studio;
  g_out = g_state ? bundle_text(*g_state) : "";
  return g_out.c_str();
}

// Simulates the edited bundle over its sample events with the core's simulate(), at once:
// {"ok", "counts", "traceHash", "events", "error"}.
STUDIO_EXPORT const char* studio_simulate_json() {
  using namespace shopflow;
  using namespace shopflow::studio;
  Json out = {{"ok", false}};
  if (!g_state || !g_state->loaded) {
    out["error"] = "no bundle";
  } else if (!g_state->check.ok()) {
    out["error"] = "the bundle has problems";
  } else {
    auto t = simulate(g_state->check.bundle, sample_events(*g_state));
    if (!t) {
      out["error"] = t.error().to_string();
    } else {
      out = {{"ok", true}, {"counts", t.value().json["counts"]}, {"traceHash", t.value().hash},
             {"events", t.value().events}};
    }
  }
  g_out = out.dump();
  return g_out.c_str();
}
}
