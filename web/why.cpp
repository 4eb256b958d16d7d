// A decision's "why" in words (why.hpp).
#include "why.hpp"

#include <vector>

#include "cond_builder.hpp"
#include "shopflow/condition.hpp"
#include "shopflow/currency.hpp"

namespace shopflow::studio {

namespace {

constexpr int kMaxDepth = 24;
constexpr size_t kMaxClauses = 6;  // a sentence, not a listing

// "129.00", "-5.50": text an amount is written as (digits, a point and two decimals).
bool amount_text(const std::string& s) {
  size_t dot = s.find('.');
  if (dot == std::string::npos || dot == 0 || s.size() - dot - 1 != 2) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == dot || (i == 0 && s[i] == '-')) continue;
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// A field as the analyst wrote it, without the "event.data." every trigger field starts with.
std::string field_name(const Json& var) {
  std::string s = var.is_string() ? var.get<std::string>() : var.dump();
  const std::string prefix = "event.data.";
  if (s.rfind(prefix, 0) == 0 && s.size() > prefix.size()) s = s.substr(prefix.size());
  return s;
}

std::string value_text(const Json& v, const MoneyWords* money, bool is_amount = false) {
  if (v.is_null()) return "nothing";
  if (money && (is_amount || (v.is_string() && amount_text(v.get_ref<const std::string&>())))) {
    if (auto m = money_text(*money, v)) return *m;
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    auto n = parse_json(s);  // "129.00" reads as the amount it is, "high" as text
    std::string out = n && n.value().is_number() ? s : v.dump();
    return out.size() > 60 ? out.substr(0, 57) + "..." : out;
  }
  std::string out = v.dump();
  return out.size() > 60 ? out.substr(0, 57) + "..." : out;
}

const Json& result_of(const Json& node) {
  static const Json kNull;
  if (node.contains("result")) return node["result"];
  if (node.contains("value")) return node["value"];
  return kNull;
}

bool is_var(const Json& node) { return node.is_object() && node.contains("var") && !node.contains("op"); }
bool is_value(const Json& node) { return node.is_object() && node.contains("value") && !node.contains("op"); }
bool skipped(const Json& node) { return node.is_object() && node.value("skipped", false); }

// One side of a comparison: a field with its value, a literal, or what a computation gave.
std::string side(const Json& node, const MoneyWords* money, bool is_amount = false) {
  if (is_var(node)) {
    const Json& r = result_of(node);
    return field_name(node["var"]) + (r.is_null() ? " (not set)" : " (" + value_text(r, money, is_amount) + ")");
  }
  if (is_value(node)) return value_text(node["value"], money, is_amount);
  return value_text(result_of(node), money, is_amount);
}

// The words of a comparison that came out false.
std::string negated(const std::string& words) {
  static const std::pair<const char*, const char*> kOwn[] = {{"contains", "does not contain"},
                                                            {"has the tag", "does not have the tag"},
                                                            {"has any of the tags", "has none of the tags"},
                                                            {"starts with", "does not start with"},
                                                            {"ends with", "does not end with"}};
  for (const auto& [yes, no] : kOwn) {
    if (words == yes) return no;
  }
  if (words == "is") return "is not";
  if (words == "is not") return "is";
  if (words.rfind("is not ", 0) == 0) return "is " + words.substr(7);
  if (words.rfind("is ", 0) == 0) return "is not " + words.substr(3);
  return "not: " + words;
}

// The builder's words for `op` (the field first, or with `field_second` the field second).
const char* words_for(const std::string& op, bool field_second) {
  for (const auto& r : row_operators()) {
    if (!r.unary && r.op == op && r.field_second == field_second) return r.label;
  }
  return nullptr;
}

void clauses(const Json& node, int depth, std::vector<std::string>* out, const MoneyWords* money);

std::string fallback(const Json& node, const MoneyWords* money) {
  std::string args;
  if (node.contains("children") && node["children"].is_array()) {
    for (const auto& c : node["children"]) args += (args.empty() ? "" : ", ") + side(c, money);
  }
  return node.value("op", std::string("?")) + "(" + args + ") gave " + value_text(result_of(node), money);
}

void clauses(const Json& node, int depth, std::vector<std::string>* out, const MoneyWords* money) {
  if (!node.is_object() || skipped(node) || depth > kMaxDepth) return;
  const bool truth = logic::truthy(result_of(node));
  if (is_var(node)) {
    const Json& r = result_of(node);
    out->push_back(r.is_null() ? field_name(node["var"]) + " is not set" : field_name(node["var"]) + " is " + value_text(r, money));
    return;
  }
  if (is_value(node)) {
    out->push_back(value_text(node["value"], money));
    return;
  }
  if (node.contains("error")) {
    out->push_back(node.value("op", std::string("?")) + " failed: " + value_text(node["error"], nullptr));
    return;
  }
  const std::string op = node.value("op", std::string());
  const Json& kids = node.contains("children") && node["children"].is_array() ? node["children"] : Json::array();
  if (op == "rule" && kids.size() == 1) {
    clauses(kids[0], depth + 1, out, money);  // a named rule reads as what its own tree decided
    return;
  }
  if (op == "and" || op == "or") {
    // What decided it: for a false "and" its false parts, for a true "or" its true parts;
    // otherwise every part counted.
    const bool decisive_only = (op == "and") != truth;
    for (const auto& c : kids) {
      if (skipped(c)) continue;
      if (decisive_only && logic::truthy(result_of(c)) != truth) continue;
      clauses(c, depth + 1, out, money);
    }
    return;
  }
  if ((op == "!" || op == "!!") && kids.size() == 1) {
    const Json& c = kids[0];
    if (is_var(c)) {
      const bool set = logic::truthy(result_of(c));
      out->push_back(field_name(c["var"]) + (set ? " is set (" + value_text(result_of(c), money) + ")" : " is not set"));
    } else {
      clauses(c, depth + 1, out, money);  // the inner clause, as it came out, is the reason
    }
    return;
  }
  if (kids.size() == 2 && !skipped(kids[0]) && !skipped(kids[1])) {
    const bool second = op == "in" && is_var(kids[1]) && !is_var(kids[0]);
    if (const char* w = words_for(op, second)) {
      const Json& field = second ? kids[1] : kids[0];
      const Json& other = second ? kids[0] : kids[1];
      const bool amounts = op.rfind("money_", 0) == 0;
      out->push_back(side(field, money, amounts) + " " + (truth ? std::string(w) : negated(w)) + " " + side(other, money, amounts));
      return;
    }
  }
  out->push_back(fallback(node, money));
}

}  // namespace

MoneyWords money_words(const Bundle& bundle, const Json& data) {
  MoneyWords m;
  m.options = template_options(bundle);
  if (!data.is_object()) return m;
  const Json* order = data.contains("order") && data["order"].is_object() ? &data["order"] : nullptr;
  for (const Json* where : {&data, order}) {
    if (!where) continue;
    for (const char* key : {"currency", "presentment_currency"}) {
      auto it = where->find(key);
      if (it != where->end() && it->is_string() && find_currency(it->get<std::string>())) {
        m.currency = it->get<std::string>();
        return m;
      }
    }
  }
  return m;
}

std::optional<std::string> money_text(const MoneyWords& money, const Json& amount) {
  if (!amount.is_string() && !amount.is_number()) return std::nullopt;
  // The core's own `money` filter, so the why reads exactly as the shop's emails do.
  static const char* kShop = "{{ a | money }}";
  static const char* kCurrency = "{{ a | money: c }}";
  auto t = liquid::Template::parse(money.currency.empty() ? kShop : kCurrency, money.options);
  if (!t) return std::nullopt;
  auto out = t.value().render(Json{{"a", amount}, {"c", money.currency}}, money.options);
  if (!out || out.value().empty()) return std::nullopt;
  return out.value();
}

std::string why_clauses(const Json& tree, const MoneyWords* money) {
  std::vector<std::string> parts;
  clauses(tree, 0, &parts, money);
  std::string s;
  for (size_t i = 0; i < parts.size() && i < kMaxClauses; ++i) s += (i ? " and " : "") + parts[i];
  if (parts.size() > kMaxClauses) s += " and " + std::to_string(parts.size() - kMaxClauses) + " more";
  return s;
}

std::string why_sentence(const std::string& kind, const std::string& path, const Json& verdict, const Json& tree,
                         const MoneyWords* money) {
  if (!tree.is_object()) return "";
  const std::string why = why_clauses(tree, money);
  if (why.empty()) return "";
  std::string outcome;
  if (path == "trigger") {
    outcome = logic::truthy(verdict) ? "Started" : "Not started";
  } else if (kind == "if") {
    outcome = logic::truthy(verdict) ? "Took then" : "Took else";
  } else if (kind == "switch") {
    outcome = verdict.is_number() ? "Took case " + verdict.dump() : "Took the default";
  } else {
    outcome = "Came out " + value_text(verdict, nullptr);
  }
  return outcome + " because " + why;
}

}  // namespace shopflow::studio
