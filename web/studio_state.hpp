// The studio's whole state: a plain struct the panels read and change. Nothing in it is
// hidden in a panel, so it can be printed, saved and inspected by the tests.
//
// The bundle being edited is kept as its JSON document (`doc`, keys in their original order);
// every edit changes `doc` and then calls commit_edit(), which checks the document again
// (`check`), and marks it for saving to browser storage. The compiled model in `check.bundle`
// is only read. Steps are addressed by their JSON Pointer into `doc`
// ("/workflows/0/steps/2/then/0").
#pragma once

#include <imgui.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shopflow/bundle.hpp"
#include "shopflow/json.hpp"
#include "display.hpp"
#include "history.hpp"
#include "runner_state.hpp"
#include "shopflow/simulator.hpp"
#include "sim_session.hpp"

namespace shopflow::studio {

struct BundleFile {
  std::string path;  // where it came from, e.g. "/workflows/order-processing.json" or "import:my.json"
  std::string text;  // the bundle as JSON text when it was opened (the "saved" version)
};

// The tabs of the lower window.
enum class BottomTab { Simulator, Tests, Compare, Data, Runner };

struct GraphView {
  float zoom = 1.0f;
  float pan_x = 0.0f, pan_y = 0.0f;  // screen offset of the graph's origin from the canvas corner
  bool fit_pending = true;           // recenter on the next frame (new workflow)
  // The workflow as an outline in columns instead of the graph: what Fit shows when the graph
  // would need boxes too small to name their steps.
  bool outline = false;
  std::string menu_pointer;          // the step the context menu was opened on
  float smallest_text_css = 0;       // the smallest text drawn last frame, in CSS pixels (0: none)
  int path_steps = 0;                // steps of the selected run shown on its path last frame
  int boxes = 0, boxes_outside = 0;  // boxes drawn last frame, and of those not wholly in the pane
};

// A JSON text being edited in the inspector: kept while it does not parse, so the user can
// finish typing; written to the document whenever it parses (and, for rules, compiles).
struct RawEdit {
  std::string text;
  std::string error;  // why `text` is not accepted yet, "" when it is
  int revision = -1;  // the document revision `text` was made from
};

struct InspectorState {
  std::map<std::string, RawEdit> raw;      // by the edited value's JSON Pointer
  std::map<std::string, bool> raw_mode;    // conditions shown as JSON on request, by pointer
  // The field picker's fields of the sample events (field_picker.cpp), for the samples
  // (samples_serial) and trigger event type they were read from; and its search text.
  std::map<std::string, std::string> field_kinds;
  int field_kinds_serial = -1;
  std::string field_kinds_type;
  // The event a condition being drawn sees as `event` when it is not the trigger's: a wait's
  // match sees the arriving event (this type) and the run's trigger as `trigger`. "" = none.
  std::string scope_event;
  std::map<std::string, std::string> scope_kinds;  // the fields in that scope, for scope_key
  std::string scope_key;
  std::string field_filter;
  std::map<std::string, std::string> chip_text;  // what is typed into a list value or a duration, by widget
};

struct TestsState {
  bool ran = false;      // a run of the tests finished
  bool running = false;  // tests run a few per frame until all have (a bundle may have many)
  size_t next = 0;       // the next test to run
  int revision = -1;     // the revision tested
  std::vector<TestOutcome> outcomes;
  double ms = 0;
  // A failed test's run, opened at the step where it went wrong (panel_tests.cpp): the test's
  // index, its simulation's trace, the run and step shown, and whether to scroll to the step.
  int open_test = -1;
  Json open_trace;
  std::string open_error;  // why the test's simulation could not be shown, "" when it was
  int open_run = -1;
  std::string open_run_id;
  std::string open_step;
  bool open_scroll = false;
};

struct CompareJob;  // panel_compare.cpp

// Compare: both versions simulated over the same events, a slice per frame (compare_tick), then
// what differs. The results below are those of `revision` once `done`.
struct CompareState {
  bool ran = false;                   // asked for (and redone after each edit while the panel is open)
  int revision = -1;                  // the edited revision compared
  bool done = false;                  // both simulations ended and the results are in
  SimSession saved_run, edited_run;   // the two simulations (the saved one first)
  std::shared_ptr<CompareJob> job;    // comparing their traces, once both have ended
  std::string error;
  Json saved_counts, edited_counts;   // trace["counts"] of each side
  std::map<std::string, long> effect_delta;  // edited - saved, by effect type (only non-zero)
  std::vector<std::string> lines;     // readable changes: flipped decisions, effects (dis)appeared
  std::string saved_hash, edited_hash;
};

struct StudioState {
  std::vector<std::string> examples;  // example bundles shipped with the page
  int selected_example = -1;
  BundleFile file;
  bool loaded = false;
  std::string load_error;  // JSON syntax error of the current file, "" when none
  Json doc;                // the bundle document being edited
  BundleCheck check;       // `doc` checked: the compiled bundle and its problems (samples apart)
  // The checked sample events, moved out of `check` and shared with simulations (sample_events()).
  std::shared_ptr<const std::vector<Event>> samples = std::make_shared<const std::vector<Event>>();
  EditHistory history;     // versions of `doc` for Undo and Redo
  int revision = 0;        // incremented by every edit
  int saved_revision = 0;  // revision last written to browser storage
  std::string not_kept;    // why the last write to browser storage failed, "" when it worked
  std::pair<int, int> not_kept_serials{-1, -1};  // file_serial and samples_serial it failed with
  Json file_doc;           // the file as opened, parsed (what "Edited" compares with)
  // The sample events as last checked in full, when they had no problems (recheck).
  Json checked_samples;
  bool samples_checked = false;
  // Counters that tell browser storage what to write again (save_work): the file opened, and
  // the sample events (each full check may have seen new ones); and what it last wrote.
  int file_serial = 0, samples_serial = 0;
  int stored_file_serial = -1, stored_samples_serial = -1;
  // bundle_text() as of `text_revision` and bundle_edited() as of `edited_revision`: writing
  // out or comparing the whole bundle, samples included, takes milliseconds, so each is done
  // once per revision.
  mutable std::string text;
  mutable int text_revision = -1;
  mutable bool edited = false;
  mutable int edited_revision = -1;
  std::string notice;      // one line shown in the bundle panel ("exported ...", "restored ...")
  // An action that would discard the edits, waiting for the user to confirm it (main.cpp asks).
  std::string confirm_question;
  std::function<void(StudioState&)> confirm_action;

