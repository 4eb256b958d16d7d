// The SQLite store: schema and migrations, and one cached prepared statement per query.
#include "shopflow/sqlite_store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "shopflow/step_record.hpp"

namespace shopflow {

namespace {

// Migration n takes the schema from version n to n+1. Never edit one that has shipped; add one.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE inbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  body TEXT NOT NULL,
  depth INTEGER NOT NULL DEFAULT 0,
  processed INTEGER NOT NULL DEFAULT 0);
CREATE INDEX inbox_pending ON inbox (processed, seq);
CREATE TABLE runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  workflow TEXT NOT NULL,
  event_id TEXT NOT NULL,
  status TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  error_step TEXT NOT NULL DEFAULT '',
  wait_event TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL);
CREATE INDEX runs_waiting ON runs (wait_event, seq) WHERE wait_event <> '';
CREATE TABLE steps (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  input TEXT NOT NULL,
  output TEXT NOT NULL,
  verdict TEXT NOT NULL,
  explanation TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE timers (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  due_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  run_id TEXT NOT NULL DEFAULT '',
  workflow TEXT NOT NULL DEFAULT '',
  path TEXT NOT NULL DEFAULT '');
CREATE INDEX timers_due ON timers (due_ms, seq);
CREATE INDEX timers_run ON timers (run_id);
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  run_id TEXT NOT NULL,
  path TEXT NOT NULL,
  type TEXT NOT NULL,
  params TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX outbox_pending ON outbox (status, next_attempt_ms, seq);
CREATE TABLE rows (
  tbl TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (tbl, key)) WITHOUT ROWID;
)sql",
    // A waiting run's correlation value: an arriving event is matched only against the runs
    // that wait for its value (or that have none), not against every run waiting for its type.
    R"sql(
ALTER TABLE runs ADD COLUMN wait_key TEXT;
CREATE INDEX runs_waiting_key ON runs (wait_event, wait_key, seq) WHERE wait_event <> '';
)sql",
    // A run's step records live in its row (one write per run, not one per step); the rows of
    // the old steps table are folded in by SqliteStore::fold_steps, which then drops it.
    R"sql(
ALTER TABLE runs ADD COLUMN steps TEXT NOT NULL DEFAULT '';
)sql",
    // Cheaper writes, the same rows. Sequence numbers are plain rowids: AUTOINCREMENT kept a
    // counter row that every insert updated, and these tables never delete rows. Handled events
    // and delivered effects leave the status indexes, which then hold only work still to do.
    R"sql(
CREATE TABLE inbox_v4 (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  body TEXT NOT NULL,
  depth INTEGER NOT NULL DEFAULT 0,
  processed INTEGER NOT NULL DEFAULT 0);
INSERT INTO inbox_v4 SELECT seq, id, type, time_ms, body, depth, processed FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_v4 RENAME TO inbox;
CREATE INDEX inbox_pending ON inbox (seq) WHERE processed = 0;
CREATE TABLE runs_v4 (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  workflow TEXT NOT NULL,
  event_id TEXT NOT NULL,
  status TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  error_step TEXT NOT NULL DEFAULT '',
  wait_event TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  wait_key TEXT,
  steps TEXT NOT NULL DEFAULT '');
INSERT INTO runs_v4 SELECT seq, id, workflow, event_id, status, started_ms, updated_ms, error, error_step, wait_event,
  state, wait_key, steps FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v4 RENAME TO runs;
CREATE INDEX runs_waiting ON runs (wait_event, seq) WHERE wait_event <> '';
CREATE INDEX runs_waiting_key ON runs (wait_event, wait_key, seq) WHERE wait_event <> '';
CREATE TABLE outbox_v4 (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  run_id TEXT NOT NULL,
  path TEXT NOT NULL,
  type TEXT NOT NULL,
  params TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '');
INSERT INTO outbox_v4 SELECT seq, id, run_id, path, type, params, status, attempts, created_ms, next_attempt_ms,
  last_error FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v4 RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (next_attempt_ms, seq) WHERE status = 'pending';
CREATE INDEX outbox_dead ON outbox (seq) WHERE status = 'dead';
)sql",
    // Each run records the version of the bundle that ran it (runners of several versions may
    // share a database while a deploy rolls); a schedule's ticks are rows, so that each fires once.
    R"sql(
ALTER TABLE runs ADD COLUMN bundle_version TEXT NOT NULL DEFAULT '';
CREATE TABLE schedule_ticks (
  workflow TEXT NOT NULL,
  tick_ms INTEGER NOT NULL,
  PRIMARY KEY (workflow, tick_ms)) WITHOUT ROWID;
)sql",
    // When the runner accepted each event (0 for those accepted before): the clock of a backtest.
    R"sql(
ALTER TABLE inbox ADD COLUMN received_ms INTEGER NOT NULL DEFAULT 0;
)sql",
    // The runner's API: every bundle version the runner ran (its text once per version; a
    // history row each time one starts running).
    R"sql(
CREATE TABLE bundle_texts (
  version TEXT PRIMARY KEY,
  body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE bundle_history (
  seq INTEGER PRIMARY KEY,
  version TEXT NOT NULL,
  deployed_ms INTEGER NOT NULL,
  source TEXT NOT NULL);
)sql",
    // Trigger filters that rejected an event, kept for a configurable time.
    R"sql(
CREATE TABLE IF NOT EXISTS filter_rejections (
  seq INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  workflow TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  explanation TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS filter_rejections_time ON filter_rejections (time_ms);
)sql",
};

