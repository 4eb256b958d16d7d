// The Runner panel's backtest (runner_backtest.hpp): production's events, runs (with their
// step records, GET /v1/runs?steps=true) and effects fetched from the runner a page at a time
// (a few pages held at most), fed to the core's Backtest (shopflow/backtest.hpp) within each
// frame's budget, and its report kept for the panel.
//
// A page is handed over whole but parsed a line at a time within the frame's budget: events
// and runs are JSON Lines, and an effects page is small enough to parse in one piece.
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
constexpr size_t kEventPage = 20000;
constexpr size_t kRunPage = 10000;
constexpr size_t kPagesAhead = 2;
// The simulation's runs that may wait for production's (a few MB).
constexpr size_t kRunsAhead = 20000;
// A page of effects is one JSON document, parsed in one piece: 1,000 of them take a few ms.
constexpr size_t kEffectPage = 1000;
// Work between two looks at the clock: events fed, runs parsed (and a simulation step, which
// goes as far as the events fed).
constexpr size_t kEventsPerSlice = 128;
constexpr size_t kRunsPerSlice = 64;
// Flipped decisions and other differences listed (the counts cover them all).
constexpr size_t kFlipsKept = 1000;
constexpr size_t kLinesKept = 500;
// The events re-run for an opened flip's edited side: from this long before production's run
// started until this long after its last update (the runner's time filters are to the second),
// at most this many.
constexpr Millis kRunLead = 1000;
constexpr size_t kRunEvents = 1000;

}  // namespace

// JSON Lines pages fetched, not yet all read: where reading stands in the front one.
struct LinePages {
  std::deque<std::string> pages;
  size_t pos = 0;
  // The next non-blank line of the front page (dropping pages read to their end), or false.
  bool next(std::string_view* line) {
    while (!pages.empty()) {
      const std::string& page = pages.front();
      while (pos < page.size()) {
        size_t end = page.find('\n', pos);
        if (end == std::string::npos) end = page.size();
        *line = std::string_view(page.data() + pos, end - pos);
        pos = end + 1;
        if (line->find_first_not_of(" \r\t") != std::string_view::npos) return true;
      }
      pages.pop_front();
      pos = 0;
    }
    return false;
  }
};

struct BacktestJob {
  std::unique_ptr<Backtest> backtest;
  LinePages events;                    // /v1/events pages
  LinePages runs;                      // /v1/runs?steps=true pages
  std::deque<std::string> effect_pages;  // /v1/effects pages, each parsed whole
  PagedFetch effects;
  // The latest start of a run and creation of an effect read: the next page is asked for once
  // the simulation's clock has passed them (what it has not reached yet is held).
  Millis runs_until = 0, effects_until = 0;
  bool ended = false;                  // end_input() given
};

