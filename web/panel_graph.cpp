// The workflow graph: the trigger and the steps as boxes joined by arrows, drawn with
// ImDrawList. Branches (if then/else, switch cases) stand side by side, a foreach's body sits
// in a frame under it. The wheel scrolls, Ctrl/Cmd + wheel and pinches zoom around the pointer,
// dragging the background pans, a click selects a step for the inspector, a right click opens
// the step menu. Text is drawn at its size on screen and never smaller than kMinTextCss: zoomed
// out, a box shows only its step's name. A workflow too long for that (its boxes would be too
// narrow to name their steps) is shown at Fit as an outline: each step a named bar, branches
// indented under their "then", "else" or case, in as many columns as the pane needs.
#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <map>
#include <set>

#include "doc_edit.hpp"
#include "panels.hpp"
#include "ui_util.hpp"

namespace shopflow::studio {

namespace {

// [SECTION] layout, in graph units (1 unit = 1 pixel at zoom 1)
constexpr float kBoxW = 200.0f, kBoxH = 44.0f, kVGap = 30.0f, kHGap = 26.0f, kEmptyW = 90.0f, kPad = 14.0f;
constexpr float kMinTextCss = 11.0f;            // the smallest text drawn, in CSS pixels
constexpr float kMinZoom = 0.08f, kMaxZoom = 2.5f;
constexpr float kZoomStep = 1.12f;              // per wheel notch with Ctrl, or as much pinch
// Fit shows the outline when the graph's boxes would be narrower than this (CSS px): a step's
// name no longer reads in them.
constexpr float kOutlineBelowCss = 100.0f;
constexpr float kOutlineColumnCss = 125.0f;     // the outline's narrowest column

struct GNode {
  std::string pointer;  // "trigger" for the trigger
  std::string kind;
  std::string title;    // the step id
  std::string sub;      // what it does
  ImVec2 pos;           // top-left
};

struct GEdge {
  ImVec2 from, to;
  std::string label;
};

struct GFrame {
  ImVec2 min, max;
  std::string label;
};

struct GPort {
  ImVec2 p;
  std::string label;
};

struct GLayout {
  std::vector<GNode> nodes;
  std::vector<GEdge> edges;
  std::vector<GFrame> frames;
  std::vector<ImVec2> ends;  // where the workflow finishes
  float min_x = 0, max_x = 0, max_y = 0;
};

float list_width(const Json* list);

float step_width(const Json& s) {
  std::string kind = step_kind(s);
  if (kind == "if") {
    float w = list_width(s.contains("then") ? &s["then"] : nullptr) + kHGap + list_width(s.contains("else") ? &s["else"] : nullptr);
    return std::max(kBoxW, w);
  }
  if (kind == "switch") {
    float w = 0;
    if (s.contains("cases") && s["cases"].is_array()) {
      for (const auto& c : s["cases"]) w += list_width(c.is_object() && c.contains("steps") ? &c["steps"] : nullptr) + kHGap;
    }
    w += list_width(s.contains("default") ? &s["default"] : nullptr);
    return std::max(kBoxW, w);
  }
  if (kind == "foreach") return std::max(kBoxW, list_width(s.contains("steps") ? &s["steps"] : nullptr) + 2 * kPad);
  return kBoxW;
}

float list_width(const Json* list) {
  if (!list || !list->is_array() || list->empty()) return kEmptyW;
  float w = 0;
  for (const auto& s : *list) w = std::max(w, step_width(s));
  return w;
}

void note_extent(GLayout& g, float x0, float x1, float y1) {
  g.min_x = std::min(g.min_x, x0);
  g.max_x = std::max(g.max_x, x1);
  g.max_y = std::max(g.max_y, y1);
}

// Places a step list centred on cx from y down; `in` are the arrows' starting points into
// the first step. Returns the exits (where arrows leave the list) and moves *y below it.
std::vector<GPort> place_list(GLayout& g, const Json* list, const std::string& pointer, float cx, float* y,
                              std::vector<GPort> in);

std::vector<GPort> place_branches(GLayout& g, const std::vector<std::pair<const Json*, std::pair<std::string, std::string>>>& branches,
                                  const ImVec2& from, float cx, float* y) {
  float total = 0;
  for (const auto& b : branches) total += list_width(b.first);
  total += kHGap * static_cast<float>(branches.size() - 1);
  float x = cx - total / 2;
  float y0 = *y;
  float bottom = y0;
  std::vector<GPort> exits;
  for (const auto& b : branches) {
    float w = list_width(b.first);
    float bcx = x + w / 2;
    float by = y0;
    std::vector<GPort> in = {GPort{from, b.second.second}};
    bool empty = !b.first || !b.first->is_array() || b.first->empty();
    if (empty) {
      // An empty branch: the arrow passes straight through.
      ImVec2 p(bcx, y0 + 10);
      g.edges.push_back(GEdge{from, p, b.second.second});
      exits.push_back(GPort{p, ""});
      bottom = std::max(bottom, y0 + 10);
    } else {
      auto out = place_list(g, b.first, b.second.first, bcx, &by, in);
      exits.insert(exits.end(), out.begin(), out.end());
      bottom = std::max(bottom, by - kVGap);
    }
    x += w + kHGap;
  }
  *y = bottom + kVGap;
  return exits;
}

std::vector<GPort> place_list(GLayout& g, const Json* list, const std::string& pointer, float cx, float* y,
                              std::vector<GPort> in) {
  if (!list || !list->is_array()) return in;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& s = (*list)[i];
    std::string p = pointer + "/" + std::to_string(i);
    GNode n;
    n.pointer = p;
    n.kind = step_kind(s);
    n.title = s.is_object() ? s.value("id", std::string("(no id)")) : "(not a step)";
    n.sub = step_summary(s);
    n.pos = ImVec2(cx - kBoxW / 2, *y);
    g.nodes.push_back(n);
    note_extent(g, n.pos.x, n.pos.x + kBoxW, n.pos.y + kBoxH);
    ImVec2 top(cx, *y), bottom(cx, *y + kBoxH);
    for (const GPort& port : in) g.edges.push_back(GEdge{port.p, top, port.label});
    *y += kBoxH + kVGap;
    if (n.kind == "if") {
      in = place_branches(g, {{s.contains("then") ? &s["then"] : nullptr, {p + "/then", "then"}},
                              {s.contains("else") ? &s["else"] : nullptr, {p + "/else", "else"}}},
                          bottom, cx, y);
    } else if (n.kind == "switch") {
      std::vector<std::pair<const Json*, std::pair<std::string, std::string>>> br;
      if (s.contains("cases") && s["cases"].is_array()) {
        for (size_t c = 0; c < s["cases"].size(); ++c) {
          const Json& cs = s["cases"][c];
          std::string label = cs.is_object() && cs.contains("equals") ? "= " + cs["equals"].dump()
                                                                       : "when " + (cs.is_object() && cs.contains("when") ? condition_text(cs["when"], 20) : std::string());
          br.push_back({cs.is_object() && cs.contains("steps") ? &cs["steps"] : nullptr,
                        {p + "/cases/" + std::to_string(c) + "/steps", label}});
        }
      }
      br.push_back({s.contains("default") ? &s["default"] : nullptr, {p + "/default", "default"}});
      in = place_branches(g, br, bottom, cx, y);
    } else if (n.kind == "foreach") {
      const Json* body = s.contains("steps") ? &s["steps"] : nullptr;
      float w = list_width(body) + 2 * kPad;
      float fy = *y - kVGap / 2;
      float by = *y + 6;
      std::vector<GPort> out;
      if (body && body->is_array() && !body->empty()) {
        out = place_list(g, body, p + "/steps", cx, &by, {GPort{bottom, "each " + s.value("as", std::string("item"))}});
      } else {
        by += 20 + kVGap;
      }
      float fbottom = by - kVGap + 8;
      g.frames.push_back(GFrame{ImVec2(cx - w / 2, fy), ImVec2(cx + w / 2, fbottom), "for each " + s.value("as", std::string("item"))});
      note_extent(g, cx - w / 2, cx + w / 2, fbottom);
      // After the loop, the flow continues from the foreach box's frame.
      in = {GPort{ImVec2(cx, fbottom), ""}};
      *y = fbottom + kVGap;
    } else if (n.kind == "stop") {
      in.clear();
    } else {
      in = {GPort{bottom, ""}};
    }
  }
  return in;
}

GLayout layout_workflow(const Json& wf, int index) {
  GLayout g;
  GNode t;
  t.pointer = "trigger";
  t.kind = "trigger";
  t.title = "trigger";
  const Json* trig = wf.contains("trigger") ? &wf["trigger"] : nullptr;
  if (trig && trig->is_object()) {
    t.sub = trig->contains("event") ? "on " + trig->value("event", std::string()) : "every " + trig->value("schedule", std::string());
    if (trig->contains("filter")) t.sub += " if " + condition_text((*trig)["filter"], 40);
  }
  t.pos = ImVec2(-kBoxW / 2, 0);
  g.nodes.push_back(t);
  note_extent(g, -kBoxW / 2, kBoxW / 2, kBoxH);
  float y = kBoxH + kVGap;
  std::string base = "/workflows/" + std::to_string(index) + "/steps";
  auto exits = place_list(g, wf.contains("steps") ? &wf["steps"] : nullptr, base, 0, &y, {GPort{ImVec2(0, kBoxH), ""}});
  ImVec2 end(0, y);
  for (const GPort& p : exits) g.edges.push_back(GEdge{p.p, end, p.label});
  g.ends.push_back(end);
  note_extent(g, -kBoxW / 2, kBoxW / 2, y + 20);
  return g;
}

// [SECTION] drawing
ImU32 kind_color(const std::string& kind) {
  if (kind == "trigger") return IM_COL32(46, 110, 72, 255);
  if (kind == "if" || kind == "switch") return IM_COL32(96, 72, 140, 255);
  if (kind == "action") return IM_COL32(44, 88, 140, 255);
  if (kind == "wait") return IM_COL32(150, 102, 36, 255);
  if (kind == "foreach") return IM_COL32(36, 118, 120, 255);
  if (kind == "stop") return IM_COL32(140, 52, 52, 255);
  return IM_COL32(78, 84, 92, 255);
}

void arrow(ImDrawList* dl, ImVec2 a, ImVec2 b, float scale, ImU32 col, float thickness) {
  // Down from a, across at the middle, down into b.
  float midy = b.y - 12 * scale;
  if (std::fabs(a.x - b.x) < 1.0f) {
    dl->AddLine(a, b, col, thickness);
  } else {
    ImVec2 pts[4] = {a, ImVec2(a.x, midy), ImVec2(b.x, midy), b};
    dl->AddPolyline(pts, 4, col, 0, thickness);
  }
  float s = 5 * scale;
  dl->AddTriangleFilled(ImVec2(b.x - s, b.y - s * 1.4f), ImVec2(b.x + s, b.y - s * 1.4f), b, col);
}

void step_menu(StudioState& state, const std::string& pointer);

// `text` cut to fit `max_w` pixels at `size`, ending in "…" when cut.
std::string fit_text(ImFont* font, float size, const std::string& text, float max_w) {
  if (font->CalcTextSizeA(size, FLT_MAX, 0, text.c_str()).x <= max_w) return text;
  std::string t = text;
  while (!t.empty()) {
    t.pop_back();
    while (!t.empty() && (static_cast<unsigned char>(t.back()) & 0xC0) == 0x80) t.pop_back();  // whole characters
    std::string cut = t + "\u2026";
    if (font->CalcTextSizeA(size, FLT_MAX, 0, cut.c_str()).x <= max_w) return cut;
  }
  return "";
}

// [SECTION] the outline
struct OLine {
  int node = -1;      // index into GLayout::nodes
  std::string label;  // before the first step of a branch: "then", "else", "case 1", "default", "each"
  int depth = 0;
};

// The depth of a step's pointer below the top list (a case's steps count once).
int step_depth(const std::string& pointer) {
  int numbers = 0, cases = 0;
  size_t i = 0;
  while (i < pointer.size()) {
    size_t j = pointer.find('/', i + 1);
    std::string seg = pointer.substr(i + 1, (j == std::string::npos ? pointer.size() : j) - i - 1);
    if (!seg.empty() && seg.find_first_not_of("0123456789") == std::string::npos) ++numbers;
    if (seg == "cases") ++cases;
    if (j == std::string::npos) break;
    i = j;
  }
  return std::max(0, numbers - 2 - cases);
}

// The outline's lines, in the graph's order (each step, then its branches); the first step
// of a branch carries the branch's name, so a branch costs no line of its own.
std::vector<OLine> outline_lines(const GLayout& g) {
  std::vector<OLine> out;
  for (int i = 0; i < static_cast<int>(g.nodes.size()); ++i) {
    const std::string& p = g.nodes[i].pointer;
    const int depth = p == "trigger" ? 0 : step_depth(p);
    std::string label;
    if (p != "trigger" && depth > 0 && last_index(p) == 0) {
      std::string list = parent_pointer(p);
      std::string name = list.substr(list.rfind('/') + 1);
      std::string owner = parent_pointer(list);
      label = name;
      const std::string owner_list = parent_pointer(owner);
      if (name == "steps" && owner_list.substr(owner_list.rfind('/') + 1) == "cases") {
        label = "case " + std::to_string(last_index(owner) + 1);
      } else if (name == "steps") {
        label = "each";
      }
    }
    out.push_back(OLine{i, label, depth});
  }
  return out;
}

// Draws the outline of `g` in the pane at `origin` and returns the node under the mouse (-1:
// none). Each line's height and the columns follow the pane; the text is kMinTextCss or more.
int draw_outline(StudioState& state, const GLayout& g, ImDrawList* dl, ImVec2 origin, ImVec2 avail,
                 const std::map<std::string, std::string>& path, bool run_shown, const std::set<std::string>& bad_steps,
                 int* outside) {
  const Display& display = state.display;
  const float dpr = static_cast<float>(display.dpr);
  ImFont* font = display.ui ? display.ui : ImGui::GetFont();
  ImFont* bold = display.bold ? display.bold : font;
  GraphView& v = state.graph;
  const std::vector<OLine> lines = outline_lines(g);
  const float margin = 8 * dpr;
  // The largest text from 13 px down to 11 px that puts every line in the pane.
  float size = kMinTextCss * dpr, line_h = 0;
  int rows = 1, cols = 1;
  for (float css : {13.0f, 12.0f, kMinTextCss}) {
    size = css * dpr;
    line_h = std::round(size * 1.5f);
    rows = std::max(1, static_cast<int>((avail.y - 2 * margin) / line_h));
    cols = (static_cast<int>(lines.size()) + rows - 1) / rows;
    if (cols * kOutlineColumnCss * dpr <= avail.x - 2 * margin) break;
  }
  const float col_w = std::max(kOutlineColumnCss * dpr, (avail.x - 2 * margin) / static_cast<float>(std::max(cols, 1)));
  const float indent = 12 * dpr, gap = 8 * dpr;
  const ImGuiIO& io = ImGui::GetIO();
  int hit = -1;
  float smallest = FLT_MAX;
  const ImU32 path_col = IM_COL32(80, 160, 255, 255);
  for (size_t k = 0; k < lines.size(); ++k) {
    const OLine& l = lines[k];
    const int col = static_cast<int>(k) / rows, row = static_cast<int>(k) % rows;
    float x0 = origin.x + v.pan_x + margin + static_cast<float>(col) * col_w + static_cast<float>(l.depth) * indent;
    const float y0 = origin.y + v.pan_y + margin + static_cast<float>(row) * line_h;
    const float x1 = origin.x + v.pan_x + margin + static_cast<float>(col + 1) * col_w - gap;
    const float text_y = y0 + (line_h - 3 * dpr - size) / 2;
    if (!l.label.empty()) {
      // The branch's name before its first step; the step's bar starts after it.
      dl->AddText(font, size, ImVec2(x0, text_y), kGraph.label, l.label.c_str());
      smallest = std::min(smallest, size);
      x0 += font->CalcTextSizeA(size, FLT_MAX, 0, l.label.c_str()).x + 4 * dpr;
    }
    const float inner = x1 - x0 - 2 * 5 * dpr;
    const GNode& n = g.nodes[static_cast<size_t>(l.node)];
    ImVec2 a(x0, y0), b(x1, y0 + line_h - 3 * dpr);
    dl->AddRectFilled(a, b, kind_color(n.kind), 3 * dpr);
    if (run_shown && n.kind != "trigger") {
      if (path.count(n.title) == 0) {
        dl->AddRectFilled(a, b, (kGraph.background & 0x00FFFFFF) | 0xA0000000, 3 * dpr);
      } else {
        dl->AddRect(ImVec2(a.x - 2, a.y - 1), ImVec2(b.x + 2, b.y + 1), path_col, 3 * dpr, 0, 2 * dpr);
      }
    }
    if (bad_steps.count(n.pointer)) dl->AddRect(a, b, IM_COL32(255, 96, 90, 255), 3 * dpr, 0, 2 * dpr);
    if (state.selected == n.pointer) dl->AddRect(ImVec2(a.x - 2, a.y - 2), ImVec2(b.x + 2, b.y + 2), IM_COL32(255, 230, 120, 255), 4 * dpr, 0, 2 * dpr);
    const bool over = io.MousePos.x >= a.x && io.MousePos.x < b.x && io.MousePos.y >= a.y && io.MousePos.y < b.y;
    if (over) {
      hit = l.node;
      dl->AddRectFilled(a, b, IM_COL32(255, 255, 255, 24), 3 * dpr);
    }
    dl->AddText(bold, size, ImVec2(x0 + 5 * dpr, text_y), kGraph.text_on_box, fit_text(bold, size, n.title, inner).c_str());
    smallest = std::min(smallest, size);
    note_rect(state, "node:" + n.pointer, a, b);
    if (a.x < origin.x - 0.5f || a.y < origin.y - 0.5f || b.x > origin.x + avail.x + 0.5f || b.y > origin.y + avail.y + 0.5f) ++*outside;
  }
  v.smallest_text_css = smallest == FLT_MAX ? 0.0f : smallest / dpr;
  return hit;
}

// The pane in outline mode: the outline, scrolled by the wheel or a drag; a click selects a
// step, a right click opens its menu, Ctrl+wheel goes back to the graph.
void draw_outline_pane(StudioState& state, const GLayout& g, ImVec2 origin, ImVec2 avail,
                       const std::map<std::string, std::string>& path, bool run_shown, const std::set<std::string>& bad_steps) {
  GraphView& v = state.graph;
  ImGui::InvisibleButton("canvas", avail, ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
  note_widget(state, "graph.pane");
  const bool hovered = ImGui::IsItemHovered();
  const bool active = ImGui::IsItemActive();
  ImGuiIO& io = ImGui::GetIO();
  const float unit = px(1.0f);
  if (hovered && (io.MouseWheel != 0.0f || io.MouseWheelH != 0.0f)) {
    v.pan_x = std::min(0.0f, v.pan_x + io.MouseWheelH * 60 * unit);
    v.pan_y = std::min(0.0f, v.pan_y + io.MouseWheel * 60 * unit);
  }
  if (hovered && state.zoom_wheel != 0.0f) {
    // Zooming is the graph's: it opens at the smallest zoom whose boxes name their steps.
    v.outline = false;
    v.zoom = std::clamp(kOutlineBelowCss * static_cast<float>(state.display.dpr) / (kBoxW * unit), kMinZoom, 1.0f);
    v.pan_x = avail.x / 2 - ((g.min_x + g.max_x) / 2) * v.zoom * unit;
    v.pan_y = 20 * v.zoom * unit;
  }
  if (active && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2.0f)) {
    v.pan_x = std::min(0.0f, v.pan_x + io.MouseDelta.x);
    v.pan_y = std::min(0.0f, v.pan_y + io.MouseDelta.y);
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->PushClipRect(origin, ImVec2(origin.x + avail.x, origin.y + avail.y), true);
  dl->AddRectFilled(origin, ImVec2(origin.x + avail.x, origin.y + avail.y), kGraph.background);
  int outside = 0;
  const int hit = draw_outline(state, g, dl, origin, avail, path, run_shown, bad_steps, &outside);
  dl->PopClipRect();
  v.boxes = static_cast<int>(g.nodes.size());
  v.boxes_outside = outside;
  const ImVec2 drag = ImGui::GetMouseDragDelta(ImGuiMouseButton_Left, 0.0f);
  if (hovered && ImGui::IsMouseReleased(ImGuiMouseButton_Left) && drag.x * drag.x + drag.y * drag.y < 9.0f) {
    state.selected = hit >= 0 ? g.nodes[static_cast<size_t>(hit)].pointer : "";
  }
  if (hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Right) && hit >= 0 && g.nodes[static_cast<size_t>(hit)].pointer != "trigger") {
    v.menu_pointer = g.nodes[static_cast<size_t>(hit)].pointer;
    state.selected = v.menu_pointer;
    ImGui::OpenPopup("step-menu");
  }
  if (hovered && hit >= 0 && !ImGui::IsAnyMouseDown()) {
    const GNode& n = g.nodes[static_cast<size_t>(hit)];
    ImGui::SetTooltip("%s\n%s", n.title.c_str(), n.sub.c_str());
  }
  if (ImGui::BeginPopup("step-menu")) {
    step_menu(state, v.menu_pointer);
    ImGui::EndPopup();
  }
}

}  // namespace

