// The Simulator panel: runs the edited bundle over its sample events on a simulated clock,
// a slice per frame (the page never freezes), with run / pause / step / reset; shows the clock,
// a timeline of events and effects, summary counts, the effect ledger (filter by type) and each
// run's trace with every condition's explanation (which clause failed, on what values).
#include <imgui.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <set>
#include <unordered_map>
#include <vector>

#include "panels.hpp"
#include "run_trace.hpp"
#include "ui_util.hpp"
#include "why.hpp"

namespace shopflow::studio {

namespace {

void start(StudioState& state) {
  sim_start(state.sim, state.check.bundle, shared_sample_events(state), state.revision);
  if (state.sim.phase == SimPhase::Paused) state.sim.phase = SimPhase::Running;
}

void timeline(StudioState& state) {
  SimSession& s = state.sim;
  ImVec2 origin = ImGui::GetCursorScreenPos();
  float w = ImGui::GetContentRegionAvail().x, h = px(34);
  ImGui::Dummy(ImVec2(w, h));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(origin, ImVec2(origin.x + w, origin.y + h), kGraph.background, 3);
  if (s.phase == SimPhase::Idle || s.until <= s.from) {
    dl->AddText(ImVec2(origin.x + px(8), origin.y + (h - ImGui::GetFontSize()) / 2), kGraph.label, "timeline: run the simulation");
    return;
  }
  auto x_of = [&](Millis t) {
    double f = static_cast<double>(t - s.from) / static_cast<double>(s.until - s.from);
    return origin.x + 6 + static_cast<float>(std::clamp(f, 0.0, 1.0)) * (w - 12);
  };
  dl->AddLine(ImVec2(origin.x + 6, origin.y + h / 2), ImVec2(origin.x + w - 6, origin.y + h / 2), kGraph.edge);
  // One mark per pixel column at most, however many events, timers and effects fall there:
  // the drawing costs the width of the timeline, not the length of the simulation.
  const size_t columns = static_cast<size_t>(std::max(1.0f, w));
  std::vector<std::uint8_t> seen(columns, 0);  // bit 0 event, 1 timer, 2 effect shown, 3 effect hidden
  auto column_of = [&](Millis t) { return std::min(columns - 1, static_cast<size_t>(std::max(0.0f, x_of(t) - origin.x))); };
  for (const SimMark& m : s.marks) seen[column_of(m.time)] |= m.is_event ? 1 : 2;
  if (s.has_trace) {
    if (s.effect_times.size() != s.trace.json["effects"].size()) {
      s.effect_times.clear();
      for (const auto& e : s.trace.json["effects"]) {
        auto t = parse_instant(e.value("time", std::string()));
        s.effect_times.push_back(t ? t.value() : s.from);
      }
    }
    size_t i = 0;
    for (const auto& e : s.trace.json["effects"]) {
      bool shown = s.effect_filter.empty() || e.value("type", std::string()) == s.effect_filter;
      seen[column_of(s.effect_times[i++])] |= shown ? 4 : 8;
    }
  }
  for (size_t c = 0; c < columns; ++c) {
    if (!seen[c]) continue;
    float x = origin.x + static_cast<float>(c);
    if (seen[c] & 1) dl->AddLine(ImVec2(x, origin.y + 4), ImVec2(x, origin.y + h / 2), IM_COL32(100, 160, 255, 255), 2);
    if (seen[c] & 2) dl->AddCircleFilled(ImVec2(x, origin.y + h / 2), 2.5f, IM_COL32(170, 170, 170, 255));
    if (seen[c] & 12)
      dl->AddLine(ImVec2(x, origin.y + h / 2), ImVec2(x, origin.y + h - 4),
                  (seen[c] & 4) ? IM_COL32(255, 170, 60, 255) : IM_COL32(120, 100, 70, 255), 2);
  }
  float cx = x_of(s.clock);
  dl->AddLine(ImVec2(cx, origin.y), ImVec2(cx, origin.y + h), IM_COL32(255, 230, 120, 255), 1.5f);
  ImVec2 mouse = ImGui::GetIO().MousePos;
  if (ImGui::IsItemHovered()) {
    double f = std::clamp((mouse.x - origin.x - 6) / (w - 12), 0.0f, 1.0f);
    Millis t = s.from + static_cast<Millis>(f * static_cast<double>(s.until - s.from));
    ImGui::SetTooltip("%s\nblue: events in, grey: timers, orange: effects", format_instant(t).c_str());
  }
}

// The numeric fields of the table rows the simulation changed, each as a series of values by
// time (a row's first value is the one its first change gave it).
std::vector<TableSeries> table_series(const Json& changes) {
  std::vector<TableSeries> out;
  std::map<std::string, size_t> index;
  for (const auto& c : changes) {
    const Json& row = c["value"];
    if (!row.is_object()) continue;
    auto t = parse_instant(c.value("time", std::string()));
    if (!t) continue;
    const std::string prefix = c.value("table", std::string()) + "[" + c.value("key", std::string()) + "].";
    for (auto f = row.begin(); f != row.end(); ++f) {
      double v = 0;
      if (f.value().is_number()) {
        v = f.value().get<double>();
      } else if (f.value().is_string()) {
        const std::string& text = f.value().get_ref<const std::string&>();
        char* end = nullptr;
        v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) continue;
      } else {
        continue;
      }
      const std::string label = prefix + f.key();
      auto [it, fresh] = index.emplace(label, out.size());
      if (fresh) out.push_back(TableSeries{label, {}});
      out[it->second].points.emplace_back(t.value(), v);
    }
  }
  return out;
}

// One series as a step line over the simulated time, with its lowest and highest values.
void series_plot(StudioState& state, const TableSeries& sr, Millis from, Millis until) {
  ImGui::TextUnformatted(sr.label.c_str());
  ImGui::SameLine(px(260));
  ImVec2 origin = ImGui::GetCursorScreenPos();
  const float w = std::max(px(120), ImGui::GetContentRegionAvail().x - px(170)), h = px(26);
  ImGui::Dummy(ImVec2(w, h));
  note_widget(state, "sim.plot:" + sr.label);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(origin, ImVec2(origin.x + w, origin.y + h), kGraph.background, 2);
  double lo = sr.points.front().second, hi = lo;
  for (const auto& [at, v] : sr.points) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  const double span = until > from ? static_cast<double>(until - from) : 1.0;
  auto x_of = [&](Millis at) {
    return origin.x + 2 + static_cast<float>(std::clamp((at - from) / span, 0.0, 1.0)) * (w - 4);
  };
  auto y_of = [&](double v) {
    return origin.y + h - 3 - (hi > lo ? static_cast<float>((v - lo) / (hi - lo)) : 0.5f) * (h - 6);
  };
  ImVec2 prev(x_of(sr.points.front().first), y_of(sr.points.front().second));
  for (size_t i = 1; i < sr.points.size(); ++i) {
    ImVec2 next(x_of(sr.points[i].first), y_of(sr.points[i].second));
    dl->AddLine(prev, ImVec2(next.x, prev.y), IM_COL32(120, 200, 140, 255), 1.5f);
    dl->AddLine(ImVec2(next.x, prev.y), next, IM_COL32(120, 200, 140, 255), 1.5f);
    prev = next;
  }
  dl->AddLine(prev, ImVec2(origin.x + w - 2, prev.y), IM_COL32(120, 200, 140, 255), 1.5f);
  ImGui::SameLine();
  ImGui::TextDisabled("%g .. %g (%zu changes)", lo, hi, sr.points.size());
}

void summary(StudioState& state) {
  const Trace& t = state.sim.trace;
  if (ImGui::BeginTable("counts", 6, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("Workflow", ImGuiTableColumnFlags_WidthStretch, 3.0f);
    for (const char* c : {"started", "completed", "waiting", "failed", "stopped"}) ImGui::TableSetupColumn(c, ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableHeadersRow();
    for (const auto& c : t.counts) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(c.workflow.c_str());
      size_t v[] = {c.started, c.completed, c.waiting, c.failed, c.stopped};
      for (int i = 0; i < 5; ++i) {
        ImGui::TableNextColumn();
        if (i == 3 && v[i]) ImGui::TextColored(kBad, "%zu", v[i]);
        else ImGui::Text("%zu", v[i]);
      }
    }
    ImGui::EndTable();
  }
  ImGui::Spacing();
  ImGui::TextUnformatted("Effects:");
  if (t.effects_by_type.empty()) {
    ImGui::SameLine();
    ImGui::TextDisabled("none");
  }
  for (const auto& [type, n] : t.effects_by_type) {
    ImGui::SameLine();
    ImGui::TextColored(kWarn, "%zu x %s ", n, type.c_str());
  }
  ImGui::Text("Events: %zu handled", t.events);
  if (t.duplicates) {
    ImGui::SameLine();
    ImGui::TextDisabled("(%zu duplicates ignored)", t.duplicates);
  }
  const Json& changes = t.json["tables"]["changes"];
  if (!changes.empty()) {
    ImGui::Text("Table changes: %zu; final rows:", changes.size());
    const Json& fin = t.json["tables"]["final"];
    for (auto tb = fin.begin(); tb != fin.end(); ++tb) {
      for (auto row = tb.value().begin(); row != tb.value().end(); ++row) {
        ImGui::BulletText("%s[%s] = %s", tb.key().c_str(), row.key().c_str(), short_json(row.value()).c_str());
      }
    }
    SimSession& s = state.sim;
    if (!s.series_built) {
      s.series = table_series(changes);
      s.series_built = true;
    }
    if (!s.series.empty()) {
      constexpr size_t kShown = 24;
      ImGui::Spacing();
      ImGui::Text("Table values over time (%s to %s):", format_instant(s.from).c_str(), format_instant(s.until).c_str());
      for (size_t i = 0; i < s.series.size() && i < kShown; ++i) series_plot(state, s.series[i], s.from, s.until);
      if (s.series.size() > kShown) ImGui::TextDisabled("and %zu more", s.series.size() - kShown);
    }
  }
}

void ledger(StudioState& state) {
  SimSession& s = state.sim;
  const Trace& t = s.trace;
  ImGui::SetNextItemWidth(px(200));
  if (ImGui::BeginCombo("Effect type", s.effect_filter.empty() ? "all" : s.effect_filter.c_str())) {
    if (ImGui::Selectable("all", s.effect_filter.empty())) s.effect_filter.clear();
    for (const auto& [type, n] : t.effects_by_type) {
      std::string label = type + " (" + std::to_string(n) + ")";
      if (ImGui::Selectable(label.c_str(), s.effect_filter == type)) s.effect_filter = type;
    }
    ImGui::EndCombo();
  }
  if (ImGui::BeginTable("ledger", 5, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_Resizable,
                        ImVec2(0, ImGui::GetContentRegionAvail().y))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("time", ImGuiTableColumnFlags_WidthFixed, px(150));
    ImGui::TableSetupColumn("type", ImGuiTableColumnFlags_WidthFixed, px(100));
    ImGui::TableSetupColumn("run", ImGuiTableColumnFlags_WidthFixed, px(230));
    ImGui::TableSetupColumn("step", ImGuiTableColumnFlags_WidthFixed, px(110));
    ImGui::TableSetupColumn("params", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    // Only the rows in view are drawn.
    std::vector<const Json*> rows;
    for (const auto& e : t.json["effects"]) {
      if (s.effect_filter.empty() || e.value("type", std::string()) == s.effect_filter) rows.push_back(&e);
    }
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(rows.size()));
    while (clipper.Step()) {
      for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
        const Json& e = *rows[static_cast<size_t>(row)];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.value("time", std::string()).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.value("type", std::string()).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.value("run", std::string()).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.value("step", std::string()).c_str());
        ImGui::TableNextColumn();
        std::string p = short_json(e["params"], 200);
        ImGui::TextUnformatted(p.c_str());
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", e["params"].dump(2).c_str());
      }
    }
    ImGui::EndTable();
  }
}

