// The PostgreSQL store: schema and migrations, and one prepared statement per query.
#include "shopflow/postgres_store.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace shopflow {

namespace {

// Migration n takes the schema from version n to n+1. Never edit one that has shipped; add one.
// The work rows (inbox events, timers, effects) carry a claim: the owner that holds them, until
// when, and an epoch that every claim raises, so that a write by an owner whose lease passed to
// another can be refused.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE inbox (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  type text NOT NULL,
  time_ms bigint NOT NULL,
  body text NOT NULL,
  depth integer NOT NULL DEFAULT 0,
  processed boolean NOT NULL DEFAULT false,
  owner text NOT NULL DEFAULT '',
  lease_until timestamptz,
  epoch bigint NOT NULL DEFAULT 0);
CREATE INDEX inbox_pending ON inbox (seq) WHERE NOT processed;
CREATE INDEX inbox_held ON inbox (owner) WHERE lease_until IS NOT NULL;
CREATE TABLE runs (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  workflow text NOT NULL,
  event_id text NOT NULL,
  status text NOT NULL,
  started_ms bigint NOT NULL,
  updated_ms bigint NOT NULL,
  error text NOT NULL DEFAULT '',
  error_step text NOT NULL DEFAULT '',
  wait_event text NOT NULL DEFAULT '',
  state text NOT NULL,
  wait_key text,
  steps text NOT NULL DEFAULT '',
  bundle_version text NOT NULL DEFAULT '');
CREATE INDEX runs_waiting ON runs (wait_event, wait_key, seq) WHERE wait_event <> '';
CREATE TABLE timers (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  due_ms bigint NOT NULL,
  kind text NOT NULL,
  run_id text NOT NULL DEFAULT '',
  workflow text NOT NULL DEFAULT '',
  path text NOT NULL DEFAULT '',
  owner text NOT NULL DEFAULT '',
  lease_until timestamptz,
  epoch bigint NOT NULL DEFAULT 0);
CREATE INDEX timers_due ON timers (due_ms, seq);
CREATE INDEX timers_run ON timers (run_id) WHERE kind = 'wait';
CREATE INDEX timers_schedule ON timers (workflow) WHERE kind = 'schedule';
CREATE INDEX timers_held ON timers (owner) WHERE lease_until IS NOT NULL;
CREATE TABLE schedule_ticks (
  workflow text NOT NULL,
  tick_ms bigint NOT NULL,
  PRIMARY KEY (workflow, tick_ms));
CREATE TABLE outbox (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  run_id text NOT NULL,
  path text NOT NULL,
  type text NOT NULL,
  params text NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  created_ms bigint NOT NULL,
  next_attempt_ms bigint NOT NULL,
  last_error text NOT NULL DEFAULT '',
  owner text NOT NULL DEFAULT '',
  lease_until timestamptz,
  epoch bigint NOT NULL DEFAULT 0);
CREATE INDEX outbox_pending ON outbox (next_attempt_ms, seq) WHERE status = 'pending';
CREATE INDEX outbox_dead ON outbox (seq) WHERE status = 'dead';
CREATE INDEX outbox_held ON outbox (owner) WHERE lease_until IS NOT NULL;
CREATE TABLE rows (
  tbl text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (tbl, key));
)sql",
    // When the runner accepted each event (0 for those accepted before); every bundle version
    // the runner ran (its text once per version, a history row each time one starts running).
    R"sql(
ALTER TABLE inbox ADD COLUMN received_ms bigint NOT NULL DEFAULT 0;
CREATE TABLE bundle_texts (
  version text PRIMARY KEY,
  body text NOT NULL);
CREATE TABLE bundle_history (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version text NOT NULL,
  deployed_ms bigint NOT NULL,
  source text NOT NULL);
)sql",
    // Trigger filters that rejected an event, kept for a configurable time.
    R"sql(
CREATE TABLE filter_rejections (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time_ms bigint NOT NULL,
  workflow text NOT NULL,
  event_id text NOT NULL,
  event_type text NOT NULL,
  explanation text NOT NULL);
CREATE INDEX filter_rejections_time ON filter_rejections (time_ms);
)sql",
};

// The advisory lock that migrations (and the inbox's one-time re-keying) hold: any constant
// no other program on the database uses. These bytes spell "shopflow".
constexpr const char* kSchemaLock = "7235441686435573623";

std::string trimmed(const char* msg) {
  std::string m = msg ? msg : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m.empty() ? "unknown error" : m;
}

// SQLSTATEs that a retry of the same transaction may not meet again.
bool retryable_state(const char* state) {
  if (!state) return false;
  static const char* const kStates[] = {"40001", "40P01", "55P03", "57P01", "57P02", "57P03"};
  for (const char* s : kStates) {
    if (std::strcmp(state, s) == 0) return true;
  }
  return std::strncmp(state, "08", 2) == 0;  // connection exceptions
}

// A text[] literal: {"a","b"}, each element quoted with its quotes and backslashes escaped.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

// A statement's result, cleared when it goes away.
class PostgresStore::Rows {
 public:
  explicit Rows(PGresult* r) : r_(r) {}
  Rows(Rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Rows& operator=(Rows&&) = delete;
  Rows(const Rows&) = delete;
  ~Rows() { PQclear(r_); }
  PGresult* get() const { return r_; }
  int size() const { return PQntuples(r_); }
  // A column's text, valid while this result lives.
  std::string_view view(int row, int col) const {
    return {PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col))};
  }
  std::string text(int row, int col) const { return std::string(view(row, col)); }
  std::int64_t int64(int row, int col) const { return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10); }
  // Rows an INSERT, UPDATE or DELETE changed.
  std::int64_t changed() const { return std::strtoll(PQcmdTuples(r_), nullptr, 10); }

 private:
  PGresult* r_;
};

