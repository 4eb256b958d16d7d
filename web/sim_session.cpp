// The step-wise simulation; the loop and the trace document mirror shopflow::simulate().
#include "sim_session.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>

#include "shopflow/store.hpp"

namespace shopflow::studio {

namespace {

double now_ms() {
  // The browser's performance clock through libc; only used to size slices, never by the core.
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

bool glob_prefix_match(const std::string& pattern, const std::string& url) {
  if (!pattern.empty() && pattern.back() == '*') return url.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  return pattern == url;
}

Json parse_or_null(const std::string& s) {
  if (s.empty()) return Json();
  auto j = parse_json(s, "record");
  return j ? std::move(j.value()) : Json(s);
}

void fail(SimSession& s, const Error& e) {
  s.phase = SimPhase::Failed;
  s.error = e.to_string();
  s.engine.reset();
}

// The trace document, as simulate() writes it.
Status build_trace(SimSession& s) {
  Engine& engine = *s.engine;
  const Bundle& bundle = s.bundle;
  Trace trace;
  trace.events = s.handled;
  trace.duplicates = s.duplicates;
  trace.after_until = s.order.size() - s.next;
  Json& t = trace.json;
  t["bundle"] = bundle.name;
  t["version"] = bundle.version;
  t["from"] = format_instant(s.from);
  t["until"] = format_instant(s.until);
  t["events"] = {{"given", s.input.size()}, {"handled", trace.events}, {"duplicates", trace.duplicates},
                 {"after_until", trace.after_until}};
  for (const Workflow& w : bundle.workflows) trace.counts.push_back(WorkflowCounts{w.id, 0, 0, 0, 0, 0});
  auto runs = engine.runs();
  if (!runs) return runs.error();
  std::map<std::string, std::string> workflow_of_run;
  Json jruns = Json::array();
  for (const RunRow& r : runs.value()) {
    workflow_of_run[r.id] = r.workflow;
    for (auto& c : trace.counts) {
      if (c.workflow != r.workflow) continue;
      ++c.started;
      if (r.status == "completed") ++c.completed;
      else if (r.status == "waiting") ++c.waiting;
      else if (r.status == "failed") ++c.failed;
      else if (r.status == "stopped") ++c.stopped;
    }
    Json jr = {{"id", r.id}, {"workflow", r.workflow}, {"event", r.event_id}, {"status", r.status},
               {"started", format_instant(r.started)}, {"updated", format_instant(r.updated)}};
    if (!r.error.empty()) jr["error"] = r.error;
    if (!r.error_step.empty()) jr["error_step"] = r.error_step;
    if (!r.wait_event.empty()) jr["waiting_for"] = r.wait_event;
    if (s.options.include_steps) {
      auto steps = engine.steps(r.id);
      if (!steps) return steps.error();
      Json js = Json::array();
      for (const StepRow& st : steps.value()) {
        Json x = {{"path", st.path}, {"kind", st.kind}, {"time", format_instant(st.time)}};
        if (!st.input.empty()) x["input"] = parse_or_null(st.input);
        x["output"] = parse_or_null(st.output);
        if (!st.verdict.empty()) x["verdict"] = parse_or_null(st.verdict);
        if (!st.explanation.empty()) x["explanation"] = parse_or_null(st.explanation);
        js.push_back(std::move(x));
      }
      jr["steps"] = std::move(js);
    }
    jruns.push_back(std::move(jr));
  }
  t["runs"] = std::move(jruns);
  auto effects = engine.effects();
  if (!effects) return effects.error();
  Json jeffects = Json::array();
  for (const EffectRow& e : effects.value()) {
    ++trace.effects_by_type[e.type];
    jeffects.push_back({{"id", e.id}, {"type", e.type}, {"workflow", workflow_of_run[e.run_id]}, {"run", e.run_id},
                        {"step", e.path}, {"time", format_instant(e.created)}, {"params", parse_or_null(e.params)}});
  }
  t["effects"] = std::move(jeffects);
  Json changes = Json::array();
  for (const TableChange& c : engine.take_table_changes()) {
    changes.push_back({{"time", format_instant(c.time)}, {"run", c.run_id}, {"table", c.table}, {"key", c.key},
                       {"value", c.value}});
  }
  Json final_rows = Json::object();
  for (const TableDef& td : bundle.tables) final_rows[td.name] = Json::object();
  auto rows = engine.table_rows();
  if (!rows) return rows.error();
  for (const TableRow& r : rows.value()) final_rows[r.table][r.key] = parse_or_null(r.value);
  t["tables"] = {{"changes", std::move(changes)}, {"final", std::move(final_rows)}};
  Json counts = Json::object();
  for (const auto& c : trace.counts) {
    counts[c.workflow] = {{"started", c.started}, {"completed", c.completed}, {"waiting", c.waiting},
                          {"failed", c.failed}, {"stopped", c.stopped}};
  }
  Json by_type = Json::object();
  for (const auto& [type, n] : trace.effects_by_type) by_type[type] = n;
  t["counts"] = {{"runs", std::move(counts)}, {"effects", std::move(by_type)}};
  trace.hash = fnv1a64_hex(t.dump());
  s.trace = std::move(trace);
  s.has_trace = true;
  return Status::Ok();
}

}  // namespace

void sim_reset(SimSession& s) {
  float budget = s.budget_ms;
  std::string filter = s.effect_filter;
  bool rerun = s.auto_rerun;
  s = SimSession{};
  s.budget_ms = budget;
  s.effect_filter = filter;
  s.auto_rerun = rerun;
}

void sim_start(SimSession& s, const Bundle& bundle, const std::vector<Event>& events, int revision) {
  sim_reset(s);
  s.revision = revision;
  s.bundle = bundle;
  s.input = events;
  auto store = Store::open(":memory:");
  if (!store) return fail(s, store.error());
  EngineOptions eo;
  eo.limits = s.options.limits;
  eo.explain = s.options.explain;
  eo.record_tables = true;
  // The mocks live in the engine's own copy of the bundle, which outlives this callback.
  auto opened_bundle = bundle.http_mocks;
  eo.request = [mocks = std::move(opened_bundle)](const Json& req) -> Result<Json> {
    std::string method = req.contains("method") && req["method"].is_string() ? upper(req["method"].get<std::string>()) : "";
    std::string url = req.contains("url") && req["url"].is_string() ? req["url"].get<std::string>() : "";
    for (const HttpMock& m : mocks) {
      if ((m.method.empty() || upper(m.method) == method) && glob_prefix_match(m.url, url)) return m.response;
    }
    return Error{"no mock answers " + method + " " + url + "; add one under mocks.http", "", 0, 0};
  };
  auto opened = Engine::open(bundle, std::move(store.value()), std::move(eo));
  if (!opened) return fail(s, opened.error());
  s.engine = std::move(opened.value());
  s.order.resize(s.input.size());
  for (size_t i = 0; i < s.order.size(); ++i) s.order[i] = i;
  std::stable_sort(s.order.begin(), s.order.end(),
                   [&](size_t a, size_t b) { return s.input[a].time_ms < s.input[b].time_ms; });
  const SimOptions& o = s.options;
  s.until = o.until ? *o.until
                    : (s.order.empty() ? o.from.value_or(0) : s.input[s.order.back()].time_ms) + kDefaultSimulationTail;
  s.from = o.from ? *o.from : (s.order.empty() ? s.until : s.input[s.order.front()].time_ms);
  s.clock = s.from;
  s.phase = SimPhase::Paused;
}

bool sim_step(SimSession& s) {
  if (!s.engine || s.phase == SimPhase::Done || s.phase == SimPhase::Failed || s.phase == SimPhase::Idle) return false;
  Engine& engine = *s.engine;
  auto due = engine.next_due(s.clock);
  if (!due) {
    fail(s, due.error());
    return false;
  }
  Millis next_event = s.next < s.order.size() ? s.input[s.order[s.next]].time_ms : std::numeric_limits<Millis>::max();
  if (due.value() && *due.value() <= s.until && *due.value() <= next_event) {
    s.clock = std::max(s.clock, *due.value());
    auto n = engine.advance(s.clock);
    if (!n) {
      fail(s, n.error());
      return false;
    }
    s.marks.push_back(SimMark{s.clock, false, "timer"});
    return true;
  }
  if (s.next < s.order.size() && next_event <= s.until) {
    const Event& e = s.input[s.order[s.next]];
    s.clock = std::max(s.clock, next_event);
    auto r = engine.ingest(e, s.clock);
    if (!r) {
      fail(s, r.error());
      return false;
    }
    ++s.handled;
    if (!r.value()) ++s.duplicates;
    ++s.next;
    s.marks.push_back(SimMark{s.clock, true, e.type});
    return true;
  }
  if (auto st = build_trace(s); !st) {
    fail(s, st.error());
    return false;
  }
  s.phase = SimPhase::Done;
  return false;
}

void sim_slice(SimSession& s, double budget_ms) {
  double start = now_ms();
  while (sim_step(s)) {
    if (now_ms() - start >= budget_ms) break;
  }
  s.elapsed_ms += now_ms() - start;
}

float sim_progress(const SimSession& s) {
  if (s.phase == SimPhase::Done) return 1.0f;
  if (s.order.empty()) return 0.0f;
  return static_cast<float>(s.next) / static_cast<float>(s.order.size());
}

}  // namespace shopflow::studio
