// The runner's moving parts around the single-threaded engine:
//   - the HTTP server calls submit_async(): its events join the next group commit, and it is
//     called back once that commit is durable (then the request is answered 202);
//   - the engine thread owns the Engine: commits queued events in one transaction, runs
//     workflows for them, fires due timers and schedules, records delivery outcomes;
//   - the dispatcher thread delivers effects from the outbox through the Deliverer, with
//     retries and backoff, and dead-letters what keeps failing;
//   - the call threads make the calls whose answer a run waits for (http.request,
//     shopify.query): the engine never waits on an external API, and the answer resumes the run.
// With a store that can go away (PostgreSQL over the network), the engine thread notices a
// transaction that failed for want of the store, answers every waiting request 503 until the
// store is back, and tries it again with backoff (the store reconnects by itself, and the
// engine stays); nothing is acknowledged that was not committed.
// Each effect handed out carries the epoch of its claim to its outcome, which is written under
// it by whichever engine runs by then (a reload or a deploy swaps engines while deliveries are in
// flight): a delivery whose lease ran out cannot overwrite the outcome of the newer claim. When
// that newer claim is this runner's own, the effect is handed out again under it (the stale
// attempt's outcome is refused), so it is delivered without waiting for a restart.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "delivery.hpp"
#include "metrics.hpp"
#include "shopflow/engine.hpp"

namespace shopflow::runner {

// Wall-clock milliseconds; tests pass their own.
using ClockFn = std::function<Millis()>;
Millis system_now_ms();

struct SubmitResult {
  bool ok = false;
  std::string error;  // the store failed: nothing of this request was kept
  size_t accepted = 0;
  size_t duplicates = 0;
};

struct PipelineOptions {
  size_t max_events_per_commit = 2000;
  size_t process_batch = 1024;     // events run per loop turn at most
  size_t process_slice = 16;       // events run per transaction; a waiting request goes between
  Millis idle_tick_ms = 250;       // longest sleep when nothing is due
  size_t dispatch_batch = 64;
  Millis checkpoint_every_ms = 250;
  // The write-ahead log's bound: past half of it the engine thread checkpoints and truncates the
  // log between two transactions (holding the next commits up for as long), so it stays under
  // the bound however steady the load; after a second without writes it is truncated too.
  std::int64_t max_wal_bytes = 64 << 20;
  Millis idle_truncate_ms = 1000;
  size_t call_threads = 4;  // pending calls made at the same time at most
  // The store is shared with other runners and reached over the network (PostgreSQL): the
  // engine's own run counts miss their runs, so the gauges count runs in the store, every
  // runs_counted_every_ms; a lost connection marks the store down (see above).
  bool shared_store = false;
  Millis runs_counted_every_ms = 1000;
  Millis reconnect_first_ms = 100;   // after a lost connection, the first wait before trying again
  Millis reconnect_max_ms = 5000;    // the wait doubles up to this
  // Trigger filters' rejections are kept this long (deployment config filter_rejections.keep),
  // then deleted, `prune_batch` at a time, every `prune_every_ms` (at once again while a batch
  // comes back full), so a backlog never holds the engine thread long.
  Millis keep_rejections_ms = 7 * 24 * 3600 * 1000LL;
  size_t prune_batch = 1000;
  Millis prune_every_ms = 60'000;
};


class Pipeline {
 public:
  Pipeline(std::unique_ptr<Engine> engine, std::unique_ptr<Deliverer> deliverer, Metrics& metrics, ClockFn clock,
           PipelineOptions options = {});
  ~Pipeline();

  // A second connection to the engine's store, whose log this pipeline then checkpoints on a
  // thread of its own (the engine's store should have auto_checkpoint(false)). Before start().
  void set_checkpointer(std::unique_ptr<Store> store);
  // Called on the engine thread after a turn that committed work other runners may take (new
  // events, runs that continue, effects, timers). Before start().
  void set_announce(std::function<void()> announce);

  // Makes the engine thread look for work now (another runner announced some). Any thread.
  void wake();

  void start();
  // Stops taking work, finishes every submitted commit, and joins the threads.
  void stop();

