#include "pipeline.hpp"

#include <chrono>
#include <future>
#include <map>

#include "log.hpp"

namespace shopflow::runner {

namespace {

// An outbox row as the adapters take it, for its next attempt.
OutboundEffect outbound_of(const EffectRow& effect) {
  OutboundEffect out;
  out.id = effect.id;
  out.type = effect.type;
  out.params = Json::parse(effect.params, nullptr, false);
  out.run_id = effect.run_id;
  out.workflow = std::string(workflow_of_run(effect.run_id));
  out.attempt = effect.attempts + 1;
  return out;
}

}  // namespace

Millis system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Pipeline::Pipeline(std::unique_ptr<Engine> engine, std::unique_ptr<Deliverer> deliverer, Metrics& metrics,
                   ClockFn clock, PipelineOptions options)
    : engine_(std::move(engine)),
      deliverer_(std::move(deliverer)),
      metrics_(metrics),
      clock_(std::move(clock)),
      opts_(options) {
  engine_->defer_requests(true);
  metrics_.declare("shopflow_connector_credentials_refused_total", "counter",
                   "Deliveries whose token or key the service refused (401/403), by effect type");
  metrics_.declare("shopflow_store_up", "gauge", "1 while the store takes transactions, 0 while the runner reconnects");
  metrics_.declare("shopflow_store_reconnects_total", "counter",
                   "Tries to open the store again after it failed, by outcome (ok, failed)");
  metrics_.declare("shopflow_claims_total", "counter", "Work items (events, timers, effects) this runner claimed");
  metrics_.declare("shopflow_takeovers_total", "counter",
                   "Of the claims, items another runner held until its lease ran out (it died or stalled)");
  metrics_.declare("shopflow_lease_losses_total", "counter",
                   "Writes of claimed work refused because its lease had run out and another runner took it over");
  metrics_.declare("shopflow_db_round_trips_total", "counter", "Statements the engine thread sent to the database server");
  metrics_.declare("shopflow_db_wait_seconds_total", "counter",
                   "Time the engine thread waited for the database server's answers");
  metrics_.set("shopflow_store_up", {}, 1);
}

Pipeline::~Pipeline() { stop(); }

void Pipeline::set_checkpointer(std::unique_ptr<Store> store) { checkpointer_ = std::move(store); }
void Pipeline::set_announce(std::function<void()> announce) { announce_ = std::move(announce); }

void Pipeline::wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    poked_ = true;
  }
  engine_cv_.notify_one();
}

void Pipeline::store_failed(const Error& e, Millis now) {
  // Work this runner held was taken over: its write was refused, and the store is fine.
  if (e.lease_lost()) return;  // counted by the store
  // Only a lost connection (or a conflict, which a new connection does not hurt) is an outage;
  // a fatal error is logged by the caller and would come back the same after reconnecting.
  if (!e.retryable() || !opts_.shared_store || store_down_) return;
  healthy_ = false;
  store_down_ = true;
  reopen_wait_ = opts_.reconnect_first_ms;
  reopen_at_ = now + reopen_wait_;
  metrics_.set("shopflow_store_up", {}, 0);
  log_error("the store failed; answering 503 and reconnecting", {{"error", e.message}, {"retry_ms", reopen_wait_}});
}

bool Pipeline::store_up(std::vector<Pending>& batch, Millis now) {
  if (!store_down_) return true;
  if (now >= reopen_at_) {
    // The store reconnects by itself on its next statement outside a transaction.
    auto probe = engine_->inbox_count(true);
    if (probe) {
      metrics_.add("shopflow_store_reconnects_total", {{"outcome", "ok"}});
      store_down_ = false;
      healthy_ = true;
      metrics_.set("shopflow_store_up", {}, 1);
      log_info("the store is back", {{"after_ms", reopen_wait_}});
      return true;
    }
    metrics_.add("shopflow_store_reconnects_total", {{"outcome", "failed"}});
    reopen_wait_ = std::min(reopen_wait_ * 2, opts_.reconnect_max_ms);
    reopen_at_ = now + reopen_wait_;
    log_warn("cannot reach the store; retrying", {{"error", probe.error().message}, {"retry_ms", reopen_wait_}});
  }
  // Nothing is queued behind a store that is not there: the senders retry (their events are
  // deduplicated when they come again).
  for (auto& p : batch) p.done(SubmitResult{false, "the store is unreachable; retry later", 0, 0});
  batch.clear();
  return false;
}