// A text column of the current row, as a view valid until the statement steps or resets.
std::string_view column_view(sqlite3_stmt* s, int col) {
  const unsigned char* t = sqlite3_column_text(s, col);
  return t ? std::string_view(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s, col)))
           : std::string_view();
}

}  // namespace

// A cached statement in use: bound on creation, reset (and unbound) when it goes away.
class SqliteStore::Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int step() { return sqlite3_step(s_); }
  std::string text(int col) const { return std::string(view(col)); }
  std::string_view view(int col) const { return column_view(s_, col); }  // until the next step
  std::int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }

 private:
  sqlite3_stmt* s_;
};

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  // SQLite's memory statistics take a global lock on every allocation; nothing reads them.
  // (Refused, harmlessly, when SQLite was initialised before the first store opened.)
  static const int unmetered = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)unmetered;
  sqlite3* db = nullptr;
  // A store is used by one thread at a time (the runner's engine thread owns it), so the
  // connection needs no mutex of its own.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Error{"cannot open the store " + path + ": " + msg, "", 0, 0};
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  if (path != ":memory:" && !path.empty()) {
    store->file_ = true;
    // Before any statement: even switching to WAL reads the file, and a writer on another
    // connection (the engine thread, while the API reads) would otherwise fail it at once.
    sqlite3_busy_timeout(db, 5000);
    // synchronous=FULL: a commit is on disk (fsync of the WAL) before it returns, so what the
    // runner acknowledged survives a power cut too, not only a crash of the process. The
    // runner commits concurrent requests together, so this costs one fsync per group.
    if (auto st = store->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"); !st)
      return st.error();
  }
  // In memory, larger pages mean fewer of them to allocate and split as a simulation grows.
  if (path == ":memory:") {
    if (auto st = store->exec("PRAGMA page_size=8192;"); !st) return st.error();
  }
  if (auto st = store->exec("PRAGMA foreign_keys=OFF;"); !st) return st.error();
  if (auto st = store->migrate(); !st) return st.error();
  return store;
}

SqliteStore::~SqliteStore() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

namespace {
// Another connection holding the database (a checkpoint, an inspection) passes: worth a retry.
ErrorKind kind_of(int code) {
  code &= 0xff;
  return code == SQLITE_BUSY || code == SQLITE_LOCKED ? ErrorKind::Retryable : ErrorKind::Fatal;
}
}  // namespace

Error SqliteStore::error(const char* what) const {
  return Error{std::string("store: ") + what + ": " + sqlite3_errmsg(db_), "", 0, 0, kind_of(sqlite3_errcode(db_))};
}

Status SqliteStore::exec(const char* sql) {
  char* msg = nullptr;
  if (int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg); rc != SQLITE_OK) {
    std::string m = msg ? msg : "unknown error";
    sqlite3_free(msg);
    return Error{"store: " + m, "", 0, 0, kind_of(rc)};
  }
  return {};
}

Status SqliteStore::migrate() {
  if (auto st = exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"); !st) return st;
  auto s = prepare("SELECT version FROM schema_version");
  if (!s) return s.error();
  {
    Stmt q(s.value());
    version_ = q.step() == SQLITE_ROW ? static_cast<int>(q.int64(0)) : 0;
  }
  const int latest = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);
  if (version_ > latest)
    return Error{"the store was written by a newer Shopflow (schema " + std::to_string(version_) + ", this one knows " +
                     std::to_string(latest) + ")",
                 "", 0, 0};
  for (int v = version_; v < latest; ++v) {
    if (auto st = exec("BEGIN IMMEDIATE"); !st) return st;
    auto st = exec(kMigrations[v]);
    if (st && v == 2) st = fold_steps();
    if (st) {
      std::string set = v == 0 ? "INSERT INTO schema_version (version) VALUES (" + std::to_string(v + 1) + ")"
                               : "UPDATE schema_version SET version = " + std::to_string(v + 1);
      st = exec(set.c_str());
    }
    if (!st) {
      (void)exec("ROLLBACK");
      return Error{"store migration to schema " + std::to_string(v + 1) + " failed: " + st.error().message, "", 0, 0};
    }
    if (auto c = exec("COMMIT"); !c) return c;
    version_ = v + 1;
  }
  return {};
}

Result<sqlite3_stmt*> SqliteStore::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) return error("prepare");
  cache_.emplace(sql, s);
  return s;
}

#define SHOPFLOW_STMT(var, sql)        \
  auto var##_prep = prepare(sql);      \
  if (!var##_prep) return var##_prep.error(); \
  Stmt var(var##_prep.value())

Status SqliteStore::set_durability(Durability d) {
  const bool full = d == Durability::Full;
  if (!file_ || full == full_sync_) return {};
  if (auto st = exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"); !st) return st;
  full_sync_ = full;
  return {};
}

Status SqliteStore::auto_checkpoint(bool on) {
  if (!file_) return {};
  if (sqlite3_wal_autocheckpoint(db_, on ? 1000 : 0) != SQLITE_OK) return error("checkpoint");
  return {};
}

Status SqliteStore::checkpoint(bool truncate) {
  if (!file_) return {};
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE,
                                     nullptr, nullptr);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) return error("checkpoint");
  return {};
}

std::int64_t SqliteStore::wal_bytes() const {
  if (!file_) return 0;
  const char* db = sqlite3_db_filename(db_, "main");
  if (!db || !*db) return 0;
  struct stat st;
  if (::stat((std::string(db) + "-wal").c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_size);
}

Status SqliteStore::hold() {
  if (held_) return {};
  if (auto st = exec("PRAGMA journal_mode=OFF; BEGIN"); !st) return st;
  held_ = true;
  return {};
}

Status SqliteStore::release_hold() {
  if (!held_) return {};
  held_ = false;
  return exec("COMMIT");
}

// Migration 3: the rows of the old steps table into their runs' `steps`, then the table goes.
Status SqliteStore::fold_steps() {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT run_id, time_ms, path, kind, input, output, verdict, explanation FROM steps "
                              "ORDER BY run_id, seq", -1, &raw, nullptr) != SQLITE_OK)
    return error("steps");
  std::string run_id, steps;
  auto flush = [&]() -> Status {
    if (run_id.empty()) return {};
    SHOPFLOW_STMT(u, "UPDATE runs SET steps = ?2 WHERE id = ?1");
    u.bind(1, run_id).bind(2, steps);
    if (u.step() != SQLITE_DONE) return error("runs");
    return {};
  };
  Status st;
  {
    Stmt q(raw);
    int rc = SQLITE_DONE;
    while (st && (rc = q.step()) == SQLITE_ROW) {
      std::string id = q.text(0);
      if (id != run_id) {
        st = flush();
        run_id = std::move(id);
        steps.clear();
      }
      append_step(steps, q.view(2), q.view(3), q.int64(1), q.view(4), q.view(5), q.view(6), q.view(7));
    }
    if (st && rc != SQLITE_DONE) st = error("steps");
  }
  sqlite3_finalize(raw);
  if (st) st = flush();
  if (!st) return st;
  return exec("DROP TABLE steps");
}

