#include "panel_bundle.hpp"

#include <imgui.h>

#include "browser.hpp"

namespace shopflow::studio {

void draw_bundle_panel(StudioState& state) {
  ImGui::SetNextWindowPos(ImVec2(16, 16), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(720, 520), ImGuiCond_FirstUseEver);
  ImGui::Begin("Bundle");

  const char* preview = state.selected_example >= 0 ? state.examples[state.selected_example].c_str() : "(none)";
  if (ImGui::BeginCombo("Example", preview)) {
    for (int i = 0; i < static_cast<int>(state.examples.size()); ++i) {
      if (ImGui::Selectable(state.examples[i].c_str(), i == state.selected_example)) {
        state.selected_example = i;
        std::string path = "/workflows/" + state.examples[i];
        load_bundle_text(state, path, read_packaged_file(path));
      }
    }
    ImGui::EndCombo();
  }
  ImGui::Separator();

  if (!state.load_error.empty()) {
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "Not valid JSON");
    ImGui::TextWrapped("%s", state.load_error.c_str());
    ImGui::End();
    return;
  }
  if (!state.loaded) {
    ImGui::TextDisabled("No bundle loaded.");
    ImGui::End();
    return;
  }

  const Bundle& b = state.check.bundle;
  ImGui::Text("%s  v%s", b.name.c_str(), b.version.c_str());
  if (!b.description.empty()) ImGui::TextWrapped("%s", b.description.c_str());
  if (state.check.ok()) {
    ImGui::TextColored(ImVec4(0.4f, 0.85f, 0.45f, 1.0f), "Valid: %zu workflow%s", b.workflows.size(),
                       b.workflows.size() == 1 ? "" : "s");
  } else {
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "%zu problem%s", state.check.problems.size(),
                       state.check.problems.size() == 1 ? "" : "s");
  }
  ImGui::Spacing();

  if (ImGui::BeginTable("workflows", 3, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg)) {
    ImGui::TableSetupColumn("Workflow");
    ImGui::TableSetupColumn("Name");
    ImGui::TableSetupColumn("Trigger");
    ImGui::TableHeadersRow();
    for (const auto& w : b.workflows) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(w.id.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(w.name.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(w.trigger.event.c_str());
    }
    ImGui::EndTable();
  }

  if (!state.check.ok()) {
    ImGui::Spacing();
    ImGui::TextUnformatted("Problems");
    for (const auto& p : state.check.problems) {
      ImGui::BulletText("%s: %s", p.pointer.empty() ? "(root)" : p.pointer.c_str(), p.message.c_str());
    }
  }
  ImGui::End();
}

}  // namespace shopflow::studio
