// The store port's contract, run against every backend: SQLite always (a file natively, memory
// in WebAssembly), PostgreSQL when SHOPFLOW_TEST_PG names a server (the CTest entry
// store.postgres starts a throwaway one with tests/support/pg_temp.sh). Each case gets an empty
// store of its own: a new file, or a new PostgreSQL schema.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shopflow/sqlite_store.hpp"
#include "shopflow/step_record.hpp"
#include "shopflow/store.hpp"
#include "store_backends.hpp"

using shopflow::Durability;
using shopflow::EffectRow;
using shopflow::InboxRow;
using shopflow::RunRow;
using shopflow::Store;
using shopflow::TimerRow;
using shopflow::test::Backend;
using shopflow::test::store_backends;

namespace {

RunRow run_row(const std::string& id, const std::string& status, const std::string& wait_event = "",
               const std::string& wait_key = "") {
  RunRow r;
  r.id = id;
  r.workflow = id.substr(0, id.find(':'));
  r.event_id = id.substr(id.find(':') + 1);
  r.status = status;
  r.started = 1000;
  r.updated = 1000;
  r.state = "{}";
  r.wait_event = wait_event;
  r.wait_key = wait_key;
  return r;
}

EffectRow effect_row(const std::string& id, shopflow::Millis next_attempt = 1000) {
  EffectRow e;
  e.id = id;
  e.run_id = id.substr(0, id.find('/'));
  e.path = id.substr(id.find('/') + 1);
  e.type = "email.send";
  e.params = R"({"to":"a@example.com"})";
  e.created = 1000;
  e.next_attempt = next_attempt;
  return e;
}

std::vector<std::string> ids_of(const std::vector<RunRow>& runs) {
  std::vector<std::string> out;
  for (const RunRow& r : runs) out.push_back(r.id);
  return out;
}

}  // namespace

TEST_SUITE_BEGIN("store suite");

TEST_CASE("a new store is migrated to its backend's current schema") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    CHECK(s->schema_version() == b.schema_version);
    CHECK(std::string(s->backend()) == b.name);
    // Opening it again migrates nothing and finds the same version.
    CHECK(b.again()->schema_version() == b.schema_version);
  }
}

TEST_CASE("meta keeps one value per key, and one connection sets a key first") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    CHECK_FALSE(s->meta_get("k").value().has_value());
    REQUIRE(s->meta_set("k", "1").ok());
    REQUIRE(s->meta_set("k", "2").ok());
    CHECK(*s->meta_get("k").value() == "2");
    CHECK_FALSE(s->meta_insert("k", "3").value());
    CHECK(*s->meta_get("k").value() == "2");
    CHECK(s->meta_insert("once", "a").value());
    if (b.shared) CHECK_FALSE(b.again()->meta_insert("once", "b").value());
    CHECK(*s->meta_get("once").value() == "a");
  }
}

TEST_CASE("the inbox keeps one event per id, in arrival order") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    InboxRow a{0, "evt-1", "order.created", 1000, R"({"n":1})", 0, false, 1500};
    InboxRow c{0, "evt-2", "order.created", 2000, "{}", 1, false};
    InboxRow handled{0, "evt-3", "order.paid", 3000, "{}", 0, true};
    CHECK(s->inbox_insert(a).value() == true);
    CHECK(s->inbox_insert(a).value() == false);
    CHECK(s->inbox_insert(c).value() == true);
    CHECK(s->inbox_insert(handled).value() == true);
    CHECK(s->inbox_insert(handled).value() == false);
    auto pending = s->inbox_pending(10).value();
    REQUIRE(pending.size() == 2);
    CHECK(pending[0].id == "evt-1");
    CHECK(pending[0].body == R"({"n":1})");
    CHECK(pending[0].time == 1000);
    CHECK(pending[0].received == 1500);
    CHECK(pending[1].id == "evt-2");
    CHECK(pending[1].depth == 1);
    CHECK(pending[0].seq < pending[1].seq);
    CHECK(s->inbox_pending(1).value().size() == 1);
    CHECK(s->inbox_mark_processed(pending[0].seq).ok());
    CHECK(s->inbox_pending(10).value().size() == 1);
    CHECK(s->inbox_count(false).value() == 3);
    CHECK(s->inbox_count(true).value() == 1);
  }
}

