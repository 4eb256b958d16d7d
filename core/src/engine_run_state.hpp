// Run-state encoding: a run in progress, and how it is saved into its row and restored from it.
//
// A run's position is a stack of frames (step list + index, plus the list and index of each
// enclosing foreach). While a run waits, its data, position, counters and what it waits for are
// stored as JSON in its row's state, so a restart (or a bundle reload) resumes it exactly; a run
// that has finished keeps only its vars and how many step records it wrote. The engine's
// interpreter runs a RunState; its routing and timers restore a waiting run to resume it.
#pragma once

#include <string>
#include <vector>

#include "shopflow/bundle.hpp"
#include "shopflow/json.hpp"
#include "shopflow/store.hpp"

namespace shopflow::engine {

struct Frame {
  size_t list = 0;
  size_t pc = 0;
  std::string prefix;  // step path prefix for steps of this list
  bool loop = false;   // a foreach body
  size_t step = 0;     // the foreach step (loop frames)
  Json items;          // the foreach list (loop frames)
  size_t index = 0;    // current item (loop frames)
  std::string base;    // "<foreach path>/" (loop frames)
};

struct RunState {
  RunRow row;
  const Workflow* wf = nullptr;
  Json ctx;                  // what steps see: event, trigger, steps, vars, now, foreach items
  std::vector<Frame> stack;
  size_t count = 0;          // steps executed so far
  int seq = 0;               // step records written so far
  int depth = 0;             // emit depth of the triggering event
  Json wait;                 // while waiting: {"step", "path", "kind"}
  std::string stored_status; // the status in the store ("" for a run not stored yet)
  bool fresh = false;        // started by an event handled only now: its id is new
  RunState() = default;
  RunState(const RunState&) = delete;
  RunState& operator=(const RunState&) = delete;
  ~RunState() { release_json(ctx); }  // a run's data is a tree of the event's size
};

// The state of a waiting run, as JSON text: its data, stack, counters and wait.
std::string waiting_state_text(const RunState& rs);

// Writes the state of a finished run into `out`: {"vars": ..., "seq": n} (its data's vars, or
// null, and its count of step records), without building it as JSON first.
void write_finished_state(const RunState& rs, std::string& out);

// Restores a saved waiting run from its row into `rs` (which starts empty). False when the run
// no longer fits the bundle: its workflow is gone, its state does not parse, the step it waits
// on moved or was renamed, or a frame points past its list; `rs` is then partly filled.
bool restore_run(const RunRow& row, const Bundle& bundle, RunState* rs);

}  // namespace shopflow::engine