// What an event is about, as a person names it: the order's or quote's name, the company and
// the customer ("#1001 · Ada Byron", "Q-2026-0141 · Café Lindqvist GmbH · Jana Lindqvist").
std::string event_subject(const Json& data) {
  if (!data.is_object()) return "";
  std::vector<std::string> parts;
  auto text = [](const Json& v) { return v.is_string() ? v.get<std::string>() : v.is_number() ? v.dump() : std::string(); };
  for (const char* k : {"name", "quote_id", "order_name"}) {
    if (data.contains(k) && !text(data[k]).empty()) {
      parts.push_back(text(data[k]));
      break;
    }
  }
  if (parts.empty() && data.contains("id") && data["id"].is_string()) parts.push_back(data["id"].get<std::string>());
  if (data.contains("company") && data["company"].is_object()) {
    std::string c = text(data["company"].value("name", Json()));
    if (!c.empty()) parts.push_back(c);
  }
  std::string person;
  if (data.contains("customer") && data["customer"].is_object()) {
    const Json& c = data["customer"];
    person = text(c.value("first_name", Json()));
    std::string last = text(c.value("last_name", Json()));
    if (!last.empty()) person += (person.empty() ? "" : " ") + last;
    if (person.empty()) person = text(c.value("email", Json()));
  }
  if (person.empty() && data.contains("email")) person = text(data["email"]);
  if (!person.empty()) parts.push_back(person);
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " \u00b7 ") + p;
  return out;
}