  Json clipboard;            // a step copied in the graph (Copy, Ctrl/Cmd+C), null when none
  int workflow = 0;          // index of the workflow shown in the graph
  std::string selected;      // JSON Pointer of the selected step, "" for none; "trigger" for the trigger
  int sample_event = 0;      // sample event the template previews render against
  bool scroll_to_sample = false;  // bring `sample_event` into view in Sample data on the next frame
  std::string search;        // the search box's text (panel_search.cpp)
  GraphView graph;
  InspectorState inspector;
  BottomTab tab = BottomTab::Simulator;
  bool tab_pending = false;  // select `tab` on the next frame

  // Data panel: how many copies of the sample events to add, and how far apart.
  int generate_copies = 10;
  std::string generate_every = "PT1H";

  SimSession sim;
  // A short simulation in the background after the page starts (main.cpp: warm_up).
  SimSession warm_up;
  bool warm_up_done = false;
  int warm_up_runs = 0;     // simulations of it finished
  std::string warm_up_for;  // path of the bundle it simulates
  TestsState tests;
  CompareState compare;
  RunnerState runner;

  Display display;        // canvas size, scale, fonts, theme
  float zoom_wheel = 0;   // this frame's Ctrl+wheel or pinch, in notches (> 0 zooms in)

  // Where some widgets were drawn last frame (x, y, w, h in CSS pixels), by name, so the
  // browser tests can click and type through the UI like a user.
  std::map<std::string, std::vector<float>> widgets;
  // The why-sentences of the decisions shown in run traces last frame (run_trace.cpp), and of the
  // events trigger filters rejected (panel_simulator.cpp), for the same.
  std::vector<std::string> why_drawn;

  int frames = 0;  // frames drawn so far; the tests wait for the first
  int edit_revision = -1;  // the last revision seen by the saver, and when it was first seen (ms)
  double edit_ms = 0;

  // Where each recent frame's time went, in ms: simulating, building the UI, handing the draw
  // lists to WebGL; and what it drew. The benchmark reads and clears it (window.shopflow.frameLog()).
  struct FrameTimes {
    float sim = 0, ui = 0, render = 0;
    int draw_calls = 0, vertices = 0;
  };
  std::vector<FrameTimes> frame_log;
};

// Loads bundle text into the state: parses, checks, and keeps the result or the error. The
// text becomes the "saved" version (Compare, Revert) and the edit starts from it.
void load_bundle_text(StudioState& state, std::string path, std::string text);

// Replaces the edited document (keeps the saved version), e.g. when restoring from storage.
void load_edited_text(StudioState& state, const std::string& text);
void load_edited_doc(StudioState& state, Json doc);

// Call after changing state.doc: re-checks it, bumps the revision, keeps the selection valid,
// and records the edit for Undo.
void commit_edit(StudioState& state);

// Undo and Redo of the edits: the bundle as before the last edit (as after the edit undone
// last). False when there is nothing to undo (redo).
bool undo_edit(StudioState& state);
bool redo_edit(StudioState& state);

// Runs `action` at once when it discards no edits; otherwise asks first (main.cpp draws the
// question) and runs it only when the user agrees. `what` names the action ("Open quotes.json").
void unless_edits_lost(StudioState& state, const std::string& what, std::function<void(StudioState&)> action);

// The edited bundle as text: pretty-printed (2 spaces), keys in document order.
const std::string& bundle_text(const StudioState& state);
// Whether the edited bundle differs from the file it was opened from.
bool bundle_edited(const StudioState& state);

// The sample events of the current bundle, or none when it does not load.
const std::vector<Event>& sample_events(const StudioState& state);
// The same, shared (simulations hold on to them while the bundle is edited).
std::shared_ptr<const std::vector<Event>> shared_sample_events(const StudioState& state);

// A short JSON summary the page exposes to JavaScript (tests read it).
std::string status_json(const StudioState& state);

// Remembers a widget's rectangle (the last item drawn) under `name` for the tests.
void note_widget(StudioState& state, const std::string& name);
// The same for a rectangle drawn by hand (min and max corners, in ImGui's device pixels).
void note_rect(StudioState& state, const std::string& name, ImVec2 min, ImVec2 max);

}  // namespace shopflow::studio
