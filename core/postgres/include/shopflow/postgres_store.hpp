// PostgresStore: the store in PostgreSQL, through libpq (one connection, used by one thread at
// a time). Several runners share one database, so this store keeps nothing in memory that
// another writer could change: every answer comes from the database. Migrations run in one
// transaction under an advisory lock, so runners starting together migrate once.
// Errors carry their kind: a serialization failure, a deadlock or a lost connection is
// Retryable (after a lost connection the next operation outside a transaction reconnects);
// everything else is Fatal.
// Used by the runner (through open_store) and the store tests; the core never links it.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>

#include "shopflow/store.hpp"

struct pg_conn;
struct pg_result;

namespace shopflow {

// The PostgreSQL schema's version (its migrations are PostgreSQL's own).
inline constexpr int kPostgresSchemaVersion = 3;

class PostgresStore final : public Store {
 public:
  // Connects to `url` (a libpq connection URI, postgres://user:password@host:port/database?…;
  // `options=-csearch_path%3Dname` puts the tables in that schema) and migrates the database
  // to kPostgresSchemaVersion. Fails, saying why, when there is no server there, the login is
  // refused, or the database holds a newer Shopflow's schema.
  static Result<std::unique_ptr<PostgresStore>> open(const std::string& url);
  ~PostgresStore() override;

  const char* backend() const override { return "postgres"; }
  int schema_version() const override { return version_; }

  Status begin() override;
  Status commit() override;
  Status rollback() override;
  // synchronous_commit on (Full) or off (Relaxed) for this connection.
  Status set_durability(Durability d) override;

  Result<std::optional<std::string>> meta_get(const std::string& key) override;
  Status meta_set(const std::string& key, const std::string& value) override;
  Result<bool> meta_insert(const std::string& key, const std::string& value) override;

  Result<bool> inbox_insert(const InboxRow& row) override;
  Result<std::vector<InboxRow>> inbox_pending(size_t limit) override;
  // FOR UPDATE SKIP LOCKED in a materialized CTE, so that the LIMIT holds whatever the plan.
  Result<std::vector<InboxRow>> inbox_claim(size_t limit) override;
  Status inbox_mark_processed(std::int64_t seq, std::int64_t epoch = 0) override;
  Result<std::int64_t> inbox_count(bool only_pending) override;
  Result<size_t> inbox_rekey(
      const std::string& marker,
      const std::function<std::optional<std::string>(std::string_view, std::string_view)>& key) override;

  Status run_put(RunRow& row, bool with_steps = true) override;
  // Locks the run until the transaction ends (FOR UPDATE), so that a run is resumed by one
  // runner at a time (see runs_waiting_for); outside a transaction, a plain read.
  Result<std::optional<RunRow>> run_get(const std::string& id) override;
  Result<bool> run_exists(const std::string& id) override;
  // Locks the runs it returns until the transaction ends (FOR UPDATE), so that an event that
  // another runner routes at the same time cannot resume them too: that runner waits, then no
  // longer finds them waiting.
  Result<std::vector<RunRow>> runs_waiting_for(const std::string& event_type,
                                               const std::vector<std::string>* keys = nullptr) override;
  Result<std::vector<std::string>> waiting_event_types() override;
  Status runs_forget_wait_keys() override;
  Result<std::vector<RunRow>> runs(size_t limit = SIZE_MAX, std::int64_t after = 0) override;
  Result<size_t> each_run(std::int64_t after, size_t limit, bool with_steps,
                          const std::function<void(const RunView&)>& fn) override;
  Result<std::vector<RunCount>> run_counts() override;

  Status timer_add(TimerRow& row) override;
  Result<std::optional<TimerRow>> timer_next() override;
  Result<std::optional<TimerRow>> timer_claim(Millis now) override;
  Status timer_delete(std::int64_t seq, std::int64_t epoch = 0) override;
  Status timers_delete_for_run(const std::string& run_id) override;
  Result<bool> schedule_timer_exists(const std::string& workflow) override;
  // A row per (workflow, tick) with that primary key: of two runners firing the same tick, the
  // second's insert waits for the first's transaction and then finds the row.
  Result<bool> schedule_tick(const std::string& workflow, Millis tick) override;