// Transaction control goes through cached statements too: these run once per event.
Status SqliteStore::begin() {
  if (held_) return {};
  SHOPFLOW_STMT(q, "BEGIN IMMEDIATE");
  if (q.step() != SQLITE_DONE) return error("begin");
  return {};
}
Status SqliteStore::commit() {
  if (held_) return {};
  SHOPFLOW_STMT(q, "COMMIT");
  if (q.step() != SQLITE_DONE) return error("commit");
  return {};
}
Status SqliteStore::rollback() {
  next_timer_.reset();
  return held_ ? Status{} : exec("ROLLBACK");
}
Result<std::optional<std::string>> SqliteStore::meta_get(const std::string& key) {
  SHOPFLOW_STMT(q, "SELECT value FROM meta WHERE key = ?1");
  q.bind(1, key);
  int rc = q.step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(q.text(0));
  if (rc != SQLITE_DONE) return error("meta");
  return std::optional<std::string>();
}

Status SqliteStore::meta_set(const std::string& key, const std::string& value) {
  SHOPFLOW_STMT(q, "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  q.bind(1, key).bind(2, value);
  if (q.step() != SQLITE_DONE) return error("meta");
  return {};
}

Result<bool> SqliteStore::meta_insert(const std::string& key, const std::string& value) {
  SHOPFLOW_STMT(q, "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING");
  q.bind(1, key).bind(2, value);
  if (q.step() != SQLITE_DONE) return error("meta");
  return sqlite3_changes(db_) > 0;
}

Result<bool> SqliteStore::inbox_insert(const InboxRow& row) {
  SHOPFLOW_STMT(q, "INSERT INTO inbox (id, type, time_ms, body, depth, processed, received_ms) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING");
  q.bind(1, row.id).bind(2, row.type).bind(3, row.time).bind(4, row.body).bind(5, static_cast<std::int64_t>(row.depth));
  q.bind(6, static_cast<std::int64_t>(row.processed ? 1 : 0)).bind(7, row.received);
  if (q.step() != SQLITE_DONE) return error("inbox");
  return sqlite3_changes(db_) > 0;
}

Result<std::vector<InboxRow>> SqliteStore::inbox_pending(size_t limit) {
  SHOPFLOW_STMT(q, "SELECT seq, id, type, time_ms, body, depth, received_ms FROM inbox WHERE processed = 0 ORDER BY seq "
                   "LIMIT ?1");
  q.bind(1, sql_limit(limit));
  std::vector<InboxRow> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    InboxRow r;
    r.seq = q.int64(0);
    r.id = q.text(1);
    r.type = q.text(2);
    r.time = q.int64(3);
    r.body = q.text(4);
    r.depth = static_cast<int>(q.int64(5));
    r.received = q.int64(6);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return error("inbox");
  return out;
}

Result<std::vector<InboxRow>> SqliteStore::inbox_claim(size_t limit) {
  auto rows = inbox_pending(limit);
  if (rows) claims_ += static_cast<std::int64_t>(rows.value().size());
  return rows;
}

Status SqliteStore::inbox_mark_processed(std::int64_t seq, std::int64_t) {
  SHOPFLOW_STMT(q, "UPDATE inbox SET processed = 1 WHERE seq = ?1");
  q.bind(1, seq);
  if (q.step() != SQLITE_DONE) return error("inbox");
  return {};
}

Result<size_t> SqliteStore::inbox_rekey(
    const std::string& marker, const std::function<std::optional<std::string>(std::string_view, std::string_view)>& key) {
  if (auto st = begin(); !st) return st.error();
  auto fail = [&](Error e) -> Result<size_t> {
    (void)rollback();
    return e;
  };
  auto done = meta_get(marker);
  if (!done) return fail(done.error());
  if (done.value()) {
    if (auto st = commit(); !st) return st.error();
    return size_t{0};
  }
  std::vector<std::pair<std::int64_t, std::string>> changes;
  {
    SHOPFLOW_STMT(q, "SELECT seq, id, body FROM inbox WHERE depth = 0 ORDER BY seq");
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      auto k = key(q.view(1), q.view(2));
      if (k && *k != q.view(1)) changes.emplace_back(q.int64(0), std::move(*k));
    }
    if (rc != SQLITE_DONE) return fail(error("inbox"));
  }
  // Two passes, so that no new key meets an old one not yet changed.
  for (bool final : {false, true}) {
    for (const auto& [seq, k] : changes) {
      auto p = prepare(final ? "UPDATE inbox SET id = ?2 WHERE seq = ?1" : "UPDATE inbox SET id = char(1) || seq WHERE seq = ?1");
      if (!p) return fail(p.error());
      Stmt q(p.value());
      q.bind(1, seq);
      if (final) q.bind(2, k);
      if (q.step() != SQLITE_DONE) return fail(error("inbox"));
    }
  }
  if (auto st = meta_set(marker, "1"); !st) return fail(st.error());
  if (auto st = commit(); !st) return st.error();
  return changes.size();
}

