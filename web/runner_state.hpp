// The Runner panel's state: the runner the studio is connected to (its URL and token), what it
// has deployed, production events loaded as sample data, its runs, a backtest of the edited
// bundle over its events, and the deploy and rollback under way. A plain struct inside
// StudioState; panel_runner.cpp reads and changes it, runner_backtest.cpp does the backtest.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shopflow/json.hpp"

namespace shopflow::studio {

// What a request to the runner was for; its answer goes to the matching handler.
enum class RunnerCall {
  Bundle, SamplePage, Runs, Run, Deploy, Rollback,
  BacktestEvents, BacktestRuns, BacktestEffects,  // the backtest's input
  BacktestRun, BacktestEdited,  // a flipped decision's two runs: production's, and the events to re-run
};

// Pages fetched one after the other (events or runs), each when the one before has come.
struct PagedFetch {
  bool running = false;
  int request = 0;      // the request under way, 0 when none
  std::string after;    // the next page starts after this seq ("" for the first)
  bool last = false;    // the last page has come
  size_t asked = 0;     // the size asked of the page under way
  size_t items = 0;     // items received so far
  size_t bytes = 0;     // bytes received so far
};

struct BacktestJob;  // runner_backtest.cpp

// A decision production took one way and the edited bundle the other, for the same event.
struct BacktestFlip {
  std::string run_id;      // the run's id, the same in production and in the backtest
  std::string workflow;
  std::string path;        // the decision's step path
  std::string production;  // the verdicts, as short JSON
  std::string edited;
  Json detail;             // the core's difference: conditions and the values each side saw
};

struct RunnerBacktest {
  bool ran = false;      // asked for
  bool done = false;     // finished (or failed, with `error`)
  bool cancelled = false;
  int revision = -1;     // the edited revision backtested
  std::string version;   // the deployed version it was compared with
  std::string error;
  PagedFetch events, runs;
  size_t runs_compared = 0;  // production runs given to the comparison
  // Frames whose simulation stopped short, hungry for events: their page was under way, or it
  // was not asked for yet as production's runs read lag behind (for the benchmark's account).
  size_t waits_events = 0, waits_runs = 0;
  std::shared_ptr<BacktestJob> job;
  double started_ms = 0, elapsed_ms = 0;
  // The results, as the core's comparison gives them: one line per workflow, the flipped
  // decisions, and the other differences (runs and effects).
  std::vector<std::string> summary;
  std::vector<BacktestFlip> flips;
  size_t flips_total = 0;  // flipped decisions found (`flips` keeps the first of them)
  std::vector<std::string> lines;
  bool same = false;       // no difference at all
  // A flipped decision opened: production's run (GET /v1/runs/{id}) and the edited bundle's.
  int open_flip = -1;
  int run_request = 0;
  Json production_run;
  std::string production_error;
  int edited_request = 0;
  Json edited_run;
  std::string edited_error;
};

struct RunnerState {
  std::string url = "http://127.0.0.1:8080";
  std::string token;
  bool restored = false;  // the URL and token read back from this tab's sessionStorage
  enum class Link { Off, Connecting, Connected, Failed };
  Link link = Link::Off;
  std::string error;      // the last failure, in words ("" when none)
  int next_id = 1;
  std::map<int, RunnerCall> pending;  // requests under way

  // What the runner has deployed (GET /v1/bundle), and the edit against it in words.
  std::string version;
  Json deployed;                 // the bundle document
  Json history = Json::array();  // [{version, deployed_at, source}], newest first
  std::vector<std::string> diff;
  int diff_revision = -1;
  std::string diff_version;

  // Production events loaded as the bundle's sample events (at most `sample_max`), filtered.
  std::string since, until, type;
  int sample_max = 500;
  PagedFetch sample;
  Json sample_events = Json::array();
  std::string sample_note;

  // Production runs (GET /v1/runs), newest pages appended; one opened with its steps.
  Json runs = Json::array();
  PagedFetch runs_fetch;
  std::string run_id;
  Json run;
  std::string run_error;
  int run_request = 0;

  RunnerBacktest backtest;

  // Deploy (asked, then confirmed) and rollback, and what the runner answered.
  bool deploy_confirm = false;
  int deploy_request = 0;
  std::string deploy_result;  // "deployed <version>" or the refusal's headline
  std::vector<std::string> deploy_problems;
  std::string rollback_version;  // asked to roll back to, waiting for confirmation
  int rollback_request = 0;
};

}  // namespace shopflow::studio
