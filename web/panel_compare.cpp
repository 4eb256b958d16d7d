// The Compare panel: simulates the saved version of the bundle (as opened) and the edited one
// over the same events — the edited bundle's sample events — and lists what the edit changes:
// effects by type ("this change sends 1 more email.send"), runs whose outcome changed,
// decisions that flipped, and effects that appear or disappear.
#include <imgui.h>

#include <map>
#include <set>

#include "panels.hpp"
#include "ui_util.hpp"

namespace shopflow::studio {

namespace {

std::string plural(long n, const std::string& what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

void compare(StudioState& state) {
  CompareState& c = state.compare;
  c = CompareState{};
  c.ran = true;
  c.revision = state.revision;
  auto saved = load_bundle(state.file.text);
  if (!saved) {
    c.error = "the saved version does not parse: " + saved.error().to_string();
    return;
  }
  if (!saved.value().ok()) {
    c.error = "the saved version has problems; nothing to compare with";
    return;
  }
  const auto& events = sample_events(state);
  auto a = simulate(saved.value().bundle, events);
  auto b = simulate(state.check.bundle, events);
  if (!a || !b) {
    c.error = "simulation failed: " + (!a ? a.error() : b.error()).to_string();
    return;
  }
  const Trace& ta = a.value();
  const Trace& tb = b.value();
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
  // Runs by id: outcome changes and flipped decisions (same step path, different verdict).
  std::map<std::string, const Json*> runs_a, runs_b;
  for (const auto& r : ta.json["runs"]) runs_a[r.value("id", std::string())] = &r;
  for (const auto& r : tb.json["runs"]) runs_b[r.value("id", std::string())] = &r;
  for (const auto& [id, rb] : runs_b) {
    auto it = runs_a.find(id);
    if (it == runs_a.end()) {
      c.lines.push_back("new run " + id + " (" + rb->value("status", std::string()) + ")");
      continue;
    }
    const Json& ra = *it->second;
    if (ra.value("status", std::string()) != rb->value("status", std::string())) {
      c.lines.push_back("run " + id + ": " + ra.value("status", std::string()) + " -> " + rb->value("status", std::string()));
    }
    std::map<std::string, std::string> va;
    if (ra.contains("steps")) {
      for (const auto& s : ra["steps"]) {
        if (s.contains("verdict")) va[s.value("path", std::string())] = s["verdict"].dump();
      }
    }
    if (rb->contains("steps")) {
      for (const auto& s : (*rb)["steps"]) {
        if (!s.contains("verdict")) continue;
        auto v = va.find(s.value("path", std::string()));
        if (v != va.end() && v->second != s["verdict"].dump()) {
          c.lines.push_back("decision flipped in " + id + " at " + s.value("path", std::string()) + ": " + v->second + " -> " + s["verdict"].dump());
        }
      }
    }
  }
  for (const auto& [id, ra] : runs_a) {
    if (!runs_b.count(id)) c.lines.push_back("run " + id + " no longer starts");
  }
  std::map<std::string, const Json*> eff_a, eff_b;
  for (const auto& e : ta.json["effects"]) eff_a[e.value("id", std::string())] = &e;
  for (const auto& e : tb.json["effects"]) eff_b[e.value("id", std::string())] = &e;
  for (const auto& [id, e] : eff_b) {
    if (!eff_a.count(id)) c.lines.push_back("+ " + e->value("type", std::string()) + " at " + e->value("time", std::string()) + " (" + id + ")");
    else if ((*eff_a[id])["time"] != (*e)["time"]) c.lines.push_back("~ " + e->value("type", std::string()) + " moves from " + eff_a[id]->value("time", std::string()) + " to " + e->value("time", std::string()) + " (" + id + ")");
  }
  for (const auto& [id, e] : eff_a) {
    if (!eff_b.count(id)) c.lines.push_back("- " + e->value("type", std::string()) + " at " + e->value("time", std::string()) + " (" + id + ")");
  }
}

}  // namespace

void draw_compare_panel(StudioState& state) {
  CompareState& c = state.compare;
  bool can = state.loaded && state.check.ok();
  ImGui::BeginDisabled(!can);
  if (ImGui::Button("Compare saved vs edited")) compare(state);
  note_widget(state, "compare.run");
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::TextDisabled("over the edited bundle's %zu sample events", sample_events(state).size());
  if (!can) {
    ImGui::TextColored(kWarn, "%s", state.loaded ? "Fix the bundle's problems to compare." : "No bundle loaded.");
    return;
  }
  // Keep the comparison current while the panel is open: sample bundles simulate in milliseconds.
  if (c.ran && c.revision != state.revision) compare(state);
  if (!c.ran) {
    ImGui::TextWrapped("Simulates the version you opened and your edited version over the same events and lists what the edit changes.");
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
      ImGui::TextColored(sa == sb ? ImVec4(1, 1, 1, 1) : kWarn, "%s", sb.c_str());
    }
    ImGui::EndTable();
  }
  ImGui::TextDisabled("What changed (%zu):", c.lines.size());
  ImGui::BeginChild("changes");
  for (const auto& l : c.lines) {
    ImVec4 col = l[0] == '+' ? kWarn : (l[0] == '-' ? kGood : ImVec4(0.85f, 0.87f, 0.9f, 1.0f));
    ImGui::TextColored(col, "%s", l.c_str());
  }
  ImGui::EndChild();
}

}  // namespace shopflow::studio
