// The Tests panel: runs the bundle's own self-tests (its "tests" section) with the core's
// run_test() — what `shopflow test` runs for each — a few per frame, and shows pass/fail with
// the difference between what was expected and what happened.
#include <imgui.h>

#include <cstdio>

#include "panels.hpp"
#include "ui_util.hpp"

namespace shopflow::studio {

namespace {

// Time given to the tests per frame: at least one test runs each frame.
constexpr double kTestsSliceMs = 12.0;

void run_some(StudioState& state) {
  TestsState& t = state.tests;
  const auto& tests = state.check.bundle.tests;
  const double start = slice_clock_ms();
  double spent = 0;
  while (t.next < tests.size() && spent < kTestsSliceMs) {
    t.outcomes.push_back(run_test(state.check.bundle, tests[t.next++]));
    spent = slice_clock_ms() - start;
  }
  t.ms += spent;
  if (t.next >= tests.size()) {
    t.running = false;
    t.ran = true;
  }
}

}  // namespace

void draw_tests_panel(StudioState& state) {
  TestsState& t = state.tests;
  bool can = state.loaded && state.check.ok();
  ImGui::BeginDisabled(!can);
  // Edited while they run: the run starts over on the new version.
  if (ImGui::Button("Run tests") || (t.running && t.revision != state.revision)) {
    t = TestsState{};
    t.running = true;
    t.revision = state.revision;
  }
  note_widget(state, "tests.run");
  ImGui::EndDisabled();
  ImGui::SameLine();
  size_t n = state.check.bundle.tests.size();
  if (!can) {
    ImGui::TextColored(kWarn, "%s", state.loaded ? "Fix the bundle's problems to run its tests." : "No bundle loaded.");
    return;
  }
  if (t.running) {
    run_some(state);
    if (t.running) {
      char label[64];
      std::snprintf(label, sizeof label, "test %zu of %zu", t.next, n);
      ImGui::ProgressBar(n ? static_cast<float>(t.next) / static_cast<float>(n) : 0.0f, ImVec2(-1, 0), label);
      return;
    }
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
      ImGui::PushStyleColor(ImGuiCol_Text, kBad);
      ImGui::TextUnformatted(o.diff.c_str());
      ImGui::PopStyleColor();
      ImGui::Unindent();
    }
    ImGui::PopID();
  }
  ImGui::EndChild();
}

}  // namespace shopflow::studio
