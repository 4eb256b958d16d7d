// The condition builder's model and its exact round trip with JSON Logic.
#include "cond_builder.hpp"

#include <algorithm>

#include "shopflow/condition.hpp"

namespace shopflow::studio {

namespace {

bool is_plain_var(const Json& v) {
  return v.is_object() && v.size() == 1 && v.contains("var") && v["var"].is_string();
}

const RowOperator* find_row_op(const std::string& op, bool unary, bool field_second) {
  for (const auto& r : row_operators()) {
    if (r.op == op && r.unary == unary && r.field_second == field_second) return &r;
  }
  return nullptr;
}

}  // namespace

const std::vector<RowOperator>& row_operators() {
  static const std::vector<RowOperator> kOps = [] {
    // Named as a sentence reads: "<field> is greater than <value>".
    std::vector<RowOperator> ops = {
        {"is", "==", false, false},
        {"is not", "!=", false, false},
        {"is less than", "<", false, false},
        {"is at most", "<=", false, false},
        {"is greater than", ">", false, false},
        {"is at least", ">=", false, false},
        {"is one of", "in", false, false},
        {"is not one of", "!in", false, false},
        {"contains", "in", false, true},
        {"is set", "!!", true, false},
        {"is not set", "!", true, false},
        {"is true", "var", true, false},
        {"does not contain", "!in", false, true},
        {"is met", "rule", true, false},
    };
    // Commerce operators that compare a field with one value, offered when the core has them:
    // amounts compared exactly ("49.90" is less than "100"), instants, tags and text.
    static const std::pair<const char*, const char*> kNamed[] = {
        {"money_eq", "is the amount"},
        {"money_ne", "is not the amount"},
        {"money_lt", "is an amount less than"},
        {"money_lte", "is an amount at most"},
        {"money_gt", "is an amount greater than"},
        {"money_gte", "is an amount at least"},
        {"time_before", "is a time before"},
        {"time_after", "is a time after"},
        {"has_tag", "has the tag"},
        {"!has_tag", "does not have the tag"},
        {"has_any_tag", "has any of the tags"},
        {"!has_any_tag", "has none of the tags"},
        {"starts_with", "starts with"},
        {"!starts_with", "does not start with"},
        {"ends_with", "ends with"},
        {"!ends_with", "does not end with"},
        {"===", "is exactly"},
        {"!==", "is not exactly"},
    };
    std::vector<std::string> names = logic::operator_names();
    for (const auto& [op, label] : kNamed) {
      const std::string core = op[0] == '!' && op[1] != '=' ? op + 1 : op;
      if (std::find(names.begin(), names.end(), core) != names.end()) ops.push_back({label, op, false, false});
    }
    return ops;
  }();
  return kOps;
}

Json value_from_text(const std::string& text) {
  auto j = parse_json(text);
  if (j) return std::move(j.value());
  return Json(text);
}

std::string value_to_text(const Json& v) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    // Plain text unless it would read back as something else (a number, true, a quoted string...).
    auto j = parse_json(s);
    if (j || s.empty() || s.front() == ' ' || s.back() == ' ') return v.dump();
    return s;
  }
  return v.dump();
}

const RowOperator* find_operator(const std::string& label) {
  for (const auto& o : row_operators()) {
    if (label == o.label) return &o;
  }
  return nullptr;
}

Json lookup_to_json(const Lookup& lookup) {
  Json args = Json::array({lookup.table});
  for (const auto& k : lookup.keys) {
    if (!k.is_field) {
      args.push_back(value_from_text(k.text));
    } else if (k.suffix.empty()) {
      args.push_back(Json{{"var", k.text}});
    } else {
      args.push_back(Json{{"cat", Json::array({Json{{"var", k.text}}, k.suffix})}});
    }
  }
  return Json{{"lookup", std::move(args)}};
}

