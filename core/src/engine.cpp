// The engine's public API: opening an engine over a bundle and a store, taking events in,
// advancing time, reads, and the outbox's delivery outcomes. Each call is one transaction (or
// a few); the run counts kept for metrics follow its commits and rollbacks. What runs do is in
// the pieces engine_impl.hpp lists: the step interpreter, run-state encoding, table actions,
// routing and timers.
#include "shopflow/engine.hpp"

#include "engine_impl.hpp"
#include "engine_tables.hpp"

namespace shopflow {

using engine::RunState;

void Engine::Impl::count(const std::string& workflow, const std::string& from, const std::string& to) {
  if (from == to) return;
  if (!from.empty()) --count_changes[{workflow, from}];
  if (!to.empty()) ++count_changes[{workflow, to}];
}

Status Engine::Impl::commit() {
  auto s = store->commit();
  if (!s) {
    rollback();
    return s;
  }
  for (auto& [k, n] : count_changes) {
    if (n == 0) continue;
    counts[k] += n;
    n = 0;
  }
  return {};
}

void Engine::Impl::rollback() {
  (void)store->rollback();
  for (auto& change : count_changes) change.second = 0;
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::open(Bundle bundle, std::unique_ptr<Store> store, EngineOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->bundle = std::move(bundle);
  impl->store = std::move(store);
  impl->options = std::move(options);
  impl->tpl = template_options(impl->bundle);
  impl->tpl.partial_cache = liquid::make_partial_cache();  // the bundle's templates never change
  // An event run's data holds its event once, as `event`; `trigger` reads it (see start_runs).
  impl->tpl.root_aliases = {{"trigger", "event"}};
  impl->eval.root_aliases = {{"trigger", "event"}};
  impl->source = "shopflow:" + impl->bundle.name;
  Store* st = impl->store.get();
  engine::install_table_reads(impl->eval, st, &impl->bundle);
  // What each event type triggers and which waits listen for it. Runs that wait under a
  // correlation the bundle no longer uses are looked at for every event.
  impl->routes = engine::routes_of(impl->bundle);
  const std::string& signature = impl->routes.signature;
  auto stored_counts = st->run_counts();
  if (!stored_counts) return stored_counts.error();
  for (const RunCount& c : stored_counts.value()) impl->counts[{c.workflow, c.status}] = c.count;
  auto stored_waits = st->waiting_event_types();
  if (!stored_waits) return stored_waits.error();
  impl->routes.wait_types.insert(stored_waits.value().begin(), stored_waits.value().end());
  auto known = st->meta_get("correlation");
  if (!known) return known.error();
  if (!known.value() || *known.value() != signature) {
    if (auto s = st->runs_forget_wait_keys(); !s) return s.error();
    if (auto s = st->meta_set("correlation", signature); !s) return s.error();
  }
  // Seed the tables once per store: later runs' changes must survive a restart. Of runners
  // opening one store together, the first to mark it seeds; the others wait for its commit.
  auto seeded = st->meta_get("tables_seeded");
  if (!seeded) return seeded.error();
  if (!seeded.value()) {
    auto tx = st->transaction();
    if (!tx) return tx.error();
    auto first = st->meta_insert("tables_seeded", "1");
    if (!first) return first.error();
    for (const TableDef& t : impl->bundle.tables) {
      if (!first.value()) break;
      for (const auto& [key, row] : t.rows) {
        if (auto s = st->row_put(t.name, key, json_text(row)); !s) return s.error();
      }
    }
    if (auto s = tx.value().commit(); !s) return s.error();
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Result<std::vector<bool>> Engine::accept(const std::vector<Event>& events, Millis received) {
  Store& st = *impl_->store;
  impl_->inbox_clear = false;
  if (auto s = st.set_durability(Durability::Full); !s) return s.error();
  if (auto s = st.begin(); !s) return s.error();
  std::vector<bool> out;
  out.reserve(events.size());
  auto key_of = [](const Event& e) -> const std::string& { return e.key.empty() ? e.id : e.key; };
  for (const Event& e : events) {
    InboxRow row;
    row.id = key_of(e);
    row.type = e.type;
    row.time = e.time_ms;
    row.received = received;
    if (!impl_->options.keep_handled_events && !impl_->take_id(row.id)) {
      out.push_back(false);
      continue;
    }
    Json ev = event_to_json(e);
    row.body = json_text(ev);
    auto r = st.inbox_insert(row);
    if (!r) {
      impl_->rollback();
      for (const Event& x : events) impl_->accepted.erase(key_of(x));
      return r.error();
    }
    if (r.value() && impl_->accepted.size() < Impl::kMaxAccepted) impl_->accepted.emplace(row.id, std::move(ev));
    out.push_back(r.value());
  }
  if (auto s = impl_->commit(); !s) {
    for (const Event& x : events) impl_->accepted.erase(key_of(x));
    return s.error();
  }
  return out;
}

Result<size_t> Engine::process_pending(Millis now, size_t limit) {
  Store& st = *impl_->store;
  if (auto s = st.set_durability(Durability::Relaxed); !s) return s.error();
  if (auto s = impl_->arm(now); !s) return s.error();
  size_t total = 0;
  while (total < limit) {
    if (auto s = st.begin(); !s) return s.error();
    size_t batch = limit - total < 1024 ? limit - total : 1024;
    auto n = impl_->drain(now, batch);
    if (!n) {
      impl_->rollback();
      return n.error();
    }
    if (auto s = impl_->commit(); !s) return s.error();
    total += n.value();
    if (n.value() < batch) break;
  }
  return total;
}

Result<bool> Engine::ingest(const Event& event, Millis now) {
  Event copy = event;
  return ingest(std::move(copy), now);
}

Result<bool> Engine::ingest(Event&& event, Millis now) {
  Store& st = *impl_->store;
  if (auto s = st.set_durability(Durability::Full); !s) return s.error();
  if (auto s = impl_->arm(now); !s) return s.error();
  if (auto s = st.begin(); !s) return s.error();
  InboxRow row;
  row.id = event.key.empty() ? event.id : event.key;
  row.type = event.type;
  row.time = event.has_time ? event.time_ms : now;
  row.received = now;
  // With nothing older pending, the event is handled at once and stored as handled; else it
  // queues behind the others (and its body is read back when its turn comes). A throwaway
  // store keeps no row for an event handled at once: its id is remembered in memory.
  const bool at_once = impl_->inbox_clear;
  const bool keep = impl_->options.keep_handled_events;
  bool fresh = true;
  if (!keep) {
    fresh = impl_->take_id(row.id);
    if (!fresh) {
      if (auto s = impl_->commit(); !s) return s.error();
      return false;
    }
  }
  impl_->fast_event = event_to_json(std::move(event));
  if (keep || !at_once) {
    row.body = json_text(impl_->fast_event);
    row.processed = at_once;
    auto ins = st.inbox_insert(row);
    if (!ins) {
      impl_->rollback();
      return ins.error();
    }
    fresh = ins.value();
  }
  if (fresh) {
    Status handled;
    const size_t emitted_before = impl_->emitted;
    if (at_once) {
      handled = impl_->handle(row, impl_->fast_event, now, &impl_->fast_event);
    } else {
      impl_->fast_id = row.id;
    }
    if (handled && (!at_once || impl_->emitted != emitted_before)) {
      auto n = impl_->drain(now, SIZE_MAX);
      if (!n) handled = n.error();
    }
    impl_->fast_id.clear();
    if (!handled) {
      impl_->rollback();
      return handled.error();
    }
  }
  if (auto s = impl_->commit(); !s) return s.error();
  return fresh;
}

Result<size_t> Engine::advance(Millis now) {
  Store& st = *impl_->store;
  if (auto s = st.set_durability(Durability::Relaxed); !s) return s.error();
  if (auto s = impl_->arm(now); !s) return s.error();
  size_t fired = 0;
  if (auto s = st.begin(); !s) return s.error();
  while (fired < impl_->options.limits.max_fires_per_advance) {
    // Claimed inside the transaction: another runner's advance skips this timer meanwhile.
    auto t = st.timer_claim(now);
    if (!t) {
      impl_->rollback();
      return t.error();
    }
    if (!t.value()) break;
    Status s = st.timer_delete(t.value()->seq, t.value()->epoch);
    if (!s && s.error().lease_lost()) continue;  // another runner's to fire now
    if (s) s = impl_->fire(*t.value());
    if (s) {
      auto n = impl_->drain(t.value()->due, SIZE_MAX);
      if (!n) s = n.error();
    }
    if (!s) {
      impl_->rollback();
      return s.error();
    }
    ++fired;
  }
  if (auto s = impl_->commit(); !s) return s.error();
  return fired;
}

Result<std::optional<Millis>> Engine::next_due(Millis now) {
  if (auto s = impl_->arm(now); !s) return s.error();
  auto t = impl_->store->timer_next();
  if (!t) return t.error();
  if (!t.value()) return std::optional<Millis>();
  return std::optional<Millis>(t.value()->due);
}

Result<std::vector<RunRow>> Engine::runs() { return impl_->store->runs(); }
Result<std::vector<RunCount>> Engine::run_counts() {
  std::vector<RunCount> out;
  for (const auto& [k, n] : impl_->counts) {
    if (n > 0) out.push_back(RunCount{k.first, k.second, n});
  }
  return out;
}
Result<std::vector<StepRow>> Engine::steps(const std::string& run_id) {
  auto row = impl_->store->run_get(run_id);
  if (!row) return row.error();
  if (!row.value()) return std::vector<StepRow>();
  return parse_steps(run_id, row.value()->steps);
}
Result<std::vector<EffectRow>> Engine::effects() { return impl_->store->effects(); }
Result<size_t> Engine::each_run(std::int64_t after, size_t limit, bool with_steps,
                                const std::function<void(const RunView&)>& fn) {
  return impl_->store->each_run(after, limit, with_steps, fn);
}
Result<size_t> Engine::each_effect(std::int64_t after, size_t limit, const std::function<void(const EffectView&)>& fn) {
  return impl_->store->each_effect(after, limit, fn);
}
Result<std::int64_t> Engine::effect_count() { return impl_->store->effects_count(); }
Result<std::int64_t> Engine::dead_letter_count() { return impl_->store->effects_dead_count(); }
Result<std::int64_t> Engine::inbox_count(bool only_pending) { return impl_->store->inbox_count(only_pending); }
Result<std::vector<RunCount>> Engine::stored_run_counts() { return impl_->store->run_counts(); }
StoreCounters Engine::store_counters() const { return impl_->store->counters(); }
Result<size_t> Engine::prune_rejections(Millis before, size_t limit) { return impl_->store->rejections_prune(before, limit); }
Result<std::vector<TableRow>> Engine::table_rows(const std::string& table) { return impl_->store->rows(table); }

const std::map<BranchKey, size_t>& Engine::branches_taken() const { return impl_->branches; }

std::string_view workflow_of_run(std::string_view run_id) { return run_id.substr(0, run_id.find_first_of(":@")); }

std::vector<BranchKey> branches_of(const Bundle& bundle) {
  std::vector<BranchKey> out;
  for (const Workflow& wf : bundle.workflows) {
    if (wf.trigger.has_filter) {
      out.push_back({wf.id, "trigger: filter passes"});
      out.push_back({wf.id, "trigger: filter rejects"});
    }
    for (const Step& st : wf.steps) {
      if (st.kind == StepKind::If) {
        out.push_back({wf.id, st.path + ": then"});
        out.push_back({wf.id, st.path + ": else"});
      } else if (st.kind == StepKind::Switch) {
        for (size_t i = 0; i < st.cases.size(); ++i) out.push_back({wf.id, st.path + ": " + engine::case_label(st, i)});
        out.push_back({wf.id, st.path + ": default"});
      } else if (st.kind == StepKind::Wait && st.wait == WaitKind::Event) {
        out.push_back({wf.id, st.path + ": event arrived"});
        if (st.has_timeout || st.has_deadline) out.push_back({wf.id, st.path + ": timed out"});
      }
    }
  }
  return out;
}

std::vector<TableChange> Engine::take_table_changes() {
  std::vector<TableChange> out;
  out.swap(impl_->changes);
  return out;
}

std::vector<FilterRejection> Engine::take_filter_rejections() {
  std::vector<FilterRejection> out;
  out.swap(impl_->rejections);
  return out;
}

const std::map<std::string, size_t>& Engine::filter_rejections_counted() const { return impl_->rejection_counts; }

void Engine::defer_requests(bool on) { impl_->defer_requests = on; }

Status Engine::complete_call(const EffectRow& claimed, const Json& response, Millis now) {
  const std::string& effect_id = claimed.id;
  Store& st = *impl_->store;
  if (auto s = st.set_durability(Durability::Relaxed); !s) return s;
  auto effect = st.effect_get(effect_id);
  if (!effect) return effect.error();
  if (!effect.value()) return Error{"no effect with the id " + effect_id, "", 0, 0};
  if (auto s = st.begin(); !s) return s;
  Status s = [&]() -> Status {
    auto r = st.effect_update(effect_id, "delivered", true, 0, "", claimed.epoch);
    if (!r) return r.error();
    auto row = st.run_get(effect.value()->run_id);
    if (!row) return row.error();
    if (!row.value() || row.value()->status != "waiting") return {};
    RunState rs;
    if (!engine::restore_run(*row.value(), impl_->bundle, &rs)) return impl_->fail_unloadable(*row.value(), now);
    if (rs.wait.value("kind", std::string()) != "call" || rs.wait.value("effect", std::string()) != effect_id) return {};
    return impl_->resume(rs, response, now);
  }();
  if (!s) {
    // A lost lease too: the call was claimed again since (by another runner, or by this one
    // after its lease ran out), under which it is made again and resumes the run.
    impl_->rollback();
    return s;
  }
  return impl_->commit();
}

Result<std::vector<EffectRow>> Engine::pending_effects(Millis now, size_t limit) {
  return impl_->store->effects_claim(now, limit);
}

Status Engine::mark_delivered(const EffectRow& claimed) {
  if (auto s = impl_->store->set_durability(Durability::Relaxed); !s) return s;
  // Refused (LeaseLost) when the effect was claimed since: see pending_effects.
  auto r = impl_->store->effect_update(claimed.id, "delivered", true, 0, "", claimed.epoch);
  if (!r) return r.error();
  if (!r.value()) return Error{"no effect with the id " + claimed.id, "", 0, 0};
  return {};
}

Status Engine::begin_outcomes() {
  if (auto s = impl_->store->set_durability(Durability::Relaxed); !s) return s;
  return impl_->store->begin();
}

Status Engine::commit_outcomes() {
  return impl_->commit();
}

Status Engine::mark_failed(const EffectRow& claimed, const std::string& error, std::optional<Millis> retry_at,
                           bool count_attempt) {
  if (auto s = impl_->store->set_durability(Durability::Relaxed); !s) return s;
  auto r = impl_->store->effect_update(claimed.id, retry_at ? "pending" : "dead", count_attempt, retry_at.value_or(0),
                                       error, claimed.epoch);
  if (!r) return r.error();  // LeaseLost too, as in mark_delivered
  if (!r.value()) return Error{"no effect with the id " + claimed.id, "", 0, 0};
  return {};
}

Result<std::vector<EffectRow>> Engine::dead_letters() { return impl_->store->effects_dead(); }

Status Engine::retry_dead(const std::string& effect_id, Millis now) {
  auto r = impl_->store->effect_update(effect_id, "pending", false, now, "");
  if (!r) return r.error();
  if (!r.value()) return Error{"no effect with the id " + effect_id, "", 0, 0};
  return {};
}

std::int64_t Engine::store_log_bytes() const { return impl_->store->wal_bytes(); }
Status Engine::truncate_store_log() { return impl_->store->checkpoint(true); }

const Bundle& Engine::bundle() const { return impl_->bundle; }

}  // namespace shopflow
