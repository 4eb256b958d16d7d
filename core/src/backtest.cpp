// Comparisons of two sides' runs and effects, and the backtest of a bundle on production's events.
#include "shopflow/backtest.hpp"

#include <algorithm>
#include <limits>

#include "shopflow/engine.hpp"
#include "shopflow/simulator.hpp"

#define XXH_INLINE_ALL
#include <simdjson.h>
#include <xxhash.h>

namespace shopflow {

// [SECTION] records

RunRecord run_record(const RunRow& row) {
  RunRow copy = row;
  return run_record(std::move(copy));
}

RunRecord run_record(RunRow&& row) {
  RunRecord r;
  r.id = std::move(row.id);
  r.workflow = std::move(row.workflow);
  r.event_id = std::move(row.event_id);
  r.status = std::move(row.status);
  r.error = std::move(row.error);
  r.error_step = std::move(row.error_step);
  r.started = row.started;
  r.updated = row.updated;
  r.steps = std::move(row.steps);
  return r;
}

EffectRecord effect_record(const EffectRow& row) {
  EffectRecord e;
  e.id = row.id;
  e.run_id = row.run_id;
  e.path = row.path;
  e.type = row.type;
  e.params = row.params;
  e.created = row.created;
  return e;
}

namespace {

// The names a member may have (the first is the one errors name). A plain pair, not an
// initializer_list: the lists below are kept in tables, where an initializer_list's array
// would not outlive the table's initializer.
struct Keys {
  const char* first;
  const char* second = nullptr;
};

// A text member: the first of `keys` present, as text; "" when none is (or it is null).
Result<std::string> text_member(const Json& o, Keys keys, bool required, const char* what) {
  for (const char* k : {keys.first, keys.second}) {
    if (!k) continue;
    auto it = o.find(k);
    if (it == o.end() || it->is_null()) continue;
    if (!it->is_string()) return Error{std::string(what) + ": \"" + k + "\" is not text", std::string("/") + k, 0, 0};
    return it->get<std::string>();
  }
  if (required) return Error{std::string(what) + " has no \"" + keys.first + "\"", "", 0, 0};
  return std::string();
}

// A time member: the first of `keys` present, as RFC 3339 text or milliseconds; 0 when none is.
Result<Millis> time_member(const Json& o, Keys keys, const char* what) {
  for (const char* k : {keys.first, keys.second}) {
    if (!k) continue;
    auto it = o.find(k);
    if (it == o.end() || it->is_null()) continue;
    if (it->is_number_integer()) return it->get<Millis>();
    if (!it->is_string()) return Error{std::string(what) + ": \"" + k + "\" is not a time", std::string("/") + k, 0, 0};
    auto t = parse_instant(it->get_ref<const std::string&>());
    if (!t) return Error{std::string(what) + ": \"" + k + "\": " + t.error().message, std::string("/") + k, 0, 0};
    return t.value();
  }
  return Millis{0};
}

}  // namespace

Result<RunRecord> run_record(const Json& run) {
  if (!run.is_object()) return Error{"a run is not a JSON object", "", 0, 0};
  RunRecord r;
  auto id = text_member(run, {"id"}, true, "a run");
  if (!id) return id.error();
  r.id = std::move(id.value());
  auto wf = text_member(run, {"workflow"}, false, "a run");
  if (!wf) return wf.error();
  r.workflow = wf.value().empty() ? std::string(workflow_of_run(r.id)) : std::move(wf.value());
  for (auto [field, keys] : {std::pair<std::string*, Keys>{&r.event_id, {"event_id", "event"}},
                             {&r.status, {"status"}},
                             {&r.error, {"error"}},
                             {&r.error_step, {"error_step"}}}) {
    auto t = text_member(run, keys, false, "a run");
    if (!t) return t.error();
    *field = std::move(t.value());
  }
  auto started = time_member(run, {"started"}, "a run");
  if (!started) return started.error();
  r.started = started.value();
  auto updated = time_member(run, {"updated"}, "a run");
  if (!updated) return updated.error();
  r.updated = updated.value();
  if (auto it = run.find("steps"); it != run.end() && it->is_array() && !it->empty()) r.steps = json_text(*it);
  return r;
}

namespace {

namespace od = simdjson::ondemand;

// A text member read on demand: false when it is of another type; `present` false for null.
bool text_of(od::value& v, std::string& out, bool* present = nullptr) {
  od::json_type type;
  if (v.type().get(type)) return false;
  if (present) *present = type != od::json_type::null;
  if (type == od::json_type::null) return true;
  std::string_view sv;
  if (type != od::json_type::string || v.get_string().get(sv)) return false;
  out.assign(sv);
  return true;
}

// A time member read on demand: RFC 3339 text or milliseconds; `present` false for null.
bool time_of(od::value& v, Millis& out, bool* present = nullptr) {
  od::json_type type;
  if (v.type().get(type)) return false;
  if (present) *present = type != od::json_type::null;
  if (type == od::json_type::null) return true;
  if (type == od::json_type::number) return !v.get_int64().get(out);
  std::string_view sv;
  if (type != od::json_type::string || v.get_string().get(sv)) return false;
  auto t = parse_instant(sv);
  if (!t) return false;
  out = t.value();
  return true;
}

// An object or array member as its text, trailing blanks left out; false for other types.
bool raw_of(od::value& v, std::string& out) {
  od::json_type type;
  if (v.type().get(type)) return false;
  std::string_view raw;
  if (type == od::json_type::object) {
    od::object o;
    if (v.get_object().get(o) || o.raw_json().get(raw)) return false;
  } else if (type == od::json_type::array) {
    od::array a;
    if (v.get_array().get(a) || a.raw_json().get(raw)) return false;
  } else {
    return false;
  }
  const size_t end = raw.find_last_not_of(" \t\r\n");
  if (end == std::string_view::npos) return false;
  out.assign(raw.substr(0, end + 1));
  return true;
}

// The text in a buffer the on-demand parser may read past its end (SIMDJSON_PADDING bytes).
const std::string& padded(std::string_view text) {
  thread_local std::string buffer;
  buffer.assign(text);
  buffer.append(simdjson::SIMDJSON_PADDING, ' ');
  return buffer;
}

// The text as one JSON object (give or take blanks around it) on `parser`, or false.
bool open_object(od::parser& parser, std::string_view text, od::document& doc, od::object& object) {
  const size_t first = text.find_first_not_of(" \t\r\n"), last = text.find_last_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{' || text[last] != '}') return false;
  const std::string& buffer = padded(text);
  return !parser.iterate(buffer.data(), text.size(), buffer.size()).get(doc) && !doc.get_object().get(object);
}

// Which of `keys` a member is, its value in `v`: its index; kSkip for another key, kStop where
// the fast reading gives up (a key twice, which nlohmann reads as the last; a parse error).
// `seen` marks the keys met so far.
constexpr int kSkip = -1, kStop = -2;
template <size_t N>
int member(simdjson::simdjson_result<od::field>& field, const std::string_view (&keys)[N], unsigned& seen, od::value& v) {
  static_assert(N <= 32);
  std::string_view key;
  if (field.unescaped_key().get(key) || field.value().get(v)) return kStop;
  size_t k = 0;
  while (k < N && keys[k] != key) ++k;
  if (k == N) return kSkip;  // skipped over by the next field
  if (seen & (1u << k)) return kStop;
  seen |= 1u << k;
  return static_cast<int>(k);
}

// One run read from its text by simdjson's on-demand parser; nullopt where the text needs the
// full reading (an error to name, a key twice, a member of an unexpected type). Members it does
// not take are skipped over, not checked: the text is the runner's own writing.
std::optional<RunRecord> run_record_fast(std::string_view text) {
  thread_local od::parser parser;
  od::document doc;
  od::object object;
  if (!open_object(parser, text, doc, object)) return {};
  static constexpr std::string_view kKeys[] = {"id", "workflow", "event_id", "event", "status", "error",
                                               "error_step", "started", "updated", "steps"};
  RunRecord r;
  std::string event;  // "event", taken when "event_id" is absent or null
  bool has_event_id = false;
  unsigned seen = 0;
  for (auto field : object) {
    od::value v;
    const int k = member(field, kKeys, seen, v);
    if (k == kSkip) continue;
    if (k == kStop) return {};
    bool ok = true;
    switch (k) {
      case 0: ok = text_of(v, r.id); break;
      case 1: ok = text_of(v, r.workflow); break;
      case 2: ok = text_of(v, r.event_id, &has_event_id); break;
      case 3: ok = text_of(v, event); break;
      case 4: ok = text_of(v, r.status); break;
      case 5: ok = text_of(v, r.error); break;
      case 6: ok = text_of(v, r.error_step); break;
      case 7: ok = time_of(v, r.started); break;
      case 8: ok = time_of(v, r.updated); break;
      default: {  // steps: kept as text when a non-empty array
        od::json_type type;
        if (v.type().get(type)) return {};
        if (type != od::json_type::array) break;
        if (!raw_of(v, r.steps)) return {};
        if (r.steps.find_first_not_of(" \t\r\n", 1) == r.steps.size() - 1) r.steps.clear();  // []
      }
    }
    if (!ok) return {};
  }
  if (r.id.empty()) return {};
  if (!has_event_id) r.event_id = std::move(event);
  if (r.workflow.empty()) r.workflow = std::string(workflow_of_run(r.id));
  return r;
}

// The effects of a /v1/effects page read on demand; nullopt as for run_record_fast.
std::optional<std::vector<EffectRecord>> effect_page_fast(std::string_view text) {
  thread_local od::parser parser;
  od::document doc;
  od::object page;
  if (!open_object(parser, text, doc, page)) return {};
  static constexpr std::string_view kList[] = {"effects"};
  static constexpr std::string_view kKeys[] = {"id", "run_id", "run", "path", "step", "type", "created", "time", "params"};
  std::vector<EffectRecord> out;
  unsigned listed = 0;
  for (auto field : page) {
    od::value list;
    const int which = member(field, kList, listed, list);
    if (which == kSkip) continue;
    od::array items;
    if (which == kStop || list.get_array().get(items)) return {};
    for (auto item : items) {
      od::object o;
      if (item.get_object().get(o)) return {};
      EffectRecord e;
      std::string run, step;
      Millis time = 0;
      bool has_run_id = false, has_path = false, has_created = false;
      unsigned seen = 0;
      for (auto f : o) {
        od::value v;
        const int k = member(f, kKeys, seen, v);
        if (k == kSkip) continue;
        if (k == kStop) return {};
        bool ok = true;
        switch (k) {
          case 0: ok = text_of(v, e.id); break;
          case 1: ok = text_of(v, e.run_id, &has_run_id); break;
          case 2: ok = text_of(v, run); break;
          case 3: ok = text_of(v, e.path, &has_path); break;
          case 4: ok = text_of(v, step); break;
          case 5: ok = text_of(v, e.type); break;
          case 6: ok = time_of(v, e.created, &has_created); break;
          case 7: ok = time_of(v, time); break;
          default: ok = raw_of(v, e.params); break;  // an object or array; anything else is read in full
        }
        if (!ok) return {};
      }
      if (e.id.empty() || e.type.empty()) return {};
      if (!has_run_id) e.run_id = std::move(run);
      if (!has_path) e.path = std::move(step);
      if (!has_created) e.created = time;
      if (!(seen & (1u << 8))) e.params = "null";
      out.push_back(std::move(e));
    }
  }
  if (!listed) return {};
  return out;
}

}  // namespace

Result<std::vector<EffectRecord>> effect_page_text(std::string_view text) {
  if (auto fast = effect_page_fast(text)) return std::move(*fast);
  auto page = parse_json(text, "GET /v1/effects");
  if (!page) return page.error();
  const Json& list = page.value().is_object() && page.value().contains("effects") ? page.value()["effects"] : Json();
  if (!list.is_array()) return Error{"the runner's /v1/effects answer has no effects list", "/effects", 0, 0};
  std::vector<EffectRecord> out;
  out.reserve(list.size());
  for (const Json& item : list) {
    auto e = effect_record(item);
    if (!e) return Error{"an effect of /v1/effects: " + e.error().to_string(), "", 0, 0};
    out.push_back(std::move(e.value()));
  }
  return out;
}

Result<RunRecord> run_record_text(std::string_view text) {
  if (auto fast = run_record_fast(text)) return std::move(*fast);
  auto parsed = parse_json(text, "a run");
  if (!parsed) return parsed.error();
  return run_record(parsed.value());
}

Result<EffectRecord> effect_record(const Json& effect) {
  if (!effect.is_object()) return Error{"an effect is not a JSON object", "", 0, 0};
  EffectRecord e;
  for (auto [field, keys, required] :
       {std::tuple<std::string*, Keys, bool>{&e.id, {"id"}, true},
        {&e.run_id, {"run_id", "run"}, false},
        {&e.path, {"path", "step"}, false},
        {&e.type, {"type"}, true}}) {
    auto t = text_member(effect, keys, required, "an effect");
    if (!t) return t.error();
    *field = std::move(t.value());
  }
  auto created = time_member(effect, {"created", "time"}, "an effect");
  if (!created) return created.error();
  e.created = created.value();
  auto it = effect.find("params");
  e.params = it == effect.end() ? "null" : json_text(*it);
  return e;
}

// [SECTION] differences

const char* to_string(DiffKind kind) {
  switch (kind) {
    case DiffKind::RunAdded: return "run added";
    case DiffKind::RunRemoved: return "run removed";
    case DiffKind::RunStatus: return "run ends differently";
    case DiffKind::DecisionFlipped: return "decision flipped";
    case DiffKind::EffectAdded: return "effect added";
    case DiffKind::EffectRemoved: return "effect removed";
    case DiffKind::EffectChanged: return "effect changed";
    case DiffKind::EffectMoved: return "effect moved";
  }
  return "?";
}

namespace {

// JSON text cut to about `max` bytes (at a character boundary), marked with "…".
std::string short_json(const Json& j, size_t max = 240) {
  std::string s = json_text(j);
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "…";
}

}  // namespace

std::string describe(const Difference& d) {
  auto text = [](const Json& j) { return j.is_string() ? j.get<std::string>() : json_text(j); };
  switch (d.kind) {
    case DiffKind::RunAdded: return "new run " + d.run + " (" + text(d.after) + ")";
    case DiffKind::RunRemoved: return "run " + d.run + " no longer starts (was " + text(d.before) + ")";
    case DiffKind::RunStatus: return "run " + d.run + ": " + text(d.before) + " -> " + text(d.after);
    case DiffKind::DecisionFlipped: {
      std::string s = "decision flipped in " + d.run + " at " + d.step + ": " + json_text(d.before) + " -> " +
                      json_text(d.after);
      if (!d.condition_before.is_null() || !d.seen_before.is_null()) {
        s += " (" + json_text(d.condition_before);
        if (d.seen_before.is_object() && !d.seen_before.empty()) s += " saw " + json_text(d.seen_before);
        if (d.condition_after != d.condition_before) s += "; now " + json_text(d.condition_after);
        if (d.seen_after != d.seen_before && d.seen_after.is_object() && !d.seen_after.empty()) {
          s += " sees " + json_text(d.seen_after);
        }
        s += ")";
      }
      return s;
    }
    case DiffKind::EffectAdded: return "+ " + d.type + " (" + d.effect + ") " + short_json(d.after);
    case DiffKind::EffectRemoved: return "- " + d.type + " (" + d.effect + ") " + short_json(d.before);
    case DiffKind::EffectChanged: {
      std::string s = "~ " + d.type + " (" + d.effect + ") changes";
      // The params that changed, each side's value.
      s += ":";
      for (const std::string& p : d.changed) {
        auto at = [&](const Json& j) {
          try {
            auto ptr = Json::json_pointer(p);
            return j.contains(ptr) ? short_json(j.at(ptr), 160) : std::string("(none)");
          } catch (const Json::exception&) {
            return std::string("?");
          }
        };
        s += " " + (p.empty() ? std::string("(all)") : p) + " " + at(d.before) + " -> " + at(d.after);
      }
      return s;
    }
    case DiffKind::EffectMoved:
      return "~ " + d.type + " moves from " + text(d.before) + " to " + text(d.after) + " (" + d.effect + ")";
  }
  return "";
}

Json to_json(const Difference& d) {
  Json o = Json::object();
  o["kind"] = to_string(d.kind);
  o["workflow"] = d.workflow;
  o["run"] = d.run;
  if (!d.step.empty()) o["step"] = d.step;
  if (!d.effect.empty()) o["effect"] = d.effect;
  if (!d.type.empty()) o["type"] = d.type;
  o["before"] = d.before;
  o["after"] = d.after;
  if (d.kind == DiffKind::DecisionFlipped) {
    o["condition_before"] = d.condition_before;
    o["condition_after"] = d.condition_after;
    o["seen_before"] = d.seen_before;
    o["seen_after"] = d.seen_after;
  }
  if (!d.changed.empty()) o["changed"] = d.changed;
  return o;
}

bool ComparisonReport::differs() const {
  return std::any_of(workflows.begin(), workflows.end(), [](const WorkflowDiff& w) { return w.differs(); });
}

WorkflowDiff ComparisonReport::total() const {
  WorkflowDiff t;
  for (const WorkflowDiff& w : workflows) {
    t.runs_before += w.runs_before;
    t.runs_after += w.runs_after;
    t.runs_added += w.runs_added;
    t.runs_removed += w.runs_removed;
    t.status_changed += w.status_changed;
    t.decisions_flipped += w.decisions_flipped;
    t.effects_before += w.effects_before;
    t.effects_after += w.effects_after;
    t.effects_added += w.effects_added;
    t.effects_removed += w.effects_removed;
    t.effects_changed += w.effects_changed;
    t.effects_moved += w.effects_moved;
  }
  return t;
}

namespace {

Json counts_json(const WorkflowDiff& w) {
  Json o = Json::object();
  if (!w.workflow.empty()) o["workflow"] = w.workflow;
  o["runs"] = {{"before", w.runs_before}, {"after", w.runs_after}, {"added", w.runs_added},
               {"removed", w.runs_removed}, {"status_changed", w.status_changed}};
  o["decisions_flipped"] = w.decisions_flipped;
  o["effects"] = {{"before", w.effects_before}, {"after", w.effects_after}, {"added", w.effects_added},
                  {"removed", w.effects_removed}, {"changed", w.effects_changed}, {"moved", w.effects_moved}};
  o["differs"] = w.differs();
  return o;
}

}  // namespace

Json ComparisonReport::to_json(bool with_details) const {
  Json o = Json::object();
  o["differs"] = differs();
  o["total"] = counts_json(total());
  Json wfs = Json::array();
  for (const WorkflowDiff& w : workflows) wfs.push_back(counts_json(w));
  o["workflows"] = std::move(wfs);
  if (with_details) {
    Json ds = Json::array();
    for (const Difference& d : details) ds.push_back(shopflow::to_json(d));
    o["details"] = std::move(ds);
    o["details_left_out"] = details_left_out;
  }
  return o;
}

// [SECTION] comparison

namespace {

constexpr size_t kNpos = std::string_view::npos;

// Where the JSON string starting at `p` (just after its opening quote) ends: just after its
// closing quote, or npos.
size_t string_end(std::string_view s, size_t p) {
  while (p < s.size()) {
    if (s[p] == '\\') {
      p += 2;
    } else if (s[p] == '"') {
      return p + 1;
    } else {
      ++p;
    }
  }
  return kNpos;
}

// Whether two JSON texts written the same way are the same but for the text values of members
// named "time" (when a step ran: production ran it when it got to it, a simulation when the
// event was received). Inside a JSON string every quote is escaped, so `"time":"` is a member.
bool same_but_times(std::string_view a, std::string_view b) {
  static constexpr std::string_view kTime = "\"time\":\"";
  size_t i = 0, j = 0;
  for (;;) {
    const size_t x = a.find(kTime, i), y = b.find(kTime, j);
    if (a.substr(i, x == kNpos ? kNpos : x - i) != b.substr(j, y == kNpos ? kNpos : y - j)) return false;
    if (x == kNpos || y == kNpos) return x == y;
    i = string_end(a, x + kTime.size());
    j = string_end(b, y + kTime.size());
    if (i == kNpos || j == kNpos) return false;
  }
}

// The JSON Logic rule a verdict tree shows ({"op", "children"}, {"var"}, {"value"}); an
// iterator's per-item argument, which the tree keeps only as iterations, reads "…".
Json rule_of_tree(const Json& t) {
  if (!t.is_object()) return Json();
  if (auto v = t.find("var"); v != t.end()) return Json{{"var", *v}};
  if (auto v = t.find("value"); v != t.end()) return *v;
  if (t.contains("iterations")) return "…";
  auto op = t.find("op");
  if (op == t.end() || !op->is_string()) return Json();
  if (*op == "rule" && t.contains("rule")) return Json{{"rule", t["rule"]}};
  Json args = Json::array();
  if (auto c = t.find("children"); c != t.end() && c->is_array()) {
    for (const Json& child : *c) args.push_back(rule_of_tree(child));
  }
  return Json{{op->get<std::string>(), std::move(args)}};
}

// The variables a verdict tree read, with their values (not those read per item of an
// iterator, nor those short-circuiting skipped).
void seen_in_tree(const Json& t, Json& out) {
  if (!t.is_object() || t.contains("skipped") || t.contains("iterations")) return;
  if (auto v = t.find("var"); v != t.end()) {
    if (auto r = t.find("result"); r != t.end()) out[v->is_string() ? v->get<std::string>() : json_text(*v)] = *r;
    return;
  }
  if (auto c = t.find("children"); c != t.end() && c->is_array()) {
    for (const Json& child : *c) seen_in_tree(child, out);
  }
  if (auto c = t.find("child"); c != t.end()) seen_in_tree(*c, out);
}

// The JSON Pointers at which two values differ (a few at most).
void differing(const Json& a, const Json& b, const std::string& at, std::vector<std::string>& out) {
  constexpr size_t kMax = 20;
  if (out.size() >= kMax || a == b) return;
  if (a.is_object() && b.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto o = b.find(it.key());
      if (o == b.end()) {
        if (out.size() < kMax) out.push_back(pointer_join(at, it.key()));
      } else {
        differing(it.value(), *o, pointer_join(at, it.key()), out);
      }
    }
    for (auto it = b.begin(); it != b.end(); ++it) {
      if (!a.contains(it.key()) && out.size() < kMax) out.push_back(pointer_join(at, it.key()));
    }
    return;
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i) differing(a[i], b[i], pointer_join(at, i), out);
    return;
  }
  out.push_back(at);  // "" for the whole value
}

