// The Runner panel's backtest (runner_backtest.hpp): fetching production's events and runs a
// page at a time, feeding them to the core's backtest within each frame's budget, and keeping
// its comparison for the panel.
#include "runner_backtest.hpp"

#include <deque>

#include "panels.hpp"
#include "runner_client.hpp"
#include "sim_session.hpp"

namespace shopflow::studio {

namespace {

// Events and runs per page, and pages held at most (fetched and not yet fed): the page's
// memory stays bounded however many events production has.
constexpr size_t kEventPage = 5000;
constexpr size_t kRunPage = 10000;
constexpr size_t kPagesAhead = 2;

}  // namespace

struct BacktestJob {
  std::deque<std::string> event_pages, run_pages;  // fetched, not yet fed
  size_t event_pos = 0;  // where feeding stands in event_pages.front()
};

namespace {

RunnerBacktest& bt(StudioState& state) { return state.runner.backtest; }

void fail(StudioState& state, const std::string& why) {
  RunnerBacktest& b = bt(state);
  runner_cancel(state, b.events.request);
  runner_cancel(state, b.runs.request);
  b.error = why;
  b.done = true;
  b.job.reset();
}

// Asks for the next pages while there is room for them.
void fetch_more(StudioState& state) {
  RunnerBacktest& b = bt(state);
  RunnerState& r = state.runner;
  if (!b.job) return;
  if (!b.events.last && b.events.request == 0 && b.job->event_pages.size() < kPagesAhead) {
    b.events.asked = kEventPage;
    b.events.request = runner_send(state, RunnerCall::BacktestEvents, "GET", events_query(r, b.events.after, kEventPage));
  }
  if (!b.runs.last && b.runs.request == 0 && b.job->run_pages.size() < kPagesAhead) {
    std::string q = "/v1/runs?limit=" + std::to_string(kRunPage);
    if (!b.runs.after.empty()) q += "&after=" + url_encode(b.runs.after);
    if (!r.since.empty()) q += "&since=" + url_encode(r.since);
    if (!r.until.empty()) q += "&until=" + url_encode(r.until);
    b.runs.request = runner_send(state, RunnerCall::BacktestRuns, "GET", q);
  }
}

}  // namespace

bool backtest_running(const StudioState& state) {
  const RunnerBacktest& b = state.runner.backtest;
  return b.ran && !b.done;
}

void backtest_start(StudioState& state) {
  RunnerBacktest& old = bt(state);
  runner_cancel(state, old.events.request);
  runner_cancel(state, old.runs.request);
  runner_cancel(state, old.run_request);
  RunnerBacktest& b = bt(state) = RunnerBacktest{};
  b.ran = true;
  b.revision = state.revision;
  b.version = state.runner.version;
  b.started_ms = slice_clock_ms();
  b.job = std::make_shared<BacktestJob>();
  fetch_more(state);
}

void backtest_cancel(StudioState& state) {
  RunnerBacktest& b = bt(state);
  if (!backtest_running(state)) return;
  runner_cancel(state, b.events.request);
  runner_cancel(state, b.runs.request);
  b.cancelled = true;
  b.done = true;
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
    return;
  }
  PagedFetch& f = call == RunnerCall::BacktestEvents ? b.events : b.runs;
  if (id != f.request || !b.job) return;
  f.request = 0;
  if (status != 200) {
    if (!(status == 0 && body == "cancelled")) fail(state, answer_error(state.runner, status, body));
    return;
  }
  f.bytes += body.size();
  if (call == RunnerCall::BacktestEvents) {
    f.after = page_next(next_after, body, f.asked);
    f.last = f.after.empty();
    if (!body.empty()) b.job->event_pages.push_back(std::move(body));
  } else {
    auto j = parse_json(body, "GET /v1/runs");
    if (!j || !j.value().contains("runs")) return fail(state, "the runner's /v1/runs answer has no runs list");
    const Json& next = j.value()["next_after"];
    f.last = next.is_null();
    f.after = next.is_null() ? "" : (next.is_string() ? next.get<std::string>() : next.dump());
    b.job->run_pages.push_back(std::move(body));
  }
  fetch_more(state);
}

void backtest_tick(StudioState& state, double budget_ms) {
  RunnerBacktest& b = bt(state);
  if (!backtest_running(state) || !b.job) return;
  (void)budget_ms;
  b.elapsed_ms = slice_clock_ms() - b.started_ms;
  fetch_more(state);
}

void backtest_open_flip(StudioState& state, int i) {
  RunnerBacktest& b = bt(state);
  if (i < 0 || static_cast<size_t>(i) >= b.flips.size()) return;
  runner_cancel(state, b.run_request);
  b.open_flip = i;
  b.production_run = Json();
  b.production_error.clear();
  b.edited_run = Json();
  b.run_request = runner_send(state, RunnerCall::BacktestRun, "GET", "/v1/runs/" + url_encode(b.flips[static_cast<size_t>(i)].run_id));
}

}  // namespace shopflow::studio