// Labels for the trace's runs: what each run's event is about, else the run's id.
void label_runs(StudioState& state) {
  SimSession& s = state.sim;
  const Json& runs_json = s.trace.json["runs"];
  if (s.run_labels.size() == runs_json.size()) return;
  std::unordered_map<std::string, const Event*> by_id;
  for (const Event& e : sample_events(state)) by_id.emplace(e.id, &e);
  s.run_labels.clear();
  for (const auto& r : runs_json) {
    auto it = by_id.find(r.value("event", std::string()));
    std::string label = it != by_id.end() ? event_subject(it->second->data) : "";
    s.run_labels.push_back(label.empty() ? r.value("id", std::string()) : label);
  }
}

// "order.created #1001 · Ada Byron did not start fraud-review: the filter was false because
// total_price (20.00) is not an amount greater than 1000.00": an event a trigger filter rejected.
std::string rejection_line(const Json& r, const std::unordered_map<std::string, const Event*>& events) {
  const std::string event = r.value("event", std::string());
  auto it = events.find(event);
  std::string subject = it != events.end() ? event_subject(it->second->data) : "";
  std::string line = r.value("type", std::string()) + " " + (subject.empty() ? event : subject) + " did not start " +
                     r.value("workflow", std::string()) + ": the filter was false";
  const std::string why = r.contains("explanation") ? why_clauses(r["explanation"]) : "";
  return why.empty() ? line : line + " because " + why;
}