Json parsed_or_text(const std::string& text) {
  if (text.empty()) return Json();
  auto j = parse_json(text, "a record");
  return j ? std::move(j.value()) : Json(text);
}

std::uint64_t id_hash(std::string_view id) { return XXH3_64bits(id.data(), id.size()); }

}  // namespace

template <class Record>
Record* Comparison::Waiting<Record>::find(std::uint64_t hash, const std::string& id) {
  Map& map = shard(hash);
  auto it = map.find(hash);
  if (it == map.end()) return nullptr;
  if (it->second.id == id) return &it->second;
  if (clash_.empty()) return nullptr;
  auto c = clash_.find(id);
  return c == clash_.end() ? nullptr : &c->second;
}

template <class Record>
void Comparison::Waiting<Record>::put(std::uint64_t hash, Record&& record) {
  auto [it, fresh] = shard(hash).try_emplace(hash);
  if (fresh || it->second.id == record.id) {
    count_ += fresh;
    it->second = std::move(record);
    return;
  }
  std::string id = record.id;
  clash_.insert_or_assign(std::move(id), std::move(record));
}

template <class Record>
void Comparison::Waiting<Record>::erase(std::uint64_t hash, const std::string& id) {
  Map& map = shard(hash);
  auto it = map.find(hash);
  if (it != map.end() && it->second.id == id) {
    map.erase(it);
    --count_;
    // A clashing id waits on: it takes the place of the one that held its hash.
    for (auto c = clash_.begin(); c != clash_.end(); ++c) {
      if (id_hash(c->first) != hash) continue;
      map.emplace(hash, std::move(c->second));
      ++count_;
      clash_.erase(c);
      break;
    }
    return;
  }
  clash_.erase(id);
}

