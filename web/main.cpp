// The studio's entry point: sets up GLFW + WebGL2 + Dear ImGui, restores the saved work or
// opens the first example bundle, lays out the panels over the whole canvas and draws them
// once per browser frame. Saves the edited bundle to browser storage after each change.
#include <GLES3/gl3.h>
#include <GLFW/glfw3.h>
#include <emscripten/emscripten.h>
#include <emscripten/html5.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>

#include "browser.hpp"
#include "display.hpp"
#include "panels.hpp"
#include "shopflow/simulator.hpp"
#include "shopflow/sqlite_store.hpp"
#include "shopflow/zoneinfo.hpp"
#include "studio_state.hpp"
#include "ui_util.hpp"

namespace {

using shopflow::studio::BottomTab;
using shopflow::studio::StudioState;

StudioState g_state;
GLFWwindow* g_window = nullptr;
GLint g_viewport[4] = {0, 0, 0, 0};  // as draw_frame() last set it

}  // namespace

// ImGui's OpenGL backend saves the GL state before each frame it draws and puts it back after
// (its glGetIntegerv calls come here: cmake/Dependencies.cmake). Chrome's WebGL answers the
// viewport, scissor and blend questions only once the GPU process has done all that is queued:
// eight waits a drawn frame, 7 ms of it on average and up to 14 ms. Nothing else draws on this
// context, so the answers are known without asking: the viewport draw_frame() set, and WebGL's
// initial scissor and blend state, which the backend then puts back (with the scissor test and
// blending off, as glIsEnabled, answered without a wait, tells it).
extern "C" void shopflow_gl_get_integerv(GLenum pname, GLint* data) {
  switch (pname) {
    case GL_VIEWPORT:
    case GL_SCISSOR_BOX: std::copy(g_viewport, g_viewport + 4, data); return;
    case GL_BLEND_SRC_RGB:
    case GL_BLEND_SRC_ALPHA: *data = GL_ONE; return;
    case GL_BLEND_DST_RGB:
    case GL_BLEND_DST_ALPHA: *data = GL_ZERO; return;
    case GL_BLEND_EQUATION_RGB:
    case GL_BLEND_EQUATION_ALPHA: *data = GL_FUNC_ADD; return;
    default: glGetIntegerv(pname, data);
  }
}

