// The Inspector: edits the selected step (or the workflow's trigger) in place in the bundle
// document. Conditions get the builder (rows of field / operator / value in AND/OR groups,
// see cond_builder.hpp) or, for what it cannot show, a JSON editor that validates as you
// type; text parameters get a template editor with a live preview rendered against a sample
// event; action parameters are a form built from the action's declared parameters.
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cstdio>

#include "cond_builder.hpp"
#include "doc_edit.hpp"
#include "field_picker.hpp"
#include "panels.hpp"
#include "shopflow/actions.hpp"
#include "shopflow/condition.hpp"
#include "shopflow/template.hpp"
#include "ui_util.hpp"
#include "words.hpp"

namespace shopflow::studio {

namespace {

const char* kKinds[] = {"action", "wait", "if", "switch", "foreach", "set", "emit", "stop"};

// [SECTION] preview data: what a workflow sees when the selected sample event triggers it
Json preview_data(const StudioState& state) {
  const auto& events = sample_events(state);
  Json ev = Json::object();
  if (state.sample_event >= 0 && state.sample_event < static_cast<int>(events.size())) {
    ev = event_to_json(events[static_cast<size_t>(state.sample_event)]);
  }
  std::string now = ev.is_object() ? ev.value("time", std::string()) : "";
  return Json{{"event", ev}, {"trigger", ev}, {"steps", Json::object()}, {"vars", Json::object()}, {"now", now}};
}

void sample_picker(StudioState& state) {
  const auto& events = sample_events(state);
  if (events.empty()) {
    ImGui::TextDisabled("No sample events in this bundle to preview with.");
    return;
  }
  int& i = state.sample_event;
  i = std::clamp(i, 0, static_cast<int>(events.size()) - 1);
  std::string cur = events[static_cast<size_t>(i)].id + "  (" + events[static_cast<size_t>(i)].type + ")";
  ImGui::SetNextItemWidth(-px(90));
  if (ImGui::BeginCombo("Preview with", cur.c_str())) {
    for (int k = 0; k < static_cast<int>(events.size()); ++k) {
      std::string label = events[static_cast<size_t>(k)].id + "  (" + events[static_cast<size_t>(k)].type + ")";
      ImGui::PushID(k);
      if (ImGui::Selectable(label.c_str(), k == i)) i = k;
      ImGui::PopID();
    }
    ImGui::EndCombo();
  }
}

// [SECTION] editors over one JSON value
enum class Check { AnyJson, Object, Rule };

// A JSON text editor for the value at `pointer`: written whenever the text parses (and, for
// rules, compiles); otherwise the error shows under it and the document is left alone.
void json_editor(StudioState& state, const std::string& pointer, Check check, bool multiline, const char* label = "##json") {
  Json* target = resolve(state.doc, pointer);
  if (!target) return;
  RawEdit& r = state.inspector.raw[pointer];
  if (r.revision != state.revision) {
    r.text = target->dump(multiline ? 2 : -1);
    r.error.clear();
    r.revision = state.revision;
  }
  ImGui::PushID(pointer.c_str());
  ImGui::PushFont(state.display.mono);
  bool edited;
  if (multiline) {
    int lines = static_cast<int>(std::count(r.text.begin(), r.text.end(), '\n')) + 1;
    float h = ImGui::GetTextLineHeight() * static_cast<float>(std::clamp(lines, 2, 14)) + 8;
    edited = input_multiline(label, &r.text, ImVec2(-1, h));
  } else {
    ImGui::SetNextItemWidth(-1);
    edited = input_string(label, &r.text);
  }
  ImGui::PopFont();
  note_widget(state, "json:" + pointer);
  ImGui::PopID();
  if (edited) {
    auto parsed = parse_json(r.text);
    if (!parsed) {
      r.error = parsed.error().to_string();
    } else if (check == Check::Object && !parsed.value().is_object()) {
      r.error = "a step is a JSON object: { ... }";
    } else {
      r.error.clear();
      if (check == Check::Rule) {
        logic::CompileOptions named;  // the bundle's named rules, as validation compiles it
        named.rules = &state.check.bundle.rules;
        auto c = logic::Condition::compile(parsed.value(), "", named);
        if (!c) r.error = c.error().to_string();
      }
      if (r.error.empty()) {
        *target = std::move(parsed.value());
        commit_edit(state);
        r.revision = state.revision;
      }
    }
  }
  if (!r.error.empty()) text_wrapped_colored(kBad, r.error);
}

// A one-line text field for a string member; writes on every keystroke.
bool string_field(StudioState& state, const char* label, Json& obj, const char* key, const std::string& widget = "") {
  std::string s = obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : "";
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize(label).x - px(16));
  bool edited = input_string(label, &s);
  if (!widget.empty()) note_widget(state, widget);
  if (edited) {
    obj[key] = s;
    commit_edit(state);
  }
  return edited;
}

// A duration typed as words ("2 hours") or ISO 8601 ("PT2H") over `stored`, the bundle's ISO
// text. While the field is being typed into it keeps what is typed: Dear ImGui writes its own
// text back whenever it differs from the string it is given, so handing it the stored "PT2H"
// under a typed "2 hours" made an edit, and a re-simulation, every frame. What is typed is
// written only once it reads as a duration other than the stored one (a half-typed "2 ho" is
// not written). Returns true with *out set when there is something to write; `hint` "" for none.
bool duration_input(StudioState& state, const std::string& key, const std::string& stored, const char* hint, float width,
                    std::string* out) {
  std::string& typed = state.inspector.chip_text[key];
  const bool typing = ImGui::GetActiveID() == ImGui::GetID("##d") && ImGui::GetActiveID() != 0;
  if (!typing) typed = stored;
  ImGui::SetNextItemWidth(width);
  bool write = false;
  if (input_string_hint("##d", hint, &typed)) {
    auto iso = duration_from_words(typed);
    std::string want = iso ? *iso : typed;
    if (want != stored && (want.empty() || parse_duration(want))) {
      *out = want;
      write = true;
    }
  }
  note_widget(state, key);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("A duration: 4 hours, 2 days, 1 day 6 hours, 30 minutes (or PT4H, P2D)");
  ImGui::SameLine();
  // Beside it: what the field means, or what is wrong with what is typed.
  const std::string& shown = typing ? typed : stored;
  auto iso = duration_from_words(shown);
  if (!shown.empty()) {
    auto d = parse_duration(iso ? *iso : shown);
    if (!d) {
      ImGui::TextColored(kBad, "%s", typing ? "not a duration yet: 4 hours, 2 days or PT4H" : d.error().message.c_str());
    } else {
      ImGui::TextColored(kDim, "= %s", duration_in_words(d.value()).c_str());
    }
  } else {
    ImGui::NewLine();
  }
  return write;
}

// A duration field with its meaning or its error beside it. It takes ISO 8601 ("PT4H") or
// words ("4 hours", "2 days"), which are written to the bundle as ISO 8601.
void duration_field(StudioState& state, const char* label, Json& obj, const char* key, const std::string& widget) {
  ImGui::PushID(key);
  std::string stored = obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : "";
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted(label);
  ImGui::SameLine(px(110));
  std::string value;
  const bool write = duration_input(state, widget, stored, "", px(120), &value);
  if (write && !value.empty()) {
    obj[key] = value;
    commit_edit(state);
  }
  ImGui::PopID();
}

// A row's value as its field and operator ask: "is one of" a list as chips (Enter adds what was
// typed, commas split it; a chip's x removes it), a yes/no field a checkbox, a number field a
// number, an amount (or an amount operator) an amount with its decimals; anything else, or a
// value that is not of that kind (a {"var": ...}), as text. Numbers stay numbers and text stays
// text, so a comparison never changes kind behind the analyst's back. True when edited.
bool value_input(StudioState& state, CondNode& c, const std::string& widget) {
  std::string kind;
  if (c.subject == Subject::Table) {
    kind = table_value_kind(state, c.field_table);
  } else if (c.subject == Subject::Count) {
    kind = "number";
  } else if (c.subject == Subject::Now) {
    kind = "time";
  } else {
    const FieldKinds& kinds = condition_fields(state);
    const auto found = kinds.find(c.field);
    if (found != kinds.end()) kind = found->second;
  }
  std::string op;
  for (const auto& o : row_operators()) {
    if (c.op == o.label) op = o.op;
  }
  const Json v = value_from_text(c.value);
  const bool empty = c.value.empty();
  const bool money_op = op.rfind("money_", 0) == 0;
  const bool list_op = (op == "in" && c.op == "is one of") || op == "!in" || op == "has_any_tag";
  const float width = std::max(px(50), ImGui::GetContentRegionAvail().x - px(28));
  bool changed = false;
  if (list_op && (v.is_array() || empty)) {
    Json list = v.is_array() ? v : Json::array();
    int remove = -1;
    // On a line of their own under the row, wrapping as the inspector's width asks.
    ImGui::NewLine();
    ImGui::Indent(px(18));
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    for (size_t i = 0; i < list.size(); ++i) {
      ImGui::PushID(static_cast<int>(i));
      const std::string chip = value_to_text(list[i]) + "  x";
      const float chip_w = ImGui::CalcTextSize(chip.c_str()).x + 2 * ImGui::GetStyle().FramePadding.x;
      if (i > 0 && ImGui::GetContentRegionAvail().x > chip_w + spacing) ImGui::SameLine();
      if (ImGui::SmallButton(chip.c_str())) remove = static_cast<int>(i);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("Remove %s", value_to_text(list[i]).c_str());
      note_widget(state, widget + ".chip:" + std::to_string(i));
      ImGui::PopID();
    }
    if (!list.empty()) ImGui::SameLine();
    if (ImGui::GetContentRegionAvail().x < px(150)) ImGui::NewLine();
    std::string& typed = state.inspector.chip_text[widget];
    ImGui::SetNextItemWidth(std::max(px(120), ImGui::GetContentRegionAvail().x - px(28)));
    if (input_string_hint("##add", list.empty() ? "values, comma separated; Enter" : "add; Enter", &typed,
                          ImGuiInputTextFlags_EnterReturnsTrue)) {
      // "DE, FR" adds two; each part as value_from_text reads it (10 is a number, vip is text).
      size_t from = 0;
      while (from <= typed.size()) {
        size_t comma = typed.find(',', from);
        if (comma == std::string::npos) comma = typed.size();
        std::string part = typed.substr(from, comma - from);
        part.erase(0, part.find_first_not_of(' '));
        part.erase(part.find_last_not_of(' ') + 1);
        if (!part.empty()) {
          list.push_back(value_from_text(part));
          changed = true;
        }
        from = comma + 1;
      }
      typed.clear();
    }
    note_widget(state, widget);
    ImGui::Unindent(px(18));
    if (remove >= 0) {
      list.erase(list.begin() + remove);
      changed = true;
    }
    if (changed) c.value = list.dump();
    return changed;
  }
  ImGui::SetNextItemWidth(width);
  if (kind == "yes/no" && (op == "==" || op == "!=" || op == "===" || op == "!==") && (v.is_boolean() || empty)) {
    bool b = v.is_boolean() && v.get<bool>();
    if (ImGui::Checkbox("##value", &b)) {
      c.value = b ? "true" : "false";
      changed = true;
    }
    note_widget(state, widget);
    ImGui::SameLine();
    ImGui::TextDisabled("%s", b ? "yes" : "no");
    return changed;
  }
  if (kind == "number" && !money_op && (v.is_number() || empty)) {
    double d = v.is_number() ? v.get<double>() : 0.0;
    if (ImGui::InputDouble("##value", &d, 0.0, 0.0, "%g")) {
      const double whole = static_cast<double>(static_cast<long long>(d));
      c.value = whole == d ? std::to_string(static_cast<long long>(d)) : Json(d).dump();
      changed = true;
    }
    note_widget(state, widget);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s holds numbers", c.field.c_str());
    return changed;
  }
  // Digits and a point, also while being typed ("50." on the way to "50.00").
  const bool amount_text = v.is_string() && !v.get_ref<const std::string&>().empty() &&
                           v.get_ref<const std::string&>().find_first_not_of("0123456789.-") == std::string::npos;
  if ((kind == "amount" || money_op) && (amount_text || v.is_number() || empty)) {
    std::string amount = v.is_string() ? v.get<std::string>() : (empty ? std::string() : v.dump());
    if (input_string_hint("##value", "an amount, e.g. 49.90", &amount, ImGuiInputTextFlags_CharsDecimal)) {
      // An amount written as text stays text ("49.90" exactly); one written as a number stays one.
      if (!v.is_number()) {
        c.value = amount.empty() ? std::string() : Json(amount).dump();
        changed = true;
      } else if (auto n = parse_json(amount); n && n.value().is_number()) {
        c.value = amount;  // a number until it reads as one ("50." is not yet)
        changed = true;
      }
    }
    note_widget(state, widget);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("an amount, compared exactly: 49.90");
    return changed;
  }
  changed |= input_string("##value", &c.value);
  note_widget(state, widget);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("value: 100, \"100.00\", vip, true, [\"DE\",\"FR\"], {\"var\": \"other.field\"}");
  return changed;
}

// [SECTION] the condition builder
// SameLine() when an item `w` wide still fits on this line; otherwise the next item starts a line.
void same_line_if_fits(float w) {
  const float right = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + w;
  if (right <= ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine();
}

// A field path typed (widget `widget`) or picked from the sample events' fields (`pick`).
// True when edited.
bool field_input(StudioState& state, std::string* path, const std::string& widget, const std::string& pick, float width) {
  ImGui::PushID(widget.c_str());
  ImGui::SetNextItemWidth(width);
  bool changed = input_string_hint("##field", "a field, e.g. event.data.total", path);
  note_widget(state, widget);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("field: a path in the data, e.g. event.data.total");
  ImGui::SameLine(0, 0);
  changed |= field_picker(state, path, pick);
  ImGui::PopID();
  return changed;
}

// The names of the bundle's tables, and the columns of `table` (the fields of its rows).
std::vector<std::string> table_names(const StudioState& state) {
  std::vector<std::string> names;
  for (const auto& t : state.check.bundle.tables) names.push_back(t.name);
  return names;
}

std::vector<std::string> table_columns(const StudioState& state, const std::string& table) {
  std::vector<std::string> cols;
  const TableDef* t = state.check.bundle.find_table(table);
  if (!t) return cols;
  for (const auto& [key, row] : t->rows) {
    if (!row.is_object()) continue;
    for (auto it = row.begin(); it != row.end(); ++it) {
      if (it.key() != t->key_field && std::find(cols.begin(), cols.end(), it.key()) == cols.end()) cols.push_back(it.key());
    }
  }
  return cols;
}

// A combo over `items` showing `*value`; true when one was picked. `widget` names the combo,
// each item is "<widget>:<item>".
bool name_combo(StudioState& state, const char* label, std::string* value, const std::vector<std::string>& items,
                const std::string& widget, float width) {
  bool picked = false;
  ImGui::SetNextItemWidth(width);
  const bool open = ImGui::BeginCombo(label, value->c_str());
  note_widget(state, widget);
  if (open) {
    for (const auto& item : items) {
      if (ImGui::Selectable(item.c_str(), item == *value)) {
        *value = item;
        picked = true;
      }
      note_widget(state, widget + ":" + item);
    }
    ImGui::EndCombo();
  }
  return picked;
}

// A table value in words: "<column> of the <table> row <key>", each part a widget.
bool lookup_input(StudioState& state, Lookup& l, const std::string& widget) {
  bool changed = false;
  ImGui::PushID(widget.c_str());
  if (l.keys.empty()) l.keys.push_back({false, "", ""});
  // The column first, as the sentence reads: "approval_threshold of quote_policy row default".
  if (l.keys.size() >= 2 && !l.keys[1].is_field) {
    std::string col = l.keys[1].text;
    std::vector<std::string> cols = table_columns(state, l.table);
    cols.insert(cols.begin(), "(the whole row)");
    if (name_combo(state, "##col", &col, cols, widget + ".column", px(140))) {
      if (col == "(the whole row)") {
        l.keys.resize(1);
      } else {
        l.keys[1].text = col;
      }
      changed = true;
    }
    same_line_if_fits(px(40));
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("of");
  } else if (l.keys.size() == 1) {
    if (ImGui::SmallButton("the row; a column?")) {
      std::vector<std::string> cols = table_columns(state, l.table);
      l.keys.push_back({false, cols.empty() ? std::string("column") : cols.front(), ""});
      changed = true;
    }
    note_widget(state, widget + ".add_column");
    same_line_if_fits(px(40));
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("of");
  }
  same_line_if_fits(px(140));
  std::string table = l.table;
  if (name_combo(state, "##table", &table, table_names(state), widget + ".table", px(130))) {
    l.table = table;
    changed = true;
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("the table");
  LookupKey& key = l.keys[0];
  same_line_if_fits(px(60));
  // The row: the one whose key is a field's value, or a fixed key.
  if (ImGui::SmallButton(key.is_field ? "row of field" : "row")) {
    key.is_field = !key.is_field;
    changed = true;
  }
  note_widget(state, widget + ".key_kind");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip(key.is_field ? "the row whose key is this field's value; click for a fixed key" : "the row with this key; click to take the key from a field");
  same_line_if_fits(px(160));
  if (key.is_field) {
    changed |= field_input(state, &key.text, widget + ".key", widget + ".key.pick", px(180));
    // Keys made of the field and text after it ("<order id>:missing-email").
    same_line_if_fits(px(110));
    ImGui::SetNextItemWidth(px(110));
    changed |= input_string_hint("##suffix", "+ text after", &key.suffix);
    note_widget(state, widget + ".key.suffix");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("text joined after the field's value to make the row's key, e.g. :missing-email");
  } else {
    ImGui::SetNextItemWidth(px(120));
    changed |= input_string_hint("##key", "row key", &key.text);
    note_widget(state, widget + ".key");
  }
  ImGui::PopID();
  return changed;
}

// One row: what is compared (a field or a table value), the operator in words, and what it is
// compared with (a value, another field or a table value). True when edited.
bool draw_row(StudioState& state, CondNode& c, const std::string& ckey, int* remove, int index) {
  bool changed = false;
  const std::string w = "cond:" + ckey;
  const char* subjects[] = {"field", "table value", "count of", "now", "rule"};
  int subject = static_cast<int>(c.subject);
  ImGui::SetNextItemWidth(px(95));
  if (ImGui::Combo("##subject", &subject, subjects, 5) && subject != static_cast<int>(c.subject)) {
    c.subject = static_cast<Subject>(subject);
    if (c.subject == Subject::Table && c.field_table.table.empty()) {
      auto names = table_names(state);
      c.field_table = Lookup{names.empty() ? std::string() : names.front(), {{false, "", ""}}};
    }
    if (c.subject == Subject::Rule) {
      c.op = "is met";
      c.field = state.check.bundle.rules.empty() ? std::string() : state.check.bundle.rules.begin()->first;
    } else if (c.op == std::string("is met") || (c.op == std::string("is true") && c.subject != Subject::Field)) {
      c.op = "is set";
    }
    changed = true;
  }
  note_widget(state, w + ".subject");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("What this condition is about: a field, a value kept in a table, the number of items in a list, the current time, or one of the bundle's named rules");
  ImGui::SameLine();
  if (c.subject == Subject::Table) {
    changed |= lookup_input(state, c.field_table, w + ".table");
  } else if (c.subject == Subject::Field || c.subject == Subject::Count) {
    changed |= field_input(state, &c.field, w + ".field", w + ".pick", std::max(px(80), ImGui::GetContentRegionAvail().x * 0.40f));
  } else if (c.subject == Subject::Rule) {
    std::vector<std::string> rules;
    for (const auto& [name, rule] : state.check.bundle.rules) rules.push_back(name);
    changed |= name_combo(state, "##rule", &c.field, rules, w + ".rule", px(160));
  } else {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("the current time");
  }
  if (c.subject == Subject::Rule) {
    ImGui::SameLine();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("is met");
    ImGui::SameLine();
    if (ImGui::SmallButton("x")) *remove = index;
    return changed;
  }
  same_line_if_fits(px(150));
  ImGui::SetNextItemWidth(px(150));
  const bool ops_open = ImGui::BeginCombo("##op", c.op.c_str());
  note_widget(state, w + ".op");
  if (ops_open) {
    for (const auto& o : row_operators()) {
      if (std::string(o.op) == "rule" || (c.subject != Subject::Field && std::string(o.op) == "var")) continue;
      if (ImGui::Selectable(o.label, c.op == o.label)) {
        c.op = o.label;
        changed = true;
      }
      note_widget(state, w + ".op:" + o.label);
    }
    ImGui::EndCombo();
  }
  const RowOperator* op = find_operator(c.op);
  const bool unary = op && op->unary;
  if (!unary) {
    const char* sides[] = {"value", "field", "table value"};
    int side = static_cast<int>(c.side);
    same_line_if_fits(px(95));
    ImGui::SetNextItemWidth(px(95));
    if (ImGui::Combo("##side", &side, sides, 3) && side != static_cast<int>(c.side)) {
      c.side = static_cast<Side>(side);
      c.value.clear();
      if (c.side == Side::Table && c.value_table.table.empty()) {
        auto names = table_names(state);
        c.value_table = Lookup{names.empty() ? std::string() : names.front(), {{false, "", ""}}};
      }
      changed = true;
    }
    note_widget(state, w + ".side");
    ImGui::SameLine();
    if (c.side == Side::Field) {
      changed |= field_input(state, &c.value, w + ".value", w + ".value.pick", std::max(px(80), ImGui::GetContentRegionAvail().x - px(50)));
    } else if (c.side == Side::Table) {
      changed |= lookup_input(state, c.value_table, w + ".value");
    } else {
      changed |= value_input(state, c, w + ".value");
    }
  }
  ImGui::SameLine();
  if (ImGui::SmallButton("x")) *remove = index;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Remove this condition");
  std::string warning = c.subject != Subject::Field ? std::string()
                                                   : field_warning(state, c.field, c.side == Side::Value ? c.value : "", unary);
  if (warning.empty() && c.side == Side::Field && !unary) warning = field_warning(state, c.value, "", true);
  if (!warning.empty()) {
    text_wrapped_colored(kWarn, warning);
    note_widget(state, w + ".warning");
  }
  return changed;
}

bool draw_rows(StudioState& state, CondNode& g, const std::string& key, int depth) {
  bool changed = false;
  ImGui::PushID(key.c_str());
  ImGui::SetNextItemWidth(px(190));
  int any = g.any ? 1 : 0;
  const char* modes[] = {"all of these (AND)", "any of these (OR)"};
  if (ImGui::Combo("##mode", &any, modes, 2)) {
    g.any = any == 1;
    changed = true;
  }
  int remove = -1;
  for (int i = 0; i < static_cast<int>(g.children.size()); ++i) {
    CondNode& c = g.children[static_cast<size_t>(i)];
    ImGui::PushID(i);
    std::string ckey = key + "." + std::to_string(i);
    if (c.is_group) {
      ImGui::Indent(px(18));
      changed |= draw_rows(state, c, ckey, depth + 1);
      ImGui::SameLine();
      if (ImGui::SmallButton("remove group")) remove = i;
      ImGui::Unindent(px(18));
    } else {
      changed |= draw_row(state, c, ckey, &remove, i);
    }
    ImGui::PopID();
  }
  if (remove >= 0) {
    g.children.erase(g.children.begin() + remove);
    changed = true;
  }
  if (ImGui::SmallButton("+ condition")) {
    CondNode row;
    row.field = "event.id";
    row.op = "is set";
    g.children.push_back(row);
    changed = true;
  }
  if (depth < 2) {
    ImGui::SameLine();
    if (ImGui::SmallButton(g.any ? "+ AND group" : "+ OR group")) {
      CondNode sub;
      sub.is_group = true;
      sub.any = !g.any;
      CondNode row;
      row.field = "event.data.email";
      row.op = "is set";
      sub.children.push_back(row);
      g.children.push_back(sub);
      changed = true;
    }
  }
  ImGui::PopID();
  return changed;
}

// The first comparison of `op` in `rule` as (its field, its value), both "" when not found.
std::pair<std::string, std::string> find_comparison(const Json& rule, const std::string& op, int depth = 0) {
  if (depth > 24) return {};
  if (rule.is_object()) {
    for (auto it = rule.begin(); it != rule.end(); ++it) {
      const Json& args = it.value();
      if (it.key() == op && args.is_array() && args.size() == 2) {
        const bool var = args[0].is_object() && args[0].contains("var") && args[0]["var"].is_string();
        std::string field = var ? args[0]["var"].get<std::string>() : value_to_text(args[0]);
        return {field, value_to_text(args[1])};
      }
      auto inner = find_comparison(args, op, depth + 1);
      if (!inner.first.empty()) return inner;
    }
  } else if (rule.is_array()) {
    for (const auto& a : rule) {
      auto inner = find_comparison(a, op, depth + 1);
      if (!inner.first.empty()) return inner;
    }
  }
  return {};
}

// The preview's error as what to enter: an amount comparison whose value is no amount, or
// whose field the preview event lacks, says so in the builder's words instead of the core's
// ("\"money_gt\" needs an amount as its first argument ...").
std::string preview_error_in_words(const Json& rule, const std::string& message) {
  if (message.find("needs an amount") == std::string::npos) return message;
  for (const auto& o : row_operators()) {
    const std::string op = o.op;
    if (op.rfind("money_", 0) != 0 || message.find("\"" + op + "\"") == std::string::npos) continue;
    auto [field, value] = find_comparison(rule, op);
    if (field.empty()) break;
    if (field.rfind("{\"lookup\"", 0) == 0 || value.rfind("{\"lookup\"", 0) == 0) {
      return "the preview reads no tables, so the table value is not known here: the Simulator shows this decision "
             "with the bundle's tables.";
    }
    if (message.find("second argument") != std::string::npos) {
      return "\"" + std::string(o.label) + "\" needs an amount as its value: enter one such as 49.90 (\"" + value +
             "\" is not an amount).";
    }
    return field + " has no amount on the preview event: pick a preview event that has it, or a field that holds an "
                   "amount (a price or total).";
  }
  return message;
}

// The condition at `pointer`, as builder rows when it can be, else as JSON; with its verdict
// on the preview event.
void condition_editor(StudioState& state, const std::string& pointer, const char* label) {
  Json* rule = resolve(state.doc, pointer);
  if (!rule) return;
  auto node = cond_from_json(*rule);
  bool& raw = state.inspector.raw_mode[pointer];
  ImGui::PushID(pointer.c_str());
  ImGui::TextUnformatted(label);
  ImGui::SameLine();
  if (node) {
    if (ImGui::SmallButton(raw ? "show builder" : "show JSON")) raw = !raw;
  } else {
    ImGui::TextColored(kDim, "(JSON: the builder cannot show this rule)");
  }
  if (!node || raw) {
    json_editor(state, pointer, Check::Rule, true);
  } else {
    bool top_row = !node->is_group;
    CondNode g;
    if (top_row) {
      g.is_group = true;
      g.children.push_back(*node);
    } else {
      g = *node;
    }
    if (draw_rows(state, g, pointer, 0)) {
      bool single = top_row && g.children.size() == 1 && !g.children[0].is_group && !g.any;
      Json next = single ? cond_to_json(g.children[0]) : cond_to_json(g);
      // Text that reads back otherwise ("1e3" is 1000) leaves the field's text and the rule
      // apart, and Dear ImGui reports the field edited every frame: only a new rule is an edit.
      if (next != *rule) {
        *rule = std::move(next);
        commit_edit(state);
      }
    }
  }
  // What it says about the preview event (steps and vars are empty outside a run).
  logic::CompileOptions named;
  named.rules = &state.check.bundle.rules;
  if (auto c = logic::Condition::compile(*rule, "", named); c) {
    auto v = c.value().evaluate(preview_data(state));
    if (!v) {
      text_wrapped_colored(kDim, "on the preview event: " + preview_error_in_words(*rule, v.error().message));
      note_widget(state, "cond:" + pointer + ".preview");
    } else {
      bool t = logic::truthy(v.value());
      ImGui::TextColored(t ? kGood : kWarn, "on the preview event: %s", v.value().dump().c_str());
    }
  }
  ImGui::PopID();
}

// [SECTION] templates
void template_editor(StudioState& state, Json& obj, const std::string& key, const std::string& pointer) {
  std::string s = obj[key].get<std::string>();
  int lines = static_cast<int>(std::count(s.begin(), s.end(), '\n')) + 1;
  float h = ImGui::GetTextLineHeight() * static_cast<float>(std::clamp(lines, 1, 6)) + 10;
  ImGui::PushID(key.c_str());
  if (input_multiline("##t", &s, ImVec2(-1, h))) {
    obj[key] = s;
    commit_edit(state);
  }
  note_widget(state, "param:" + pointer);
  if (s.find("{{") != std::string::npos || s.find("{%") != std::string::npos) {
    liquid::Options opts = template_options(state.check.bundle);
    auto t = liquid::Template::parse(s, opts);
    if (!t) {
      text_wrapped_colored(kBad, t.error().to_string());
    } else {
      auto out = t.value().render(preview_data(state), opts);
      if (!out) {
        text_wrapped_colored(kBad, out.error().to_string());
      } else {
        ImGui::PushStyleColor(ImGuiCol_Text, kAccent);
        ImGui::Indent(px(10));
        ImGui::TextWrapped("%s", out.value().empty() ? "(empty)" : out.value().c_str());
        ImGui::Unindent(px(10));
        ImGui::PopStyleColor();
      }
    }
  }
  ImGui::PopID();
}

// [SECTION] step kinds
void action_form(StudioState& state, Json& step, const std::string& ptr) {
  std::string type = step.value("action", std::string());
  ImGui::SetNextItemWidth(-px(60));
  if (ImGui::BeginCombo("Action", type.c_str())) {
    for (const auto& spec : action_specs()) {
      if (ImGui::Selectable(spec.type.c_str(), spec.type == type)) {
        step["action"] = spec.type;
        if (!step.contains("params") || !step["params"].is_object()) step["params"] = Json::object();
        for (const auto& p : spec.params) {
          if (p.required && !step["params"].contains(p.name)) step["params"][p.name] = "";
        }
        commit_edit(state);
      }
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", spec.summary.c_str());
    }
    ImGui::EndCombo();
  }
  const ActionSpec* spec = find_action(step.value("action", std::string()));
  if (spec) ImGui::TextColored(kDim, "%s", spec->summary.c_str());
  sample_picker(state);
  if (!step.contains("params") || !step["params"].is_object()) {
    if (ImGui::Button("Add parameters")) {
      step["params"] = Json::object();
      commit_edit(state);
    }
    return;
  }
  Json& params = step["params"];
  auto draw_param = [&](const std::string& name, const std::string& summary, bool required, bool known) {
    std::string pp = ptr + "/params/" + name;
    ImGui::PushID(name.c_str());
    ImGui::Spacing();
    ImGui::TextUnformatted(name.c_str());
    ImGui::SameLine();
    ImGui::TextColored(known ? kDim : kWarn, "%s%s", known ? summary.c_str() : "not a parameter of this action",
                       required ? "" : " (optional)");
    if (!required || !known) {
      ImGui::SameLine();
      if (ImGui::SmallButton("remove")) {
        params.erase(name);
        commit_edit(state);
        ImGui::PopID();
        return;
      }
    }
    if (params[name].is_string()) {
      template_editor(state, params, name, pp);
    } else {
      json_editor(state, pp, Check::AnyJson, false);
    }
    ImGui::PopID();
  };
  std::vector<std::string> optional_missing;
  if (spec) {
    for (const auto& p : spec->params) {
      if (params.contains(p.name)) {
        draw_param(p.name, p.summary, p.required, true);
      } else if (p.required) {
        ImGui::TextColored(kBad, "%s is required", p.name.c_str());
        ImGui::SameLine();
        ImGui::PushID(p.name.c_str());
        if (ImGui::SmallButton("add")) {
          params[p.name] = "";
          commit_edit(state);
        }
        ImGui::PopID();
      } else {
        optional_missing.push_back(p.name);
      }
    }
  }
  std::vector<std::string> extra;
  for (auto it = params.begin(); it != params.end(); ++it) {
    bool known = false;
    if (spec) {
      for (const auto& p : spec->params) known = known || p.name == it.key();
    }
    if (!known) extra.push_back(it.key());
  }
  for (const auto& name : extra) {
    if (params.contains(name)) draw_param(name, "", false, false);
  }
  if (!optional_missing.empty()) {
    ImGui::Spacing();
    ImGui::TextDisabled("Add:");
    for (const auto& name : optional_missing) {
      ImGui::SameLine();
      if (ImGui::SmallButton(name.c_str())) {
        params[name] = "";
        commit_edit(state);
      }
    }
  }
}

// A wait's time: "the time in <field>, plus <duration>" when the rule is one of those,
// otherwise (or on request) the rule as JSON.
void until_editor(StudioState& state, Json& w, const std::string& pointer) {
  auto until = until_from_json(w["until"]);
  bool& raw = state.inspector.raw_mode[pointer];
  ImGui::PushID("until");
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Until the time in");
  if (until && !raw) {
    ImGui::SameLine();
    bool changed = field_input(state, &until->field, "wait.until.field", "wait.until.pick", px(200));
    same_line_if_fits(px(200));
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("plus");
    ImGui::SameLine();
    std::string offset;
    if (duration_input(state, "wait.until.plus", until->offset, "nothing, or 1 day", px(120), &offset)) {
      until->offset = offset;
      changed = true;
    }
    if (changed) {
      w["until"] = until_to_json(*until);
      commit_edit(state);
    }
    std::string warning = field_warning(state, until->field, "", true);
    if (!warning.empty()) text_wrapped_colored(kWarn, warning);
  } else {
    ImGui::SameLine();
    ImGui::TextColored(kDim, "(a rule giving an RFC 3339 time)");
    json_editor(state, pointer, Check::Rule, false);
  }
  if (until) {
    if (ImGui::SmallButton(raw ? "show in words" : "show JSON")) raw = !raw;
  }
  ImGui::PopID();
}

void wait_form(StudioState& state, Json& step, const std::string& ptr) {
  if (!step["wait"].is_object()) step["wait"] = Json::object();
  Json& w = step["wait"];
  int mode = w.contains("event") ? 2 : (w.contains("until") ? 1 : 0);
  const char* modes[] = {"a duration", "until a time", "for an event (with a timeout)"};
  ImGui::SetNextItemWidth(-px(60));
  int before = mode;
  if (ImGui::Combo("Wait", &mode, modes, 3) && mode != before) {
    if (mode == 0) w = {{"duration", "PT1H"}};
    if (mode == 1) w = {{"until", {{"var", "event.data.deliver_at"}}}};
    if (mode == 2) w = {{"event", "order.created"}, {"match", {{"==", Json::array({{{"var", "event.data.checkout_id"}}, {{"var", "trigger.data.checkout_id"}}})}}}, {"timeout", "PT4H"}};
    commit_edit(state);
    return;
  }
  if (mode == 0) {
    duration_field(state, "Duration", w, "duration", "wait.duration");
  } else if (mode == 1) {
    until_editor(state, w, ptr + "/wait/until");
  } else {
    string_field(state, "Event type", w, "event", "wait.event");
    if (w.contains("until")) {
      until_editor(state, w, ptr + "/wait/until");
    } else {
      duration_field(state, "Timeout", w, "timeout", "wait.timeout");
    }
    if (!w.contains("match")) {
      if (ImGui::SmallButton("+ match condition")) {
        w["match"] = {{"==", Json::array({{{"var", "event.data.order_id"}}, {{"var", "trigger.data.order_id"}}})}};
        commit_edit(state);
      }
    } else {
      // The match sees the arriving event as `event` and this run's trigger as `trigger`.
      state.inspector.scope_event = w.value("event", std::string());
      condition_editor(state, ptr + "/wait/match", "Resume when (event = the arriving one, trigger = this run's)");
      state.inspector.scope_event.clear();
    }
  }
}

void set_form(StudioState& state, Json& step, const std::string& ptr) {
  if (!step["set"].is_object()) return;
  Json& vars = step["set"];
  std::vector<std::string> names;
  for (auto it = vars.begin(); it != vars.end(); ++it) names.push_back(it.key());
  for (const auto& n : names) {
    ImGui::PushID(n.c_str());
    ImGui::Text("vars.%s =", n.c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("remove")) {
      vars.erase(n);
      commit_edit(state);
      ImGui::PopID();
      continue;
    }
    json_editor(state, ptr + "/set/" + n, Check::Rule, false);
    ImGui::PopID();
  }
  if (ImGui::SmallButton("+ variable")) {
    std::string n = "value";
    for (int k = 2; vars.contains(n); ++k) n = "value" + std::to_string(k);
    vars[n] = 0;
    commit_edit(state);
  }
}

void switch_form(StudioState& state, Json& step, const std::string& ptr) {
  ImGui::TextUnformatted("Value (a rule)");
  json_editor(state, ptr + "/switch", Check::Rule, false);
  if (!step.contains("cases") || !step["cases"].is_array()) return;
  for (size_t c = 0; c < step["cases"].size(); ++c) {
    std::string cp = ptr + "/cases/" + std::to_string(c);
    Json& cs = step["cases"][c];
    ImGui::PushID(static_cast<int>(c));
    ImGui::Separator();
    if (cs.is_object() && cs.contains("equals")) {
      ImGui::Text("Case %zu: value equals", c + 1);
      json_editor(state, cp + "/equals", Check::AnyJson, false);
    } else if (cs.is_object() && cs.contains("when")) {
      condition_editor(state, cp + "/when", ("Case " + std::to_string(c + 1) + ": when").c_str());
    }
    ImGui::TextColored(kDim, "%zu step(s)", cs.is_object() && cs.contains("steps") && cs["steps"].is_array() ? cs["steps"].size() : 0);
    ImGui::SameLine();
    if (ImGui::SmallButton("remove case")) {
      step["cases"].erase(c);
      commit_edit(state);
      ImGui::PopID();
      break;
    }
    ImGui::PopID();
  }
  if (ImGui::SmallButton("+ case")) {
    step["cases"].push_back({{"equals", "value"}, {"steps", Json::array()}});
    commit_edit(state);
  }
}

void step_buttons(StudioState& state, Json& wf, const std::string& ptr, const std::string& kind) {
  std::string p = ptr;
  const bool up = ImGui::Button("Up");
  note_widget(state, "inspector.up");
  if (up && move_step(state.doc, &p, -1)) {
    state.selected = p;
    commit_edit(state);
    return;
  }
  ImGui::SameLine();
  const bool down = ImGui::Button("Down");
  note_widget(state, "inspector.down");
  if (down && move_step(state.doc, &p, +1)) {
    state.selected = p;
    commit_edit(state);
    return;
  }
  ImGui::SameLine();
  if (ImGui::Button("Add after...")) ImGui::OpenPopup("add-after");
  note_widget(state, "inspector.add_after");
  if (ImGui::BeginPopup("add-after")) {
    for (const char* k : kKinds) {
      const bool picked = ImGui::MenuItem(k);
      note_widget(state, std::string("inspector.add_after.") + k);
      if (picked) {
        std::string np = insert_step(state.doc, parent_pointer(ptr), last_index(ptr) + 1, new_step(k, wf));
        if (!np.empty()) {
          state.selected = np;
          commit_edit(state);
        }
      }
    }
    ImGui::EndPopup();
  }
  std::vector<std::pair<std::string, std::string>> inside;
  if (kind == "if") inside = {{"then", ptr + "/then"}, {"else", ptr + "/else"}};
  if (kind == "switch") inside = {{"default", ptr + "/default"}};
  if (kind == "foreach") inside = {{"the loop", ptr + "/steps"}};
  for (const auto& [name, list] : inside) {
    ImGui::SameLine();
    std::string label = "Add to " + name + "...";
    std::string popup = "add-in-" + name;
    if (ImGui::Button(label.c_str())) ImGui::OpenPopup(popup.c_str());
    if (ImGui::BeginPopup(popup.c_str())) {
      for (const char* k : kKinds) {
        if (ImGui::MenuItem(k)) {
          const Json* l = resolve(state.doc, list);
          std::string np = insert_step(state.doc, list, l && l->is_array() ? l->size() : 0, new_step(k, wf));
          if (!np.empty()) {
            state.selected = np;
            commit_edit(state);
          }
        }
      }
      ImGui::EndPopup();
    }
  }
  ImGui::SameLine();
  ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(0.55f, 0.2f, 0.2f, 1.0f));
  const bool remove = ImGui::Button("Delete");
  note_widget(state, "inspector.delete");
  if (remove) {
    if (remove_step(state.doc, ptr)) {
      state.selected.clear();
      commit_edit(state);
    }
  }
  ImGui::PopStyleColor();
}

void trigger_form(StudioState& state, Json& wf) {
  std::string wp = "/workflows/" + std::to_string(state.workflow);
  ImGui::TextColored(kGood, "Trigger");
  ImGui::SameLine();
  ImGui::TextDisabled("of %s", wf.value("id", std::string()).c_str());
  string_field(state, "Name", wf, "name");
  if (!wf.contains("trigger") || !wf["trigger"].is_object()) return;
  Json& t = wf["trigger"];
  if (t.contains("schedule")) {
    string_field(state, "Schedule (cron)", t, "schedule");
    // Empty: the schedule runs on the bundle's time_zone (or its utc_offset, if it has one).
    if (string_field(state, "Time zone", t, "time_zone", "trigger.time_zone") && t["time_zone"] == "") {
      t.erase("time_zone");
      commit_edit(state);
    }
    ImGui::TextDisabled("IANA name such as Europe/Berlin; empty: the bundle's zone");
  } else {
    string_field(state, "Event type", t, "event", "trigger.event");
  }
  sample_picker(state);
  if (t.contains("filter")) {
    condition_editor(state, wp + "/trigger/filter", "Start a run only if");
    if (ImGui::SmallButton("remove filter")) {
      t.erase("filter");
      commit_edit(state);
    }
  } else if (ImGui::SmallButton("+ filter")) {
    t["filter"] = {{"!!", Json::array({{{"var", "event.data.email"}}})}};
    commit_edit(state);
  }
}

}  // namespace

void draw_inspector_panel(StudioState& state) {
  if (!state.loaded) {
    ImGui::TextDisabled("No bundle loaded.");
    return;
  }
  Json* wf = resolve(state.doc, "/workflows/" + std::to_string(state.workflow));
  if (!wf || !wf->is_object()) {
    ImGui::TextDisabled("No workflow selected.");
    return;
  }
  if (state.selected.empty()) {
    ImGui::TextWrapped("Click the trigger or a step in the graph to edit it. Right-click a step to move, add or delete steps.");
    ImGui::Spacing();
    string_field(state, "Name", *wf, "name");
    string_field(state, "Description", *wf, "description");
    return;
  }
  if (state.selected == "trigger") {
    trigger_form(state, *wf);
    return;
  }
  Json* step = resolve(state.doc, state.selected);
  if (!step || !step->is_object()) {
    state.selected.clear();
    return;
  }
  const std::string ptr = state.selected;
  std::string kind = step_kind(*step);
  ImGui::TextColored(kAccent, "%s step", kind.empty() ? "unknown" : kind.c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("%s", ptr.c_str());
  string_field(state, "Id", *step, "id", "inspector.id");
  step_buttons(state, *wf, ptr, kind);
  step = resolve(state.doc, state.selected);  // a button may have changed the document
  if (!step || state.selected != ptr) return;
  // This step's problems, right here.
  for (const auto& p : state.check.problems) {
    if (step_of_pointer(p.pointer) == ptr) text_wrapped_colored(kBad, p.to_string());
  }
  ImGui::Separator();
  if (kind == "if") {
    condition_editor(state, ptr + "/if", "If");
    ImGui::TextColored(kDim, "then: %zu step(s), else: %zu step(s)",
                       step->contains("then") && (*step)["then"].is_array() ? (*step)["then"].size() : 0,
                       step->contains("else") && (*step)["else"].is_array() ? (*step)["else"].size() : 0);
  } else if (kind == "switch") {
    switch_form(state, *step, ptr);
  } else if (kind == "action") {
    action_form(state, *step, ptr);
  } else if (kind == "wait") {
    wait_form(state, *step, ptr);
  } else if (kind == "foreach") {
    ImGui::TextUnformatted("For each item of (a rule giving a list)");
    json_editor(state, ptr + "/foreach", Check::Rule, false);
    string_field(state, "Item name", *step, "as");
  } else if (kind == "set") {
    set_form(state, *step, ptr);
  } else if (kind == "emit") {
    if ((*step)["emit"].is_object()) {
      string_field(state, "Event type", (*step)["emit"], "type");
      ImGui::TextUnformatted("Data");
      if ((*step)["emit"].contains("data")) json_editor(state, ptr + "/emit/data", Check::AnyJson, true);
    }
  } else if (kind == "stop") {
    if ((*step)["stop"].is_object()) string_field(state, "Reason", (*step)["stop"], "reason");
  }
  ImGui::Spacing();
  if (ImGui::CollapsingHeader("Step as JSON")) json_editor(state, ptr, Check::Object, true, "##step");
}

}  // namespace shopflow::studio