void Pipeline::start() {
  engine_thread_ = std::thread([this] { engine_loop(); });
  dispatch_thread_ = std::thread([this] { dispatch_loop(); });
  for (size_t i = 0; i < opts_.call_threads; ++i) call_threads_.emplace_back([this] { call_loop(); });
  if (checkpointer_) checkpoint_thread_ = std::thread([this] { checkpoint_loop(); });
}

// Copies the write-ahead log into the database now and then, so that no commit of the engine
// thread has to (a checkpoint writes and syncs megabytes).
void Pipeline::checkpoint_loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(opts_.checkpoint_every_ms), [&] { return stopping_; }))
        return;
    }
    std::int64_t wal = checkpointer_->wal_bytes();
    metrics_.set("shopflow_wal_bytes", {}, static_cast<double>(wal));
    // A log past a quarter of its bound is the engine thread's to truncate soon: a checkpoint
    // running here then would make that one fail.
    if (wal > opts_.max_wal_bytes / 4) continue;
    if (auto st = checkpointer_->checkpoint(); !st) {
      log_warn("checkpoint failed", {{"error", st.error().message}, {"wal_bytes", wal}});
    }
  }
}

// Truncates the log from the engine's own connection, between two transactions, so that no
// commit waits for another connection's lock: when it has passed half its bound (the
// checkpointer's checkpoints never catch up with a writer that never pauses), and once after a
// second without writes.
void Pipeline::bound_wal(bool wrote, Millis now) {
  if (!checkpointer_) return;
  if (wrote) {
    last_write_ms_ = now;
    wal_truncated_ = false;
  }
  bool quiet = !wrote && !wal_truncated_ && now - last_write_ms_ >= opts_.idle_truncate_ms;
  std::int64_t wal = engine_->store_log_bytes();
  if (wal == 0 || (!quiet && wal <= opts_.max_wal_bytes / 2)) return;
  if (auto st = engine_->truncate_store_log(); !st) {
    log_warn("checkpoint failed", {{"error", st.error().message}, {"wal_bytes", wal}});
    return;
  }
  if (quiet) wal_truncated_ = engine_->store_log_bytes() == 0;
}

void Pipeline::stop() {
  std::lock_guard<std::mutex> once(stop_mu_);  // the signal thread may stop it while run() does
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !engine_thread_.joinable()) return;
    stopping_ = true;
  }
  engine_cv_.notify_all();
  dispatch_cv_.notify_all();
  checkpoint_cv_.notify_all();
  call_cv_.notify_all();
  if (dispatch_thread_.joinable()) dispatch_thread_.join();
  for (auto& t : call_threads_) {
    if (t.joinable()) t.join();
  }
  if (engine_thread_.joinable()) engine_thread_.join();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
}

bool Pipeline::submit_async(std::vector<Event> events, std::function<void(SubmitResult)> done) {
  Pending p;
  p.events = std::move(events);
  p.done = std::move(done);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    queue_.push_back(std::move(p));
  }
  engine_cv_.notify_one();
  return true;
}

SubmitResult Pipeline::submit(std::vector<Event> events) {
  auto promise = std::make_shared<std::promise<SubmitResult>>();
  auto fut = promise->get_future();
  if (!submit_async(std::move(events), [promise](SubmitResult r) { promise->set_value(std::move(r)); })) {
    return SubmitResult{false, "the runner is shutting down", 0, 0};
  }
  return fut.get();
}

void Pipeline::replace_engine(std::unique_ptr<Engine> engine) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    next_engine_ = std::move(engine);
  }
  engine_cv_.notify_one();
}

// One transaction for every request waiting: the group commit.
void Pipeline::commit(std::vector<Pending>& batch) {
  std::vector<Event> all;
  for (auto& p : batch) {
    for (auto& e : p.events) all.push_back(std::move(e));
  }
  auto t0 = std::chrono::steady_clock::now();
  auto r = engine_->accept(all, clock_());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  metrics_.observe("shopflow_commit_seconds", {}, secs);
  metrics_.observe("shopflow_commit_events", {}, static_cast<double>(all.size()));
  if (!r) {
    healthy_ = false;
    store_failed(r.error(), clock_());
    log_error("commit failed", {{"error", r.error().message}, {"events", all.size()}});
    for (auto& p : batch) p.done(SubmitResult{false, "the store failed: " + r.error().message, 0, 0});
    return;
  }
  healthy_ = true;
  size_t i = 0;
  for (auto& p : batch) {
    SubmitResult s;
    s.ok = true;
    for (size_t k = 0; k < p.events.size(); ++k, ++i) {
      if (r.value()[i]) {
        ++s.accepted;
      } else {
        ++s.duplicates;
      }
    }
    p.done(s);
  }
}