Result<std::int64_t> SqliteStore::inbox_count(bool only_pending) {
  // Two statements, so that counting the pending events reads only their part of the index.
  auto p = prepare(only_pending ? "SELECT count(*) FROM inbox WHERE processed = 0" : "SELECT count(*) FROM inbox");
  if (!p) return p.error();
  Stmt q(p.value());
  if (q.step() != SQLITE_ROW) return error("inbox");
  return q.int64(0);
}

namespace {
void read_run(sqlite3_stmt* s, RunRow* r) {
  auto text = [s](int c) { return std::string(column_view(s, c)); };
  r->seq = sqlite3_column_int64(s, 0);
  r->id = text(1);
  r->workflow = text(2);
  r->event_id = text(3);
  r->status = text(4);
  r->started = sqlite3_column_int64(s, 5);
  r->updated = sqlite3_column_int64(s, 6);
  r->error = text(7);
  r->error_step = text(8);
  r->wait_event = text(9);
  r->state = text(10);
  r->wait_key = text(11);
  r->steps = text(12);
  r->bundle_version = text(13);
}
}  // namespace

#define SHOPFLOW_RUN_COLUMNS \
  "seq, id, workflow, event_id, status, started_ms, updated_ms, error, error_step, wait_event, state, wait_key, steps, " \
  "bundle_version"

Status SqliteStore::run_put(RunRow& r, bool with_steps) {
  SHOPFLOW_STMT(q,
                "INSERT INTO runs (id, workflow, event_id, status, started_ms, updated_ms, error, error_step, wait_event, "
                "state, wait_key, steps, bundle_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULLIF(?11, ''), "
                "?12, ?13) ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_ms = excluded.updated_ms, "
                "error = excluded.error, error_step = excluded.error_step, wait_event = excluded.wait_event, "
                "state = excluded.state, wait_key = excluded.wait_key, steps = excluded.steps, "
                "bundle_version = excluded.bundle_version");
  q.bind(1, r.id).bind(2, r.workflow).bind(3, r.event_id).bind(4, r.status).bind(5, r.started).bind(6, r.updated);
  q.bind(7, r.error).bind(8, r.error_step).bind(9, r.wait_event).bind(10, r.state).bind(11, r.wait_key);
  static const std::string kNoSteps;
  q.bind(12, with_steps ? r.steps : kNoSteps).bind(13, r.bundle_version);
  if (q.step() != SQLITE_DONE) return error("runs");
  if (r.seq == 0) r.seq = sqlite3_last_insert_rowid(db_);
  return {};
}

Result<std::optional<RunRow>> SqliteStore::run_get(const std::string& id) {
  auto p = prepare("SELECT " SHOPFLOW_RUN_COLUMNS " FROM runs WHERE id = ?1");
  if (!p) return p.error();
  Stmt q(p.value());
  q.bind(1, id);
  int rc = q.step();
  if (rc == SQLITE_ROW) {
    RunRow r;
    read_run(p.value(), &r);
    return std::optional<RunRow>(std::move(r));
  }
  if (rc != SQLITE_DONE) return error("runs");
  return std::optional<RunRow>();
}

Result<bool> SqliteStore::run_exists(const std::string& id) {
  SHOPFLOW_STMT(q, "SELECT 1 FROM runs WHERE id = ?1");
  q.bind(1, id);
  int rc = q.step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return error("runs");
  return rc == SQLITE_ROW;
}

Result<std::vector<std::string>> SqliteStore::waiting_event_types() {
  SHOPFLOW_STMT(q, "SELECT DISTINCT wait_event FROM runs WHERE wait_event <> ''");
  std::vector<std::string> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(q.text(0));
  if (rc != SQLITE_DONE) return error("runs");
  return out;
}

Status SqliteStore::runs_forget_wait_keys() { return exec("UPDATE runs SET wait_key = NULL WHERE wait_key IS NOT NULL"); }

Result<std::vector<RunRow>> SqliteStore::runs_waiting_for(const std::string& event_type, const std::vector<std::string>* keys) {
  std::vector<RunRow> out;
  // Collects the rows of one query, run with the event type and an optional key.
  auto collect = [&](const char* sql, const std::string* key) -> Status {
    auto p = prepare(sql);
    if (!p) return p.error();
    Stmt q(p.value());
    q.bind(1, event_type);
    if (key) q.bind(2, *key);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      out.emplace_back();
      read_run(p.value(), &out.back());
    }
    if (rc != SQLITE_DONE) return error("runs");
    return {};
  };
  if (!keys) {
    if (auto s = collect("SELECT " SHOPFLOW_RUN_COLUMNS " FROM runs WHERE wait_event = ?1 AND wait_event <> '' ORDER BY seq",
                         nullptr);
        !s)
      return s.error();
    return out;
  }
  // One index lookup for the runs without a key and one for each key, merged in creation order.
  if (auto s = collect("SELECT " SHOPFLOW_RUN_COLUMNS " FROM runs WHERE wait_event = ?1 AND wait_event <> '' AND "
                       "wait_key IS NULL ORDER BY seq",
                       nullptr);
      !s)
    return s.error();
  std::vector<std::string> distinct(*keys);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  for (const std::string& k : distinct) {
    if (auto s = collect("SELECT " SHOPFLOW_RUN_COLUMNS " FROM runs WHERE wait_event = ?1 AND wait_event <> '' AND "
                         "wait_key = ?2 ORDER BY seq",
                         &k);
        !s)
      return s.error();
  }
  std::sort(out.begin(), out.end(), [](const RunRow& a, const RunRow& b) { return a.seq < b.seq; });
  return out;
}