template <class Record>
bool Comparison::Waiting<Record>::take(Record* out) {
  // From the shard the last take stopped at (a record put since may be in an earlier one).
  for (int pass = 0; pass < 2 && count_ > 0; ++pass, take_from_ = 0) {
    for (; take_from_ < by_hash_.size(); ++take_from_) {
      Map& map = by_hash_[take_from_];
      if (map.empty()) continue;
      auto it = map.begin();
      *out = std::move(it->second);
      map.erase(it);
      --count_;
      return true;
    }
  }
  if (clash_.empty()) return false;
  auto it = clash_.begin();
  *out = std::move(it->second);
  clash_.erase(it);
  return true;
}

Comparison::Comparison(Options options) : options_(options) {}

WorkflowDiff& Comparison::wf(std::string_view workflow) {
  // Records come in runs of one workflow: the last one found is tried first.
  if (last_wf_ < report_.workflows.size() && report_.workflows[last_wf_].workflow == workflow) {
    return report_.workflows[last_wf_];
  }
  std::string name(workflow);
  auto it = index_.find(name);
  if (it != index_.end()) {
    last_wf_ = it->second;
    return report_.workflows[it->second];
  }
  last_wf_ = report_.workflows.size();
  index_.emplace(name, last_wf_);
  report_.workflows.push_back(WorkflowDiff{});
  report_.workflows.back().workflow = std::move(name);
  return report_.workflows.back();
}

