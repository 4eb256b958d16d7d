// The Bundle panel: which bundle is open (examples, import, export, revert), its workflows,
// and its validation problems; clicking a problem selects the step it concerns.
#include <imgui.h>

#include "browser.hpp"
#include "display.hpp"
#include "doc_edit.hpp"
#include "panels.hpp"
#include "ui_util.hpp"

namespace shopflow::studio {

void select_pointer(StudioState& state, const std::string& pointer) {
  int wf = workflow_of_pointer(pointer);
  if (wf < 0) return;
  if (wf != state.workflow) state.graph.fit_pending = true;
  state.workflow = wf;
  std::string step = step_of_pointer(pointer);
  if (!step.empty()) {
    state.selected = step;
  } else if (pointer.find("/trigger") != std::string::npos) {
    state.selected = "trigger";
  }
}

namespace {

void open_example(StudioState& state, int i) {
  unless_edits_lost(state, "Open " + state.examples[i], [i](StudioState& s) {
    s.selected_example = i;
    std::string path = "/workflows/" + s.examples[i];
    load_bundle_text(s, path, read_packaged_file(path));
    s.notice.clear();
  });
}

// Where a problem is, as a person names it: "step send-reminder in remind-abandoned-checkout",
// "trigger of ...", "workflow ...", else the part of the bundle ("tables/quotes").
std::string problem_place(const StudioState& state, const std::string& pointer) {
  if (pointer.empty()) return "the bundle";
  int wf = workflow_of_pointer(pointer);
  if (wf >= 0) {
    const Json* w = resolve(state.doc, "/workflows/" + std::to_string(wf));
    std::string wname = w && w->is_object() ? w->value("id", std::string("workflow ") + std::to_string(wf + 1)) : "workflow";
    std::string step = step_of_pointer(pointer);
    const Json* st = step.empty() ? nullptr : resolve(state.doc, step);
    if (st && st->is_object() && st->contains("id") && (*st)["id"].is_string()) {
      return "step " + (*st)["id"].get<std::string>() + " in " + wname;
    }
    if (pointer.find("/trigger") != std::string::npos) return "trigger of " + wname;
    return "workflow " + wname;
  }
  return pointer.substr(1);
}

std::string export_name(const StudioState& state) {
  std::string name = state.check.bundle.name.empty() ? "bundle" : state.check.bundle.name;
  for (char& c : name) {
    if (c == '/' || c == '\\' || c == ' ') c = '-';
  }
  return name + ".json";
}

}  // namespace

void draw_bundle_panel(StudioState& state) {
  ImGui::TextDisabled("Open");
  const char* preview = state.selected_example >= 0 ? state.examples[state.selected_example].c_str()
                                                   : (state.file.path.empty() ? "(none)" : state.file.path.c_str());
  ImGui::SetNextItemWidth(-1);
  if (ImGui::BeginCombo("##example", preview)) {
    for (int i = 0; i < static_cast<int>(state.examples.size()); ++i) {
      if (ImGui::Selectable(state.examples[i].c_str(), i == state.selected_example)) open_example(state, i);
    }
    ImGui::EndCombo();
  }
  note_widget(state, "bundle.examples");
  float third = (ImGui::GetContentRegionAvail().x - 2 * ImGui::GetStyle().ItemSpacing.x) / 3.0f;
  if (ImGui::Button("Import...", ImVec2(third, 0))) {
    unless_edits_lost(state, "Import another bundle", [](StudioState&) { open_file_picker(PickPurpose::Bundle); });
  }
  note_widget(state, "bundle.import");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Open a bundle JSON file from this computer");
  ImGui::SameLine();
  ImGui::BeginDisabled(!state.loaded);
  if (ImGui::Button("Export", ImVec2(third, 0))) {
    download_text(export_name(state), bundle_text(state));
    state.notice = "Exported " + export_name(state) + ".";
  }
  ImGui::EndDisabled();
  note_widget(state, "bundle.export");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Download the edited bundle (what the runner runs)");
  ImGui::SameLine();
  if (ImGui::Button("Revert", ImVec2(third, 0))) unless_edits_lost(state, "Revert to the saved version", revert_to_saved);
  note_widget(state, "bundle.revert");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Revert to the saved example: forget the edits kept in this browser");

  if (!bundle_edited(state)) {
    ImGui::TextColored(kDim, "Unchanged.");
  } else if (!state.not_kept.empty()) {
    text_wrapped_colored(kWarn, state.not_kept);
  } else {
    ImGui::TextColored(kDim, "%s", state.revision == state.saved_revision ? "Edited; kept in this browser." : "Edited.");
  }
  if (!state.notice.empty()) text_wrapped_colored(kDim, state.notice);
  float half = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) / 2.0f;
  ImGui::BeginDisabled(state.history.undo.empty());
  if (ImGui::Button("Undo", ImVec2(half, 0))) undo_edit(state);
  ImGui::EndDisabled();
  note_widget(state, "edit.undo");
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("Undo the last edit (Ctrl+Z, Cmd+Z)");
  ImGui::SameLine();
  ImGui::BeginDisabled(state.history.redo.empty());
  if (ImGui::Button("Redo", ImVec2(half, 0))) redo_edit(state);
  ImGui::EndDisabled();
  note_widget(state, "edit.redo");
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("Redo the edit undone last (Ctrl+Shift+Z, Ctrl+Y)");
  if (ImGui::CollapsingHeader("View")) draw_display_settings(state.display);
  draw_search(state);
  ImGui::Separator();