// One run of a prepared statement: its parameters, as text ($1, $2, ... in order).
class PostgresStore::Query {
 public:
  Query(PostgresStore& store, const char* sql) : store_(store), sql_(sql) {}
  Query& arg(const std::string& v) {
    args_.push_back({v.c_str(), -1});
    return *this;
  }
  // Borrowed, not copied: no temporaries.
  Query& arg(std::string&&) = delete;
  Query& arg(const char*) = delete;
  Query& arg(std::int64_t v) {
    owned_.push_back(std::to_string(v));
    args_.push_back({nullptr, static_cast<int>(owned_.size() - 1)});
    return *this;
  }
  Query& arg(bool v) {
    args_.push_back({v ? "t" : "f", -1});
    return *this;
  }
  Query& null() {
    args_.push_back({nullptr, -1});
    return *this;
  }
  // Runs it; `what` names the table in an error.
  Result<Rows> run(const char* what) {
    if (auto st = store_.ensure_connected(); !st) return st.error();
    const auto start = std::chrono::steady_clock::now();
    auto it = store_.prepared_.find(sql_);
    if (it == store_.prepared_.end()) {
      std::string name = "s" + std::to_string(store_.prepared_.size() + 1);
      Rows prep(PQprepare(store_.conn_, name.c_str(), sql_, static_cast<int>(args_.size()), nullptr));
      ++store_.round_trips_;
      if (PQresultStatus(prep.get()) != PGRES_COMMAND_OK) return store_.error_of(prep.get(), what);
      it = store_.prepared_.emplace(sql_, std::move(name)).first;
    }
    std::vector<const char*> values;
    values.reserve(args_.size());
    for (const Arg& a : args_) values.push_back(a.owned >= 0 ? owned_[static_cast<size_t>(a.owned)].c_str() : a.text);
    Rows res(PQexecPrepared(store_.conn_, it->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                            nullptr, 0));
    ++store_.round_trips_;
    store_.round_trip_us_ +=
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    const ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return store_.error_of(res.get(), what);
    return res;
  }

 private:
  struct Arg {
    const char* text;  // null: SQL NULL, unless owned
    int owned;         // index into owned_, or -1
  };
  PostgresStore& store_;
  const char* sql_;
  std::vector<Arg> args_;
  std::vector<std::string> owned_;
};

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& url) {
  // A server that does not answer (not one that refuses) must not hold a (re)connection up
  // for the operating system's TCP timeout: 5 s unless the URL says otherwise (its values
  // come later and override).
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"5", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (!conn) return Error{"cannot open the store: out of memory", "", 0, 0};
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Error{"cannot connect to PostgreSQL: " + msg, "", 0, 0, ErrorKind::Retryable};
  }
  std::unique_ptr<PostgresStore> store(new PostgresStore(conn));
  // Notices (such as "relation already exists, skipping") are not for the runner's output.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  if (auto st = store->migrate(); !st) return st.error();
  return store;
}

PostgresStore::~PostgresStore() { PQfinish(conn_); }

Error PostgresStore::error_of(const PGresult* res, const char* what) const {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = trimmed(res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
  const bool lost = PQstatus(conn_) != CONNECTION_OK;
  return Error{std::string("store: ") + what + ": " + msg, "", 0, 0,
               lost || retryable_state(state) ? ErrorKind::Retryable : ErrorKind::Fatal};
}

Status PostgresStore::ensure_connected() {
  if (PQstatus(conn_) == CONNECTION_OK) return {};
  if (in_tx_) return Error{"store: the connection to PostgreSQL was lost in a transaction", "", 0, 0, ErrorKind::Retryable};
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK)
    return Error{"store: cannot reach PostgreSQL: " + trimmed(PQerrorMessage(conn_)), "", 0, 0, ErrorKind::Retryable};
  // A new session: no statements prepared, settings as the server's defaults.
  prepared_.clear();
  return apply_session_settings();
}

Status PostgresStore::apply_session_settings() {
  if (durability_ == Durability::Relaxed) {
    if (auto st = exec("SET synchronous_commit = off", "durability"); !st) return st;
  }
  if (!owner_.empty()) {
    std::string idle = "SET idle_in_transaction_session_timeout = " + std::to_string(2 * lease_ms_);
    if (auto st = exec(idle.c_str(), "owner"); !st) return st;
  }
  return {};
}

Status PostgresStore::exec(const char* sql, const char* what) {
  const auto start = std::chrono::steady_clock::now();
  Rows res(PQexec(conn_, sql));
  ++round_trips_;
  round_trip_us_ += std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  const ExecStatusType st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return error_of(res.get(), what);
  return {};
}

Status PostgresStore::migrate() {
  if (auto st = begin(); !st) return st;
  auto fail = [&](Error e) -> Status {
    (void)rollback();
    e.message = "store migration failed: " + e.message;
    return e;
  };
  // Runners starting together wait here for the first to migrate; the others then find the
  // schema current.
  if (auto st = exec((std::string("SELECT pg_advisory_xact_lock(") + kSchemaLock + ")").c_str(), "migration lock"); !st)
    return fail(st.error());
  if (auto st = exec("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)", "schema_version"); !st)
    return fail(st.error());
  {
    Rows res(PQexec(conn_, "SELECT version FROM schema_version"));
    if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return fail(error_of(res.get(), "schema_version"));
    version_ = res.size() > 0 ? static_cast<int>(res.int64(0, 0)) : 0;
  }
  const int latest = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);
  if (version_ > latest) {
    (void)rollback();
    return Error{"the store was written by a newer Shopflow (schema " + std::to_string(version_) + ", this one knows " +
                     std::to_string(latest) + ")",
                 "", 0, 0};
  }
  for (int v = version_; v < latest; ++v) {
    if (auto st = exec(kMigrations[v], "schema"); !st) return fail(st.error());
  }
  if (version_ < latest) {
    std::string set = version_ == 0 ? "INSERT INTO schema_version (version) VALUES (" + std::to_string(latest) + ")"
                                    : "UPDATE schema_version SET version = " + std::to_string(latest);
    if (auto st = exec(set.c_str(), "schema_version"); !st) return fail(st.error());
  }
  if (auto st = commit(); !st) return st;
  version_ = latest;
  return {};
}

Status PostgresStore::begin() {
  if (auto st = ensure_connected(); !st) return st;
  if (auto st = exec("BEGIN", "begin"); !st) return st;
  in_tx_ = true;
  return {};
}

Status PostgresStore::commit() {
  Rows res(PQexec(conn_, "COMMIT"));
  in_tx_ = false;
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) return error_of(res.get(), "commit");
  // COMMIT of a transaction that an error aborted succeeds as a ROLLBACK.
  if (std::strcmp(PQcmdStatus(res.get()), "ROLLBACK") == 0)
    return Error{"store: commit: the transaction had failed and was rolled back", "", 0, 0};
  return {};
}

Status PostgresStore::rollback() {
  if (!in_tx_) return {};
  in_tx_ = false;
  // A lost connection took its transaction with it.
  if (PQstatus(conn_) != CONNECTION_OK) return {};
  return exec("ROLLBACK", "rollback");
}

