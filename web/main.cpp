// The studio's entry point: sets up GLFW + WebGL2 + Dear ImGui, loads the first example
// bundle, and draws the panels once per browser frame.
#include <GLES3/gl3.h>
#include <GLFW/glfw3.h>
#include <emscripten/emscripten.h>
#include <emscripten/html5.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <cstdio>

#include "browser.hpp"
#include "panel_bundle.hpp"
#include "studio_state.hpp"

namespace {

using shopflow::studio::StudioState;

StudioState g_state;
GLFWwindow* g_window = nullptr;

// Keeps the GLFW window (and so the canvas) the size the page gives the canvas.
void fit_canvas() {
  double w = 0, h = 0;
  emscripten_get_element_css_size("#canvas", &w, &h);
  int cw = 0, ch = 0;
  glfwGetWindowSize(g_window, &cw, &ch);
  if (static_cast<int>(w) != cw || static_cast<int>(h) != ch) {
    glfwSetWindowSize(g_window, static_cast<int>(w), static_cast<int>(h));
  }
}

void frame() {
  fit_canvas();
  glfwPollEvents();
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();

  shopflow::studio::draw_bundle_panel(g_state);

  ImGui::Render();
  int w = 0, h = 0;
  glfwGetFramebufferSize(g_window, &w, &h);
  glViewport(0, 0, w, h);
  glClearColor(0.11f, 0.12f, 0.14f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  ++g_state.frames;
}

}  // namespace

int main() {
  if (!glfwInit()) {
    std::fputs("studio: GLFW could not start\n", stderr);
    return 1;
  }
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  g_window = glfwCreateWindow(1280, 800, "Shopflow Studio", nullptr, nullptr);
  if (!g_window) {
    std::fputs("studio: WebGL2 is not available in this browser\n", stderr);
    return 1;
  }
  glfwMakeContextCurrent(g_window);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;
  ImGui::StyleColorsDark();
  ImGui_ImplGlfw_InitForOpenGL(g_window, true);
  ImGui_ImplOpenGL3_Init("#version 300 es");

  shopflow::studio::bind_browser(&g_state);
  g_state.examples = shopflow::studio::list_examples();
  for (int i = 0; i < static_cast<int>(g_state.examples.size()); ++i) {
    if (g_state.examples[i] == "order-processing.json" || g_state.selected_example < 0) g_state.selected_example = i;
  }
  if (g_state.selected_example >= 0) {
    std::string path = "/workflows/" + g_state.examples[g_state.selected_example];
    shopflow::studio::load_bundle_text(g_state, path, shopflow::studio::read_packaged_file(path));
  }

  emscripten_set_main_loop(frame, 0, true);
  return 0;
}