  if (!state.load_error.empty()) {
    ImGui::TextColored(kBad, "Not valid JSON");
    ImGui::TextWrapped("%s", state.load_error.c_str());
    return;
  }
  if (!state.loaded) {
    ImGui::TextDisabled("No bundle loaded.");
    return;
  }

  const Bundle& b = state.check.bundle;
  ImGui::Text("%s", b.name.c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("v%s", b.version.c_str());
  if (!b.description.empty()) text_wrapped_colored(kDim, b.description);
  if (state.check.ok()) {
    ImGui::TextColored(kGood, "Valid");
    if (!state.check.warnings.empty()) {
      ImGui::SameLine();
      ImGui::TextColored(kDim, "(%zu warning%s)", state.check.warnings.size(), state.check.warnings.size() == 1 ? "" : "s");
    }
  } else {
    ImGui::TextColored(kBad, "%zu problem%s", state.check.problems.size(), state.check.problems.size() == 1 ? "" : "s");
  }
  ImGui::Spacing();

  ImGui::TextDisabled("Workflows");
  const Json* wfs = state.doc.contains("workflows") ? &state.doc["workflows"] : nullptr;
  if (wfs && wfs->is_array()) {
    for (int i = 0; i < static_cast<int>(wfs->size()); ++i) {
      const Json& w = (*wfs)[static_cast<size_t>(i)];
      std::string id = w.is_object() ? w.value("id", std::string("(no id)")) : "(not an object)";
      std::string name = w.is_object() ? w.value("name", id) : id;
      std::string trigger;
      if (w.is_object() && w.contains("trigger") && w["trigger"].is_object()) {
        const Json& t = w["trigger"];
        trigger = t.contains("event") ? t.value("event", std::string()) : "every " + t.value("schedule", std::string());
      }
      ImGui::PushID(i);
      if (ImGui::Selectable(name.c_str(), state.workflow == i)) {
        if (state.workflow != i) state.graph.fit_pending = true;
        state.workflow = i;
        state.selected.clear();
      }
      note_widget(state, "workflow." + id);
      ImGui::PopID();
      ImGui::Indent();
      ImGui::TextDisabled("%s  on %s", id.c_str(), trigger.c_str());
      ImGui::Unindent();
    }
  }

  if (!state.check.ok() || !state.check.warnings.empty()) {
    ImGui::Spacing();
    ImGui::Separator();
    ImGui::TextColored(state.check.ok() ? kDim : kBad, "%s", state.check.ok() ? "Warnings" : "Problems");
    ImGui::BeginChild("problems", ImVec2(0, 0), false);
    int i = 0;
    // Problems first, then warnings (what may read nothing at run time), each selectable.
    std::vector<std::pair<const Problem*, bool>> shown;
    for (const auto& p : state.check.problems) shown.emplace_back(&p, false);
    for (const auto& p : state.check.warnings) shown.emplace_back(&p, true);
    for (const auto& [pp, warning] : shown) {
      const Problem& p = *pp;
      ImGui::PushID(i++);
      std::string where = (warning ? "warning: " : "") + problem_place(state, p.pointer);
      ImGui::PushStyleColor(ImGuiCol_Text, warning ? kDim : kBad);
      bool clicked = ImGui::Selectable(where.c_str(), false);
      ImGui::PopStyleColor();
      if (clicked) select_pointer(state, p.pointer);
      note_widget(state, "problem." + std::to_string(i - 1));
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("Select the step this problem concerns\n%s", p.pointer.c_str());
      ImGui::Indent();
      ImGui::TextWrapped("%s", p.message.c_str());
      ImGui::Unindent();
      ImGui::PopID();
    }
    ImGui::EndChild();
  }
}

}  // namespace shopflow::studio