TEST_CASE("the inbox is re-keyed once, and a new key may take an old one's place") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    REQUIRE(s->inbox_insert(InboxRow{0, "a", "t", 1, "A", 0, true}).value());
    REQUIRE(s->inbox_insert(InboxRow{0, "b", "t", 1, "B", 0, true}).value());
    REQUIRE(s->inbox_insert(InboxRow{0, "emitted", "t", 1, "E", 1, true}).value());
    // "a" becomes "b" while "b" becomes "x/b": only right when no key meets an old one.
    auto key = [](std::string_view id, std::string_view) -> std::optional<std::string> {
      return id == "a" ? std::string("b") : "x/" + std::string(id);
    };
    CHECK(s->inbox_rekey("rekeyed", key).value() == 2);
    CHECK(s->inbox_rekey("rekeyed", key).value() == 0);
    CHECK_FALSE(s->inbox_insert(InboxRow{0, "b", "t", 1, "", 0, false}).value());
    CHECK_FALSE(s->inbox_insert(InboxRow{0, "x/b", "t", 1, "", 0, false}).value());
    CHECK_FALSE(s->inbox_insert(InboxRow{0, "emitted", "t", 1, "", 0, false}).value());
    CHECK(s->inbox_insert(InboxRow{0, "a", "t", 1, "", 0, false}).value());
  }
}

TEST_CASE("runs are replaced by id, keep their place, and record their bundle version") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    RunRow r = run_row("w:e1", "waiting", "order.paid", "event.data.id=1");
    r.steps = R"([{"path":"a","kind":"set","time":"2026-01-01T00:00:00.000Z","output":1}])";
    r.bundle_version = "1.0.0";
    REQUIRE(s->run_put(r).ok());
    CHECK(r.seq > 0);
    const auto first_seq = r.seq;
    RunRow other = run_row("w:e2", "completed");
    REQUIRE(s->run_put(other).ok());
    CHECK(other.seq > first_seq);

    r.status = "completed";
    r.wait_event = "";
    r.wait_key = "";
    r.updated = 2000;
    r.bundle_version = "1.1.0";
    REQUIRE(s->run_put(r, false).ok());
    auto got = s->run_get("w:e1").value();
    REQUIRE(got);
    CHECK(got->seq == first_seq);
    CHECK(got->status == "completed");
    CHECK(got->updated == 2000);
    CHECK(got->started == 1000);
    CHECK(got->steps.empty());  // not stored without with_steps
    CHECK(got->wait_key.empty());
    CHECK(got->bundle_version == "1.1.0");
    CHECK(s->run_exists("w:e1").value());
    CHECK_FALSE(s->run_exists("w:nope").value());
    CHECK_FALSE(s->run_get("w:nope").value().has_value());
    CHECK(ids_of(s->runs().value()) == std::vector<std::string>{"w:e1", "w:e2"});
  }
}

TEST_CASE("runs page in creation order, as rows or as views") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    for (int i = 1; i <= 5; ++i) {
      RunRow r = run_row("w:e" + std::to_string(i), i == 3 ? "failed" : "completed");
      r.steps = "[]";
      REQUIRE(s->run_put(r).ok());
    }
    auto page = s->runs(2).value();
    CHECK(ids_of(page) == std::vector<std::string>{"w:e1", "w:e2"});
    page = s->runs(2, page.back().seq).value();
    CHECK(ids_of(page) == std::vector<std::string>{"w:e3", "w:e4"});
    page = s->runs(SIZE_MAX, page.back().seq).value();
    CHECK(ids_of(page) == std::vector<std::string>{"w:e5"});

    std::vector<std::string> seen, steps;
    auto n = s->each_run(0, 3, true, [&](const shopflow::RunView& v) {
      seen.emplace_back(v.id);
      steps.emplace_back(v.steps);
    });
    CHECK(n.value() == 3);
    CHECK(seen == std::vector<std::string>{"w:e1", "w:e2", "w:e3"});
    CHECK(steps == std::vector<std::string>{"[]", "[]", "[]"});
    steps.clear();
    CHECK(s->each_run(0, 1, false, [&](const shopflow::RunView& v) { steps.emplace_back(v.steps); }).value() == 1);
    CHECK(steps == std::vector<std::string>{""});

    auto counts = s->run_counts().value();
    REQUIRE(counts.size() == 2);
    CHECK(counts[0].workflow == "w");
    CHECK(counts[0].status == "completed");
    CHECK(counts[0].count == 4);
    CHECK(counts[1].status == "failed");
    CHECK(counts[1].count == 1);
  }
}

