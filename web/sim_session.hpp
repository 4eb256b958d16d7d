// A simulation that advances a little every frame, so the studio never freezes on a long one.
//
// It drives the core's Engine with exactly the loop of shopflow::simulate() (simulator.cpp):
// the clock jumps to the next due timer or event, timers due at an event's millisecond fire
// first. When the events are used up it builds the same trace document, so its hash equals
// `shopflow simulate --hash` (the browser test checks this against the core's simulate()).
// The core has no step-wise simulation API yet; when it gets one this file shrinks to a call.
// Used by the Simulator panel and the page's test API.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shopflow/bundle.hpp"
#include "shopflow/engine.hpp"
#include "shopflow/simulator.hpp"

namespace shopflow::studio {

enum class SimPhase { Idle, Running, Paused, Done, Failed };

// One point on the timeline: an event fed in or a timer fire, and what it led to.
struct SimMark {
  Millis time = 0;
  bool is_event = true;  // false: timers fired
  std::string label;     // event type, or "timer"
};

struct SimSession {
  std::vector<Millis> effect_times;  // the trace's effects' times, parsed once for the timeline
  SimPhase phase = SimPhase::Idle;
  std::unique_ptr<Engine> engine;
  Bundle bundle;                 // what the engine runs (copied at start)
  // The events as given, shared with the studio's state (a day of them is megabytes to copy).
  std::shared_ptr<const std::vector<Event>> input = std::make_shared<const std::vector<Event>>();
  std::vector<size_t> order;     // indexes into input, stable-sorted by time
  SimOptions options;
  Millis from = 0, until = 0, clock = 0;
  size_t next = 0;               // next event (index into order)
  size_t handled = 0, duplicates = 0;
  std::vector<SimMark> marks;
  std::string error;             // store error that ended the run (phase Failed)
  double elapsed_ms = 0;         // time spent simulating, summed over slices
  int revision = -1;             // the studio's bundle revision this run simulates

  std::unique_ptr<TraceBuilder> builder;  // the trace being built, after the last event
  bool has_trace = false;
  Trace trace;                   // complete once phase is Done

  // Trace documents of earlier runs, freed a little per frame (sim_discard_some): freeing the
  // trace of 10,000 events at once took a tenth of a second. Kept across sim_reset.
  std::vector<Json> discard;

  // Panel choices.
  float budget_ms = 16.0f;       // simulation time per frame
  int selected_run = -1;         // index into trace.json["runs"]
  std::string effect_filter;     // effect type shown in the ledger, "" = all
  bool auto_rerun = true;        // simulate again after each edit once a run has finished
};

// Opens a fresh engine on an in-memory store over `bundle` (which must have no problems; its own
// sample events are not used) and `events`; phase becomes Paused (ready to step) or Failed with
// `error`.
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

// Fraction of the events fed in so far, 0..1.
float sim_progress(const SimSession& s);

}  // namespace shopflow::studio
