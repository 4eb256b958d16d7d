// The engine: event handling, the step interpreter, waits and timers, effects and tables.
//
// A run's position is a stack of frames (step list + index, plus the list and index of each
// enclosing foreach), stored as JSON with the run's data while it waits, so a restart resumes
// it exactly. A runtime error (template, type, limit) fails only its run: the error and the
// step path are recorded, the steps before it stand, other runs go on. Store errors abort the
// whole transaction instead.
#include "shopflow/engine.hpp"

#include <cstdlib>
#include <functional>
#include <set>
#include <unordered_map>

namespace shopflow {

namespace {

// A switch case as the coverage report names it: `case "high"` for an equals case, `case 2:
// when {...}` for a condition (cut to stay on one line).
std::string case_label(const Step& st, size_t i) {
  const SwitchCase& c = st.cases[i];
  std::string text = c.has_equals ? c.equals.dump() : c.when.source().dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return c.has_equals ? "case " + text : "case " + std::to_string(i) + ": when " + text;
}

struct Frame {
  size_t list = 0;
  size_t pc = 0;
  std::string prefix;  // step path prefix for steps of this list
  bool loop = false;   // a foreach body
  size_t step = 0;     // the foreach step (loop frames)
  Json items;          // the foreach list (loop frames)
  size_t index = 0;    // current item (loop frames)
  std::string base;    // "<foreach path>/" (loop frames)
};

Json frame_to_json(const Frame& f) {
  Json j = {{"list", f.list}, {"pc", f.pc}, {"prefix", f.prefix}};
  if (f.loop) {
    j["step"] = f.step;
    j["items"] = f.items;
    j["index"] = f.index;
    j["base"] = f.base;
  }
  return j;
}

Frame frame_from_json(const Json& j) {
  Frame f;
  f.list = j.value("list", size_t{0});
  f.pc = j.value("pc", size_t{0});
  f.prefix = j.value("prefix", std::string());
  if (j.contains("step")) {
    f.loop = true;
    f.step = j.value("step", size_t{0});
    f.items = j.value("items", Json::array());
    f.index = j.value("index", size_t{0});
    f.base = j.value("base", std::string());
  }
  return f;
}

enum class Flow { Continue, Wait, Stop, Fail };

struct RunState {
  RunRow row;
  const Workflow* wf = nullptr;
  Json ctx;                  // what steps see: event, trigger, steps, vars, now, foreach items
  std::vector<Frame> stack;
  size_t count = 0;          // steps executed so far
  int seq = 0;               // step records written so far
  int depth = 0;             // emit depth of the triggering event
  Json wait;                 // while waiting: {"step", "path", "kind"}
  std::string stored_status; // the status in the store ("" for a run not stored yet)
  bool fresh = false;        // started by an event handled only now: its id is new
  RunState() = default;
  RunState(const RunState&) = delete;
  RunState& operator=(const RunState&) = delete;
  ~RunState() { release_json(ctx); }  // a run's data is a tree of the event's size
};

const char* kind_name(StepKind k) {
  switch (k) {
    case StepKind::If: return "if";
    case StepKind::Switch: return "switch";
    case StepKind::Action: return "action";
    case StepKind::Wait: return "wait";
    case StepKind::Foreach: return "foreach";
    case StepKind::Set: return "set";
    case StepKind::Emit: return "emit";
    default: return "stop";
  }
}

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

// A set of ids that only grows: open addressing over the ids' hashes (one probe into a flat
// table per id, most of the time), the ids themselves end to end in one text. A simulation
// adds one event id per event and one effect id per effect; a node-based set cost a cache
// miss per node and per bucket, and a string per id an allocation (and a free at the end).
class IdSet {
 public:
  // Whether `id` is new; remembers it.
  bool insert(std::string_view id) {
    if ((ends_.size() + 1) * 4 > slots_.size() * 3) grow();
    const std::uint64_t h = std::hash<std::string_view>{}(id);
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.index == 0) {
        text_.append(id);
        ends_.push_back(text_.size());
        s = Slot{h, ends_.size()};
        return true;
      }
      if (s.hash == h && at(s.index - 1) == id) return false;
    }
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    size_t index = 0;  // into ends_, plus one; 0: empty
  };
  std::string_view at(size_t k) const {
    const size_t begin = k == 0 ? 0 : ends_[k - 1];
    return std::string_view(text_).substr(begin, ends_[k] - begin);
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.index == 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].index != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::string text_;          // the ids, end to end
  std::vector<size_t> ends_;  // where each ends in text_
};

}  // namespace

struct Engine::Impl {
  Bundle bundle;
  std::unique_ptr<Store> store;
  EngineOptions options;
  liquid::Options tpl;
  logic::EvalOptions eval;
  bool armed = false;
  std::vector<TableChange> changes;
  std::map<BranchKey, size_t> branches;

  // Runs by (workflow, status), kept as runs are saved: the store's figures as of the last
  // commit, plus this transaction's changes until it commits (or is dropped on a rollback).
  // The changes keep their keys between transactions (zeroed), so that counting allocates nothing.
  std::map<std::pair<std::string, std::string>, std::int64_t> counts, count_changes;
  void count(const std::string& workflow, const std::string& from, const std::string& to) {
    if (from == to) return;
    if (!from.empty()) --count_changes[{workflow, from}];
    if (!to.empty()) ++count_changes[{workflow, to}];
  }
  Status commit() {
    auto s = store->commit();
    if (!s) {
      rollback();
      return s;
    }
    for (auto& [k, n] : count_changes) {
      if (n == 0) continue;
      counts[k] += n;
      n = 0;
    }
    return {};
  }
  void rollback() {
    (void)store->rollback();
    for (auto& change : count_changes) change.second = 0;
  }

  // Counts a branch taken: `path` + `suffix` (only when counting, so runs build no text for it).
  void took(const Workflow& wf, std::string_view path, std::string_view suffix = {}) {
    if (!options.record_branches) return;
    std::string branch(path);
    branch += suffix;
    ++branches[BranchKey{wf.id, std::move(branch)}];
  }
  std::string source;
  bool defer_requests = false;  // see Engine::defer_requests
  // The workflows each event type triggers, in bundle order.
  std::map<std::string, std::vector<const Workflow*>> triggered;
  // The event waits that correlate on a value, by the event type they wait for.
  std::map<std::string, std::vector<const Step*>> correlating;
  // The event being ingested, so it is not parsed back from the inbox.
  std::string fast_id;
  Json fast_event;
  // Events accepted and not yet handled, by id, so they are not parsed back from the inbox
  // (bounded; after a restart or past the bound they are read from the inbox).
  std::unordered_map<std::string, Json> accepted;
  static constexpr size_t kMaxAccepted = 20000;
  size_t emitted = 0;  // events emitted by runs so far
  size_t steps_room = 0;  // the room to give a new run's step records: the last saved run's
  size_t params_room = 64;  // and an effect's parameters: the most an effect's took (to 4 KB)
  // Without keep_handled_events (a throwaway store): the id of every event taken so far. An
  // event handled as it arrives leaves no inbox row then, so these ids start nothing twice.
  IdSet taken_ids;
  // Whether an event with this id is new, and remembers it (throwaway stores only).
  bool take_id(const std::string& id) { return taken_ids.insert(id); }
  // Without keep_finished: the id of every effect made, which the outbox does not keep then.
  IdSet effect_ids;
  // True while every inbox event is known to be handled (after a drain that emptied it; an
  // accept() makes it false): ingest() may then handle its event at once, without the queue.
  bool inbox_clear = false;
  // The event types some run may wait for: those of the bundle's event waits and those runs in
  // the store waited for when it opened. Events of other types look for no waiting run.
  std::set<std::string> wait_types;

