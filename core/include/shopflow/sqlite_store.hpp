// SqliteStore: the store in SQLite — a file in WAL mode natively (the runner's single-machine
// deployment), ":memory:" in WebAssembly, the simulator and tests. One connection, used by one
// thread at a time; every method is one or two prepared, cached statements. The only writer of
// its file: it keeps the next timer in memory between changes.
// Used through the Store port by the engine; the runner also checkpoints a file's write-ahead
// log through a second SqliteStore on a thread of its own. One writer: claims are plain reads.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "shopflow/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace shopflow {

class SqliteStore final : public Store {
 public:
  // Opens (creating when absent) the database at `path`, or an in-memory one for ":memory:",
  // and migrates it to kStoreSchemaVersion. Files use WAL and Durability::Full.
  // Fails when the file cannot be opened or is from a newer Shopflow.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;

  const char* backend() const override { return "sqlite"; }
  int schema_version() const override { return version_; }

  Status begin() override;
  Status commit() override;
  Status rollback() override;
  // Full: synchronous=FULL, a commit waits for the disk. Relaxed: synchronous=NORMAL, a commit
  // waits only for the write to reach the operating system (a later Full commit makes the
  // earlier ones durable too, as the write-ahead log is synced whole).
  Status set_durability(Durability d) override;
  // Also: no rollback journal while held.
  Status hold() override;
  Status release_hold() override;

  // By default a commit that grows the log past 1,000 pages copies it into the database there
  // and then, holding that commit up; with auto_checkpoint(false) commits never do, and
  // checkpoint(), called from another connection on a thread of its own, does it without
  // holding anyone up (it copies what no reader still needs and returns). Under a steady stream
  // of commits such a checkpoint never catches up with the writer and the log only grows:
  // checkpoint(true) then waits for the writer (up to the busy timeout), copies everything and
  // truncates the log to zero bytes. wal_bytes() is the log's size on disk now. Files only;
  // nothing for ":memory:".
  Status auto_checkpoint(bool on) override;
  Status checkpoint(bool truncate = false) override;
  std::int64_t wal_bytes() const override;

  Result<std::optional<std::string>> meta_get(const std::string& key) override;
  Status meta_set(const std::string& key, const std::string& value) override;
  Result<bool> meta_insert(const std::string& key, const std::string& value) override;

  Result<bool> inbox_insert(const InboxRow& row) override;
  Result<std::vector<InboxRow>> inbox_pending(size_t limit) override;
  Result<std::vector<InboxRow>> inbox_claim(size_t limit) override;
  Status inbox_mark_processed(std::int64_t seq, std::int64_t epoch = 0) override;
  Result<std::int64_t> inbox_count(bool only_pending) override;
  Result<size_t> inbox_rekey(
      const std::string& marker,
      const std::function<std::optional<std::string>(std::string_view, std::string_view)>& key) override;

  Status run_put(RunRow& row, bool with_steps = true) override;
  Result<std::optional<RunRow>> run_get(const std::string& id) override;
  Result<bool> run_exists(const std::string& id) override;
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

  // The only writer: claims are reads (counted), writes need no fence, leases nothing to renew.
  Status set_owner(const std::string&, Millis) override { return {}; }
  Result<std::int64_t> renew_leases() override { return std::int64_t{0}; }
  Status release_leases() override { return {}; }
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
  class Stmt;
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  Status exec(const char* sql);
  Status migrate();
  Status fold_steps();
  Result<sqlite3_stmt*> prepare(const char* sql);
  // Runs a cached query with ?1 = LIMIT and ?2 = the seq to start after, calling `row` for each
  // result row; returns how many. `what` names the table in an error.
  Result<size_t> each_page_row(const char* sql, std::int64_t after, size_t limit, const char* what,
                               const std::function<void(sqlite3_stmt*)>& row);
  Error error(const char* what) const;

  sqlite3* db_ = nullptr;
  int version_ = 0;
  bool held_ = false;
  bool file_ = false;
  bool full_sync_ = true;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;  // keyed by the SQL literal's address
  // timer_next()'s answer, kept until the timers change or a transaction rolls back: the
  // simulator asks before every event, and most events add or remove no timer.
  std::optional<std::optional<TimerRow>> next_timer_;
  std::atomic<std::int64_t> claims_{0};
};

}  // namespace shopflow