namespace {

RunnerBacktest& bt(StudioState& state) { return state.runner.backtest; }

void cancel_all(StudioState& state) {
  RunnerBacktest& b = bt(state);
  runner_cancel(state, b.events.request);
  runner_cancel(state, b.runs.request);
  if (b.job) runner_cancel(state, b.job->effects.request);
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

// Asks for the next pages while there is room for them.
void fetch_more(StudioState& state) {
  RunnerBacktest& b = bt(state);
  RunnerState& r = state.runner;
  if (!b.job) return;
  BacktestJob& j = *b.job;
  const Millis clock = j.backtest->clock();
  // The simulation runs ahead of production's runs read so far by a bounded number of runs
  // only: the runs it makes wait in the comparison for their counterparts, and a million of
  // them fill the memory.
  if (!b.events.last && b.events.request == 0 && j.events.pages.size() < kPagesAhead &&
      (b.runs.last || j.runs_until >= clock || j.backtest->simulated_runs_waiting() < kRunsAhead)) {
    b.events.asked = kEventPage;
    b.events.request = runner_send(state, RunnerCall::BacktestEvents, "GET", events_query(r, b.events.after, kEventPage));
  }
  // Runs and effects are fetched as soon as there is room, and read once the simulation's
  // clock has reached those read so far (backtest_tick): no page is waited for then.
  if (!b.runs.last && b.runs.request == 0 && j.runs.pages.size() < kPagesAhead) {
    std::string q = "/v1/runs?steps=true&limit=" + std::to_string(kRunPage) + window_query(r);
    if (!b.runs.after.empty()) q += "&after=" + url_encode(b.runs.after);
    b.runs.asked = kRunPage;
    b.runs.request = runner_send(state, RunnerCall::BacktestRuns, "GET", q);
  }
  if (!j.effects.last && j.effects.request == 0 && j.effect_pages.size() < kPagesAhead) {
    std::string q = "/v1/effects?limit=" + std::to_string(kEffectPage);
    if (!j.effects.after.empty()) q += "&after=" + url_encode(j.effects.after);
    j.effects.request = runner_send(state, RunnerCall::BacktestEffects, "GET", q);
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

// A line of /v1/events as the core's backtest takes it; its "key" names the runs it started.
Result<Event> line_event(Json&& line) { return recorded_event(std::move(line)); }

// Feeds the next events fetched, up to `max` of them; false when none is left fetched.
bool feed_events(StudioState& state, size_t max) {
  RunnerBacktest& b = bt(state);
  BacktestJob& j = *b.job;
  std::vector<Event> events;
  std::string_view line;
  while (events.size() < max && j.events.next(&line)) {
    auto parsed = parse_json(line, "event line");
    if (!parsed) return fail(state, "/v1/events: " + parsed.error().to_string()), false;
    auto e = line_event(std::move(parsed.value()));
    if (!e) return fail(state, "/v1/events: " + e.error().to_string()), false;
    events.push_back(std::move(e.value()));
  }
  if (events.empty()) return false;
  b.events.items += events.size();
  j.backtest->add_events(std::move(events));
  return true;
}

// Reads the next runs fetched, up to `max` of them, into the comparison; false when none is
// left fetched.
bool read_runs(StudioState& state, size_t max) {
  RunnerBacktest& b = bt(state);
  BacktestJob& j = *b.job;
  std::vector<RunRecord> runs;
  std::string_view line;
  while (runs.size() < max && j.runs.next(&line)) {
    auto rec = run_record_text(line);
    if (!rec) return fail(state, "a run of /v1/runs: " + rec.error().to_string()), false;
    j.runs_until = std::max(j.runs_until, rec.value().started);
    runs.push_back(std::move(rec.value()));
  }
  if (runs.empty()) return false;
  b.runs.items += runs.size();
  b.runs_compared += runs.size();
  j.backtest->add_runs(std::move(runs));
  return true;
}

// Parses the front page of effects into the comparison; false when none is fetched.
bool read_effects(StudioState& state) {
  RunnerBacktest& b = bt(state);
  BacktestJob& j = *b.job;
  if (j.effect_pages.empty()) return false;
  auto page = effect_page_text(j.effect_pages.front());
  j.effect_pages.pop_front();
  if (!page) return fail(state, page.error().to_string()), false;
  std::vector<EffectRecord> effects = std::move(page.value());
  for (const EffectRecord& e : effects) j.effects_until = std::max(j.effects_until, e.created);
  j.effects.items += effects.size();
  j.backtest->add_effects(std::move(effects));
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
  // The details kept are what the panel lists (the counts cover them all): the end of a large
  // backtest orders and converts them in one frame.
  options.max_details = kFlipsKept + kLinesKept;
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
      if (!body.empty()) j.events.pages.push_back(std::move(body));
      break;
    }
    case RunnerCall::BacktestRuns: {
      if (id != b.runs.request) return;
      b.runs.request = 0;
      b.runs.bytes += body.size();
      b.runs.after = page_next(next_after, body, b.runs.asked);
      b.runs.last = b.runs.after.empty();
      if (!body.empty()) j.runs.pages.push_back(std::move(body));
      break;
    }
    case RunnerCall::BacktestEffects: {
      if (id != j.effects.request) return;
      j.effects.request = 0;
      // Where the next page starts is in the header, so it is asked for before this one is
      // parsed (within a frame's budget, later); the body says it too when the header is hidden.
      if (!next_after.empty()) {
        j.effects.after = next_after;
      } else {
        auto page = parse_json(body, "GET /v1/effects");
        if (!page || !page.value().is_object()) return fail(state, "the runner's /v1/effects answer is not JSON");
        j.effects.after = next_of(page.value());
      }
      j.effects.last = j.effects.after.empty();
      j.effect_pages.push_back(std::move(body));
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
  auto left = [&] { return slice_clock_ms() - start < budget_ms; };
  // Production's runs and effects first, as far as the simulation has come (its runs wait for
  // them in the comparison, and theirs for the simulation's), then the simulation, fed as it
  // gets hungry: each a small piece at a time, the clock read between pieces.
  const bool events_in = b.events.last && j.events.pages.empty();
  while (left() && (events_in || j.runs_until <= j.backtest->clock()) && read_runs(state, kRunsPerSlice)) {
  }
  if (!b.job) return;  // failed
  while (left() && (events_in || j.effects_until <= j.backtest->clock()) && read_effects(state)) {
  }
  if (!b.job) return;
  while (left()) {
    auto did = j.backtest->step(1);
    if (!did) return fail(state, did.error().to_string());
    if (did.value() == Backtest::Did::Finished) {
      take_results(b, j.backtest->take_report());
      b.done = true;
      b.elapsed_ms = slice_clock_ms() - b.started_ms;
      b.job.reset();
      return;
    }
    if (did.value() == Backtest::Did::Working) continue;
    if (feed_events(state, kEventsPerSlice)) continue;
    if (!b.job) return;  // failed
    const bool all_in = b.events.last && j.events.pages.empty() && b.runs.last && j.runs.pages.empty() &&
                        j.effects.last && j.effect_pages.empty();
    if (!all_in) {  // waiting for pages
      ++(b.events.request != 0 ? b.waits_events : b.waits_runs);
      break;
    }
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