  // [SECTION] values
  Result<Json> compute(const Computed& c, const Json& ctx) {
    switch (c.kind) {
      case Computed::Kind::Literal: return c.literal;
      case Computed::Kind::Text: {
        auto r = c.text.render(ctx, tpl);
        if (!r) {
          const Error& e = r.error();
          std::string where = e.line > 0 ? " at line " + std::to_string(e.line) : "";
          return Error{"template" + where + ": " + e.message, "", 0, 0};
        }
        // What a run computes is stored and sent as JSON, which is UTF-8; base64_decode can
        // give other bytes.
        if (size_t bad = invalid_utf8_at(r.value()); bad != std::string_view::npos) {
          return Error{"template: its text is not valid UTF-8 (byte " + std::to_string(bad + 1) + " of " +
                           std::to_string(r.value().size()) + "); base64_decode gives bytes, not text",
                       "", 0, 0};
        }
        return Json(std::move(r.value()));
      }
      case Computed::Kind::Logic: {
        auto r = c.logic.evaluate(ctx, eval);
        if (!r) return Error{"condition: " + r.error().message, "", 0, 0};
        return std::move(r.value());
      }
      case Computed::Kind::Object: {
        Json out = Json::object();
        for (const auto& [k, v] : c.fields) {
          auto r = compute(v, ctx);
          if (!r) return Error{k + ": " + r.error().message, "", 0, 0};
          out[k] = std::move(r.value());
        }
        return out;
      }
      default: {
        Json out = Json::array();
        for (size_t i = 0; i < c.items.size(); ++i) {
          auto r = compute(c.items[i], ctx);
          if (!r) return Error{"[" + std::to_string(i) + "]: " + r.error().message, "", 0, 0};
          out.push_back(std::move(r.value()));
        }
        return out;
      }
    }
  }

  // With `tree`, also writes the verdict tree (as JSON text) when the engine explains and
  // records steps (the tree goes into the step record, nowhere else).
  Result<Json> evaluate(const logic::Condition& c, const Json& ctx, std::string* tree) {
    auto r = options.explain && options.record_steps && tree ? c.explain_text(ctx, tree, eval) : c.evaluate(ctx, eval);
    if (!r) return Error{"condition: " + r.error().message, "", 0, 0};
    return r;
  }

  // A waiting run's index key: which event field it correlates on, and the value's text.
  static std::string correlation_key(const std::string& event_path, const Json& value) {
    std::string k = logic::correlation_key(value);
    return k.empty() ? k : event_path + "=" + k;
  }

  // [SECTION] records
  Status record(RunState& rs, const std::string& path, StepKind kind, Millis now, StepValue input, const Json& output,
                const Json* verdict = nullptr, StepValue explanation = {}) {
    ++rs.seq;
    if (!options.record_steps) return {};
    append_step(rs.row.steps, path, kind_name(kind), now, input, &output, verdict, explanation);
    return {};
  }

  Flow fail(RunState& rs, const std::string& path, const std::string& message) {
    rs.row.status = "failed";
    rs.row.error = "step " + path + ": " + message;
    rs.row.error_step = path;
    return Flow::Fail;
  }

  // Saves the run: its row and, while it waits, its whole state.
  Status save(RunState& rs, Millis now) {
    rs.row.updated = now;
    if (rs.row.steps.size() < 65536) steps_room = rs.row.steps.size() + 64;
    if (rs.row.status == "waiting") {
      Json stack = Json::array();
      for (const auto& f : rs.stack) stack.push_back(frame_to_json(f));
      Json state = {{"ctx", rs.ctx}, {"stack", std::move(stack)}, {"count", rs.count},
                    {"seq", rs.seq}, {"depth", rs.depth}, {"wait", rs.wait}};
      rs.row.state = json_text(state);
    } else {
      rs.row.wait_event.clear();
      rs.row.wait_key.clear();
      // {"vars": ..., "seq": n}, written without building it.
      std::string& state = rs.row.state;
      state.assign("{\"vars\":");
      auto vars = rs.ctx.find("vars");
      if (vars == rs.ctx.end()) {
        state += "null";
      } else {
        append_json(state, *vars);
      }
      state += ",\"seq\":";
      state += std::to_string(rs.seq);
      state += '}';
    }
    count(rs.row.workflow, rs.stored_status, rs.row.status);
    // A fresh run that finishes before it was ever stored is nobody's to read back, when the
    // store keeps no finished runs: only the observer sees it (its id is its event's, new).
    const bool unstored = !options.keep_finished && rs.fresh && rs.stored_status.empty() && rs.row.status != "waiting";
    rs.stored_status = rs.row.status;
    return put_run(rs.row, !unstored);
  }

  // Stores the run's row (unless `stored` is false; a finished run's without its step records
  // when the store keeps no finished runs), then shows it to the observer, which may take a
  // finished run's row: its last use.
  Status put_run(RunRow& row, bool stored = true) {
    if (stored) {
      if (auto s = store->run_put(row, options.keep_finished || row.status == "waiting"); !s) return s;
    }
    if (options.observer) options.observer->run_saved(row);
    return {};
  }

  // Whether the effect is new (its id unseen); the observer sees those.
  Result<bool> insert_effect(EffectRow& e) {
    if (!options.keep_finished) {
      if (!effect_ids.insert(e.id)) return false;
    } else {
      auto ins = store->effect_insert(e);
      if (!ins || !ins.value()) return ins;
    }
    if (options.observer) options.observer->effect_made(e);
    return true;
  }

  Result<bool> load(const RunRow& row, RunState* rs) {
    rs->row = row;
    rs->stored_status = row.status;
    rs->wf = bundle.find_workflow(row.workflow);
    auto state = parse_json(row.state, "run state");
    if (!state || !rs->wf) return false;
    const Json& s = state.value();
    rs->ctx = s.value("ctx", Json::object());
    for (const auto& f : s.value("stack", Json::array())) rs->stack.push_back(frame_from_json(f));
    rs->count = s.value("count", size_t{0});
    rs->seq = s.value("seq", 0);
    rs->depth = s.value("depth", 0);
    rs->wait = s.value("wait", Json());
    if (!rs->wait.is_object() || rs->wait.value("step", SIZE_MAX) >= rs->wf->steps.size()) return false;
    // A reloaded bundle may have moved steps: the saved position must still name the same step.
    if (rs->wait.value("id", std::string()) != rs->wf->steps[rs->wait["step"].get<size_t>()].id) return false;
    for (const Frame& f : rs->stack) {
      if (f.list >= rs->wf->lists.size() || f.pc > rs->wf->lists[f.list].size()) return false;
    }
    return true;
  }

  // [SECTION] the interpreter
  // An effect's id, its idempotency key: the run's id and the step's path.
  static std::string effect_id_of(const RunState& rs, const std::string& path) {
    std::string id;
    id.reserve(rs.row.id.size() + 1 + path.size());
    id += rs.row.id;
    id += '/';
    id += path;
    return id;
  }

