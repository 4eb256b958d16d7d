// The store: all engine state in SQLite — the same code natively (a file in WAL mode) and in
// WebAssembly (":memory:").
//
// Tables: schema_version (migrations), meta, inbox (events, deduplicated by id), runs (each with
// its step records: every step's input, output, verdict and explanation), timers (waits and
// schedules), outbox (effects, keyed by idempotency key, with delivery status) and rows (the
// bundle's tables).
// Every method is one or two prepared, cached statements; the engine groups them into
// transactions (a run's state, its effects and its table changes commit together).
// Used by the engine; the runner reads it for inspection (runs, effects, dead letters).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shopflow/instant.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace shopflow {

inline constexpr int kStoreSchemaVersion = 5;

struct InboxRow {
  std::int64_t seq = 0;  // arrival order
  std::string id;
  std::string type;
  Millis time = 0;
  std::string body;      // the event as JSON text
  int depth = 0;         // 0 from outside; n+1 for an event emitted by a run of a depth-n event
  bool processed = false;
};

struct RunRow {
  std::int64_t seq = 0;   // creation order (0 when not yet stored)
  std::string id;         // "<workflow>:<event id>" or "<workflow>@<fire time>"
  std::string workflow;
  std::string event_id;
  std::string status;     // running, waiting, completed, failed, stopped
  Millis started = 0;
  Millis updated = 0;
  std::string error;      // why it failed, naming the step
  std::string error_step; // step path of the failure
  std::string wait_event; // event type a waiting run listens for ("" otherwise)
  std::string state;      // JSON: the run's data and position (engine-private)
  std::string wait_key;   // a waiting run's correlation value ("" when it has none)
  // The run's step records as a JSON array, in order, each {"path", "kind", "time", "input"?,
  // "output", "verdict"?, "explanation"?} (as the simulation trace has them); "" when none.
  // Written with the run, in the same statement: a run's steps cost no rows of their own.
  std::string steps;
};

// A member of a step record: JSON text written already, a value to write, or nothing.
struct StepValue {
  StepValue() = default;
  StepValue(std::string_view json_text) : text(json_text) {}  // NOLINT: implicit on purpose
  StepValue(const std::string& json_text) : text(json_text) {}  // NOLINT
  StepValue(const Json* json_value) : value(json_value) {}   // NOLINT
  std::string_view text;
  const Json* value = nullptr;
  bool empty() const { return value == nullptr && text.empty(); }
};

// Appends one step record to a run's `steps` ("" or a JSON array). `input`, `verdict` and
// `explanation` are left out when empty; an empty `output` is null.
void append_step(std::string& steps, std::string_view path, std::string_view kind, Millis time, StepValue input,
                 StepValue output, StepValue verdict = {}, StepValue explanation = {});

struct RunCount {
  std::string workflow;
  std::string status;
  std::int64_t count = 0;
};

// One step record, read from a run's steps.
struct StepRow {
  std::string run_id;
  int seq = 0;            // order within the run, from 1
  std::string path;       // "check/then/send", "lines/2/tag"
  std::string kind;       // if, switch, action, wait, foreach, set, emit, stop
  Millis time = 0;
  std::string input;      // JSON or ""
  std::string output;     // JSON or ""
  std::string verdict;    // JSON or "" (if/switch/filter)
  std::string explanation;  // JSON or ""
};

struct TimerRow {
  std::int64_t seq = 0;
  Millis due = 0;
  std::string kind;       // "wait" or "schedule"
  std::string run_id;     // wait timers
  std::string workflow;   // schedule timers
  std::string path;       // wait step path
};

enum class EffectStatus { Pending, Delivered, Dead };
const char* to_string(EffectStatus s);

struct EffectRow {
  std::int64_t seq = 0;
  std::string id;         // idempotency key: run id + "/" + step path
  std::string run_id;
  std::string path;
  std::string type;       // action type
  std::string params;     // JSON
  std::string status = "pending";
  int attempts = 0;
  Millis created = 0;
  Millis next_attempt = 0;
  std::string last_error;
};