void draw_graph_panel(StudioState& state) {
  if (!state.loaded || !state.doc.contains("workflows") || !state.doc["workflows"].is_array() ||
      state.doc["workflows"].empty()) {
    ImGui::TextDisabled("No workflow to show.");
    return;
  }
  Json& wfs = state.doc["workflows"];
  state.workflow = std::clamp(state.workflow, 0, static_cast<int>(wfs.size()) - 1);
  Json& wf = wfs[static_cast<size_t>(state.workflow)];
  GraphView& v = state.graph;

  // Toolbar.
  std::string wname = wf.is_object() ? wf.value("name", wf.value("id", std::string())) : "";
  ImGui::SetNextItemWidth(std::min(320.0f, ImGui::GetContentRegionAvail().x * 0.5f));
  if (ImGui::BeginCombo("##workflow", wname.c_str())) {
    for (int i = 0; i < static_cast<int>(wfs.size()); ++i) {
      const Json& w = wfs[static_cast<size_t>(i)];
      std::string n = w.is_object() ? w.value("name", w.value("id", std::string())) : "";
      ImGui::PushID(i);
      if (ImGui::Selectable(n.c_str(), i == state.workflow)) {
        state.workflow = i;
        state.selected.clear();
        v.fit_pending = true;
      }
      ImGui::PopID();
    }
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  if (ImGui::Button("+ Step")) ImGui::OpenPopup("add-top");
  note_widget(state, "graph.add");
  if (ImGui::BeginPopup("add-top")) {
    for (const char* k : {"action", "wait", "if", "switch", "foreach", "set", "emit", "stop"}) {
      if (ImGui::MenuItem(k)) {
        std::string list = "/workflows/" + std::to_string(state.workflow) + "/steps";
        const Json* l = resolve(state.doc, list);
        size_t at = l && l->is_array() ? l->size() : 0;
        std::string p = insert_step(state.doc, list, at, new_step(k, wf));
        if (!p.empty()) {
          state.selected = p;
          commit_edit(state);
        }
      }
    }
    ImGui::EndPopup();
  }
  ImGui::SameLine();
  if (ImGui::Button("Fit")) v.fit_pending = true;
  note_widget(state, "graph.fit");
  bool leave_outline = false;
  if (v.outline) {
    ImGui::SameLine();
    leave_outline = ImGui::Button("Graph");
    note_widget(state, "graph.leave_outline");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Show the steps as a graph (scroll to see it all)");
  }
  ImGui::SameLine();
  ImGui::SameLine();
  if (v.outline) {
    ImGui::TextDisabled("outline: every step by name  wheel: scroll, right click: menu");
  } else {
    ImGui::TextDisabled("%.0f%%  wheel: scroll, Ctrl+wheel or pinch: zoom, drag: pan, right click: menu", v.zoom * 100);
  }

  GLayout g = layout_workflow(wf, state.workflow);
  std::set<std::string> bad_steps;
  for (const auto& p : state.check.problems) {
    if (workflow_of_pointer(p.pointer) != state.workflow) continue;
    std::string s = step_of_pointer(p.pointer);
    bad_steps.insert(s.empty() && p.pointer.find("/trigger") != std::string::npos ? "trigger" : s);
  }

  ImVec2 origin = ImGui::GetCursorScreenPos();
  ImVec2 avail = ImGui::GetContentRegionAvail();
  avail.x = std::max(avail.x, 50.0f);
  avail.y = std::max(avail.y, 50.0f);
  const float unit = px(1.0f);  // device pixels per graph unit at 100%
  const float dpr = static_cast<float>(state.display.dpr);
  // The smallest zoom at which a box still names its step.
  const float readable_zoom = kOutlineBelowCss * dpr / (kBoxW * unit);
  if (leave_outline) {
    v.outline = false;
    v.zoom = std::clamp(readable_zoom, kMinZoom, 1.0f);
    v.pan_x = avail.x / 2 - ((g.min_x + g.max_x) / 2) * v.zoom * unit;
    v.pan_y = 20 * v.zoom * unit;
  }
  if (v.fit_pending) {
    // The graph when it fits the pane with boxes that name their steps, else the outline.
    const float whole_w = (g.max_x - g.min_x + 40) * unit, whole_h = (g.max_y + 40) * unit;
    const float whole = std::min(avail.x / whole_w, avail.y / whole_h);
    v.outline = whole < readable_zoom;
    if (v.outline) {
      v.pan_x = v.pan_y = 0;
      v.zoom = std::clamp(whole, kMinZoom, 1.0f);
      v.fit_pending = false;
    }
  }
  // The selected run's path, when it is a run of this workflow: the steps it went through, by
  // id (the last part of a trace path such as "needs-approval/then/register-pending"), with
  // the outcome of each decision.
  std::map<std::string, std::string> path;
  bool run_shown = false;
  const SimSession& sim = state.sim;
  if (sim.has_trace && sim.selected_run >= 0) {
    const Json& runs = sim.trace.json["runs"];
    if (static_cast<size_t>(sim.selected_run) < runs.size()) {
      const Json& r = runs[static_cast<size_t>(sim.selected_run)];
      if (wf.is_object() && r.value("workflow", std::string()) == wf.value("id", std::string()) && r.contains("steps")) {
        run_shown = true;
        for (const auto& st : r["steps"]) {
          std::string p = st.value("path", std::string());
          std::string id = p.substr(p.rfind('/') == std::string::npos ? 0 : p.rfind('/') + 1);
          std::string outcome;
          if (st.contains("verdict")) outcome = st["verdict"].is_string() ? st["verdict"].get<std::string>() : st["verdict"].dump();
          path[id] = outcome.size() > 24 ? outcome.substr(0, 21) + "..." : outcome;
        }
      }
    }
  }
  state.graph.path_steps = static_cast<int>(path.size());
  if (v.outline) {
    draw_outline_pane(state, g, origin, avail, path, run_shown, bad_steps);
    return;
  }
  if (v.fit_pending) {
    // The whole workflow, with a margin, at no more than 100%.
    float w = (g.max_x - g.min_x + 40) * unit, h = (g.max_y + 40) * unit;
    // However long: zoomed out this far, boxes show only their step's name, still at the
    // smallest readable text size.
    float whole = std::min(avail.x / w, avail.y / h);
    v.zoom = std::clamp(whole, kMinZoom, 1.0f);
    float s = v.zoom * unit;
    v.pan_x = avail.x / 2 - ((g.min_x + g.max_x) / 2) * s;
    v.pan_y = std::max(20 * s, (avail.y - g.max_y * s) / 2);
    v.fit_pending = false;
  }
  ImGui::InvisibleButton("canvas", avail, ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
  note_widget(state, "graph.pane");
  bool hovered = ImGui::IsItemHovered();
  bool active = ImGui::IsItemActive();
  ImGuiIO& io = ImGui::GetIO();
  auto to_screen = [&](ImVec2 p) {
    return ImVec2(origin.x + v.pan_x + p.x * v.zoom * unit, origin.y + v.pan_y + p.y * v.zoom * unit);
  };

  // Which node is under the mouse.
  int hit = -1;
  for (int i = 0; i < static_cast<int>(g.nodes.size()); ++i) {
    ImVec2 a = to_screen(g.nodes[i].pos);
    ImVec2 b = to_screen(ImVec2(g.nodes[i].pos.x + kBoxW, g.nodes[i].pos.y + kBoxH));
    if (io.MousePos.x >= a.x && io.MousePos.x < b.x && io.MousePos.y >= a.y && io.MousePos.y < b.y) hit = i;
  }
  if (hovered && (io.MouseWheel != 0.0f || io.MouseWheelH != 0.0f)) {
    v.pan_x += io.MouseWheelH * 60 * unit;
    v.pan_y += io.MouseWheel * 60 * unit;
  }
  if (hovered && state.zoom_wheel != 0.0f) {
    float old = v.zoom;
    v.zoom = std::clamp(v.zoom * std::pow(kZoomStep, state.zoom_wheel), kMinZoom, kMaxZoom);
    // Zoom around the mouse: the graph point under it stays under it.
    float mx = io.MousePos.x - origin.x, my = io.MousePos.y - origin.y;
    v.pan_x = mx - (mx - v.pan_x) * (v.zoom / old);
    v.pan_y = my - (my - v.pan_y) * (v.zoom / old);
  }
  if (active && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2.0f)) {
    v.pan_x += io.MouseDelta.x;
    v.pan_y += io.MouseDelta.y;
  }
  if (hovered && ImGui::IsMouseReleased(ImGuiMouseButton_Left) && ImGui::GetMouseDragDelta(ImGuiMouseButton_Left, 0.0f).x * ImGui::GetMouseDragDelta(ImGuiMouseButton_Left, 0.0f).x + ImGui::GetMouseDragDelta(ImGuiMouseButton_Left, 0.0f).y * ImGui::GetMouseDragDelta(ImGuiMouseButton_Left, 0.0f).y < 9.0f) {
    state.selected = hit >= 0 ? g.nodes[hit].pointer : "";
  }
  std::string& menu_pointer = v.menu_pointer;
  if (hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Right) && hit >= 0 && g.nodes[hit].pointer != "trigger") {
    menu_pointer = g.nodes[hit].pointer;
    state.selected = menu_pointer;
    ImGui::OpenPopup("step-menu");
  }

  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float s = v.zoom * unit;  // device pixels per graph unit
  dl->PushClipRect(origin, ImVec2(origin.x + avail.x, origin.y + avail.y), true);
  dl->AddRectFilled(origin, ImVec2(origin.x + avail.x, origin.y + avail.y), kGraph.background);
  // A light grid gives a sense of pan and zoom.
  float step = 40 * s;
  for (float x = std::fmod(v.pan_x, step); x < avail.x; x += step)
    dl->AddLine(ImVec2(origin.x + x, origin.y), ImVec2(origin.x + x, origin.y + avail.y), kGraph.grid);
  for (float y = std::fmod(v.pan_y, step); y < avail.y; y += step)
    dl->AddLine(ImVec2(origin.x, origin.y + y), ImVec2(origin.x + avail.x, origin.y + y), kGraph.grid);

  const Display& display = state.display;
  ImFont* font = display.ui ? display.ui : ImGui::GetFont();
  ImFont* bold = display.bold ? display.bold : font;
  const float min_px = kMinTextCss * static_cast<float>(display.dpr);
  const float fs = ImGui::GetFontSize() * v.zoom;
  float smallest = FLT_MAX;  // the smallest text size drawn, device pixels
  auto text = [&](ImFont* f, float size, ImVec2 at, ImU32 col, const std::string& t, const ImVec4* clip) {
    if (t.empty()) return;
    dl->AddText(f, size, at, col, t.c_str(), nullptr, 0, clip);
    smallest = std::min(smallest, size);
  };
  const float line = 1.5f * static_cast<float>(display.dpr);
  for (const GFrame& f : g.frames) {
    ImVec2 a = to_screen(f.min), b = to_screen(f.max);
    dl->AddRect(a, b, IM_COL32(36, 118, 120, 200), 6 * s, 0, line);
  }
  const float label_px = std::max(fs * 0.9f, min_px);
  for (const GEdge& e : g.edges) {
    ImVec2 a = to_screen(e.from), b = to_screen(e.to);
    arrow(dl, a, b, s, kGraph.edge, line);
    if (!e.label.empty()) {
      ImVec2 lp(b.x + 5 * s, b.y - 12 * s - label_px * 1.1f);
      text(font, label_px, lp, kGraph.label, e.label, nullptr);
    }
  }
  for (ImVec2 end : g.ends) {
    ImVec2 c = to_screen(end);
    dl->AddCircleFilled(ImVec2(c.x, c.y + 6 * s), 6 * s, kGraph.end);
  }
  int outside = 0;  // boxes not wholly in the pane
  const ImU32 path_col = IM_COL32(80, 160, 255, 255);
  for (int i = 0; i < static_cast<int>(g.nodes.size()); ++i) {
    const GNode& n = g.nodes[i];
    ImVec2 a = to_screen(n.pos), b = to_screen(ImVec2(n.pos.x + kBoxW, n.pos.y + kBoxH));
    bool sel = state.selected == n.pointer;
    dl->AddRectFilled(a, b, kind_color(n.kind), 5 * s);
    if (run_shown && n.kind != "trigger") {
      auto it = path.find(n.title);
      if (it == path.end()) {
        dl->AddRectFilled(a, b, (kGraph.background & 0x00FFFFFF) | 0xA0000000, 5 * s);  // not on the run's path
      } else {
        dl->AddRect(ImVec2(a.x - 3, a.y - 3), ImVec2(b.x + 3, b.y + 3), path_col, 6 * s, 0, 2 * line);
        if (!it->second.empty()) text(font, label_px, ImVec2(b.x + 6 * s, a.y), path_col, "-> " + it->second, nullptr);
      }
    }
    if (i == hit) dl->AddRectFilled(a, b, IM_COL32(255, 255, 255, 24), 5 * s);
    if (bad_steps.count(n.pointer)) dl->AddRect(a, b, IM_COL32(255, 96, 90, 255), 5 * s, 0, 2 * line);
    if (sel) dl->AddRect(ImVec2(a.x - 2, a.y - 2), ImVec2(b.x + 2, b.y + 2), IM_COL32(255, 230, 120, 255), 6 * s, 0, 2 * line);
    float pad = std::max(7 * s, 3 * static_cast<float>(display.dpr));
    ImVec4 clip(a.x + 2, a.y - fs, b.x - 2, b.y + fs);  // text may stand out of a small box, never beside it
    float inner = b.x - a.x - 2 * pad;
    if (fs * 0.92f >= min_px) {
      // Name and what the step does, at the zoom's size.
      float top = a.y + 5 * s;
      text(bold, fs, ImVec2(a.x + pad, top), kGraph.text_on_box, fit_text(bold, fs, n.title, inner), &clip);
      text(font, fs * 0.92f, ImVec2(a.x + pad, top + fs * 1.15f), kGraph.sub_on_box, fit_text(font, fs * 0.92f, n.sub, inner), &clip);
    } else {
      // Zoomed out: only the name, at the smallest readable size, centred in the box.
      float size = std::max(fs, min_px);
      float top = (a.y + b.y) / 2 - size / 2;
      text(bold, size, ImVec2(a.x + pad, top), kGraph.text_on_box, fit_text(bold, size, n.title, inner), &clip);
    }
    note_rect(state, "node:" + n.pointer, a, b);
    const bool inside = a.x >= origin.x - 0.5f && a.y >= origin.y - 0.5f && b.x <= origin.x + avail.x + 0.5f &&
                        b.y <= origin.y + avail.y + 0.5f;
    if (!inside) ++outside;
  }
  state.graph.smallest_text_css = smallest == FLT_MAX ? 0.0f : smallest / static_cast<float>(display.dpr);
  state.graph.boxes = static_cast<int>(g.nodes.size());
  state.graph.boxes_outside = outside;
  // Say so when part of the workflow is out of view.
  float bottom = origin.y + v.pan_y + g.max_y * s, top = origin.y + v.pan_y;
  const char* more = bottom > origin.y + avail.y + 1 ? (top < origin.y - 1 ? "more above and below: scroll with the wheel" : "more below: scroll with the wheel")
                                                      : (top < origin.y - 1 ? "more above: scroll with the wheel" : nullptr);
  if (more) {
    ImVec2 ts = ImGui::CalcTextSize(more);
    ImVec2 at(origin.x + avail.x - ts.x - px(8), origin.y + avail.y - ts.y - px(6));
    dl->AddRectFilled(ImVec2(at.x - px(4), at.y - px(2)), ImVec2(at.x + ts.x + px(4), at.y + ts.y + px(2)), kGraph.background, px(3));
    dl->AddText(at, kGraph.label, more);
  }
  dl->PopClipRect();
  if (hovered && hit >= 0 && !ImGui::IsAnyMouseDown()) {
    ImGui::SetTooltip("%s\n%s", g.nodes[hit].title.c_str(), g.nodes[hit].sub.c_str());
  }

  if (ImGui::BeginPopup("step-menu")) {
    step_menu(state, menu_pointer);
    ImGui::EndPopup();
  }
}