// The events trigger filters rejected, under the runs: each says which workflow it did not start and why.
void rejections(StudioState& state) {
  const Json& trace = state.sim.trace.json;
  if (!trace.contains("rejected") || trace["rejected"].empty()) return;
  const Json& rejected = trace["rejected"];
  std::unordered_map<std::string, const Event*> by_id;
  for (const Event& e : sample_events(state)) by_id.emplace(e.id, &e);
  ImGui::Separator();
  ImGui::TextDisabled("%zu event%s started no run:", rejected.size(), rejected.size() == 1 ? "" : "s");
  constexpr size_t kShown = 200;  // a day of events can be rejected by the thousand
  for (size_t i = 0; i < rejected.size() && i < kShown; ++i) {
    ImGui::PushStyleColor(ImGuiCol_Text, kDim);
    std::string line = rejection_line(rejected[i], by_id);
    ImGui::TextWrapped("%s", line.c_str());
    ImGui::PopStyleColor();
    state.why_drawn.push_back(std::move(line));
    note_widget(state, "rejected:" + rejected[i].value("workflow", std::string()) + ":" + rejected[i].value("event", std::string()));
  }
  if (rejected.size() > kShown) ImGui::TextDisabled("and %zu more (in the trace's \"rejected\")", rejected.size() - kShown);
}

void runs(StudioState& state) {
  SimSession& s = state.sim;
  const Json& runs_json = s.trace.json["runs"];
  label_runs(state);
  float h = ImGui::GetContentRegionAvail().y;
  ImGui::BeginChild("runlist", ImVec2(px(330), h), true);
  ImGuiListClipper clipper;  // only the runs in view are drawn
  clipper.Begin(static_cast<int>(runs_json.size()));
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const Json& r = runs_json[static_cast<size_t>(i)];
      std::string st = r.value("status", std::string());
      ImVec4 col = st == "failed" ? kBad : (st == "completed" ? kGood : (st == "waiting" ? kWarn : kDim));
      ImGui::PushID(i);
      ImGui::PushStyleColor(ImGuiCol_Text, col);
      std::string label = s.run_labels[static_cast<size_t>(i)] + "  " + st;
      if (ImGui::Selectable(label.c_str(), s.selected_run == i)) s.selected_run = i;
      note_widget(state, "run:" + r.value("id", std::string()));
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("run %s\nworkflow %s, event %s", r.value("id", std::string()).c_str(),
                                                    r.value("workflow", std::string()).c_str(), r.value("event", std::string()).c_str());
      ImGui::PopStyleColor();
      ImGui::PopID();
    }
  }
  rejections(state);
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("trace", ImVec2(0, h), true);
  if (s.selected_run < 0 || s.selected_run >= static_cast<int>(runs_json.size())) {
    ImGui::TextDisabled("Select a run to see its steps and why each decision went the way it did.");
  } else {
    draw_run_trace(state, runs_json[static_cast<size_t>(s.selected_run)], s.run_labels[static_cast<size_t>(s.selected_run)], "");
  }
  ImGui::EndChild();
}

}  // namespace