// A run or an effect as the simulation trace reads it: views into the store's row, valid only
// while the callback that receives it runs.
struct RunView {
  std::int64_t seq = 0;
  std::string_view id, workflow, event_id, status, error, error_step, wait_event;
  std::string_view steps;  // "" unless asked for
  Millis started = 0, updated = 0;
};
struct EffectView {
  std::int64_t seq = 0;
  std::string_view id, run_id, path, type, params;
  Millis created = 0;
};

struct TableRow {
  std::string table;
  std::string key;
  std::string value;  // JSON
};

// A trigger filter that rejected an event: the answer to "why did this order start no run?".
struct FilterRejection {
  std::int64_t seq = 0;     // order of recording (0 when not yet stored)
  Millis time = 0;          // when the filter was evaluated
  std::string workflow;
  std::string event_id;     // the event's id; a schedule's fire: "<workflow>@<time>"
  std::string event_type;
  std::string explanation;  // JSON text: the filter's verdict tree ("" when not explained)
};

class Store {
 public:
  // Opens (creating when absent) the database at `path`, or an in-memory one for ":memory:",
  // and migrates it to kStoreSchemaVersion. Files use WAL and synchronous=NORMAL.
  // Fails when the file cannot be opened or is from a newer Shopflow.
  static Result<std::unique_ptr<Store>> open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int schema_version() const { return version_; }

  // For a throwaway in-memory store that its owner abandons on any error (the simulator): no
  // rollback journal, and one transaction held from hold() to release_hold() in which
  // begin(), commit() and rollback() do nothing — so a rollback undoes nothing either.
  // Saves copying every page a transaction changes, and a commit per event.
  Status hold();
  Status release_hold();

  // Whether the next commits wait for the disk (synchronous=FULL, the default for files) or
  // only for the write to reach the operating system (NORMAL: survives a crash of the process,
  // a power cut may lose the last commits; a later FULL commit makes them durable too, as the
  // write-ahead log is synced whole). Call outside a transaction; nothing for ":memory:".
  Status sync_commits(bool full);

  // Checkpoints of the write-ahead log (files only; nothing for ":memory:"). By default a
  // commit that grows the log past 1,000 pages copies it into the database there and then,
  // holding that commit up; with auto_checkpoint(false) commits never do, and checkpoint(),
  // called from another connection on a thread of its own, does it without holding anyone up
  // (it copies what no reader still needs and returns). Under a steady stream of commits such a
  // checkpoint never catches up with the writer and the log only grows: checkpoint(true) then
  // waits for the writer (up to the busy timeout), copies everything and truncates the log to
  // zero bytes. wal_bytes() is the log's size on disk now (0 for ":memory:").
  Status auto_checkpoint(bool on);
  Status checkpoint(bool truncate = false);
  std::int64_t wal_bytes() const;

  // Transactions and savepoints (nested units inside one transaction).
  Status begin();
  Status commit();
  Status rollback();
  Status savepoint();
  Status release();
  Status rollback_to_savepoint();

  // meta: small key/value facts ("tables_seeded").
  Result<std::optional<std::string>> meta_get(const std::string& key);
  Status meta_set(const std::string& key, const std::string& value);

  // inbox. insert: true when stored, false when an event with this id was already there
  // (an event stored as processed was handled in the same transaction).
  Result<bool> inbox_insert(const InboxRow& row);
  Result<std::vector<InboxRow>> inbox_pending(size_t limit);
  Status inbox_mark_processed(std::int64_t seq);
  Result<std::int64_t> inbox_count(bool only_pending);
  // Re-keys the events that came from outside (depth 0) once: unless the meta key `marker` is
  // set, gives each its key from `key(id, body)` (nullopt keeps it) and sets the marker, all in
  // one transaction. Returns how many changed. For a change of what the inbox deduplicates on.
  Result<size_t> inbox_rekey(const std::string& marker,
                             const std::function<std::optional<std::string>(std::string_view, std::string_view)>& key);

