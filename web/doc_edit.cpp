// The step tree of the bundle document, addressed by JSON Pointer.
#include "doc_edit.hpp"

#include <cstdlib>
#include <set>

#include "words.hpp"

namespace shopflow::studio {

namespace {

bool is_index(const std::string& t) {
  if (t.empty() || t.size() > 9) return false;
  for (char c : t) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string escape_token(const std::string& t) {
  std::string out;
  for (char c : t) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

void collect_ids(const Json& steps, std::set<std::string>* ids) {
  if (!steps.is_array()) return;
  for (const auto& s : steps) {
    if (!s.is_object()) continue;
    if (s.contains("id") && s["id"].is_string()) ids->insert(s["id"].get<std::string>());
    for (const char* k : {"then", "else", "steps", "default"}) {
      if (s.contains(k)) collect_ids(s[k], ids);
    }
    if (s.contains("cases") && s["cases"].is_array()) {
      for (const auto& c : s["cases"]) {
        if (c.is_object() && c.contains("steps")) collect_ids(c["steps"], ids);
      }
    }
  }
}

// Gives the step and the steps inside it ids not in *ids (adding them): "notify" -> "notify-2".
void rename_ids(Json& step, std::set<std::string>* ids) {
  if (!step.is_object()) return;
  if (step.contains("id") && step["id"].is_string()) {
    std::string base = step["id"].get<std::string>(), id = base;
    for (int n = 2; ids->count(id); ++n) id = base + "-" + std::to_string(n);
    step["id"] = id;
    ids->insert(id);
  }
  auto list = [&](Json& steps) {
    if (!steps.is_array()) return;
    for (auto& s : steps) rename_ids(s, ids);
  };
  for (const char* k : {"then", "else", "steps", "default"}) {
    if (step.contains(k)) list(step[k]);
  }
  if (step.contains("cases") && step["cases"].is_array()) {
    for (auto& c : step["cases"]) {
      if (c.is_object() && c.contains("steps")) list(c["steps"]);
    }
  }
}

std::string value_text(const Json& v) {
  if (v.is_object() && v.size() == 1 && v.contains("var")) {
    const Json& p = v["var"];
    if (p.is_string()) return p.get<std::string>();
    if (p.is_array() && !p.empty() && p[0].is_string()) return p[0].get<std::string>();
  }
  if (v.is_object() && v.size() == 1) return condition_text(v, 40);
  return v.dump();
}

}  // namespace

std::vector<std::string> pointer_tokens(const std::string& pointer) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < pointer.size()) {
    if (pointer[i] != '/') break;
    size_t j = pointer.find('/', i + 1);
    if (j == std::string::npos) j = pointer.size();
    std::string t;
    for (size_t k = i + 1; k < j; ++k) {
      if (pointer[k] == '~' && k + 1 < j) {
        t += pointer[k + 1] == '1' ? '/' : '~';
        ++k;
      } else {
        t += pointer[k];
      }
    }
    out.push_back(std::move(t));
    i = j;
  }
  return out;
}

const Json* resolve(const Json& doc, const std::string& pointer) {
  const Json* cur = &doc;
  for (const std::string& t : pointer_tokens(pointer)) {
    if (cur->is_object()) {
      auto it = cur->find(t);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      if (!is_index(t)) return nullptr;
      size_t i = std::strtoul(t.c_str(), nullptr, 10);
      if (i >= cur->size()) return nullptr;
      cur = &(*cur)[i];
    } else {
      return nullptr;
    }
  }
  return cur;
}

Json* resolve(Json& doc, const std::string& pointer) {
  return const_cast<Json*>(resolve(static_cast<const Json&>(doc), pointer));
}

std::string parent_pointer(const std::string& pointer) {
  size_t slash = pointer.rfind('/');
  return slash == std::string::npos ? "" : pointer.substr(0, slash);
}

size_t last_index(const std::string& pointer) {
  size_t slash = pointer.rfind('/');
  return slash == std::string::npos ? 0 : std::strtoul(pointer.c_str() + slash + 1, nullptr, 10);
}

int workflow_of_pointer(const std::string& pointer) {
  auto t = pointer_tokens(pointer);
  if (t.size() >= 2 && t[0] == "workflows" && is_index(t[1])) return std::atoi(t[1].c_str());
  return -1;
}

std::string step_of_pointer(const std::string& pointer) {
  auto t = pointer_tokens(pointer);
  if (t.size() < 2 || t[0] != "workflows") return "";
  std::string cur = "/workflows/" + t[1];
  std::string best;
  // Step lists are named steps / then / else / default (and cases/N/steps); an index after
  // one of them names a step.
  for (size_t i = 2; i + 1 < t.size(); ++i) {
    cur += "/" + escape_token(t[i]);
    bool list = t[i] == "steps" || t[i] == "then" || t[i] == "else" || t[i] == "default";
    if (list && is_index(t[i + 1])) {
      cur += "/" + t[i + 1];
      best = cur;
      ++i;
    }
  }
  return best;
}

std::string step_kind(const Json& step) {
  if (!step.is_object()) return "";
  for (const char* k : {"if", "switch", "action", "wait", "foreach", "set", "emit", "stop"}) {
    if (step.contains(k)) return k;
  }
  return "";
}

std::string condition_text(const Json& rule, size_t max_chars) {
  std::string out;
  if (rule.is_object() && rule.size() == 1) {
    const std::string op = rule.begin().key();
    const Json& args = rule.begin().value();
    if (op == "var") {
      out = value_text(rule);
    } else if ((op == "and" || op == "or") && args.is_array()) {
      for (size_t i = 0; i < args.size(); ++i) {
        if (i) out += op == "and" ? " and " : " or ";
        std::string part = condition_text(args[i], max_chars);
        bool nested = args[i].is_object() && args[i].size() == 1 &&
                      (args[i].begin().key() == "and" || args[i].begin().key() == "or");
        out += nested ? "(" + part + ")" : part;
      }
    } else if (op == "!!" || op == "!") {
      const Json& a = args.is_array() && !args.empty() ? args[0] : args;
      out = (op == "!!" ? "" : "not ") + value_text(a) + (op == "!!" ? " is set" : "");
    } else if (args.is_array() && args.size() == 2) {
      out = value_text(args[0]) + " " + op + " " + value_text(args[1]);
    } else {
      out = rule.dump();
    }
  } else {
    out = rule.dump();
  }
  if (out.size() > max_chars) out = out.substr(0, max_chars - 3) + "...";
  return out;
}

namespace {

// An ISO 8601 duration in words ("PT4H" -> "4 hours"); anything else as it is.
std::string readable_duration(const std::string& iso) {
  auto d = parse_duration(iso);
  return d ? duration_in_words(d.value()) : iso;
}

}  // namespace

std::string step_summary(const Json& step) {
  std::string kind = step_kind(step);
  if (kind == "action") return step["action"].is_string() ? step["action"].get<std::string>() : "action";
  if (kind == "wait") {
    const Json& w = step["wait"];
    if (!w.is_object()) return "wait";
    if (w.contains("duration")) return "wait " + (w["duration"].is_string() ? readable_duration(w["duration"].get<std::string>()) : w["duration"].dump());
    if (w.contains("event")) {
      std::string s = "wait for " + (w["event"].is_string() ? w["event"].get<std::string>() : std::string("event"));
      if (w.contains("timeout") && w["timeout"].is_string()) s += ", " + readable_duration(w["timeout"].get<std::string>()) + " at most";
      return s;
    }
    if (w.contains("until")) return "wait until " + condition_text(w["until"], 30);
    return "wait";
  }
  if (kind == "if") return "if " + condition_text(step["if"], 34);
  if (kind == "switch") return "switch " + condition_text(step["switch"], 30);
  if (kind == "foreach") return "for each " + step.value("as", std::string("item")) + " in " + condition_text(step["foreach"], 24);
  if (kind == "set") {
    std::string s = "set";
    if (step["set"].is_object()) {
      for (auto it = step["set"].begin(); it != step["set"].end(); ++it) s += " " + it.key();
    }
    return s.size() > 40 ? s.substr(0, 37) + "..." : s;
  }
  if (kind == "emit") return "emit " + (step["emit"].is_object() ? step["emit"].value("type", std::string()) : std::string());
  if (kind == "stop") return "stop";
  return "(unknown step)";
}

Json pasted_step(const Json& step, const Json& workflow) {
  std::set<std::string> ids;
  if (workflow.is_object() && workflow.contains("steps")) collect_ids(workflow["steps"], &ids);
  Json copy = step;
  rename_ids(copy, &ids);
  return copy;
}

Json new_step(const std::string& kind, const Json& workflow) {
  std::set<std::string> ids;
  if (workflow.is_object() && workflow.contains("steps")) collect_ids(workflow["steps"], &ids);
  std::string base = kind == "action" ? "send-email" : kind;
  std::string id = base;
  for (int n = 2; ids.count(id); ++n) id = base + "-" + std::to_string(n);
  Json s = {{"id", id}};
  if (kind == "if") {
    s["if"] = {{">=", Json::array({{{"var", "event.data.total"}}, 100})}};
    s["then"] = Json::array();
    s["else"] = Json::array();
  } else if (kind == "switch") {
    s["switch"] = {{"var", "event.data.currency"}};
    s["cases"] = Json::array({{{"equals", "EUR"}, {"steps", Json::array()}}});
    s["default"] = Json::array();
  } else if (kind == "action") {
    s["action"] = "email.send";
    s["params"] = {{"to", "{{ event.data.email }}"}, {"subject", "About your order"}, {"body", "Hello!"}};
  } else if (kind == "wait") {
    s["wait"] = {{"duration", "PT1H"}};
  } else if (kind == "foreach") {
    s["foreach"] = {{"var", "event.data.line_items"}};
    s["as"] = "item";
    s["steps"] = Json::array();
  } else if (kind == "set") {
    s["set"] = {{"total", {{"var", "event.data.total"}}}};
  } else if (kind == "emit") {
    s["emit"] = {{"type", "custom.event"}, {"data", Json::object()}};
  } else {
    s["stop"] = {{"reason", "done"}};
  }
  return s;
}

std::string insert_step(Json& doc, const std::string& list_pointer, size_t index, Json step) {
  Json* list = resolve(doc, list_pointer);
  if (!list) {
    Json* owner = resolve(doc, parent_pointer(list_pointer));
    if (!owner || !owner->is_object()) return "";
    auto t = pointer_tokens(list_pointer);
    (*owner)[t.back()] = Json::array();
    list = resolve(doc, list_pointer);
  }
  if (!list || !list->is_array()) return "";
  if (index > list->size()) index = list->size();
  list->insert(list->begin() + static_cast<std::ptrdiff_t>(index), std::move(step));
  return list_pointer + "/" + std::to_string(index);
}

bool remove_step(Json& doc, const std::string& pointer) {
  Json* list = resolve(doc, parent_pointer(pointer));
  size_t i = last_index(pointer);
  if (!list || !list->is_array() || i >= list->size()) return false;
  list->erase(list->begin() + static_cast<std::ptrdiff_t>(i));
  return true;
}

bool move_step(Json& doc, std::string* pointer, int delta) {
  std::string parent = parent_pointer(*pointer);
  Json* list = resolve(doc, parent);
  size_t i = last_index(*pointer);
  if (!list || !list->is_array() || i >= list->size()) return false;
  long j = static_cast<long>(i) + delta;
  if (j < 0 || j >= static_cast<long>(list->size())) return false;
  std::swap((*list)[i], (*list)[static_cast<size_t>(j)]);
  *pointer = parent + "/" + std::to_string(j);
  return true;
}

Json without_member(const Json& doc, const std::string& key) {
  Json out = Json::object();
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != key) out[it.key()] = it.value();
  }
  return out;
}

}  // namespace shopflow::studio