// Records delivery outcomes in the store. Those it could not record (the store failed) stay in
// flight and are recorded on a later turn: a delivered effect is not delivered again, nor left
// pending until a restart, for want of its row's update.
void Pipeline::record_outcomes(std::vector<Outcome>& outcomes, Millis now) {
  // An effect whose row is gone (discarded meanwhile) has nothing left to record.
  auto gone = [](const Error& e) { return e.message.rfind("no effect with the id", 0) == 0; };
  // An outcome under a claim that has passed on (its lease ran out during the delivery, and
  // another runner, or this one, claimed the effect since) is refused: the newer claim delivers
  // the effect again and records its own outcome. Counted by the store as a lease lost; it is
  // no outcome of the effect's.
  auto superseded = [](const Error& err, const EffectRow& e) {
    if (!err.lease_lost()) return false;
    log_warn("a delivery's outcome came after its lease had passed on; the newer claim's outcome counts",
             {{"effect", e.id}, {"type", e.type}});
    return true;
  };
  // One commit for all the outcomes in hand, not one each.
  bool grouped = outcomes.size() > 1 && engine_->begin_outcomes().ok();
  std::vector<bool> unrecorded(outcomes.size(), false);
  std::vector<std::pair<std::string, std::string>> counted;  // type, outcome: counted once recorded
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const Outcome& o = outcomes[i];
    const auto& e = o.effect;
    if (o.call) continue;  // below, each in a transaction of its own with the run it resumes
    if (o.result.ok) {
      if (auto st = engine_->mark_delivered(e); !st) {
        if (superseded(st.error(), e)) continue;
        log_error("cannot record a delivery; will retry", {{"effect", e.id}, {"error", st.error().message}});
        unrecorded[i] = !gone(st.error());
        continue;
      }
      counted.emplace_back(e.type, "delivered");
      continue;
    }
    if (o.result.throttled) {
      // The service asked to slow down: the same effect (same key) goes again after the wait it
      // named, and this try does not count against max_attempts.
      if (auto st = engine_->mark_failed(e, o.result.error, now + std::max<Millis>(o.result.retry_after_ms, 1), false);
          !st) {
        if (superseded(st.error(), e)) continue;
        log_error("cannot record a throttled delivery", {{"effect", e.id}, {"error", st.error().message}});
      }
      metrics_.add("shopflow_effect_deliveries_total", {{"type", e.type}, {"outcome", "throttled"}});
      continue;
    }
    if (o.result.credentials_refused) {
      metrics_.add("shopflow_connector_credentials_refused_total", {{"type", e.type}});
      log_error("the service refused the credentials", {{"effect", e.id}, {"type", e.type}, {"error", o.result.error}});
    }
    int attempt = e.attempts + 1;
    bool dead = !o.result.retryable || attempt >= deliverer_->config().max_attempts;
    std::optional<Millis> retry_at;
    if (!dead) {
      jitter_state_ ^= jitter_state_ << 13;
      jitter_state_ ^= jitter_state_ >> 7;
      jitter_state_ ^= jitter_state_ << 17;
      double r01 = static_cast<double>(jitter_state_ % 10000) / 10000.0;
      retry_at = now + deliverer_->backoff_ms(attempt, r01);
    }
    if (auto st = engine_->mark_failed(e, o.result.error, retry_at); !st) {
      if (superseded(st.error(), e)) continue;
      log_error("cannot record a failed delivery; will retry", {{"effect", e.id}, {"error", st.error().message}});
      unrecorded[i] = !gone(st.error());
      continue;
    }
    counted.emplace_back(e.type, dead ? "dead" : "retry");
    log_warn(dead ? "effect moved to dead letters" : "effect delivery failed; will retry",
             {{"effect", e.id}, {"type", e.type}, {"attempt", attempt}, {"error", o.result.error}});
  }
  if (grouped) {
    if (auto st = engine_->commit_outcomes(); !st) {
      log_error("cannot record deliveries; will retry", {{"error", st.error().message}, {"effects", outcomes.size()}});
      unrecorded.assign(outcomes.size(), true);  // rolled back: none of them is recorded
      counted.clear();
    }
  }
  for (const auto& [type, outcome] : counted) {
    metrics_.add("shopflow_effect_deliveries_total", {{"type", type}, {"outcome", outcome}});
  }
  // Still in flight: handed out again only once recorded.
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (unrecorded[i]) unrecorded_.push_back(std::move(outcomes[i]));
  }
  for (auto& o : outcomes) {
    if (!o.call) continue;
    if (auto st = engine_->complete_call(o.effect, call_output(o.result), now); !st) {
      if (superseded(st.error(), o.effect)) continue;
      log_error("cannot resume a run with its call's answer", {{"effect", o.effect.id}, {"error", st.error().message}});
    }
    metrics_.add("shopflow_effect_deliveries_total", {{"type", o.effect.type}, {"outcome", "answered"}});
  }
  outcomes.clear();
}

