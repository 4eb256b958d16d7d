// The Runner panel's backtest (runner_backtest.hpp): production's events, runs and effects
// fetched from the runner a page at a time (a few pages held at most), fed to the core's
// Backtest (shopflow/backtest.hpp) within each frame's budget, and its report kept for the panel.
//
// Production's decisions are in each run's step records, which only GET /v1/runs/{id} gives:
// the runs of the first kDetailedRuns are fetched one by one (six at a time, the browser's
// connections to one host), so their decisions are compared; past that, runs are compared by
// how they ended and by their effects.
#include "runner_backtest.hpp"

#include <deque>

#include "panels.hpp"
#include "runner_client.hpp"
#include "shopflow/backtest.hpp"
#include "shopflow/instant.hpp"
#include "shopflow/simulator.hpp"
#include "sim_session.hpp"
#include "why.hpp"

namespace shopflow::studio {

namespace {

// Events, runs and effects per page, and pages held at most (fetched, not yet fed), so that
// the page's memory stays bounded however many events production has.
constexpr size_t kEventPage = 5000;
// A page of runs or effects is parsed whole when it comes: 1,000 of them take a few ms.
constexpr size_t kRunPage = 1000;
constexpr size_t kEffectPage = 1000;
constexpr size_t kPagesAhead = 2;
constexpr size_t kDetailedRuns = 10000;
// Runs whose step records are asked for in one batch (six requests at a time), and batches
// under way at most.
constexpr size_t kDetailBatch = 100;
constexpr size_t kBatchesAtOnce = 2;
// Runs listed and waiting for their step records at most: the events are not fetched further
// ahead than that.
constexpr size_t kRunsBehind = 2 * kRunPage;
// Flipped decisions and other differences listed (the counts cover them all).
constexpr size_t kFlipsKept = 2000;
constexpr size_t kLinesKept = 500;
// The events re-run for an opened flip's edited side: from this long before production's run
// started until this long after its last update (the runner's time filters are to the second),
// at most this many.
constexpr Millis kRunLead = 1000;
constexpr size_t kRunEvents = 1000;

}  // namespace

struct BacktestJob {
  std::unique_ptr<Backtest> backtest;
  std::deque<std::string> event_pages;  // fetched, not yet fed
  size_t event_pos = 0;                                // where feeding stands in event_pages.front()
  std::deque<Json> runs_listed;                        // listed, their step records not asked yet
  std::map<int, size_t> details;                       // batches of GET /v1/runs/{id} under way, their runs
  std::vector<RunRecord> runs_ready;                   // to add
  size_t detailed = 0;                                 // runs whose step records were asked
  PagedFetch effects;
  // The latest start of a run and creation of an effect listed: the next page is asked for
  // once the simulation's clock has passed them (what it has not reached yet is held).
  Millis runs_until = 0, effects_until = 0;
  bool ended = false;                                  // end_input() given
  bool finished = false;
};

namespace {

RunnerBacktest& bt(StudioState& state) { return state.runner.backtest; }

void cancel_all(StudioState& state) {
  RunnerBacktest& b = bt(state);
  runner_cancel(state, b.events.request);
  runner_cancel(state, b.runs.request);
  if (b.job) {
    runner_cancel(state, b.job->effects.request);
    for (const auto& [id, _] : b.job->details) runner_cancel(state, id);
  }
}

void fail(StudioState& state, const std::string& why) {
  RunnerBacktest& b = bt(state);
  cancel_all(state);
  b.error = why;
  b.done = true;
  b.job.reset();
}

std::string window_query(const RunnerState& r) {
  std::string q;
  if (!r.since.empty()) q += "&since=" + url_encode(r.since);
  if (!r.until.empty()) q += "&until=" + url_encode(r.until);
  return q;
}

// Asks for the next pages while there is room for them, and for runs' step records.
void fetch_more(StudioState& state) {
  RunnerBacktest& b = bt(state);
  RunnerState& r = state.runner;
  if (!b.job) return;
  BacktestJob& j = *b.job;
  size_t asked = 0;  // runs whose step records are under way
  for (const auto& [id, n] : j.details) asked += n;
  const Millis clock = j.backtest->clock();
  // The simulation does not run ahead of production's runs listed so far: the runs it makes
  // wait in the comparison for their counterparts, and a million of them fill the memory.
  if (!b.events.last && b.events.request == 0 && j.event_pages.size() < kPagesAhead &&
      j.runs_listed.size() + asked < kRunsBehind && (b.runs.last || j.runs_until >= clock)) {
    b.events.asked = kEventPage;
    b.events.request = runner_send(state, RunnerCall::BacktestEvents, "GET", events_query(r, b.events.after, kEventPage));
  }
  const bool events_in = b.events.last && j.event_pages.empty();
  if (!b.runs.last && b.runs.request == 0 && j.runs_listed.size() < kRunPage && (events_in || j.runs_until <= clock)) {
    std::string q = "/v1/runs?limit=" + std::to_string(kRunPage) + window_query(r);
    if (!b.runs.after.empty()) q += "&after=" + url_encode(b.runs.after);
    b.runs.request = runner_send(state, RunnerCall::BacktestRuns, "GET", q);
  }
  if (!j.effects.last && j.effects.request == 0 && (events_in || j.effects_until <= clock)) {
    std::string q = "/v1/effects?limit=" + std::to_string(kEffectPage);
    if (!j.effects.after.empty()) q += "&after=" + url_encode(j.effects.after);
    j.effects.request = runner_send(state, RunnerCall::BacktestEffects, "GET", q);
  }
  // Step records for the first runs, a batch at a time; the others as listed.
  while (!j.runs_listed.empty() && j.detailed < kDetailedRuns && j.details.size() < kBatchesAtOnce) {
    std::vector<std::string> paths;
    while (!j.runs_listed.empty() && paths.size() < kDetailBatch && j.detailed < kDetailedRuns) {
      paths.push_back("/v1/runs/" + url_encode(j.runs_listed.front().value("id", std::string())));
      j.runs_listed.pop_front();
      ++j.detailed;
    }
    j.details[runner_send_many(state, RunnerCall::BacktestDetail, paths)] = paths.size();
  }
  while (!j.runs_listed.empty() && j.detailed >= kDetailedRuns) {
    Json run = std::move(j.runs_listed.front());
    j.runs_listed.pop_front();
    auto rec = run_record(run);
    if (!rec) return fail(state, "a run of /v1/runs: " + rec.error().to_string());
    j.runs_ready.push_back(std::move(rec.value()));
  }
}

std::string next_of(const Json& page) {
  const Json& next = page.contains("next_after") ? page["next_after"] : Json();
  return next.is_null() ? "" : (next.is_string() ? next.get<std::string>() : next.dump());
}

std::string plural(size_t n, const std::string& what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

// The report in the panel's words.
void take_results(RunnerBacktest& b, ComparisonReport report) {
  b.same = !report.differs();
  for (const WorkflowDiff& w : report.workflows) {
    std::string line = w.workflow + ": " + std::to_string(w.runs_before) + " runs in production, " +
                       std::to_string(w.runs_after) + " with the edit";
    if (w.decisions_flipped) line += "; " + plural(w.decisions_flipped, "decision") + " flipped";
    if (w.runs_added) line += "; " + plural(w.runs_added, "new run");
    if (w.runs_removed) line += "; " + plural(w.runs_removed, "run") + " no longer started";
    if (w.status_changed) line += "; " + plural(w.status_changed, "run") + " ending otherwise";
    if (w.effects_before != w.effects_after || w.effects_added || w.effects_removed || w.effects_changed) {
      line += "; effects " + std::to_string(w.effects_before) + " -> " + std::to_string(w.effects_after);
      if (w.effects_added) line += " (" + std::to_string(w.effects_added) + " added";
      if (w.effects_removed) line += std::string(w.effects_added ? ", " : " (") + std::to_string(w.effects_removed) + " removed";
      if (w.effects_changed) {
        line += std::string(w.effects_added || w.effects_removed ? ", " : " (") + std::to_string(w.effects_changed) + " changed";
      }
      if (w.effects_added || w.effects_removed || w.effects_changed) line += ")";
    }
    b.summary.push_back(line);
    b.flips_total += w.decisions_flipped;
  }
  size_t unlisted = report.details_left_out;
  for (Difference& d : report.details) {
    if (d.kind != DiffKind::DecisionFlipped) {
      if (b.lines.size() < kLinesKept) {
        b.lines.push_back(describe(d));
      } else {
        ++unlisted;
      }
      continue;
    }
    if (b.flips.size() >= kFlipsKept) continue;
    BacktestFlip f;
    f.run_id = d.run;
    f.workflow = d.workflow;
    f.path = d.step;
    f.production = d.before.dump();
    f.edited = d.after.dump();
    f.detail = to_json(d);  // its sentence is made when it is shown
    b.flips.push_back(std::move(f));
  }
  if (unlisted) b.lines.push_back("... and " + std::to_string(unlisted) + " more differences");
}

// The key the runner stored an event under (which its runs are named by), for a line of
// /v1/events that does not say it: "<namespace>:<origin>#<id>" as the runner's ingest makes it
// (runner/ingest.hpp, legacy_inbox_key), '%' and '#' in the origin percent-encoded.
std::string sender_key(const Json& event) {
  const std::string id = event.value("id", std::string());
  const std::string source = event.value("source", std::string());
  auto starts = [](const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; };
  std::string ns = "ce", origin = source, rest = id;
  if (starts(id, "shopify:") && starts(source, "shopify://")) {
    ns = "shopify";
    origin = source.substr(10);
    rest = id.substr(8);
  } else if (starts(id, "woocommerce:")) {
    ns = "woocommerce";
    origin = source == "woocommerce://unknown-store" ? "unknown-store" : source;
    rest = id.substr(12);
  }
  std::string out = ns + ":";
  for (char c : origin) out += c == '%' ? "%25" : (c == '#' ? "%23" : std::string(1, c));
  return out + "#" + rest;
}

// A line of /v1/events as the core's backtest takes it, with the event's key.
Result<Event> line_event(Json&& line) {
  if (line.is_object() && !line.contains("key") && line.contains("event") && line["event"].is_object()) {
    line["key"] = sender_key(line["event"]);
  }
  return recorded_event(std::move(line));
}

// Feeds the next events of the front page, up to `max` of them; false when none is left fetched.
bool feed_events(StudioState& state, size_t max) {
  RunnerBacktest& b = bt(state);
  BacktestJob& j = *b.job;
  if (j.event_pages.empty()) return false;
  const std::string& page = j.event_pages.front();
  std::vector<Event> events;
  events.reserve(max);
  while (j.event_pos < page.size() && events.size() < max) {
    size_t end = page.find('\n', j.event_pos);
    if (end == std::string::npos) end = page.size();
    std::string_view line(page.data() + j.event_pos, end - j.event_pos);
    j.event_pos = end + 1;
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    auto parsed = parse_json(line, "event line");
    if (!parsed) return fail(state, "/v1/events: " + parsed.error().to_string()), false;
    auto e = line_event(std::move(parsed.value()));
    if (!e) return fail(state, "/v1/events: " + e.error().to_string()), false;
    events.push_back(std::move(e.value()));
  }
  if (j.event_pos >= page.size()) {
    j.event_pages.pop_front();
    j.event_pos = 0;
  }
  b.events.items += events.size();
  j.backtest->add_events(std::move(events));
  return true;
}

// The edited bundle's side of an opened flip: the events the runner received from a little
// before production's run started until a little after it was last updated, re-run through the
// edited bundle.
void ask_run_events(StudioState& state) {
  RunnerBacktest& b = bt(state);
  const Json& run = b.production_run;
  auto started = parse_instant(run.value("started", std::string()));
  auto updated = parse_instant(run.value("updated", std::string()));
  if (!started || !updated) {
    b.edited_error = "production's run has no start or update time";
    return;
  }
  RunnerState r = state.runner;  // the query with this window, not the panel's filters
  r.since = format_instant(started.value() - kRunLead);
  r.until = format_instant(updated.value() + kRunLead);
  r.type.clear();
  b.edited_request = runner_send(state, RunnerCall::BacktestEdited, "GET", events_query(r, "", kRunEvents));
}

void backtest_edited_answer(StudioState& state, int status, const std::string& body) {
  RunnerBacktest& b = bt(state);
  if (status != 200) {
    b.edited_error = answer_error(state.runner, status, body);
    return;
  }
  if (!state.check.ok()) {
    b.edited_error = "the edited bundle has problems";
    return;
  }
  std::vector<Event> events;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    std::string_view line(body.data() + pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    auto parsed = parse_json(line, "event line");
    if (!parsed) continue;
    auto e = line_event(std::move(parsed.value()));
    if (e) events.push_back(std::move(e.value()));
  }
  auto trace = simulate(state.check.bundle, std::move(events));
  if (!trace) {
    b.edited_error = trace.error().to_string();
    return;
  }
  const BacktestFlip& f = b.flips[static_cast<size_t>(b.open_flip)];
  const std::string event_id = b.production_run.value("event_id", std::string());
  for (auto& run : trace.value().json["runs"]) {
    if (run.value("id", std::string()) == f.run_id ||
        (run.value("workflow", std::string()) == f.workflow && run.value("event", std::string()) == event_id)) {
      b.edited_run = std::move(run);
      return;
    }
  }
  b.edited_error = "the edited bundle starts no such run on these events";
}

}  // namespace

bool backtest_running(const StudioState& state) {
  const RunnerBacktest& b = state.runner.backtest;
  return b.ran && !b.done;
}

void backtest_start(StudioState& state) {
  cancel_all(state);
  runner_cancel(state, bt(state).run_request);
  RunnerBacktest& b = bt(state) = RunnerBacktest{};
  RunnerState& r = state.runner;
  b.ran = true;
  b.revision = state.revision;
  b.version = r.version;
  b.started_ms = slice_clock_ms();
  BacktestOptions options;
  for (auto [text, out, name] : {std::tuple{&r.since, &options.since, "since"}, std::tuple{&r.until, &options.until, "until"}}) {
    if (text->empty()) continue;
    auto t = parse_instant(*text);
    if (!t) return fail(state, std::string(name) + ": " + t.error().to_string());
    *out = t.value();
  }
  options.max_details = 10000;
  if (!state.check.ok()) return fail(state, "the edited bundle has problems");
  auto opened = Backtest::open(state.check.bundle, options);
  if (!opened) return fail(state, opened.error().to_string());
  b.job = std::make_shared<BacktestJob>();
  b.job->backtest = std::move(opened.value());
  fetch_more(state);
}

void backtest_cancel(StudioState& state) {
  RunnerBacktest& b = bt(state);
  if (!backtest_running(state)) return;
  cancel_all(state);
  b.cancelled = true;
  b.done = true;
  if (b.job) take_results(b, b.job->backtest->take_report());
  b.job.reset();
}

void backtest_answer(StudioState& state, RunnerCall call, int id, int status, const std::string& next_after,
                     std::string body) {
  RunnerBacktest& b = bt(state);
  if (call == RunnerCall::BacktestRun) {
    if (id != b.run_request) return;
    b.run_request = 0;
    if (status != 200) {
      b.production_error = answer_error(state.runner, status, body);
      return;
    }
    auto j = parse_json(body, "GET /v1/runs/{id}");
    if (!j || !j.value().contains("run")) {
      b.production_error = "the runner's answer has no run";
      return;
    }
    b.production_run = std::move(j.value()["run"]);
    as_trace_run(b.production_run);
    ask_run_events(state);
    return;
  }
  if (call == RunnerCall::BacktestEdited) {
    if (id != b.edited_request) return;
    b.edited_request = 0;
    backtest_edited_answer(state, status, body);
    return;
  }
  if (!b.job || b.done) return;
  BacktestJob& j = *b.job;
  if (status != 200) {
    if (status == 0 && body == "cancelled") return;
    return fail(state, answer_error(state.runner, status, body));
  }
  switch (call) {
    case RunnerCall::BacktestEvents: {
      if (id != b.events.request) return;
      b.events.request = 0;
      b.events.bytes += body.size();
      b.events.after = page_next(next_after, body, b.events.asked);
      b.events.last = b.events.after.empty();
      if (!body.empty()) j.event_pages.push_back(std::move(body));
      break;
    }
    case RunnerCall::BacktestRuns: {
      if (id != b.runs.request) return;
      b.runs.request = 0;
      auto page = parse_json(body, "GET /v1/runs");
      if (!page || !page.value().contains("runs") || !page.value()["runs"].is_array()) {
        return fail(state, "the runner's /v1/runs answer has no runs list");
      }
      for (auto& run : page.value()["runs"]) {
        if (auto t = parse_instant(run.value("started", std::string())); t) j.runs_until = std::max(j.runs_until, t.value());
        j.runs_listed.push_back(std::move(run));
      }
      b.runs.items += page.value()["runs"].size();
      b.runs.after = next_of(page.value());
      b.runs.last = b.runs.after.empty();
      break;
    }
    case RunnerCall::BacktestEffects: {
      if (id != j.effects.request) return;
      j.effects.request = 0;
      auto page = parse_json(body, "GET /v1/effects");
      if (!page || !page.value().contains("effects") || !page.value()["effects"].is_array()) {
        return fail(state, "the runner's /v1/effects answer has no effects list");
      }
      std::vector<EffectRecord> effects;
      for (const auto& e : page.value()["effects"]) {
        auto rec = effect_record(e);
        if (!rec) return fail(state, "an effect of /v1/effects: " + rec.error().to_string());
        j.effects_until = std::max(j.effects_until, rec.value().created);
        effects.push_back(std::move(rec.value()));
      }
      j.effects.items += effects.size();
      j.backtest->add_effects(std::move(effects));
      j.effects.after = next_of(page.value());
      j.effects.last = j.effects.after.empty();
      break;
    }
    case RunnerCall::BacktestDetail: {
      if (!j.details.erase(id)) return;
      auto runs = parse_json(body, "GET /v1/runs/{id}");
      if (!runs || !runs.value().is_array()) return fail(state, "the runner's answers for the runs' steps are not JSON");
      for (const auto& run : runs.value()) {
        if (!run.contains("run")) return fail(state, "the runner's answer has no run");
        auto rec = run_record(run["run"]);
        if (!rec) return fail(state, "a run of /v1/runs/{id}: " + rec.error().to_string());
        j.runs_ready.push_back(std::move(rec.value()));
      }
      break;
    }
    default: break;
  }
  fetch_more(state);
}

void backtest_tick(StudioState& state, double budget_ms) {
  RunnerBacktest& b = bt(state);
  if (!backtest_running(state) || !b.job) return;
  BacktestJob& j = *b.job;
  const double start = slice_clock_ms();
  b.elapsed_ms = start - b.started_ms;
  if (!j.runs_ready.empty()) {
    b.runs_compared += j.runs_ready.size();
    j.backtest->add_runs(std::move(j.runs_ready));
    j.runs_ready.clear();
  }
  // Simulate what is given, feed more when the simulation is hungry, within the budget.
  while (slice_clock_ms() - start < budget_ms) {
    auto did = j.backtest->step(256);
    if (!did) return fail(state, did.error().to_string());
    if (did.value() == Backtest::Did::Finished) {
      take_results(b, j.backtest->take_report());
      b.done = true;
      b.elapsed_ms = slice_clock_ms() - b.started_ms;
      b.job.reset();
      return;
    }
    if (did.value() == Backtest::Did::Working) continue;
    if (feed_events(state, 512)) continue;
    if (!b.job) return;  // failed
    const bool all_in = b.events.last && j.event_pages.empty() && b.runs.last && j.runs_listed.empty() &&
                        j.details.empty() && j.runs_ready.empty() && j.effects.last;
    if (!all_in) break;  // waiting for pages
    if (!j.ended) {
      j.backtest->end_input();
      j.ended = true;
    }
  }
  fetch_more(state);
}

void backtest_open_flip(StudioState& state, int i) {
  RunnerBacktest& b = bt(state);
  if (i < 0 || static_cast<size_t>(i) >= b.flips.size()) return;
  runner_cancel(state, b.run_request);
  runner_cancel(state, b.edited_request);
  b.open_flip = i;
  b.production_run = Json();
  b.production_error.clear();
  b.edited_run = Json();
  b.edited_error.clear();
  b.run_request = runner_send(state, RunnerCall::BacktestRun, "GET", "/v1/runs/" + url_encode(b.flips[static_cast<size_t>(i)].run_id));
}

}  // namespace shopflow::studio
