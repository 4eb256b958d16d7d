// The data one step of a simulated run saw, rebuilt from a `shopflow simulate --trace` file,
// so that `shopflow eval` and `shopflow render` with `--run` try a rule or a template on
// exactly what that step read.
//
// A trace names each run's event by id and records every step the run took: its path, its
// time and its output (what `steps.<id>` holds afterwards; for a set step, the values set). It
// does not repeat the events' data, which is the simulation's input — the bundle's samples, or
// the file given to `simulate --events` — and which the caller hands in again. From these the
// data is rebuilt as the engine built it: the event (a schedule's tick and an emitted event are
// rebuilt from the run ids that name them), `steps` and `vars` as the steps before this one left
// them, `now` at the step, and inside a foreach its item (the list evaluated again where the
// foreach ran). Tables are the bundle's rows with the trace's changes made before the step.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shopflow/bundle.hpp"
#include "shopflow/event.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow::cli {

struct RunData {
  Json data;                     // what the step read: event, trigger?, steps, vars, now, item
  std::vector<TableDef> tables;  // the tables as the step found them
  const Workflow* workflow = nullptr;
  const Step* step = nullptr;    // the named step; nullptr for "after the run's last step"
  bool filter = false;           // the step named was "trigger": what the trigger's filter saw
  bool schedule = false;         // a schedule's run: `trigger` is its own member of `data`
};

// The data of step `step_path` ("check/then/hold", "lines/2/take-stock"; "trigger" for the
// trigger's filter) of run `run_id` in `trace` (a parsed simulate --trace document), just
// before the step ran; with an empty path, the data after the run's last step. `events` are the events the simulation ran on. Fails with
// what is missing: an unknown run (naming the nearest ids), a step the run did not take
// (listing those it took), or an event that is not among `events`.
Result<RunData> run_data_at(const Bundle& bundle, const Json& trace, const std::string& run_id,
                            const std::string& step_path, const std::vector<Event>& events);

// A computed value (action parameters, emitted data) as the engine computes it on `data`, with
// the bundle's templates and money formats and `tables` for lookups. Fails naming the member.
Result<Json> compute_at(const Bundle& bundle, const Computed& c, const Json& data, const std::vector<TableDef>& tables);

// run_data_at() for `shopflow COMMAND --run`: reads the trace file and the events (a JSON Lines
// file, or the bundle's samples when `events_path` is ""). On failure prints
// "shopflow COMMAND: reason" to stderr, sets *exit_status (2 an unreadable file, 1 otherwise)
// and returns nullopt.
std::optional<RunData> step_data(const Bundle& bundle, const std::string& run_id, const std::string& trace_path,
                                 const std::string& step_path, const std::string& events_path, const char* command,
                                 int* exit_status);

}  // namespace shopflow::cli