namespace {

// A table lookup whose address is fixed keys and fields: {"lookup": ["quotes", {"var": ...}, "status"]}.
std::optional<Lookup> lookup_of(const Json& j) {
  if (!j.is_object() || j.size() != 1 || !j.contains("lookup")) return std::nullopt;
  const Json& args = j["lookup"];
  if (!args.is_array() || args.size() < 2 || !args[0].is_string()) return std::nullopt;
  Lookup l;
  l.table = args[0].get<std::string>();
  for (size_t i = 1; i < args.size(); ++i) {
    const Json& a = args[i];
    if (is_plain_var(a)) {
      l.keys.push_back({true, a["var"].get<std::string>(), ""});
    } else if (a.is_object() && a.size() == 1 && a.contains("cat") && a["cat"].is_array() && a["cat"].size() == 2 &&
               is_plain_var(a["cat"][0]) && a["cat"][1].is_string() && !a["cat"][1].get_ref<const std::string&>().empty()) {
      // A key made of a field and text after it: "<order id>:missing-email".
      l.keys.push_back({true, a["cat"][0]["var"].get<std::string>(), a["cat"][1].get<std::string>()});
    } else if (args[i].is_string() || args[i].is_number()) {
      l.keys.push_back({false, value_to_text(args[i]), ""});
    } else {
      return std::nullopt;
    }
  }
  return l;
}

// The compared thing of a row: a field, a table value, a count or now; false when `j` is none.
bool subject_of(const Json& j, CondNode& n) {
  if (is_plain_var(j)) {
    n.subject = Subject::Field;
    n.field = j["var"].get<std::string>();
    return true;
  }
  if (auto l = lookup_of(j)) {
    n.subject = Subject::Table;
    n.field_table = std::move(*l);
    return true;
  }
  if (j.is_object() && j.size() == 1 && j.contains("length") && is_plain_var(j["length"])) {
    n.subject = Subject::Count;
    n.field = j["length"]["var"].get<std::string>();
    return true;
  }
  if (j == Json{{"now", Json::array()}}) {
    n.subject = Subject::Now;
    return true;
  }
  return false;
}

// A negated operator's name ("!has_tag"), when the builder has one for `op`.
bool is_negated_op(const std::string& op) { return op.size() > 1 && op[0] == '!' && op != "!=" && op != "!==" && op != "!!"; }

// What a row compares with: another field, a table value or a value of its own (not a rule).
bool object_of(const Json& j, CondNode& n) {
  if (is_plain_var(j)) {
    n.side = Side::Field;
    n.value = j["var"].get<std::string>();
    return true;
  }
  if (auto l = lookup_of(j)) {
    n.side = Side::Table;
    n.value_table = std::move(*l);
    return true;
  }
  // Computed ({"money_add": ...}) or holding rules: not a value of its own.
  if (j.is_object()) return false;
  if (j.is_array() && std::any_of(j.begin(), j.end(), [](const Json& e) { return e.is_object(); })) return false;
  n.side = Side::Value;
  n.value = value_to_text(j);
  return true;
}

std::optional<CondNode> row_from_json(const Json& rule) {
  if (!rule.is_object() || rule.size() != 1) return std::nullopt;
  const std::string op = rule.begin().key();
  const Json& args = rule.begin().value();
  CondNode n;
  if (op == "var") {
    // A field on its own: true when it holds a truthy value.
    if (!args.is_string()) return std::nullopt;
    n.field = args.get<std::string>();
    n.op = "is true";
    return n;
  }
  if (op == "lookup" && subject_of(rule, n)) {
    n.op = "is true";
    return n;
  }
  if (op == "rule") {
    if (!args.is_string()) return std::nullopt;
    n.subject = Subject::Rule;
    n.field = args.get<std::string>();
    n.op = "is met";
    return n;
  }
  if (op == "!!" || op == "!") {
    n.bare = !args.is_array();
    if (!n.bare && args.size() != 1) return std::nullopt;
    const Json& inner = n.bare ? args : args[0];
    if (subject_of(inner, n)) {
      n.op = find_row_op(op, true, false)->label;
      return n;
    }
    // A comparison negated: "is not one of" for {"!": {"in": [field, list]}}, "does not have
    // the tag" for {"!": {"has_tag": ...}}.
    if (op == "!") {
      auto inner_row = row_from_json(inner);
      const RowOperator* r = inner_row ? find_operator(inner_row->op) : nullptr;
      const RowOperator* neg = r && !r->unary ? find_row_op("!" + std::string(r->op), false, r->field_second) : nullptr;
      if (neg) {
        bool bare = n.bare;
        n = std::move(*inner_row);
        n.bare = bare;
        n.op = neg->label;
        return n;
      }
    }
    return std::nullopt;
  }
  if (!args.is_array() || args.size() != 2) return std::nullopt;
  const RowOperator* r = nullptr;
  if (subject_of(args[0], n) && (r = find_row_op(op, false, false)) && object_of(args[1], n)) {
  } else if (n = CondNode{}; subject_of(args[1], n) && (r = find_row_op(op, false, true)) && object_of(args[0], n)) {
  } else {
    return std::nullopt;
  }
  n.op = r->label;
  return n;
}

}  // namespace

std::optional<CondNode> cond_from_json(const Json& rule) {
  if (!rule.is_object() || rule.size() != 1) return std::nullopt;
  const std::string op = rule.begin().key();
  const Json& args = rule.begin().value();
  if (op == "and" || op == "or") {
    if (!args.is_array()) return std::nullopt;
    CondNode g;
    g.is_group = true;
    g.any = op == "or";
    for (const auto& a : args) {
      auto child = cond_from_json(a);
      if (!child) return std::nullopt;
      g.children.push_back(std::move(*child));
    }
    return g;
  }
  auto n = row_from_json(rule);
  // Only what writes back unchanged is a row.
  if (!n || cond_to_json(*n) != rule) return std::nullopt;
  return n;
}

