// The Data panel: the bundle's sample events (what the simulator feeds in) and its tables as
// tables; a click on an event picks it for the inspector's previews; more events can be added
// from a JSON Lines file or generated as copies of the samples.
#include <imgui.h>

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "shopflow/instant.hpp"
#include "shopflow/simulator.hpp"

#include "browser.hpp"
#include "panels.hpp"
#include "ui_util.hpp"

namespace shopflow::studio {

namespace {

std::string cell(const Json& v, size_t n = 60) {
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  return s.size() > n ? s.substr(0, n - 3) + "..." : s;
}

void events_table(StudioState& state, float height) {
  const auto& events = sample_events(state);
  if (ImGui::BeginTable("events", 4, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_Resizable,
                        ImVec2(0, height))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("id", ImGuiTableColumnFlags_WidthFixed, 80);
    ImGui::TableSetupColumn("type", ImGuiTableColumnFlags_WidthFixed, 120);
    ImGui::TableSetupColumn("time", ImGuiTableColumnFlags_WidthFixed, 140);
    ImGui::TableSetupColumn("data", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    ImGuiListClipper clip;
    clip.Begin(static_cast<int>(events.size()));
    while (clip.Step()) {
      for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
        const Event& e = events[static_cast<size_t>(i)];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::PushID(i);
        if (ImGui::Selectable(e.id.c_str(), state.sample_event == i, ImGuiSelectableFlags_SpanAllColumns)) state.sample_event = i;
        ImGui::PopID();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.type.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.time.c_str());
        ImGui::TableNextColumn();
        std::string d = cell(e.data, 160);
        ImGui::TextUnformatted(d.c_str());
      }
    }
    ImGui::EndTable();
  }
}

// Rows (objects) as a table with the union of their keys as columns.
void rows_table(const char* id, const std::vector<const Json*>& rows) {
  std::vector<std::string> cols;
  std::set<std::string> seen;
  for (const Json* r : rows) {
    if (!r->is_object()) continue;
    for (auto it = r->begin(); it != r->end(); ++it) {
      if (seen.insert(it.key()).second) cols.push_back(it.key());
    }
  }
  if (cols.empty() || cols.size() > 60) return;
  if (ImGui::BeginTable(id, static_cast<int>(cols.size()), ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    for (const auto& c : cols) ImGui::TableSetupColumn(c.c_str());
    ImGui::TableHeadersRow();
    for (const Json* r : rows) {
      ImGui::TableNextRow();
      for (const auto& c : cols) {
        ImGui::TableNextColumn();
        if (r->is_object() && r->contains(c)) ImGui::TextUnformatted(cell((*r)[c]).c_str());
      }
    }
    ImGui::EndTable();
  }
}

}  // namespace

// More events from the samples: copies, each later than the last, with their ids and tokens
// marked so that copies do not answer each other's waits (see shopflow::repeat_events).
void generate_row(StudioState& state) {
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Generate");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(60);
  ImGui::InputInt("##gen-copies", &state.generate_copies, 0, 0);
  note_widget(state, "data.generate.copies");
  state.generate_copies = std::clamp(state.generate_copies, 1, 1000);
  ImGui::SameLine();
  ImGui::TextUnformatted("copies of the samples,");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(70);
  input_string("##gen-every", &state.generate_every);
  note_widget(state, "data.generate.every");
  ImGui::SameLine();
  ImGui::TextUnformatted("apart");
  auto every = parse_duration(state.generate_every);
  ImGui::SameLine();
  ImGui::BeginDisabled(!every || every.value() <= 0);
  if (ImGui::SmallButton("Add")) {
    const std::vector<Event> base = sample_events(state);
    auto more = repeat_events(base, static_cast<size_t>(state.generate_copies), every.value());
    Json& samples = state.doc["samples"];
    if (!samples.is_object()) samples = Json::object();
    Json& list = samples["events"];
    if (!list.is_array()) list = Json::array();
    for (const Event& e : more) list.push_back(event_to_json(e));
    commit_edit(state);
    state.notice = "Added " + std::to_string(more.size()) + " generated events.";
  }
  note_widget(state, "data.generate.add");
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (!every) {
    ImGui::TextColored(kWarn, "apart: a duration such as PT1H or P1D");
  } else {
    ImGui::TextDisabled("ids and tokens of copy k end in ~k, so copies do not answer each other");
  }
}

void draw_data_panel(StudioState& state) {
  if (!state.loaded) {
    ImGui::TextDisabled("No bundle loaded.");
    return;
  }
  // Held for the whole panel: Add (generate_row) replaces the state's sample events, and the
  // detail view below would otherwise read the freed ones.
  const std::shared_ptr<const std::vector<Event>> held = shared_sample_events(state);
  const std::vector<Event>& events = *held;
  ImGui::Text("Sample events: %zu", events.size());
  ImGui::SameLine();
  if (ImGui::SmallButton("Add events from a file (JSON Lines)...")) open_file_picker(PickPurpose::Events);
  ImGui::SameLine();
  ImGui::TextDisabled("the simulator feeds these in time order");
  generate_row(state);
  float avail = ImGui::GetContentRegionAvail().x;
  ImGui::BeginChild("left", ImVec2(avail * 0.58f, 0));
  events_table(state, ImGui::GetContentRegionAvail().y * 0.55f);
  // The bundle's tables (lookup data the workflows read and change).
  const Json* tables = state.doc.contains("tables") ? &state.doc["tables"] : nullptr;
  if (tables && tables->is_object()) {
    for (auto t = tables->begin(); t != tables->end(); ++t) {
      ImGui::Text("Table %s", t.key().c_str());
      if (t.value().is_object() && t.value().contains("key")) {
        ImGui::SameLine();
        ImGui::TextDisabled("key: %s", cell(t.value()["key"]).c_str());
      }
      std::vector<const Json*> rows;
      if (t.value().is_object() && t.value().contains("rows") && t.value()["rows"].is_array()) {
        for (const auto& r : t.value()["rows"]) rows.push_back(&r);
      }
      rows_table(t.key().c_str(), rows);
    }
  }
  // Other sample data (lists of records) besides the events.
  const Json* samples = state.doc.contains("samples") ? &state.doc["samples"] : nullptr;
  if (samples && samples->is_object()) {
    for (auto s = samples->begin(); s != samples->end(); ++s) {
      if (s.key() == "events" || !s.value().is_array()) continue;
      ImGui::Text("Sample %s: %zu", s.key().c_str(), s.value().size());
      std::vector<const Json*> rows;
      for (const auto& r : s.value()) rows.push_back(&r);
      rows_table(s.key().c_str(), rows);
    }
  }
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("detail", ImVec2(0, 0), true);
  if (state.sample_event >= 0 && state.sample_event < static_cast<int>(events.size())) {
    const Event& e = events[static_cast<size_t>(state.sample_event)];
    ImGui::Text("%s", e.id.c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("the inspector previews with this event");
    std::string text = event_to_json(e).dump(2);
    ImGui::TextUnformatted(text.c_str());
  } else {
    ImGui::TextDisabled("Select an event.");
  }
  ImGui::EndChild();
}

}  // namespace shopflow::studio