namespace {

constexpr ImGuiWindowFlags kTiled = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                    ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings;

void place(float x, float y, float w, float h) {
  ImGui::SetNextWindowPos(ImVec2(x, y), ImGuiCond_Always);
  ImGui::SetNextWindowSize(ImVec2(w, h), ImGuiCond_Always);
}

// The question before an action that would discard the edits (unless_edits_lost).
void confirm_discard(StudioState& state) {
  using namespace shopflow::studio;
  const char* title = "Discard the edits?";
  if (!state.confirm_question.empty() && !ImGui::IsPopupOpen(title)) ImGui::OpenPopup(title);
  if (!ImGui::BeginPopupModal(title, nullptr, ImGuiWindowFlags_AlwaysAutoResize)) return;
  ImGui::PushTextWrapPos(px(420));
  ImGui::TextUnformatted(state.confirm_question.c_str());
  ImGui::PopTextWrapPos();
  ImGui::Spacing();
  if (ImGui::Button("Discard the edits")) {
    auto action = std::move(state.confirm_action);
    state.confirm_question.clear();
    state.confirm_action = nullptr;
    ImGui::CloseCurrentPopup();
    if (action) action(state);
  }
  note_widget(state, "confirm.discard");
  ImGui::SameLine();
  if (ImGui::Button("Keep editing") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) {
    state.confirm_question.clear();
    state.confirm_action = nullptr;
    ImGui::CloseCurrentPopup();
  }
  note_widget(state, "confirm.keep");
  ImGui::EndPopup();
}

// Ctrl/Cmd+Z undoes the last edit, Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y redo it, Ctrl/Cmd+C copies
// the selected step and Ctrl/Cmd+V pastes it after the selected one, unless a text field has
// the keyboard (it undoes, copies and pastes its own text).
void edit_shortcuts(StudioState& state) {
  using namespace shopflow::studio;
  ImGuiIO& io = ImGui::GetIO();
  if (ImGui::GetActiveID() == 0) state.history.merge_id = 0;  // the next typing is a new edit
  if (io.WantTextInput || !(io.KeyCtrl || io.KeySuper) || !state.confirm_question.empty()) return;
  if (ImGui::IsKeyPressed(GLFW_KEY_Z, false)) {
    if (io.KeyShift) {
      redo_edit(state);
    } else {
      undo_edit(state);
    }
  } else if (ImGui::IsKeyPressed(GLFW_KEY_Y, false)) {
    redo_edit(state);
  } else if (ImGui::IsKeyPressed(GLFW_KEY_C, false) && !state.selected.empty()) {
    copy_step(state, state.selected);
  } else if (ImGui::IsKeyPressed(GLFW_KEY_V, false)) {
    paste_step(state, state.selected);
  }
}

// A tiled layout without ImGui's docking branch: the bundle column on the left, the graph and
// the inspector side by side on top, simulator / tests / compare / data as tabs below.
void draw_layout(StudioState& state) {
  using namespace shopflow::studio;
  ImVec2 d = ImGui::GetIO().DisplaySize;
  float left = std::clamp(d.x * 0.21f, px(250.0f), px(340.0f));
  float top_h = std::floor(d.y * 0.55f);
  float rest = d.x - left;
  float graph_w = std::floor(rest * 0.56f);

  place(0, 0, left, d.y);
  ImGui::Begin("Bundle", nullptr, kTiled);
  draw_bundle_panel(state);
  ImGui::End();

  place(left, 0, graph_w, top_h);
  ImGui::Begin("Workflow", nullptr, kTiled | ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  draw_graph_panel(state);
  ImGui::End();

  place(left + graph_w, 0, rest - graph_w, top_h);
  ImGui::Begin("Inspector", nullptr, kTiled);
  draw_inspector_panel(state);
  ImGui::End();

  place(left, top_h, rest, d.y - top_h);
  ImGui::Begin("Run", nullptr, kTiled | ImGuiWindowFlags_NoTitleBar);
  if (ImGui::BeginTabBar("bottom")) {
    struct Tab {
      const char* label;
      BottomTab tab;
      void (*draw)(StudioState&);
    };
    static const Tab kTabs[] = {{"Simulator", BottomTab::Simulator, draw_simulator_panel},
                                {"Tests", BottomTab::Tests, draw_tests_panel},
                                {"Compare", BottomTab::Compare, draw_compare_panel},
                                {"Sample data", BottomTab::Data, draw_data_panel},
                                {"Runner", BottomTab::Runner, draw_runner_panel}};
    bool pending = state.tab_pending;
    state.tab_pending = false;
    for (const Tab& t : kTabs) {
      ImGuiTabItemFlags flags = pending && state.tab == t.tab ? ImGuiTabItemFlags_SetSelected : 0;
      bool open = ImGui::BeginTabItem(t.label, nullptr, flags);
      note_widget(state, std::string("tab.") + t.label);
      if (open) {
        if (!pending) state.tab = t.tab;
        t.draw(state);
        ImGui::EndTabItem();
      }
    }
    ImGui::EndTabBar();
  }
  ImGui::End();
  confirm_discard(state);
}

// Simulates the bundle's first 400 sample events (repeated when it has fewer) five times in the
// background, 8 ms per frame, from the third frame on. The browser compiles WebAssembly in
// tiers: code starts unoptimized, and functions that turn out hot (SQLite's, the engine's, the
// languages') are recompiled optimized on both cores. Met for the first time by a Run, that
// recompilation took both cores for a second, and frames took 100 ms. Each warm-up simulation
// opens its own store as a Run does, so SQLite's statement compiler gets hot too (V8's log
// showed it among the functions optimized at a Run's start). The warm-up stops when the user
// starts a simulation and starts again when another bundle is opened.
constexpr size_t kWarmUpEvents = 400;
constexpr int kWarmUpRuns = 5;  // each opens its own store, as a Run does
constexpr double kWarmUpSliceMs = 8.0;

// Ends (done) or restarts (not done) the warm-up, dropping its run: a few hundred events'
// trace is freed at once, not left on the session's list to free frame by frame.
void reset_warm_up(StudioState& state, bool done) {
  shopflow::studio::sim_reset(state.warm_up);
  state.warm_up.discard.clear();
  state.warm_up_done = done;
}

void warm_up(StudioState& state) {
  using namespace shopflow::studio;
  SimSession& w = state.warm_up;
  // Again for each bundle opened: its workflows may use code the last one did not.
  if (state.loaded && state.file.path != state.warm_up_for && state.sim.phase != SimPhase::Running &&
      !compare_running(state) && !backtest_running(state)) {
    reset_warm_up(state, false);
    state.warm_up_runs = 0;
    state.warm_up_for = state.file.path;
  }
  if (state.warm_up_done) return;
  if (state.sim.phase == SimPhase::Running || compare_running(state) || backtest_running(state)) {
    return reset_warm_up(state, true);
  }
  if (w.phase == SimPhase::Idle) {
    if (!state.loaded || !state.check.ok() || sample_events(state).empty()) {
      (void)shopflow::SqliteStore::open(":memory:");
      return reset_warm_up(state, true);
    }
    const auto& samples = sample_events(state);
    auto events = std::make_shared<std::vector<shopflow::Event>>();
    if (samples.size() >= kWarmUpEvents) {
      events->assign(samples.begin(), samples.begin() + kWarmUpEvents);
    } else {
      *events = shopflow::repeat_events(samples, kWarmUpEvents / samples.size(), 24 * 3600 * 1000LL);
    }
    sim_start(w, state.check.bundle, std::move(events), state.revision);
    if (w.phase == SimPhase::Failed) return reset_warm_up(state, true);
    w.phase = SimPhase::Running;
  }
  sim_slice(w, kWarmUpSliceMs);
  if (w.phase != SimPhase::Running) {
    ++state.warm_up_runs;
    reset_warm_up(state, state.warm_up_runs >= kWarmUpRuns);
  }
}

double now_ms() { return emscripten_get_now(); }

constexpr int kDrawEveryWhileSimulating = 4;
// A backtest draws its progress this often, in ms: with software WebGL the browser's commit of
// a drawn frame takes some 10 ms of the page's main thread, and a backtest of a million events
// runs through thousands of frames.
constexpr double kBacktestDrawEveryMs = 200.0;
double g_drawn_ms = 0.0;  // when the last frame was drawn
// The simulation time a frame of a running backtest gets at least, in ms: with what the frame
// does besides (and a page of the runner's answer handed over between two frames), well under
// 50 ms.
constexpr double kBacktestSliceMs = 12.0;

// Keeps the edit in browser storage once it has stood still for a moment, not at every
// keystroke: with a day of sample events, writing the bundle out takes a good part of a second.
// Leaving the page saves what is still pending (on_leave).
constexpr double kSaveAfterMs = 400.0;

void save_when_settled(StudioState& state, double now) {
  if (!state.loaded || state.revision == state.saved_revision) return;
  if (state.revision != state.edit_revision) {
    state.edit_revision = state.revision;
    state.edit_ms = now;
  }
  if (now - state.edit_ms >= kSaveAfterMs) shopflow::studio::save_work(state);
}

const char* on_leave(int, const void*, void*) {
  if (g_state.loaded && g_state.revision != g_state.saved_revision) shopflow::studio::save_work(g_state);
  return nullptr;  // no "leave this page?" question
}

// While a backtest runs, the frames follow each other as soon as the page's other work allows
// (Emscripten's "set immediate" timing, a message the page posts itself), not at the display's
// refresh: a frame that draws nothing then waits for no refresh and costs the browser no
// rendering step, and the runner's answers are taken in between. Drawn frames reach the screen
// at the next refresh.
void set_loop_timing(bool backtest) {
  static bool immediate = false;
  if (backtest == immediate) return;
  immediate = backtest;
  emscripten_set_main_loop_timing(backtest ? EM_TIMING_SETIMMEDIATE : EM_TIMING_RAF, backtest ? 0 : 1);
}

void draw_frame() {
  double t0 = now_ms();
  if (g_state.frames >= 3) warm_up(g_state);
  glfwPollEvents();
  shopflow::studio::Display& display = g_state.display;
  shopflow::studio::display_frame(display);
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  // GLFW's window keeps the size it was created with (resizing it through GLFW would ask the
  // browser for fullscreen whenever the window is as large as the screen); the canvas's
  // drawing buffer is what ImGui draws into, and the mouse is in its pixels too.
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(static_cast<float>(display.canvas_w), static_cast<float>(display.canvas_h));
  io.DisplayFramebufferScale = ImVec2(1, 1);
  shopflow::studio::Wheel wheel = shopflow::studio::take_wheel();
  io.MouseWheel += wheel.y;
  io.MouseWheelH += wheel.x;
  g_state.zoom_wheel = wheel.zoom;
  ImGui::NewFrame();

  g_state.widgets.clear();
  g_state.why_drawn.clear();
  // While a simulation runs (Run or Compare) a frame either simulates or draws. What changes on
  // screen is a progress bar and a clock, so every fourth frame is drawn; the others give the
  // simulation the frame's budget (the Run's slider). A drawn frame simulates almost nothing:
  // with software WebGL the browser reads each drawn frame back from the GPU process before
  // the next one starts, and that wait is already most of a frame.
  const bool simulating = g_state.sim.phase == shopflow::studio::SimPhase::Running ||
                          shopflow::studio::compare_running(g_state) || shopflow::studio::backtest_running(g_state);
  const bool backtest = shopflow::studio::backtest_running(g_state);
  set_loop_timing(backtest);
  const bool draws = !simulating || (backtest ? t0 - g_drawn_ms >= kBacktestDrawEveryMs
                                              : g_state.frames % kDrawEveryWhileSimulating == 0);
  if (draws) g_drawn_ms = t0;
  // A backtest has nothing to show per event: it draws a few times a second, and simulates in
  // those frames too (no readback to wait for in a frame of its own timing).
  const double budget = simulating && draws && !backtest ? 0.0
                        : backtest ? std::max<double>(g_state.sim.budget_ms, kBacktestSliceMs)
                                                                     : g_state.sim.budget_ms;
  shopflow::studio::simulator_tick(g_state, budget);
  // A comparison gets what is left of the frame's simulation budget.
  shopflow::studio::compare_tick(g_state, std::max(0.0, budget - (now_ms() - t0)));
  // A backtest gets what is left after that.
  shopflow::studio::runner_tick(g_state, std::max(0.0, budget - (now_ms() - t0)));
  double t1 = now_ms();
  edit_shortcuts(g_state);
  draw_layout(g_state);
  save_when_settled(g_state, t0);

  ImGui::Render();
  double t2 = now_ms();
  ++g_state.frames;
  if (!draws) {
    if (g_state.frame_log.size() < 100000) {
      g_state.frame_log.push_back({static_cast<float>(t1 - t0), static_cast<float>(t2 - t1), 0.0f, 0, 0});
    }
    return;
  }
  int w = display.canvas_w, h = display.canvas_h;
  glViewport(0, 0, w, h);
  g_viewport[2] = w;
  g_viewport[3] = h;
  const ImVec4& kBackground = shopflow::studio::kBackground;
  glClearColor(kBackground.x, kBackground.y, kBackground.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImDrawData* draw = ImGui::GetDrawData();
  ImGui_ImplOpenGL3_RenderDrawData(draw);
  if (g_state.frame_log.size() < 100000) {
    int calls = 0;
    for (int i = 0; i < draw->CmdListsCount; ++i) calls += draw->CmdLists[i]->CmdBuffer.Size;
    g_state.frame_log.push_back({static_cast<float>(t1 - t0), static_cast<float>(t2 - t1),
                                 static_cast<float>(now_ms() - t2), calls, draw->TotalVtxCount});
  }
}

// One frame. An exception that escapes it ends the page's main loop: it is named on the
// console (the browser test fails on console errors) before it goes on.
void frame() {
  try {
    draw_frame();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "studio: frame %d failed: %s\n", g_state.frames, e.what());
    throw;
  }
}

}  // namespace

int main() {
  // The zone files come with the studio's data file, under /usr/share/zoneinfo.
  shopflow::use_zone_source(&shopflow::system_zones());
  if (!glfwInit()) {
    std::fputs("studio: GLFW could not start\n", stderr);
    return 1;
  }
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  // ImGui draws flat 2D triangles: no depth or stencil buffer, and an opaque canvas the page
  // composites without blending. Each is a full-canvas buffer the browser clears every frame.
  glfwWindowHint(GLFW_DEPTH_BITS, 0);
  glfwWindowHint(GLFW_STENCIL_BITS, 0);
  glfwWindowHint(GLFW_ALPHA_BITS, 0);
  g_window = glfwCreateWindow(1280, 800, "Shopflow Studio", nullptr, nullptr);
  if (!g_window) {
    std::fputs("studio: WebGL2 is not available in this browser\n", stderr);
    return 1;
  }
  glfwMakeContextCurrent(g_window);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;
  using namespace shopflow::studio;
  load_display_settings(g_state.display);
  display_frame(g_state.display);
  install_wheel();
  ImGui_ImplGlfw_InitForOpenGL(g_window, true);
  ImGui_ImplOpenGL3_Init("#version 300 es");

  bind_browser(&g_state);
  on_http_answer(runner_answer);
  g_state.examples = list_examples();
  if (!restore_work(g_state)) {
    for (int i = 0; i < static_cast<int>(g_state.examples.size()); ++i) {
      if (g_state.examples[i] == "order-processing.json" || g_state.selected_example < 0) g_state.selected_example = i;
    }
    if (g_state.selected_example >= 0) {
      std::string path = "/workflows/" + g_state.examples[g_state.selected_example];
      load_bundle_text(g_state, path, read_packaged_file(path));
    }
    g_state.saved_revision = g_state.revision;
  }

  emscripten_set_beforeunload_callback(nullptr, on_leave);
  emscripten_set_main_loop(frame, 0, true);
  return 0;
}
