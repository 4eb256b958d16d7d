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

bool input_string_hint(const char* label, const char* hint, std::string* s, ImGuiInputTextFlags flags) {
  return ImGui::InputTextWithHint(label, hint, s->data(), s->capacity() + 1, flags | ImGuiInputTextFlags_CallbackResize,
                                  resize_callback, s);
}

bool input_multiline(const char* label, std::string* s, const ImVec2& size, ImGuiInputTextFlags flags) {
  return ImGui::InputTextMultiline(label, s->data(), s->capacity() + 1, size,
                                   flags | ImGuiInputTextFlags_CallbackResize, resize_callback, s);
}

void set_palette(bool light) {
  if (light) {
    kGood = ImVec4(0.08f, 0.48f, 0.16f, 1.0f);
    kBad = ImVec4(0.76f, 0.12f, 0.10f, 1.0f);
    kWarn = ImVec4(0.60f, 0.38f, 0.00f, 1.0f);
    kDim = ImVec4(0.36f, 0.38f, 0.42f, 1.0f);
    kAccent = ImVec4(0.08f, 0.28f, 0.58f, 1.0f);
    kGraph = GraphPalette{IM_COL32(248, 249, 251, 255), IM_COL32(232, 234, 238, 255), IM_COL32(104, 110, 120, 255),
                          IM_COL32(52, 56, 64, 255),    IM_COL32(140, 146, 156, 255), IM_COL32(255, 255, 255, 255),
                          IM_COL32(236, 240, 246, 255)};
    kBackground = ImVec4(0.94f, 0.94f, 0.94f, 1.0f);
  } else {
    kGood = ImVec4(0.40f, 0.85f, 0.45f, 1.0f);
    kBad = ImVec4(1.00f, 0.45f, 0.40f, 1.0f);
    kWarn = ImVec4(0.95f, 0.75f, 0.30f, 1.0f);
    kDim = ImVec4(0.60f, 0.62f, 0.66f, 1.0f);
    kAccent = ImVec4(0.72f, 0.86f, 1.0f, 1.0f);
    kGraph = GraphPalette{IM_COL32(24, 26, 31, 255),    IM_COL32(34, 37, 43, 255),    IM_COL32(150, 156, 166, 255),
                          IM_COL32(190, 196, 206, 255), IM_COL32(110, 116, 126, 255), IM_COL32(255, 255, 255, 255),
                          IM_COL32(215, 220, 228, 255)};
    kBackground = ImVec4(0.06f, 0.06f, 0.06f, 1.0f);
  }
}

void text_wrapped_colored(const ImVec4& color, const std::string& text) {
  ImGui::PushStyleColor(ImGuiCol_Text, color);
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopStyleColor();
}

}  // namespace shopflow::studio
