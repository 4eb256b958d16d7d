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
        {"contains", "in", false, true},
        {"is set", "!!", true, false},
        {"is not set", "!", true, false},
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
        {"has_any_tag", "has any of the tags"},
        {"starts_with", "starts with"},
        {"ends_with", "ends with"},
        {"===", "is exactly"},
        {"!==", "is not exactly"},
    };
    std::vector<std::string> names = logic::operator_names();
    for (const auto& [op, label] : kNamed) {
      if (std::find(names.begin(), names.end(), op) != names.end()) ops.push_back({label, op, false, false});
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
  if ((op == "!!" || op == "!") && args.is_array() && args.size() == 1 && is_plain_var(args[0])) {
    const RowOperator* r = find_row_op(op, true, false);
    if (!r) return std::nullopt;
    CondNode n;
    n.field = args[0]["var"].get<std::string>();
    n.op = r->label;
    return n;
  }
  if (!args.is_array() || args.size() != 2) return std::nullopt;
  const RowOperator* r = nullptr;
  CondNode n;
  if (is_plain_var(args[0]) && (r = find_row_op(op, false, false))) {
    n.field = args[0]["var"].get<std::string>();
    n.value = value_to_text(args[1]);
  } else if (is_plain_var(args[1]) && (r = find_row_op(op, false, true))) {
    n.field = args[1]["var"].get<std::string>();
    n.value = value_to_text(args[0]);
  } else {
    return std::nullopt;
  }
  n.op = r->label;
  // Only what writes back unchanged is a row.
  if (cond_to_json(n) != rule) return std::nullopt;
  return n;
}

Json cond_to_json(const CondNode& node) {
  if (node.is_group) {
    Json list = Json::array();
    for (const auto& c : node.children) list.push_back(cond_to_json(c));
    return Json{{node.any ? "or" : "and", std::move(list)}};
  }
  const RowOperator* r = nullptr;
  for (const auto& o : row_operators()) {
    if (node.op == o.label) r = &o;
  }
  if (!r) r = &row_operators().front();
  Json var = {{"var", node.field}};
  if (r->unary) return Json{{r->op, Json::array({var})}};
  Json value = value_from_text(node.value);
  if (r->field_second) return Json{{r->op, Json::array({value, var})}};
  return Json{{r->op, Json::array({var, value})}};
}

}  // namespace shopflow::studio
