// The Compare panel: simulates the saved version of the bundle (as opened) and the edited one
// over the same events — the edited bundle's sample events — and lists what the edit changes:
// effects by type ("this change sends 1 more email.send"), runs whose outcome changed,
// decisions that flipped, and effects that appear or disappear.
#include <imgui.h>

#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "doc_edit.hpp"
#include "shopflow/backtest.hpp"
#include "panels.hpp"
#include "ui_util.hpp"

namespace shopflow::studio {

namespace {

std::string plural(long n, const std::string& what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

void drop_job(CompareState& c);

// Clears the last comparison's results.
void clear_results(CompareState& c) {
  c.error.clear();
  c.saved_counts = Json();
  c.edited_counts = Json();
  c.effect_delta.clear();
  c.lines.clear();
  c.saved_hash.clear();
  c.edited_hash.clear();
}

// Starts both simulations: the saved version is the file as opened, checked without its samples
// (both versions run over the edited bundle's sample events). They advance in compare_tick.
void start(StudioState& state) {
  CompareState& c = state.compare;
  drop_job(c);
  sim_reset(c.saved_run);  // earlier traces are freed a little per frame
  sim_reset(c.edited_run);
  clear_results(c);
  c.ran = true;
  c.done = false;
  c.revision = state.revision;
  if (!state.file_doc.is_object()) {
    c.error = "the saved version is not a JSON object; nothing to compare with";
    c.done = true;
    return;
  }
  BundleCheck saved = check_bundle(without_member(state.file_doc, "samples"));
  if (!saved.ok()) {
    c.error = "the saved version has problems; nothing to compare with";
    c.done = true;
    return;
  }
  auto events = shared_sample_events(state);
  sim_start(c.saved_run, saved.bundle, events, state.revision);
  sim_start(c.edited_run, state.check.bundle, events, state.revision);
  for (SimSession* s : {&c.saved_run, &c.edited_run}) {
    if (s->phase == SimPhase::Paused) s->phase = SimPhase::Running;
  }
}

// The comparison of two finished traces (the core's Comparison), fed a bounded amount per frame:
// with a day of events, indexing and walking 10,000 runs and effects on each side took 0.15 s in
// the browser.
}  // namespace

struct CompareJob {
  Trace a, b;  // saved, edited
  Comparison comparison{Comparison::Options{true, SIZE_MAX}};
  size_t i = 0;  // position in a's runs, b's runs, a's effects, b's effects, one after the other
};

namespace {

const Json& member_array(const Json& trace, const char* key) {
  static const Json empty = Json::array();
  auto it = trace.find(key);
  return it != trace.end() && it->is_array() ? *it : empty;
}

// Gives the comparison the next run or effect of the traces; false once all are in and it is
// finished (its details are then the panel's lines).
bool advance(CompareJob& j, CompareState& c) {
  using Side = Comparison::Side;
  size_t i = j.i++;
  for (auto [trace, key, side] : {std::tuple<const Trace*, const char*, Side>{&j.a, "runs", Side::Before},
                                  {&j.b, "runs", Side::After},
                                  {&j.a, "effects", Side::Before},
                                  {&j.b, "effects", Side::After}}) {
    const Json& items = member_array(trace->json, key);
    if (i >= items.size()) {
      i -= items.size();
      continue;
    }
    if (key[0] == 'r') {
      if (auto r = run_record(items[i])) j.comparison.add_run(side, std::move(r.value()));
    } else if (auto e = effect_record(items[i])) {
      j.comparison.add_effect(side, std::move(e.value()));
    }
    return true;
  }
  j.comparison.finish();
  for (const Difference& d : j.comparison.report().details) c.lines.push_back(describe(d));
  return false;
}

// Ends a comparison's job: its traces are freed a little per frame (sim_discard_some).
void drop_job(CompareState& c) {
  if (!c.job) return;
  c.saved_run.discard.push_back(std::move(c.job->a.json));
  c.edited_run.discard.push_back(std::move(c.job->b.json));
  c.job.reset();
}

}  // namespace

bool compare_running(const StudioState& state) {
  const CompareState& c = state.compare;
  return c.ran && !c.done;
}

void compare_tick(StudioState& state, double budget_ms) {
  CompareState& c = state.compare;
  for (SimSession* s : {&c.saved_run, &c.edited_run}) {
    if (!s->discard.empty()) sim_discard_some(*s, 1.0);
  }
  if (!compare_running(state)) return;
  SimSession& s = c.saved_run.phase == SimPhase::Running ? c.saved_run : c.edited_run;
  if (s.phase == SimPhase::Running) {
    sim_slice(s, budget_ms);
    return;
  }
  if (!c.job) {
    // Both have ended: the summary at once, the rest by compare_job slices from the next frame.
    if (c.saved_run.phase != SimPhase::Done || c.edited_run.phase != SimPhase::Done) {
      const SimSession& failed = c.saved_run.phase != SimPhase::Done ? c.saved_run : c.edited_run;
      c.error = "simulation failed: " + (failed.error.empty() ? std::string("it did not finish") : failed.error);
      c.done = true;
      sim_reset(c.saved_run);
      sim_reset(c.edited_run);
      return;
    }
    c.job = std::make_shared<CompareJob>();
    c.job->a = std::move(c.saved_run.trace);
    c.job->b = std::move(c.edited_run.trace);
    sim_reset(c.saved_run);
    sim_reset(c.edited_run);
    const Trace& ta = c.job->a;
    const Trace& tb = c.job->b;
    c.saved_hash = ta.hash;
    c.edited_hash = tb.hash;
    c.saved_counts = ta.json["counts"];
    c.edited_counts = tb.json["counts"];
    std::set<std::string> types;
    for (const auto& [t, n] : ta.effects_by_type) types.insert(t);
    for (const auto& [t, n] : tb.effects_by_type) types.insert(t);
    for (const auto& t : types) {
      long na = ta.effects_by_type.count(t) ? static_cast<long>(ta.effects_by_type.at(t)) : 0;
      long nb = tb.effects_by_type.count(t) ? static_cast<long>(tb.effects_by_type.at(t)) : 0;
      if (na != nb) c.effect_delta[t] = nb - na;
    }
    return;
  }
  const double start = slice_clock_ms();
  for (size_t n = 1; advance(*c.job, c); ++n) {
    if (n % 32 == 0 && slice_clock_ms() - start >= budget_ms) return;
  }
  drop_job(c);
  c.done = true;
}

namespace {

// Opens the run a Compare line is about (the edited bundle's run whose id the line names, the
// longest such id) in the Simulator's "Runs and decisions", with its path on the graph.
void open_run_of(StudioState& state, const std::string& line) {
  SimSession& s = state.sim;
  if (!s.has_trace) return;
  const Json& runs = s.trace.json["runs"];
  int best = -1;
  size_t best_len = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    std::string id = runs[i].value("id", std::string());
    if (id.size() > best_len && line.find(id) != std::string::npos) {
      best = static_cast<int>(i);
      best_len = id.size();
    }
  }
  if (best < 0) return;
  s.selected_run = best;
  s.show_runs = true;
  state.tab = BottomTab::Simulator;
  state.tab_pending = true;
  int wf = 0;
  for (const auto& w : state.check.bundle.workflows) {
    if (w.id == runs[static_cast<size_t>(best)].value("workflow", std::string())) {
      if (state.workflow != wf) state.graph.fit_pending = true;
      state.workflow = wf;
    }
    ++wf;
  }
}

}  // namespace

void draw_compare_panel(StudioState& state) {
  CompareState& c = state.compare;
  bool can = state.loaded && state.check.ok();
  ImGui::BeginDisabled(!can);
  if (ImGui::Button("Compare saved vs edited")) start(state);
  note_widget(state, "compare.run");
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::TextDisabled("over the edited bundle's %zu sample events", sample_events(state).size());
  if (!can) {
    ImGui::TextColored(kWarn, "%s", state.loaded ? "Fix the bundle's problems to compare." : "No bundle loaded.");
    return;
  }
  // Keep the comparison current while the panel is open; each run goes a slice per frame.
  if (c.ran && c.revision != state.revision) start(state);
  if (!c.ran) {
    ImGui::TextWrapped("Simulates the version you opened and your edited version over the same events and lists what the edit changes.");
    return;
  }
  if (!c.done) {
    const bool first = c.saved_run.phase == SimPhase::Running;
    const SimSession& s = first ? c.saved_run : c.edited_run;
    float progress = (sim_progress(c.saved_run) + (first ? 0.0f : sim_progress(c.edited_run))) / 2.0f;
    char label[96];
    std::snprintf(label, sizeof label, "simulating the %s version: %zu of %zu events", first ? "saved" : "edited",
                  s.next, s.total);
    ImGui::ProgressBar(progress, ImVec2(-1, 0), label);
    return;
  }
  if (!c.error.empty()) {
    text_wrapped_colored(kBad, c.error);
    return;
  }
  if (c.saved_hash == c.edited_hash) {
    ImGui::TextColored(kGood, "No change: both versions give the same trace (%s).", c.edited_hash.c_str());
    return;
  }
  if (c.effect_delta.empty()) ImGui::TextColored(kDim, "The same effects by type.");
  for (const auto& [type, d] : c.effect_delta) {
    std::string line = "This change sends " + plural(d > 0 ? d : -d, type) + (d > 0 ? " more" : " fewer") + ".";
    ImGui::TextColored(d > 0 ? kWarn : kGood, "%s", line.c_str());
  }
  if (ImGui::BeginTable("cmp", 3, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("workflow runs", ImGuiTableColumnFlags_WidthStretch, 2.0f);
    ImGui::TableSetupColumn("saved", ImGuiTableColumnFlags_WidthStretch, 3.0f);
    ImGui::TableSetupColumn("edited", ImGuiTableColumnFlags_WidthStretch, 3.0f);
    ImGui::TableHeadersRow();
    const Json& ra = c.saved_counts["runs"];
    const Json& rb = c.edited_counts["runs"];
    for (auto it = rb.begin(); it != rb.end(); ++it) {
      auto text = [](const Json& v) {
        std::string s;
        for (auto k = v.begin(); k != v.end(); ++k) {
          if (k.value() != 0) s += (s.empty() ? "" : ", ") + k.value().dump() + " " + k.key();
        }
        return s.empty() ? std::string("none") : s;
      };
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(it.key().c_str());
      ImGui::TableNextColumn();
      std::string sa = ra.contains(it.key()) ? text(ra[it.key()]) : "(no such workflow)";
      ImGui::TextUnformatted(sa.c_str());
      ImGui::TableNextColumn();
      std::string sb = text(it.value());
      ImGui::TextColored(sa == sb ? ImGui::GetStyleColorVec4(ImGuiCol_Text) : kWarn, "%s", sb.c_str());
    }
    ImGui::EndTable();
  }
  ImGui::TextDisabled("What changed (%zu):", c.lines.size());
  ImGui::BeginChild("changes");
  // Only the lines in view are laid out: a day of events can change thousands of things.
  ImGuiListClipper clip;
  clip.Begin(static_cast<int>(c.lines.size()));
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
      const std::string& l = c.lines[static_cast<size_t>(i)];
      ImVec4 col = l[0] == '+' ? kWarn : (l[0] == '-' ? kGood : ImGui::GetStyleColorVec4(ImGuiCol_Text));
      ImGui::PushID(i);
      ImGui::PushStyleColor(ImGuiCol_Text, col);
      if (ImGui::Selectable(l.c_str(), false)) open_run_of(state, l);
      ImGui::PopStyleColor();
      note_widget(state, "compare.line:" + std::to_string(i));
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("Open this run in the Simulator");
      ImGui::PopID();
    }
  }
  ImGui::EndChild();
}

}  // namespace shopflow::studio
