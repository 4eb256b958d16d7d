// Comparing what two executions of a bundle's workflows did, and the backtest built on it.
//
// A Comparison takes the runs (with their step records) and the effects of two sides — "before"
// and "after" — and says, per workflow, how many runs each side started and what differs: runs
// that start on one side only or end differently, decisions that flipped (the step, its
// condition on each side, the values each side's condition saw, each side's verdict) and
// effects added, removed or changed (matched by idempotency key, parameters compared). Runs and
// effects come in any order, a page at a time; what matches is compared at once and dropped,
// so memory holds only what has not found its counterpart yet. The studio's Compare (saved
// against edited bundle, two simulations) and the backtest both use it.
//
// A Backtest re-runs production's recorded events through a bundle with the simulator — the
// clock at each event is when the runner received it, timers fire in between at their due
// times — and compares the simulation ("after") with what production did ("before"): its runs
// with their step records, and its effects. Production's events, runs and effects are given a
// page at a time (the studio feeds a page per frame, `shopflow backtest` pages from a store or
// the runner's API), and the simulation advances when asked (step()), so that memory stays
// bounded however many events there are. No threads and no I/O: data in, a report out.
//
// Use:
//   auto bt = Backtest::open(bundle, {.since = t0, .until = t1}).value();
//   loop: bt->add_events(page of events, each with the time received as its time_ms);
//         bt->add_runs(runs up to about that time); bt->add_effects(effects up to that time);
//         bt->step(...) until it returns Hungry;
//   bt->end_input(); bt->step(...) until Finished; bt->report().
// The report's summary is per workflow; its details (capped at max_details) say what differs.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shopflow/bundle.hpp"
#include "shopflow/engine.hpp"
#include "shopflow/event.hpp"
#include "shopflow/instant.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"
#include "shopflow/store.hpp"

namespace shopflow {

class Simulation;

// A run as one side recorded it (production's store or API, or a simulation's trace).
struct RunRecord {
  std::string id;        // "<workflow>:<event key>" or "<workflow>@<fire time>"
  std::string workflow;
  std::string event_id;
  std::string status;    // running, waiting, completed, failed, stopped
  std::string error;
  std::string error_step;
  Millis started = 0, updated = 0;
  std::string steps;     // its step records, a JSON array as the store and the trace write them ("" for none)
};

// An effect as one side recorded it.
struct EffectRecord {
  std::string id;        // the idempotency key: run id + "/" + step path
  std::string run_id;
  std::string path;      // the action's step path
  std::string type;      // action type
  std::string params;    // JSON text
  Millis created = 0;
};

RunRecord run_record(const RunRow& row);
RunRecord run_record(RunRow&& row);
EffectRecord effect_record(const EffectRow& row);
// From JSON: a simulation trace's run or effect, or the runner API's (/v1/runs/{id}'s "run",
// /v1/effects' items; times as RFC 3339 text). Fails naming the member that is missing or wrong.
Result<RunRecord> run_record(const Json& run);
Result<EffectRecord> effect_record(const Json& effect);
// The same from the text of one run (a line of GET /v1/runs?steps=true), read without building
// its JSON document: its step records are kept as the text has them. What this fast reading
// does not take (a key twice, a member of another type) is read as run_record(parse_json(line))
// reads it, with the same errors.
Result<RunRecord> run_record_text(std::string_view text);
// The effects of a page of GET /v1/effects ({"effects": [...], ...}), read alike: each effect's
// params kept as the text has them.
Result<std::vector<EffectRecord>> effect_page_text(std::string_view text);

// One thing that differs between the two sides.
enum class DiffKind {
  RunAdded,         // the run starts only after (its event no longer/now passes a trigger)
  RunRemoved,       // the run starts only before
  RunStatus,        // the run ends differently (before/after: the statuses)
  DecisionFlipped,  // an if, switch or trigger filter decided otherwise (before/after: verdicts)
  EffectAdded,      // after: its params
  EffectRemoved,    // before: its params
  EffectChanged,    // the same idempotency key, other params (changed: their JSON Pointers)
  EffectMoved,      // the same effect at another time (only with Comparison::Options::compare_times)
};
const char* to_string(DiffKind kind);  // "run added", "decision flipped", ...

struct Difference {
  DiffKind kind = DiffKind::RunAdded;
  std::string workflow;
  std::string run;     // run id
  std::string step;    // decisions: the step path; effects: the action's step path
  std::string effect;  // effects: the idempotency key
  std::string type;    // effects: the action type
  Json before, after;  // see DiffKind (null where that side has nothing)
  // DecisionFlipped: each side's condition (the JSON Logic rule its verdict tree shows) and the
  // values it saw ({"event.data.total_price": 129.5}, the variables it read and their values).
  Json condition_before, condition_after;
  Json seen_before, seen_after;
  std::vector<std::string> changed;  // EffectChanged: the params that differ, as JSON Pointers
};

// One line saying what differs: "decision flipped in confirm:ce:...#o1 at big: true -> false
// ({">":[{"var":"event.data.total_price"},100]} saw {"event.data.total_price":150}; now
// {">":[...,200]})", "+ email.send (confirm:.../email) {...}", ...
std::string describe(const Difference& d);
Json to_json(const Difference& d);

// What differs in one workflow, counted.
struct WorkflowDiff {
  std::string workflow;
  size_t runs_before = 0, runs_after = 0;  // runs started
  size_t runs_added = 0, runs_removed = 0, status_changed = 0;
  size_t decisions_flipped = 0;
  size_t effects_before = 0, effects_after = 0;
  size_t effects_added = 0, effects_removed = 0, effects_changed = 0, effects_moved = 0;
  bool differs() const {
    return runs_added || runs_removed || status_changed || decisions_flipped || effects_added || effects_removed ||
           effects_changed || effects_moved;
  }
};

struct ComparisonReport {
  std::vector<WorkflowDiff> workflows;  // in the order named (Comparison::name_workflow), then as seen
  std::vector<Difference> details;      // in the order found, at most max_details
  size_t details_left_out = 0;          // found past max_details
  bool differs() const;
  WorkflowDiff total() const;           // the workflows' counts added up (workflow "")
  // The summary (and with `details`, the details) as JSON:
  // {"differs", "total": {...}, "workflows": [{"workflow", "runs": {"before", "after", "added", "removed",
  //  "status_changed"}, "decisions_flipped", "effects": {"before", "after", "added", "removed", "changed", "moved"}}],
  //  "details": [...], "details_left_out"}
  Json to_json(bool details) const;
};

class Comparison {
 public:
  enum class Side { Before, After };
  struct Options {
    bool compare_times = false;        // report effects that moved in time (two simulations)
    size_t max_details = SIZE_MAX;     // details kept; the counts go on
  };
  Comparison() : Comparison(Options{}) {}
  explicit Comparison(Options options);

