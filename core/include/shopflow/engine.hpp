// The engine: runs a bundle's workflows over events, durably and deterministically.
//
// Events go into the store's inbox (accept), then runs start for matching triggers and
// waiting runs resume (process_pending); advance() fires due timers (waits, timeouts) and cron
// schedules. Every change a run makes — its state, its step records, its effects (into the
// outbox) and its table changes — commits in the same transaction. The engine never reads a
// clock: time comes in as epoch milliseconds; ids derive from inputs (run id = workflow id +
// ":" + event id, effect id = run id + "/" + step path), so the same inputs give the same bytes.
// No threads; the runner calls it from its loop, the studio from its frame loop, the simulator
// in a loop over events and timers.
//
// A runtime error in a run (a template or condition error, a foreach over a non-list, a limit)
// fails that run only: its row records the error and the step path, the steps before stand.
// Store errors are returned as Errors and roll the whole call's transaction back.
// Durability: what accept() and ingest() commit is on disk when they return. What runs derive
// from accepted events (process_pending, advance) and delivery outcomes commit without waiting
// for the disk: a crash of the process loses none of it, a power cut may lose the last of it,
// which is then redone from the inbox (same run and effect ids) or redelivered (same
// idempotency key) after the restart; the next accept's sync makes it durable too.
// A waiting run is saved with its data and position; after a restart (or a bundle reload) it
// resumes from the store — or fails with a reason when its step is no longer in the bundle.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shopflow/bundle.hpp"
#include "shopflow/event.hpp"
#include "shopflow/instant.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"
#include "shopflow/step_record.hpp"
#include "shopflow/store.hpp"

namespace shopflow {

struct EngineLimits {
  size_t max_steps_per_run = 10000;  // steps executed by one run, over all its segments
  size_t max_foreach_items = 1000;   // items in one foreach list
  int max_emit_depth = 8;            // events emitted by runs of emitted events, ...
  size_t max_fires_per_advance = 100'000;  // timers and schedule fires handled by one advance()
  EventLimits event;
};

// Performs an http.request step: gets its parameters ("method", "url", "headers", "body") plus
// "idempotency_key" (the effect id: run id / step path) and returns the response {"status",
// "headers", "body"}, which becomes the step's output. An Error fails the run. The simulator
// answers from the bundle's mocks; the runner makes the call.
using RequestPort = std::function<Result<Json>(const Json& request)>;

// Sees each run as it is saved (its seq is its place in creation order) and each effect as it
// is made, in order, inside the transaction that stores them. A simulation's trace is written
// from them as it goes; its engine fails as a whole when a transaction does not commit.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // A run saved. One that has finished (its status is not "waiting") is saved for the last
  // time: the observer may take its row, which the engine drops otherwise.
  virtual void run_saved(RunRow& run) = 0;
  // An effect made. The engine is done with its row: the observer may take its members.
  virtual void effect_made(EffectRow& effect) = 0;
};

struct EngineOptions {
  EngineLimits limits;
  RequestPort request;        // unset: http.request steps fail their run
  bool explain = true;        // record each condition's verdict tree (costs time)
  bool record_steps = true;   // keep each run's step records (steps(), `shopflow runs --steps`)
  bool record_tables = false; // keep a log of table changes for table_changes()
  bool record_branches = false;  // count the branches taken, for branches_taken()
  // Keep an inbox row for an event ingest() handles as it arrives. A throwaway store (a
  // simulation's, fresh and dropped at the end) never reads it back: without it the engine
  // remembers the ids of the events it took in memory, to start nothing twice, and queued and
  // emitted events still go through the inbox.
  bool keep_handled_events = true;
  // Store effects as delivered when they are made. For a simulation, whose outside world is
  // its trace: nothing delivers from its outbox, so its effects need no place in the index of
  // work still to do.
  bool effects_delivered = false;
  RunObserver* observer = nullptr;  // not owned; outlives the engine
  // Store every effect, and every run once it has finished, with its step records. Without (a
  // throwaway store, whose observer keeps what the runs did): effects, and the runs events start
  // that finish at once, leave no rows, and the engine remembers their ids in memory, so that
  // none is made twice. A run that waits is stored as ever, with its step records to go on
  // from, and updated (without them) when it finishes. runs() then lists only the runs that
  // waited, and effects() none.
  bool keep_finished = true;
  // Trigger filters that reject an event: kept in memory for take_filter_rejections() (a
  // simulation's trace), and stored (production: `shopflow runs --rejected`; the runner prunes
  // them by age). Either way counted, per workflow, in filter_rejections_counted().
  bool record_rejections = false;
  bool store_rejections = false;
  // The version of the bundle this engine runs, recorded in every run it saves (RunRow::
  // bundle_version), so that while runners of several versions share a store each run says
  // which one moved it last. "" when not known.
  std::string bundle_version;
};