void Comparison::name_workflow(const std::string& workflow) { (void)wf(workflow); }

void Comparison::add(Difference&& d) {
  if (report_.details.size() < options_.max_details) {
    report_.details.push_back(std::move(d));
  } else {
    ++report_.details_left_out;
  }
}

void Comparison::add_run(Side side, RunRecord&& run) {
  const int s = side == Side::Before ? 0 : 1;
  WorkflowDiff& w = wf(run.workflow);
  ++(s == 0 ? w.runs_before : w.runs_after);
  const std::uint64_t h = id_hash(run.id);
  RunRecord* other = runs_[1 - s].find(h, run.id);
  if (!other) {
    runs_[s].put(h, std::move(run));
    return;
  }
  if (s == 0) {
    compare_runs(run, *other);
  } else {
    compare_runs(*other, run);
  }
  runs_[1 - s].erase(h, run.id);
}

void Comparison::compare_runs(const RunRecord& a, const RunRecord& b) {
  if (a.status != b.status) {
    ++wf(b.workflow).status_changed;
    Difference d;
    d.kind = DiffKind::RunStatus;
    d.workflow = b.workflow;
    d.run = b.id;
    d.before = a.status;
    d.after = b.status;
    if (!b.error.empty()) d.after = b.status + ": " + b.error;
    if (!a.error.empty()) d.before = a.status + ": " + a.error;
    add(std::move(d));
  }
  if (a.steps == b.steps || same_but_times(a.steps, b.steps)) return;
  // Decisions: the same step path with another verdict.
  const Json sa = parsed_or_text(a.steps), sb = parsed_or_text(b.steps);
  if (!sa.is_array() || !sb.is_array()) return;
  std::unordered_map<std::string, const Json*> decided;
  for (const Json& s : sa) {
    if (s.is_object() && s.contains("verdict")) decided.emplace(s.value("path", std::string()), &s);
  }
  for (const Json& s : sb) {
    if (!s.is_object() || !s.contains("verdict")) continue;
    auto it = decided.find(s.value("path", std::string()));
    if (it == decided.end() || (*it->second)["verdict"] == s["verdict"]) continue;
    const Json& before = *it->second;
    ++wf(b.workflow).decisions_flipped;
    Difference d;
    d.kind = DiffKind::DecisionFlipped;
    d.workflow = b.workflow;
    d.run = b.id;
    d.step = it->first;
    d.before = before["verdict"];
    d.after = s["verdict"];
    d.seen_before = Json::object();
    d.seen_after = Json::object();
    if (auto e = before.find("explanation"); e != before.end()) {
      d.condition_before = rule_of_tree(*e);
      seen_in_tree(*e, d.seen_before);
    }
    if (auto e = s.find("explanation"); e != s.end()) {
      d.condition_after = rule_of_tree(*e);
      seen_in_tree(*e, d.seen_after);
    }
    add(std::move(d));
  }
}