TEST_CASE("a run's step records come back as written") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    RunRow r = run_row("w:e1", "completed");
    r.steps = R"([{"path":"check","kind":"if","time":"2026-03-02T09:00:00.000Z","output":{"result":true},)"
              R"("verdict":true,"explanation":{"op":">","result":true}},)"
              R"({"path":"check/then/mail","kind":"action","time":"2026-03-02T09:00:00.000Z","input":{"to":"a@x.com"},)"
              R"("output":{"effect_id":"w:e1/check/then/mail"}}])";
    REQUIRE(s->run_put(r).ok());
    auto steps = shopflow::parse_steps("w:e1", s->run_get("w:e1").value()->steps).value();
    REQUIRE(steps.size() == 2);
    CHECK(steps[0].seq == 1);
    CHECK(steps[0].path == "check");
    CHECK(steps[0].verdict == "true");
    CHECK(steps[0].input.empty());
    CHECK(steps[1].input == R"({"to":"a@x.com"})");
    CHECK(steps[1].time == 1772442000000);
  }
}

TEST_CASE("waiting runs are found by event type and correlation value") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    RunRow any = run_row("w:any", "waiting", "order.paid");
    RunRow one = run_row("w:one", "waiting", "order.paid", "id=1");
    RunRow two = run_row("w:two", "waiting", "order.paid", "id=\"2\"\\");
    RunRow ship = run_row("w:ship", "waiting", "order.shipped", "id=1");
    RunRow done = run_row("w:done", "completed");
    for (RunRow* r : {&any, &one, &two, &ship, &done}) REQUIRE(s->run_put(*r).ok());

    CHECK(ids_of(s->runs_waiting_for("order.paid").value()) == std::vector<std::string>{"w:any", "w:one", "w:two"});
    std::vector<std::string> keys{"id=\"2\"\\", "id=9"};
    CHECK(ids_of(s->runs_waiting_for("order.paid", &keys).value()) == std::vector<std::string>{"w:any", "w:two"});
    std::vector<std::string> none;
    CHECK(ids_of(s->runs_waiting_for("order.paid", &none).value()) == std::vector<std::string>{"w:any"});
    CHECK(s->runs_waiting_for("order.cancelled").value().empty());

    auto types = s->waiting_event_types().value();
    std::sort(types.begin(), types.end());
    CHECK(types == std::vector<std::string>{"order.paid", "order.shipped"});

    REQUIRE(s->runs_forget_wait_keys().ok());
    CHECK(ids_of(s->runs_waiting_for("order.paid", &none).value()) == std::vector<std::string>{"w:any", "w:one", "w:two"});
  }
}

TEST_CASE("timers come out in due order") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    CHECK_FALSE(s->timer_next().value().has_value());
    TimerRow t1{0, 5000, "wait", "run-1", "", "w"};
    TimerRow t2{0, 3000, "wait", "run-2", "", "w"};
    TimerRow tick{0, 4000, "schedule", "", "nightly", ""};
    REQUIRE(s->timer_add(t1).ok());
    REQUIRE(s->timer_add(t2).ok());
    REQUIRE(s->timer_add(tick).ok());
    CHECK(t1.seq > 0);
    auto next = s->timer_next().value();
    REQUIRE(next);
    CHECK(next->run_id == "run-2");
    CHECK(next->due == 3000);
    CHECK(next->path == "w");
    CHECK(s->schedule_timer_exists("nightly").value());
    CHECK_FALSE(s->schedule_timer_exists("hourly").value());
    REQUIRE(s->timers_delete_for_run("run-2").ok());
    CHECK(s->timer_next().value()->workflow == "nightly");
    REQUIRE(s->timer_delete(tick.seq).ok());
    CHECK_FALSE(s->schedule_timer_exists("nightly").value());
    CHECK(s->timer_next().value()->run_id == "run-1");
  }
}

TEST_CASE("effects are idempotent by id and move through delivery states") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    EffectRow e = effect_row("wf:evt-1/send");
    CHECK(s->effect_insert(e).value() == true);
    CHECK(e.seq > 0);
    CHECK(s->effect_insert(e).value() == false);
    CHECK(s->effects_pending(999, 10).value().empty());
    auto pending = s->effects_pending(1000, 10).value();
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].params == R"({"to":"a@example.com"})");
    CHECK(pending[0].status == "pending");
    CHECK(s->effect_update(e.id, "pending", true, 5000, "timeout").value());
    CHECK(s->effects_pending(4000, 10).value().empty());
    CHECK(s->effect_update(e.id, "dead", true, 0, "gave up").value());
    auto dead = s->effects_dead().value();
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].attempts == 2);
    CHECK(dead[0].last_error == "gave up");
    CHECK(s->effects_dead_count().value() == 1);
    CHECK_FALSE(s->effect_update("nope", "dead", true, 0, "").value());
    CHECK(s->effect_get(e.id).value()->status == "dead");
    CHECK_FALSE(s->effect_get("nope").value().has_value());
  }
}

