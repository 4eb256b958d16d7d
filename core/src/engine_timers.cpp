// Timers: the wait step, the arming of cron schedules and the firing of due timers. See
// engine_timers.hpp; the methods are Engine::Impl's (engine_impl.hpp).
#include "engine_timers.hpp"

#include "engine_impl.hpp"

namespace shopflow {

using engine::Flow;
using engine::RunState;

namespace engine {

TimerRow wait_timer(const std::string& run_id, const std::string& path, Millis due) {
  TimerRow t;
  t.due = due;
  t.kind = "wait";
  t.run_id = run_id;
  t.path = path;
  return t;
}

TimerRow schedule_timer(const std::string& workflow, Millis due) {
  TimerRow t;
  t.due = due;
  t.kind = "schedule";
  t.workflow = workflow;
  return t;
}

Status arm_schedules(Store& store, const Bundle& bundle, Millis now) {
  bool any = false;
  for (const Workflow& wf : bundle.workflows) any = any || wf.trigger.cron.has_value();
  if (!any) return {};
  if (auto s = store.begin(); !s) return s;
  for (const Workflow& wf : bundle.workflows) {
    if (!wf.trigger.cron) continue;
    auto exists = store.schedule_timer_exists(wf.id);
    if (!exists) {
      (void)store.rollback();
      return exists.error();
    }
    if (exists.value()) continue;
    auto next = wf.trigger.cron->next_after(now);
    if (!next) continue;
    TimerRow t = schedule_timer(wf.id, *next);
    if (auto s = store.timer_add(t); !s) {
      (void)store.rollback();
      return s;
    }
  }
  return store.commit();
}

}  // namespace engine

Result<Millis> Engine::Impl::time_of(RunState& rs, const logic::Condition& rule) {
  auto v = evaluate(rule, rs.ctx, nullptr);
  if (!v) return v.error();
  if (v.value().is_string()) {
    auto t = parse_instant(v.value().get<std::string>());
    if (!t) return Error{"wait until: " + t.error().message, "", 0, 0};
    return t.value();
  }
  if (v.value().is_number()) return static_cast<Millis>(v.value().get<double>());
  return Error{"wait until: " + v.value().dump().substr(0, 80) + " is not a time", "", 0, 0};
}

Result<Flow> Engine::Impl::wait(RunState& rs, size_t idx, const std::string& path, Millis now) {
  const Step& st = rs.wf->steps[idx];
  Millis due = 0;
  bool timer = true;
  const char* kind = "duration";
  if (st.wait == WaitKind::Duration) {
    due = now + st.duration_ms;
  } else if (st.wait == WaitKind::Until) {
    kind = "until";
    auto t = time_of(rs, st.logic);
    if (!t) return fail(rs, path, t.error().message);
    due = t.value();
    if (due <= now) {
      Json out = {{"resumed_by", "time"}, {"at", format_instant(now)}};
      rs.ctx["steps"][st.id] = out;
      if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s.error();
      return Flow::Continue;
    }
  } else {
    kind = "event";
    timer = st.has_timeout || st.has_deadline;
    due = now + st.duration_ms;
    if (st.has_deadline) {
      auto t = time_of(rs, st.deadline);
      if (!t) return fail(rs, path, t.error().message);
      due = t.value();
      if (due <= now) {  // the deadline has passed already: nothing to wait for
        Json out = {{"resumed_by", "timeout"}};
        took(*rs.wf, st.path, ": timed out");
        rs.ctx["steps"][st.id] = out;
        if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s.error();
        return Flow::Continue;
      }
    }
    rs.row.wait_event = st.wait_event;
    rs.row.wait_key.clear();
    if (!st.correlate_own.empty()) {
      auto own = st.correlate_own_rule.evaluate(rs.ctx, eval);
      if (own) rs.row.wait_key = engine::correlation_key(st.correlate_event, own.value());
    }
  }
  rs.wait = {{"step", idx}, {"id", st.id}, {"path", path}, {"kind", kind}, {"since", now}};
  if (timer) {
    rs.wait["due"] = due;
    TimerRow t = engine::wait_timer(rs.row.id, path, due);
    if (auto s = store->timer_add(t); !s) return s.error();
  }
  rs.row.status = "waiting";
  return Flow::Wait;
}

Status Engine::Impl::arm(Millis now) {
  if (armed) return {};
  if (auto s = engine::arm_schedules(*store, bundle, now); !s) return s;
  armed = true;
  return {};
}

Status Engine::Impl::fire(const TimerRow& t) {
  const Millis now = t.due;
  if (t.kind == "schedule") {
    const Workflow* wf = bundle.find_workflow(t.workflow);
    if (!wf || !wf->trigger.cron) return {};  // the workflow left the bundle; its schedule ends
    // Once per tick across runners: a second timer for this schedule (two runners armed it
    // together) finds the tick taken, starts nothing and arms no next tick.
    auto first = store->schedule_tick(wf->id, now);
    if (!first) return first.error();
    if (!first.value()) return {};
    if (auto next = wf->trigger.cron->next_after(now)) {
      TimerRow n = engine::schedule_timer(wf->id, *next);
      if (auto s = store->timer_add(n); !s) return s;
    }
    std::string iso = format_instant(now);
    std::string id = wf->id + "@" + iso;
    Json ev = {{"id", id}, {"type", "schedule.tick"}, {"source", source}, {"time", iso},
               {"data", {{"workflow", wf->id}, {"schedule", wf->trigger.schedule}}}};
    Json trigger = {{"schedule", wf->trigger.schedule}, {"time_zone", wf->trigger.cron->zone().name()},
                    {"utc_offset", wf->trigger.utc_offset}, {"time", iso}};
    Json ctx = {{"event", ev}, {"trigger", trigger}, {"steps", Json::object()}, {"vars", Json::object()}, {"now", iso}};
    if (!wf->trigger.has_filter) return start(*wf, id, id, std::move(ctx), 0, nullptr, nullptr, now, false);
    // A schedule's filter decides, as an event trigger's does, whether this fire starts a run.
    std::string tree;
    auto v = evaluate(wf->trigger.filter, ctx, &tree);
    if (!v) {
      RunState rs;
      rs.wf = wf;
      rs.row.id = id;
      rs.row.workflow = wf->id;
      rs.row.event_id = id;
      rs.row.started = now;
      rs.ctx = std::move(ctx);
      fail(rs, "trigger", "filter: " + v.error().message);
      return save(rs, now);
    }
    const bool passes = logic::truthy(v.value());
    took(*wf, passes ? "trigger: filter passes" : "trigger: filter rejects");
    if (!passes) return rejected(*wf, id, "schedule.tick", now, tree);
    Json verdict = true;
    return start(*wf, id, id, std::move(ctx), 0, &verdict, &tree, now, false);
  }
  auto row = store->run_get(t.run_id);
  if (!row) return row.error();
  if (!row.value() || row.value()->status != "waiting") return {};
  RunState rs;
  if (!engine::restore_run(*row.value(), bundle, &rs)) return fail_unloadable(*row.value(), now);
  if (rs.wait.value("path", std::string()) != t.path) return {};  // a stale timer
  bool timeout = rs.wait.value("kind", std::string()) == "event";
  Json out = timeout ? Json{{"resumed_by", "timeout"}} : Json{{"resumed_by", "time"}, {"at", format_instant(now)}};
  return resume(rs, out, now);
}

}  // namespace shopflow