  // An effect: its parameters go to the outbox (and the step record) as JSON text, written as
  // they are computed.
  Result<Flow> effect(RunState& rs, const Step& st, const std::string& path, Millis now) {
    EffectRow e;
    e.params.reserve(params_room);
    e.params += '{';
    for (const auto& [name, value] : st.params) {
      auto v = compute(value, rs.ctx);
      if (!v) return fail(rs, path, "parameter " + name + ": " + v.error().message);
      if (e.params.size() > 1) e.params += ',';
      append_json_string(e.params, name);
      e.params += ':';
      append_json(e.params, v.value());
    }
    e.params += '}';
    params_room = std::max(params_room, std::min<size_t>(e.params.size() + 16, 4096));
    e.id = effect_id_of(rs, path);
    e.run_id = rs.row.id;
    e.path = path;
    e.type = st.action;
    if (options.effects_delivered) e.status = "delivered";
    e.created = now;
    e.next_attempt = now;
    auto ins = insert_effect(e);
    if (!ins) return ins.error();
    Json output = object_with("effect_id", e.id);
    if (auto s = record(rs, path, st.kind, now, e.params, output); !s) return s.error();
    rs.ctx["steps"][st.id] = std::move(output);
    return Flow::Continue;
  }

  Result<Flow> action(RunState& rs, const Step& st, const std::string& path, Millis now) {
    if (st.spec->kind == ActionKind::Effect) return effect(rs, st, path, now);
    Json params = Json::object();
    for (const auto& [name, value] : st.params) {
      auto v = compute(value, rs.ctx);
      if (!v) return fail(rs, path, "parameter " + name + ": " + v.error().message);
      params[name] = std::move(v.value());
    }
    Json output;
    switch (st.spec->kind) {
      case ActionKind::Request: {
        if (defer_requests) return call(rs, st, path, params, now);
        if (!options.request) return fail(rs, path, "http.request cannot run here: no request port is configured");
        const std::string effect_id = effect_id_of(rs, path);
        Json request = params;
        request["idempotency_key"] = effect_id;
        if (st.action != "http.request") request["action"] = st.action;
        auto resp = options.request(request);
        if (!resp) return fail(rs, path, "http.request: " + resp.error().message);
        output = std::move(resp.value());
        EffectRow e;
        e.id = effect_id;
        e.run_id = rs.row.id;
        e.path = path;
        e.type = st.action;
        e.params = json_text(params);
        e.status = "delivered";
        e.attempts = 1;
        e.created = now;
        e.next_attempt = now;
        auto ins = insert_effect(e);
        if (!ins) return ins.error();
        break;
      }
      default: {
        const Json& t = params["table"];
        if (!t.is_string()) return fail(rs, path, "table must be a table name, not " + t.dump());
        const TableDef* td = bundle.find_table(t.get<std::string>());
        if (!td) return fail(rs, path, "no table named \"" + t.get<std::string>() + "\" in the bundle");
        const Json& k = params["key"];
        if (!(k.is_string() || k.is_number_integer()) || (k.is_string() && k.get_ref<const std::string&>().empty()))
          return fail(rs, path, "key must be a non-empty string or an integer, not " + k.dump());
        std::string key = table_key(k);
        Json value;
        if (st.spec->kind == ActionKind::TableDelete) {
          if (auto st2 = store->row_delete(td->name, key); !st2) return st2.error();
        } else if (st.spec->kind == ActionKind::TableSet) {
          value = params["value"];
          if (value.is_object() && !td->key_field.empty() && !value.contains(td->key_field)) value[td->key_field] = k;
          if (auto st2 = store->row_put(td->name, key, json_text(value)); !st2) return st2.error();
        } else {
          // table.merge and table.add change the current row (a new one starts with its key).
          auto cur = store->row_get(td->name, key);
          if (!cur) return cur.error();
          value = Json::object();
          if (cur.value()) {
            auto parsed = parse_json(*cur.value(), "table row");
            if (parsed) value = std::move(parsed.value());
          } else if (!td->key_field.empty()) {
            value[td->key_field] = k;
          }
          if (!value.is_object()) return fail(rs, path, "the row " + key + " of " + td->name + " is not an object");
          if (st.spec->kind == ActionKind::TableMerge) {
            const Json& patch = params["value"];
            if (!patch.is_object())
              return fail(rs, path, "table.merge needs an object of fields as value, not " + patch.dump().substr(0, 60));
            for (auto it = patch.begin(); it != patch.end(); ++it) {
              if (it.value().is_null()) {
                value.erase(it.key());
              } else {
                value[it.key()] = it.value();
              }
            }
          } else {
            const Json& field = params["field"];
            if (!field.is_string()) return fail(rs, path, "field must be a field name");
            const std::string& fname = field.get_ref<const std::string&>();
            auto sum = add_amount(value.contains(fname) ? value[fname] : Json(), params["amount"]);
            if (!sum) return fail(rs, path, "table.add " + td->name + "/" + key + "/" + fname + ": " + sum.error().message);
            value[fname] = std::move(sum.value());
          }
          if (auto st2 = store->row_put(td->name, key, json_text(value)); !st2) return st2.error();
        }
        if (options.record_tables) changes.push_back(TableChange{now, rs.row.id, td->name, key, value});
        output = {{"table", td->name}, {"key", key}, {"value", value}};
        break;
      }
    }
    if (auto s = record(rs, path, st.kind, now, &params, output); !s) return s.error();
    rs.ctx["steps"][st.id] = std::move(output);
    return Flow::Continue;
  }

  // A request made as a pending call: the outbox holds it, the run waits for its answer.
  Result<Flow> call(RunState& rs, const Step& st, const std::string& path, const Json& params, Millis now) {
    EffectRow e;
    e.id = effect_id_of(rs, path);
    e.run_id = rs.row.id;
    e.path = path;
    e.type = st.action;
    e.params = json_text(params);
    e.created = now;
    e.next_attempt = now;
    auto ins = insert_effect(e);
    if (!ins) return ins.error();
    rs.wait = {{"step", static_cast<size_t>(&st - rs.wf->steps.data())}, {"id", st.id}, {"path", path},
               {"kind", "call"}, {"since", now}, {"effect", e.id}};
    rs.row.status = "waiting";
    return Flow::Wait;
  }

  // The time a wait's `until` names: an RFC 3339 text or epoch milliseconds, from a rule.
  Result<Millis> time_of(RunState& rs, const logic::Condition& rule) {
    auto v = evaluate(rule, rs.ctx, nullptr);
    if (!v) return v.error();
    if (v.value().is_string()) {
      auto t = parse_instant(v.value().get<std::string>());
      if (!t) return Error{"wait until: " + t.error().message, "", 0, 0};
      return t.value();
    }
    if (v.value().is_number()) return static_cast<Millis>(v.value().get<double>());
    return Error{"wait until: " + v.value().dump().substr(0, 80) + " is not a time", "", 0, 0};
  }

