// Search, drawn in the Bundle panel: one box that finds steps by id or name across every
// workflow, sample events by id or type, and the trigger's fields by path; choosing a result
// opens it (the step selected in its workflow, the event shown under Sample data, the first
// step of the shown workflow that reads the field, in a condition or a template).
#include <imgui.h>

#include <algorithm>
#include <cctype>

#include "doc_edit.hpp"
#include "field_picker.hpp"
#include "panels.hpp"
#include "ui_util.hpp"

namespace shopflow::studio {

namespace {

constexpr size_t kShownPerKind = 8;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool matches(const std::string& text, const std::string& query) { return lower(text).find(query) != std::string::npos; }

struct StepHit {
  std::string pointer, id, name, workflow;
};

// The steps under `node` (a workflow's "steps" and every list nested in them: then, else,
// cases, default, loops), with their JSON Pointers.
void collect_steps(const Json& node, const std::string& pointer, const std::string& workflow, int depth,
                   std::vector<StepHit>* out) {
  if (depth > 32) return;
  if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      const Json& v = node[i];
      const std::string p = pointer + "/" + std::to_string(i);
      if (v.is_object() && v.contains("id") && v["id"].is_string()) {
        out->push_back({p, v["id"].get<std::string>(), v.value("name", std::string()), workflow});
      }
      collect_steps(v, p, workflow, depth + 1, out);
    }
  } else if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.value().is_array() || it.value().is_object()) collect_steps(it.value(), pointer + "/" + it.key(), workflow, depth + 1, out);
    }
  }
}

// Whether `text` names `field` as a whole path (a condition's var or a template's {{ field }}):
// "event.data.total" is not in "event.data.total_price".
bool names_field(const std::string& text, const std::string& field) {
  for (size_t at = text.find(field); at != std::string::npos; at = text.find(field, at + 1)) {
    const size_t end = at + field.size();
    const unsigned char next = end < text.size() ? static_cast<unsigned char>(text[end]) : ' ';
    if (!std::isalnum(next) && next != '_') return true;
  }
  return false;
}

// The first step of the shown workflow that reads `field`, else its trigger.
std::string first_reader(const StudioState& state, const std::string& field) {
  const std::string wf = "/workflows/" + std::to_string(state.workflow);
  if (!state.doc.contains("workflows") || !state.doc["workflows"].is_array() ||
      static_cast<size_t>(state.workflow) >= state.doc["workflows"].size()) {
    return "";
  }
  const Json& w = state.doc["workflows"][static_cast<size_t>(state.workflow)];
  std::vector<StepHit> steps;
  if (w.contains("steps")) collect_steps(w["steps"], wf + "/steps", "", 0, &steps);
  for (const auto& s : steps) {
    const Json* st = resolve(state.doc, s.pointer);
    if (st && names_field(st->dump(), field)) return s.pointer;
  }
  return wf + "/trigger";
}

}  // namespace

void draw_search(StudioState& state) {
  ImGui::SetNextItemWidth(-1);
  input_string_hint("##search", "Search steps, events, fields", &state.search);
  note_widget(state, "search");
  if (state.search.empty() || !state.loaded) return;
  const std::string q = lower(state.search);
  int n = 0;
  auto result = [&](const std::string& label, const std::string& aside) {
    ImGui::PushID(n++);
    const bool chosen = ImGui::Selectable(label.c_str());
    note_widget(state, "search.result:" + label);
    if (!aside.empty()) {
      ImGui::SameLine();
      ImGui::TextDisabled("%s", aside.c_str());
    }
    ImGui::PopID();
    return chosen;
  };
  bool done = false;
  std::vector<StepHit> steps;
  if (state.doc.contains("workflows") && state.doc["workflows"].is_array()) {
    const Json& wfs = state.doc["workflows"];
    for (size_t i = 0; i < wfs.size(); ++i) {
      if (wfs[i].is_object() && wfs[i].contains("steps")) {
        collect_steps(wfs[i]["steps"], "/workflows/" + std::to_string(i) + "/steps", wfs[i].value("id", std::string()), 0, &steps);
      }
    }
  }
  size_t shown = 0;
  for (const auto& s : steps) {
    if (shown >= kShownPerKind || done) break;
    if (!matches(s.id, q) && !matches(s.name, q)) continue;
    ++shown;
    if (result("step " + s.id, "in " + s.workflow)) {
      select_pointer(state, s.pointer);
      done = true;
    }
  }
  shown = 0;
  const auto& events = sample_events(state);
  for (size_t i = 0; i < events.size() && shown < kShownPerKind && !done; ++i) {
    if (!matches(events[i].id, q) && !matches(events[i].type, q)) continue;
    ++shown;
    if (result("event " + events[i].id, events[i].type)) {
      state.sample_event = static_cast<int>(i);
      state.scroll_to_sample = true;
      state.tab = BottomTab::Data;
      state.tab_pending = true;
      done = true;
    }
  }
  shown = 0;
  for (const auto& [path, kind] : trigger_fields(state)) {
    if (shown >= kShownPerKind || done) break;
    if (!matches(path, q)) continue;
    ++shown;
    if (result("field " + path, kind)) {
      select_pointer(state, first_reader(state, path));
      done = true;
    }
  }
  if (n == 0) ImGui::TextDisabled("Nothing matches \"%s\".", state.search.c_str());
  if (done) state.search.clear();
}

}  // namespace shopflow::studio
