// A simulation that advances a little every frame, so the studio never freezes on a long one.
//
// It steps the core's Simulation, the one shopflow::simulate() runs to its end, so its trace and
// hash equal `shopflow simulate --hash` (the browser test checks this). Around it: the phase the
// panels show, the timeline's marks, and freeing old traces a little per frame.
// Used by the Simulator and Compare panels, the page's warm-up and its test API.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shopflow/bundle.hpp"
#include "shopflow/simulator.hpp"

namespace shopflow::studio {

enum class SimPhase { Idle, Running, Paused, Done, Failed };

// One point on the timeline: an event fed in or a timer fire, and what it led to.
struct SimMark {
  Millis time = 0;
  bool is_event = true;  // false: timers fired
  std::string label;     // event type, or "timer"
};

// A numeric field of a table row over a simulation: "stock[DESK-TRAY].BER", its values by time.
struct TableSeries {
  std::string label;
  std::vector<std::pair<Millis, double>> points;
};

struct SimSession {
  std::vector<Millis> effect_times;  // the trace's effects' times, parsed once for the timeline
  bool series_built = false;         // `series` read from the trace's table changes (once)
  std::vector<TableSeries> series;
  SimPhase phase = SimPhase::Idle;
  std::unique_ptr<Simulation> run;
  SimOptions options;
  // Where the run stands (copied from `run` after each step, kept once it is gone).
  Millis from = 0, until = 0, clock = 0;
  size_t next = 0, total = 0;    // events fed in so far, of `total`
  std::vector<SimMark> marks;
  std::string error;             // store error that ended the run (phase Failed)
  double elapsed_ms = 0;         // time spent simulating, summed over slices
  int revision = -1;             // the studio's bundle revision this run simulates

  bool has_trace = false;
  Trace trace;                   // complete once phase is Done

  // Trace documents of earlier runs, freed a little per frame (sim_discard_some): freeing the
  // trace of 10,000 events at once took a tenth of a second. Kept across sim_reset.
  std::vector<Json> discard;

  // Panel choices.
  float budget_ms = 16.0f;       // simulation time per frame
  int selected_run = -1;         // index into trace.json["runs"]
  std::vector<std::string> run_labels;  // what each run is about ("#1001 · Ada Byron"), made once per trace
  bool show_runs = false;        // bring the "Runs and decisions" tab forward on the next frame
  std::string keep_run;          // id of the run selected before a re-run, selected again in its trace
  std::string effect_filter;     // effect type shown in the ledger, "" = all
  bool auto_rerun = true;        // simulate again after each edit once a run has finished
};

// Opens a Simulation of `bundle` (which must have no problems; its own sample events are not
// used) over `events`; phase becomes Paused (ready to step) or Failed with `error`.
void sim_start(SimSession& s, const Bundle& bundle, std::shared_ptr<const std::vector<Event>> events, int revision);

// Does one unit of work: feeds one event, or fires the timers due next. Builds the trace when
// nothing is left. Returns false once the session is Done or Failed.
bool sim_step(SimSession& s);

// Steps until `budget_ms` have passed (measured by the caller's clock) or the run ends.
void sim_slice(SimSession& s, double budget_ms);

// Forgets the run (phase Idle); its trace goes to `discard`.
void sim_reset(SimSession& s);

// Frees parts of the discarded traces until `budget_ms` have passed or none is left.
void sim_discard_some(SimSession& s, double budget_ms);

// A monotonic clock in milliseconds, for sizing the work done per frame.
double slice_clock_ms();

// Fraction of the events fed in so far, 0..1.
float sim_progress(const SimSession& s);

}  // namespace shopflow::studio
