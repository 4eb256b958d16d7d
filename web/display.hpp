// The studio's display: the canvas kept at the window's size times devicePixelRatio (set only
// when that changes), the UI scale (the screen's pixel ratio times a text size that follows the
// window's width or a setting), the fonts (Inter and JetBrains Mono, packed into the page's data
// and rasterised at that scale, with the letters and currency signs shops write) and the colour
// theme (dark or light, following the browser's prefers-color-scheme unless chosen). main.cpp
// calls display_frame() before each ImGui frame; the bundle panel shows the settings.
#pragma once

#include "shopflow/json.hpp"

struct ImFont;

namespace shopflow::studio {

enum class Theme { Auto = 0, Light = 1, Dark = 2 };

struct DisplaySettings {
  int text_percent = 0;  // text size in percent of normal; 0 follows the window's width
  Theme theme = Theme::Auto;
};

struct Display {
  DisplaySettings settings;
  double css_w = 0, css_h = 0;  // the canvas's size on the page, in CSS pixels
  double dpr = 1;               // device pixels per CSS pixel
  int canvas_w = 0, canvas_h = 0;  // the canvas's drawing buffer, in device pixels
  float text_scale = 1;         // the text size in use (1 = 15 CSS px)
  float scale = 0;              // device pixels per design pixel: dpr * text_scale, as the fonts were built
  bool light = false;           // the theme in use
  bool styled = false;          // colours applied at least once
  bool fonts_from_files = false;  // Inter and JetBrains Mono loaded (else ImGui's built-in font)
  ImFont* ui = nullptr;
  ImFont* bold = nullptr;
  ImFont* mono = nullptr;
};

// Sizes the canvas, rebuilds the fonts and style when the scale changed, applies the theme.
// Call before ImGui's NewFrame (it may rebuild the font texture). Returns true on the frame the
// fonts were rebuilt.
bool display_frame(Display& d);

// The settings kept in the browser between visits.
void load_display_settings(Display& d);
void save_display_settings(const Display& d);

// The settings as widgets (text size, theme); draws into the current window.
void draw_display_settings(Display& d);

// A summary for the page's status(): sizes, scale, theme, and which of the commerce
// characters (€ £ ¥ ₹ é ß ł) the UI font has glyphs for.
Json display_status(const Display& d);

}  // namespace shopflow::studio
