// Engine::Impl: the engine's state, shared by the files that make up the engine.
//
// The public API (engine.cpp) opens the engine, wraps each call in a transaction and keeps the
// run counts. The rest is in pieces, each in its own file:
//   engine_interpreter.cpp  the step interpreter: runs a run's steps until it waits, stops,
//                           fails or completes, records them and saves the run;
//   engine_run_state.hpp    run-state encoding: a run's data and position, saved and restored;
//   engine_tables.hpp       table actions and the table reads of conditions;
//   engine_routing.hpp      routing: which events start or resume which runs, the inbox drain;
//   engine_timers.hpp       timers: waits, timeouts, deadlines and cron schedules.
// A runtime error in a run (template, type, limit) fails only its run: the error and the step
// path are recorded, the steps before it stand, other runs go on. Store errors abort the
// whole transaction instead.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine_id_set.hpp"
#include "engine_routing.hpp"
#include "engine_run_state.hpp"
#include "shopflow/engine.hpp"
#include "shopflow/step_record.hpp"

namespace shopflow {

namespace engine {

// How a step leaves its run: go on with the next step, wait, stop, or fail.
enum class Flow { Continue, Wait, Stop, Fail };

// A switch case as the coverage report names it: `case "high"` for an equals case, `case 2:
// when {...}` for a condition (cut to stay on one line).
std::string case_label(const Step& st, size_t i);

}  // namespace engine

struct Engine::Impl {
  using Flow = engine::Flow;
  using RunState = engine::RunState;

  Bundle bundle;
  std::unique_ptr<Store> store;
  EngineOptions options;
  liquid::Options tpl;
  logic::EvalOptions eval;
  std::string source;           // the source of events runs emit: "shopflow:<bundle name>"
  bool defer_requests = false;  // see Engine::defer_requests
  std::vector<TableChange> changes;
  std::map<BranchKey, size_t> branches;

  // [SECTION] transactions and run counts (engine.cpp)
  // Runs by (workflow, status), kept as runs are saved: the store's figures as of the last
  // commit, plus this transaction's changes until it commits (or is dropped on a rollback).
  // The changes keep their keys between transactions (zeroed), so that counting allocates nothing.
  std::map<std::pair<std::string, std::string>, std::int64_t> counts, count_changes;
  void count(const std::string& workflow, const std::string& from, const std::string& to);
  Status commit();
  void rollback();

  // [SECTION] the step interpreter (engine_interpreter.cpp)
  size_t steps_room = 0;  // the room to give a new run's step records: the last saved run's
  size_t params_room = 64;  // and an effect's parameters: the most an effect's took (to 4 KB)
  // Without keep_finished: the id of every effect made, which the outbox does not keep then.
  engine::IdSet effect_ids;
  // Counts a branch taken: `path` + `suffix` (only when counting, so runs build no text for it).
  void took(const Workflow& wf, std::string_view path, std::string_view suffix = {});
  Result<Json> compute(const Computed& c, const Json& ctx);
  // With `tree`, also writes the verdict tree (as JSON text) when the engine explains and
  // records steps (the tree goes into the step record, nowhere else).
  Result<Json> evaluate(const logic::Condition& c, const Json& ctx, std::string* tree);
  Status record(RunState& rs, const std::string& path, StepKind kind, Millis now, StepValue input, const Json& output,
                const Json* verdict = nullptr, StepValue explanation = {});
  Flow fail(RunState& rs, const std::string& path, const std::string& message);
  // Saves the run: its row and, while it waits, its whole state.
  Status save(RunState& rs, Millis now);
  // Stores the run's row (unless `stored` is false; a finished run's without its step records
  // when the store keeps no finished runs), then shows it to the observer, which may take a
  // finished run's row: its last use.
  Status put_run(RunRow& row, bool stored = true);
  // Whether the effect is new (its id unseen); the observer sees those.
  Result<bool> insert_effect(EffectRow& e);
  // An effect: its parameters go to the outbox (and the step record) as JSON text, written as
  // they are computed.
  Result<Flow> effect(RunState& rs, const Step& st, const std::string& path, Millis now);
  Result<Flow> action(RunState& rs, const Step& st, const std::string& path, Millis now);
  // A request made as a pending call: the outbox holds it, the run waits for its answer.
  Result<Flow> call(RunState& rs, const Step& st, const std::string& path, const Json& params, Millis now);
  Result<Flow> step(RunState& rs, size_t idx, const std::string& path, Millis now);
  // Runs steps until the run waits, stops, fails or completes, then saves it. Its callers
  // (start and resume) have set the data's "now" to `now`.
  Status run(RunState& rs, Millis now);
  // Goes on with a waiting run: `output` becomes its wait step's output.
  Status resume(RunState& rs, const Json& output, Millis now);
  // Fails a waiting run whose saved state no longer fits the bundle.
  Status fail_unloadable(const RunRow& row, Millis now);
  // `fresh`: the run id cannot be in the store yet (it names an event handled only now).
  Status start(const Workflow& wf, const std::string& run_id, const std::string& event_id, Json ctx, int depth,
               const Json* filter_verdict, const std::string* filter_tree, Millis now, bool fresh);