void Pipeline::hand_out_effects(Millis now) {
  // A single-writer store hands the effects in flight out again (they are skipped below); a
  // shared one claims only effects nobody holds, so it claims no more than the dispatcher lacks:
  // what a runner claims stays its own until delivered or its lease runs out.
  size_t limit = opts_.dispatch_batch + in_flight_.size();
  if (opts_.shared_store) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t queued = to_deliver_.size() + to_call_.size();
    if (queued >= opts_.dispatch_batch) return;
    limit = opts_.dispatch_batch - queued;
  }
  auto pending = engine_->pending_effects(now, limit);
  if (!pending) {
    log_error("cannot read the outbox", {{"error", pending.error().message}});
    store_failed(pending.error(), now);
    return;
  }
  size_t handed = 0, calls = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& e : pending.value()) {
      auto [flying, fresh] = in_flight_.try_emplace(e.id, e.epoch);
      if (!fresh) {
        // A single-writer store hands the effects in flight out again: skipped. A shared store
        // hands one out again only under a newer claim of this runner's: the lease of the one
        // in flight ran out during its delivery (the heartbeat did not come in time). That
        // attempt's outcome will be refused, so the effect goes out again under the new claim;
        // one still queued takes the new claim in place.
        if (e.epoch <= flying->second) continue;
        flying->second = e.epoch;
        if (reclaim_queued(e)) continue;
      }
      if (e.type == "http.request" || e.type == "shopify.query") {
        to_call_.push_back(std::move(e));
        ++calls;
      } else {
        to_deliver_.push_back(std::move(e));
        ++handed;
      }
    }
  }
  if (handed) dispatch_cv_.notify_one();
  for (size_t i = 0; i < calls; ++i) call_cv_.notify_one();
}

bool Pipeline::reclaim_queued(const EffectRow& e) {
  for (auto* queue : {&to_deliver_, &to_call_}) {
    for (EffectRow& queued : *queue) {
      if (queued.id != e.id) continue;
      queued.epoch = e.epoch;
      return true;
    }
  }
  return false;
}

// The store counts since it opened; a reopened or reloaded engine's store starts again at 0.
// Called each second and right before an engine is replaced, so no count is left behind.
void Pipeline::export_counters() {
  StoreCounters c = engine_->store_counters();
  if (engine_generation_ != counted_generation_) {
    counted_generation_ = engine_generation_;
    counted_ = StoreCounters{};
  }
  metrics_.add("shopflow_claims_total", {}, static_cast<double>(c.claims - counted_.claims));
  metrics_.add("shopflow_takeovers_total", {}, static_cast<double>(c.takeovers - counted_.takeovers));
  metrics_.add("shopflow_lease_losses_total", {}, static_cast<double>(c.leases_lost - counted_.leases_lost));
  metrics_.add("shopflow_db_round_trips_total", {}, static_cast<double>(c.round_trips - counted_.round_trips));
  metrics_.add("shopflow_db_wait_seconds_total", {}, static_cast<double>(c.round_trip_us - counted_.round_trip_us) / 1e6);
  counted_ = c;
}