  Result<bool> effect_insert(EffectRow& row) override;
  Result<std::vector<EffectRow>> effects(size_t limit = SIZE_MAX, std::int64_t after = 0) override;
  Result<std::vector<EffectRow>> effects_pending(Millis now, size_t limit) override;
  Result<std::vector<EffectRow>> effects_claim(Millis now, size_t limit) override;
  Result<size_t> each_effect(std::int64_t after, size_t limit, const std::function<void(const EffectView&)>& fn) override;
  Result<std::vector<EffectRow>> effects_dead(size_t limit = SIZE_MAX, std::int64_t after = 0) override;
  Result<std::optional<EffectRow>> effect_get(const std::string& id) override;
  Result<std::int64_t> effects_dead_count() override;
  Result<std::int64_t> effects_count() override;
  Result<bool> effect_update(const std::string& id, const std::string& status, bool count_attempt, Millis next_attempt,
                             const std::string& last_error, std::int64_t epoch = 0) override;

  Result<std::optional<std::string>> row_get(const std::string& table, const std::string& key) override;
  Status row_put(const std::string& table, const std::string& key, const std::string& value) override;
  Status row_delete(const std::string& table, const std::string& key) override;
  Result<std::vector<TableRow>> rows(const std::string& table) override;
  Status rejection_add(FilterRejection& row) override;
  Result<std::vector<FilterRejection>> rejections(size_t limit = SIZE_MAX, std::int64_t after = 0,
                                                  const std::string& workflow = "") override;
  Result<size_t> rejections_prune(Millis before, size_t limit) override;

  // Also ends, after twice the lease, a transaction this connection leaves idle (a runner
  // paused mid-transaction), so that the rows it locked can be claimed.
  Status set_owner(const std::string& owner, Millis lease_ms) override;
  Result<std::int64_t> renew_leases() override;
  Status release_leases() override;
  StoreCounters counters() const override;

  // The runner's API (see Store).
  Result<std::vector<InboxRow>> inbox_outside(const InboxQuery& q, std::int64_t after, size_t limit) override;
  Result<std::vector<std::int64_t>> inbox_outside_seqs(const InboxQuery& q, std::int64_t after, size_t skip,
                                                       size_t count) override;
  Result<std::optional<std::string>> inbox_body(const std::string& id) override;
  Result<std::vector<RunRow>> runs_matching(const RunQuery& q, std::int64_t after, size_t limit) override;
  Result<std::vector<EffectRow>> effects_of_run(const std::string& run_id, std::int64_t after, size_t limit) override;
  Result<std::string> meta_get_or_set(const std::string& key, const std::string& value) override;
  Status bundle_version_add(const std::string& version, const std::string& text, Millis at,
                            const std::string& source) override;
  Result<std::optional<std::string>> bundle_text(const std::string& version) override;
  Result<std::vector<BundleVersionRow>> bundle_history(size_t limit) override;

 private:
  class Query;
  class Rows;
  explicit PostgresStore(pg_conn* conn) : conn_(conn) {}
  Status migrate();
  // Reconnects a connection that was lost, outside a transaction; Retryable when it cannot.
  Status ensure_connected();
  // Runs a plain statement (no parameters, not prepared).
  Status exec(const char* sql, const char* what);
  Error error_of(const pg_result* res, const char* what) const;
  Error lease_lost(const char* what, std::int64_t seq_or_zero, const std::string& id);
  Status apply_session_settings();

  pg_conn* conn_ = nullptr;
  int version_ = 0;
  bool in_tx_ = false;
  Durability durability_ = Durability::Full;
  // The statements prepared on this connection, by the SQL literal's address.
  std::unordered_map<const char*, std::string> prepared_;
  std::string owner_;
  Millis lease_ms_ = 30000;
  std::atomic<std::int64_t> claims_{0}, takeovers_{0}, leases_lost_{0}, round_trips_{0}, round_trip_us_{0};
};

}  // namespace shopflow