Result<std::vector<RunRow>> SqliteStore::runs(size_t limit, std::int64_t after) {
  auto p = prepare("SELECT " SHOPFLOW_RUN_COLUMNS " FROM runs WHERE seq > ?2 ORDER BY seq LIMIT ?1");
  if (!p) return p.error();
  Stmt q(p.value());
  q.bind(1, sql_limit(limit)).bind(2, after);
  std::vector<RunRow> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.emplace_back();
    read_run(p.value(), &out.back());
  }
  if (rc != SQLITE_DONE) return error("runs");
  return out;
}

Result<size_t> SqliteStore::each_page_row(const char* sql, std::int64_t after, size_t limit, const char* what,
                                    const std::function<void(sqlite3_stmt*)>& row) {
  auto p = prepare(sql);
  if (!p) return p.error();
  Stmt q(p.value());
  q.bind(1, sql_limit(limit)).bind(2, after);
  size_t n = 0;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    row(p.value());
    ++n;
  }
  if (rc != SQLITE_DONE) return error(what);
  return n;
}

Result<size_t> SqliteStore::each_run(std::int64_t after, size_t limit, bool with_steps,
                               const std::function<void(const RunView&)>& fn) {
  const char* sql = with_steps ? "SELECT seq, id, workflow, event_id, status, started_ms, updated_ms, error, error_step, "
                                 "wait_event, steps FROM runs WHERE seq > ?2 ORDER BY seq LIMIT ?1"
                               : "SELECT seq, id, workflow, event_id, status, started_ms, updated_ms, error, error_step, "
                                 "wait_event, '' FROM runs WHERE seq > ?2 ORDER BY seq LIMIT ?1";
  RunView v;
  return each_page_row(sql, after, limit, "runs", [&](sqlite3_stmt* s) {
    v.seq = sqlite3_column_int64(s, 0);
    v.id = column_view(s, 1);
    v.workflow = column_view(s, 2);
    v.event_id = column_view(s, 3);
    v.status = column_view(s, 4);
    v.started = sqlite3_column_int64(s, 5);
    v.updated = sqlite3_column_int64(s, 6);
    v.error = column_view(s, 7);
    v.error_step = column_view(s, 8);
    v.wait_event = column_view(s, 9);
    v.steps = column_view(s, 10);
    fn(v);
  });
}

Result<std::vector<RunCount>> SqliteStore::run_counts() {
  SHOPFLOW_STMT(q, "SELECT workflow, status, count(*) FROM runs GROUP BY workflow, status ORDER BY workflow, status");
  std::vector<RunCount> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(RunCount{q.text(0), q.text(1), q.int64(2)});
  if (rc != SQLITE_DONE) return error("runs");
  return out;
}

Status SqliteStore::timer_add(TimerRow& r) {
  next_timer_.reset();
  SHOPFLOW_STMT(q, "INSERT INTO timers (due_ms, kind, run_id, workflow, path) VALUES (?1, ?2, ?3, ?4, ?5)");
  q.bind(1, r.due).bind(2, r.kind).bind(3, r.run_id).bind(4, r.workflow).bind(5, r.path);
  if (q.step() != SQLITE_DONE) return error("timers");
  r.seq = sqlite3_last_insert_rowid(db_);
  return {};
}

Result<std::optional<TimerRow>> SqliteStore::timer_next() {
  if (next_timer_) return *next_timer_;
  SHOPFLOW_STMT(q, "SELECT seq, due_ms, kind, run_id, workflow, path FROM timers ORDER BY due_ms, seq LIMIT 1");
  int rc = q.step();
  if (rc == SQLITE_ROW) {
    TimerRow r;
    r.seq = q.int64(0);
    r.due = q.int64(1);
    r.kind = q.text(2);
    r.run_id = q.text(3);
    r.workflow = q.text(4);
    r.path = q.text(5);
    next_timer_.emplace(std::move(r));
    return *next_timer_;
  }
  if (rc != SQLITE_DONE) return error("timers");
  next_timer_.emplace();
  return *next_timer_;
}

Result<std::optional<TimerRow>> SqliteStore::timer_claim(Millis now) {
  auto next = timer_next();
  if (!next) return next;
  if (!next.value() || next.value()->due > now) return std::optional<TimerRow>();
  ++claims_;
  return next;
}

Status SqliteStore::timer_delete(std::int64_t seq, std::int64_t) {
  next_timer_.reset();
  SHOPFLOW_STMT(q, "DELETE FROM timers WHERE seq = ?1");
  q.bind(1, seq);
  if (q.step() != SQLITE_DONE) return error("timers");
  return {};
}

Status SqliteStore::timers_delete_for_run(const std::string& run_id) {
  next_timer_.reset();
  SHOPFLOW_STMT(q, "DELETE FROM timers WHERE run_id = ?1 AND kind = 'wait'");
  q.bind(1, run_id);
  if (q.step() != SQLITE_DONE) return error("timers");
  return {};
}