TEST_CASE("effects page in creation order; pending ones come by due time") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    std::vector<std::string> ids{"r:1/a", "r:1/b", "r:2/a", "r:3/a"};
    shopflow::Millis due[] = {4000, 1000, 3000, 2000};
    for (size_t i = 0; i < ids.size(); ++i) {
      EffectRow e = effect_row(ids[i], due[i]);
      REQUIRE(s->effect_insert(e).value());
    }
    CHECK(s->effects_count().value() == 4);
    auto first = s->effects(2).value();
    REQUIRE(first.size() == 2);
    CHECK(first[1].id == "r:1/b");
    auto rest = s->effects(SIZE_MAX, first[1].seq).value();
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].id == "r:2/a");
    auto pending = s->effects_pending(3500, 10).value();
    REQUIRE(pending.size() == 3);
    CHECK(pending[0].id == "r:1/b");
    CHECK(pending[1].id == "r:3/a");
    CHECK(pending[2].id == "r:2/a");
    std::vector<std::string> seen;
    CHECK(s->each_effect(first[0].seq, 2, [&](const shopflow::EffectView& v) { seen.emplace_back(v.id); }).value() == 2);
    CHECK(seen == std::vector<std::string>{"r:1/b", "r:2/a"});
    for (const std::string& id : {ids[0], ids[2], ids[3]}) REQUIRE(s->effect_update(id, "dead", true, 0, "x").value());
    auto dead = s->effects_dead(2).value();
    REQUIRE(dead.size() == 2);
    CHECK(dead[1].id == "r:2/a");
    CHECK(s->effects_dead(10, dead[1].seq).value().size() == 1);
  }
}

TEST_CASE("table rows round-trip, by table or all together") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    REQUIRE(s->row_put("inventory", "SKU-1", R"({"on_hand":5})").ok());
    REQUIRE(s->row_put("inventory", "SKU-1", R"({"on_hand":4})").ok());
    REQUIRE(s->row_put("customers", "c1", R"({"vip":true})").ok());
    CHECK(*s->row_get("inventory", "SKU-1").value() == R"({"on_hand":4})");
    CHECK_FALSE(s->row_get("customers", "SKU-1").value().has_value());
    CHECK(s->rows("inventory").value().size() == 1);
    auto all = s->rows("").value();
    REQUIRE(all.size() == 2);
    CHECK(all[0].table == "customers");
    REQUIRE(s->row_delete("inventory", "SKU-1").ok());
    CHECK_FALSE(s->row_get("inventory", "SKU-1").value().has_value());
  }
}

TEST_CASE("a transaction commits, or rolls back when it goes out of scope") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    {
      auto tx = s->transaction();
      REQUIRE(tx.ok());
      REQUIRE(s->inbox_insert(InboxRow{0, "kept", "t", 1, "{}", 0, false}).value());
      REQUIRE(tx.value().commit().ok());
      CHECK_FALSE(tx.value().open());
    }
    {
      auto tx = s->transaction();
      REQUIRE(tx.ok());
      REQUIRE(s->inbox_insert(InboxRow{0, "dropped", "t", 1, "{}", 0, false}).value());
      REQUIRE(s->row_put("t", "k", "1").ok());
    }
    CHECK(s->inbox_count(false).value() == 1);
    CHECK_FALSE(s->row_get("t", "k").value().has_value());
    // begin/commit/rollback as before.
    REQUIRE(s->begin().ok());
    REQUIRE(s->row_put("t", "k", "2").ok());
    REQUIRE(s->rollback().ok());
    CHECK_FALSE(s->row_get("t", "k").value().has_value());
    REQUIRE(s->begin().ok());
    REQUIRE(s->row_put("t", "k", "3").ok());
    REQUIRE(s->commit().ok());
    CHECK(*s->row_get("t", "k").value() == "3");
    if (!b.shared) continue;
    // Another connection sees a commit, and nothing of a transaction still open.
    auto other = b.again();
    REQUIRE(s->begin().ok());
    REQUIRE(s->row_put("t", "k", "4").ok());
    CHECK(*other->row_get("t", "k").value() == "3");
    REQUIRE(s->commit().ok());
    CHECK(*other->row_get("t", "k").value() == "4");
  }
}

TEST_CASE("commits work at either durability") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    for (Durability d : {Durability::Relaxed, Durability::Full, Durability::Relaxed}) {
      REQUIRE(s->set_durability(d).ok());
      REQUIRE(s->begin().ok());
      REQUIRE(s->row_put("t", "k", d == Durability::Full ? "full" : "relaxed").ok());
      REQUIRE(s->commit().ok());
    }
    CHECK(*s->row_get("t", "k").value() == "relaxed");
    if (b.shared) CHECK(*b.again()->row_get("t", "k").value() == "relaxed");
  }
}

