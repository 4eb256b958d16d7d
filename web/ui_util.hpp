// Small Dear ImGui helpers shared by the panels: text inputs over std::string and the
// studio's colours.
#pragma once

#include <imgui.h>

#include <string>

namespace shopflow::studio {

inline const ImVec4 kGood(0.40f, 0.85f, 0.45f, 1.0f);
inline const ImVec4 kBad(1.00f, 0.45f, 0.40f, 1.0f);
inline const ImVec4 kWarn(0.95f, 0.75f, 0.30f, 1.0f);
inline const ImVec4 kDim(0.60f, 0.62f, 0.66f, 1.0f);

// InputText / InputTextMultiline over a std::string that grows as needed. True when edited.
bool input_string(const char* label, std::string* s, ImGuiInputTextFlags flags = 0);
bool input_multiline(const char* label, std::string* s, const ImVec2& size, ImGuiInputTextFlags flags = 0);

// Text that wraps, in a colour.
void text_wrapped_colored(const ImVec4& color, const std::string& text);

}  // namespace shopflow::studio