Result<bool> SqliteStore::schedule_timer_exists(const std::string& workflow) {
  SHOPFLOW_STMT(q, "SELECT 1 FROM timers WHERE kind = 'schedule' AND workflow = ?1 LIMIT 1");
  q.bind(1, workflow);
  int rc = q.step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return error("timers");
  return rc == SQLITE_ROW;
}

Result<bool> SqliteStore::schedule_tick(const std::string& workflow, Millis tick) {
  // Ticks a week older than this one can no longer come again: they go.
  {
    SHOPFLOW_STMT(q, "DELETE FROM schedule_ticks WHERE workflow = ?1 AND tick_ms < ?2 - 604800000");
    q.bind(1, workflow).bind(2, tick);
    if (q.step() != SQLITE_DONE) return error("schedule_ticks");
  }
  SHOPFLOW_STMT(q, "INSERT INTO schedule_ticks (workflow, tick_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
  q.bind(1, workflow).bind(2, tick);
  if (q.step() != SQLITE_DONE) return error("schedule_ticks");
  return sqlite3_changes(db_) > 0;
}

StoreCounters SqliteStore::counters() const {
  StoreCounters c;
  c.claims = claims_;
  return c;
}

namespace {
void read_effect(sqlite3_stmt* s, EffectRow* r) {
  auto text = [s](int c) { return std::string(column_view(s, c)); };
  r->seq = sqlite3_column_int64(s, 0);
  r->id = text(1);
  r->run_id = text(2);
  r->path = text(3);
  r->type = text(4);
  r->params = text(5);
  r->status = text(6);
  r->attempts = static_cast<int>(sqlite3_column_int64(s, 7));
  r->created = sqlite3_column_int64(s, 8);
  r->next_attempt = sqlite3_column_int64(s, 9);
  r->last_error = text(10);
}
}  // namespace

#define SHOPFLOW_EFFECT_COLUMNS \
  "seq, id, run_id, path, type, params, status, attempts, created_ms, next_attempt_ms, last_error"

Result<bool> SqliteStore::effect_insert(EffectRow& r) {
  SHOPFLOW_STMT(q, "INSERT INTO outbox (id, run_id, path, type, params, status, attempts, created_ms, next_attempt_ms, "
                   "last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO NOTHING");
  q.bind(1, r.id).bind(2, r.run_id).bind(3, r.path).bind(4, r.type).bind(5, r.params).bind(6, r.status);
  q.bind(7, static_cast<std::int64_t>(r.attempts)).bind(8, r.created).bind(9, r.next_attempt).bind(10, r.last_error);
  if (q.step() != SQLITE_DONE) return error("outbox");
  if (sqlite3_changes(db_) == 0) return false;
  r.seq = sqlite3_last_insert_rowid(db_);
  return true;
}

Result<std::vector<EffectRow>> SqliteStore::effects(size_t limit, std::int64_t after) {
  auto p = prepare("SELECT " SHOPFLOW_EFFECT_COLUMNS " FROM outbox WHERE seq > ?2 ORDER BY seq LIMIT ?1");
  if (!p) return p.error();
  Stmt q(p.value());
  q.bind(1, sql_limit(limit)).bind(2, after);
  std::vector<EffectRow> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.emplace_back();
    read_effect(p.value(), &out.back());
  }
  if (rc != SQLITE_DONE) return error("outbox");
  return out;
}

Result<std::vector<EffectRow>> SqliteStore::effects_pending(Millis now, size_t limit) {
  auto p = prepare("SELECT " SHOPFLOW_EFFECT_COLUMNS
                   " FROM outbox WHERE status = 'pending' AND next_attempt_ms <= ?1 ORDER BY next_attempt_ms, seq LIMIT ?2");
  if (!p) return p.error();
  Stmt q(p.value());
  q.bind(1, now).bind(2, sql_limit(limit));
  std::vector<EffectRow> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.emplace_back();
    read_effect(p.value(), &out.back());
  }
  if (rc != SQLITE_DONE) return error("outbox");
  return out;
}

Result<std::vector<EffectRow>> SqliteStore::effects_claim(Millis now, size_t limit) {
  auto rows = effects_pending(now, limit);
  if (rows) claims_ += static_cast<std::int64_t>(rows.value().size());
  return rows;
}

Result<size_t> SqliteStore::each_effect(std::int64_t after, size_t limit, const std::function<void(const EffectView&)>& fn) {
  EffectView v;
  return each_page_row("SELECT seq, id, run_id, path, type, params, created_ms FROM outbox WHERE seq > ?2 ORDER BY seq "
                       "LIMIT ?1",
                       after, limit, "outbox", [&](sqlite3_stmt* s) {
                         v.seq = sqlite3_column_int64(s, 0);
                         v.id = column_view(s, 1);
                         v.run_id = column_view(s, 2);
                         v.path = column_view(s, 3);
                         v.type = column_view(s, 4);
                         v.params = column_view(s, 5);
                         v.created = sqlite3_column_int64(s, 6);
                         fn(v);
                       });
}

Result<std::int64_t> SqliteStore::effects_count() {
  SHOPFLOW_STMT(q, "SELECT count(*) FROM outbox");
  if (q.step() != SQLITE_ROW) return error("outbox");
  return q.int64(0);
}

Result<std::int64_t> SqliteStore::effects_dead_count() {
  SHOPFLOW_STMT(q, "SELECT count(*) FROM outbox WHERE status = 'dead'");
  if (q.step() != SQLITE_ROW) return error("outbox");
  return q.int64(0);
}