  // [SECTION] routing (engine_routing.cpp)
  engine::Routes routes;
  // The event being ingested, so it is not parsed back from the inbox.
  std::string fast_id;
  Json fast_event;
  // Events accepted and not yet handled, by id, so they are not parsed back from the inbox
  // (bounded; after a restart or past the bound they are read from the inbox).
  std::unordered_map<std::string, Json> accepted;
  static constexpr size_t kMaxAccepted = 20000;
  size_t emitted = 0;  // events emitted by runs so far
  // Without keep_handled_events (a throwaway store): the id of every event taken so far. An
  // event handled as it arrives leaves no inbox row then, so these ids start nothing twice.
  engine::IdSet taken_ids;
  // Whether an event with this id is new, and remembers it (throwaway stores only).
  bool take_id(const std::string& id) { return taken_ids.insert(id); }
  // True while every inbox event is known to be handled (after a drain that emptied it; an
  // accept() makes it false): ingest() may then handle its event at once, without the queue.
  bool inbox_clear = false;
  // `spent`: the caller needs `ev` no more, so the runs may take it instead of a copy.
  Status handle(const InboxRow& row, const Json& ev, Millis now, Json* spent = nullptr);
  // Resumes the runs waiting for this event whose match holds, oldest first. Only those whose
  // correlation value is this event's (or who have none) can match it.
  Status resume_waiting(const InboxRow& row, const Json& ev, Millis now);
  // Starts the runs of the workflows this event triggers, in workflow order.
  Status start_runs(const InboxRow& row, const Json& ev, Millis now, Json* spent);
  // Handles pending inbox events inside the caller's transaction.
  Result<size_t> drain(Millis now, size_t limit);
  // A trigger filter rejected an event (or a schedule's fire): counted, and kept for the trace
  // (record_rejections) and/or stored (store_rejections) with the filter's verdict tree.
  Status rejected(const Workflow& wf, const std::string& event_id, const std::string& event_type, Millis now,
                  std::string& tree);
  std::vector<FilterRejection> rejections;         // with record_rejections, until taken
  std::map<std::string, size_t> rejection_counts;  // by workflow, since the engine opened

  // [SECTION] timers and schedules (engine_timers.cpp)
  bool armed = false;  // the schedules have their timers
  // The time a wait's `until` names: an RFC 3339 text or epoch milliseconds, from a rule.
  Result<Millis> time_of(RunState& rs, const logic::Condition& rule);
  // The wait step: a timer and/or an event wait, or straight on when its time has passed.
  Result<Flow> wait(RunState& rs, size_t idx, const std::string& path, Millis now);
  Status arm(Millis now);
  // Fires a due timer at its due time: a schedule's starts a run, a wait's resumes its run.
  Status fire(const TimerRow& t);
};

}  // namespace shopflow
