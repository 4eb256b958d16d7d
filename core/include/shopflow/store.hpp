// The store port: all engine state behind one interface, so that the same engine runs on
// SQLite (SqliteStore: a file in WAL mode natively, ":memory:" in WebAssembly and simulations)
// and, in the runner, on PostgreSQL (PostgresStore, in a library of its own: see open_store).
//
// Tables: meta, inbox (events, deduplicated by id), runs (each with its step records: every
// step's input, output, verdict and explanation), timers (waits and schedules), outbox (effects,
// keyed by idempotency key, with delivery status) and rows (the bundle's tables).
// The engine groups the operations into transactions (a run's state, its effects and its table
// changes commit together). Used by the engine; the runner reads it for inspection (runs,
// effects, dead letters).
// Errors say what failed and where; their kind (see ErrorKind) tells a conflict with another
// writer or a lost connection, worth retrying, from a fatal error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shopflow/instant.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow {

// The SQLite store's schema version (PostgreSQL's schema has versions of its own).
inline constexpr int kStoreSchemaVersion = 6;

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
  std::string bundle_version;  // the version of the bundle that last ran it ("" when not known)
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

// How far a commit has gone when it returns.
enum class Durability {
  Full,     // on stable storage: survives a power cut (fsync; PostgreSQL's synchronous_commit on)
  Relaxed,  // survives a crash of this process; a crash of the machine (SQLite) or of the
            // database server (PostgreSQL, synchronous_commit off) may lose the last commits
};

class Store;

// A transaction that rolls back when it goes out of scope uncommitted. From Store::transaction().
class [[nodiscard]] Transaction {
 public:
  Transaction(Transaction&& other) noexcept : store_(other.store_) { other.store_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction() { rollback(); }
  // Commits; on failure the transaction is rolled back. Either way it is over.
  Status commit();
  // Rolls back (nothing once over).
  void rollback();
  bool open() const { return store_ != nullptr; }

 private:
  friend class Store;
  explicit Transaction(Store* store) : store_(store) {}
  Store* store_;
};

class Store {
 public:
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The backend's name ("sqlite", "postgres") and its schema version after migration.
  virtual const char* backend() const = 0;
  virtual int schema_version() const = 0;

  // Transactions: begin() ... commit() or rollback(); not nested. transaction() begins one that
  // rolls back on scope exit unless committed.
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;
  Result<Transaction> transaction();

  // How durable the next commits are (see Durability); Full when the store opens. Call outside
  // a transaction. Nothing for stores that live in memory.
  virtual Status set_durability(Durability d) = 0;

  // For a throwaway in-memory store that its owner abandons on any error (the simulator): one
  // transaction held from hold() to release_hold() in which begin(), commit() and rollback()
  // do nothing — so a rollback undoes nothing either. Saves a commit per event. Backends with
  // nothing to save that way ignore it (every transaction stays a transaction).
  virtual Status hold() { return {}; }
  virtual Status release_hold() { return {}; }

  // The write-ahead log of a SQLite file, which the store's owner may checkpoint on a thread of
  // its own (see SqliteStore). Stores without such a log (in memory, PostgreSQL, whose server
  // manages its own) do nothing and report 0 bytes.
  virtual Status auto_checkpoint(bool /*on*/) { return {}; }
  virtual Status checkpoint(bool /*truncate*/ = false) { return {}; }
  virtual std::int64_t wal_bytes() const { return 0; }

  // meta: small key/value facts ("tables_seeded").
  virtual Result<std::optional<std::string>> meta_get(const std::string& key) = 0;
  virtual Status meta_set(const std::string& key, const std::string& value) = 0;

  // inbox. insert: true when stored, false when an event with this id was already there
  // (an event stored as processed was handled in the same transaction).
  virtual Result<bool> inbox_insert(const InboxRow& row) = 0;
  virtual Result<std::vector<InboxRow>> inbox_pending(size_t limit) = 0;
  virtual Status inbox_mark_processed(std::int64_t seq) = 0;
  virtual Result<std::int64_t> inbox_count(bool only_pending) = 0;
  // Re-keys the events that came from outside (depth 0) once: unless the meta key `marker` is
  // set, gives each its key from `key(id, body)` (nullopt keeps it) and sets the marker, all in
  // one transaction. Returns how many changed. For a change of what the inbox deduplicates on.
  virtual Result<size_t> inbox_rekey(
      const std::string& marker,
      const std::function<std::optional<std::string>(std::string_view, std::string_view)>& key) = 0;

