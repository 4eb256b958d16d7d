// The field picker (field_picker.hpp).
#include "field_picker.hpp"

#include <imgui.h>

#include <cctype>

#include "cond_builder.hpp"
#include "shopflow/event.hpp"
#include "shopflow/instant.hpp"
#include "ui_util.hpp"

namespace shopflow::studio {

namespace {

constexpr size_t kEventsRead = 300;  // enough to see every field the samples use
constexpr int kDepth = 6;

bool looks_like_amount(const std::string& s) {
  size_t dot = s.find('.');
  if (s.empty() || dot == std::string::npos || s.size() - dot - 1 != 2) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == dot || (i == 0 && s[i] == '-')) continue;
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

std::string kind_of(const Json& v) {
  if (v.is_boolean()) return "yes/no";
  if (v.is_number()) return "number";
  if (v.is_array()) return "list";
  if (v.is_object()) return "object";
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (looks_like_amount(s)) return "amount";
    if (s.size() >= 20 && parse_instant(s)) return "time";
    return "text";
  }
  return "empty";
}

void walk(const Json& v, const std::string& path, int depth, FieldKinds& out) {
  std::string kind = kind_of(v);
  if (kind != "empty") {
    auto [it, fresh] = out.emplace(path, kind);
    if (!fresh && it->second != kind) it->second = "mixed";
  }
  if (!v.is_object() || depth >= kDepth) return;
  for (auto it = v.begin(); it != v.end(); ++it) walk(it.value(), path + "." + it.key(), depth + 1, out);
}

void read_fields(StudioState& state, const std::string& type, const std::string& prefix, FieldKinds& out) {
  const auto& events = sample_events(state);
  bool any_of_type = false;
  for (const Event& e : events) any_of_type |= e.type == type;
  size_t read = 0;
  for (const Event& e : events) {
    if (any_of_type && e.type != type) continue;
    if (++read > kEventsRead) break;
    Json j = event_to_json(e);
    for (auto it = j.begin(); it != j.end(); ++it) walk(it.value(), prefix + "." + it.key(), 1, out);
  }
}

}  // namespace

const FieldKinds& trigger_fields(StudioState& state) {
  FieldKinds& fields = state.inspector.field_kinds;
  int& serial = state.inspector.field_kinds_serial;
  std::string& type = state.inspector.field_kinds_type;
  std::string want;
  const auto& wfs = state.check.bundle.workflows;
  if (state.workflow >= 0 && static_cast<size_t>(state.workflow) < wfs.size()) want = wfs[static_cast<size_t>(state.workflow)].trigger.event;
  if (serial == state.samples_serial && type == want) return fields;
  serial = state.samples_serial;
  type = want;
  fields.clear();
  read_fields(state, want, "event", fields);
  return fields;
}

const FieldKinds& condition_fields(StudioState& state) {
  InspectorState& in = state.inspector;
  if (in.scope_event.empty()) return trigger_fields(state);
  std::string trigger_type;
  const auto& wfs = state.check.bundle.workflows;
  if (state.workflow >= 0 && static_cast<size_t>(state.workflow) < wfs.size()) trigger_type = wfs[static_cast<size_t>(state.workflow)].trigger.event;
  const std::string key = std::to_string(state.samples_serial) + "|" + trigger_type + "|" + in.scope_event;
  if (in.scope_key == key) return in.scope_kinds;
  in.scope_key = key;
  in.scope_kinds.clear();
  read_fields(state, in.scope_event, "event", in.scope_kinds);
  read_fields(state, trigger_type, "trigger", in.scope_kinds);
  return in.scope_kinds;
}

std::string table_value_kind(const StudioState& state, const Lookup& lookup) {
  const TableDef* t = state.check.bundle.find_table(lookup.table);
  if (!t || lookup.keys.empty()) return "";
  std::string kind;
  for (const auto& [key, row] : t->rows) {
    if (!lookup.keys[0].is_field && key != table_key(value_from_text(lookup.keys[0].text))) continue;
    const Json* v = &row;
    for (size_t i = 1; i < lookup.keys.size() && v; ++i) {
      if (lookup.keys[i].is_field || !v->is_object()) return "";
      auto it = v->find(lookup.keys[i].text);
      v = it == v->end() ? nullptr : &*it;
    }
    if (!v) continue;
    const std::string k = kind_of(*v);
    if (k == "empty") continue;
    if (!kind.empty() && kind != k) return "mixed";
    kind = k;
  }
  return kind;
}

bool field_picker(StudioState& state, std::string* field, const std::string& widget) {
  bool picked = false;
  if (ImGui::ArrowButton("##pick", ImGuiDir_Down)) {
    ImGui::OpenPopup("fields");
  }
  note_widget(state, widget);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Pick a field of the sample events");
  if (ImGui::BeginPopup("fields")) {
    std::string& filter = state.inspector.field_filter;
    if (ImGui::IsWindowAppearing()) {
      filter.clear();
      ImGui::SetKeyboardFocusHere();
    }
    ImGui::SetNextItemWidth(px(260));
    input_string("##filter", &filter);
    ImGui::SameLine();
    ImGui::TextDisabled("search");
    const FieldKinds& fields = condition_fields(state);
    if (fields.empty()) ImGui::TextDisabled("The sample events have no data.");
    ImGui::BeginChild("list", ImVec2(px(380), px(260)));
    for (const auto& [path, kind] : fields) {
      if (!filter.empty() && path.find(filter) == std::string::npos) continue;
      if (ImGui::Selectable(path.c_str(), path == *field)) {
        *field = path;
        picked = true;
        ImGui::CloseCurrentPopup();
      }
      note_widget(state, "field:" + path);
      ImGui::SameLine(px(280));
      ImGui::TextColored(kDim, "%s", kind.c_str());
    }
    ImGui::EndChild();
    ImGui::EndPopup();
  }
  return picked;
}

std::string field_warning(StudioState& state, const std::string& field, const std::string& value_text, bool unary) {
  const bool scoped = !state.inspector.scope_event.empty();
  // vars, rows, loop items: not known from the samples
  if (field.rfind("event.", 0) != 0 && !(scoped && field.rfind("trigger.", 0) == 0)) return "";
  const FieldKinds& fields = condition_fields(state);
  if (fields.empty()) return "";
  auto it = fields.find(field);
  if (it == fields.end()) return "No sample event has " + field + ": a typo?";
  if (unary || value_text.empty()) return "";
  Json v = value_from_text(value_text);
  if (v.is_object()) return "";  // another field: {"var": ...}
  const std::string& kind = it->second;
  bool numeric = v.is_number() || (v.is_string() && looks_like_amount(v.get<std::string>()));
  if ((kind == "number" || kind == "amount") && !numeric && !v.is_array()) {
    return field + " holds " + (kind == "number" ? "numbers" : "amounts") + ", not " + value_text;
  }
  if (kind == "yes/no" && !v.is_boolean()) return field + " is true or false, not " + value_text;
  return "";
}

}  // namespace shopflow::studio