void Comparison::add_effect(Side side, EffectRecord&& e) {
  const int s = side == Side::Before ? 0 : 1;
  WorkflowDiff& w = wf(workflow_of_run(e.run_id));
  ++(s == 0 ? w.effects_before : w.effects_after);
  const std::uint64_t h = id_hash(e.id);
  EffectRecord* other = effects_[1 - s].find(h, e.id);
  if (!other) {
    effects_[s].put(h, std::move(e));
    return;
  }
  if (s == 0) {
    compare_effects(e, *other);
  } else {
    compare_effects(*other, e);
  }
  effects_[1 - s].erase(h, e.id);
}

void Comparison::compare_effects(const EffectRecord& a, const EffectRecord& b) {
  if (a.params == b.params && (!options_.compare_times || a.created == b.created)) return;  // the same: most are
  const std::string workflow(workflow_of_run(b.run_id));
  if (a.params != b.params) {
    Json pa = parsed_or_text(a.params), pb = parsed_or_text(b.params);
    if (pa != pb || a.type != b.type) {
      ++wf(workflow).effects_changed;
      Difference d;
      d.kind = DiffKind::EffectChanged;
      d.workflow = workflow;
      d.run = b.run_id;
      d.step = b.path;
      d.effect = b.id;
      d.type = b.type;
      differing(pa, pb, "", d.changed);
      d.before = std::move(pa);
      d.after = std::move(pb);
      add(std::move(d));
      return;
    }
  }
  if (options_.compare_times && a.created != b.created) {
    ++wf(workflow).effects_moved;
    Difference d;
    d.kind = DiffKind::EffectMoved;
    d.workflow = workflow;
    d.run = b.run_id;
    d.step = b.path;
    d.effect = b.id;
    d.type = b.type;
    d.before = format_instant(a.created);
    d.after = format_instant(b.created);
    add(std::move(d));
  }
}