Result<std::vector<EffectRow>> SqliteStore::effects_dead(size_t limit, std::int64_t after) {
  auto p = prepare("SELECT " SHOPFLOW_EFFECT_COLUMNS " FROM outbox WHERE status = 'dead' AND seq > ?2 ORDER BY seq LIMIT ?1");
  if (!p) return p.error();
  Stmt q(p.value());
  q.bind(1, sql_limit(limit)).bind(2, after);
  std::vector<EffectRow> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.emplace_back();
    read_effect(p.value(), &out.back());
  }
  if (rc != SQLITE_DONE) return error("outbox");
  return out;
}

Result<std::optional<EffectRow>> SqliteStore::effect_get(const std::string& id) {
  auto p = prepare("SELECT " SHOPFLOW_EFFECT_COLUMNS " FROM outbox WHERE id = ?1");
  if (!p) return p.error();
  Stmt q(p.value());
  q.bind(1, id);
  int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<EffectRow>();
  if (rc != SQLITE_ROW) return error("outbox");
  EffectRow e;
  read_effect(p.value(), &e);
  return std::optional<EffectRow>(std::move(e));
}

Result<bool> SqliteStore::effect_update(const std::string& id, const std::string& status, bool count_attempt,
                                  Millis next_attempt, const std::string& last_error, std::int64_t) {
  SHOPFLOW_STMT(q, "UPDATE outbox SET status = ?2, attempts = attempts + ?3, next_attempt_ms = ?4, last_error = ?5 "
                   "WHERE id = ?1");
  q.bind(1, id).bind(2, status).bind(3, static_cast<std::int64_t>(count_attempt ? 1 : 0)).bind(4, next_attempt);
  q.bind(5, last_error);
  if (q.step() != SQLITE_DONE) return error("outbox");
  return sqlite3_changes(db_) > 0;
}

Result<std::optional<std::string>> SqliteStore::row_get(const std::string& table, const std::string& key) {
  SHOPFLOW_STMT(q, "SELECT value FROM rows WHERE tbl = ?1 AND key = ?2");
  q.bind(1, table).bind(2, key);
  int rc = q.step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(q.text(0));
  if (rc != SQLITE_DONE) return error("rows");
  return std::optional<std::string>();
}

Status SqliteStore::row_put(const std::string& table, const std::string& key, const std::string& value) {
  SHOPFLOW_STMT(q, "INSERT INTO rows (tbl, key, value) VALUES (?1, ?2, ?3) "
                   "ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value");
  q.bind(1, table).bind(2, key).bind(3, value);
  if (q.step() != SQLITE_DONE) return error("rows");
  return {};
}

Status SqliteStore::row_delete(const std::string& table, const std::string& key) {
  SHOPFLOW_STMT(q, "DELETE FROM rows WHERE tbl = ?1 AND key = ?2");
  q.bind(1, table).bind(2, key);
  if (q.step() != SQLITE_DONE) return error("rows");
  return {};
}

Result<std::vector<TableRow>> SqliteStore::rows(const std::string& table) {
  SHOPFLOW_STMT(q, "SELECT tbl, key, value FROM rows WHERE tbl = ?1 OR ?1 = '' ORDER BY tbl, key");
  q.bind(1, table);
  std::vector<TableRow> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(TableRow{q.text(0), q.text(1), q.text(2)});
  if (rc != SQLITE_DONE) return error("rows");
  return out;
}

// [SECTION] The runner's API: its reads and the bundle versions.

// When an event counts as received: its received_ms, or its own time for a row from before
// schema 5.
#define SHOPFLOW_RECEIVED "(CASE WHEN received_ms <> 0 THEN received_ms ELSE time_ms END)"
#define SHOPFLOW_INBOX_OUTSIDE                                                                         \
  " FROM inbox WHERE depth = 0 AND seq > ?2 AND " SHOPFLOW_RECEIVED " >= ?3 AND " SHOPFLOW_RECEIVED \
  " < ?4 AND (?5 = '' OR type = ?5) ORDER BY seq"

Result<std::vector<InboxRow>> SqliteStore::inbox_outside(const InboxQuery& f, std::int64_t after, size_t limit) {
  SHOPFLOW_STMT(q, "SELECT seq, id, type, time_ms, body, processed, " SHOPFLOW_RECEIVED SHOPFLOW_INBOX_OUTSIDE
                   " LIMIT ?1");
  q.bind(1, sql_limit(limit)).bind(2, after).bind(3, f.since).bind(4, f.until).bind(5, f.type);
  std::vector<InboxRow> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    InboxRow r;
    r.seq = q.int64(0);
    r.id = q.text(1);
    r.type = q.text(2);
    r.time = q.int64(3);
    r.body = q.text(4);
    r.processed = q.int64(5) != 0;
    r.received = q.int64(6);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return error("inbox");
  return out;
}

Result<std::vector<std::int64_t>> SqliteStore::inbox_outside_seqs(const InboxQuery& f, std::int64_t after, size_t skip,
                                                            size_t count) {
  SHOPFLOW_STMT(q, "SELECT seq" SHOPFLOW_INBOX_OUTSIDE " LIMIT ?1 OFFSET ?6");
  q.bind(1, sql_limit(count)).bind(2, after).bind(3, f.since).bind(4, f.until).bind(5, f.type);
  q.bind(6, sql_limit(skip));
  std::vector<std::int64_t> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(q.int64(0));
  if (rc != SQLITE_DONE) return error("inbox");
  return out;
}

Result<std::optional<std::string>> SqliteStore::inbox_body(const std::string& id) {
  SHOPFLOW_STMT(q, "SELECT body FROM inbox WHERE id = ?1");
  q.bind(1, id);
  int rc = q.step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(q.text(0));
  if (rc != SQLITE_DONE) return error("inbox");
  return std::optional<std::string>();
}