TEST_CASE("a schedule's tick fires once, however many times it is recorded") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    CHECK(s->schedule_tick("nightly", 86400000).value());
    CHECK_FALSE(s->schedule_tick("nightly", 86400000).value());
    CHECK(s->schedule_tick("hourly", 86400000).value());
    CHECK(s->schedule_tick("nightly", 2 * 86400000).value());
    // A tick recorded in a transaction that rolls back has not fired.
    REQUIRE(s->begin().ok());
    CHECK(s->schedule_tick("nightly", 3 * 86400000).value());
    REQUIRE(s->rollback().ok());
    CHECK(s->schedule_tick("nightly", 3 * 86400000).value());
    if (!b.shared) continue;
    CHECK_FALSE(b.again()->schedule_tick("nightly", 3 * 86400000).value());
  }
}

TEST_CASE("one owner claims work, and writes under its claims") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    REQUIRE(s->set_owner("runner-a", 30000).ok());
    for (int i = 1; i <= 3; ++i) REQUIRE(s->inbox_insert(InboxRow{0, "e" + std::to_string(i), "t", i, "{}", 0, false}).value());
    auto claimed = s->inbox_claim(2).value();
    REQUIRE(claimed.size() == 2);
    CHECK(claimed[0].id == "e1");
    CHECK(claimed[1].id == "e2");
    REQUIRE(s->inbox_mark_processed(claimed[0].seq, claimed[0].epoch).ok());
    REQUIRE(s->inbox_mark_processed(claimed[1].seq).ok());
    CHECK(s->inbox_count(true).value() == 1);
    TimerRow t{0, 5000, "wait", "run-1", "", "w"};
    REQUIRE(s->timer_add(t).ok());
    CHECK_FALSE(s->timer_claim(4999).value().has_value());
    auto due = s->timer_claim(5000).value();
    REQUIRE(due);
    REQUIRE(s->timer_delete(due->seq, due->epoch).ok());
    CHECK_FALSE(s->timer_next().value().has_value());
    EffectRow e = effect_row("r:1/a");
    REQUIRE(s->effect_insert(e).value());
    auto effects = s->effects_claim(1000, 10).value();
    REQUIRE(effects.size() == 1);
    CHECK(s->effect_update(e.id, "delivered", true, 0, "", effects[0].epoch).value());
    CHECK(s->counters().claims == 4);
    CHECK(s->counters().leases_lost == 0);
    CHECK(s->renew_leases().ok());
    CHECK(s->release_leases().ok());
  }
}

// Several runners on one database: what only a store with several writers does.
TEST_CASE("two owners claiming the same rows never get the same one, nor more than they ask") {
  for (const Backend& b : store_backends()) {
    if (b.name == "sqlite") continue;  // one writer: its claims are plain reads
    INFO("backend: " << b.name);
    auto a = b.fresh();
    auto c = b.again();
    REQUIRE(a->set_owner("runner-a", 60000).ok());
    REQUIRE(c->set_owner("runner-c", 60000).ok());
    for (int i = 1; i <= 10; ++i) {
      REQUIRE(a->inbox_insert(InboxRow{0, "e" + std::to_string(i), "t", i, "{}", 0, false}).value());
      EffectRow e = effect_row("r:" + std::to_string(i) + "/a");
      REQUIRE(a->effect_insert(e).value());
    }
    // Committed claims (outside a transaction) hold for the lease.
    auto first = a->inbox_claim(3).value();
    CHECK(first.size() == 3);
    auto rest = c->inbox_claim(100).value();
    CHECK(rest.size() == 7);
    CHECK(a->inbox_claim(100).value().empty());
    std::vector<std::string> ids;
    for (const auto& r : first) ids.push_back(r.id);
    for (const auto& r : rest) ids.push_back(r.id);
    std::sort(ids.begin(), ids.end());
    CHECK(std::unique(ids.begin(), ids.end()) == ids.end());
    CHECK(ids.size() == 10);
    // Claims in open transactions: the rows one holds are skipped by the other, then free
    // again when it rolls back.
    REQUIRE(a->begin().ok());
    auto in_tx = a->effects_claim(1000, 4).value();
    CHECK(in_tx.size() == 4);
    auto other = c->effects_claim(1000, 100).value();
    CHECK(other.size() == 6);
    for (const auto& x : in_tx) {
      for (const auto& y : other) CHECK(x.id != y.id);
    }
    REQUIRE(a->rollback().ok());
    CHECK(c->effects_claim(1000, 100).value().size() == 4);
    CHECK(a->counters().claims == 3 + 4);
    CHECK(c->counters().claims == 7 + 6 + 4);
    CHECK(c->counters().takeovers == 0);
  }
}