namespace {

// Takes up to `items` records out of `left` (one side's records without a counterpart),
// counting each with `count`, which says whether it is reported at all. The first `room` by id
// are kept in `kept`, a heap whose top is the greatest id kept, so the details are those a full
// sort would have listed; the others are counted as left out and freed at once. Adds the records
// taken to `*done`; true when `left` is empty.
template <class Left, class T, class Count>
bool take_left(Left& left, size_t items, size_t* done, size_t room, std::vector<T>& kept, size_t* left_out, Count count) {
  auto by_id = [](const T& x, const T& y) { return x.id < y.id; };
  T record;
  while (*done < items && left.take(&record)) {
    ++*done;
    if (!count(record)) continue;
    if (kept.size() < room || (room > 0 && record.id < kept.front().id)) {
      kept.push_back(std::move(record));
      std::push_heap(kept.begin(), kept.end(), by_id);
      if (kept.size() > room) {
        std::pop_heap(kept.begin(), kept.end(), by_id);
        kept.pop_back();
        ++*left_out;
      }
    } else {
      ++*left_out;
    }
  }
  if (left.size() > 0) return false;
  std::sort_heap(kept.begin(), kept.end(), by_id);
  return true;
}

}  // namespace

void Comparison::finish() {
  while (!finish_some(SIZE_MAX)) {
  }
}