  // Puts a workflow in the summary (in this order), with no runs yet.
  void name_workflow(const std::string& workflow);
  // A run as it ended (or stands at the end, still waiting) on one side. Compared with the
  // other side's run of the same id as soon as both are in.
  void add_run(Side side, RunRecord&& run);
  // An effect on one side; compared with the other side's of the same id as soon as both are in.
  void add_effect(Side side, EffectRecord&& effect);
  // Whether effects of this run count: an effect left without a counterpart at finish() is
  // reported only when `keep` says its run is compared (by default every one is).
  void keep_effects_of(std::function<bool(const std::string& run_id)> keep) { keep_ = std::move(keep); }
  // Nothing more comes: what has no counterpart is added or removed.
  void finish();
  // The same a piece at a time, about `items` runs or effects left over per call, for a caller
  // that must keep its frames short: true once finished (the report is then complete).
  bool finish_some(size_t items);
  // Runs and effects waiting for their counterpart.
  size_t unmatched() const { return runs_[0].size() + runs_[1].size() + effects_[0].size() + effects_[1].size(); }
  // One side's runs waiting for their counterpart.
  size_t runs_unmatched(Side side) const { return runs_[side == Side::Before ? 0 : 1].size(); }

  const ComparisonReport& report() const { return report_; }
  ComparisonReport take_report() { return std::move(report_); }

 private:
  // Records waiting for their counterpart, by a 64-bit hash of their id: a probe compares one
  // integer and the id is not copied into a key of its own (a backtest looks up two records
  // per event). An id whose hash another waiting id has already goes to `clash`, by text, so
  // that two ids never share a record.
  template <class Record>
  class Waiting {
   public:
    Record* find(std::uint64_t hash, const std::string& id);
    // Keeps `record`, replacing the one of the same id.
    void put(std::uint64_t hash, Record&& record);
    // Forgets the record of `id` (found by find()).
    void erase(std::uint64_t hash, const std::string& id);
    size_t size() const { return count_ + clash_.size(); }
    // Moves any one record to `out` and forgets it (no clash is promoted: for emptying); false
    // when none is left.
    bool take(Record* out);