  Result<Flow> wait(RunState& rs, size_t idx, const std::string& path, Millis now) {
    const Step& st = rs.wf->steps[idx];
    Millis due = 0;
    bool timer = true;
    const char* kind = "duration";
    if (st.wait == WaitKind::Duration) {
      due = now + st.duration_ms;
    } else if (st.wait == WaitKind::Until) {
      kind = "until";
      auto t = time_of(rs, st.logic);
      if (!t) return fail(rs, path, t.error().message);
      due = t.value();
      if (due <= now) {
        Json out = {{"resumed_by", "time"}, {"at", format_instant(now)}};
        rs.ctx["steps"][st.id] = out;
        if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s.error();
        return Flow::Continue;
      }
    } else {
      kind = "event";
      timer = st.has_timeout || st.has_deadline;
      due = now + st.duration_ms;
      if (st.has_deadline) {
        auto t = time_of(rs, st.deadline);
        if (!t) return fail(rs, path, t.error().message);
        due = t.value();
        if (due <= now) {  // the deadline has passed already: nothing to wait for
          Json out = {{"resumed_by", "timeout"}};
          took(*rs.wf, st.path, ": timed out");
          rs.ctx["steps"][st.id] = out;
          if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s.error();
          return Flow::Continue;
        }
      }
      rs.row.wait_event = st.wait_event;
      rs.row.wait_key.clear();
      if (!st.correlate_own.empty()) {
        auto own = st.correlate_own_rule.evaluate(rs.ctx, eval);
        if (own) rs.row.wait_key = correlation_key(st.correlate_event, own.value());
      }
    }
    rs.wait = {{"step", idx}, {"id", st.id}, {"path", path}, {"kind", kind}, {"since", now}};
    if (timer) {
      rs.wait["due"] = due;
      TimerRow t;
      t.due = due;
      t.kind = "wait";
      t.run_id = rs.row.id;
      t.path = path;
      if (auto s = store->timer_add(t); !s) return s.error();
    }
    rs.row.status = "waiting";
    return Flow::Wait;
  }

  Result<Flow> step(RunState& rs, size_t idx, const std::string& path, Millis now) {
    const Step& st = rs.wf->steps[idx];
    switch (st.kind) {
      case StepKind::If: {
        std::string tree;
        auto v = evaluate(st.logic, rs.ctx, &tree);
        if (!v) return fail(rs, path, v.error().message);
        bool yes = logic::truthy(v.value());
        took(*rs.wf, st.path, yes ? ": then" : ": else");
        Json out = object_with("result", yes);
        Json verdict = yes;
        if (auto s = record(rs, path, st.kind, now, nullptr, out, &verdict, tree); !s) return s.error();
        rs.ctx["steps"][st.id] = std::move(out);
        rs.stack.push_back(Frame{yes ? st.then_list : st.else_list, 0, path + (yes ? "/then/" : "/else/"), false, 0, {}, 0, {}});
        return Flow::Continue;
      }
      case StepKind::Switch: {
        std::string tree;
        auto v = evaluate(st.logic, rs.ctx, &tree);
        if (!v) return fail(rs, path, v.error().message);
        size_t chosen = SIZE_MAX;
        for (size_t i = 0; i < st.cases.size() && chosen == SIZE_MAX; ++i) {
          const SwitchCase& c = st.cases[i];
          if (c.has_equals) {
            if (c.equals == v.value()) chosen = i;
          } else {
            auto w = evaluate(c.when, rs.ctx, nullptr);
            if (!w) return fail(rs, path, "case " + std::to_string(i) + ": " + w.error().message);
            if (logic::truthy(w.value())) chosen = i;
          }
        }
        if (options.record_branches) took(*rs.wf, st.path, chosen == SIZE_MAX ? std::string(": default") : ": " + case_label(st, chosen));
        Json out = {{"value", v.value()}, {"case", chosen == SIZE_MAX ? Json("default") : Json(chosen)}};
        Json verdict = out["case"];
        rs.ctx["steps"][st.id] = out;
        if (auto s = record(rs, path, st.kind, now, nullptr, out, &verdict, tree); !s) return s.error();
        if (chosen == SIZE_MAX) {
          rs.stack.push_back(Frame{st.default_list, 0, path + "/default/", false, 0, {}, 0, {}});
        } else {
          rs.stack.push_back(
              Frame{st.cases[chosen].list, 0, path + "/cases/" + std::to_string(chosen) + "/", false, 0, {}, 0, {}});
        }
        return Flow::Continue;
      }
      case StepKind::Action: return action(rs, st, path, now);
      case StepKind::Wait: return wait(rs, idx, path, now);
      case StepKind::Foreach: {
        auto v = evaluate(st.logic, rs.ctx, nullptr);
        if (!v) return fail(rs, path, v.error().message);
        Json items = v.value().is_null() ? Json::array() : std::move(v.value());
        if (!items.is_array()) return fail(rs, path, "foreach needs a list, got " + items.dump().substr(0, 80));
        if (items.size() > options.limits.max_foreach_items)
          return fail(rs, path, "the list has " + std::to_string(items.size()) + " items; the limit is " +
                                    std::to_string(options.limits.max_foreach_items));
        // Every item runs at least the body's own steps: a list that cannot finish within the
        // run's step limit fails here, before its first effect, never half-way through.
        size_t least = items.size() * rs.wf->lists[st.body_list].size();
        size_t left = options.limits.max_steps_per_run > rs.count ? options.limits.max_steps_per_run - rs.count : 0;
        if (least > left)
          return fail(rs, path, "the list has " + std::to_string(items.size()) + " items, which need at least " +
                                    std::to_string(least) + " steps; the run has " + std::to_string(left) +
                                    " of its " + std::to_string(options.limits.max_steps_per_run) + " steps left");
        Json out = {{"count", items.size()}};
        rs.ctx["steps"][st.id] = out;
        if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s.error();
        if (!items.empty()) {
          rs.ctx[st.as] = items[0];
          Frame f{st.body_list, 0, path + "/0/", true, idx, std::move(items), 0, path + "/"};
          rs.stack.push_back(std::move(f));
        }
        return Flow::Continue;
      }
      case StepKind::Set: {
        Json out = Json::object();
        for (const auto& [name, rule] : st.sets) {
          auto v = evaluate(rule, rs.ctx, nullptr);
          if (!v) return fail(rs, path, name + ": " + v.error().message);
          rs.ctx["vars"][name] = v.value();
          out[name] = std::move(v.value());
        }
        rs.ctx["steps"][st.id] = out;
        if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s.error();
        return Flow::Continue;
      }
      case StepKind::Emit: {
        Json data;
        if (st.emit_data.kind != Computed::Kind::Literal || !st.emit_data.literal.is_null()) {
          auto v = compute(st.emit_data, rs.ctx);
          if (!v) return fail(rs, path, "data: " + v.error().message);
          data = std::move(v.value());
        }
        if (rs.depth + 1 > options.limits.max_emit_depth)
          return fail(rs, path, "events emitted by runs of emitted events go " +
                                    std::to_string(options.limits.max_emit_depth) + " levels deep; stopping a loop");
        InboxRow in;
        in.id = rs.row.id + "/" + path;
        in.type = st.emit_type;
        in.time = now;
        in.depth = rs.depth + 1;
        Json ev = {{"id", in.id}, {"type", in.type}, {"source", source}, {"time", format_instant(now)}, {"data", data}};
        in.body = json_text(ev);
        if (options.keep_handled_events || take_id(in.id)) {
          auto ins = store->inbox_insert(in);
          if (!ins) return ins.error();
        }
        ++emitted;
        Json out = {{"event_id", in.id}, {"type", in.type}};
        rs.ctx["steps"][st.id] = out;
        if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s.error();
        return Flow::Continue;
      }
      default: {
        Json out = {{"reason", st.reason}};
        rs.ctx["steps"][st.id] = out;
        if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s.error();
        rs.row.status = "stopped";
        rs.row.error = st.reason;
        return Flow::Stop;
      }
    }
  }

