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
// A row count as SQL's LIMIT takes it (a signed 64-bit value): SIZE_MAX, "no limit", becomes the
// largest. For the stores' queries.
inline std::int64_t sql_limit(size_t n) {
  const std::uint64_t wide = n;
  return wide > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(wide);
}

inline constexpr int kStoreSchemaVersion = 8;

struct InboxRow {
  std::int64_t seq = 0;  // arrival order
  std::string id;
  std::string type;
  Millis time = 0;
  std::string body;      // the event as JSON text
  int depth = 0;         // 0 from outside; n+1 for an event emitted by a run of a depth-n event
  bool processed = false;
  Millis received = 0;   // when the runner accepted it (0: not known, accepted by an older Shopflow)
  std::int64_t epoch = 0;  // the claim it was read under (0: not claimed; see Store::inbox_claim)
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
  // The run's step records (step_record.hpp), text the store keeps and never reads; "" when
  // none. Written with the run, in the same statement: a run's steps cost no rows of their own.
  std::string steps;
  std::string bundle_version;  // the version of the bundle that last ran it ("" when not known)
};

struct RunCount {
  std::string workflow;
  std::string status;
  std::int64_t count = 0;
};

struct TimerRow {
  std::int64_t seq = 0;
  Millis due = 0;
  std::string kind;       // "wait" or "schedule"
  std::string run_id;     // wait timers
  std::string workflow;   // schedule timers
  std::string path;       // wait step path
  std::int64_t epoch = 0; // the claim it was read under (0: not claimed; see Store::timer_claim)
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
  std::int64_t epoch = 0; // the claim it was read under (0: not claimed; see Store::effects_claim)
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

// [SECTION] The runner's API (`/v1`): what it reads, and the bundle versions it keeps.

// Which events from outside (depth 0) a page of GET /v1/events holds: received in
// [since, until) (an event stored before `received` was recorded counts at its own time), and
// of `type` unless that is "".
struct InboxQuery {
  Millis since = INT64_MIN;
  Millis until = INT64_MAX;
  std::string type;
};

// Which runs a page of GET /v1/runs holds: started in [since, until), of `workflow` unless "".
struct RunQuery {
  Millis since = INT64_MIN;
  Millis until = INT64_MAX;
  std::string workflow;
};

// One bundle the runner ran: its version (XXH3-64 of its text, in hex), when and how it came.
struct BundleVersionRow {
  std::int64_t seq = 0;
  std::string version;
  Millis deployed_at = 0;
  std::string source;  // start, reload, deploy, rollback
};

struct TableRow {
  std::string table;
  std::string key;
  std::string value;  // JSON
};

// What a store's claims came to since it opened, for the runner's metrics. Read from any thread.
struct StoreCounters {
  std::int64_t claims = 0;        // work items claimed (inbox events, timers, effects)
  std::int64_t takeovers = 0;     // of them, items another owner had held until its lease ran out
  std::int64_t leases_lost = 0;   // writes of claimed items refused: the lease had passed to another owner
  std::int64_t round_trips = 0;   // statements sent to a database server (0 for SQLite)
  std::int64_t round_trip_us = 0; // time spent waiting for their answers, in microseconds
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
  // Sets `key` unless it is set: true when this call set it. Of two connections at once, one
  // sets it; the other waits for that one's transaction to end and gets false.
  virtual Result<bool> meta_insert(const std::string& key, const std::string& value) = 0;

  // inbox. insert: true when stored, false when an event with this id was already there
  // (an event stored as processed was handled in the same transaction).
  virtual Result<bool> inbox_insert(const InboxRow& row) = 0;
  virtual Result<std::vector<InboxRow>> inbox_pending(size_t limit) = 0;
  // Claims up to `limit` (never more) unprocessed events in arrival order that no other owner
  // holds: each gets this owner, a lease and a new epoch, which its row carries. Inside a
  // transaction the rows stay locked until it ends; outside one the claim commits and holds
  // until its lease runs out. A single-writer store returns inbox_pending()'s rows, epoch 0.
  virtual Result<std::vector<InboxRow>> inbox_claim(size_t limit) = 0;
  // With an epoch (> 0), only under the claim that read it: a LeaseLost error, changing
  // nothing, when another owner has claimed the event since. Epoch 0: unconditionally.
  virtual Status inbox_mark_processed(std::int64_t seq, std::int64_t epoch = 0) = 0;
  virtual Result<std::int64_t> inbox_count(bool only_pending) = 0;
  // Calls `fn` for each of up to `limit` events from outside (depth 0) after seq `after`, in
  // arrival order (the row is reused: copy what you keep). Returns how many it called `fn` for.
  Result<size_t> each_outside_event(std::int64_t after, size_t limit, const std::function<void(const InboxRow&)>& fn);
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

  // timers
  virtual Status timer_add(TimerRow& row) = 0;
  virtual Result<std::optional<TimerRow>> timer_next() = 0;
  // Claims the earliest timer due at or before `now` that no other owner holds (as
  // inbox_claim, one at a time); nullopt when none is.
  virtual Result<std::optional<TimerRow>> timer_claim(Millis now) = 0;
  // With an epoch (> 0), only under the claim that read it (LeaseLost otherwise).
  virtual Status timer_delete(std::int64_t seq, std::int64_t epoch = 0) = 0;
  virtual Status timers_delete_for_run(const std::string& run_id) = 0;
  virtual Result<bool> schedule_timer_exists(const std::string& workflow) = 0;
  // Records that the schedule of `workflow` fires for `tick`, in the transaction that starts
  // its run: false when that tick has fired already (another runner's timer for the same
  // schedule), which then starts nothing.
  virtual Result<bool> schedule_tick(const std::string& workflow, Millis tick) = 0;

