// One run's trace, with each decision's why as a sentence beside its verdict tree (run_trace.hpp).
#include "run_trace.hpp"

#include <imgui.h>

#include "shopflow/condition.hpp"
#include "ui_util.hpp"
#include "why.hpp"

namespace shopflow::studio {

std::string short_json(const Json& v, size_t n) {
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s.size() > n ? s.substr(0, n - 3) + "..." : s;
}

namespace {

// One verdict tree node: {"op", "args", "result", "children"}, {"var", "result"} or {"value"}.
void explanation_tree(const Json& node, int depth) {
  if (!node.is_object() || depth > 24) {
    ImGui::BulletText("%s", short_json(node).c_str());
    return;
  }
  const Json result = node.contains("result") ? node["result"] : (node.contains("value") ? node["value"] : Json());
  bool truth = logic::truthy(result);
  if (node.contains("var")) {
    ImGui::BulletText("%s = %s", short_json(node["var"]).c_str(), short_json(result).c_str());
    return;
  }
  if (node.contains("value") && !node.contains("op")) {
    ImGui::BulletText("%s", short_json(node["value"]).c_str());
    return;
  }
  std::string op = node.value("op", std::string("?"));
  std::string args;
  if (node.contains("args") && node["args"].is_array()) {
    for (size_t i = 0; i < node["args"].size(); ++i) args += (i ? ", " : "") + short_json(node["args"][i], 40);
  }
  // A named rule shows its name; the node opens to the rule's own tree.
  std::string label = op == "rule" && node.contains("rule") ? "rule " + short_json(node["rule"], 40) + " -> " + short_json(result, 40)
                                                            : op + "(" + args + ") -> " + short_json(result, 40);
  ImGui::PushStyleColor(ImGuiCol_Text, truth ? kGood : kBad);
  bool open = ImGui::TreeNodeEx(&node, ImGuiTreeNodeFlags_DefaultOpen | ImGuiTreeNodeFlags_SpanAvailWidth, "%s", label.c_str());
  ImGui::PopStyleColor();
  if (open) {
    if (node.contains("children") && node["children"].is_array()) {
      for (const auto& c : node["children"]) explanation_tree(c, depth + 1);
    }
    ImGui::TreePop();
  }
}

}  // namespace

namespace {

// The data of the sample event `id` (null when none has it), remembered for the last run asked
// about: a day of samples is 10,000 events to search, and the trace is drawn every frame.
const Json& event_data(const StudioState& state, const std::string& id) {
  static int serial = -1;
  static std::string last_id;
  static Json data;
  if (serial != state.samples_serial || last_id != id) {
    serial = state.samples_serial;
    last_id = id;
    data = Json();
    for (const Event& e : sample_events(state)) {
      if (e.id == id) {
        data = e.data;
        break;
      }
    }
  }
  return data;
}

}  // namespace

void draw_run_trace(StudioState& state, const Json& r, const std::string& label, const std::string& open_step, bool scroll_to) {
  ImGui::Text("%s", label.c_str());
  ImGui::TextDisabled("run %s", r.value("id", std::string()).c_str());
  // A simulated run names its event "event", one of the runner's API "event_id".
  const std::string event = r.value("event", r.value("event_id", std::string()));
  ImGui::TextDisabled("workflow %s, event %s, %s -> %s", r.value("workflow", std::string()).c_str(),
                      event.c_str(), r.value("started", std::string()).c_str(),
                      r.value("updated", std::string()).c_str());
  if (r.value("status", std::string()) == "stopped") {
    // A stop step ends a run on purpose: its reason, not a failure.
    text_wrapped_colored(kDim, "stopped: " + r.value("error", std::string()));
  } else if (r.contains("error")) {
    std::string where = r.value("error_step", std::string());
    text_wrapped_colored(kBad, "failed" + (where.empty() ? std::string() : " at " + where) + ": " + r.value("error", std::string()));
  }
  if (r.contains("waiting_for")) ImGui::TextColored(kWarn, "still waiting for %s", r.value("waiting_for", std::string()).c_str());
  if (r.contains("steps")) {
    // Amounts in the whys as the shop writes them, in the currency of the run's event.
    const MoneyWords money = money_words(state.check.bundle, event_data(state, r.value("event", std::string())));
    int k = 0;
    for (const auto& st : r["steps"]) {
      ImGui::PushID(k++);
      std::string head = st.value("time", std::string()) + "  " + st.value("kind", std::string()) + "  " + st.value("path", std::string());
      if (st.contains("verdict")) head += "  -> " + short_json(st["verdict"], 60);
      const std::string path = st.value("path", std::string());
      if (!open_step.empty() && path == open_step) ImGui::SetNextItemOpen(true, scroll_to ? ImGuiCond_Always : ImGuiCond_Once);
      const bool open = ImGui::TreeNodeEx("step", ImGuiTreeNodeFlags_SpanAvailWidth, "%s", head.c_str());
      note_widget(state, "run.step:" + path);
      if (scroll_to && path == open_step) ImGui::SetScrollHereY(0.2f);
      if (open) {
        if (st.contains("input")) ImGui::TextWrapped("input: %s", short_json(st["input"], 400).c_str());
        if (st.contains("output") && !st["output"].is_null()) ImGui::TextWrapped("output: %s", short_json(st["output"], 400).c_str());
        if (st.contains("explanation")) {
          const std::string why = why_sentence(st.value("kind", std::string()), path, st.value("verdict", Json()), st["explanation"], &money);
          if (!why.empty()) {
            text_wrapped_colored(kAccent, why);
            note_widget(state, "run.why:" + path);
            state.why_drawn.push_back(why);
          }
          ImGui::TextDisabled("the verdict, clause by clause:");
          explanation_tree(st["explanation"], 0);
        }
        ImGui::TreePop();
      }
      ImGui::PopID();
    }
  }
}

}  // namespace shopflow::studio