TEST_CASE("an expired lease is taken over, and the old owner's writes under it are refused") {
  for (const Backend& b : store_backends()) {
    if (b.name == "sqlite") continue;  // one writer: no one to take over from
    INFO("backend: " << b.name);
    auto old_owner = b.fresh();
    auto new_owner = b.again();
    REQUIRE(new_owner->set_owner("runner-new", 60000).ok());
    REQUIRE(old_owner->inbox_insert(InboxRow{0, "e1", "t", 1, "{}", 0, false}).value());
    EffectRow e = effect_row("r:1/a");
    REQUIRE(old_owner->effect_insert(e).value());
    TimerRow t{0, 500, "wait", "r:1", "", "w"};
    REQUIRE(old_owner->timer_add(t).ok());
    // The old owner's leases end at once: a runner paused past its lease.
    REQUIRE(old_owner->set_owner("runner-old", 1).ok());
    auto old_event = old_owner->inbox_claim(10).value();
    auto old_effect = old_owner->effects_claim(1000, 10).value();
    auto old_timer = old_owner->timer_claim(1000).value();
    REQUIRE(old_event.size() == 1);
    REQUIRE(old_effect.size() == 1);
    REQUIRE(old_timer);
    // Waits until the new owner can take all three over (the old leases last a millisecond).
    std::vector<InboxRow> new_event;
    std::vector<EffectRow> new_effect;
    std::optional<TimerRow> new_timer;
    for (int i = 0; i < 1000 && (new_event.empty() || new_effect.empty() || !new_timer); ++i) {
      if (new_event.empty()) new_event = new_owner->inbox_claim(10).value();
      if (new_effect.empty()) new_effect = new_owner->effects_claim(1000, 10).value();
      if (!new_timer) new_timer = new_owner->timer_claim(1000).value();
    }
    REQUIRE(new_event.size() == 1);
    REQUIRE(new_effect.size() == 1);
    REQUIRE(new_timer);
    CHECK(new_event[0].epoch > old_event[0].epoch);
    CHECK(new_owner->counters().takeovers == 3);

    auto refused = old_owner->inbox_mark_processed(old_event[0].seq, old_event[0].epoch);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().lease_lost());
    auto refused_effect = old_owner->effect_update(e.id, "delivered", true, 0, "", old_effect[0].epoch);
    REQUIRE_FALSE(refused_effect.ok());
    CHECK(refused_effect.error().kind == shopflow::ErrorKind::LeaseLost);
    auto refused_timer = old_owner->timer_delete(old_timer->seq, old_timer->epoch);
    REQUIRE_FALSE(refused_timer.ok());
    CHECK(refused_timer.error().lease_lost());
    CHECK(old_owner->counters().leases_lost == 3);
    CHECK(old_owner->inbox_count(true).value() == 1);  // nothing of the refused writes stayed
    CHECK(old_owner->effect_get(e.id).value()->status == "pending");

    REQUIRE(new_owner->inbox_mark_processed(new_event[0].seq, new_event[0].epoch).ok());
    CHECK(new_owner->effect_update(e.id, "delivered", true, 0, "", new_effect[0].epoch).value());
    REQUIRE(new_owner->timer_delete(new_timer->seq, new_timer->epoch).ok());
    CHECK(new_owner->inbox_count(true).value() == 0);
    CHECK(new_owner->effect_get(e.id).value()->status == "delivered");
    CHECK(new_owner->counters().leases_lost == 0);
  }
}

TEST_CASE("an owner that claims its own lapsed effect again writes only under the newer claim") {
  for (const Backend& b : store_backends()) {
    if (b.name == "sqlite") continue;  // one writer: its claims are plain reads, epoch 0
    INFO("backend: " << b.name);
    auto s = b.fresh();
    EffectRow e = effect_row("r:1/a");
    REQUIRE(s->effect_insert(e).value());
    // Leases of a millisecond: the heartbeat did not come in time.
    REQUIRE(s->set_owner("runner-a", 1).ok());
    auto stale = s->effects_claim(1000, 10).value();
    REQUIRE(stale.size() == 1);
    std::vector<EffectRow> again;
    for (int i = 0; i < 1000 && again.empty(); ++i) again = s->effects_claim(1000, 10).value();
    REQUIRE(again.size() == 1);
    CHECK(again[0].epoch > stale[0].epoch);
    CHECK(s->counters().takeovers == 0);  // its own: not taken from another owner
    auto refused = s->effect_update(e.id, "dead", true, 0, "timed out", stale[0].epoch);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().lease_lost());
    CHECK(s->effect_get(e.id).value()->status == "pending");
    CHECK(s->effect_update(e.id, "delivered", true, 0, "", again[0].epoch).value());
    CHECK(s->effect_get(e.id).value()->status == "delivered");
    CHECK(s->effect_get(e.id).value()->attempts == 1);
    CHECK(s->counters().leases_lost == 1);
  }
}