  // outbox. insert: false when an effect with this id exists (idempotent).
  virtual Result<bool> effect_insert(EffectRow& row) = 0;
  // Effects in creation order: up to `limit` of those after seq `after` (0: from the first).
  virtual Result<std::vector<EffectRow>> effects(size_t limit = SIZE_MAX, std::int64_t after = 0) = 0;
  virtual Result<std::vector<EffectRow>> effects_pending(Millis now, size_t limit) = 0;
  // Claims up to `limit` (never more) pending effects due at `now` that no other owner holds,
  // by due time (as inbox_claim). The claim commits when made outside a transaction, so that
  // the effect may be delivered outside one: its outcome is then written under the claim.
  virtual Result<std::vector<EffectRow>> effects_claim(Millis now, size_t limit) = 0;
  // As each_run(), for effects: views of the columns the trace shows.
  virtual Result<size_t> each_effect(std::int64_t after, size_t limit,
                                     const std::function<void(const EffectView&)>& fn) = 0;
  // Dead letters in creation order: up to `limit` of those after seq `after`.
  virtual Result<std::vector<EffectRow>> effects_dead(size_t limit = SIZE_MAX, std::int64_t after = 0) = 0;
  virtual Result<std::optional<EffectRow>> effect_get(const std::string& id) = 0;
  virtual Result<std::int64_t> effects_dead_count() = 0;
  virtual Result<std::int64_t> effects_count() = 0;
  // Sets status/attempts/next_attempt/last_error and ends any claim on it; false when no such
  // effect. With an epoch (> 0), only under the claim that read it (LeaseLost otherwise).
  virtual Result<bool> effect_update(const std::string& id, const std::string& status, bool count_attempt,
                                     Millis next_attempt, const std::string& last_error, std::int64_t epoch = 0) = 0;

  // rows of the bundle's tables
  virtual Result<std::optional<std::string>> row_get(const std::string& table, const std::string& key) = 0;
  virtual Status row_put(const std::string& table, const std::string& key, const std::string& value) = 0;
  virtual Status row_delete(const std::string& table, const std::string& key) = 0;
  virtual Result<std::vector<TableRow>> rows(const std::string& table) = 0;  // "" = every table

  // Claims: several runners sharing one database. A claim makes this connection's owner the
  // holder of a work row until its lease runs out; a write of the row under the claim (the
  // `epoch` arguments above) is refused once another owner has claimed it since. A store with a
  // single writer (SQLite) claims trivially: its claims are plain reads, its epochs 0.
  //
  // Who claims through this connection, and for how long a claim holds unless renewed ("" and
  // 30 s until set). Outside a transaction.
  virtual Status set_owner(const std::string& owner, Millis lease_ms) = 0;
  // Extends the lease of everything this owner holds, in one statement; how many rows. For a
  // heartbeat, on a connection of its own with the same owner.
  virtual Result<std::int64_t> renew_leases() = 0;
  // Gives up everything this owner holds (at shutdown): others may claim it at once.
  virtual Status release_leases() = 0;
  virtual StoreCounters counters() const = 0;

  // [SECTION] The runner's API. Reads take no transaction of their own beyond the statement's,
  // so a reader on a second connection holds the engine's writer up not at all.

  // Events from outside matching `q` after seq `after`, in arrival order: up to `limit`.
  virtual Result<std::vector<InboxRow>> inbox_outside(const InboxQuery& q, std::int64_t after, size_t limit) = 0;
  // The seqs of the matching events from the (skip+1)-th after `after` on, up to `count` of
  // them: where a page of `skip` events ends, and whether one follows it.
  virtual Result<std::vector<std::int64_t>> inbox_outside_seqs(const InboxQuery& q, std::int64_t after, size_t skip,
                                                               size_t count) = 0;
  // The stored JSON text of the inbox event with key `id`, or nullopt.
  virtual Result<std::optional<std::string>> inbox_body(const std::string& id) = 0;
  // Runs matching `q` after seq `after`, in creation order, up to `limit`; without their state
  // and step records (run_get() has them).
  virtual Result<std::vector<RunRow>> runs_matching(const RunQuery& q, std::int64_t after, size_t limit) = 0;
  // Effects after seq `after` in creation order, up to `limit`; only run `run_id`'s unless "".
  virtual Result<std::vector<EffectRow>> effects_of_run(const std::string& run_id, std::int64_t after,
                                                        size_t limit) = 0;

  // The value of meta `key`, setting it to `value` first when it has none (so that every
  // connection, and every runner sharing the store, reads the first one set).
  virtual Result<std::string> meta_get_or_set(const std::string& key, const std::string& value) = 0;

  // Records that the bundle `text` of `version` started running at `at`, from `source`; the
  // text is kept once per version.
  virtual Status bundle_version_add(const std::string& version, const std::string& text, Millis at,
                                    const std::string& source) = 0;
  // The text of a version the store keeps, or nullopt.
  virtual Result<std::optional<std::string>> bundle_text(const std::string& version) = 0;
  // The versions run, newest first, up to `limit`.
  virtual Result<std::vector<BundleVersionRow>> bundle_history(size_t limit) = 0;
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
