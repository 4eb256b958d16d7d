// Table actions and table reads: see engine_tables.hpp.
#include "engine_tables.hpp"

namespace shopflow::engine {

namespace {

// Adds decimal strings or numbers exactly: integers stay integers, decimal strings stay strings.
bool parse_decimal(const std::string& s, long long* mantissa, int* scale) {
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  long long m = 0;
  int sc = 0;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') return false;
    if (m > 99'999'999'999'999'999LL / 10) return false;
    m = m * 10 + (c - '0');
    digits = true;
    if (dot) ++sc;
  }
  if (!digits || sc > 9) return false;
  *mantissa = neg ? -m : m;
  *scale = sc;
  return true;
}

std::string format_decimal(long long m, int scale) {
  bool neg = m < 0;
  std::string digits = std::to_string(neg ? -m : m);
  if (scale > 0) {
    if (static_cast<int>(digits.size()) <= scale) digits.insert(0, static_cast<size_t>(scale + 1) - digits.size(), '0');
    digits.insert(digits.size() - static_cast<size_t>(scale), ".");
  }
  return (neg ? "-" : "") + digits;
}

Result<Json> add_amount(const Json& current, const Json& amount) {
  if ((current.is_null() || current.is_number_integer()) && amount.is_number_integer()) {
    long long a = current.is_null() ? 0 : current.get<long long>();
    return Json(a + amount.get<long long>());
  }
  auto as_decimal = [](const Json& v, long long* m, int* sc) {
    if (v.is_null()) {
      *m = 0;
      *sc = 0;
      return true;
    }
    if (v.is_number_integer()) {
      *m = v.get<long long>();
      *sc = 0;
      return true;
    }
    if (v.is_number_float()) {
      Json copy = v;
      return parse_decimal(copy.dump(), m, sc);
    }
    return v.is_string() && parse_decimal(v.get<std::string>(), m, sc);
  };
  long long a, b;
  int sa, sb;
  if (!as_decimal(current, &a, &sa)) return Error{"the field holds " + current.dump() + ", which is not a number", "", 0, 0};
  if (!as_decimal(amount, &b, &sb)) return Error{"the amount " + amount.dump() + " is not a number", "", 0, 0};
  int sc = sa > sb ? sa : sb;
  for (; sa < sc; ++sa) a *= 10;
  for (; sb < sc; ++sb) b *= 10;
  std::string s = format_decimal(a + b, sc);
  if (current.is_number() && amount.is_number()) return Json::parse(s);
  return Json(s);
}

}  // namespace

Result<TableActionResult> apply_table_action(Store& store, const Bundle& bundle, ActionKind kind, Json& params) {
  TableActionResult out;
  auto failed = [&](std::string message) {
    out.failure = std::move(message);
    return out;
  };
  const Json& t = params["table"];
  if (!t.is_string()) return failed("table must be a table name, not " + t.dump());
  const TableDef* td = bundle.find_table(t.get<std::string>());
  if (!td) return failed("no table named \"" + t.get<std::string>() + "\" in the bundle");
  const Json& k = params["key"];
  if (!(k.is_string() || k.is_number_integer()) || (k.is_string() && k.get_ref<const std::string&>().empty()))
    return failed("key must be a non-empty string or an integer, not " + k.dump());
  std::string key = table_key(k);
  Json value;
  if (kind == ActionKind::TableDelete) {
    if (auto s = store.row_delete(td->name, key); !s) return s.error();
  } else if (kind == ActionKind::TableSet) {
    value = params["value"];
    if (value.is_object() && !td->key_field.empty() && !value.contains(td->key_field)) value[td->key_field] = k;
    if (auto s = store.row_put(td->name, key, json_text(value)); !s) return s.error();
  } else {
    // table.merge and table.add change the current row (a new one starts with its key).
    auto cur = store.row_get(td->name, key);
    if (!cur) return cur.error();
    value = Json::object();
    if (cur.value()) {
      auto parsed = parse_json(*cur.value(), "table row");
      if (parsed) value = std::move(parsed.value());
    } else if (!td->key_field.empty()) {
      value[td->key_field] = k;
    }
    if (!value.is_object()) return failed("the row " + key + " of " + td->name + " is not an object");
    if (kind == ActionKind::TableMerge) {
      const Json& patch = params["value"];
      if (!patch.is_object())
        return failed("table.merge needs an object of fields as value, not " + patch.dump().substr(0, 60));
      for (auto it = patch.begin(); it != patch.end(); ++it) {
        if (it.value().is_null()) {
          value.erase(it.key());
        } else {
          value[it.key()] = it.value();
        }
      }
    } else {
      const Json& field = params["field"];
      if (!field.is_string()) return failed("field must be a field name");
      const std::string& fname = field.get_ref<const std::string&>();
      auto sum = add_amount(value.contains(fname) ? value[fname] : Json(), params["amount"]);
      if (!sum) return failed("table.add " + td->name + "/" + key + "/" + fname + ": " + sum.error().message);
      value[fname] = std::move(sum.value());
    }
    if (auto s = store.row_put(td->name, key, json_text(value)); !s) return s.error();
  }
  out.table = td->name;
  out.key = std::move(key);
  out.value = std::move(value);
  return out;
}

void install_table_reads(logic::EvalOptions& eval, Store* store, const Bundle* bundle) {
  eval.table_lookup = [store](const std::string& table, const Json& key) -> std::optional<Json> {
    if (!(key.is_string() || key.is_number_integer())) return std::nullopt;
    auto row = store->row_get(table, table_key(key));
    if (!row || !row.value()) return std::nullopt;
    auto j = parse_json(*row.value(), "table row");
    if (!j) return std::nullopt;
    return std::move(j.value());
  };
  eval.table_rows = [store, bundle](const std::string& table) -> std::optional<Json> {
    if (!bundle->find_table(table)) return std::nullopt;
    auto rows = store->rows(table);
    if (!rows) return std::nullopt;
    Json out = Json::array();
    for (const TableRow& r : rows.value()) {
      auto j = parse_json(r.value, "table row");
      if (j) out.push_back(std::move(j.value()));
    }
    return out;
  };
}

}  // namespace shopflow::engine