Status PostgresStore::set_durability(Durability d) {
  if (d == durability_) return {};
  if (auto st = ensure_connected(); !st) return st;
  if (auto st = exec(d == Durability::Full ? "SET synchronous_commit = on" : "SET synchronous_commit = off", "durability");
      !st)
    return st;
  durability_ = d;
  return {};
}

Result<std::optional<std::string>> PostgresStore::meta_get(const std::string& key) {
  auto r = Query(*this, "SELECT value FROM meta WHERE key = $1").arg(key).run("meta");
  if (!r) return r.error();
  if (r.value().size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(r.value().text(0, 0));
}

Status PostgresStore::meta_set(const std::string& key, const std::string& value) {
  auto r = Query(*this, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
               .arg(key)
               .arg(value)
               .run("meta");
  if (!r) return r.error();
  return {};
}

Result<bool> PostgresStore::meta_insert(const std::string& key, const std::string& value) {
  auto r = Query(*this, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING").arg(key).arg(value).run("meta");
  if (!r) return r.error();
  return r.value().changed() > 0;
}

Result<bool> PostgresStore::inbox_insert(const InboxRow& row) {
  auto r = Query(*this, "INSERT INTO inbox (id, type, time_ms, body, depth, processed, received_ms) VALUES ($1, $2, $3, "
                        "$4, $5, $6, $7) ON CONFLICT (id) DO NOTHING")
               .arg(row.id)
               .arg(row.type)
               .arg(std::int64_t{row.time})
               .arg(row.body)
               .arg(static_cast<std::int64_t>(row.depth))
               .arg(row.processed)
               .arg(std::int64_t{row.received})
               .run("inbox");
  if (!r) return r.error();
  return r.value().changed() > 0;
}

Result<std::vector<InboxRow>> PostgresStore::inbox_pending(size_t limit) {
  auto r = Query(*this, "SELECT seq, id, type, time_ms, body, depth, received_ms FROM inbox WHERE NOT processed ORDER BY "
                        "seq LIMIT $1")
               .arg(sql_limit(limit))
               .run("inbox");
  if (!r) return r.error();
  const Rows& q = r.value();
  std::vector<InboxRow> out;
  out.reserve(static_cast<size_t>(q.size()));
  for (int i = 0; i < q.size(); ++i) {
    InboxRow row;
    row.seq = q.int64(i, 0);
    row.id = q.text(i, 1);
    row.type = q.text(i, 2);
    row.time = q.int64(i, 3);
    row.body = q.text(i, 4);
    row.depth = static_cast<int>(q.int64(i, 5));
    row.received = q.int64(i, 6);
    out.push_back(std::move(row));
  }
  return out;
}

Status PostgresStore::inbox_mark_processed(std::int64_t seq, std::int64_t epoch) {
  auto r = epoch > 0 ? Query(*this, "UPDATE inbox SET processed = true, lease_until = NULL WHERE seq = $1 AND epoch = $2")
                           .arg(seq)
                           .arg(epoch)
                           .run("inbox")
                     : Query(*this, "UPDATE inbox SET processed = true, lease_until = NULL WHERE seq = $1").arg(seq).run("inbox");
  if (!r) return r.error();
  if (epoch > 0 && r.value().changed() == 0) return lease_lost("inbox event", seq, "");
  return {};
}

// A claim: the rows a materialized CTE picks (FOR UPDATE SKIP LOCKED: none that another
// transaction holds, and never more than its LIMIT whatever the plan) get this owner, a lease
// and the next epoch. `taken_over`: the row had a lease of another owner's, which ran out.
#define SHOPFLOW_CLAIMABLE "(lease_until IS NULL OR lease_until < clock_timestamp())"
#define SHOPFLOW_TAKEN_OVER "(lease_until IS NOT NULL AND owner <> $2) AS taken_over"

Result<std::vector<InboxRow>> PostgresStore::inbox_claim(size_t limit) {
  auto r = Query(*this, "WITH picked AS MATERIALIZED (SELECT seq, " SHOPFLOW_TAKEN_OVER " FROM inbox "
                        "WHERE NOT processed AND " SHOPFLOW_CLAIMABLE " ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED) "
                        "UPDATE inbox i SET owner = $2, lease_until = clock_timestamp() + $3::float8 * interval '1 millisecond', "
                        "epoch = i.epoch + 1 FROM picked WHERE i.seq = picked.seq "
                        "RETURNING i.seq, i.id, i.type, i.time_ms, i.body, i.depth, i.epoch, picked.taken_over, i.received_ms")
               .arg(sql_limit(limit))
               .arg(owner_)
               .arg(std::int64_t{lease_ms_})
               .run("inbox");
  if (!r) return r.error();
  const Rows& q = r.value();
  std::vector<InboxRow> out(static_cast<size_t>(q.size()));
  for (int i = 0; i < q.size(); ++i) {
    InboxRow& row = out[static_cast<size_t>(i)];
    row.seq = q.int64(i, 0);
    row.id = q.text(i, 1);
    row.type = q.text(i, 2);
    row.time = q.int64(i, 3);
    row.body = q.text(i, 4);
    row.depth = static_cast<int>(q.int64(i, 5));
    row.epoch = q.int64(i, 6);
    if (q.view(i, 7) == "t") ++takeovers_;
    row.received = q.int64(i, 8);
  }
  claims_ += q.size();
  // RETURNING keeps no order.
  std::sort(out.begin(), out.end(), [](const InboxRow& a, const InboxRow& b) { return a.seq < b.seq; });
  return out;
}

Result<std::int64_t> PostgresStore::inbox_count(bool only_pending) {
  auto r = Query(*this, only_pending ? "SELECT count(*) FROM inbox WHERE NOT processed" : "SELECT count(*) FROM inbox")
               .run("inbox");
  if (!r) return r.error();
  return r.value().int64(0, 0);
}

Result<size_t> PostgresStore::inbox_rekey(
    const std::string& marker, const std::function<std::optional<std::string>(std::string_view, std::string_view)>& key) {
  if (auto st = begin(); !st) return st.error();
  auto fail = [&](Error e) -> Result<size_t> {
    (void)rollback();
    return e;
  };
  // Runners starting together: one re-keys, the others then find the marker.
  if (auto st = exec((std::string("SELECT pg_advisory_xact_lock(") + kSchemaLock + ")").c_str(), "inbox"); !st)
    return fail(st.error());
  auto done = meta_get(marker);
  if (!done) return fail(done.error());
  if (done.value()) {
    if (auto st = commit(); !st) return st.error();
    return size_t{0};
  }
  std::vector<std::pair<std::int64_t, std::string>> changes;
  {
    auto r = Query(*this, "SELECT seq, id, body FROM inbox WHERE depth = 0 ORDER BY seq").run("inbox");
    if (!r) return fail(r.error());
    const Rows& q = r.value();
    for (int i = 0; i < q.size(); ++i) {
      auto k = key(q.view(i, 1), q.view(i, 2));
      if (k && *k != q.view(i, 1)) changes.emplace_back(q.int64(i, 0), std::move(*k));
    }
  }
  // Two passes, so that no new key meets an old one not yet changed.
  for (bool final : {false, true}) {
    for (const auto& [seq, k] : changes) {
      Query q(*this, final ? "UPDATE inbox SET id = $2 WHERE seq = $1" : "UPDATE inbox SET id = chr(1) || seq::text WHERE seq = $1");
      q.arg(seq);
      if (final) q.arg(k);
      if (auto r = q.run("inbox"); !r) return fail(r.error());
    }
  }
  if (auto st = meta_set(marker, "1"); !st) return fail(st.error());
  if (auto st = commit(); !st) return st.error();
  return changes.size();
}

#define SHOPFLOW_RUN_COLUMNS \
  "seq, id, workflow, event_id, status, started_ms, updated_ms, error, error_step, wait_event, state, " \
  "coalesce(wait_key, ''), steps, bundle_version"

namespace {
template <class Rows>
void read_run(const Rows& q, int i, RunRow* r) {
  r->seq = q.int64(i, 0);
  r->id = q.text(i, 1);
  r->workflow = q.text(i, 2);
  r->event_id = q.text(i, 3);
  r->status = q.text(i, 4);
  r->started = q.int64(i, 5);
  r->updated = q.int64(i, 6);
  r->error = q.text(i, 7);
  r->error_step = q.text(i, 8);
  r->wait_event = q.text(i, 9);
  r->state = q.text(i, 10);
  r->wait_key = q.text(i, 11);
  r->steps = q.text(i, 12);
  r->bundle_version = q.text(i, 13);
}
}  // namespace

Status PostgresStore::run_put(RunRow& r, bool with_steps) {
  static const std::string kNoSteps;
  Query q(*this,
          "INSERT INTO runs (id, workflow, event_id, status, started_ms, updated_ms, error, error_step, wait_event, "
          "state, wait_key, steps, bundle_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULLIF($11, ''), "
          "$12, $13) ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_ms = excluded.updated_ms, "
          "error = excluded.error, error_step = excluded.error_step, wait_event = excluded.wait_event, "
          "state = excluded.state, wait_key = excluded.wait_key, steps = excluded.steps, "
          "bundle_version = excluded.bundle_version RETURNING seq");
  q.arg(r.id).arg(r.workflow).arg(r.event_id).arg(r.status).arg(std::int64_t{r.started}).arg(std::int64_t{r.updated});
  q.arg(r.error).arg(r.error_step).arg(r.wait_event).arg(r.state).arg(r.wait_key);
  q.arg(with_steps ? r.steps : kNoSteps).arg(r.bundle_version);
  auto res = q.run("runs");
  if (!res) return res.error();
  if (r.seq == 0 && res.value().size() > 0) r.seq = res.value().int64(0, 0);
  return {};
}

Result<std::optional<RunRow>> PostgresStore::run_get(const std::string& id) {
  auto r = Query(*this, in_tx_ ? "SELECT " SHOPFLOW_RUN_COLUMNS " FROM runs WHERE id = $1 FOR UPDATE"
                               : "SELECT " SHOPFLOW_RUN_COLUMNS " FROM runs WHERE id = $1")
               .arg(id)
               .run("runs");
  if (!r) return r.error();
  if (r.value().size() == 0) return std::optional<RunRow>();
  RunRow row;
  read_run(r.value(), 0, &row);
  return std::optional<RunRow>(std::move(row));
}

Result<bool> PostgresStore::run_exists(const std::string& id) {
  auto r = Query(*this, "SELECT 1 FROM runs WHERE id = $1").arg(id).run("runs");
  if (!r) return r.error();
  return r.value().size() > 0;
}

Result<std::vector<RunRow>> PostgresStore::runs_waiting_for(const std::string& event_type,
                                                            const std::vector<std::string>* keys) {
  std::string array;
  Query q(*this, keys ? "SELECT " SHOPFLOW_RUN_COLUMNS " FROM runs WHERE wait_event = $1 AND wait_event <> '' AND "
                        "(wait_key IS NULL OR wait_key = ANY ($2::text[])) ORDER BY seq FOR UPDATE"
                      : "SELECT " SHOPFLOW_RUN_COLUMNS " FROM runs WHERE wait_event = $1 AND wait_event <> '' "
                        "ORDER BY seq FOR UPDATE");
  q.arg(event_type);
  if (keys) {
    array = text_array(*keys);
    q.arg(array);
  }
  auto r = q.run("runs");
  if (!r) return r.error();
  std::vector<RunRow> out(static_cast<size_t>(r.value().size()));
  for (int i = 0; i < r.value().size(); ++i) read_run(r.value(), i, &out[static_cast<size_t>(i)]);
  return out;
}

Result<std::vector<std::string>> PostgresStore::waiting_event_types() {
  auto r = Query(*this, "SELECT DISTINCT wait_event FROM runs WHERE wait_event <> ''").run("runs");
  if (!r) return r.error();
  std::vector<std::string> out;
  for (int i = 0; i < r.value().size(); ++i) out.push_back(r.value().text(i, 0));
  return out;
}

Status PostgresStore::runs_forget_wait_keys() {
  auto r = Query(*this, "UPDATE runs SET wait_key = NULL WHERE wait_key IS NOT NULL").run("runs");
  if (!r) return r.error();
  return {};
}

Result<std::vector<RunRow>> PostgresStore::runs(size_t limit, std::int64_t after) {
  auto r = Query(*this, "SELECT " SHOPFLOW_RUN_COLUMNS " FROM runs WHERE seq > $2 ORDER BY seq LIMIT $1")
               .arg(sql_limit(limit))
               .arg(after)
               .run("runs");
  if (!r) return r.error();
  std::vector<RunRow> out(static_cast<size_t>(r.value().size()));
  for (int i = 0; i < r.value().size(); ++i) read_run(r.value(), i, &out[static_cast<size_t>(i)]);
  return out;
}

Result<size_t> PostgresStore::each_run(std::int64_t after, size_t limit, bool with_steps,
                                       const std::function<void(const RunView&)>& fn) {
  const char* sql = with_steps ? "SELECT seq, id, workflow, event_id, status, started_ms, updated_ms, error, error_step, "
                                 "wait_event, steps FROM runs WHERE seq > $2 ORDER BY seq LIMIT $1"
                               : "SELECT seq, id, workflow, event_id, status, started_ms, updated_ms, error, error_step, "
                                 "wait_event, '' FROM runs WHERE seq > $2 ORDER BY seq LIMIT $1";
  auto r = Query(*this, sql).arg(sql_limit(limit)).arg(after).run("runs");
  if (!r) return r.error();
  const Rows& q = r.value();
  RunView v;
  for (int i = 0; i < q.size(); ++i) {
    v.seq = q.int64(i, 0);
    v.id = q.view(i, 1);
    v.workflow = q.view(i, 2);
    v.event_id = q.view(i, 3);
    v.status = q.view(i, 4);
    v.started = q.int64(i, 5);
    v.updated = q.int64(i, 6);
    v.error = q.view(i, 7);
    v.error_step = q.view(i, 8);
    v.wait_event = q.view(i, 9);
    v.steps = q.view(i, 10);
    fn(v);
  }
  return static_cast<size_t>(q.size());
}

Result<std::vector<RunCount>> PostgresStore::run_counts() {
  auto r = Query(*this, "SELECT workflow, status, count(*) FROM runs GROUP BY workflow, status ORDER BY workflow, status")
               .run("runs");
  if (!r) return r.error();
  std::vector<RunCount> out;
  for (int i = 0; i < r.value().size(); ++i)
    out.push_back(RunCount{r.value().text(i, 0), r.value().text(i, 1), r.value().int64(i, 2)});
  return out;
}

Status PostgresStore::timer_add(TimerRow& t) {
  auto r = Query(*this, "INSERT INTO timers (due_ms, kind, run_id, workflow, path) VALUES ($1, $2, $3, $4, $5) RETURNING seq")
               .arg(std::int64_t{t.due})
               .arg(t.kind)
               .arg(t.run_id)
               .arg(t.workflow)
               .arg(t.path)
               .run("timers");
  if (!r) return r.error();
  t.seq = r.value().int64(0, 0);
  return {};
}

Result<std::optional<TimerRow>> PostgresStore::timer_next() {
  auto r = Query(*this, "SELECT seq, due_ms, kind, run_id, workflow, path FROM timers ORDER BY due_ms, seq LIMIT 1")
               .run("timers");
  if (!r) return r.error();
  const Rows& q = r.value();
  if (q.size() == 0) return std::optional<TimerRow>();
  TimerRow t;
  t.seq = q.int64(0, 0);
  t.due = q.int64(0, 1);
  t.kind = q.text(0, 2);
  t.run_id = q.text(0, 3);
  t.workflow = q.text(0, 4);
  t.path = q.text(0, 5);
  return std::optional<TimerRow>(std::move(t));
}

Result<std::optional<TimerRow>> PostgresStore::timer_claim(Millis now) {
  auto r = Query(*this, "WITH picked AS MATERIALIZED (SELECT seq, " SHOPFLOW_TAKEN_OVER " FROM timers "
                        "WHERE due_ms <= $1 AND " SHOPFLOW_CLAIMABLE " ORDER BY due_ms, seq LIMIT 1 FOR UPDATE SKIP LOCKED) "
                        "UPDATE timers t SET owner = $2, lease_until = clock_timestamp() + $3::float8 * interval '1 millisecond', "
                        "epoch = t.epoch + 1 FROM picked WHERE t.seq = picked.seq "
                        "RETURNING t.seq, t.due_ms, t.kind, t.run_id, t.workflow, t.path, t.epoch, picked.taken_over")
               .arg(std::int64_t{now})
               .arg(owner_)
               .arg(std::int64_t{lease_ms_})
               .run("timers");
  if (!r) return r.error();
  const Rows& q = r.value();
  if (q.size() == 0) return std::optional<TimerRow>();
  TimerRow t;
  t.seq = q.int64(0, 0);
  t.due = q.int64(0, 1);
  t.kind = q.text(0, 2);
  t.run_id = q.text(0, 3);
  t.workflow = q.text(0, 4);
  t.path = q.text(0, 5);
  t.epoch = q.int64(0, 6);
  if (q.view(0, 7) == "t") ++takeovers_;
  ++claims_;
  return std::optional<TimerRow>(std::move(t));
}

Status PostgresStore::timer_delete(std::int64_t seq, std::int64_t epoch) {
  auto r = epoch > 0 ? Query(*this, "DELETE FROM timers WHERE seq = $1 AND epoch = $2").arg(seq).arg(epoch).run("timers")
                     : Query(*this, "DELETE FROM timers WHERE seq = $1").arg(seq).run("timers");
  if (!r) return r.error();
  if (epoch > 0 && r.value().changed() == 0) return lease_lost("timer", seq, "");
  return {};
}

Result<bool> PostgresStore::schedule_tick(const std::string& workflow, Millis tick) {
  // Ticks a week older than this one can no longer come again: they go in the same statement.
  auto r = Query(*this, "WITH gone AS (DELETE FROM schedule_ticks WHERE workflow = $1 AND tick_ms < $2::bigint - 604800000) "
                        "INSERT INTO schedule_ticks (workflow, tick_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING")
               .arg(workflow)
               .arg(std::int64_t{tick})
               .run("schedule_ticks");
  if (!r) return r.error();
  return r.value().changed() > 0;
}

Status PostgresStore::timers_delete_for_run(const std::string& run_id) {
  auto r = Query(*this, "DELETE FROM timers WHERE run_id = $1 AND kind = 'wait'").arg(run_id).run("timers");
  if (!r) return r.error();
  return {};
}

Result<bool> PostgresStore::schedule_timer_exists(const std::string& workflow) {
  auto r = Query(*this, "SELECT 1 FROM timers WHERE kind = 'schedule' AND workflow = $1 LIMIT 1").arg(workflow).run("timers");
  if (!r) return r.error();
  return r.value().size() > 0;
}

#define SHOPFLOW_EFFECT_COLUMNS \
  "seq, id, run_id, path, type, params, status, attempts, created_ms, next_attempt_ms, last_error"

namespace {
template <class Rows>
void read_effect(const Rows& q, int i, EffectRow* e) {
  e->seq = q.int64(i, 0);
  e->id = q.text(i, 1);
  e->run_id = q.text(i, 2);
  e->path = q.text(i, 3);
  e->type = q.text(i, 4);
  e->params = q.text(i, 5);
  e->status = q.text(i, 6);
  e->attempts = static_cast<int>(q.int64(i, 7));
  e->created = q.int64(i, 8);
  e->next_attempt = q.int64(i, 9);
  e->last_error = q.text(i, 10);
}

template <class Rows>
std::vector<EffectRow> effect_rows(const Rows& q) {
  std::vector<EffectRow> out(static_cast<size_t>(q.size()));
  for (int i = 0; i < q.size(); ++i) read_effect(q, i, &out[static_cast<size_t>(i)]);
  return out;
}
}  // namespace

Result<bool> PostgresStore::effect_insert(EffectRow& e) {
  Query q(*this, "INSERT INTO outbox (id, run_id, path, type, params, status, attempts, created_ms, next_attempt_ms, "
                 "last_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING RETURNING seq");
  q.arg(e.id).arg(e.run_id).arg(e.path).arg(e.type).arg(e.params).arg(e.status);
  q.arg(static_cast<std::int64_t>(e.attempts)).arg(std::int64_t{e.created}).arg(std::int64_t{e.next_attempt}).arg(e.last_error);
  auto r = q.run("outbox");
  if (!r) return r.error();
  if (r.value().size() == 0) return false;
  e.seq = r.value().int64(0, 0);
  return true;
}

Result<std::vector<EffectRow>> PostgresStore::effects(size_t limit, std::int64_t after) {
  auto r = Query(*this, "SELECT " SHOPFLOW_EFFECT_COLUMNS " FROM outbox WHERE seq > $2 ORDER BY seq LIMIT $1")
               .arg(sql_limit(limit))
               .arg(after)
               .run("outbox");
  if (!r) return r.error();
  return effect_rows(r.value());
}

Result<std::vector<EffectRow>> PostgresStore::effects_pending(Millis now, size_t limit) {
  auto r = Query(*this, "SELECT " SHOPFLOW_EFFECT_COLUMNS " FROM outbox WHERE status = 'pending' AND next_attempt_ms <= $1 "
                        "ORDER BY next_attempt_ms, seq LIMIT $2")
               .arg(std::int64_t{now})
               .arg(sql_limit(limit))
               .run("outbox");
  if (!r) return r.error();
  return effect_rows(r.value());
}

Result<std::vector<EffectRow>> PostgresStore::effects_claim(Millis now, size_t limit) {
  auto r = Query(*this, "WITH picked AS MATERIALIZED (SELECT seq, (lease_until IS NOT NULL AND owner <> $3) AS taken_over "
                        "FROM outbox WHERE status = 'pending' AND next_attempt_ms <= $1 AND " SHOPFLOW_CLAIMABLE
                        " ORDER BY next_attempt_ms, seq LIMIT $2 FOR UPDATE SKIP LOCKED) "
                        "UPDATE outbox o SET owner = $3, lease_until = clock_timestamp() + $4::float8 * interval '1 millisecond', "
                        "epoch = o.epoch + 1 FROM picked WHERE o.seq = picked.seq RETURNING o.seq, o.id, o.run_id, o.path, "
                        "o.type, o.params, o.status, o.attempts, o.created_ms, o.next_attempt_ms, o.last_error, o.epoch, "
                        "picked.taken_over")
               .arg(std::int64_t{now})
               .arg(sql_limit(limit))
               .arg(owner_)
               .arg(std::int64_t{lease_ms_})
               .run("outbox");
  if (!r) return r.error();
  const Rows& q = r.value();
  std::vector<EffectRow> out = effect_rows(q);
  for (int i = 0; i < q.size(); ++i) {
    out[static_cast<size_t>(i)].epoch = q.int64(i, 11);
    if (q.view(i, 12) == "t") ++takeovers_;
  }
  claims_ += q.size();
  std::sort(out.begin(), out.end(), [](const EffectRow& a, const EffectRow& b) {
    return a.next_attempt != b.next_attempt ? a.next_attempt < b.next_attempt : a.seq < b.seq;
  });
  return out;
}

Result<size_t> PostgresStore::each_effect(std::int64_t after, size_t limit,
                                          const std::function<void(const EffectView&)>& fn) {
  auto r = Query(*this, "SELECT seq, id, run_id, path, type, params, created_ms FROM outbox WHERE seq > $2 ORDER BY seq "
                        "LIMIT $1")
               .arg(sql_limit(limit))
               .arg(after)
               .run("outbox");
  if (!r) return r.error();
  const Rows& q = r.value();
  EffectView v;
  for (int i = 0; i < q.size(); ++i) {
    v.seq = q.int64(i, 0);
    v.id = q.view(i, 1);
    v.run_id = q.view(i, 2);
    v.path = q.view(i, 3);
    v.type = q.view(i, 4);
    v.params = q.view(i, 5);
    v.created = q.int64(i, 6);
    fn(v);
  }
  return static_cast<size_t>(q.size());
}

Result<std::vector<EffectRow>> PostgresStore::effects_dead(size_t limit, std::int64_t after) {
  auto r = Query(*this, "SELECT " SHOPFLOW_EFFECT_COLUMNS " FROM outbox WHERE status = 'dead' AND seq > $2 ORDER BY seq "
                        "LIMIT $1")
               .arg(sql_limit(limit))
               .arg(after)
               .run("outbox");
  if (!r) return r.error();
  return effect_rows(r.value());
}

Result<std::optional<EffectRow>> PostgresStore::effect_get(const std::string& id) {
  auto r = Query(*this, "SELECT " SHOPFLOW_EFFECT_COLUMNS " FROM outbox WHERE id = $1").arg(id).run("outbox");
  if (!r) return r.error();
  if (r.value().size() == 0) return std::optional<EffectRow>();
  EffectRow e;
  read_effect(r.value(), 0, &e);
  return std::optional<EffectRow>(std::move(e));
}

Result<std::int64_t> PostgresStore::effects_dead_count() {
  auto r = Query(*this, "SELECT count(*) FROM outbox WHERE status = 'dead'").run("outbox");
  if (!r) return r.error();
  return r.value().int64(0, 0);
}

Result<std::int64_t> PostgresStore::effects_count() {
  auto r = Query(*this, "SELECT count(*) FROM outbox").run("outbox");
  if (!r) return r.error();
  return r.value().int64(0, 0);
}

Result<bool> PostgresStore::effect_update(const std::string& id, const std::string& status, bool count_attempt,
                                          Millis next_attempt, const std::string& last_error, std::int64_t epoch) {
  Query q(*this, epoch > 0 ? "UPDATE outbox SET status = $2, attempts = attempts + $3, next_attempt_ms = $4, "
                             "last_error = $5, lease_until = NULL WHERE id = $1 AND epoch = $6"
                           : "UPDATE outbox SET status = $2, attempts = attempts + $3, next_attempt_ms = $4, "
                             "last_error = $5, lease_until = NULL WHERE id = $1");
  q.arg(id).arg(status).arg(static_cast<std::int64_t>(count_attempt ? 1 : 0)).arg(std::int64_t{next_attempt}).arg(last_error);
  if (epoch > 0) q.arg(epoch);
  auto r = q.run("outbox");
  if (!r) return r.error();
  if (epoch > 0 && r.value().changed() == 0) return lease_lost("effect", 0, id);
  return r.value().changed() > 0;
}

Result<std::optional<std::string>> PostgresStore::row_get(const std::string& table, const std::string& key) {
  auto r = Query(*this, "SELECT value FROM rows WHERE tbl = $1 AND key = $2").arg(table).arg(key).run("rows");
  if (!r) return r.error();
  if (r.value().size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(r.value().text(0, 0));
}

Status PostgresStore::row_put(const std::string& table, const std::string& key, const std::string& value) {
  auto r = Query(*this, "INSERT INTO rows (tbl, key, value) VALUES ($1, $2, $3) "
                        "ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value")
               .arg(table)
               .arg(key)
               .arg(value)
               .run("rows");
  if (!r) return r.error();
  return {};
}

Status PostgresStore::row_delete(const std::string& table, const std::string& key) {
  auto r = Query(*this, "DELETE FROM rows WHERE tbl = $1 AND key = $2").arg(table).arg(key).run("rows");
  if (!r) return r.error();
  return {};
}

Result<std::vector<TableRow>> PostgresStore::rows(const std::string& table) {
  auto r = Query(*this, "SELECT tbl, key, value FROM rows WHERE tbl = $1 OR $1 = '' ORDER BY tbl, key").arg(table).run("rows");
  if (!r) return r.error();
  std::vector<TableRow> out;
  for (int i = 0; i < r.value().size(); ++i)
    out.push_back(TableRow{r.value().text(i, 0), r.value().text(i, 1), r.value().text(i, 2)});
  return out;
}

Error PostgresStore::lease_lost(const char* what, std::int64_t seq, const std::string& id) {
  ++leases_lost_;
  return Error{std::string("store: ") + what + " " + (id.empty() ? std::to_string(seq) : id) +
                   ": the claim on it has passed to another owner",
               "", 0, 0, ErrorKind::LeaseLost};
}

Status PostgresStore::set_owner(const std::string& owner, Millis lease_ms) {
  owner_ = owner;
  lease_ms_ = lease_ms > 0 ? lease_ms : 30000;
  if (auto st = ensure_connected(); !st) return st;
  return apply_session_settings();
}

Result<std::int64_t> PostgresStore::renew_leases() {
  auto r = Query(*this,
                 "WITH i AS (UPDATE inbox SET lease_until = clock_timestamp() + $2::float8 * interval '1 millisecond' "
                 "WHERE owner = $1 AND lease_until IS NOT NULL RETURNING 1), "
                 "t AS (UPDATE timers SET lease_until = clock_timestamp() + $2::float8 * interval '1 millisecond' "
                 "WHERE owner = $1 AND lease_until IS NOT NULL RETURNING 1), "
                 "o AS (UPDATE outbox SET lease_until = clock_timestamp() + $2::float8 * interval '1 millisecond' "
                 "WHERE owner = $1 AND lease_until IS NOT NULL RETURNING 1) "
                 "SELECT (SELECT count(*) FROM i) + (SELECT count(*) FROM t) + (SELECT count(*) FROM o)")
               .arg(owner_)
               .arg(std::int64_t{lease_ms_})
               .run("leases");
  if (!r) return r.error();
  return r.value().int64(0, 0);
}

Status PostgresStore::release_leases() {
  auto r = Query(*this,
                 "WITH i AS (UPDATE inbox SET lease_until = NULL WHERE owner = $1 AND lease_until IS NOT NULL), "
                 "t AS (UPDATE timers SET lease_until = NULL WHERE owner = $1 AND lease_until IS NOT NULL) "
                 "UPDATE outbox SET lease_until = NULL WHERE owner = $1 AND lease_until IS NOT NULL")
               .arg(owner_)
               .run("leases");
  if (!r) return r.error();
  return {};
}

// [SECTION] The runner's API: its reads and the bundle versions.

// When an event counts as received: its received_ms, or its own time for a row from before.
#define SHOPFLOW_PG_RECEIVED "(CASE WHEN received_ms <> 0 THEN received_ms ELSE time_ms END)"
#define SHOPFLOW_PG_INBOX_OUTSIDE                                                                            \
  " FROM inbox WHERE depth = 0 AND seq > $2 AND " SHOPFLOW_PG_RECEIVED " >= $3 AND " SHOPFLOW_PG_RECEIVED \
  " < $4 AND ($5::text = '' OR type = $5::text) ORDER BY seq"

Result<std::vector<InboxRow>> PostgresStore::inbox_outside(const InboxQuery& f, std::int64_t after, size_t limit) {
  auto r = Query(*this, "SELECT seq, id, type, time_ms, body, processed, " SHOPFLOW_PG_RECEIVED SHOPFLOW_PG_INBOX_OUTSIDE
                        " LIMIT $1")
               .arg(sql_limit(limit))
               .arg(after)
               .arg(std::int64_t{f.since})
               .arg(std::int64_t{f.until})
               .arg(f.type)
               .run("inbox");
  if (!r) return r.error();
  const Rows& q = r.value();
  std::vector<InboxRow> out(static_cast<size_t>(q.size()));
  for (int i = 0; i < q.size(); ++i) {
    InboxRow& row = out[static_cast<size_t>(i)];
    row.seq = q.int64(i, 0);
    row.id = q.text(i, 1);
    row.type = q.text(i, 2);
    row.time = q.int64(i, 3);
    row.body = q.text(i, 4);
    row.processed = q.view(i, 5) == "t";
    row.received = q.int64(i, 6);
  }
  return out;
}

Result<std::vector<std::int64_t>> PostgresStore::inbox_outside_seqs(const InboxQuery& f, std::int64_t after, size_t skip,
                                                                    size_t count) {
  auto r = Query(*this, "SELECT seq" SHOPFLOW_PG_INBOX_OUTSIDE " LIMIT $1 OFFSET $6")
               .arg(sql_limit(count))
               .arg(after)
               .arg(std::int64_t{f.since})
               .arg(std::int64_t{f.until})
               .arg(f.type)
               .arg(sql_limit(skip))
               .run("inbox");
  if (!r) return r.error();
  std::vector<std::int64_t> out;
  for (int i = 0; i < r.value().size(); ++i) out.push_back(r.value().int64(i, 0));
  return out;
}

Result<std::optional<std::string>> PostgresStore::inbox_body(const std::string& id) {
  auto r = Query(*this, "SELECT body FROM inbox WHERE id = $1").arg(id).run("inbox");
  if (!r) return r.error();
  if (r.value().size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(r.value().text(0, 0));
}

Result<std::vector<RunRow>> PostgresStore::runs_matching(const RunQuery& f, std::int64_t after, size_t limit) {
  auto r = Query(*this, "SELECT seq, id, workflow, event_id, status, started_ms, updated_ms, error, error_step, wait_event, "
                        "'', coalesce(wait_key, ''), '', bundle_version FROM runs WHERE seq > $2 AND started_ms >= $3 AND "
                        "started_ms < $4 AND ($5::text = '' OR workflow = $5::text) ORDER BY seq LIMIT $1")
               .arg(sql_limit(limit))
               .arg(after)
               .arg(std::int64_t{f.since})
               .arg(std::int64_t{f.until})
               .arg(f.workflow)
               .run("runs");
  if (!r) return r.error();
  std::vector<RunRow> out(static_cast<size_t>(r.value().size()));
  for (int i = 0; i < r.value().size(); ++i) read_run(r.value(), i, &out[static_cast<size_t>(i)]);
  return out;
}

Result<std::vector<EffectRow>> PostgresStore::effects_of_run(const std::string& run_id, std::int64_t after, size_t limit) {
  auto r = Query(*this, "SELECT " SHOPFLOW_EFFECT_COLUMNS
                        " FROM outbox WHERE seq > $2 AND ($3::text = '' OR run_id = $3::text) ORDER BY seq LIMIT $1")
               .arg(sql_limit(limit))
               .arg(after)
               .arg(run_id)
               .run("outbox");
  if (!r) return r.error();
  return effect_rows(r.value());
}

Result<std::string> PostgresStore::meta_get_or_set(const std::string& key, const std::string& value) {
  auto set = Query(*this, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                 .arg(key)
                 .arg(value)
                 .run("meta");
  if (!set) return set.error();
  auto got = meta_get(key);
  if (!got) return got.error();
  if (!got.value()) return Error{"store: meta " + key + " vanished as it was set", "", 0, 0};
  return *got.value();
}

Status PostgresStore::bundle_version_add(const std::string& version, const std::string& text, Millis at,
                                         const std::string& source) {
  auto kept = Query(*this, "INSERT INTO bundle_texts (version, body) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING")
                  .arg(version)
                  .arg(text)
                  .run("bundle_texts");
  if (!kept) return kept.error();
  auto r = Query(*this, "INSERT INTO bundle_history (version, deployed_ms, source) VALUES ($1, $2, $3)")
               .arg(version)
               .arg(std::int64_t{at})
               .arg(source)
               .run("bundle_history");
  if (!r) return r.error();
  return {};
}

StoreCounters PostgresStore::counters() const {
  StoreCounters c;
  c.claims = claims_;
  c.takeovers = takeovers_;
  c.leases_lost = leases_lost_;
  c.round_trips = round_trips_;
  c.round_trip_us = round_trip_us_;
  return c;
}

Result<std::optional<std::string>> PostgresStore::bundle_text(const std::string& version) {
  auto r = Query(*this, "SELECT body FROM bundle_texts WHERE version = $1").arg(version).run("bundle_texts");
  if (!r) return r.error();
  if (r.value().size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(r.value().text(0, 0));
}

Result<std::vector<BundleVersionRow>> PostgresStore::bundle_history(size_t limit) {
  auto r = Query(*this, "SELECT seq, version, deployed_ms, source FROM bundle_history ORDER BY seq DESC LIMIT $1")
               .arg(sql_limit(limit))
               .run("bundle_history");
  if (!r) return r.error();
  std::vector<BundleVersionRow> out;
  for (int i = 0; i < r.value().size(); ++i) {
    out.push_back(BundleVersionRow{r.value().int64(i, 0), r.value().text(i, 1), r.value().int64(i, 2), r.value().text(i, 3)});
  }
  return out;
}

// [SECTION] filter rejections

Status PostgresStore::rejection_add(FilterRejection& row) {
  auto r = Query(*this, "INSERT INTO filter_rejections (time_ms, workflow, event_id, event_type, explanation) "
                        "VALUES ($1, $2, $3, $4, $5) RETURNING seq")
               .arg(std::int64_t{row.time})
               .arg(row.workflow)
               .arg(row.event_id)
               .arg(row.event_type)
               .arg(row.explanation)
               .run("filter_rejections");
  if (!r) return r.error();
  row.seq = r.value().int64(0, 0);
  return {};
}

Result<std::vector<FilterRejection>> PostgresStore::rejections(size_t limit, std::int64_t after,
                                                               const std::string& workflow) {
  auto r = Query(*this, "SELECT seq, time_ms, workflow, event_id, event_type, explanation FROM filter_rejections "
                        "WHERE seq > $2 AND ($3 = '' OR workflow = $3) ORDER BY seq LIMIT $1")
               .arg(sql_limit(limit))
               .arg(after)
               .arg(workflow)
               .run("filter_rejections");
  if (!r) return r.error();
  std::vector<FilterRejection> out;
  for (int i = 0; i < r.value().size(); ++i) {
    FilterRejection f;
    f.seq = r.value().int64(i, 0);
    f.time = r.value().int64(i, 1);
    f.workflow = r.value().text(i, 2);
    f.event_id = r.value().text(i, 3);
    f.event_type = r.value().text(i, 4);
    f.explanation = r.value().text(i, 5);
    out.push_back(std::move(f));
  }
  return out;
}

Result<size_t> PostgresStore::rejections_prune(Millis before, size_t limit) {
  auto r = Query(*this, "DELETE FROM filter_rejections WHERE seq IN "
                        "(SELECT seq FROM filter_rejections WHERE time_ms < $1 ORDER BY time_ms LIMIT $2)")
               .arg(std::int64_t{before})
               .arg(sql_limit(limit))
               .run("filter_rejections");
  if (!r) return r.error();
  return static_cast<size_t>(r.value().changed());
}

}  // namespace shopflow
