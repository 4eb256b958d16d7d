// The bundle diff in words (bundle_diff.hpp).
#include "bundle_diff.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "doc_edit.hpp"
#include "run_trace.hpp"
#include "shopflow/instant.hpp"
#include "words.hpp"

namespace shopflow::studio {

namespace {

const Json& member(const Json& o, const char* key) {
  static const Json null;
  if (!o.is_object()) return null;
  auto it = o.find(key);
  return it == o.end() ? null : *it;
}

std::string text_of(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// A step's own fields (its nested step lists apart), with where it stands.
struct FlatStep {
  Json fields;
  std::string place;  // "steps 2", "then 0 of ordered-early", ...
  size_t order = 0;   // position in a depth-first walk
};

constexpr const char* kLists[] = {"then", "else", "steps", "default"};

void flatten(const Json& steps, const std::string& parent, const char* list, std::map<std::string, FlatStep>* out,
             size_t* order) {
  if (!steps.is_array()) return;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Json& s = steps[i];
    if (!s.is_object()) continue;
    std::string id = text_of(member(s, "id"));
    FlatStep f;
    f.fields = Json::object();
    for (auto it = s.begin(); it != s.end(); ++it) {
      bool nested = it.key() == "cases";
      for (const char* k : kLists) nested = nested || it.key() == k;
      if (!nested) f.fields[it.key()] = it.value();
    }
    f.place = parent.empty() ? std::string(list) + " " + std::to_string(i)
                             : std::string(list) + " " + std::to_string(i) + " of " + parent;
    f.order = (*order)++;
    (*out)[id] = std::move(f);
    for (const char* k : kLists) {
      if (s.contains(k)) flatten(s[k], id, k, out, order);
    }
    if (s.contains("cases") && s["cases"].is_array()) {
      for (size_t c = 0; c < s["cases"].size(); ++c) {
        flatten(member(s["cases"][c], "steps"), id + " case " + std::to_string(c), "steps", out, order);
      }
    }
  }
}

// A value as a reader wants it: conditions as text, durations in words.
std::string readable(const std::string& key, const Json& v) {
  if (v.is_null()) return "(none)";
  if (key == "if" || key == "filter" || key == "match" || key == "switch") return condition_text(v, 80);
  if (v.is_string() && (key == "timeout" || key == "duration" || key == "for")) {
    auto ms = parse_duration(v.get<std::string>());
    if (ms) return duration_in_words(ms.value());
  }
  return short_json(v, 80);
}

// The fields of `a` and `b` (objects) that differ, each "key: old -> new"; nested objects
// (a wait's timeout, an action's params) one level down as "wait.timeout".
void field_changes(const Json& a, const Json& b, const std::string& prefix, std::vector<std::string>* out) {
  std::set<std::string> keys;
  for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
  for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
  for (const auto& k : keys) {
    if (k == "id") continue;
    const Json& va = member(a, k.c_str());
    const Json& vb = member(b, k.c_str());
    if (va == vb) continue;
    bool is_rule = k == "if" || k == "filter" || k == "match" || k == "switch";
    if (prefix.empty() && !is_rule && va.is_object() && vb.is_object()) {
      field_changes(va, vb, k + ".", out);
      continue;
    }
    // Conditions by what they are to a reader.
    const std::string name = prefix + (k == "if" || k == "switch" ? "condition" : k);
    if (va.is_null()) {
      out->push_back(name + " set to " + readable(k, vb));
    } else if (vb.is_null()) {
      out->push_back(name + " removed (was " + readable(k, va) + ")");
    } else {
      out->push_back(name + ": " + readable(k, va) + " -> " + readable(k, vb));
    }
  }
}

void diff_workflow(const Json& a, const Json& b, std::vector<std::string>* out) {
  const std::string id = text_of(member(b, "id"));
  std::vector<std::string> fields;
  Json ta = member(a, "trigger"), tb = member(b, "trigger");
  if (ta != tb) {
    std::vector<std::string> t;
    if (ta.is_object() && tb.is_object()) {
      field_changes(ta, tb, "", &t);
    } else {
      t.push_back(short_json(ta) + " -> " + short_json(tb));
    }
    for (const auto& l : t) out->push_back(id + ", trigger: " + l);
  }
  for (const char* k : {"name", "enabled", "description"}) {
    if (member(a, k) != member(b, k)) {
      out->push_back(id + ": " + k + " " + readable(k, member(a, k)) + " -> " + readable(k, member(b, k)));
    }
  }
  std::map<std::string, FlatStep> sa, sb;
  size_t oa = 0, ob = 0;
  flatten(member(a, "steps"), "", "steps", &sa, &oa);
  flatten(member(b, "steps"), "", "steps", &sb, &ob);
  // In the edited version's order: new and changed steps, then those gone.
  std::vector<std::pair<size_t, std::string>> order;
  for (const auto& [sid, f] : sb) order.emplace_back(f.order, sid);
  std::sort(order.begin(), order.end());
  for (const auto& [n, sid] : order) {
    const FlatStep& fb = sb.at(sid);
    std::string kind = step_kind(fb.fields);
    std::string name = id + ", step " + sid + (kind.empty() ? "" : " (" + kind + ")");
    auto it = sa.find(sid);
    if (it == sa.end()) {
      out->push_back(name + ": new, " + step_summary(fb.fields) + ", at " + fb.place);
      continue;
    }
    fields.clear();
    field_changes(it->second.fields, fb.fields, "", &fields);
    for (const auto& l : fields) out->push_back(name + ": " + l);
    if (it->second.place != fb.place) out->push_back(name + ": moved from " + it->second.place + " to " + fb.place);
  }
  for (const auto& [sid, f] : sa) {
    if (!sb.count(sid)) out->push_back(id + ", step " + sid + ": removed (" + step_summary(f.fields) + ")");
  }
}

// Named parts (templates, tables): added, removed, changed, by name.
void diff_named(const char* what, const Json& a, const Json& b, std::vector<std::string>* out) {
  if (a == b) return;
  auto names = [](const Json& o) {
    std::map<std::string, const Json*> m;
    if (o.is_object()) {
      for (auto it = o.begin(); it != o.end(); ++it) m[it.key()] = &it.value();
    } else if (o.is_array()) {
      for (const auto& x : o) m[text_of(member(x, "name"))] = &x;
    }
    return m;
  };
  auto ma = names(a), mb = names(b);
  for (const auto& [n, v] : mb) {
    auto it = ma.find(n);
    if (it == ma.end()) {
      out->push_back(std::string(what) + " " + n + ": new");
    } else if (*it->second != *v) {
      out->push_back(std::string(what) + " " + n + ": changed");
    }
  }
  for (const auto& [n, v] : ma) {
    if (!mb.count(n)) out->push_back(std::string(what) + " " + n + ": removed");
  }
}

}  // namespace

std::vector<std::string> bundle_diff(const Json& before, const Json& after) {
  std::vector<std::string> out;
  std::map<std::string, const Json*> wa;
  const Json& la = member(before, "workflows");
  const Json& lb = member(after, "workflows");
  if (la.is_array()) {
    for (const auto& w : la) wa[text_of(member(w, "id"))] = &w;
  }
  std::set<std::string> seen;
  if (lb.is_array()) {
    for (const auto& w : lb) {
      std::string id = text_of(member(w, "id"));
      seen.insert(id);
      auto it = wa.find(id);
      if (it == wa.end()) {
        out.push_back("workflow " + id + ": new");
      } else {
        diff_workflow(*it->second, w, &out);
      }
    }
  }
  for (const auto& [id, w] : wa) {
    if (!seen.count(id)) out.push_back("workflow " + id + ": removed");
  }
  diff_named("template", member(before, "templates"), member(after, "templates"), &out);
  diff_named("table", member(before, "tables"), member(after, "tables"), &out);
  diff_named("test", member(before, "tests"), member(after, "tests"), &out);
  std::set<std::string> keys;
  for (const Json* d : {&before, &after}) {
    if (!d->is_object()) continue;
    for (auto it = d->begin(); it != d->end(); ++it) keys.insert(it.key());
  }
  for (const auto& k : keys) {
    if (k == "workflows" || k == "templates" || k == "tables" || k == "tests" || k == "samples") continue;
    const Json& va = member(before, k.c_str());
    const Json& vb = member(after, k.c_str());
    if (va != vb) out.push_back(k + ": " + readable(k, va) + " -> " + readable(k, vb));
  }
  return out;
}

}  // namespace shopflow::studio