  // Runs steps until the run waits, stops, fails or completes, then saves it. Its callers
  // (start and resume) have set the data's "now" to `now`.
  Status run(RunState& rs, Millis now) {
    rs.row.status = "running";
    Flow flow = Flow::Continue;
    while (!rs.stack.empty() && flow == Flow::Continue) {
      Frame& f = rs.stack.back();
      const auto& list = rs.wf->lists[f.list];
      if (f.pc >= list.size()) {
        if (f.loop && f.index + 1 < f.items.size()) {
          ++f.index;
          f.pc = 0;
          f.prefix = f.base + std::to_string(f.index) + "/";
          rs.ctx[rs.wf->steps[f.step].as] = f.items[f.index];
          continue;
        }
        if (f.loop) {
          std::string as = rs.wf->steps[f.step].as;
          rs.stack.pop_back();
          rs.ctx.erase(as);
          for (auto it = rs.stack.rbegin(); it != rs.stack.rend(); ++it) {
            if (it->loop && rs.wf->steps[it->step].as == as) {
              rs.ctx[as] = it->items[it->index];
              break;
            }
          }
        } else {
          rs.stack.pop_back();
        }
        continue;
      }
      size_t idx = list[f.pc++];
      std::string path = f.prefix + rs.wf->steps[idx].id;
      if (++rs.count > options.limits.max_steps_per_run) {
        flow = fail(rs, path, "the run took more than " + std::to_string(options.limits.max_steps_per_run) +
                                  " steps; stopping it");
        break;
      }
      auto r = step(rs, idx, path, now);
      if (!r) return r.error();
      flow = r.value();
      if (flow == Flow::Fail) {
        Json out = {{"error", rs.row.error}};
        if (auto s = record(rs, path, rs.wf->steps[idx].kind, now, nullptr, out); !s) return s;
      }
    }
    if (flow == Flow::Continue) rs.row.status = "completed";
    return save(rs, now);
  }

  Status resume(RunState& rs, const Json& output, Millis now) {
    const Step& st = rs.wf->steps[rs.wait["step"].get<size_t>()];
    std::string path = rs.wait["path"].get<std::string>();
    if (st.kind == StepKind::Wait && st.wait == WaitKind::Event)
      took(*rs.wf, st.path, output.value("resumed_by", std::string()) == "event" ? ": event arrived" : ": timed out");
    rs.ctx["steps"][st.id] = output;
    rs.ctx["now"] = format_instant(now);
    rs.wait = Json();
    rs.row.wait_event.clear();
    rs.row.wait_key.clear();
    if (auto s = store->timers_delete_for_run(rs.row.id); !s) return s;
    if (auto s = record(rs, path, st.kind, now, nullptr, output); !s) return s;
    return run(rs, now);
  }

  Status fail_unloadable(const RunRow& row, Millis now) {
    RunRow r = row;
    r.status = "failed";
    r.error = bundle.find_workflow(row.workflow) ? "the run's saved state does not fit this bundle's workflow"
                                                 : "workflow " + row.workflow + " is no longer in the bundle";
    r.wait_event.clear();
    r.wait_key.clear();
    r.updated = now;
    if (auto s = store->timers_delete_for_run(r.id); !s) return s;
    count(r.workflow, row.status, r.status);
    return put_run(r);
  }

  // `fresh`: the run id cannot be in the store yet (it names an event handled only now).
  Status start(const Workflow& wf, const std::string& run_id, const std::string& event_id, Json ctx, int depth,
               const Json* filter_verdict, const std::string* filter_tree, Millis now, bool fresh) {
    if (!fresh) {
      auto existing = store->run_exists(run_id);
      if (!existing) return existing.error();
      if (existing.value()) return {};  // this event already started this workflow
    }
    RunState rs;
    rs.fresh = fresh;
    rs.wf = &wf;
    rs.row.id = run_id;
    rs.row.workflow = wf.id;
    rs.row.event_id = event_id;
    rs.row.started = now;
    rs.ctx = std::move(ctx);  // its "now" is `now` (both callers set it)
    rs.depth = depth;
    rs.stack.push_back(Frame{0, 0, "", false, 0, {}, 0, {}});
    // Room for step records like the last run's, so that they are not copied as they grow.
    if (options.record_steps && steps_room > 0) rs.row.steps.reserve(steps_room);
    if (filter_verdict) {
      if (auto s = record(rs, "trigger", StepKind::If, now, nullptr, Json{{"result", true}}, filter_verdict,
                         filter_tree ? StepValue(*filter_tree) : StepValue());
        !s)
        return s;
    }
    return run(rs, now);
  }

  // [SECTION] events
  // `spent`: the caller needs `ev` no more, so the runs may take it instead of a copy.
  Status handle(const InboxRow& row, const Json& ev, Millis now, Json* spent = nullptr) {
    // Waiting runs first: they were there before this event.
    if (wait_types.count(row.type)) {
      if (auto s = resume_waiting(row, ev, now); !s) return s;
    }
    return start_runs(row, ev, now, spent);
  }

  // Resumes the runs waiting for this event whose match holds, oldest first. Only those whose
  // correlation value is this event's (or who have none) can match it.
  Status resume_waiting(const InboxRow& row, const Json& ev, Millis now) {
    std::vector<std::string> keys;
    bool keyed = true;
    if (auto c = correlating.find(row.type); c != correlating.end()) {
      const Json probe = {{"event", ev}};
      for (const Step* st : c->second) {
        auto v = st->correlate_event_rule.evaluate(probe, eval);
        std::string k = v ? correlation_key(st->correlate_event, v.value()) : std::string();
        if (k.empty()) keyed = false;  // a value no index can hold: look at every waiting run
        keys.push_back(std::move(k));
      }
    }
    // No correlating wait on this type: its waiting runs all have no key.
    auto waiting = store->runs_waiting_for(row.type, keyed && !keys.empty() ? &keys : nullptr);
    if (!waiting) return waiting.error();
    for (const RunRow& w : waiting.value()) {
      RunState rs;
      auto ok = load(w, &rs);
      if (!ok) return ok.error();
      if (!ok.value()) {
        if (auto s = fail_unloadable(w, now); !s) return s;
        continue;
      }
      const Step& st = rs.wf->steps[rs.wait["step"].get<size_t>()];
      if (st.has_logic) {
        // In the match, `event` is the arriving event and `trigger` the run's own: a run whose
        // trigger reads its event (see start_runs) lends it to `trigger` meanwhile.
        Json own = std::move(rs.ctx["event"]);
        rs.ctx["event"] = ev;
        const bool lends = !rs.ctx.contains("trigger");
        if (lends) rs.ctx["trigger"] = std::move(own);
        rs.ctx["now"] = format_instant(now);
        auto m = evaluate(st.logic, rs.ctx, nullptr);
        if (lends) {
          own = std::move(rs.ctx["trigger"]);
          rs.ctx.erase("trigger");
        }
        rs.ctx["event"] = std::move(own);
        if (!m) {
          std::string path = rs.wait["path"].get<std::string>();
          fail(rs, path, "match: " + m.error().message);
          Json out = {{"error", rs.row.error}};
          if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s;
          if (auto s = store->timers_delete_for_run(rs.row.id); !s) return s;
          if (auto s = save(rs, now); !s) return s;
          continue;
        }
        if (!logic::truthy(m.value())) continue;
      }
      Json out = {{"resumed_by", "event"}, {"event", ev}};
      if (auto s = resume(rs, out, now); !s) return s;
    }
    return {};
  }

