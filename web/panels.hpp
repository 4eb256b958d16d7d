// The studio's panels: each a free function that draws into the current ImGui window from the
// studio state and changes it. main.cpp lays the windows out and calls them; one file each.
#pragma once

#include "studio_state.hpp"

namespace shopflow::studio {

void draw_bundle_panel(StudioState& state);     // panel_bundle.cpp: examples, import/export, workflows, problems
void draw_graph_panel(StudioState& state);      // panel_graph.cpp: the selected workflow as boxes and arrows
void draw_inspector_panel(StudioState& state);  // panel_inspector.cpp: edit the selected step
void draw_data_panel(StudioState& state);       // panel_data.cpp: sample events and tables
void draw_simulator_panel(StudioState& state);  // panel_simulator.cpp: run, clock, timeline, ledger, traces
void draw_tests_panel(StudioState& state);      // panel_tests.cpp: the bundle's self-tests
void draw_compare_panel(StudioState& state);    // panel_compare.cpp: saved vs edited over the same events
void draw_runner_panel(StudioState& state);     // panel_runner.cpp: a runner's deployed bundle, events, runs, backtest, deploy
void draw_search(StudioState& state);           // panel_search.cpp: find steps, sample events, fields; open one

// Advances a running simulation by up to `budget_ms` (called every frame, panel shown or not).
void simulator_tick(StudioState& state, double budget_ms);
// Advances a running comparison by up to `budget_ms` (called every frame, panel shown or not).
void compare_tick(StudioState& state, double budget_ms);
bool compare_running(const StudioState& state);
// Advances a running backtest by up to `budget_ms` (called every frame, panel shown or not).
void runner_tick(StudioState& state, double budget_ms);
bool backtest_running(const StudioState& state);
// Where the runner's answers go (set as the browser's answer handler at start).
void runner_answer(StudioState& state, int id, int status, const std::string& next_after, std::string body);
// Reads the runner's URL and token back from this tab's sessionStorage (no request is sent).
void runner_restore(StudioState& state);

// Copies the step at `pointer` to the studio's clipboard; pastes the clipboard's step (with ids
// made unique) after the step at `after`, or at the end of the shown workflow. panel_graph.cpp.
void copy_step(StudioState& state, const std::string& pointer);
void paste_step(StudioState& state, const std::string& after);

// Selects the step (and its workflow) a JSON Pointer concerns, e.g. a problem's pointer.
void select_pointer(StudioState& state, const std::string& pointer);

}  // namespace shopflow::studio
