// What only the SQLite store has: a file that keeps its state across reopening, migrations from
// the schemas older Shopflows left, and a hold (one transaction for a whole simulation). The
// contract every store keeps is in store_suite_test.cpp.
#include "shopflow/sqlite_store.hpp"

#include "shopflow/step_record.hpp"

#include <doctest/doctest.h>

#include <sqlite3.h>

#include <filesystem>

using shopflow::SqliteStore;

// Natively, stores are files too.
#ifndef __EMSCRIPTEN__
namespace {

void remove_store(const std::filesystem::path& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}

// Runs SQL on a store file behind Store's back: to build what an older version left.
void exec_raw(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.string().c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  CHECK_MESSAGE(sqlite3_exec(db, sql, nullptr, nullptr, &err) == SQLITE_OK, (err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("a file store keeps its state across reopening") {
  auto path = std::filesystem::temp_directory_path() / "shopflow-store-test.db";
  remove_store(path);
  {
    auto s = SqliteStore::open(path.string()).value();
    REQUIRE(s->begin().ok());
    CHECK(s->inbox_insert(shopflow::InboxRow{0, "evt-1", "order.created", 1, "{}", 0, false}).value());
    REQUIRE(s->commit().ok());
    REQUIRE(s->begin().ok());
    CHECK(s->inbox_insert(shopflow::InboxRow{0, "evt-2", "order.created", 1, "{}", 0, false}).value());
    REQUIRE(s->rollback().ok());
  }
  {
    auto s = SqliteStore::open(path.string()).value();
    CHECK(s->schema_version() == shopflow::kStoreSchemaVersion);
    CHECK(s->inbox_count(false).value() == 1);
  }
  remove_store(path);
}

TEST_CASE("a schema 2 store's step rows move into their runs when it opens") {
  auto path = std::filesystem::temp_directory_path() / "shopflow-store-v2.db";
  remove_store(path);
  {
    // A store as schema 2 left it: step records in a table of their own.
    auto s = SqliteStore::open(path.string()).value();
    shopflow::RunRow r;
    r.id = "w:e1";
    r.workflow = "w";
    r.event_id = "e1";
    r.status = "completed";
    r.state = "{}";
    REQUIRE(s->run_put(r).ok());
  }
  {
    const char* v2 = R"sql(
      CREATE TABLE steps (run_id TEXT NOT NULL, seq INTEGER NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL,
        time_ms INTEGER NOT NULL, input TEXT NOT NULL, output TEXT NOT NULL, verdict TEXT NOT NULL,
        explanation TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
      INSERT INTO steps VALUES ('w:e1', 2, 'check/then/mail', 'action', 1772442000000, '{"to":"a@x.com"}',
        '{"effect_id":"w:e1/check/then/mail"}', '', '');
      INSERT INTO steps VALUES ('w:e1', 1, 'check', 'if', 1772442000000, '', '{"result":true}', 'true',
        '{"op":">","result":true}');
      ALTER TABLE runs DROP COLUMN steps;
      ALTER TABLE runs DROP COLUMN bundle_version;
      DROP TABLE schedule_ticks;
      DROP TABLE bundle_texts;
      DROP TABLE bundle_history;
      ALTER TABLE inbox DROP COLUMN received_ms;
      UPDATE schema_version SET version = 2;)sql";
    exec_raw(path, v2);
  }
  {
    auto s = SqliteStore::open(path.string()).value();
    CHECK(s->schema_version() == shopflow::kStoreSchemaVersion);
    auto steps = shopflow::parse_steps("w:e1", s->run_get("w:e1").value()->steps).value();
    REQUIRE(steps.size() == 2);
    CHECK(steps[0].path == "check");
    CHECK(steps[0].verdict == "true");
    CHECK(steps[0].explanation == R"({"op":">","result":true})");
    CHECK(steps[0].input.empty());
    CHECK(steps[1].path == "check/then/mail");
    CHECK(steps[1].input == R"({"to":"a@x.com"})");
    CHECK(steps[1].output == R"({"effect_id":"w:e1/check/then/mail"})");
    CHECK(steps[1].time == 1772442000000);
    CHECK(s->runs().value()[0].steps.rfind("[{\"path\":\"check\"", 0) == 0);
  }
  remove_store(path);
}

TEST_CASE("a schema 3 store keeps its rows and their order when its tables are rebuilt") {
  auto path = std::filesystem::temp_directory_path() / "shopflow-store-v3.db";
  remove_store(path);
  {
    // The tables as schema 3 left them (AUTOINCREMENT keys, whole-table status indexes), with
    // gaps in their sequence numbers.
    const char* v3 = R"sql(
      CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (3);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE inbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
        time_ms INTEGER NOT NULL, body TEXT NOT NULL, depth INTEGER NOT NULL DEFAULT 0,
        processed INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX inbox_pending ON inbox (processed, seq);
      CREATE TABLE runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workflow TEXT NOT NULL,
        event_id TEXT NOT NULL, status TEXT NOT NULL, started_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
        error TEXT NOT NULL DEFAULT '', error_step TEXT NOT NULL DEFAULT '', wait_event TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL, wait_key TEXT, steps TEXT NOT NULL DEFAULT '');
      CREATE INDEX runs_waiting ON runs (wait_event, seq) WHERE wait_event <> '';
      CREATE INDEX runs_waiting_key ON runs (wait_event, wait_key, seq) WHERE wait_event <> '';
      CREATE TABLE timers (seq INTEGER PRIMARY KEY AUTOINCREMENT, due_ms INTEGER NOT NULL, kind TEXT NOT NULL,
        run_id TEXT NOT NULL DEFAULT '', workflow TEXT NOT NULL DEFAULT '', path TEXT NOT NULL DEFAULT '');
      CREATE INDEX timers_due ON timers (due_ms, seq);
      CREATE INDEX timers_run ON timers (run_id);
      CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, run_id TEXT NOT NULL,
        path TEXT NOT NULL, type TEXT NOT NULL, params TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, next_attempt_ms INTEGER NOT NULL,
        last_error TEXT NOT NULL DEFAULT '');
      CREATE INDEX outbox_pending ON outbox (status, next_attempt_ms, seq);
      CREATE TABLE rows (tbl TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (tbl, key)) WITHOUT ROWID;
      INSERT INTO inbox VALUES (3, 'e1', 'order.created', 1000, '{}', 0, 1), (7, 'e2', 'order.created', 2000, '{}', 0, 0);
      INSERT INTO runs (seq, id, workflow, event_id, status, started_ms, updated_ms, wait_event, state, wait_key)
        VALUES (4, 'w:e1', 'w', 'e1', 'waiting', 1000, 1000, 'order.paid', '{}', 'event.data.id=1');
      INSERT INTO outbox (seq, id, run_id, path, type, params, status, created_ms, next_attempt_ms) VALUES
        (5, 'w:e1/a', 'w:e1', 'a', 'notify', '{}', 'delivered', 1000, 1000),
        (9, 'w:e1/b', 'w:e1', 'b', 'notify', '{}', 'pending', 1000, 1000),
        (11, 'w:e1/c', 'w:e1', 'c', 'notify', '{}', 'dead', 1000, 1000);)sql";
    exec_raw(path, v3);
  }
  {
    auto s = SqliteStore::open(path.string()).value();
    CHECK(s->schema_version() == shopflow::kStoreSchemaVersion);
    auto pending = s->inbox_pending(10).value();
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].seq == 7);
    CHECK(s->inbox_count(false).value() == 2);
    // New rows come after the old ones.
    CHECK(s->inbox_insert(shopflow::InboxRow{0, "e3", "order.created", 3000, "{}", 0, false}).value());
    pending = s->inbox_pending(10).value();
    REQUIRE(pending.size() == 2);
    CHECK(pending[1].seq > 7);
    auto waiting = s->runs_waiting_for("order.paid", nullptr).value();
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].wait_key == "event.data.id=1");
    CHECK(waiting[0].bundle_version.empty());  // a run from before versions were recorded
    CHECK(s->effects_pending(1000, 10).value().size() == 1);
    CHECK(s->effects_dead_count().value() == 1);
    auto all = s->effects().value();
    REQUIRE(all.size() == 3);
    CHECK(all[2].seq == 11);
  }
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.string().c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%AUTOINCREMENT%' AND name <> 'timers'",
                               -1, &q, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(q) == SQLITE_ROW);
    CHECK(sqlite3_column_int(q, 0) == 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
  }
  remove_store(path);
}
#endif

TEST_CASE("a held store is one transaction until released; then transactions work as before") {
  auto s = SqliteStore::open(":memory:").value();
  auto put = [&](const char* id) {
    shopflow::RunRow r;
    r.id = id;
    r.workflow = "w";
    r.event_id = id;
    r.status = "completed";
    r.state = "{}";
    REQUIRE(s->run_put(r).ok());
  };
  REQUIRE(s->hold().ok());
  REQUIRE(s->begin().ok());
  put("held");
  REQUIRE(s->rollback().ok());  // inside the hold: undoes nothing
  CHECK(s->run_exists("held").value());
  REQUIRE(s->release_hold().ok());
  // A transaction of its own again: BEGIN would fail inside the held one.
  REQUIRE(s->begin().ok());
  put("after");
  REQUIRE(s->commit().ok());
  CHECK(s->run_exists("after").value());
  CHECK(s->run_exists("held").value());
}