  // Starts the runs of the workflows this event triggers, in workflow order.
  Status start_runs(const InboxRow& row, const Json& ev, Millis now, Json* spent) {
    auto found = triggered.find(row.type);
    if (found == triggered.end()) return {};
    const std::vector<const Workflow*>& wfs = found->second;
    // An event run's `trigger` is its event: the data has no member of its own for it, and
    // lookups of `trigger` read `event` (the root alias set in open()), so the event is not
    // copied twice. `event` takes `spent` (which can be `ev` itself) when the caller is done with it.
    Json ctx = Json::object();
    auto& members = ctx.get_ref<Json::object_t&>();
    members.reserve(4);
    if (spent) {
      members.emplace("event", std::move(*spent));
    } else {
      members.emplace("event", Json(ev));
    }
    members.emplace("steps", Json::object());
    members.emplace("vars", Json::object());
    members.emplace("now", format_instant(now));
    for (size_t i = 0; i < wfs.size(); ++i) {
      const Workflow& wf = *wfs[i];
      // The last run takes the data itself; the others a copy each.
      auto data = [&]() { return i + 1 == wfs.size() ? std::move(ctx) : Json(ctx); };
      std::string run_id = wf.id + ":" + row.id;
      if (wf.trigger.has_filter) {
        std::string tree;
        auto v = evaluate(wf.trigger.filter, ctx, &tree);
        if (!v) {
          // A filter that cannot be evaluated is a failed run, so that someone sees it.
          RunState rs;
          rs.wf = &wf;
          rs.row.id = run_id;
          rs.row.workflow = wf.id;
          rs.row.event_id = row.id;
          rs.row.started = now;
          rs.ctx = ctx;
          fail(rs, "trigger", "filter: " + v.error().message);
          if (auto s = save(rs, now); !s) return s;
          continue;
        }
        const bool passes = logic::truthy(v.value());
        took(wf, passes ? "trigger: filter passes" : "trigger: filter rejects");
        if (!passes) continue;
        Json verdict = true;
        if (auto s = start(wf, run_id, row.id, data(), row.depth, &verdict, &tree, now, true); !s) return s;
      } else {
        if (auto s = start(wf, run_id, row.id, data(), row.depth, nullptr, nullptr, now, true); !s) return s;
      }
    }
    return {};
  }

  // Handles pending inbox events inside the caller's transaction.
  Result<size_t> drain(Millis now, size_t limit) {
    size_t done = 0;
    bool more = true;
    while (done < limit && more) {
      size_t want = limit - done < 64 ? limit - done : 64;
      auto pending = store->inbox_pending(want);
      if (!pending) return pending.error();
      if (pending.value().empty()) {
        more = false;
        break;
      }
      const size_t emitted_before = emitted;
      for (const InboxRow& row : pending.value()) {
        Json parsed;
        Json* ev = nullptr;  // spent once handled: the runs may take it instead of a copy
        auto cached = accepted.find(row.id);
        if (!fast_id.empty() && row.id == fast_id) {
          ev = &fast_event;
        } else if (cached != accepted.end()) {
          parsed = std::move(cached->second);
          accepted.erase(cached);
          ev = &parsed;
        } else {
          auto p = parse_json(row.body, "inbox event");
          parsed = p ? std::move(p.value()) : Json{{"id", row.id}, {"type", row.type}};
          ev = &parsed;
        }
        // An event from outside is handled at the time it was received, not when its turn came:
        // its runs see the clock a simulation of the same events sees (a backtest's), however
        // long it queued.
        const Millis at = row.received > 0 && row.received < now ? row.received : now;
        if (auto s = handle(row, *ev, at, ev); !s) return s.error();
        if (auto s = store->inbox_mark_processed(row.seq); !s) return s.error();
        ++done;
      }
      // Ask again only when the batch was full or runs emitted events meanwhile.
      more = pending.value().size() == want || emitted != emitted_before;
    }
    inbox_clear = !more;
    return done;
  }

  // [SECTION] timers and schedules
  Status arm(Millis now) {
    if (armed) return {};
    bool any = false;
    for (const Workflow& wf : bundle.workflows) any = any || wf.trigger.cron.has_value();
    if (any) {
      if (auto s = store->begin(); !s) return s;
      for (const Workflow& wf : bundle.workflows) {
        if (!wf.trigger.cron) continue;
        auto exists = store->schedule_timer_exists(wf.id);
        if (!exists) {
          (void)store->rollback();
          return exists.error();
        }
        if (exists.value()) continue;
        auto next = wf.trigger.cron->next_after(now);
        if (!next) continue;
        TimerRow t;
        t.due = *next;
        t.kind = "schedule";
        t.workflow = wf.id;
        if (auto s = store->timer_add(t); !s) {
          (void)store->rollback();
          return s;
        }
      }
      if (auto s = store->commit(); !s) return s;
    }
    armed = true;
    return {};
  }