void Pipeline::update_gauges() {
  // Counted by the store, not read run by run: a store holds millions of runs. The engine keeps
  // the counts of the runs it saves; other runners' runs only the store knows.
  Result<std::vector<RunCount>> runs = std::vector<RunCount>{};
  const Millis now = clock_();
  const bool count_now = !opts_.shared_store || now - last_runs_counted_ >= opts_.runs_counted_every_ms;
  if (count_now) {
    last_runs_counted_ = now;
    runs = opts_.shared_store ? engine_->stored_run_counts() : engine_->run_counts();
  }
  if (runs && count_now) {
    std::map<std::pair<std::string, std::string>, double> counts;
    for (const auto& w : engine_->bundle().workflows) {
      for (const char* s : {"running", "waiting", "completed", "failed", "stopped"}) counts[{w.id, s}] = 0;
    }
    for (const auto& r : runs.value()) counts[{r.workflow, r.status}] += static_cast<double>(r.count);
    for (const auto& [k, v] : counts) metrics_.set("shopflow_runs", {{"workflow", k.first}, {"status", k.second}}, v);
  }
  export_counters();
  const auto& rejected = engine_->filter_rejections_counted();
  for (const auto& w : engine_->bundle().workflows) {
    auto n = rejected.find(w.id);
    metrics_.set("shopflow_filter_rejections_total", {{"workflow", w.id}},
                 n == rejected.end() ? 0.0 : static_cast<double>(n->second));
  }
  auto pending = engine_->inbox_count(true);
  if (pending) metrics_.set("shopflow_inbox_pending", {}, static_cast<double>(pending.value()));
  auto dead = engine_->dead_letter_count();
  if (dead) metrics_.set("shopflow_dead_letters", {}, static_cast<double>(dead.value()));
  log_flush_repeats();
  std::lock_guard<std::mutex> lock(mu_);
  metrics_.set("shopflow_outbox_in_flight", {}, static_cast<double>(in_flight_.size()));
  metrics_.set("shopflow_ingest_queue", {}, static_cast<double>(queue_.size()));
}

void Pipeline::engine_loop() {
  bool more = false;  // the last turn left unprocessed events: do not sleep
  for (;;) {
    std::vector<Pending> batch;
    std::vector<Outcome> outcomes;
    std::unique_ptr<Engine> replacement;
    bool stop_now = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      Millis now = clock_();
      Millis wait = more ? 0 : opts_.idle_tick_ms;
      if (auto due = engine_->next_due(now); due && due.value()) wait = std::min(wait, std::max<Millis>(0, *due.value() - now));
      if (store_down_) wait = std::min(wait, std::max<Millis>(0, reopen_at_ - now));
      engine_cv_.wait_for(lock, std::chrono::milliseconds(wait),
                          [&] { return stopping_ || !queue_.empty() || !outcomes_.empty() || next_engine_ || poked_; });
      poked_ = false;
      size_t n = 0;
      while (!queue_.empty() && n < opts_.max_events_per_commit) {
        n += queue_.front().events.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      outcomes.swap(outcomes_);
      replacement = std::move(next_engine_);
      stop_now = stopping_ && queue_.empty();
    }
    const bool wrote = !batch.empty() || !outcomes.empty();
    if (replacement) {
      // A bundle that calls where the deployment config does not allow is refused, naming the step.
      if (auto st = egress_check_bundle(deliverer_->config().calls, replacement->bundle()); !st) {
        log_error("reload refused: the bundle calls a host the deployment config does not allow; the old one keeps "
                  "running",
                  {{"bundle", replacement->bundle().name}, {"error", st.error().to_string()}});
      } else {
        export_counters();
        engine_ = std::move(replacement);
        ++engine_generation_;
        engine_->defer_requests(true);
        log_info("bundle reloaded", {{"bundle", engine_->bundle().name}, {"version", engine_->bundle().version}});
      }
    }
    if (!store_up(batch, clock_())) {
      // Outcomes wait, in flight, until the store is back.
      for (auto& o : outcomes) unrecorded_.push_back(std::move(o));
      if (stop_now) break;
      more = false;
      continue;
    }
    if (!batch.empty()) {
      commit(batch);
      bound_wal(true, clock_());
    }
    Millis now = clock_();
    // Outcomes the store could not take before go first, once a second.
    if (!unrecorded_.empty() && (now - last_record_retry_ >= 1000 || stop_now)) {
      last_record_retry_ = now;
      for (auto& o : unrecorded_) outcomes.insert(outcomes.begin(), std::move(o));
      unrecorded_.clear();
    }
    if (!outcomes.empty()) {
      std::vector<std::pair<std::string, std::int64_t>> claims;  // effect id, epoch
      claims.reserve(outcomes.size());
      for (const auto& o : outcomes) claims.emplace_back(o.effect.id, o.effect.epoch);
      record_outcomes(outcomes, now);
      std::set<std::pair<std::string, std::int64_t>> still;
      for (const auto& o : unrecorded_) still.emplace(o.effect.id, o.effect.epoch);
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& claim : claims) {
        if (still.count(claim)) continue;
        // An outcome under an older claim leaves the effect in flight under its newer one.
        auto flying = in_flight_.find(claim.first);
        if (flying != in_flight_.end() && flying->second == claim.second) in_flight_.erase(flying);
      }
    }
    if (stop_now) break;
    // Run workflows for what was committed, a few events per transaction, until the inbox is
    // empty, a request waits for its commit (it goes first: answering is what clients wait
    // for; what it brings is run right after) or the turn's bound is reached.
    Result<size_t> handled = size_t{0};
    size_t turn = 0;
    for (;;) {
      handled = engine_->process_pending(now, opts_.process_slice);
      if (!handled) {
        log_error("processing failed", {{"error", handled.error().message}});
        store_failed(handled.error(), now);
        break;
      }
      turn += handled.value();
      if (handled.value() > 0) bound_wal(true, now);  // a turn may write more than the bound's half
      if (handled.value() < opts_.process_slice || turn >= opts_.process_batch) break;
      std::lock_guard<std::mutex> lock(mu_);
      if (!queue_.empty() || !outcomes_.empty() || stopping_) break;
    }
    auto fired = engine_->advance(now);
    if (!fired) {
      log_error("timers failed", {{"error", fired.error().message}});
      store_failed(fired.error(), now);
    }
    bound_wal(wrote || turn > 0 || (fired && fired.value() > 0), now);
    hand_out_effects(now);
    // Other runners may take what this turn committed: tell them now rather than at their
    // next look.
    if (announce_ && !store_down_ && (wrote || turn > 0 || (fired && fired.value() > 0))) announce_();
    if (now - last_gauges_ >= 1000) {
      update_gauges();
      last_gauges_ = now;
    }
    if (now - last_prune_ >= opts_.prune_every_ms) {
      auto pruned = engine_->prune_rejections(now - opts_.keep_rejections_ms, opts_.prune_batch);
      if (!pruned) log_error("cannot prune filter rejections", {{"error", pruned.error().message}});
      // A full batch: there may be more; the next turn goes on (other work goes between).
      if (!pruned || pruned.value() < opts_.prune_batch) last_prune_ = now;
    }
    more = handled && handled.value() == opts_.process_slice;
  }
}