// A branch of a workflow: where a run can go one way or another. `branch` reads
// "trigger: filter passes", "check: then", "risk: case 1", "risk: default",
// "wait-order: event arrived", "wait-order: timed out" (step paths without foreach indexes).
struct BranchKey {
  std::string workflow;
  std::string branch;
  bool operator<(const BranchKey& o) const { return workflow != o.workflow ? workflow < o.workflow : branch < o.branch; }
};

// The workflow of a run, from the run's id ("<workflow>:<event id>" or "<workflow>@<time>";
// workflow ids have neither character).
std::string_view workflow_of_run(std::string_view run_id);

// Every branch of every workflow of the bundle, in document order.
std::vector<BranchKey> branches_of(const Bundle& bundle);

// One change of a table row, for the simulator's "table values over time".
struct TableChange {
  Millis time = 0;
  std::string run_id;
  std::string table;
  std::string key;
  Json value;  // the row after the change; null when deleted
};

class Engine {
 public:
  // Takes the checked bundle (it must have no problems) and an open store. Seeds the store's
  // tables from the bundle the first time. Fails on store errors.
  static Result<std::unique_ptr<Engine>> open(Bundle bundle, std::unique_ptr<Store> store, EngineOptions options = {});
  ~Engine();

  // Writes events into the inbox in one transaction, `received` (the time they were accepted)
  // recorded with each. For each: true when accepted, false when an event with the same id was
  // already there (a duplicate starts nothing).
  Result<std::vector<bool>> accept(const std::vector<Event>& events, Millis received = 0);

  // Handles up to `limit` unprocessed inbox events (and the events their runs emit) in arrival
  // order at time `now`: resumes waiting runs whose event wait matches, starts runs for
  // matching triggers whose filter holds. Returns how many events were handled.
  Result<size_t> process_pending(Millis now, size_t limit = SIZE_MAX);

  // accept() + process_pending() for one event, at `now` (also its time received). False when
  // it was a duplicate.
  Result<bool> ingest(const Event& event, Millis now);
  // The same for an event the caller gives up: its data moves into its runs, uncopied.
  Result<bool> ingest(Event&& event, Millis now);

  // Fires every timer and schedule due at or before `now`, in due order, each at its own due
  // time. Returns how many fired.
  Result<size_t> advance(Millis now);

  // The earliest due timer or schedule fire, or nullopt. Schedules are armed from `now`.
  Result<std::optional<Millis>> next_due(Millis now);