  // runs. put inserts or replaces by id (keeping seq; a row inserted gets its seq). Without `with_steps`, the row's step records are not stored ("" in the store).
  virtual Status run_put(RunRow& row, bool with_steps = true) = 0;
  virtual Result<std::optional<RunRow>> run_get(const std::string& id) = 0;
  virtual Result<bool> run_exists(const std::string& id) = 0;
  // The runs waiting for events of `event_type`, oldest first; with `keys`, only those whose
  // correlation value is one of them or who have none.
  virtual Result<std::vector<RunRow>> runs_waiting_for(const std::string& event_type,
                                                       const std::vector<std::string>* keys = nullptr) = 0;
  // The event types that waiting runs wait for.
  virtual Result<std::vector<std::string>> waiting_event_types() = 0;
  // Forgets every waiting run's correlation value (after the bundle's correlations changed).
  virtual Status runs_forget_wait_keys() = 0;
  // Runs in creation order: up to `limit` of those after seq `after` (0: from the first).
  virtual Result<std::vector<RunRow>> runs(size_t limit = SIZE_MAX, std::int64_t after = 0) = 0;
  // Calls `fn` for each of up to `limit` runs after seq `after`, in creation order, with views
  // of the columns the trace shows (no state; the step records only `with_steps`), copying
  // nothing. Returns how many it called `fn` for.
  virtual Result<size_t> each_run(std::int64_t after, size_t limit, bool with_steps,
                                  const std::function<void(const RunView&)>& fn) = 0;
  // How many runs each (workflow, status) has, without reading the runs.
  virtual Result<std::vector<RunCount>> run_counts() = 0;

  // The step records of a run (none when there is no such run).
  Result<std::vector<StepRow>> steps_of(const std::string& run_id);

  // timers
  virtual Status timer_add(TimerRow& row) = 0;
  virtual Result<std::optional<TimerRow>> timer_next() = 0;
  virtual Status timer_delete(std::int64_t seq) = 0;
  virtual Status timers_delete_for_run(const std::string& run_id) = 0;
  virtual Result<bool> schedule_timer_exists(const std::string& workflow) = 0;

  // outbox. insert: false when an effect with this id exists (idempotent).
  virtual Result<bool> effect_insert(EffectRow& row) = 0;
  // Effects in creation order: up to `limit` of those after seq `after` (0: from the first).
  virtual Result<std::vector<EffectRow>> effects(size_t limit = SIZE_MAX, std::int64_t after = 0) = 0;
  virtual Result<std::vector<EffectRow>> effects_pending(Millis now, size_t limit) = 0;
  // As each_run(), for effects: views of the columns the trace shows.
  virtual Result<size_t> each_effect(std::int64_t after, size_t limit,
                                     const std::function<void(const EffectView&)>& fn) = 0;
  // Dead letters in creation order: up to `limit` of those after seq `after`.
  virtual Result<std::vector<EffectRow>> effects_dead(size_t limit = SIZE_MAX, std::int64_t after = 0) = 0;
  virtual Result<std::optional<EffectRow>> effect_get(const std::string& id) = 0;
  virtual Result<std::int64_t> effects_dead_count() = 0;
  virtual Result<std::int64_t> effects_count() = 0;
  // Sets status/attempts/next_attempt/last_error; false when no such effect.
  virtual Result<bool> effect_update(const std::string& id, const std::string& status, bool count_attempt,
                                     Millis next_attempt, const std::string& last_error) = 0;

  // rows of the bundle's tables
  virtual Result<std::optional<std::string>> row_get(const std::string& table, const std::string& key) = 0;
  virtual Status row_put(const std::string& table, const std::string& key, const std::string& value) = 0;
  virtual Status row_delete(const std::string& table, const std::string& key) = 0;
  virtual Result<std::vector<TableRow>> rows(const std::string& table) = 0;  // "" = every table

  // filter rejections, kept for a while (the runner prunes them by age)
  virtual Status rejection_add(FilterRejection& row) = 0;  // sets row.seq
  // Oldest first, after seq `after`; only those of `workflow` unless it is "".
  virtual Result<std::vector<FilterRejection>> rejections(size_t limit = SIZE_MAX, std::int64_t after = 0,
                                                          const std::string& workflow = "") = 0;
  // Deletes up to `limit` rejections recorded before `before`, oldest first; returns how many
  // (fewer than `limit`: none older is left).
  virtual Result<size_t> rejections_prune(Millis before, size_t limit) = 0;

 protected:
  Store() = default;
};

}  // namespace shopflow
