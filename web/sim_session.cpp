// The step-wise simulation: the core's Simulation, one event or timer per step, then its trace
// a few runs or effects per step.
#include "sim_session.hpp"

#include <chrono>

namespace shopflow::studio {

double slice_clock_ms() {
  // The browser's performance clock through libc; only used to size slices, never by the core.
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

namespace {

// Runs or effects added to the trace document per step: a few milliseconds of work in the browser.
constexpr size_t kTraceItemsPerStep = 50;

void fail(SimSession& s, const Error& e) {
  s.phase = SimPhase::Failed;
  s.error = e.to_string();
  s.run.reset();
}

}  // namespace

void sim_reset(SimSession& s) {
  float budget = s.budget_ms;
  std::string filter = s.effect_filter;
  bool rerun = s.auto_rerun;
  // The run the user was looking at, to show again once the new trace has it (a re-run after
  // an edit keeps the selection).
  std::string keep = s.keep_run;
  const Json& trace = s.trace.json;
  if (s.has_trace && s.selected_run >= 0 && trace.contains("runs") && static_cast<size_t>(s.selected_run) < trace["runs"].size()) {
    keep = trace["runs"][static_cast<size_t>(s.selected_run)].value("id", std::string());
  }
  std::vector<Json> discard = std::move(s.discard);
  if (!s.trace.json.is_null()) discard.push_back(std::move(s.trace.json));
  s = SimSession{};
  s.budget_ms = budget;
  s.effect_filter = filter;
  s.auto_rerun = rerun;
  s.keep_run = std::move(keep);
  s.discard = std::move(discard);
}

namespace {
// Frees one element of the first non-empty array in `j` (searching its members in order);
// false when no array in it holds anything.
bool free_one(Json& j) {
  if (j.is_array()) {
    if (j.empty()) return false;
    j.get_ref<Json::array_t&>().pop_back();
    return true;
  }
  if (j.is_object()) {
    for (auto& member : j.get_ref<Json::object_t&>()) {
      if (free_one(member.second)) return true;
    }
  }
  return false;
}
}  // namespace

void sim_discard_some(SimSession& s, double budget_ms) {
  double start = slice_clock_ms();
  while (!s.discard.empty()) {
    for (int i = 0; i < 64; ++i) {
      if (!free_one(s.discard.back())) {
        s.discard.pop_back();  // what is left is small
        break;
      }
    }
    if (slice_clock_ms() - start >= budget_ms) return;
  }
}

void sim_start(SimSession& s, const Bundle& bundle, std::shared_ptr<const std::vector<Event>> events, int revision) {
  sim_reset(s);
  s.revision = revision;
  // The events are shared, not copied: 10,000 of them copied held up the first frame of a run
  // by a tenth of a second.
  auto opened = Simulation::open(bundle, std::move(events), s.options);
  if (!opened) return fail(s, opened.error());
  s.run = std::move(opened.value());
  s.from = s.run->from();
  s.until = s.run->until();
  s.clock = s.run->clock();
  s.total = s.run->feedable();
  s.phase = SimPhase::Paused;
}

bool sim_step(SimSession& s) {
  if (!s.run || s.phase == SimPhase::Done || s.phase == SimPhase::Failed || s.phase == SimPhase::Idle) return false;
  auto did = s.run->step(kTraceItemsPerStep);
  if (!did) {
    fail(s, did.error());
    return false;
  }
  s.clock = s.run->clock();
  s.next = s.run->fed();
  switch (did.value()) {
    case Simulation::Did::Event:
      s.marks.push_back(SimMark{s.clock, true, s.run->last_event()->type});
      return true;
    case Simulation::Did::Timers:
      s.marks.push_back(SimMark{s.clock, false, "timer"});
      return true;
    case Simulation::Did::Trace:
    case Simulation::Did::Hungry:  // not fed: its events are all given at the start
      return true;
    case Simulation::Did::Finished:
      break;
  }
  s.trace = s.run->take_trace();
  s.run.reset();
  s.has_trace = true;
  if (!s.keep_run.empty()) {
    const Json& runs = s.trace.json["runs"];
    for (size_t i = 0; i < runs.size(); ++i) {
      if (runs[i].value("id", std::string()) == s.keep_run) s.selected_run = static_cast<int>(i);
    }
  }
  s.phase = SimPhase::Done;
  return false;
}

void sim_slice(SimSession& s, double budget_ms) {
  double start = slice_clock_ms();
  while (sim_step(s)) {
    if (slice_clock_ms() - start >= budget_ms) break;
  }
  s.elapsed_ms += slice_clock_ms() - start;
}

float sim_progress(const SimSession& s) {
  if (s.phase == SimPhase::Done) return 1.0f;
  if (s.total == 0) return 0.0f;
  return static_cast<float>(s.next) / static_cast<float>(s.total);
}

}  // namespace shopflow::studio
