// The canvas size, UI scale, fonts and theme (display.hpp).
#include "display.hpp"

#include <imgui.h>
#include <imgui_impl_opengl3.h>

#include <cmath>
#include <filesystem>

#include "browser.hpp"
#include "ui_util.hpp"

namespace shopflow::studio {

namespace {

// The fonts in the page's data (web/CMakeLists.txt packs them from Debian's font packages).
constexpr const char* kUiFont = "/fonts/Inter-Regular.otf";
constexpr const char* kBoldFont = "/fonts/Inter-SemiBold.otf";
constexpr const char* kMonoFont = "/fonts/JetBrainsMono-Regular.ttf";
constexpr float kUiPx = 15.0f, kMonoPx = 14.0f;  // at a scale of 1
constexpr const char* kSettingsKey = "shopflow.studio.view.v1";

// Latin with its accents (Latin-1, Extended-A and -B: é ß ł ő ș), typographic punctuation
// (– — ‘ ’ “ ” • …), the currency signs (€ ₹ ₺ ₽ ...; £ ¥ are in Latin-1), letterlike symbols
// (№ ™), arrows, mathematical operators (≤ ≥ ≠ ×) and geometric shapes (▶ ●).
const ImWchar kRanges[] = {0x0020, 0x024F, 0x2000, 0x206F, 0x20A0, 0x20CF, 0x2100, 0x215F,
                           0x2190, 0x21FF, 0x2200, 0x22FF, 0x25A0, 0x25FF, 0};

// What the settings do to the text size: a window 1700 CSS px wide or wider is looked at from
// further away (a desk monitor), so its text is larger.
float auto_text_scale(double css_w) {
  if (css_w >= 2200) return 1.25f;
  if (css_w >= 1700) return 1.1f;
  return 1.0f;
}

ImFont* add_font(const char* path, float px) {
  if (!std::filesystem::exists(path)) return nullptr;
  ImFontConfig cfg;
  cfg.OversampleH = 2;
  cfg.OversampleV = 1;
  return ImGui::GetIO().Fonts->AddFontFromFileTTF(path, px, &cfg, kRanges);
}

void build_fonts(Display& d, float scale) {
  ImFontAtlas* atlas = ImGui::GetIO().Fonts;
  atlas->Clear();
  d.ui = add_font(kUiFont, std::round(kUiPx * scale));
  d.bold = d.ui ? add_font(kBoldFont, std::round(kUiPx * scale)) : nullptr;
  d.mono = d.ui ? add_font(kMonoFont, std::round(kMonoPx * scale)) : nullptr;
  d.fonts_from_files = d.ui && d.bold && d.mono;
  if (!d.fonts_from_files) {
    atlas->Clear();
    ImFontConfig cfg;
    cfg.SizePixels = std::round(13.0f * scale);
    d.ui = d.bold = d.mono = atlas->AddFontDefault(&cfg);
  }
  atlas->Build();
}

// Colours of the theme, then sizes at the scale. The tiled windows cover the canvas without
// overlapping, so the canvas's clear paints their background (window_background()) and ImGui
// skips the fully transparent rectangles: with software WebGL each blended full-canvas
// rectangle cost as much CPU per frame as the rest of the page.
void apply_style(const Display& d) {
  ImGuiStyle s;
  if (d.light) {
    ImGui::StyleColorsLight(&s);
  } else {
    ImGui::StyleColorsDark(&s);
  }
  set_palette(d.light);
  s.Colors[ImGuiCol_WindowBg] = ImVec4(0, 0, 0, 0);
  s.WindowRounding = 0.0f;
  s.WindowBorderSize = 1.0f;
  s.FrameRounding = 3.0f;
  s.TabRounding = 3.0f;
  s.WindowPadding = ImVec2(8, 6);
  s.ItemSpacing = ImVec2(6, 5);
  s.ScaleAllSizes(d.scale);
  ImGui::GetStyle() = s;
}

}  // namespace

bool display_frame(Display& d) {
  PageView v = page_view();
  d.css_w = v.css_w;
  d.css_h = v.css_h;
  d.dpr = v.dpr;
  int w = std::max(1, static_cast<int>(std::lround(v.css_w * v.dpr)));
  int h = std::max(1, static_cast<int>(std::lround(v.css_h * v.dpr)));
  if (w != d.canvas_w || h != d.canvas_h) {
    set_canvas_pixels(w, h);
    d.canvas_w = w;
    d.canvas_h = h;
  }
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(static_cast<float>(w), static_cast<float>(h));
  io.DisplayFramebufferScale = ImVec2(1, 1);

  d.text_scale = d.settings.text_percent > 0 ? static_cast<float>(d.settings.text_percent) / 100.0f : auto_text_scale(v.css_w);
  float scale = static_cast<float>(v.dpr) * d.text_scale;
  bool light = d.settings.theme == Theme::Auto ? v.prefers_light : d.settings.theme == Theme::Light;
  bool rebuilt = false;
  if (std::fabs(scale - d.scale) > 0.001f) {
    bool first = d.scale == 0;
    build_fonts(d, scale);
    if (!first) {
      ImGui_ImplOpenGL3_DestroyFontsTexture();
      ImGui_ImplOpenGL3_CreateFontsTexture();
    }
    d.scale = scale;
    d.styled = false;
    rebuilt = true;
  }
  if (!d.styled || light != d.light) {
    d.light = light;
    apply_style(d);
    d.styled = true;
  }
  return rebuilt;
}

void load_display_settings(Display& d) {
  auto text = storage_get(kSettingsKey);
  if (!text) return;
  auto j = parse_json(*text, "settings");
  if (!j || !j.value().is_object()) return;
  const Json& s = j.value();
  int percent = s.value("text_percent", 0);
  d.settings.text_percent = percent >= 50 && percent <= 300 ? percent : 0;
  std::string theme = s.value("theme", std::string("auto"));
  d.settings.theme = theme == "light" ? Theme::Light : theme == "dark" ? Theme::Dark : Theme::Auto;
}

void save_display_settings(const Display& d) {
  const char* themes[] = {"auto", "light", "dark"};
  Json s = {{"text_percent", d.settings.text_percent}, {"theme", themes[static_cast<int>(d.settings.theme)]}};
  storage_set(kSettingsKey, s.dump());
}

void draw_display_settings(Display& d) {
  static const int kPercents[] = {0, 90, 100, 115, 130, 150, 175};
  std::string current = d.settings.text_percent == 0
                            ? "Auto (" + std::to_string(static_cast<int>(std::lround(d.text_scale * 100))) + "%)"
                            : std::to_string(d.settings.text_percent) + "%";
  bool changed = false;
  ImGui::SetNextItemWidth(px(110));
  if (ImGui::BeginCombo("Text size", current.c_str())) {
    for (int p : kPercents) {
      std::string label = p == 0 ? "Auto (follows the window)" : std::to_string(p) + "%";
      if (ImGui::Selectable(label.c_str(), p == d.settings.text_percent)) {
        d.settings.text_percent = p;
        changed = true;
      }
    }
    ImGui::EndCombo();
  }
  const char* themes[] = {"Auto (as the system)", "Light", "Dark"};
  ImGui::SetNextItemWidth(px(110));
  int t = static_cast<int>(d.settings.theme);
  if (ImGui::Combo("Theme", &t, themes, 3)) {
    d.settings.theme = static_cast<Theme>(t);
    changed = true;
  }
  if (changed) save_display_settings(d);
}

Json display_status(const Display& d) {
  Json glyphs = Json::object();
  const char* chars[] = {"€", "£", "¥", "₹", "é", "ß", "ł"};
  const ImWchar codes[] = {0x20AC, 0x00A3, 0x00A5, 0x20B9, 0x00E9, 0x00DF, 0x0142};
  for (size_t i = 0; i < std::size(codes); ++i) {
    glyphs[chars[i]] = d.ui != nullptr && d.ui->FindGlyphNoFallback(codes[i]) != nullptr;
  }
  Json j = {{"cssSize", {d.css_w, d.css_h}},
            {"dpr", d.dpr},
            {"canvas", {d.canvas_w, d.canvas_h}},
            {"scale", d.scale},
            {"textScale", d.text_scale},
            {"theme", d.light ? "light" : "dark"},
            {"fontsFromFiles", d.fonts_from_files},
            {"fontPx", d.ui != nullptr ? d.ui->FontSize / d.dpr : 0.0},
            {"glyphs", glyphs}};
  return j;
}

}  // namespace shopflow::studio
