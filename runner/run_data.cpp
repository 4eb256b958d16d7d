// Rebuilds the data a step of a simulated run saw from the trace's step records (run_data.hpp).
#include "run_data.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "cli_util.hpp"
#include "shopflow/instant.hpp"
#include "shopflow/simulator.hpp"
#include "shopflow/template.hpp"

namespace shopflow::cli {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

Millis millis(const std::string& time) {
  auto t = parse_instant(time);
  return t ? t.value() : 0;
}

bool is_index(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

const Step* step_by_id(const Workflow& wf, const std::string& id) {
  for (const Step& s : wf.steps) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const Json* find_run(const Json& trace, const std::string& id) {
  auto runs = trace.find("runs");
  if (runs == trace.end() || !runs->is_array()) return nullptr;
  for (const Json& r : *runs) {
    if (r.is_object() && r.value("id", std::string()) == id) return &r;
  }
  return nullptr;
}

// Up to five run ids of the trace that look like `id`: of the same workflow, else any.
std::string some_runs(const Json& trace, const std::string& id) {
  std::string wf = std::string(workflow_of_run(id));
  std::vector<std::string> same, any;
  if (auto runs = trace.find("runs"); runs != trace.end() && runs->is_array()) {
    for (const Json& r : *runs) {
      std::string rid = r.value("id", std::string());
      if (r.value("workflow", std::string()) == wf) same.push_back(rid);
      any.push_back(rid);
    }
  }
  const std::vector<std::string>& list = same.empty() ? any : same;
  if (list.empty()) return "the trace has no runs";
  std::string out = same.empty() ? "its runs include " : "runs of " + wf + ": ";
  for (size_t i = 0; i < list.size() && i < 5; ++i) out += (i ? ", " : "") + list[i];
  if (list.size() > 5) out += ", ... (" + std::to_string(list.size()) + " in all)";
  return out;
}

// The tables as a step at `time` found them: the bundle's rows, then the trace's changes before
// that time, and those of the run itself at that time that its own earlier steps made.
std::vector<TableDef> tables_at(const Bundle& bundle, const Json& trace, Millis time, const std::string& run_id,
                                size_t own_changes) {
  std::vector<TableDef> tables = bundle.tables;
  auto tbl = trace.find("tables");
  if (tbl == trace.end() || !tbl->is_object() || !tbl->contains("changes")) return tables;
  for (const Json& c : (*tbl)["changes"]) {
    auto t = parse_instant(c.value("time", std::string()));
    if (!t) continue;
    if (t.value() > time) break;
    if (t.value() == time) {
      if (c.value("run", std::string()) != run_id || own_changes == 0) continue;
      --own_changes;
    }
    std::string name = c.value("table", std::string());
    auto def = std::find_if(tables.begin(), tables.end(), [&](const TableDef& d) { return d.name == name; });
    if (def == tables.end()) continue;
    std::string key = c.value("key", std::string());
    auto row = std::find_if(def->rows.begin(), def->rows.end(), [&](const auto& kv) { return kv.first == key; });
    const Json& value = c.contains("value") ? c["value"] : Json();
    if (value.is_null()) {
      if (row != def->rows.end()) def->rows.erase(row);
    } else if (row != def->rows.end()) {
      row->second = value;
    } else {
      def->rows.emplace_back(key, value);
    }
  }
  return tables;
}

class Rebuilder {
 public:
  Rebuilder(const Bundle& bundle, const Json& trace, const std::vector<Event>& events)
      : bundle_(bundle), trace_(trace), events_(events) {}

  Result<RunData> at(const std::string& run_id, const std::string& step_path, int depth) {
    const Json* run = find_run(trace_, run_id);
    if (!run) return Error{"no run \"" + run_id + "\" in the trace; " + some_runs(trace_, run_id), "", 0, 0};
    RunData out;
    std::string wf_id = run->value("workflow", std::string());
    out.workflow = bundle_.find_workflow(wf_id);
    if (!out.workflow) return Error{"the bundle has no workflow \"" + wf_id + "\" (the run's); is it the bundle the trace was made with?", "", 0, 0};
    const Workflow& wf = *out.workflow;

    Json ctx = Json::object();
    auto event = trigger_event(*run, wf, &ctx, depth);
    if (!event) return event.error();
    ctx["event"] = std::move(event.value());
    ctx["steps"] = Json::object();
    ctx["vars"] = Json::object();
    ctx["now"] = run->value("started", std::string());
    out.schedule = ctx.contains("trigger");

    const Json empty = Json::array();
    const Json& records = run->contains("steps") && (*run)["steps"].is_array() ? (*run)["steps"] : empty;
    std::map<std::string, Json> lists;  // foreach path -> its items
    std::string time = ctx["now"].get<std::string>();
    size_t own_changes = 0;  // table changes this run made at `time`
    bool found = step_path.empty();
    std::vector<std::string> taken;
    for (const Json& rec : records) {
      std::string path = rec.value("path", std::string());
      std::string kind = rec.value("kind", std::string());
      std::string rec_time = rec.value("time", std::string());
      if (rec_time != time) own_changes = 0;
      time = rec_time;
      if (path == "trigger") {  // the filter's record: it saw the data before any step
        if (step_path == "trigger") {
          found = out.filter = true;
          break;
        }
        continue;
      }
      set_items(wf, path, lists, &ctx);
      ctx["now"] = time;
      if (path == step_path) {
        found = true;
        out.step = step_by_id(wf, split_path(path).back());
        break;
      }
      taken.push_back(path);
      const Step* st = step_by_id(wf, split_path(path).back());
      if (!st) continue;
      const Json& output = rec.contains("output") ? rec["output"] : Json();
      if (st->kind == StepKind::Foreach && !output.contains("error")) {
        auto items = eval(st->logic, ctx, tables_at(bundle_, trace_, millis(time), run_id, own_changes));
        if (!items) return Error{"step " + path + ": its list: " + items.error().message, "", 0, 0};
        lists[path] = std::move(items.value());
      }
      if (st->kind == StepKind::Action && st->action.rfind("table.", 0) == 0) ++own_changes;
      ctx["steps"][st->id] = output;
      if (st->kind == StepKind::Set && output.is_object()) {
        for (auto it = output.begin(); it != output.end(); ++it) ctx["vars"][it.key()] = it.value();
      }
    }
    if (!found) {
      std::string list;
      for (size_t i = 0; i < taken.size() && i < 12; ++i) list += (i ? ", " : "") + taken[i];
      return Error{"run \"" + run_id + "\" did not take a step \"" + step_path + "\"" +
                       (list.empty() ? "; it took none" : "; it took " + list + (taken.size() > 12 ? ", ..." : "")),
                   "", 0, 0};
    }
    out.tables = tables_at(bundle_, trace_, millis(time), run_id, own_changes);
    out.data = std::move(ctx);
    return out;
  }

 private:
  // The run's triggering event: one of the simulation's events, a schedule's tick, or an event
  // a step of another run emitted (its id is "<run id>/<step path>").
  Result<Json> trigger_event(const Json& run, const Workflow& wf, Json* ctx, int depth) {
    std::string run_id = run.value("id", std::string());
    std::string event_id = run.value("event", std::string());
    if (run_id.find('@') != std::string::npos && wf.trigger.cron) {
      std::string time = run_id.substr(run_id.find('@') + 1);
      (*ctx)["trigger"] = {{"schedule", wf.trigger.schedule}, {"time_zone", wf.trigger.cron->zone().name()},
                           {"utc_offset", wf.trigger.utc_offset}, {"time", time}};
      return Json{{"id", run_id}, {"type", "schedule.tick"}, {"source", "shopflow:" + bundle_.name}, {"time", time},
                  {"data", {{"workflow", wf.id}, {"schedule", wf.trigger.schedule}}}};
    }
    for (const Event& e : events_) {
      if (e.id == event_id) return event_to_json(e);
    }
    if (auto slash = event_id.find('/'); slash != std::string::npos && depth < 8) {
      std::string emitter = event_id.substr(0, slash), path = event_id.substr(slash + 1);
      if (find_run(trace_, emitter)) {
        auto at = this->at(emitter, path, depth + 1);
        if (!at) return Error{"the event \"" + event_id + "\" that started this run was emitted by run " + emitter + ": " + at.error().message, "", 0, 0};
        if (!at.value().step || at.value().step->kind != StepKind::Emit)
          return Error{"step " + path + " of run " + emitter + " is not an emit step", "", 0, 0};
        const Step& st = *at.value().step;
        auto data = compute_at(bundle_, st.emit_data, at.value().data, at.value().tables);
        if (!data) return Error{"the data step " + path + " of run " + emitter + " emitted: " + data.error().message, "", 0, 0};
        return Json{{"id", event_id}, {"type", st.emit_type}, {"source", "shopflow:" + bundle_.name},
                    {"time", at.value().data["now"]}, {"data", std::move(data.value())}};
      }
    }
    return Error{"the run's event \"" + event_id +
                     "\" is not among the events given: the trace names each run's event and does not repeat "
                     "its data; give the events the simulation ran on with --events FILE (without it, the "
                     "bundle's samples)",
                 "", 0, 0};
  }

  // Sets each foreach item a step at `path` sees ("lines/2/take-stock": item 2 of "lines").
  void set_items(const Workflow& wf, const std::string& path, const std::map<std::string, Json>& lists, Json* ctx) {
    for (const Step& s : wf.steps) {
      if (s.kind == StepKind::Foreach) ctx->erase(s.as);  // outside its loop, no item
    }
    std::vector<std::string> segs = split_path(path);
    std::string prefix;
    for (size_t i = 0; i + 1 < segs.size(); ++i) {
      std::string here = prefix + segs[i];
      prefix = here + "/";
      if (!is_index(segs[i + 1])) continue;
      auto list = lists.find(here);
      const Step* st = step_by_id(wf, segs[i]);
      if (list == lists.end() || !st || st->kind != StepKind::Foreach) continue;
      size_t n = std::stoul(segs[i + 1]);
      if (list->second.is_array() && n < list->second.size()) (*ctx)[st->as] = list->second[n];
    }
  }

  logic::EvalOptions options(const std::vector<TableDef>& tables) {
    logic::EvalOptions o;
    use_tables(tables, &o);
    o.root_aliases = {{"trigger", "event"}};
    return o;
  }

  Result<Json> eval(const logic::Condition& c, const Json& ctx, const std::vector<TableDef>& tables) {
    return c.evaluate(ctx, options(tables));
  }

  const Bundle& bundle_;
  const Json& trace_;
  const std::vector<Event>& events_;
};

}  // namespace

Result<Json> compute_at(const Bundle& bundle, const Computed& c, const Json& data, const std::vector<TableDef>& tables) {
  switch (c.kind) {
    case Computed::Kind::Literal: return c.literal;
    case Computed::Kind::Text: {
      liquid::Options o = template_options(bundle);
      o.root_aliases = {{"trigger", "event"}};
      auto r = c.text.render(data, o);
      if (!r) return r.error();
      return Json(std::move(r.value()));
    }
    case Computed::Kind::Logic: {
      logic::EvalOptions o;
      use_tables(tables, &o);
      o.root_aliases = {{"trigger", "event"}};
      return c.logic.evaluate(data, o);
    }
    case Computed::Kind::Object: {
      Json out = Json::object();
      for (const auto& f : c.fields) {
        auto v = compute_at(bundle, f.value, data, tables);
        if (!v) return Error{f.name + ": " + v.error().message, "", v.error().line, v.error().column};
        out[f.name] = std::move(v.value());
      }
      return out;
    }
    default: {
      Json out = Json::array();
      for (size_t i = 0; i < c.items.size(); ++i) {
        auto v = compute_at(bundle, c.items[i], data, tables);
        if (!v) return Error{"[" + std::to_string(i) + "]: " + v.error().message, "", v.error().line, v.error().column};
        out.push_back(std::move(v.value()));
      }
      return out;
    }
  }
}

Result<RunData> run_data_at(const Bundle& bundle, const Json& trace, const std::string& run_id,
                            const std::string& step_path, const std::vector<Event>& events) {
  return Rebuilder(bundle, trace, events).at(run_id, step_path, 0);
}

std::optional<RunData> step_data(const Bundle& bundle, const std::string& run_id, const std::string& trace_path,
                                 const std::string& step_path, const std::string& events_path, const char* command,
                                 int* exit_status) {
  *exit_status = 2;
  auto text = read_input(trace_path);
  if (!text) return std::nullopt;
  auto trace = parse_json(*text, "trace");
  if (!trace || !trace.value().is_object() || !trace.value().contains("runs")) {
    std::fprintf(stderr, "shopflow %s: %s is not a trace of shopflow simulate --trace%s\n", command, trace_path.c_str(),
                 trace ? "" : (": " + trace.error().to_string()).c_str());
    *exit_status = 1;
    return std::nullopt;
  }
  std::vector<Event> file_events;
  if (!events_path.empty()) {
    auto ev_text = read_input(events_path);
    if (!ev_text) return std::nullopt;
    auto parsed = parse_events_jsonl(*ev_text);
    if (!parsed) {
      std::fprintf(stderr, "shopflow %s: %s: %s\n", command, events_path.c_str(), parsed.error().to_string().c_str());
      *exit_status = 1;
      return std::nullopt;
    }
    file_events = std::move(parsed.value());
  }
  auto found = run_data_at(bundle, trace.value(), run_id, step_path, events_path.empty() ? bundle.sample_events : file_events);
  if (!found) {
    std::fprintf(stderr, "shopflow %s: %s\n", command, found.error().message.c_str());
    *exit_status = 1;
    return std::nullopt;
  }
  return std::move(found.value());
}

}  // namespace shopflow::cli