Json cond_to_json(const CondNode& node) {
  if (node.is_group) {
    Json list = Json::array();
    for (const auto& c : node.children) list.push_back(cond_to_json(c));
    return Json{{node.any ? "or" : "and", std::move(list)}};
  }
  const RowOperator* r = find_operator(node.op);
  if (!r) r = &row_operators().front();
  Json subject;
  switch (node.subject) {
    case Subject::Field: subject = Json{{"var", node.field}}; break;
    case Subject::Table: subject = lookup_to_json(node.field_table); break;
    case Subject::Count: subject = Json{{"length", Json{{"var", node.field}}}}; break;
    case Subject::Now: subject = Json{{"now", Json::array()}}; break;
    case Subject::Rule: return Json{{"rule", node.field}};
  }
  const std::string op = r->op;
  if (op == "var" || op == "rule") return subject;  // true by itself
  if (r->unary) return Json{{op, node.bare ? subject : Json::array({subject})}};
  Json value = node.side == Side::Field   ? Json{{"var", node.value}}
               : node.side == Side::Table ? lookup_to_json(node.value_table)
                                          : value_from_text(node.value);
  const bool negated = is_negated_op(op);
  const std::string core = negated ? op.substr(1) : op;
  Json cmp = r->field_second ? Json{{core, Json::array({value, subject})}} : Json{{core, Json::array({subject, value})}};
  if (!negated) return cmp;
  return Json{{"!", node.bare ? cmp : Json::array({cmp})}};
}

std::optional<UntilTime> until_from_json(const Json& rule) {
  if (is_plain_var(rule)) return UntilTime{rule["var"].get<std::string>(), ""};
  if (!rule.is_object() || rule.size() != 1 || !rule.contains("time_add")) return std::nullopt;
  const Json& args = rule["time_add"];
  if (!args.is_array() || args.size() != 2 || !is_plain_var(args[0]) || !args[1].is_string()) return std::nullopt;
  return UntilTime{args[0]["var"].get<std::string>(), args[1].get<std::string>()};
}

Json until_to_json(const UntilTime& until) {
  Json var = {{"var", until.field}};
  if (until.offset.empty()) return var;
  return Json{{"time_add", Json::array({var, until.offset})}};
}

namespace {

void steps_in_json(const Json& steps, const std::string& at, std::vector<std::string>& out) {
  if (!steps.is_array()) return;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Json& s = steps[i];
    const std::string p = at + "/" + std::to_string(i);
    if (!s.is_object()) continue;
    if (s.contains("if") && !cond_from_json(s["if"])) out.push_back(p + "/if");
    if (s.contains("wait") && s["wait"].is_object()) {
      const Json& w = s["wait"];
      if (w.contains("match") && !cond_from_json(w["match"])) out.push_back(p + "/wait/match");
      if (w.contains("until") && !until_from_json(w["until"])) out.push_back(p + "/wait/until");
    }
    if (s.contains("cases") && s["cases"].is_array()) {
      for (size_t c = 0; c < s["cases"].size(); ++c) {
        const Json& cs = s["cases"][c];
        const std::string cp = p + "/cases/" + std::to_string(c);
        if (cs.is_object() && cs.contains("when") && !cond_from_json(cs["when"])) out.push_back(cp + "/when");
        if (cs.is_object() && cs.contains("steps")) steps_in_json(cs["steps"], cp + "/steps", out);
      }
    }
    for (const char* list : {"then", "else", "steps", "default"}) {
      if (s.contains(list)) steps_in_json(s[list], p + "/" + list, out);
    }
  }
}

}  // namespace

std::vector<std::string> conditions_in_json(const Json& bundle) {
  std::vector<std::string> out;
  if (!bundle.is_object() || !bundle.contains("workflows") || !bundle["workflows"].is_array()) return out;
  const Json& wfs = bundle["workflows"];
  for (size_t w = 0; w < wfs.size(); ++w) {
    const std::string wp = "/workflows/" + std::to_string(w);
    if (!wfs[w].is_object()) continue;
    const Json& wf = wfs[w];
    if (wf.contains("trigger") && wf["trigger"].is_object() && wf["trigger"].contains("filter") &&
        !cond_from_json(wf["trigger"]["filter"])) {
      out.push_back(wp + "/trigger/filter");
    }
    if (wf.contains("steps")) steps_in_json(wf["steps"], wp + "/steps", out);
  }
  return out;
}

}  // namespace shopflow::studio
