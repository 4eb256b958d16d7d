// The Tests panel: runs the bundle's own self-tests (its "tests" section) with the core's
// run_tests() — the same function `shopflow test` calls — and shows pass/fail with the
// difference between what was expected and what happened.
#include <imgui.h>

#include <chrono>

#include "panels.hpp"
#include "ui_util.hpp"

namespace shopflow::studio {

void draw_tests_panel(StudioState& state) {
  TestsState& t = state.tests;
  bool can = state.loaded && state.check.ok();
  ImGui::BeginDisabled(!can);
  if (ImGui::Button("Run tests")) {
    auto start = std::chrono::steady_clock::now();
    t.outcomes = run_tests(state.check.bundle);
    t.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    t.ran = true;
  }
  note_widget(state, "tests.run");
  ImGui::EndDisabled();
  ImGui::SameLine();
  size_t n = state.check.bundle.tests.size();
  if (!can) {
    ImGui::TextColored(kWarn, "%s", state.loaded ? "Fix the bundle's problems to run its tests." : "No bundle loaded.");
    return;
  }
  if (!t.ran) {
    ImGui::TextDisabled("%zu test%s in this bundle", n, n == 1 ? "" : "s");
    for (const auto& bt : state.check.bundle.tests) ImGui::BulletText("%s", bt.name.c_str());
    return;
  }
  size_t passed = 0;
  for (const auto& o : t.outcomes) passed += o.passed ? 1 : 0;
  ImGui::TextColored(passed == t.outcomes.size() ? kGood : kBad, "%zu of %zu passed", passed, t.outcomes.size());
  ImGui::SameLine();
  ImGui::TextDisabled("(%.0f ms)", t.ms);
  ImGui::Separator();
  ImGui::BeginChild("outcomes");
  int i = 0;
  for (const auto& o : t.outcomes) {
    ImGui::PushID(i++);
    ImGui::TextColored(o.passed ? kGood : kBad, "%s", o.passed ? "PASS" : "FAIL");
    ImGui::SameLine();
    ImGui::TextUnformatted(o.name.c_str());
    if (!o.trace_hash.empty()) {
      ImGui::SameLine();
      ImGui::TextDisabled("trace %s", o.trace_hash.c_str());
    }
    if (!o.passed) {
      ImGui::Indent();
      ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.8f, 0.75f, 1.0f));
      ImGui::TextUnformatted(o.diff.c_str());
      ImGui::PopStyleColor();
      ImGui::Unindent();
    }
    ImGui::PopID();
  }
  ImGui::EndChild();
}

}  // namespace shopflow::studio