namespace {

void step_menu(StudioState& state, const std::string& pointer) {
  note_widget(state, "graph.menu");
  Json* wf = resolve(state.doc, "/workflows/" + std::to_string(state.workflow));
  if (!wf || !resolve(state.doc, pointer)) {
    ImGui::CloseCurrentPopup();
    return;
  }
  std::string p = pointer;
  if (ImGui::MenuItem("Move up") && move_step(state.doc, &p, -1)) {
    state.selected = p;
    commit_edit(state);
  }
  if (ImGui::MenuItem("Move down") && move_step(state.doc, &p, +1)) {
    state.selected = p;
    commit_edit(state);
  }
  if (ImGui::BeginMenu("Add after")) {
    for (const char* k : {"action", "wait", "if", "switch", "foreach", "set", "emit", "stop"}) {
      if (ImGui::MenuItem(k)) {
        std::string np = insert_step(state.doc, parent_pointer(p), last_index(p) + 1, new_step(k, *wf));
        if (!np.empty()) {
          state.selected = np;
          commit_edit(state);
        }
      }
    }
    ImGui::EndMenu();
  }
  ImGui::Separator();
  if (ImGui::MenuItem("Copy", "Ctrl+C")) copy_step(state, p);
  if (ImGui::MenuItem("Paste after", "Ctrl+V", false, state.clipboard.is_object())) paste_step(state, p);
  if (ImGui::MenuItem("Delete") && remove_step(state.doc, p)) {
    state.selected.clear();
    commit_edit(state);
  }
}

}  // namespace

void copy_step(StudioState& state, const std::string& pointer) {
  const Json* step = pointer == "trigger" ? nullptr : resolve(state.doc, pointer);
  if (step && step->is_object()) state.clipboard = *step;
}

void paste_step(StudioState& state, const std::string& after) {
  if (!state.clipboard.is_object()) return;
  const Json* wf = resolve(state.doc, "/workflows/" + std::to_string(state.workflow));
  if (!wf) return;
  // After the given step, or at the end of the workflow when none (or the trigger) is given.
  std::string list = "/workflows/" + std::to_string(state.workflow) + "/steps";
  size_t at = 0;
  if (!after.empty() && after != "trigger" && resolve(state.doc, after)) {
    list = parent_pointer(after);
    at = last_index(after) + 1;
  } else if (const Json* l = resolve(state.doc, list); l && l->is_array()) {
    at = l->size();
  }
  std::string p = insert_step(state.doc, list, at, pasted_step(state.clipboard, *wf));
  if (p.empty()) return;
  state.selected = p;
  commit_edit(state);
}

}  // namespace shopflow::studio