TEST_CASE("renewed leases hold; released ones are free at once") {
  for (const Backend& b : store_backends()) {
    if (b.name == "sqlite") continue;  // one writer: nothing to hold against anyone
    INFO("backend: " << b.name);
    auto a = b.fresh();
    auto c = b.again();
    REQUIRE(c->set_owner("runner-c", 60000).ok());
    for (int i = 1; i <= 2; ++i) {
      EffectRow e = effect_row("r:" + std::to_string(i) + "/a");
      REQUIRE(a->effect_insert(e).value());
    }
    REQUIRE(a->set_owner("runner-a", 60000).ok());
    auto held = a->effects_claim(1000, 10).value();
    REQUIRE(held.size() == 2);
    CHECK(a->renew_leases().value() == 2);
    CHECK(c->effects_claim(1000, 10).value().empty());
    // An outcome written under the claim ends it: nothing left to renew for that one.
    CHECK(a->effect_update(held[0].id, "pending", true, 1000, "retry", held[0].epoch).value());
    CHECK(a->renew_leases().value() == 1);
    REQUIRE(a->release_leases().ok());
    CHECK(a->renew_leases().value() == 0);
    CHECK(c->effects_claim(1000, 10).value().size() == 2);
    CHECK(c->counters().takeovers == 0);
  }
}

TEST_CASE("a lost connection is a retryable error, and the store reconnects") {
  for (const Backend& b : store_backends()) {
    if (b.name == "sqlite") continue;  // no connection to lose
    INFO("backend: " << b.name);
    auto s = b.fresh();
    REQUIRE(s->meta_set("k", "v").ok());
    // The server ends the session, as when it restarts.
    REQUIRE(b.end_sessions());
    auto lost = s->meta_get("k");
    REQUIRE_FALSE(lost.ok());
    CHECK(lost.error().retryable());
    auto again = s->meta_get("k");
    REQUIRE(again.ok());
    CHECK(*again.value() == "v");
  }
}

TEST_CASE("the API's reads: events from outside by arrival and filter, runs and effects by page") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    for (int i = 1; i <= 5; ++i) {
      shopflow::InboxRow e{0, "evt-" + std::to_string(i), i % 2 ? "order.created" : "order.paid", 1000L * i, "{}", 0, false,
                           10000L * i};
      REQUIRE(s->inbox_insert(e).value());
    }
    shopflow::InboxRow emitted{0, "wf:evt-1/emit", "order.created", 1500, "{}", 1, false, 15000};
    REQUIRE(s->inbox_insert(emitted).value());
    shopflow::InboxRow old{0, "evt-old", "order.created", 60000, "{}", 0, false, 0};  // from before schema 5
    REQUIRE(s->inbox_insert(old).value());

    auto ids = [](const std::vector<shopflow::InboxRow>& rows) {
      std::vector<std::string> out;
      for (const auto& r : rows) out.push_back(r.id);
      return out;
    };
    shopflow::InboxQuery all;
    CHECK(ids(s->inbox_outside(all, 0, 100).value()) ==
          std::vector<std::string>{"evt-1", "evt-2", "evt-3", "evt-4", "evt-5", "evt-old"});
    shopflow::InboxQuery created;
    created.type = "order.created";
    CHECK(ids(s->inbox_outside(created, 0, 100).value()) == std::vector<std::string>{"evt-1", "evt-3", "evt-5", "evt-old"});
    shopflow::InboxQuery window;  // received in [20 s, 50 s); the old event counts at its time (60 s)
    window.since = 20000;
    window.until = 50000;
    CHECK(ids(s->inbox_outside(window, 0, 100).value()) == std::vector<std::string>{"evt-2", "evt-3", "evt-4"});
    auto rows = s->inbox_outside(all, 0, 2).value();
    CHECK(rows[1].received == 20000);
    CHECK(ids(s->inbox_outside(all, rows[1].seq, 2).value()) == std::vector<std::string>{"evt-3", "evt-4"});
    // Where a page of two ends, and that one follows; a page of six has none after it.
    auto ends = s->inbox_outside_seqs(all, 0, 1, 2).value();
    REQUIRE(ends.size() == 2);
    CHECK(ends[0] == rows[1].seq);
    CHECK(s->inbox_outside_seqs(all, 0, 5, 2).value().size() == 1);

    for (int i = 1; i <= 3; ++i) {
      shopflow::RunRow r;
      r.id = (i == 2 ? "other:" : "wf:") + std::to_string(i);
      r.workflow = i == 2 ? "other" : "wf";
      r.event_id = "evt-" + std::to_string(i);
      r.status = "completed";
      r.started = r.updated = 1000L * i;
      r.state = "{}";
      r.steps = R"([{"path":"a","kind":"if","time":"2026-01-01T00:00:00Z","output":null,"verdict":true}])";
      REQUIRE(s->run_put(r).ok());
      shopflow::EffectRow e;
      e.id = r.id + "/a";
      e.run_id = r.id;
      e.path = "a";
      e.type = "notify";
      e.params = "{}";
      REQUIRE(s->effect_insert(e).value());
    }
    shopflow::RunQuery wf;
    wf.workflow = "wf";
    auto runs = s->runs_matching(wf, 0, 10).value();
    REQUIRE(runs.size() == 2);
    CHECK(runs[1].id == "wf:3");
    CHECK(runs[1].steps.empty());
    shopflow::RunQuery early;
    early.until = 2000;
    CHECK(s->runs_matching(early, 0, 10).value().size() == 1);
    CHECK(s->effects_of_run("other:2", 0, 10).value().size() == 1);
    CHECK(s->effects_of_run("", runs[0].seq, 10).value().size() == 2);
    CHECK(*s->inbox_body("evt-2").value() == "{}");
    CHECK(!s->inbox_body("evt-9").value());
    std::vector<std::string> each;
    CHECK(s->each_outside_event(0, 100, [&](const shopflow::InboxRow& r) { each.push_back(r.id); }).value() == 6);
    CHECK(each == ids(s->inbox_outside(all, 0, 100).value()));
  }
}