   private:
    struct Identity {
      size_t operator()(std::uint64_t h) const { return static_cast<size_t>(h); }
    };
    // In 64 maps by the hash's top bits: a map grows by rehashing all it holds at once, and a
    // quarter of a million records waiting (the effects an edit adds) would hold a frame of the
    // studio for tens of ms.
    static constexpr int kShardBits = 6;
    using Map = std::unordered_map<std::uint64_t, Record, Identity>;
    Map& shard(std::uint64_t hash) { return by_hash_[hash >> (64 - kShardBits)]; }
    std::array<Map, size_t{1} << kShardBits> by_hash_;
    size_t count_ = 0;      // records in by_hash_
    size_t take_from_ = 0;  // the first shard take() may find a record in
    std::unordered_map<std::string, Record> clash_;
  };

  Options options_;
  ComparisonReport report_;
  std::unordered_map<std::string, size_t> index_;  // workflow -> report_.workflows index
  size_t last_wf_ = SIZE_MAX;                      // the index wf() found last
  Waiting<RunRecord> runs_[2];
  Waiting<EffectRecord> effects_[2];
  std::function<bool(const std::string&)> keep_;
  bool finished_ = false;
  // Where finish_some() stands: runs before, runs after, effects before, effects after; and the
  // records left over kept as details so far.
  int finish_stage_ = 0;
  std::vector<RunRecord> runs_kept_;
  std::vector<EffectRecord> effects_kept_;
  WorkflowDiff& wf(std::string_view workflow);
  void add(Difference&& d);
  void compare_runs(const RunRecord& before, const RunRecord& after);
  void compare_effects(const EffectRecord& before, const EffectRecord& after);
};

// An event as the store's inbox recorded it, its time_ms the time it was received (its `time`
// when that is not known) and its key the inbox's. Fails when the body is not an event.
Result<Event> recorded_event(const InboxRow& row);
// The same from a line of the runner API's GET /v1/events: {"seq", "received", "event": {...}}
// ("key" too when the runner sends it).
Result<Event> recorded_event(Json&& line);

struct BacktestOptions {
  // The window, [since, until) as the runner's API has it: events received in it and the runs
  // started in it are compared, production as it stood just before `until` (steps, effects and
  // timers at `until` itself are left out on both sides).
  std::optional<Millis> since;
  std::optional<Millis> until;
  size_t max_details = 10000;
  EngineLimits limits;
};

class Backtest {
 public:
  // What a step did: Hungry, the simulation needs more events (add_events() or end_input()).
  enum class Did { Working, Hungry, Finished };

  // `bundle` must have no problems. Fails on store errors.
  static Result<std::unique_ptr<Backtest>> open(const Bundle& bundle, BacktestOptions options = {});
  ~Backtest();

  // Production's events from outside, in the order received, each with the time received as its
  // time_ms (recorded_event()). Those outside the window are left out. An event received earlier
  // than the one before it is simulated at that one's time.
  void add_events(std::vector<Event>&& events);
  // Production's runs (with their step records) and effects, in any order; those of runs started
  // outside the window are left out. Give them about as far as the events: until the simulation
  // reaches a run, both sides of it are held.
  void add_runs(std::vector<RunRecord>&& runs);
  void add_effects(std::vector<EffectRecord>&& effects);
  // Everything is given: the simulation goes on to `until` (or the last time production recorded
  // anything: what was due later had not happened yet there either).
  void end_input();

  // Simulates up to `units` events or timer fires; once the simulation has ended, reports up to
  // 4096 × `units` runs and effects left without a counterpart (a piece of the comparison's
  // finish) per call. Errors are the store's.
  Result<Did> step(size_t units = 4096);

  size_t events_given() const { return given_; }
  size_t events_simulated() const;
  Millis clock() const;
  // The comparison so far (complete once step() returned Finished).
  const ComparisonReport& report() const { return comparison_.report(); }
  ComparisonReport take_report() { return comparison_.take_report(); }
  // The simulation's runs waiting for production's: how far the simulation has run ahead of
  // the runs given (each is held until its counterpart comes or the backtest ends).
  size_t simulated_runs_waiting() const { return comparison_.runs_unmatched(Comparison::Side::After); }

 private:
  class Observer;
  Backtest() = default;
  bool in_window(Millis t) const;
  BacktestOptions options_;
  std::unique_ptr<Observer> observer_;
  std::unique_ptr<Simulation> sim_;
  Comparison comparison_;
  // Production's runs in the window, by a hash of their id: an effect without its counterpart
  // counts only when its run is one of them.
  std::vector<std::uint64_t> window_runs_;
  bool window_sorted_ = false;
  size_t given_ = 0;
  Millis last_received_ = 0;
  Millis horizon_ = 0;  // the last time production recorded anything
  bool ended_ = false, simulated_ = false, finished_ = false;
};

}  // namespace shopflow