Json Pipeline::call_output(const DeliveryResult& r) {
  // No answer at all (DNS, refused, timeout) is status 0 with the reason, so a workflow's
  // `if status == 200 ... else` handles an unreachable service like any other failure.
  if (r.response.is_null()) return Json{{"status", 0}, {"headers", Json::object()}, {"body", nullptr}, {"error", r.error}};
  return r.response;
}

void Pipeline::call_loop() {
  for (;;) {
    EffectRow effect;
    {
      std::unique_lock<std::mutex> lock(mu_);
      call_cv_.wait(lock, [&] { return stopping_ || !to_call_.empty(); });
      if (stopping_) return;  // an unanswered call stays pending: it is made again at the next start
      effect = std::move(to_call_.front());
      to_call_.pop_front();
    }
    OutboundEffect out = outbound_of(effect);
    auto t0 = std::chrono::steady_clock::now();
    DeliveryResult result = deliverer_->perform_call(out);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    {
      std::lock_guard<std::mutex> lock(mu_);
      metrics_.observe("shopflow_delivery_seconds", {{"type", effect.type}}, secs);
      outcomes_.push_back(Outcome{std::move(effect), std::move(result), true});
    }
    engine_cv_.notify_one();
  }
}

void Pipeline::dispatch_loop() {
  for (;;) {
    std::vector<EffectRow> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      dispatch_cv_.wait(lock, [&] { return stopping_ || !to_deliver_.empty(); });
      if (stopping_) return;  // undelivered effects stay pending in the outbox for the next start
      // Everything waiting, up to a bound: effects for one file share one write and one flush.
      while (!to_deliver_.empty() && batch.size() < opts_.dispatch_batch) {
        batch.push_back(std::move(to_deliver_.front()));
        to_deliver_.pop_front();
      }
    }
    std::vector<OutboundEffect> outs;
    outs.reserve(batch.size());
    for (const EffectRow& effect : batch) outs.push_back(outbound_of(effect));
    auto t0 = std::chrono::steady_clock::now();
    std::vector<DeliveryResult> results = deliverer_->deliver_batch(outs);
    double each = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
                  static_cast<double>(batch.size());
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < batch.size(); ++i) {
        metrics_.observe("shopflow_delivery_seconds", {{"type", batch[i].type}}, each);
        outcomes_.push_back(Outcome{std::move(batch[i]), std::move(results[i])});
      }
    }
    engine_cv_.notify_one();
  }
}

}  // namespace shopflow::runner