bool Comparison::finish_some(size_t items) {
  if (finished_) return true;
  // What is left has no counterpart; reported in a stable order (by id), runs first: each
  // side's runs, then each side's effects, a piece at a time.
  size_t done = 0;
  auto room = [this] { return options_.max_details - std::min(options_.max_details, report_.details.size()); };
  for (; finish_stage_ < 2; ++finish_stage_) {
    const int s = finish_stage_;
    auto count = [&](const RunRecord& r) {
      WorkflowDiff& w = wf(r.workflow);
      ++(s == 0 ? w.runs_removed : w.runs_added);
      return true;
    };
    std::vector<RunRecord>& kept = runs_kept_;
    if (!take_left(runs_[s], items, &done, room(), kept, &report_.details_left_out, count)) return false;
    for (RunRecord& r : kept) {
      Difference d;
      d.kind = s == 0 ? DiffKind::RunRemoved : DiffKind::RunAdded;
      d.workflow = r.workflow;
      d.run = r.id;
      (s == 0 ? d.before : d.after) = r.status;
      report_.details.push_back(std::move(d));
    }
    kept.clear();
  }
  for (; finish_stage_ < 4; ++finish_stage_) {
    const int s = finish_stage_ - 2;
    auto count = [&](const EffectRecord& e) {
      WorkflowDiff& w = wf(workflow_of_run(e.run_id));
      if (s == 0 && keep_ && !keep_(e.run_id)) {
        --w.effects_before;  // its run is not compared
        return false;
      }
      ++(s == 0 ? w.effects_removed : w.effects_added);
      return true;
    };
    std::vector<EffectRecord>& kept = effects_kept_;
    if (!take_left(effects_[s], items, &done, room(), kept, &report_.details_left_out, count)) return false;
    for (EffectRecord& e : kept) {
      Difference d;
      d.kind = s == 0 ? DiffKind::EffectRemoved : DiffKind::EffectAdded;
      d.workflow = std::string(workflow_of_run(e.run_id));
      d.run = e.run_id;
      d.step = e.path;
      d.effect = e.id;
      d.type = e.type;
      (s == 0 ? d.before : d.after) = parsed_or_text(e.params);
      report_.details.push_back(std::move(d));
    }
    kept.clear();
  }
  finished_ = true;
  // Details by workflow (in the summary's order), then run, then kind: what one run does differently together.
  std::stable_sort(report_.details.begin(), report_.details.end(), [this](const Difference& x, const Difference& y) {
    const size_t wx = index_.at(x.workflow), wy = index_.at(y.workflow);
    if (wx != wy) return wx < wy;
    if (x.run != y.run) return x.run < y.run;
    return static_cast<int>(x.kind) < static_cast<int>(y.kind);
  });
  return true;
}

// [SECTION] recorded events

namespace {
const std::string kRecordedSource = "shopflow:recorded";
}  // namespace

Result<Event> recorded_event(const InboxRow& row) {
  auto doc = parse_json(row.body, "a recorded event");
  if (!doc) return Error{"event " + row.id + " (inbox seq " + std::to_string(row.seq) + "): " + doc.error().message, "", 0, 0};
  auto e = parse_event(std::move(doc.value()), row.id, kRecordedSource, EventLimits{SIZE_MAX, SIZE_MAX});
  if (!e) return Error{"event " + row.id + " (inbox seq " + std::to_string(row.seq) + "): " + e.error().to_string(), "", 0, 0};
  Event ev = std::move(e.value());
  if (ev.id != row.id) ev.key = row.id;
  ev.time_ms = row.received ? row.received : row.time;
  return ev;
}

Result<Event> recorded_event(Json&& line) {
  if (!line.is_object() || !line.contains("event") || !line["event"].is_object()) {
    return Error{"an event line has no \"event\" object", "/event", 0, 0};
  }
  auto received = time_member(line, {"received"}, "an event line");
  if (!received) return received.error();
  std::string key;
  if (auto k = line.find("key"); k != line.end() && k->is_string()) key = k->get<std::string>();
  auto e = parse_event(std::move(line["event"]), key, kRecordedSource, EventLimits{SIZE_MAX, SIZE_MAX});
  if (!e) return Error{"event: " + e.error().message, "/event" + e.error().pointer, 0, 0};
  Event ev = std::move(e.value());
  if (!key.empty() && key != ev.id) ev.key = key;
  if (received.value()) ev.time_ms = received.value();
  return ev;
}

// [SECTION] backtest

// The simulation's runs and effects, handed to the comparison: an effect at once, a run once it
// has finished (a waiting one at the end, as it stands then).
class Backtest::Observer final : public RunObserver {
 public:
  explicit Observer(Comparison& c) : c_(c) {}
  void run_saved(RunRow& run) override {
    if (run.status == "waiting") {
      waiting_.insert_or_assign(run.id, run);
      return;
    }
    waiting_.erase(run.id);
    c_.add_run(Comparison::Side::After, run_record(std::move(run)));
  }
  void effect_made(EffectRow& effect) override { c_.add_effect(Comparison::Side::After, effect_record(std::move(effect))); }
  void finish() {
    for (auto& [id, run] : waiting_) c_.add_run(Comparison::Side::After, run_record(std::move(run)));
    waiting_.clear();
  }