TEST_CASE("bundle versions: every text kept once, the history newest first") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    REQUIRE(s->bundle_version_add("aaaa", "{\"v\":1}", 1000, "start").ok());
    REQUIRE(s->bundle_version_add("bbbb", "{\"v\":2}", 2000, "deploy").ok());
    REQUIRE(s->bundle_version_add("aaaa", "{\"v\":1}", 3000, "rollback").ok());
    auto history = s->bundle_history(10).value();
    REQUIRE(history.size() == 3);
    CHECK(history[0].version == "aaaa");
    CHECK(history[0].source == "rollback");
    CHECK(history[0].deployed_at == 3000);
    CHECK(history[2].source == "start");
    CHECK(s->bundle_history(1).value().size() == 1);
    CHECK(*s->bundle_text("bbbb").value() == "{\"v\":2}");
    CHECK(!s->bundle_text("cccc").value());
  }
}

TEST_CASE("meta_get_or_set keeps the first value set") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    CHECK(s->meta_get_or_set("key", "first").value() == "first");
    CHECK(s->meta_get_or_set("key", "second").value() == "first");
  }
}

TEST_CASE("filter rejections are listed oldest first, by workflow, and pruned by age in batches") {
  for (const Backend& b : store_backends()) {
    INFO("backend: " << b.name);
    auto s = b.fresh();
    for (int i = 0; i < 5; ++i) {
      shopflow::FilterRejection r{0, 1000 * (i + 1), i % 2 ? "vip" : "fraud-review", "evt-" + std::to_string(i),
                                  "order.created", R"({"op":"!!","result":false})"};
      REQUIRE(s->rejection_add(r).ok());
      CHECK(r.seq > 0);
    }
    auto all = s->rejections().value();
    REQUIRE(all.size() == 5);
    CHECK(all[0].event_id == "evt-0");
    CHECK(all[0].time == 1000);
    CHECK(all[0].workflow == "fraud-review");
    CHECK(all[0].event_type == "order.created");
    CHECK(all[0].explanation == R"({"op":"!!","result":false})");
    CHECK(s->rejections(10, 0, "vip").value().size() == 2);
    CHECK(s->rejections(2, all[1].seq).value()[0].event_id == "evt-2");  // paging
    // Older than 4000: evt-0..evt-2; two at a time, then the last, then none.
    CHECK(s->rejections_prune(4000, 2).value() == 2);
    CHECK(s->rejections_prune(4000, 2).value() == 1);
    CHECK(s->rejections_prune(4000, 2).value() == 0);
    auto left = s->rejections().value();
    REQUIRE(left.size() == 2);
    CHECK(left[0].event_id == "evt-3");
  }
}

TEST_SUITE_END();