void simulator_tick(StudioState& state, double budget_ms) {
  SimSession& s = state.sim;
  if (s.auto_rerun && state.loaded && state.check.ok() && s.phase == SimPhase::Done && s.revision != state.revision) {
    start(state);  // opening a store and an engine is this frame's share; simulating starts next frame
    return;
  }
  if (s.phase == SimPhase::Running) sim_slice(s, budget_ms);
  if (!s.discard.empty()) sim_discard_some(s, 2.0);
}

void draw_simulator_panel(StudioState& state) {
  SimSession& s = state.sim;
  bool can = state.loaded && state.check.ok();
  ImGui::BeginDisabled(!can);
  if (s.phase == SimPhase::Running) {
    if (ImGui::Button("Pause", ImVec2(px(70), 0))) s.phase = SimPhase::Paused;
  } else {
    const char* label = s.phase == SimPhase::Paused ? "Resume" : "Run";
    if (ImGui::Button(label, ImVec2(px(70), 0))) {
      if (s.phase == SimPhase::Paused) s.phase = SimPhase::Running;
      else start(state);
    }
  }
  note_widget(state, "sim.run");
  ImGui::SameLine();
  if (ImGui::Button("Step")) {
    if (s.phase == SimPhase::Idle || s.phase == SimPhase::Done || s.phase == SimPhase::Failed) {
      sim_start(s, state.check.bundle, shared_sample_events(state), state.revision);
    } else {
      s.phase = SimPhase::Paused;
      sim_step(s);
    }
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Feed one event, or fire the next timers");
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("Reset")) sim_reset(s);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(px(110));
  ImGui::SliderFloat("##speed", &s.budget_ms, 1.0f, 30.0f, "%.0f ms/frame");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Speed: how much of each frame the simulation may use");
  ImGui::SameLine();
  ImGui::Checkbox("re-run on edit", &s.auto_rerun);
  ImGui::SameLine();
  char prog[64];
  std::snprintf(prog, sizeof prog, "%zu / %zu events", s.next, s.total);
  ImGui::ProgressBar(sim_progress(s), ImVec2(-1, 0), prog);

  if (!can) {
    ImGui::TextColored(kWarn, "%s", state.loaded ? "Fix the bundle's problems to simulate it." : "No bundle loaded.");
    return;
  }
  const char* phase[] = {"ready", "running", "paused", "done", "failed"};
  ImGui::Text("Clock %s", s.phase == SimPhase::Idle ? "-" : format_instant(s.clock).c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("(%s; %zu sample events; %.1f ms)", phase[static_cast<int>(s.phase)], sample_events(state).size(), s.elapsed_ms);
  if (s.has_trace) {
    ImGui::SameLine();
    ImGui::TextDisabled("trace hash");
    ImGui::SameLine();
    ImGui::TextUnformatted(s.trace.hash.c_str());
    if (s.revision != state.revision) {
      ImGui::SameLine();
      ImGui::TextColored(kWarn, "(bundle edited since)");
    }
  }
  if (s.phase == SimPhase::Failed) text_wrapped_colored(kBad, s.error);
  timeline(state);
  if (!s.has_trace) {
    ImGui::TextDisabled("Run simulates the sample events: every run, decision and effect appears here.");
    return;
  }
  if (ImGui::BeginTabBar("simtabs")) {
    struct Sub {
      const char* label;
      const char* widget;
      void (*draw)(StudioState&);
    };
    static const Sub kSubs[] = {{"Summary", "sim.tab.summary", summary},
                                {"Effect ledger", "sim.tab.ledger", ledger},
                                {"Runs and decisions", "sim.tab.runs", runs}};
    const bool show_runs = s.show_runs;
    s.show_runs = false;
    for (const Sub& sub : kSubs) {
      bool open = ImGui::BeginTabItem(sub.label, nullptr, show_runs && sub.draw == runs ? ImGuiTabItemFlags_SetSelected : 0);
      note_widget(state, sub.widget);
      if (open) {
        sub.draw(state);
        ImGui::EndTabItem();
      }
    }
    ImGui::EndTabBar();
  }
}

}  // namespace shopflow::studio
