// Routing: which events start or resume which runs, and the drain of the inbox that hands
// each event to them. See engine_routing.hpp; the handlers are Engine::Impl's (engine_impl.hpp).
#include "engine_impl.hpp"

namespace shopflow {

using engine::RunState;

namespace engine {

Routes routes_of(const Bundle& bundle) {
  Routes routes;
  for (const Workflow& wf : bundle.workflows) {
    if (!wf.trigger.event.empty()) routes.triggered[wf.trigger.event].push_back(&wf);
    for (const Step& step : wf.steps) {
      if (step.kind == StepKind::Wait && step.wait == WaitKind::Event) routes.wait_types.insert(step.wait_event);
      if (step.correlate_event.empty()) continue;
      routes.correlating[step.wait_event].push_back(&step);
      routes.signature += wf.id + "/" + step.path + ":" + step.correlate_event + "=" + step.correlate_own + ";";
    }
  }
  return routes;
}

std::string correlation_key(const std::string& event_path, const Json& value) {
  std::string k = logic::correlation_key(value);
  return k.empty() ? k : event_path + "=" + k;
}

}  // namespace engine

Status Engine::Impl::handle(const InboxRow& row, const Json& ev, Millis now, Json* spent) {
  // Waiting runs first: they were there before this event.
  if (routes.wait_types.count(row.type)) {
    if (auto s = resume_waiting(row, ev, now); !s) return s;
  }
  return start_runs(row, ev, now, spent);
}

Status Engine::Impl::resume_waiting(const InboxRow& row, const Json& ev, Millis now) {
  std::vector<std::string> keys;
  bool keyed = true;
  if (auto c = routes.correlating.find(row.type); c != routes.correlating.end()) {
    const Json probe = {{"event", ev}};
    for (const Step* st : c->second) {
      auto v = st->correlate_event_rule.evaluate(probe, eval);
      std::string k = v ? engine::correlation_key(st->correlate_event, v.value()) : std::string();
      if (k.empty()) keyed = false;  // a value no index can hold: look at every waiting run
      keys.push_back(std::move(k));
    }
  }
  // No correlating wait on this type: its waiting runs all have no key.
  auto waiting = store->runs_waiting_for(row.type, keyed && !keys.empty() ? &keys : nullptr);
  if (!waiting) return waiting.error();
  for (const RunRow& w : waiting.value()) {
    RunState rs;
    if (!engine::restore_run(w, bundle, &rs)) {
      if (auto s = fail_unloadable(w, now); !s) return s;
      continue;
    }
    const Step& st = rs.wf->steps[rs.wait["step"].get<size_t>()];
    if (st.has_logic) {
      // In the match, `event` is the arriving event and `trigger` the run's own: a run whose
      // trigger reads its event (see start_runs) lends it to `trigger` meanwhile.
      Json own = std::move(rs.ctx["event"]);
      rs.ctx["event"] = ev;
      const bool lends = !rs.ctx.contains("trigger");
      if (lends) rs.ctx["trigger"] = std::move(own);
      rs.ctx["now"] = format_instant(now);
      auto m = evaluate(st.logic, rs.ctx, nullptr);
      if (lends) {
        own = std::move(rs.ctx["trigger"]);
        rs.ctx.erase("trigger");
      }
      rs.ctx["event"] = std::move(own);
      if (!m) {
        std::string path = rs.wait["path"].get<std::string>();
        fail(rs, path, "match: " + m.error().message);
        Json out = {{"error", rs.row.error}};
        if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s;
        if (auto s = store->timers_delete_for_run(rs.row.id); !s) return s;
        if (auto s = save(rs, now); !s) return s;
        continue;
      }
      if (!logic::truthy(m.value())) continue;
    }
    Json out = {{"resumed_by", "event"}, {"event", ev}};
    if (auto s = resume(rs, out, now); !s) return s;
  }
  return {};
}

Status Engine::Impl::start_runs(const InboxRow& row, const Json& ev, Millis now, Json* spent) {
  auto found = routes.triggered.find(row.type);
  if (found == routes.triggered.end()) return {};
  const std::vector<const Workflow*>& wfs = found->second;
  // An event run's `trigger` is its event: the data has no member of its own for it, and
  // lookups of `trigger` read `event` (the root alias set in open()), so the event is not
  // copied twice. `event` takes `spent` (which can be `ev` itself) when the caller is done with it.
  Json ctx = Json::object();
  auto& members = ctx.get_ref<Json::object_t&>();
  members.reserve(4);
  if (spent) {
    members.emplace("event", std::move(*spent));
  } else {
    members.emplace("event", Json(ev));
  }
  members.emplace("steps", Json::object());
  members.emplace("vars", Json::object());
  members.emplace("now", format_instant(now));
  for (size_t i = 0; i < wfs.size(); ++i) {
    const Workflow& wf = *wfs[i];
    // The last run takes the data itself; the others a copy each.
    auto data = [&]() { return i + 1 == wfs.size() ? std::move(ctx) : Json(ctx); };
    std::string run_id = wf.id + ":" + row.id;
    if (wf.trigger.has_filter) {
      std::string tree;
      auto v = evaluate(wf.trigger.filter, ctx, &tree);
      if (!v) {
        // A filter that cannot be evaluated is a failed run, so that someone sees it.
        RunState rs;
        rs.wf = &wf;
        rs.row.id = run_id;
        rs.row.workflow = wf.id;
        rs.row.event_id = row.id;
        rs.row.started = now;
        rs.ctx = ctx;
        fail(rs, "trigger", "filter: " + v.error().message);
        if (auto s = save(rs, now); !s) return s;
        continue;
      }
      const bool passes = logic::truthy(v.value());
      took(wf, passes ? "trigger: filter passes" : "trigger: filter rejects");
      if (!passes) {
        if (auto s = rejected(wf, row.id, row.type, now, tree); !s) return s;
        continue;
      }
      Json verdict = true;
      if (auto s = start(wf, run_id, row.id, data(), row.depth, &verdict, &tree, now, true); !s) return s;
    } else {
      if (auto s = start(wf, run_id, row.id, data(), row.depth, nullptr, nullptr, now, true); !s) return s;
    }
  }
  return {};
}

Result<size_t> Engine::Impl::drain(Millis now, size_t limit) {
  size_t done = 0;
  bool more = true;
  while (done < limit && more) {
    size_t want = limit - done < 64 ? limit - done : 64;
    // Claimed inside the caller's transaction: other runners skip these events until it ends.
    auto pending = store->inbox_claim(want);
    if (!pending) return pending.error();
    if (pending.value().empty()) {
      more = false;
      break;
    }
    const size_t emitted_before = emitted;
    for (const InboxRow& row : pending.value()) {
      Json parsed;
      Json* ev = nullptr;  // spent once handled: the runs may take it instead of a copy
      auto cached = accepted.find(row.id);
      if (!fast_id.empty() && row.id == fast_id) {
        ev = &fast_event;
      } else if (cached != accepted.end()) {
        parsed = std::move(cached->second);
        accepted.erase(cached);
        ev = &parsed;
      } else {
        auto p = parse_json(row.body, "inbox event");
        parsed = p ? std::move(p.value()) : Json{{"id", row.id}, {"type", row.type}};
        ev = &parsed;
      }
      // Marked first, under the claim: a claim another runner took over since is refused
      // before this one does any of the event's work, and the event is that runner's to do.
      if (auto s = store->inbox_mark_processed(row.seq, row.epoch); !s) {
        if (s.error().lease_lost()) continue;
        return s.error();
      }
      // An event from outside is handled at the time it was received, not when its turn came:
      // its runs see the clock a simulation of the same events sees (a backtest's), however
      // long it queued.
      const Millis at = row.received > 0 && row.received < now ? row.received : now;
      if (auto s = handle(row, *ev, at, ev); !s) return s.error();
      ++done;
    }
    // Ask again only when the batch was full or runs emitted events meanwhile.
    more = pending.value().size() == want || emitted != emitted_before;
  }
  inbox_clear = !more;
  return done;
}

Status Engine::Impl::rejected(const Workflow& wf, const std::string& event_id, const std::string& event_type, Millis now,
                              std::string& tree) {
  ++rejection_counts[wf.id];
  if (!options.record_rejections && !options.store_rejections) return {};
  FilterRejection r;
  r.time = now;
  r.workflow = wf.id;
  r.event_id = event_id;
  r.event_type = event_type;
  r.explanation = std::move(tree);
  if (options.store_rejections) {
    if (auto s = store->rejection_add(r); !s) return s;
  }
  if (options.record_rejections) rejections.push_back(std::move(r));
  return {};
}

}  // namespace shopflow