  // Reads.
  Result<std::vector<RunRow>> runs();           // every run, with its saved state (can be large)
  // Runs per (workflow, status), by workflow then status: counted from the store when the
  // engine opens, then kept as runs change, so metrics read them without a query.
  Result<std::vector<RunCount>> run_counts();
  // The same counted in the store now: right when other runners write to it too.
  Result<std::vector<RunCount>> stored_run_counts();
  // Deletes up to `limit` stored filter rejections recorded before `before`; how many.
  Result<size_t> prune_rejections(Millis before, size_t limit);
  // The store's claim counters (claims, takeovers, leases lost, round trips), for metrics.
  StoreCounters store_counters() const;
  // The step records of a run (none when there is no such run, or it kept none).
  Result<std::vector<StepRow>> steps(const std::string& run_id);
  Result<std::vector<EffectRow>> effects();
  // Calls `fn` for each of up to `limit` runs (effects) after seq `after`, in creation order,
  // with views valid during the call (see Store::each_run); returns how many. For a trace read
  // page by page.
  Result<size_t> each_run(std::int64_t after, size_t limit, bool with_steps,
                          const std::function<void(const RunView&)>& fn);
  Result<size_t> each_effect(std::int64_t after, size_t limit, const std::function<void(const EffectView&)>& fn);
  // Counts without reading the rows: effects in the outbox (of any status), dead letters, and
  // inbox events (all it keeps, or those not handled yet).
  Result<std::int64_t> effect_count();
  Result<std::int64_t> dead_letter_count();
  Result<std::int64_t> inbox_count(bool only_pending);
  Result<std::vector<TableRow>> table_rows(const std::string& table = "");
  std::vector<TableChange> take_table_changes();
  // The filter rejections recorded since the last call, in order (with record_rejections).
  std::vector<FilterRejection> take_filter_rejections();
  // Filter rejections per workflow since the engine opened.
  const std::map<std::string, size_t>& filter_rejections_counted() const;
  // How often each branch was taken since the engine opened (with record_branches).
  const std::map<BranchKey, size_t>& branches_taken() const;

  // Request actions (http.request) as durable pending calls, for a runner that must not wait
  // on an external API: when on, a run that reaches one writes the request to the outbox as a
  // pending effect (its idempotency key the effect id) and waits; complete_call() resumes it
  // with the response. Off (the default, and in simulations), the request port answers at once.
  void defer_requests(bool on);
  // Resumes the run waiting on the call `claimed` (as pending_effects() returned it) with
  // `response` as the step's output, and marks the call delivered, in one transaction, under
  // the call's claim (see below). A call whose run no longer waits on it (the run was failed by
  // a reload) is only marked delivered.
  Status complete_call(const EffectRow& claimed, const Json& response, Millis now);

  // Outbox delivery, for the runner's dispatcher. pending_effects() claims the effects it
  // returns (Store::effects_claim): runners sharing a store get different ones, and each row
  // carries the epoch of its claim. An outcome (mark_*, complete_call) is given that row, and is
  // written under its epoch: the claim travels with the effect through its delivery, so that
  // any engine may write the outcome — the one that claimed it, or the one a reload, a deploy
  // or a rollback opened meanwhile — and it is fenced all the same; the engine keeps no record
  // of its claims that a new engine would lack. Once the effect has been claimed since (by
  // another runner, or by this one again, after the lease ran out during the delivery), the
  // outcome is refused: nothing is written, the store counts a lease lost, and the call returns
  // an Error whose lease_lost() is true (inside begin_outcomes() the transaction goes on). The
  // newer claim delivers the effect again, under the same idempotency key, and its outcome is
  // the one that counts. A single-writer store's claims have epoch 0: their outcomes are
  // written as they come.
  // (Events and timers are claimed inside the transaction of the call that handles them, and
  // written under their rows' epochs there: no claim of theirs outlives a call.)
  Result<std::vector<EffectRow>> pending_effects(Millis now, size_t limit);
  Status mark_delivered(const EffectRow& claimed);
  // Groups the mark_* calls between them into one transaction (one commit for many outcomes).
  Status begin_outcomes();
  Status commit_outcomes();
  // Schedules another attempt at `retry_at`, or moves the effect to the dead letters when nullopt.
  // `count_attempt` false: the service asked to wait (throttling); the try is not a failure.
  Status mark_failed(const EffectRow& claimed, const std::string& error, std::optional<Millis> retry_at,
                     bool count_attempt = true);
  Result<std::vector<EffectRow>> dead_letters();
  Status retry_dead(const std::string& effect_id, Millis now);

  // The store's write-ahead log: its size in bytes (0 for a store in memory), and a checkpoint
  // that copies it into the database and truncates it, from the engine's own connection, so
  // that no commit of the engine waits on it. Call between the other calls; the runner bounds
  // the log with them.
  std::int64_t store_log_bytes() const;
  Status truncate_store_log();

  const Bundle& bundle() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shopflow
