// The step-wise simulation: the loop of shopflow::simulate(), one event or timer per step,
// then the same TraceBuilder, a few runs or effects per step.
#include "sim_session.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

#include "shopflow/store.hpp"

namespace shopflow::studio {

namespace {

double now_ms() {
  // The browser's performance clock through libc; only used to size slices, never by the core.
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

// Runs or effects added to the trace document per step: a few milliseconds of work in the browser.
constexpr size_t kTraceItemsPerStep = 50;

void fail(SimSession& s, const Error& e) {
  s.phase = SimPhase::Failed;
  s.error = e.to_string();
  s.builder.reset();
  s.engine.reset();
}

}  // namespace

void sim_reset(SimSession& s) {
  float budget = s.budget_ms;
  std::string filter = s.effect_filter;
  bool rerun = s.auto_rerun;
  std::vector<Json> discard = std::move(s.discard);
  if (!s.trace.json.is_null()) discard.push_back(std::move(s.trace.json));
  s = SimSession{};
  s.budget_ms = budget;
  s.effect_filter = filter;
  s.auto_rerun = rerun;
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
  double start = now_ms();
  while (!s.discard.empty()) {
    for (int i = 0; i < 64; ++i) {
      if (!free_one(s.discard.back())) {
        s.discard.pop_back();  // what is left is small
        break;
      }
    }
    if (now_ms() - start >= budget_ms) return;
  }
}

void sim_start(SimSession& s, const Bundle& bundle, std::shared_ptr<const std::vector<Event>> events, int revision) {
  sim_reset(s);
  s.revision = revision;
  // The events are shared, not copied: 10,000 of them copied held up the first frame of a run
  // by a tenth of a second. (The studio's checked bundle keeps its samples apart, so this copy
  // is small.)
  s.bundle = bundle;
  s.bundle.sample_events.clear();
  s.input = std::move(events);
  auto store = Store::open(":memory:");
  if (!store) return fail(s, store.error());
  EngineOptions eo;
  eo.limits = s.options.limits;
  eo.explain = s.options.explain;
  eo.record_tables = true;
  eo.keep_handled_events = false;  // as simulate(): the store is thrown away with the run
  // The mocks live in the engine's own copy of the bundle, which outlives this callback.
  eo.request = mock_request_port({}, bundle.http_mocks);
  auto opened = Engine::open(s.bundle, std::move(store.value()), std::move(eo));
  if (!opened) return fail(s, opened.error());
  s.engine = std::move(opened.value());
  // A throwaway store: one transaction for the whole simulation, no rollback journal.
  if (auto held = s.engine->store().hold(); !held) return fail(s, held.error());
  s.order.resize(s.input->size());
  for (size_t i = 0; i < s.order.size(); ++i) s.order[i] = i;
  std::stable_sort(s.order.begin(), s.order.end(),
                   [&](size_t a, size_t b) { return (*s.input)[a].time_ms < (*s.input)[b].time_ms; });
  const SimOptions& o = s.options;
  s.until = o.until ? *o.until
                    : (s.order.empty() ? o.from.value_or(0) : (*s.input)[s.order.back()].time_ms) + kDefaultSimulationTail;
  s.from = o.from ? *o.from : (s.order.empty() ? s.until : (*s.input)[s.order.front()].time_ms);
  s.clock = s.from;
  s.phase = SimPhase::Paused;
}

bool sim_step(SimSession& s) {
  if (!s.engine || s.phase == SimPhase::Done || s.phase == SimPhase::Failed || s.phase == SimPhase::Idle) return false;
  Engine& engine = *s.engine;
  auto due = engine.next_due(s.clock);
  if (!due) {
    fail(s, due.error());
    return false;
  }
  Millis next_event = s.next < s.order.size() ? (*s.input)[s.order[s.next]].time_ms : std::numeric_limits<Millis>::max();
  if (due.value() && *due.value() <= s.until && *due.value() <= next_event) {
    s.clock = std::max(s.clock, *due.value());
    auto n = engine.advance(s.clock);
    if (!n) {
      fail(s, n.error());
      return false;
    }
    s.marks.push_back(SimMark{s.clock, false, "timer"});
    return true;
  }
  if (s.next < s.order.size() && next_event <= s.until) {
    const Event& e = (*s.input)[s.order[s.next]];
    s.clock = std::max(s.clock, next_event);
    auto r = engine.ingest(e, s.clock);
    if (!r) {
      fail(s, r.error());
      return false;
    }
    ++s.handled;
    if (!r.value()) ++s.duplicates;
    ++s.next;
    s.marks.push_back(SimMark{s.clock, true, e.type});
    return true;
  }
  // The events are all in: the trace document, a few runs or effects per step so no frame waits long.
  if (!s.builder) {
    SimEnd end{s.from, s.until, s.input->size(), s.handled, s.duplicates, s.order.size() - s.next};
    s.builder = std::make_unique<TraceBuilder>(engine, s.bundle, s.options.include_steps, end);
  }
  auto built = s.builder->step(kTraceItemsPerStep);
  if (!built) {
    fail(s, built.error());
    return false;
  }
  if (!built.value()) return true;
  s.trace = s.builder->take();
  s.builder.reset();
  if (auto released = engine.store().release_hold(); !released) {
    fail(s, released.error());
    return false;
  }
  s.has_trace = true;
  s.phase = SimPhase::Done;
  return false;
}

void sim_slice(SimSession& s, double budget_ms) {
  double start = now_ms();
  while (sim_step(s)) {
    if (now_ms() - start >= budget_ms) break;
  }
  s.elapsed_ms += now_ms() - start;
}

float sim_progress(const SimSession& s) {
  if (s.phase == SimPhase::Done) return 1.0f;
  if (s.order.empty()) return 0.0f;
  return static_cast<float>(s.next) / static_cast<float>(s.order.size());
}

}  // namespace shopflow::studio