  Status fire(const TimerRow& t) {
    const Millis now = t.due;
    if (t.kind == "schedule") {
      const Workflow* wf = bundle.find_workflow(t.workflow);
      if (!wf || !wf->trigger.cron) return {};  // the workflow left the bundle; its schedule ends
      if (auto next = wf->trigger.cron->next_after(now)) {
        TimerRow n;
        n.due = *next;
        n.kind = "schedule";
        n.workflow = wf->id;
        if (auto s = store->timer_add(n); !s) return s;
      }
      std::string iso = format_instant(now);
      std::string id = wf->id + "@" + iso;
      Json ev = {{"id", id}, {"type", "schedule.tick"}, {"source", source}, {"time", iso},
                 {"data", {{"workflow", wf->id}, {"schedule", wf->trigger.schedule}}}};
      Json trigger = {{"schedule", wf->trigger.schedule}, {"time_zone", wf->trigger.cron->zone().name()},
                      {"utc_offset", wf->trigger.utc_offset}, {"time", iso}};
      Json ctx = {{"event", ev}, {"trigger", trigger}, {"steps", Json::object()}, {"vars", Json::object()}, {"now", iso}};
      if (!wf->trigger.has_filter) return start(*wf, id, id, std::move(ctx), 0, nullptr, nullptr, now, false);
      // A schedule's filter decides, as an event trigger's does, whether this fire starts a run.
      std::string tree;
      auto v = evaluate(wf->trigger.filter, ctx, &tree);
      if (!v) {
        RunState rs;
        rs.wf = wf;
        rs.row.id = id;
        rs.row.workflow = wf->id;
        rs.row.event_id = id;
        rs.row.started = now;
        rs.ctx = std::move(ctx);
        fail(rs, "trigger", "filter: " + v.error().message);
        return save(rs, now);
      }
      const bool passes = logic::truthy(v.value());
      took(*wf, passes ? "trigger: filter passes" : "trigger: filter rejects");
      if (!passes) return {};
      Json verdict = true;
      return start(*wf, id, id, std::move(ctx), 0, &verdict, &tree, now, false);
    }
    auto row = store->run_get(t.run_id);
    if (!row) return row.error();
    if (!row.value() || row.value()->status != "waiting") return {};
    RunState rs;
    auto ok = load(*row.value(), &rs);
    if (!ok) return ok.error();
    if (!ok.value()) return fail_unloadable(*row.value(), now);
    if (rs.wait.value("path", std::string()) != t.path) return {};  // a stale timer
    bool timeout = rs.wait.value("kind", std::string()) == "event";
    Json out = timeout ? Json{{"resumed_by", "timeout"}} : Json{{"resumed_by", "time"}, {"at", format_instant(now)}};
    return resume(rs, out, now);
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::open(Bundle bundle, std::unique_ptr<Store> store, EngineOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->bundle = std::move(bundle);
  impl->store = std::move(store);
  impl->options = std::move(options);
  impl->tpl = template_options(impl->bundle);
  impl->tpl.partial_cache = liquid::make_partial_cache();  // the bundle's templates never change
  // An event run's data holds its event once, as `event`; `trigger` reads it (see start_runs).
  impl->tpl.root_aliases = {{"trigger", "event"}};
  impl->eval.root_aliases = {{"trigger", "event"}};
  impl->source = "shopflow:" + impl->bundle.name;
  Store* st = impl->store.get();
  impl->eval.table_lookup = [st](const std::string& table, const Json& key) -> std::optional<Json> {
    if (!(key.is_string() || key.is_number_integer())) return std::nullopt;
    auto row = st->row_get(table, table_key(key));
    if (!row || !row.value()) return std::nullopt;
    auto j = parse_json(*row.value(), "table row");
    if (!j) return std::nullopt;
    return std::move(j.value());
  };
  const Bundle* loaded = &impl->bundle;
  impl->eval.table_rows = [st, loaded](const std::string& table) -> std::optional<Json> {
    if (!loaded->find_table(table)) return std::nullopt;
    auto rows = st->rows(table);
    if (!rows) return std::nullopt;
    Json out = Json::array();
    for (const TableRow& r : rows.value()) {
      auto j = parse_json(r.value, "table row");
      if (j) out.push_back(std::move(j.value()));
    }
    return out;
  };
  // What each event type triggers and which waits listen for it. Runs that wait under a
  // correlation the bundle no longer uses are looked at for every event.
  std::string signature;
  for (const Workflow& wf : impl->bundle.workflows) {
    if (!wf.trigger.event.empty()) impl->triggered[wf.trigger.event].push_back(&wf);
    for (const Step& step : wf.steps) {
      if (step.kind == StepKind::Wait && step.wait == WaitKind::Event) impl->wait_types.insert(step.wait_event);
      if (step.correlate_event.empty()) continue;
      impl->correlating[step.wait_event].push_back(&step);
      signature += wf.id + "/" + step.path + ":" + step.correlate_event + "=" + step.correlate_own + ";";
    }
  }
  auto stored_counts = st->run_counts();
  if (!stored_counts) return stored_counts.error();
  for (const RunCount& c : stored_counts.value()) impl->counts[{c.workflow, c.status}] = c.count;
  auto stored_waits = st->waiting_event_types();
  if (!stored_waits) return stored_waits.error();
  impl->wait_types.insert(stored_waits.value().begin(), stored_waits.value().end());
  auto known = st->meta_get("correlation");
  if (!known) return known.error();
  if (!known.value() || *known.value() != signature) {
    if (auto s = st->runs_forget_wait_keys(); !s) return s.error();
    if (auto s = st->meta_set("correlation", signature); !s) return s.error();
  }
  // Seed the tables once per store: later runs' changes must survive a restart.
  auto seeded = st->meta_get("tables_seeded");
  if (!seeded) return seeded.error();
  if (!seeded.value()) {
    if (auto s = st->begin(); !s) return s.error();
    for (const TableDef& t : impl->bundle.tables) {
      for (const auto& [key, row] : t.rows) {
        if (auto s = st->row_put(t.name, key, json_text(row)); !s) {
          (void)st->rollback();
          return s.error();
        }
      }
    }
    if (auto s = st->meta_set("tables_seeded", "1"); !s) {
      (void)st->rollback();
      return s.error();
    }
    if (auto s = st->commit(); !s) return s.error();
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Result<std::vector<bool>> Engine::accept(const std::vector<Event>& events, Millis received) {
  Store& st = *impl_->store;
  impl_->inbox_clear = false;
  if (auto s = st.sync_commits(true); !s) return s.error();
  if (auto s = st.begin(); !s) return s.error();
  std::vector<bool> out;
  out.reserve(events.size());
  auto key_of = [](const Event& e) -> const std::string& { return e.key.empty() ? e.id : e.key; };
  for (const Event& e : events) {
    InboxRow row;
    row.id = key_of(e);
    row.type = e.type;
    row.time = e.time_ms;
    row.received = received;
    if (!impl_->options.keep_handled_events && !impl_->take_id(row.id)) {
      out.push_back(false);
      continue;
    }
    Json ev = event_to_json(e);
    row.body = json_text(ev);
    auto r = st.inbox_insert(row);
    if (!r) {
      impl_->rollback();
      for (const Event& x : events) impl_->accepted.erase(key_of(x));
      return r.error();
    }
    if (r.value() && impl_->accepted.size() < Impl::kMaxAccepted) impl_->accepted.emplace(row.id, std::move(ev));
    out.push_back(r.value());
  }
  if (auto s = impl_->commit(); !s) {
    for (const Event& x : events) impl_->accepted.erase(key_of(x));
    return s.error();
  }
  return out;
}

Result<size_t> Engine::process_pending(Millis now, size_t limit) {
  Store& st = *impl_->store;
  if (auto s = st.sync_commits(false); !s) return s.error();
  if (auto s = impl_->arm(now); !s) return s.error();
  size_t total = 0;
  while (total < limit) {
    if (auto s = st.begin(); !s) return s.error();
    size_t batch = limit - total < 1024 ? limit - total : 1024;
    auto n = impl_->drain(now, batch);
    if (!n) {
      impl_->rollback();
      return n.error();
    }
    if (auto s = impl_->commit(); !s) return s.error();
    total += n.value();
    if (n.value() < batch) break;
  }
  return total;
}

Result<bool> Engine::ingest(const Event& event, Millis now) {
  Event copy = event;
  return ingest(std::move(copy), now);
}

Result<bool> Engine::ingest(Event&& event, Millis now) {
  Store& st = *impl_->store;
  if (auto s = st.sync_commits(true); !s) return s.error();
  if (auto s = impl_->arm(now); !s) return s.error();
  if (auto s = st.begin(); !s) return s.error();
  InboxRow row;
  row.id = event.key.empty() ? event.id : event.key;
  row.type = event.type;
  row.time = event.has_time ? event.time_ms : now;
  row.received = now;
  // With nothing older pending, the event is handled at once and stored as handled; else it
  // queues behind the others (and its body is read back when its turn comes). A throwaway
  // store keeps no row for an event handled at once: its id is remembered in memory.
  const bool at_once = impl_->inbox_clear;
  const bool keep = impl_->options.keep_handled_events;
  bool fresh = true;
  if (!keep) {
    fresh = impl_->take_id(row.id);
    if (!fresh) {
      if (auto s = impl_->commit(); !s) return s.error();
      return false;
    }
  }
  impl_->fast_event = event_to_json(std::move(event));
  if (keep || !at_once) {
    row.body = json_text(impl_->fast_event);
    row.processed = at_once;
    auto ins = st.inbox_insert(row);
    if (!ins) {
      impl_->rollback();
      return ins.error();
    }
    fresh = ins.value();
  }
  if (fresh) {
    Status handled;
    const size_t emitted_before = impl_->emitted;
    if (at_once) {
      handled = impl_->handle(row, impl_->fast_event, now, &impl_->fast_event);
    } else {
      impl_->fast_id = row.id;
    }
    if (handled && (!at_once || impl_->emitted != emitted_before)) {
      auto n = impl_->drain(now, SIZE_MAX);
      if (!n) handled = n.error();
    }
    impl_->fast_id.clear();
    if (!handled) {
      impl_->rollback();
      return handled.error();
    }
  }
  if (auto s = impl_->commit(); !s) return s.error();
  return fresh;
}

Result<size_t> Engine::advance(Millis now) {
  Store& st = *impl_->store;
  if (auto s = st.sync_commits(false); !s) return s.error();
  if (auto s = impl_->arm(now); !s) return s.error();
  size_t fired = 0;
  if (auto s = st.begin(); !s) return s.error();
  while (fired < impl_->options.limits.max_fires_per_advance) {
    auto t = st.timer_next();
    if (!t) {
      impl_->rollback();
      return t.error();
    }
    if (!t.value() || t.value()->due > now) break;
    Status s = st.timer_delete(t.value()->seq);
    if (s) s = impl_->fire(*t.value());
    if (s) {
      auto n = impl_->drain(t.value()->due, SIZE_MAX);
      if (!n) s = n.error();
    }
    if (!s) {
      impl_->rollback();
      return s.error();
    }
    ++fired;
  }
  if (auto s = impl_->commit(); !s) return s.error();
  return fired;
}

Result<std::optional<Millis>> Engine::next_due(Millis now) {
  if (auto s = impl_->arm(now); !s) return s.error();
  auto t = impl_->store->timer_next();
  if (!t) return t.error();
  if (!t.value()) return std::optional<Millis>();
  return std::optional<Millis>(t.value()->due);
}

Result<std::vector<RunRow>> Engine::runs() { return impl_->store->runs(); }
Result<std::vector<RunCount>> Engine::run_counts() {
  std::vector<RunCount> out;
  for (const auto& [k, n] : impl_->counts) {
    if (n > 0) out.push_back(RunCount{k.first, k.second, n});
  }
  return out;
}
Result<std::vector<StepRow>> Engine::steps(const std::string& run_id) { return impl_->store->steps_of(run_id); }
Result<std::vector<EffectRow>> Engine::effects() { return impl_->store->effects(); }
Result<std::vector<TableRow>> Engine::table_rows(const std::string& table) { return impl_->store->rows(table); }

const std::map<BranchKey, size_t>& Engine::branches_taken() const { return impl_->branches; }

std::string_view workflow_of_run(std::string_view run_id) { return run_id.substr(0, run_id.find_first_of(":@")); }

std::vector<BranchKey> branches_of(const Bundle& bundle) {
  std::vector<BranchKey> out;
  for (const Workflow& wf : bundle.workflows) {
    if (wf.trigger.has_filter) {
      out.push_back({wf.id, "trigger: filter passes"});
      out.push_back({wf.id, "trigger: filter rejects"});
    }
    for (const Step& st : wf.steps) {
      if (st.kind == StepKind::If) {
        out.push_back({wf.id, st.path + ": then"});
        out.push_back({wf.id, st.path + ": else"});
      } else if (st.kind == StepKind::Switch) {
        for (size_t i = 0; i < st.cases.size(); ++i) out.push_back({wf.id, st.path + ": " + case_label(st, i)});
        out.push_back({wf.id, st.path + ": default"});
      } else if (st.kind == StepKind::Wait && st.wait == WaitKind::Event) {
        out.push_back({wf.id, st.path + ": event arrived"});
        if (st.has_timeout || st.has_deadline) out.push_back({wf.id, st.path + ": timed out"});
      }
    }
  }
  return out;
}

std::vector<TableChange> Engine::take_table_changes() {
  std::vector<TableChange> out;
  out.swap(impl_->changes);
  return out;
}

void Engine::defer_requests(bool on) { impl_->defer_requests = on; }

Status Engine::complete_call(const std::string& effect_id, const Json& response, Millis now) {
  Store& st = *impl_->store;
  if (auto s = st.sync_commits(false); !s) return s;
  auto effect = st.effect_get(effect_id);
  if (!effect) return effect.error();
  if (!effect.value()) return Error{"no effect with the id " + effect_id, "", 0, 0};
  if (auto s = st.begin(); !s) return s;
  Status s = [&]() -> Status {
    auto r = st.effect_update(effect_id, "delivered", true, 0, "");
    if (!r) return r.error();
    auto row = st.run_get(effect.value()->run_id);
    if (!row) return row.error();
    if (!row.value() || row.value()->status != "waiting") return {};
    RunState rs;
    auto ok = impl_->load(*row.value(), &rs);
    if (!ok) return ok.error();
    if (!ok.value()) return impl_->fail_unloadable(*row.value(), now);
    if (rs.wait.value("kind", std::string()) != "call" || rs.wait.value("effect", std::string()) != effect_id) return {};
    return impl_->resume(rs, response, now);
  }();
  if (!s) {
    impl_->rollback();
    return s;
  }
  return impl_->commit();
}

Result<std::vector<EffectRow>> Engine::pending_effects(Millis now, size_t limit) {
  return impl_->store->effects_pending(now, limit);
}

Status Engine::mark_delivered(const std::string& effect_id) {
  if (auto s = impl_->store->sync_commits(false); !s) return s;
  auto r = impl_->store->effect_update(effect_id, "delivered", true, 0, "");
  if (!r) return r.error();
  if (!r.value()) return Error{"no effect with the id " + effect_id, "", 0, 0};
  return {};
}

Status Engine::begin_outcomes() {
  if (auto s = impl_->store->sync_commits(false); !s) return s;
  return impl_->store->begin();
}

Status Engine::commit_outcomes() {
  return impl_->commit();
}

Status Engine::mark_failed(const std::string& effect_id, const std::string& error, std::optional<Millis> retry_at,
                           bool count_attempt) {
  if (auto s = impl_->store->sync_commits(false); !s) return s;
  auto r = impl_->store->effect_update(effect_id, retry_at ? "pending" : "dead", count_attempt, retry_at.value_or(0),
                                       error);
  if (!r) return r.error();
  if (!r.value()) return Error{"no effect with the id " + effect_id, "", 0, 0};
  return {};
}

Result<std::vector<EffectRow>> Engine::dead_letters() { return impl_->store->effects_dead(); }

Status Engine::retry_dead(const std::string& effect_id, Millis now) {
  auto r = impl_->store->effect_update(effect_id, "pending", false, now, "");
  if (!r) return r.error();
  if (!r.value()) return Error{"no effect with the id " + effect_id, "", 0, 0};
  return {};
}

const Bundle& Engine::bundle() const { return impl_->bundle; }
Store& Engine::store() { return *impl_->store; }

}  // namespace shopflow
