// The Tests panel: runs the bundle's own self-tests (its "tests" section) with the core's
// run_test() — what `shopflow test` runs for each — a few per frame, and shows pass/fail with
// the difference between what was expected and what happened. A failed test opens its run
// at the step where it went wrong, with each decision's why.
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "panels.hpp"
#include "run_trace.hpp"
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

// The run and step where a failed test went wrong, as best its trace and difference say: a
// failed run at its failing step; the run and step of an effect the difference names
// ("effect #2 differs", "unexpected effect #3", "no_effects lists email.send"), at the decision
// that led to it; else the last decision of the first run that made one (the decision that sent
// it the other way).
void find_failing_point(TestsState& t, const std::string& diff) {
  const Json& runs = t.open_trace["runs"];
  auto select = [&](const std::string& run_id, const std::string& step) {
    for (size_t i = 0; i < runs.size(); ++i) {
      if (runs[i].value("id", std::string()) == run_id) {
        t.open_run = static_cast<int>(i);
        t.open_run_id = run_id;
        t.open_step = step;
        return true;
      }
    }
    return false;
  };
  for (const auto& r : runs) {
    if (r.value("status", std::string()) == "failed") {
      std::string step = r.value("error_step", std::string());
      if (step.empty() && r.contains("steps") && !r["steps"].empty()) step = r["steps"].back().value("path", std::string());
      if (select(r.value("id", std::string()), step)) return;
    }
  }
  const Json& effects = t.open_trace["effects"];
  // An effect's run, at the decision that led to the effect (its step when no decision did).
  auto effect_point = [&](const Json& e) {
    const std::string step = e.value("step", std::string());
    if (!select(e.value("run", std::string()), step)) return false;
    const Json& r = runs[static_cast<size_t>(t.open_run)];
    if (!r.contains("steps")) return true;
    for (const auto& st : r["steps"]) {
      const std::string path = st.value("path", std::string());
      if (path == step) break;
      if (st.contains("explanation")) t.open_step = path;
    }
    return true;
  };
  for (size_t at = diff.find("effect #"); at != std::string::npos; at = diff.find("effect #", at + 1)) {
    const long n = std::strtol(diff.c_str() + at + 8, nullptr, 10);
    if (n >= 1 && static_cast<size_t>(n) <= effects.size() && effect_point(effects[static_cast<size_t>(n - 1)])) return;
  }
  const std::string lists = "no_effects lists ";
  if (size_t at = diff.find(lists); at != std::string::npos) {
    const size_t end = diff.find(')', at);
    const std::string type = diff.substr(at + lists.size(), end == std::string::npos ? std::string::npos : end - at - lists.size());
    for (const auto& e : effects) {
      if (e.value("type", std::string()) == type && effect_point(e)) return;
    }
  }
  for (const auto& r : runs) {
    if (!r.contains("steps")) continue;
    std::string last;
    for (const auto& st : r["steps"]) {
      if (st.contains("explanation")) last = st.value("path", std::string());
    }
    if (!last.empty() && select(r.value("id", std::string()), last)) return;
  }
  if (!runs.empty()) select(runs[0].value("id", std::string()), "");
}

// Simulates test `i` again, as run_test() does, keeping its trace to show.
void open_failed_test(StudioState& state, size_t i) {
  TestsState& t = state.tests;
  const BundleTest& test = state.check.bundle.tests[i];
  t.open_test = static_cast<int>(i);
  t.open_trace = Json();
  t.open_error.clear();
  t.open_run = -1;
  t.open_run_id.clear();
  t.open_step.clear();
  t.open_scroll = true;
  SimOptions opts;
  opts.from = test.from;
  opts.until = test.until;
  opts.http_mocks = test.http_mocks;
  auto trace = simulate(state.check.bundle, test.events, opts);
  if (!trace) {
    t.open_error = "the test's simulation failed: " + trace.error().to_string();
    return;
  }
  t.open_trace = std::move(trace.value().json);
  find_failing_point(t, i < t.outcomes.size() ? t.outcomes[i].diff : std::string());
}

// The opened test's runs (the one where it went wrong selected) and the selected run's trace.
void opened_run(StudioState& state) {
  TestsState& t = state.tests;
  ImGui::Separator();
  ImGui::Text("The run of \"%s\"", state.check.bundle.tests[static_cast<size_t>(t.open_test)].name.c_str());
  ImGui::SameLine();
  if (ImGui::SmallButton("Close")) {
    t.open_test = -1;
    return;
  }
  if (!t.open_error.empty()) {
    text_wrapped_colored(kBad, t.open_error);
    return;
  }
  const Json& runs = t.open_trace["runs"];
  if (runs.empty()) {
    ImGui::TextDisabled("The test's events started no run.");
    return;
  }
  const float h = std::max(px(160), ImGui::GetContentRegionAvail().y);
  ImGui::BeginChild("testruns", ImVec2(px(260), h), true);
  for (size_t i = 0; i < runs.size(); ++i) {
    const std::string id = runs[i].value("id", std::string());
    const std::string label = id + "  " + runs[i].value("status", std::string());
    ImGui::PushID(static_cast<int>(i));
    if (ImGui::Selectable(label.c_str(), t.open_run == static_cast<int>(i))) {
      t.open_run = static_cast<int>(i);
      t.open_run_id = id;
      t.open_step.clear();
    }
    ImGui::PopID();
  }
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("testtrace", ImVec2(0, h), true);
  if (t.open_run >= 0 && static_cast<size_t>(t.open_run) < runs.size()) {
    draw_run_trace(state, runs[static_cast<size_t>(t.open_run)], t.open_run_id, t.open_step, t.open_scroll);
    t.open_scroll = false;
  }
  ImGui::EndChild();
}

}  // namespace

void draw_tests_panel(StudioState& state) {
  TestsState& t = state.tests;
  bool can = state.loaded && state.check.ok();
  ImGui::BeginDisabled(!can);
  // Edited while they run: the run starts over on the new version.
  if (ImGui::Button("Run tests") || (t.running && t.revision != state.revision)) {
    t = TestsState{};  // a run of the tests closes the run opened from the last
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
  const bool opened = t.open_test >= 0 && static_cast<size_t>(t.open_test) < state.check.bundle.tests.size();
  ImGui::BeginChild("outcomes", ImVec2(0, opened ? ImGui::GetContentRegionAvail().y * 0.35f : 0.0f));
  int i = 0;
  for (const auto& o : t.outcomes) {
    const size_t index = static_cast<size_t>(i);
    ImGui::PushID(i++);
    ImGui::TextColored(o.passed ? kGood : kBad, "%s", o.passed ? "PASS" : "FAIL");
    ImGui::SameLine();
    if (o.passed) {
      ImGui::TextUnformatted(o.name.c_str());
    } else {
      if (ImGui::Selectable(o.name.c_str(), t.open_test == static_cast<int>(index), 0,
                            ImVec2(ImGui::CalcTextSize(o.name.c_str()).x, 0)) &&
          index < state.check.bundle.tests.size()) {
        open_failed_test(state, index);
      }
      note_widget(state, "tests.open:" + std::to_string(index));
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("Open the run where this test went wrong");
    }
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
  if (opened) opened_run(state);
}

}  // namespace shopflow::studio