  // runs. put inserts or replaces by id (keeping seq; a row inserted gets its seq). Without
  // `with_steps`, the row's step records are not stored ("" in the store).
  Status run_put(RunRow& row, bool with_steps = true);
  Result<std::optional<RunRow>> run_get(const std::string& id);
  Result<bool> run_exists(const std::string& id);
  // The runs waiting for events of `event_type`, oldest first; with `keys`, only those whose
  // correlation value is one of them or who have none.
  Result<std::vector<RunRow>> runs_waiting_for(const std::string& event_type,
                                               const std::vector<std::string>* keys = nullptr);
  // The event types that waiting runs wait for.
  Result<std::vector<std::string>> waiting_event_types();
  // Forgets every waiting run's correlation value (after the bundle's correlations changed).
  Status runs_forget_wait_keys();
  // Runs in creation order: up to `limit` of those after seq `after` (0: from the first).
  Result<std::vector<RunRow>> runs(size_t limit = SIZE_MAX, std::int64_t after = 0);
  // Calls `fn` for each of up to `limit` runs after seq `after`, in creation order, with views
  // of the columns the trace shows (no state; the step records only `with_steps`), copying
  // nothing. Returns how many it called `fn` for.
  Result<size_t> each_run(std::int64_t after, size_t limit, bool with_steps,
                          const std::function<void(const RunView&)>& fn);
  // How many runs each (workflow, status) has, without reading the runs.
  Result<std::vector<RunCount>> run_counts();

  // The step records of a run (none when there is no such run).
  Result<std::vector<StepRow>> steps_of(const std::string& run_id);

  // timers
  Status timer_add(TimerRow& row);
  Result<std::optional<TimerRow>> timer_next();
  Status timer_delete(std::int64_t seq);
  Status timers_delete_for_run(const std::string& run_id);
  Result<bool> schedule_timer_exists(const std::string& workflow);

  // outbox. insert: false when an effect with this id exists (idempotent).
  Result<bool> effect_insert(EffectRow& row);
  // Effects in creation order: up to `limit` of those after seq `after` (0: from the first).
  Result<std::vector<EffectRow>> effects(size_t limit = SIZE_MAX, std::int64_t after = 0);
  Result<std::vector<EffectRow>> effects_pending(Millis now, size_t limit);
  // As each_run(), for effects: views of the columns the trace shows.
  Result<size_t> each_effect(std::int64_t after, size_t limit, const std::function<void(const EffectView&)>& fn);
  // Dead letters in creation order: up to `limit` of those after seq `after`.
  Result<std::vector<EffectRow>> effects_dead(size_t limit = SIZE_MAX, std::int64_t after = 0);
  Result<std::optional<EffectRow>> effect_get(const std::string& id);
  Result<std::int64_t> effects_dead_count();
  Result<std::int64_t> effects_count();
  // Sets status/attempts/next_attempt/last_error; false when no such effect.
  Result<bool> effect_update(const std::string& id, const std::string& status, bool count_attempt, Millis next_attempt,
                             const std::string& last_error);

  // rows of the bundle's tables
  Result<std::optional<std::string>> row_get(const std::string& table, const std::string& key);
  Status row_put(const std::string& table, const std::string& key, const std::string& value);
  Status row_delete(const std::string& table, const std::string& key);
  Result<std::vector<TableRow>> rows(const std::string& table);  // "" = every table

  // filter rejections, kept for a while (the runner prunes them by age)
  Status rejection_add(FilterRejection& row);  // sets row.seq
  // Oldest first, after seq `after`; only those of `workflow` unless it is "".
  Result<std::vector<FilterRejection>> rejections(size_t limit = SIZE_MAX, std::int64_t after = 0,
                                                  const std::string& workflow = "");
  // Deletes up to `limit` rejections recorded before `before`, oldest first; returns how many
  // (fewer than `limit`: none older is left).
  Result<size_t> rejections_prune(Millis before, size_t limit);

 private:
  class Stmt;
  explicit Store(sqlite3* db) : db_(db) {}
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
};

}  // namespace shopflow