Result<std::vector<RunRow>> SqliteStore::runs_matching(const RunQuery& f, std::int64_t after, size_t limit) {
  SHOPFLOW_STMT(q, "SELECT seq, id, workflow, event_id, status, started_ms, updated_ms, error, error_step, wait_event, "
                   "'', wait_key, '', bundle_version FROM runs WHERE seq > ?2 AND started_ms >= ?3 AND started_ms < ?4 AND "
                   "(?5 = '' OR workflow = ?5) ORDER BY seq LIMIT ?1");
  q.bind(1, sql_limit(limit)).bind(2, after).bind(3, f.since).bind(4, f.until).bind(5, f.workflow);
  std::vector<RunRow> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.emplace_back();
    read_run(q_prep.value(), &out.back());
  }
  if (rc != SQLITE_DONE) return error("runs");
  return out;
}

Result<std::vector<EffectRow>> SqliteStore::effects_of_run(const std::string& run_id, std::int64_t after, size_t limit) {
  auto p = prepare("SELECT " SHOPFLOW_EFFECT_COLUMNS
                   " FROM outbox WHERE seq > ?2 AND (?3 = '' OR run_id = ?3) ORDER BY seq LIMIT ?1");
  if (!p) return p.error();
  Stmt q(p.value());
  q.bind(1, sql_limit(limit)).bind(2, after).bind(3, run_id);
  std::vector<EffectRow> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.emplace_back();
    read_effect(p.value(), &out.back());
  }
  if (rc != SQLITE_DONE) return error("outbox");
  return out;
}

Result<std::string> SqliteStore::meta_get_or_set(const std::string& key, const std::string& value) {
  {
    SHOPFLOW_STMT(q, "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING");
    q.bind(1, key).bind(2, value);
    if (q.step() != SQLITE_DONE) return error("meta");
  }
  auto got = meta_get(key);
  if (!got) return got.error();
  if (!got.value()) return Error{"store: meta " + key + " vanished as it was set", "", 0, 0};
  return *got.value();
}

Status SqliteStore::bundle_version_add(const std::string& version, const std::string& text, Millis at,
                                 const std::string& source) {
  {
    SHOPFLOW_STMT(q, "INSERT INTO bundle_texts (version, body) VALUES (?1, ?2) ON CONFLICT (version) DO NOTHING");
    q.bind(1, version).bind(2, text);
    if (q.step() != SQLITE_DONE) return error("bundle_texts");
  }
  SHOPFLOW_STMT(q, "INSERT INTO bundle_history (version, deployed_ms, source) VALUES (?1, ?2, ?3)");
  q.bind(1, version).bind(2, at).bind(3, source);
  if (q.step() != SQLITE_DONE) return error("bundle_history");
  return {};
}

Result<std::optional<std::string>> SqliteStore::bundle_text(const std::string& version) {
  SHOPFLOW_STMT(q, "SELECT body FROM bundle_texts WHERE version = ?1");
  q.bind(1, version);
  int rc = q.step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(q.text(0));
  if (rc != SQLITE_DONE) return error("bundle_texts");
  return std::optional<std::string>();
}

Result<std::vector<BundleVersionRow>> SqliteStore::bundle_history(size_t limit) {
  SHOPFLOW_STMT(q, "SELECT seq, version, deployed_ms, source FROM bundle_history ORDER BY seq DESC LIMIT ?1");
  q.bind(1, sql_limit(limit));
  std::vector<BundleVersionRow> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(BundleVersionRow{q.int64(0), q.text(1), q.int64(2), q.text(3)});
  if (rc != SQLITE_DONE) return error("bundle_history");
  return out;
}

// [SECTION] filter rejections

Status SqliteStore::rejection_add(FilterRejection& row) {
  SHOPFLOW_STMT(q, "INSERT INTO filter_rejections (time_ms, workflow, event_id, event_type, explanation) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)");
  q.bind(1, row.time).bind(2, row.workflow).bind(3, row.event_id).bind(4, row.event_type).bind(5, row.explanation);
  if (q.step() != SQLITE_DONE) return error("filter_rejections");
  row.seq = sqlite3_last_insert_rowid(db_);
  return {};
}

Result<std::vector<FilterRejection>> SqliteStore::rejections(size_t limit, std::int64_t after, const std::string& workflow) {
  SHOPFLOW_STMT(q, "SELECT seq, time_ms, workflow, event_id, event_type, explanation FROM filter_rejections "
                   "WHERE seq > ?2 AND (?3 = '' OR workflow = ?3) ORDER BY seq LIMIT ?1");
  q.bind(1, sql_limit(limit)).bind(2, after).bind(3, workflow);
  std::vector<FilterRejection> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    FilterRejection r;
    r.seq = q.int64(0);
    r.time = q.int64(1);
    r.workflow = q.text(2);
    r.event_id = q.text(3);
    r.event_type = q.text(4);
    r.explanation = q.text(5);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return error("filter_rejections");
  return out;
}

Result<size_t> SqliteStore::rejections_prune(Millis before, size_t limit) {
  SHOPFLOW_STMT(q, "DELETE FROM filter_rejections WHERE seq IN "
                   "(SELECT seq FROM filter_rejections WHERE time_ms < ?1 ORDER BY time_ms LIMIT ?2)");
  q.bind(1, before).bind(2, sql_limit(limit));
  if (q.step() != SQLITE_DONE) return error("filter_rejections");
  return static_cast<size_t>(sqlite3_changes(db_));
}

}  // namespace shopflow