  // Queues `events` for the next group commit and returns at once; `done` is called on the
  // engine thread once they are durably in the inbox (or the store failed). False, and `done` is
  // not called, when the pipeline is stopping.
  bool submit_async(std::vector<Event> events, std::function<void(SubmitResult)> done);
  // Blocks until `events` are durably in the inbox (or the store failed, or it is stopping).
  SubmitResult submit(std::vector<Event> events);

  // Swaps in a new engine (bundle reload); runs on the engine thread between batches.
  void replace_engine(std::unique_ptr<Engine> engine);

  bool healthy() const { return healthy_; }

 private:
  struct Pending {
    std::vector<Event> events;
    std::function<void(SubmitResult)> done;
  };
  struct Outcome {
    EffectRow effect;
    DeliveryResult result;
    bool call = false;  // a pending call: its response resumes the run
  };

  void engine_loop();
  void dispatch_loop();
  void call_loop();
  // The output a pending call gives its run: the response, or status 0 with why none came.
  static Json call_output(const DeliveryResult& r);
  void commit(std::vector<Pending>& batch);
  void record_outcomes(std::vector<Outcome>& outcomes, Millis now);
  void hand_out_effects(Millis now);
  // Under mu_: gives a queued delivery of `e` (not begun yet) the newer claim `e` carries;
  // false when none is queued.
  bool reclaim_queued(const EffectRow& e);
  void update_gauges();
  void export_counters();
  void checkpoint_loop();
  void bound_wal(bool wrote, Millis now);
  // Engine thread: the store failed; a shared store that lost its connection is now down.
  void store_failed(const Error& e, Millis now);
  // Engine thread: while the store is down, refuses `batch` (503) and, when the backoff has
  // passed, asks the store something. True when the store is (back) up.
  bool store_up(std::vector<Pending>& batch, Millis now);

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Engine> next_engine_;
  std::unique_ptr<Deliverer> deliverer_;
  Metrics& metrics_;
  ClockFn clock_;
  PipelineOptions opts_;

  std::mutex stop_mu_;
  std::mutex mu_;
  // One condition variable per thread that waits, so that a wake-up reaches the thread it is for.
  std::condition_variable engine_cv_;
  std::condition_variable dispatch_cv_;
  std::condition_variable checkpoint_cv_;
  Millis last_write_ms_ = 0;   // engine thread: when a turn last wrote
  bool wal_truncated_ = false;  // engine thread: the log was truncated since
  std::deque<Pending> queue_;
  std::vector<Outcome> outcomes_;
  std::deque<EffectRow> to_deliver_;
  std::deque<EffectRow> to_call_;
  std::condition_variable call_cv_;
  // Effects handed to the dispatcher or the call threads whose outcome is not yet recorded: id
  // -> the epoch of the newest claim handed out (0 for a single-writer store's).
  std::map<std::string, std::int64_t> in_flight_;
  std::vector<Outcome> unrecorded_;  // engine thread: outcomes the store failed to take, retried
  Millis last_record_retry_ = 0;
  bool stopping_ = false;
  std::atomic<bool> healthy_{true};
  std::function<void()> announce_;
  bool store_down_ = false;      // engine thread: the connection was lost; trying with backoff
  Millis reopen_at_ = 0;         // engine thread: the next try
  Millis reopen_wait_ = 0;       // engine thread: the current backoff
  bool poked_ = false;           // under mu_: wake() was called
  std::thread engine_thread_, dispatch_thread_, checkpoint_thread_;
  std::vector<std::thread> call_threads_;
  std::unique_ptr<Store> checkpointer_;
  Millis last_gauges_ = 0;
  Millis last_runs_counted_ = 0;
  // Engine thread: engines opened so far (a reload or a reconnection opens one, with a store
  // whose counters start again at 0), and which one counted_ holds the counters of.
  std::uint64_t engine_generation_ = 0, counted_generation_ = 0;
  StoreCounters counted_;  // engine thread: the store's counters at the last export
  Millis last_prune_ = 0;
  uint64_t jitter_state_ = 0x9E3779B97F4A7C15ull;
};

}  // namespace shopflow::runner
