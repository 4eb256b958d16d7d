// Loading, checking and summarising the studio's state.
#include "studio_state.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>

#include "cond_builder.hpp"
#include "doc_edit.hpp"

namespace shopflow::studio {

namespace {

bool is_sample_problem(const Problem& p) { return p.pointer.rfind("/samples", 0) == 0; }

// Checks the edited document. Most edits leave the sample events alone, and with a day of them
// checking those is nearly all the work (0.1 s natively for 10,000): when the samples equal the
// ones last checked, and those had no problems, the rest is checked and their events kept.
void recheck(StudioState& state) {
  const Json* samples = nullptr;
  if (state.doc.is_object()) {
    if (auto it = state.doc.find("samples"); it != state.doc.end()) samples = &*it;
  }
  if (samples && state.samples_checked && *samples == state.checked_samples) {
    state.check = check_bundle(without_member(state.doc, "samples"));
  } else {
    state.check = check_bundle(state.doc);
    state.samples = std::make_shared<const std::vector<Event>>(std::move(state.check.bundle.sample_events));
    state.check.bundle.sample_events.clear();
    ++state.samples_serial;
    state.samples_checked = samples && std::none_of(state.check.problems.begin(), state.check.problems.end(), is_sample_problem);
    state.checked_samples = state.samples_checked ? *samples : Json();
  }
  int n = static_cast<int>(state.check.bundle.workflows.size());
  if (state.doc.contains("workflows") && state.doc["workflows"].is_array()) n = static_cast<int>(state.doc["workflows"].size());
  if (state.workflow >= n) state.workflow = n > 0 ? n - 1 : 0;
  if (!state.selected.empty() && state.selected != "trigger" && !resolve(state.doc, state.selected)) state.selected.clear();
  int events = static_cast<int>(sample_events(state).size());
  if (state.sample_event >= events) state.sample_event = events > 0 ? events - 1 : 0;
}

}  // namespace

void load_bundle_text(StudioState& state, std::string path, std::string text) {
  // The Open list names the example this is, or none (an imported or generated bundle).
  state.selected_example = -1;
  for (size_t i = 0; i < state.examples.size(); ++i) {
    if (path == "/workflows/" + state.examples[i]) state.selected_example = static_cast<int>(i);
  }
  state.file = BundleFile{std::move(path), std::move(text)};
  ++state.file_serial;
  state.workflow = 0;
  state.selected.clear();
  state.sample_event = 0;
  state.graph = GraphView{};
  state.inspector = InspectorState{};
  state.tests = TestsState{};
  state.compare = CompareState{};  // a comparison of another file is of no use (its traces go at once)
  sim_reset(state.sim);
  load_edited_text(state, state.file.text);
  state.file_doc = state.loaded ? state.doc : Json();
}

void load_edited_text(StudioState& state, const std::string& text) {
  state.load_error.clear();
  auto r = parse_json(text, "bundle");
  if (!r) {
    state.load_error = r.error().to_string();
    state.loaded = false;
    state.doc = Json();
    state.check = BundleCheck{};
    state.samples = std::make_shared<const std::vector<Event>>();
    state.samples_checked = false;
    state.checked_samples = Json();
    ++state.revision;
    history_start(state.history, state.doc);
    return;
  }
  load_edited_doc(state, std::move(r.value()));
}

void load_edited_doc(StudioState& state, Json doc) {
  state.load_error.clear();
  state.doc = std::move(doc);
  state.loaded = true;
  recheck(state);
  ++state.revision;
  history_start(state.history, state.doc);
}

void commit_edit(StudioState& state) {
  recheck(state);
  ++state.revision;
  // Keystrokes into one text field are one edit: the field being typed into, if any.
  unsigned typing = 0;
  if (ImGui::GetCurrentContext() != nullptr) {
    ImGuiContext& g = *ImGui::GetCurrentContext();
    if (g.ActiveId != 0 && g.InputTextState.ID == g.ActiveId) typing = g.ActiveId;
  }
  history_record(state.history, state.doc, state.selected, state.workflow, typing);
}

namespace {

void apply_version(StudioState& state, const std::string& selected, int workflow) {
  state.doc = version_doc(state.history.current);
  state.loaded = true;
  state.load_error.clear();
  state.workflow = workflow;
  recheck(state);
  ++state.revision;
  state.selected = selected == "trigger" || resolve(state.doc, selected) ? selected : "";
}

}  // namespace

bool undo_edit(StudioState& state) {
  if (!history_undo(state.history)) return false;
  const Version& undone = state.history.redo.back();
  apply_version(state, undone.selected, undone.workflow);
  return true;
}

bool redo_edit(StudioState& state) {
  if (!history_redo(state.history)) return false;
  apply_version(state, state.history.current.selected, state.history.current.workflow);
  return true;
}

void unless_edits_lost(StudioState& state, const std::string& what, std::function<void(StudioState&)> action) {
  if (!bundle_edited(state)) {
    action(state);
    return;
  }
  state.confirm_question = what + "? The edits to " + (state.check.bundle.name.empty() ? std::string("this bundle") : state.check.bundle.name) +
                           " will be lost (Export keeps them as a file).";
  state.confirm_action = std::move(action);
}

const std::string& bundle_text(const StudioState& state) {
  if (!state.loaded) return state.file.text;
  if (state.text_revision != state.revision) {
    state.text = state.doc.dump(2) + "\n";
    state.text_revision = state.revision;
  }
  return state.text;
}

bool bundle_edited(const StudioState& state) {
  if (!state.loaded) return false;
  if (state.edited_revision != state.revision) {
    state.edited = state.doc != state.file_doc;
    state.edited_revision = state.revision;
  }
  return state.edited;
}

const std::vector<Event>& sample_events(const StudioState& state) { return *state.samples; }

std::shared_ptr<const std::vector<Event>> shared_sample_events(const StudioState& state) { return state.samples; }

std::string status_json(const StudioState& state) {
  Json workflows = Json::array();
  for (const auto& w : state.check.bundle.workflows) workflows.push_back({{"id", w.id}, {"event", w.trigger.event}});
  Json problems = Json::array();
  for (const auto& p : state.check.problems) problems.push_back({{"pointer", p.pointer}, {"message", p.message}});
  const SimSession& s = state.sim;
  const char* phases[] = {"idle", "running", "paused", "done", "failed"};
  Json sim = {{"phase", phases[static_cast<int>(s.phase)]}, {"progress", sim_progress(s)}, {"error", s.error}};
  if (s.has_trace) {
    sim["traceHash"] = s.trace.hash;
    sim["counts"] = s.trace.json["counts"];
    sim["revision"] = s.revision;
    const Json& runs = s.trace.json["runs"];
    sim["selectedRun"] = s.selected_run >= 0 && static_cast<size_t>(s.selected_run) < runs.size()
                             ? runs[static_cast<size_t>(s.selected_run)].value("id", std::string())
                             : std::string();
  }
  Json widgets = Json::object();
  for (const auto& [name, r] : state.widgets) widgets[name] = r;
  const char* tabs[] = {"simulator", "tests", "compare", "data", "runner"};
  const RunnerState& rs = state.runner;
  const RunnerBacktest& bt = rs.backtest;
  const char* links[] = {"off", "connecting", "connected", "failed"};
  Json flips = Json::array();
  for (const auto& f : bt.flips) {
    flips.push_back({{"run", f.run_id}, {"workflow", f.workflow}, {"path", f.path}, {"production", f.production}, {"edited", f.edited}});
  }
  Json history = Json::array();
  for (const auto& h : rs.history) history.push_back(h.value("version", std::string()));
  // Never the token: the status is read by scripts and tests.
  Json runner = {{"link", links[static_cast<int>(rs.link)]},
                 {"url", rs.url},
                 {"error", rs.error},
                 {"version", rs.version},
                 {"history", history},
                 {"diff", rs.diff},
                 {"sample", {{"running", rs.sample.running}, {"items", rs.sample.items}, {"note", rs.sample_note}}},
                 {"runs", rs.runs.size()},
                 {"openRun", rs.run.is_object() ? rs.run.value("id", std::string()) : std::string()},
                 {"backtest", {{"ran", bt.ran}, {"done", bt.done}, {"cancelled", bt.cancelled}, {"error", bt.error},
                               {"revision", bt.revision}, {"events", bt.events.items}, {"runs", bt.runs.items},
                               {"same", bt.same}, {"summary", bt.summary}, {"flips", flips}, {"flipsTotal", bt.flips_total}, {"waits", {{"events", bt.waits_events}, {"runs", bt.waits_runs}}},
                               {"lines", bt.lines}, {"elapsedMs", bt.elapsed_ms}, {"openFlip", bt.open_flip},
                               {"productionRun", bt.production_run.is_object() ? bt.production_run.value("id", std::string()) : std::string()},
                               {"editedRun", bt.edited_run.is_object() ? bt.edited_run.value("id", std::string()) : std::string()},
                               {"productionError", bt.production_error}, {"editedError", bt.edited_error}}},
                 {"deploy", {{"asking", rs.deploy_confirm}, {"busy", rs.deploy_request != 0 || rs.rollback_request != 0},
                             {"result", rs.deploy_result}, {"problems", rs.deploy_problems}}}};
  Json out = {{"frames", state.frames},
              {"warmedUp", state.warm_up_done},
              {"loaded", state.loaded},
              {"path", state.file.path},
              {"bundle", state.check.bundle.name},
              {"workflowCount", state.check.bundle.workflows.size()},
              {"workflows", workflows},
              {"problems", state.check.problems.size()},
              {"sampleEvents", sample_events(state).size()},
              {"problemList", problems},
              {"error", state.load_error},
              {"revision", state.revision},
              {"savedRevision", state.saved_revision},
              {"notKept", state.not_kept},
              {"workflow", state.workflow},
              {"selected", state.selected},
              {"tab", tabs[static_cast<int>(state.tab)]},
              {"sim", sim},
              {"why", state.why_drawn},
              {"tests", {{"ran", state.tests.ran}, {"running", state.tests.running}, {"count", state.tests.outcomes.size()},
                         {"passed", std::count_if(state.tests.outcomes.begin(), state.tests.outcomes.end(),
                                                  [](const TestOutcome& o) { return o.passed; })},
                         {"openTest", state.tests.open_test},
                         {"openRun", state.tests.open_run_id},
                         {"openStep", state.tests.open_step}}},
              {"compare", {{"ran", state.compare.ran}, {"done", state.compare.done},
                           {"revision", state.compare.revision}, {"lines", state.compare.lines},
                           {"effectDelta", state.compare.effect_delta}}},
              {"display", display_status(state.display)},
              {"history", {{"undo", state.history.undo.size()}, {"redo", state.history.redo.size()}}},
              {"confirm", state.confirm_question},
              {"conditionsInJson", conditions_in_json(state.doc)},
              {"graph", {{"zoom", state.graph.zoom}, {"smallestTextPx", state.graph.smallest_text_css}, {"pathSteps", state.graph.path_steps},
                         {"boxes", state.graph.boxes}, {"boxesOutside", state.graph.boxes_outside}}},
              {"runner", runner},
              {"widgets", widgets}};
  return out.dump();
}

void note_widget(StudioState& state, const std::string& name) {
  note_rect(state, name, ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
}

void note_rect(StudioState& state, const std::string& name, ImVec2 a, ImVec2 b) {
  // ImGui draws in device pixels; the page (and its tests) speak CSS pixels.
  float k = 1.0f / static_cast<float>(state.display.dpr);
  state.widgets[name] = {a.x * k, a.y * k, (b.x - a.x) * k, (b.y - a.y) * k};
}

}  // namespace shopflow::studio