 private:
  Comparison& c_;
  std::unordered_map<std::string, RunRow> waiting_;
};

Backtest::~Backtest() = default;

Result<std::unique_ptr<Backtest>> Backtest::open(const Bundle& bundle, BacktestOptions options) {
  std::unique_ptr<Backtest> bt(new Backtest());
  bt->options_ = options;
  bt->comparison_ = Comparison(Comparison::Options{false, options.max_details});
  for (const Workflow& w : bundle.workflows) bt->comparison_.name_workflow(w.id);
  bt->observer_ = std::make_unique<Observer>(bt->comparison_);
  SimOptions so;
  so.from = options.since;
  // `until` is left out, as in the runner's API: the simulation's last moment is the one before.
  if (options.until) so.until = *options.until - 1;
  so.document = false;
  so.include_steps = true;
  so.explain = true;  // as the runner records them
  so.limits = options.limits;
  so.observer = bt->observer_.get();
  auto sim = Simulation::open_fed(bundle, std::move(so));
  if (!sim) return sim.error();
  bt->sim_ = std::move(sim.value());
  Backtest* self = bt.get();
  bt->comparison_.keep_effects_of([self](const std::string& run_id) {
    if (!self->window_sorted_) {
      std::sort(self->window_runs_.begin(), self->window_runs_.end());
      self->window_sorted_ = true;
    }
    return std::binary_search(self->window_runs_.begin(), self->window_runs_.end(), id_hash(run_id));
  });
  return bt;
}

bool Backtest::in_window(Millis t) const {
  return (!options_.since || t >= *options_.since) && (!options_.until || t < *options_.until);
}

void Backtest::add_events(std::vector<Event>&& events) {
  std::vector<Event> in;
  in.reserve(events.size());
  for (Event& e : events) {
    horizon_ = std::max(horizon_, e.time_ms);
    if (!in_window(e.time_ms)) continue;
    // The simulated clock never goes back: an event received "earlier" (the system clock was
    // set back) is simulated when the one before it was.
    if (given_ > 0 && e.time_ms < last_received_) e.time_ms = last_received_;
    last_received_ = e.time_ms;
    ++given_;
    in.push_back(std::move(e));
  }
  if (!in.empty()) (void)sim_->feed(std::move(in));  // in time order, so never refused
}

void Backtest::add_runs(std::vector<RunRecord>&& runs) {
  for (RunRecord& r : runs) {
    horizon_ = std::max(horizon_, r.updated);
    if (!in_window(r.started)) continue;
    if (options_.until && r.updated >= *options_.until) {
      // As it stood at `until`: the steps after are left out, and it had not ended yet.
      if (r.status != "waiting" && r.status != "running") r.status = "waiting";
      r.error.clear();
      r.error_step.clear();
      auto steps = parse_json(r.steps, "a run's steps");
      if (steps && steps.value().is_array()) {
        Json kept = Json::array();
        for (Json& s : steps.value()) {
          auto t = s.is_object() && s.contains("time") && s["time"].is_string()
                       ? parse_instant(s["time"].get_ref<const std::string&>())
                       : Result<Millis>(Millis{0});
          if (t && t.value() >= *options_.until) break;
          kept.push_back(std::move(s));
        }
        r.steps = kept.empty() ? std::string() : json_text(kept);
      }
    }
    window_runs_.push_back(id_hash(r.id));
    window_sorted_ = false;
    comparison_.add_run(Comparison::Side::Before, std::move(r));
  }
}

void Backtest::add_effects(std::vector<EffectRecord>&& effects) {
  for (EffectRecord& e : effects) {
    horizon_ = std::max(horizon_, e.created);
    if (options_.until && e.created >= *options_.until) continue;
    if (options_.since && e.created < *options_.since) continue;  // its run started before
    comparison_.add_effect(Comparison::Side::Before, std::move(e));
  }
}

void Backtest::end_input() {
  if (ended_) return;
  ended_ = true;
  sim_->end_feed(options_.until ? std::optional<Millis>(*options_.until - 1)
                                : std::optional<Millis>(std::max(horizon_, last_received_)));
}

size_t Backtest::events_simulated() const { return sim_->fed(); }
Millis Backtest::clock() const { return sim_->clock(); }

Result<Backtest::Did> Backtest::step(size_t units) {
  if (finished_) return Did::Finished;
  if (simulated_) {
    // What found no counterpart is reported a piece at a time: a million left over would hold
    // a caller's frame for most of a second.
    constexpr size_t kLeftPerUnit = 4096;
    if (!comparison_.finish_some(units > SIZE_MAX / kLeftPerUnit ? SIZE_MAX : units * kLeftPerUnit)) return Did::Working;
    finished_ = true;
    return Did::Finished;
  }
  for (size_t i = 0; i < units; ++i) {
    auto did = sim_->step(1024);
    if (!did) return did.error();
    switch (did.value()) {
      case Simulation::Did::Hungry: return Did::Hungry;
      case Simulation::Did::Finished:
        observer_->finish();
        simulated_ = true;
        return Did::Working;
      default: break;
    }
  }
  return Did::Working;
}

}  // namespace shopflow
