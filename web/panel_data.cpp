// The Data panel: the bundle's sample events (what the simulator feeds in) and, in a tab of
// their own, its tables, whose cells can be edited; a click on an event picks it for the
// inspector's previews; more events can be added from a JSON Lines file or generated as copies
// of the samples.
#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <memory>
#include <set>
#include <vector>

#include "shopflow/instant.hpp"
#include "shopflow/simulator.hpp"

#include "browser.hpp"
#include "panels.hpp"
#include "ui_util.hpp"
#include "words.hpp"

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
    ImGui::TableSetupColumn("id", ImGuiTableColumnFlags_WidthFixed, px(80));
    ImGui::TableSetupColumn("type", ImGuiTableColumnFlags_WidthFixed, px(120));
    ImGui::TableSetupColumn("time", ImGuiTableColumnFlags_WidthFixed, px(140));
    ImGui::TableSetupColumn("data", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    if (state.scroll_to_sample) {  // a search result: the chosen event in view
      state.scroll_to_sample = false;
      const float row = ImGui::GetTextLineHeight() + 2 * ImGui::GetStyle().CellPadding.y;
      ImGui::SetScrollY(std::max(0.0f, row * static_cast<float>(state.sample_event) - row * 2));
    }
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

// A cell's value changed to `text`, as the same kind of value: a number stays a number (and
// text that is no number is not taken), anything else becomes the text. False when not taken.
bool set_cell(Json& v, const std::string& text) {
  if (v.is_number()) {
    auto parsed = parse_json(text, "number");
    if (!parsed || !parsed.value().is_number()) return false;
    v = parsed.value();
    return true;
  }
  v = text;
  return true;
}

// Rows (objects) as a table with the union of their keys as columns. With `table` (the name of
// one of the bundle's tables), its text and number cells are fields: a threshold kept in a
// table is changed as a cell, an undoable edit like any other.
void rows_table(StudioState& state, const char* id, const std::vector<Json*>& rows, const char* table) {
  std::vector<std::string> cols;
  std::set<std::string> seen;
  for (const Json* r : rows) {
    if (!r->is_object()) continue;
    for (auto it = r->begin(); it != r->end(); ++it) {
      if (seen.insert(it.key()).second) cols.push_back(it.key());
    }
  }
  if (cols.empty() || cols.size() > 60) return;
  bool edited = false;
  if (ImGui::BeginTable(id, static_cast<int>(cols.size()), ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    for (const auto& c : cols) ImGui::TableSetupColumn(c.c_str());
    ImGui::TableHeadersRow();
    int row = 0;
    for (Json* r : rows) {
      ImGui::TableNextRow();
      ImGui::PushID(row);
      int col = 0;
      for (const auto& c : cols) {
        ImGui::TableNextColumn();
        ImGui::PushID(col++);
        if (r->is_object() && r->contains(c)) {
          Json& v = (*r)[c];
          if (table && (v.is_string() || v.is_number())) {
            std::string text = v.is_string() ? v.get<std::string>() : v.dump();
            ImGui::SetNextItemWidth(-FLT_MIN);
            if (input_string("##cell", &text) && set_cell(v, text)) edited = true;
            note_widget(state, std::string("table:") + table + ":" + std::to_string(row) + ":" + c);
          } else {
            ImGui::TextUnformatted(cell(v).c_str());
          }
        }
        ImGui::PopID();
      }
      ImGui::PopID();
      ++row;
    }
    ImGui::EndTable();
  }
  if (edited) commit_edit(state);
}

}  // namespace

// More events from the samples: copies, each later than the last, with their ids and tokens
// marked so that copies do not answer each other's waits (see shopflow::repeat_events).
void generate_row(StudioState& state) {
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Generate");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(px(60));
  ImGui::InputInt("##gen-copies", &state.generate_copies, 0, 0);
  note_widget(state, "data.generate.copies");
  state.generate_copies = std::clamp(state.generate_copies, 1, 1000);
  ImGui::SameLine();
  ImGui::TextUnformatted("copies of the samples,");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(px(70));
  if (input_string("##gen-every", &state.generate_every)) {
    if (auto iso = duration_from_words(state.generate_every)) state.generate_every = *iso;
  }
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
    ImGui::TextColored(kWarn, "apart: a duration such as 1 hour or 2 days");
  } else {
    ImGui::TextDisabled("ids and tokens of copy k end in ~k, so copies do not answer each other");
  }
}

namespace {

// The sample events (and other sample records) on the left, the picked event on the right.
void draw_events(StudioState& state, const std::vector<Event>& events) {
  float avail = ImGui::GetContentRegionAvail().x;
  ImGui::BeginChild("left", ImVec2(avail * 0.58f, 0));
  events_table(state, ImGui::GetContentRegionAvail().y * 0.7f);
  // Other sample data (lists of records) besides the events.
  Json* samples = state.doc.contains("samples") ? &state.doc["samples"] : nullptr;
  if (samples && samples->is_object()) {
    for (auto s = samples->begin(); s != samples->end(); ++s) {
      if (s.key() == "events" || !s.value().is_array()) continue;
      ImGui::Text("Sample %s: %zu", s.key().c_str(), s.value().size());
      std::vector<Json*> rows;
      for (auto& r : s.value()) rows.push_back(&r);
      rows_table(state, s.key().c_str(), rows, nullptr);
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
    ImGui::PushFont(state.display.mono);
    ImGui::TextUnformatted(text.c_str());
    ImGui::PopFont();
  } else {
    ImGui::TextDisabled("Select an event.");
  }
  ImGui::EndChild();
}

// The bundle's tables (lookup data the workflows read and change, and thresholds kept as
// data), each under its name; a short one starts open.
void draw_tables(StudioState& state) {
  Json* tables = state.doc.contains("tables") ? &state.doc["tables"] : nullptr;
  if (!tables || !tables->is_object() || tables->empty()) {
    ImGui::TextDisabled("This bundle has no tables.");
    return;
  }
  ImGui::BeginChild("tables");
  for (auto t = tables->begin(); t != tables->end(); ++t) {
    ImGui::PushID(t.key().c_str());
    std::vector<Json*> rows;
    if (t.value().is_object() && t.value().contains("rows") && t.value()["rows"].is_array()) {
      for (auto& r : t.value()["rows"]) rows.push_back(&r);
    }
    std::string head = t.key() + "  (" + std::to_string(rows.size()) + (rows.size() == 1 ? " row)" : " rows)");
    ImGui::SetNextItemOpen(rows.size() <= 8, ImGuiCond_Once);
    bool open = ImGui::CollapsingHeader(head.c_str());
    note_widget(state, "table:" + t.key());
    if (t.value().is_object() && t.value().contains("key")) {
      ImGui::SameLine();
      ImGui::TextDisabled("key: %s", cell(t.value()["key"]).c_str());
    }
    if (open) rows_table(state, t.key().c_str(), rows, t.key().c_str());
    ImGui::PopID();
  }
  ImGui::EndChild();
}

}  // namespace

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
  if (!ImGui::BeginTabBar("data")) return;
  bool events_tab = ImGui::BeginTabItem("Events");
  note_widget(state, "data.tab.events");
  if (events_tab) {
    draw_events(state, events);
    ImGui::EndTabItem();
  }
  bool tables_tab = ImGui::BeginTabItem("Tables");
  note_widget(state, "data.tab.tables");
  if (tables_tab) {
    draw_tables(state);
    ImGui::EndTabItem();
  }
  ImGui::EndTabBar();
}

}  // namespace shopflow::studio
