// Small Dear ImGui helpers shared by the panels: text inputs over std::string, sizes that
// follow the UI scale, and the studio's colours for the theme in use (display.cpp sets them).
#pragma once

#include <imgui.h>

#include <string>

namespace shopflow::studio {

// Text colours for good news, failures, warnings and asides, in the theme in use.
inline ImVec4 kGood(0.40f, 0.85f, 0.45f, 1.0f);
inline ImVec4 kBad(1.00f, 0.45f, 0.40f, 1.0f);
inline ImVec4 kWarn(0.95f, 0.75f, 0.30f, 1.0f);
inline ImVec4 kDim(0.60f, 0.62f, 0.66f, 1.0f);
inline ImVec4 kAccent(0.72f, 0.86f, 1.0f, 1.0f);  // rendered previews, step kinds

// The graph's colours, in the theme in use.
struct GraphPalette {
  ImU32 background, grid, edge, label, end, text_on_box, sub_on_box;
};
inline GraphPalette kGraph{IM_COL32(24, 26, 31, 255),    IM_COL32(34, 37, 43, 255),    IM_COL32(150, 156, 166, 255),
                           IM_COL32(190, 196, 206, 255), IM_COL32(110, 116, 126, 255), IM_COL32(255, 255, 255, 255),
                           IM_COL32(215, 220, 228, 255)};

// The canvas's clear colour: the windows' background, which they do not draw themselves.
inline ImVec4 kBackground(0.06f, 0.06f, 0.06f, 1.0f);

// Sets the colours above for the light or the dark theme.
void set_palette(bool light);

// A size designed at the original 13 px text, in the pixels of the current font (which
// follows the device pixel ratio and the text size setting).
inline float px(float v) { return v * ImGui::GetFontSize() / 13.0f; }

// InputText / InputTextMultiline over a std::string that grows as needed. True when edited.
bool input_string(const char* label, std::string* s, ImGuiInputTextFlags flags = 0);
// The same with a grey hint shown while it is empty.
bool input_string_hint(const char* label, const char* hint, std::string* s, ImGuiInputTextFlags flags = 0);
bool input_multiline(const char* label, std::string* s, const ImVec2& size, ImGuiInputTextFlags flags = 0);

// Text that wraps, in a colour.
void text_wrapped_colored(const ImVec4& color, const std::string& text);

}  // namespace shopflow::studio
