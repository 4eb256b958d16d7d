// std::string inputs for Dear ImGui (the resize callback pattern of imgui's misc/cpp/imgui_stdlib).
#include "ui_util.hpp"

namespace shopflow::studio {

namespace {

int resize_callback(ImGuiInputTextCallbackData* data) {
  if (data->EventFlag == ImGuiInputTextFlags_CallbackResize) {
    auto* s = static_cast<std::string*>(data->UserData);
    s->resize(static_cast<size_t>(data->BufTextLen));
    data->Buf = s->data();
  }
  return 0;
}

}  // namespace

bool input_string(const char* label, std::string* s, ImGuiInputTextFlags flags) {
  return ImGui::InputText(label, s->data(), s->capacity() + 1, flags | ImGuiInputTextFlags_CallbackResize,
                          resize_callback, s);
}

bool input_multiline(const char* label, std::string* s, const ImVec2& size, ImGuiInputTextFlags flags) {
  return ImGui::InputTextMultiline(label, s->data(), s->capacity() + 1, size,
                                   flags | ImGuiInputTextFlags_CallbackResize, resize_callback, s);
}

void text_wrapped_colored(const ImVec4& color, const std::string& text) {
  ImGui::PushStyleColor(ImGuiCol_Text, color);
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopStyleColor();
}

}  // namespace shopflow::studio
