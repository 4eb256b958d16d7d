// The engine through its API: triggers and filters, every step type, waits that listen for
// events, timers, deduplication, failure containment, limits, durability across a restart,
// and the outbox delivery calls, also on a store several runners share.
#include "shopflow/engine.hpp"
#include "shopflow/sqlite_store.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "store_backends.hpp"

using shopflow::Engine;
using shopflow::Json;

namespace {

const shopflow::Millis kT0 = 1772442000000;  // 2026-03-02T09:00:00Z
const shopflow::Millis kHour = 3600 * 1000;

shopflow::Bundle bundle_of(const std::string& workflows, const std::string& extra = "") {
  std::string text = R"({"format": "shopflow.bundle/1", "name": "t", "version": "1", "workflows": )" + workflows +
                     (extra.empty() ? "" : ", " + extra) + "}";
  auto check = shopflow::load_bundle(text);
  REQUIRE(check.ok());
  for (const auto& p : check.value().problems) FAIL_CHECK(p.to_string());
  return check.value().bundle;
}

std::unique_ptr<Engine> engine_of(const shopflow::Bundle& b, const std::string& path = ":memory:",
                                  shopflow::EngineOptions options = {}) {
  auto store = shopflow::SqliteStore::open(path);
  REQUIRE(store.ok());
  auto e = Engine::open(b, std::move(store.value()), std::move(options));
  REQUIRE(e.ok());
  return std::move(e.value());
}

shopflow::Event event(const std::string& id, const std::string& type, shopflow::Millis t, Json data) {
  shopflow::Event e;
  e.id = id;
  e.type = type;
  e.source = "test";
  e.time = shopflow::format_instant(t);
  e.time_ms = t;
  e.has_time = true;
  e.data = std::move(data);
  e.has_data = true;
  return e;
}

const char* kAbandoned = R"([{"id": "remind", "trigger": {"event": "checkout.created"}, "steps": [
  {"id": "wait", "wait": {"event": "order.created", "timeout": "PT4H",
     "match": {"==": [{"var": "event.data.checkout"}, {"var": "trigger.data.checkout"}]}}},
  {"id": "ordered", "if": {"==": [{"var": "steps.wait.resumed_by"}, "event"]},
   "then": [{"id": "done", "stop": {"reason": "ordered"}}]},
  {"id": "mail", "action": "email.send", "params": {"to": "{{ event.data.email }}", "subject": "Your cart", "body": "Hi"}}]}])";

}  // namespace

TEST_CASE("a wait for an event resumes on the matching event, not on another") {
  auto e = engine_of(bundle_of(kAbandoned));
  REQUIRE(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", "1"}, {"email", "a@x.com"}}), kT0).ok());
  REQUIRE(e->ingest(event("c2", "checkout.created", kT0, {{"checkout", "2"}, {"email", "b@x.com"}}), kT0).ok());
  REQUIRE(e->ingest(event("o1", "order.created", kT0 + kHour, {{"checkout", "1"}}), kT0 + kHour).ok());
  auto runs = e->runs().value();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].id == "remind:c1");
  CHECK(runs[0].status == "stopped");
  CHECK(runs[1].status == "waiting");
  CHECK(e->next_due(kT0).value() == kT0 + 4 * kHour);
  CHECK(e->advance(kT0 + 4 * kHour).value() == 1);
  runs = e->runs().value();
  CHECK(runs[1].status == "completed");
  auto effects = e->effects().value();
  REQUIRE(effects.size() == 1);
  CHECK(effects[0].id == "remind:c2/mail");
  CHECK(Json::parse(effects[0].params)["to"] == "b@x.com");
  CHECK(effects[0].created == kT0 + 4 * kHour);
  auto steps = e->steps("remind:c2").value();
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].path == "wait");
  CHECK(Json::parse(steps[0].output)["resumed_by"] == "timeout");
  CHECK(steps[1].verdict == "false");
  CHECK(e->next_due(kT0).value() == std::nullopt);
}

#ifndef __EMSCRIPTEN__
TEST_CASE("each run records the version of the bundle that moved it last") {
  const auto path = std::filesystem::temp_directory_path() / "shopflow-engine-bundle-version.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  shopflow::EngineOptions v1;
  v1.bundle_version = "1.0.0";
  {
    auto e = engine_of(bundle_of(kAbandoned), path.string(), v1);
    REQUIRE(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", "1"}}), kT0).ok());
    REQUIRE(e->ingest(event("c2", "checkout.created", kT0, {{"checkout", "2"}}), kT0).ok());
    auto runs = e->runs().value();
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].bundle_version == "1.0.0");
  }
  // A runner of the next version resumes one of the waiting runs; the other stays as it was.
  shopflow::EngineOptions v2;
  v2.bundle_version = "1.1.0";
  auto e = engine_of(bundle_of(kAbandoned), path.string(), v2);
  REQUIRE(e->ingest(event("o1", "order.created", kT0 + kHour, {{"checkout", "1"}}), kT0 + kHour).ok());
  auto runs = e->runs().value();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].status == "stopped");
  CHECK(runs[0].bundle_version == "1.1.0");
  CHECK(runs[1].status == "waiting");
  CHECK(runs[1].bundle_version == "1.0.0");
  e.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}
#endif

TEST_CASE("a duplicate event id starts nothing") {
  auto e = engine_of(bundle_of(kAbandoned));
  auto accepted = e->accept({event("c1", "checkout.created", kT0, {{"checkout", "1"}}),
                             event("c1", "checkout.created", kT0, {{"checkout", "1"}})});
  REQUIRE(accepted.ok());
  CHECK(accepted.value() == std::vector<bool>{true, false});
  CHECK(e->process_pending(kT0).value() == 1);
  CHECK(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", "1"}}), kT0).value() == false);
  CHECK(e->runs().value().size() == 1);
}

TEST_CASE("without keeping handled events, a duplicate id still starts nothing, and queued events still run") {
  shopflow::EngineOptions o;
  o.keep_handled_events = false;  // as a simulation's throwaway store
  auto e = engine_of(bundle_of(kAbandoned), ":memory:", o);
  CHECK(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", "1"}}), kT0).value() == true);
  CHECK(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", "1"}}), kT0).value() == false);
  // An event handled as it arrives (nothing older queued) leaves no inbox row; its id is
  // remembered all the same.
  const auto rows = e->inbox_count(false).value();
  CHECK(e->ingest(event("c3", "checkout.created", kT0, {{"checkout", "3"}}), kT0).value() == true);
  CHECK(e->inbox_count(false).value() == rows);
  CHECK(e->ingest(event("c3", "checkout.created", kT0, {{"checkout", "3"}}), kT0).value() == false);
  auto again = e->accept({event("c1", "checkout.created", kT0, {{"checkout", "1"}}),
                          event("c2", "checkout.created", kT0, {{"checkout", "2"}})});
  REQUIRE(again.ok());
  CHECK(again.value() == std::vector<bool>{false, true});
  // Accepted (queued) events go through the inbox: they are read back when they run, and an
  // event arriving with the id of a queued one is a duplicate too.
  CHECK(e->inbox_count(true).value() == 1);
  CHECK(e->ingest(event("c2", "checkout.created", kT0, {{"checkout", "2"}}), kT0).value() == false);
  CHECK(e->process_pending(kT0).value() == 1);
  auto runs = e->runs().value();
  REQUIRE(runs.size() == 3);
  CHECK(runs[2].id == "remind:c2");
  CHECK(runs[2].status == "waiting");
}

TEST_CASE("without keeping handled events, ids are remembered across thousands of events") {
  shopflow::EngineOptions o;
  o.keep_handled_events = false;
  auto e = engine_of(bundle_of(kAbandoned), ":memory:", o);
  for (int i = 0; i < 5000; ++i) {
    REQUIRE(e->ingest(event("n" + std::to_string(i), "note.added", kT0, {}), kT0).value() == true);
  }
  for (int i : {0, 1, 767, 768, 2500, 4999}) {
    CHECK_MESSAGE(e->ingest(event("n" + std::to_string(i), "note.added", kT0, {}), kT0).value() == false, i);
  }
  CHECK(e->ingest(event("n5000", "note.added", kT0, {}), kT0).value() == true);
}

TEST_CASE("filters, if/else, switch, foreach, set, emit and table actions") {
  const char* wfs = R"([
    {"id": "route", "trigger": {"event": "order.paid", "filter": {">": [{"var": "event.data.total"}, 0]}}, "steps": [
      {"id": "size", "set": {"lines": {"var": "event.data.lines"}, "big": {">=": [{"var": "event.data.total"}, 100]}}},
      {"id": "vip", "if": {"var": "vars.big"}, "then": [
         {"id": "tag", "action": "order.tag", "params": {"order_id": "{{ event.data.id }}", "tags": "vip"}}],
       "else": [{"id": "note", "action": "order.note", "params": {"order_id": "{{ event.data.id }}", "note": "small"}}]},
      {"id": "by-country", "switch": {"var": "event.data.country"}, "cases": [
         {"equals": "DE", "steps": [{"id": "wh-de", "set": {"warehouse": "BER"}}]},
         {"when": {"in": [{"var": "event.data.country"}, ["FR", "BE"]]}, "steps": [{"id": "wh-fr", "set": {"warehouse": "PAR"}}]}],
       "default": [{"id": "wh-other", "set": {"warehouse": "AMS"}}]},
      {"id": "lines", "foreach": {"var": "vars.lines"}, "as": "line", "steps": [
         {"id": "stock", "action": "table.add", "params": {"table": "stock", "key": "{{ line.sku }}", "field": "on_hand",
                                                             "amount": {"$logic": {"-": [0, {"var": "line.qty"}]}}}}]},
      {"id": "ship", "action": "fulfillment.create", "params": {"order_id": "{{ event.data.id }}", "warehouse": "{{ vars.warehouse }}"}},
      {"id": "tell", "emit": {"type": "order.routed", "data": {"order": "{{ event.data.id }}", "warehouse": {"$logic": {"var": "vars.warehouse"}}}}}]},
    {"id": "log", "trigger": {"event": "order.routed"}, "steps": [
      {"id": "say", "action": "notify", "params": {"channel": "#ops", "message": "{{ event.data.order }} -> {{ event.data.warehouse }}"}}]}])";
  const char* tables = R"("tables": {"stock": {"key": "sku", "rows": [{"sku": "A", "on_hand": 10}, {"sku": "B", "on_hand": 3}]}})";
  shopflow::EngineOptions opts;
  opts.record_tables = true;
  auto e = engine_of(bundle_of(wfs, tables), ":memory:", opts);
  Json lines = Json::parse(R"([{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}])");
  REQUIRE(e->ingest(event("p1", "order.paid", kT0, {{"id", "1001"}, {"total", 150}, {"country", "FR"}, {"lines", lines}}), kT0).ok());
  REQUIRE(e->ingest(event("p2", "order.paid", kT0, {{"id", "1002"}, {"total", 0}, {"country", "DE"}}), kT0).ok());
  auto runs = e->runs().value();
  REQUIRE(runs.size() == 2);  // the filter kept p2 out; the emitted event started "log"
  CHECK(runs[0].status == "completed");
  CHECK(runs[1].workflow == "log");
  auto effects = e->effects().value();
  REQUIRE(effects.size() == 3);
  CHECK(effects[0].type == "order.tag");
  CHECK(effects[1].type == "fulfillment.create");
  CHECK(Json::parse(effects[1].params)["warehouse"] == "PAR");
  CHECK(effects[2].type == "notify");
  CHECK(Json::parse(effects[2].params)["message"] == "1001 -> PAR");
  auto rows = e->table_rows("stock").value();
  REQUIRE(rows.size() == 2);
  CHECK(Json::parse(rows[0].value)["on_hand"] == 8);
  CHECK(Json::parse(rows[1].value)["on_hand"] == 2);
  CHECK(e->take_table_changes().size() == 2);
  auto steps = e->steps("route:p1").value();
  std::vector<std::string> paths;
  for (const auto& s : steps) paths.push_back(s.path);
  CHECK(paths == std::vector<std::string>{"trigger", "size", "vip", "vip/then/tag", "by-country",
                                          "by-country/cases/1/wh-fr", "lines", "lines/0/stock", "lines/1/stock",
                                          "ship", "tell"});
  CHECK(effects[0].id == "route:p1/vip/then/tag");
}

TEST_CASE("a runtime error fails only its run, naming the step") {
  const char* wfs = R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [
      {"id": "first", "action": "notify", "params": {"channel": "#a", "message": "hi"}},
      {"id": "each", "foreach": {"var": "event.data.items"}, "steps": []},
      {"id": "after", "action": "notify", "params": {"channel": "#a", "message": "after"}}]}])";
  auto e = engine_of(bundle_of(wfs));
  REQUIRE(e->ingest(event("bad", "order.created", kT0, {{"items", "not a list"}}), kT0).ok());
  REQUIRE(e->ingest(event("good", "order.created", kT0, {{"items", Json::array({1, 2})}}), kT0).ok());
  auto runs = e->runs().value();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].status == "failed");
  CHECK(runs[0].error_step == "each");
  CHECK(runs[0].error.find("step each: foreach needs a list") == 0);
  CHECK(runs[1].status == "completed");
  CHECK(e->effects().value().size() == 3);  // bad's first step stands; good's two
}

TEST_CASE("a template whose text is not UTF-8 fails its run instead of the engine") {
  // base64_decode of binary data gives bytes that no JSON document can hold.
  const char* wfs = R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [
      {"id": "say", "action": "notify", "params": {"channel": "#a", "message": "{{ event.data.note | base64_decode }}"}}]}])";
  auto e = engine_of(bundle_of(wfs));
  REQUIRE(e->ingest(event("binary", "order.created", kT0, {{"note", "/w=="}}), kT0).ok());
  REQUIRE(e->ingest(event("text", "order.created", kT0, {{"note", "aGVsbG8="}}), kT0).ok());
  auto runs = e->runs().value();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].status == "failed");
  CHECK(runs[0].error_step == "say");
  CHECK(runs[0].error.find("not valid UTF-8 (byte 1 of 1)") != std::string::npos);
  CHECK(runs[1].status == "completed");
  REQUIRE(e->effects().value().size() == 1);
  CHECK(Json::parse(e->effects().value()[0].params)["message"] == "hello");
}

TEST_CASE("limits: foreach length and steps per run") {
  const char* wfs = R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [
      {"id": "each", "foreach": {"var": "event.data.items"}, "steps": [{"id": "s", "set": {"x": 1}}]}]}])";
  shopflow::EngineOptions opts;
  opts.limits.max_foreach_items = 5;
  opts.limits.max_steps_per_run = 4;
  auto e = engine_of(bundle_of(wfs), ":memory:", opts);
  REQUIRE(e->ingest(event("a", "order.created", kT0, {{"items", Json::array({1, 2, 3, 4, 5, 6})}}), kT0).ok());
  REQUIRE(e->ingest(event("b", "order.created", kT0, {{"items", Json::array({1, 2, 3, 4})}}), kT0).ok());
  auto runs = e->runs().value();
  CHECK(runs[0].error.find("limit is 5") != std::string::npos);
  // Four items need four steps, more than the run has left: it fails before the first item.
  CHECK(runs[1].error.find("need at least 4 steps; the run has 3 of its 4 steps left") != std::string::npos);
  CHECK(e->steps("w:b").value().size() == 1);
}

TEST_CASE("limits: a run that outgrows its steps inside branches stops at the limit") {
  const char* wfs = R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [
      {"id": "each", "foreach": {"var": "event.data.items"}, "steps": [
        {"id": "big", "if": true, "then": [{"id": "a", "set": {"x": 1}}, {"id": "b", "set": {"y": 2}}]}]}]}])";
  shopflow::EngineOptions opts;
  opts.limits.max_steps_per_run = 4;
  auto e = engine_of(bundle_of(wfs), ":memory:", opts);
  REQUIRE(e->ingest(event("a", "order.created", kT0, {{"items", Json::array({1, 2})}}), kT0).ok());
  CHECK(e->runs().value()[0].error.find("more than 4 steps") != std::string::npos);
}

TEST_CASE("schedules fire on their cron times") {
  const char* wfs = R"([{"id": "daily", "trigger": {"schedule": "0 9 * * *", "utc_offset": "+01:00"}, "steps": [
      {"id": "say", "action": "notify", "params": {"channel": "#ops", "message": "tick {{ trigger.time }}"}}]}])";
  auto e = engine_of(bundle_of(wfs));
  CHECK(e->next_due(kT0).value() == kT0 + 23 * kHour);  // 08:00Z tomorrow
  CHECK(e->advance(kT0 + 24 * kHour * 3).value() == 3);
  auto effects = e->effects().value();
  REQUIRE(effects.size() == 3);
  CHECK(Json::parse(effects[0].params)["message"] == "tick 2026-03-03T08:00:00Z");
  CHECK(e->runs().value()[0].id == "daily@2026-03-03T08:00:00Z");
}

TEST_CASE("schedules run on the store's wall clock, summer and winter") {
  // 07:00 Berlin time on weekdays: 06:00Z in winter, 05:00Z from 2026-03-29 (the change).
  const char* wfs = R"([{"id": "reorder", "trigger": {"schedule": "0 7 * * mon-fri"}, "steps": [
      {"id": "say", "action": "notify", "params": {"channel": "#ops", "message": "{{ trigger.time }} {{ trigger.time_zone }}"}}]}])";
  auto e = engine_of(bundle_of(wfs, R"("time_zone": "Europe/Berlin")"));
  const shopflow::Millis fri = shopflow::parse_instant("2026-03-27T00:00:00Z").value();
  REQUIRE(e->next_due(fri).ok());
  REQUIRE(e->advance(fri + 4 * 24 * kHour).value() == 2);  // Friday and Monday
  auto effects = e->effects().value();
  REQUIRE(effects.size() == 2);
  CHECK(Json::parse(effects[0].params)["message"] == "2026-03-27T06:00:00Z Europe/Berlin");
  CHECK(Json::parse(effects[1].params)["message"] == "2026-03-30T05:00:00Z Europe/Berlin");
}

TEST_CASE("a schedule's own zone overrides the store's") {
  const char* wfs = R"([{"id": "ny", "trigger": {"schedule": "0 9 * * *", "time_zone": "America/New_York"}, "steps": [
      {"id": "say", "action": "notify", "params": {"channel": "#ops", "message": "{{ trigger.time }}"}}]}])";
  auto e = engine_of(bundle_of(wfs, R"("time_zone": "Europe/Berlin")"));
  // Across New York's change on 2026-03-08: 14:00Z, then 13:00Z.
  const shopflow::Millis from = shopflow::parse_instant("2026-03-07T00:00:00Z").value();
  REQUIRE(e->next_due(from).ok());
  REQUIRE(e->advance(from + 2 * 24 * kHour).value() == 2);
  auto effects = e->effects().value();
  REQUIRE(effects.size() == 2);
  CHECK(Json::parse(effects[0].params)["message"] == "2026-03-07T14:00:00Z");
  CHECK(Json::parse(effects[1].params)["message"] == "2026-03-08T13:00:00Z");
}

TEST_CASE("a wait until 14:00 local on the next working day crosses the change to summer time") {
  // Ordered on Friday 2026-03-27 (CET); Monday 14:00 in Berlin is already CEST: 12:00Z, not 13:00Z.
  const char* wfs = R"([{"id": "follow-up", "trigger": {"event": "order.created"}, "steps": [
      {"id": "until", "wait": {"until": {"local_time": [
          {"business_days_add": [{"time_format": [{"var": "event.time"}, "Europe/Berlin"]}, 1]}, "14:00", "Europe/Berlin"]}}},
      {"id": "say", "action": "notify", "params": {"channel": "#ops", "message": "{{ now }}"}}]}])";
  auto e = engine_of(bundle_of(wfs, R"("time_zone": "Europe/Berlin")"));
  const shopflow::Millis fri = shopflow::parse_instant("2026-03-27T10:00:00Z").value();
  REQUIRE(e->ingest(event("o1", "order.created", fri, Json::object()), fri).ok());
  CHECK(e->next_due(fri).value() == shopflow::parse_instant("2026-03-30T12:00:00Z").value());
  REQUIRE(e->advance(fri + 4 * 24 * kHour).ok());
  auto effects = e->effects().value();
  REQUIRE(effects.size() == 1);
  CHECK(Json::parse(effects[0].params)["message"] == "2026-03-30T12:00:00Z");
}

TEST_CASE("the outbox delivery API: pending, delivered, failed with retry, dead letters") {
  auto e = engine_of(bundle_of(kAbandoned));
  REQUIRE(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", "1"}, {"email", "a@x.com"}}), kT0).ok());
  REQUIRE(e->advance(kT0 + 5 * kHour).ok());
  auto pending = e->pending_effects(kT0 + 5 * kHour, 10).value();
  REQUIRE(pending.size() == 1);
  const std::string id = pending[0].id;
  CHECK(e->mark_failed(pending[0], "smtp 451", kT0 + 6 * kHour).ok());
  CHECK(e->pending_effects(kT0 + 5 * kHour, 10).value().empty());
  CHECK(e->pending_effects(kT0 + 6 * kHour, 10).value().size() == 1);
  CHECK(e->mark_failed(pending[0], "smtp 550", std::nullopt).ok());
  REQUIRE(e->dead_letters().value().size() == 1);
  CHECK(e->dead_letters().value()[0].last_error == "smtp 550");
  CHECK(e->retry_dead(id, kT0 + 7 * kHour).ok());
  CHECK(e->dead_letters().value().empty());
  CHECK(e->mark_delivered(pending[0]).ok());
  CHECK(e->pending_effects(kT0 + 8 * kHour, 10).value().empty());
  shopflow::EffectRow unknown;
  unknown.id = "no-such-effect";
  CHECK_FALSE(e->mark_delivered(unknown).ok());
}

#ifndef __EMSCRIPTEN__
TEST_CASE("a waiting run survives a restart and resumes from the store") {
  auto path = std::filesystem::temp_directory_path() / "shopflow-engine-restart.db";
  std::filesystem::remove(path);
  auto b = bundle_of(kAbandoned);
  {
    auto e = engine_of(b, path.string());
    REQUIRE(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", "1"}, {"email", "a@x.com"}}), kT0).ok());
    CHECK(e->runs().value()[0].status == "waiting");
  }
  {
    auto e = engine_of(b, path.string());
    CHECK(e->next_due(kT0).value() == kT0 + 4 * kHour);
    REQUIRE(e->advance(kT0 + 4 * kHour).ok());
    CHECK(e->runs().value()[0].status == "completed");
    CHECK(e->effects().value().size() == 1);
    // Accepted but not processed before a "crash": processed after the restart.
    REQUIRE(e->accept({event("c2", "checkout.created", kT0, {{"checkout", "2"}})}).ok());
  }
  {
    auto e = engine_of(b, path.string());
    CHECK(e->process_pending(kT0 + 5 * kHour).value() == 1);
    CHECK(e->runs().value().size() == 2);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}
#endif

TEST_CASE("process_pending handles a backlog larger than one batch, in arrival order") {
  auto e = engine_of(bundle_of(kAbandoned));
  std::vector<shopflow::Event> events;
  for (int i = 0; i < 150; ++i)
    events.push_back(event("c" + std::to_string(i), "checkout.created", kT0, {{"checkout", std::to_string(i)}}));
  REQUIRE(e->accept(events).ok());
  CHECK(e->process_pending(kT0, 100).value() == 100);
  CHECK(e->process_pending(kT0).value() == 50);
  auto runs = e->runs().value();
  REQUIRE(runs.size() == 150);
  CHECK(runs[0].id == "remind:c0");
  CHECK(runs[149].id == "remind:c149");
  CHECK(e->inbox_count(true).value() == 0);
}

TEST_CASE("an ingested event queues behind events accepted before it; alone, it is handled at once") {
  auto e = engine_of(bundle_of(kAbandoned));
  REQUIRE(e->accept({event("c1", "checkout.created", kT0, {{"checkout", "1"}})}).ok());
  REQUIRE(e->ingest(event("c2", "checkout.created", kT0, {{"checkout", "2"}}), kT0).value());
  auto runs = e->runs().value();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].id == "remind:c1");  // the older event's run first
  CHECK(runs[1].id == "remind:c2");
  CHECK(e->inbox_count(true).value() == 0);
  // The inbox is clear: the next event is handled at once, and stored as handled.
  REQUIRE(e->ingest(event("c3", "checkout.created", kT0, {{"checkout", "3"}}), kT0).value());
  CHECK(e->runs().value().size() == 3);
  CHECK(e->inbox_count(true).value() == 0);
  CHECK(e->inbox_count(false).value() == 3);
  // A duplicate still starts nothing.
  CHECK_FALSE(e->ingest(event("c3", "checkout.created", kT0, {{"checkout", "3"}}), kT0).value());
  CHECK(e->runs().value().size() == 3);
  // And a waiting run still hears its order.
  REQUIRE(e->ingest(event("o3", "order.created", kT0 + kHour, {{"checkout", "3"}}), kT0 + kHour).ok());
  CHECK(e->runs().value()[2].status == "stopped");
}

TEST_CASE("run counts are kept as runs change and agree with the runs stored") {
  auto e = engine_of(bundle_of(kAbandoned));
  auto same = [&]() {
    auto kept = e->run_counts().value();
    std::map<std::pair<std::string, std::string>, std::int64_t> stored;
    auto runs = e->runs();
    REQUIRE_MESSAGE(runs.ok(), (runs.ok() ? std::string() : runs.error().to_string()));
    for (const auto& r : runs.value()) ++stored[{r.workflow, r.status}];
    REQUIRE(kept.size() == stored.size());
    size_t i = 0;
    for (const auto& [key, count] : stored) {
      CHECK(kept[i].workflow == key.first);
      CHECK(kept[i].status == key.second);
      CHECK(kept[i].count == count);
      ++i;
    }
    return kept;
  };
  REQUIRE(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", "1"}, {"email", "a@x.com"}}), kT0).ok());
  REQUIRE(e->ingest(event("c2", "checkout.created", kT0, {{"checkout", "2"}, {"email", "b@x.com"}}), kT0).ok());
  auto c = same();
  REQUIRE(c.size() == 1);
  CHECK(c[0].status == "waiting");
  CHECK(c[0].count == 2);
  REQUIRE(e->ingest(event("o1", "order.created", kT0 + kHour, {{"checkout", "1"}}), kT0 + kHour).ok());
  REQUIRE(e->advance(kT0 + 5 * kHour).ok());
  c = same();
  REQUIRE(c.size() == 2);
  CHECK(c[0].status == "completed");
  CHECK(c[1].status == "stopped");
  // A duplicate changes nothing.
  REQUIRE(e->ingest(event("c2", "checkout.created", kT0, {{"checkout", "2"}}), kT0 + 6 * kHour).ok());
  same();
}

TEST_CASE("on a held store (one transaction, as a simulation's) the engine's work reads back as ever") {
  auto store = shopflow::SqliteStore::open(":memory:");
  REQUIRE(store.ok());
  REQUIRE(store.value()->hold().ok());
  auto opened = Engine::open(bundle_of(kAbandoned), std::move(store.value()));
  REQUIRE(opened.ok());
  auto& e = opened.value();
  for (int i = 0; i < 3; ++i)
    REQUIRE(e->ingest(event("c" + std::to_string(i), "checkout.created", kT0, {{"checkout", std::to_string(i)}}), kT0).ok());
  REQUIRE(e->advance(kT0 + 4 * kHour).ok());
  auto runs = e->runs().value();
  REQUIRE(runs.size() == 3);
  for (const auto& r : runs) CHECK(r.status == "completed");
  CHECK(e->effects().value().size() == 3);
  REQUIRE(e->ingest(event("c9", "checkout.created", kT0, {{"checkout", "9"}}), kT0 + 5 * kHour).ok());
  CHECK(e->runs().value().size() == 4);
}

#ifndef __EMSCRIPTEN__
TEST_CASE("a run waiting for an event type the reloaded bundle no longer waits for is still found") {
  auto path = std::filesystem::temp_directory_path() / "shopflow-engine-wait-types.db";
  std::filesystem::remove(path);
  {
    auto e = engine_of(bundle_of(kAbandoned), path.string());
    REQUIRE(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", "1"}}), kT0).ok());
  }
  {
    // The new bundle has no wait at all; the stored run waits for order.created and fails with
    // a reason when one comes, instead of waiting forever unnoticed.
    auto e = engine_of(bundle_of(R"([{"id": "remind", "trigger": {"event": "checkout.created"}, "steps": [
      {"id": "note", "action": "notify", "params": {"channel": "ops", "message": "hi"}}]}])"), path.string());
    REQUIRE(e->ingest(event("o1", "order.created", kT0 + kHour, {{"checkout", "1"}}), kT0 + kHour).ok());
    auto runs = e->runs().value();
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].status == "failed");
    CHECK(runs[0].error.find("does not fit") != std::string::npos);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}
#endif

#ifndef __EMSCRIPTEN__
TEST_CASE("a waiting run whose step left the reloaded bundle fails with a reason instead of resuming elsewhere") {
  auto path = std::filesystem::temp_directory_path() / "shopflow-engine-reload.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  {
    auto e = engine_of(bundle_of(kAbandoned), path.string());
    REQUIRE(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", "1"}}), kT0).ok());
  }
  const char* changed = R"([{"id": "remind", "trigger": {"event": "checkout.created"}, "steps": [
    {"id": "pause", "wait": {"duration": "PT1H"}},
    {"id": "mail", "action": "notify", "params": {"channel": "#a", "message": "m"}}]}])";
  auto e = engine_of(bundle_of(changed), path.string());
  REQUIRE(e->advance(kT0 + 5 * kHour).ok());
  auto runs = e->runs().value();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == "failed");
  CHECK(runs[0].error.find("does not fit") != std::string::npos);
  CHECK(e->effects().value().empty());
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}
#endif

TEST_CASE("table.merge changes some fields of a row and keeps the others; rows lists a table") {
  const char* wfs = R"([{"id": "ship", "trigger": {"event": "shipment.updated"}, "steps": [
    {"id": "status", "action": "table.merge", "params": {"table": "orders", "key": "{{ event.data.order }}",
       "value": {"status": "{{ event.data.status }}", "tracking": {"$logic": {"var": "event.data.tracking"}}}}},
    {"id": "count", "set": {"open": {"length": {"filter": [{"rows": "orders"}, {"!=": [{"var": "status"}, "delivered"]}]}}}},
    {"id": "say", "action": "notify", "params": {"channel": "#ops", "message": "{{ vars.open }} open"}}]}])";
  const char* tables = R"("tables": {"orders": {"key": "id", "rows": [
    {"id": "1001", "email": "a@x.com", "status": "paid", "tracking": "old"}, {"id": "1002", "status": "paid"}]}})";
  auto e = engine_of(bundle_of(wfs, tables));
  REQUIRE(e->ingest(event("s1", "shipment.updated", kT0, {{"order", "1001"}, {"status", "delivered"}, {"tracking", nullptr}}), kT0).ok());
  REQUIRE(e->ingest(event("s2", "shipment.updated", kT0, {{"order", "1003"}, {"status", "in_transit"}, {"tracking", "T-3"}}), kT0).ok());
  auto rows = e->table_rows("orders").value();
  REQUIRE(rows.size() == 3);
  // Set fields change, untouched ones stay, a null field is removed.
  CHECK(Json::parse(rows[0].value) == Json::parse(R"({"id": "1001", "email": "a@x.com", "status": "delivered"})"));
  // A new row gets its key field.
  CHECK(Json::parse(rows[2].value) == Json::parse(R"({"id": "1003", "status": "in_transit", "tracking": "T-3"})"));
  auto effects = e->effects().value();
  REQUIRE(effects.size() == 2);
  CHECK(Json::parse(effects[0].params)["message"] == "1 open");
  CHECK(Json::parse(effects[1].params)["message"] == "2 open");
}

TEST_CASE("an event wait can give up at a computed time; a deadline already past continues at once") {
  const char* wfs = R"([{"id": "chase", "trigger": {"event": "invoice.issued"}, "steps": [
    {"id": "paid", "wait": {"event": "invoice.paid", "until": {"var": "event.data.due"},
       "match": {"==": [{"var": "event.data.invoice"}, {"var": "trigger.data.invoice"}]}}},
    {"id": "late", "if": {"==": [{"var": "steps.paid.resumed_by"}, "timeout"]},
     "then": [{"id": "remind", "action": "notify", "params": {"channel": "#finance", "message": "{{ event.data.invoice }} unpaid"}}]}]}])";
  auto e = engine_of(bundle_of(wfs));
  const std::string due = shopflow::format_instant(kT0 + 48 * kHour);
  REQUIRE(e->ingest(event("i1", "invoice.issued", kT0, {{"invoice", "INV-1"}, {"due", due}}), kT0).ok());
  REQUIRE(e->ingest(event("i2", "invoice.issued", kT0, {{"invoice", "INV-2"}, {"due", due}}), kT0).ok());
  REQUIRE(e->ingest(event("i3", "invoice.issued", kT0, {{"invoice", "INV-3"}, {"due", shopflow::format_instant(kT0 - kHour)}}), kT0).ok());
  REQUIRE(e->ingest(event("p1", "invoice.paid", kT0 + kHour, {{"invoice", "INV-1"}}), kT0 + kHour).ok());
  CHECK(e->next_due(kT0).value() == kT0 + 48 * kHour);
  CHECK(e->advance(kT0 + 48 * kHour).value() == 1);
  auto effects = e->effects().value();
  REQUIRE(effects.size() == 2);
  CHECK(effects[0].id == "chase:i3/late/then/remind");  // due already: no wait
  CHECK(effects[0].created == kT0);
  CHECK(effects[1].id == "chase:i2/late/then/remind");
  CHECK(effects[1].created == kT0 + 48 * kHour);
  auto runs = e->runs().value();
  for (const auto& r : runs) CHECK(r.status == "completed");
}

TEST_CASE("an event wait takes a timeout or an until, not both") {
  auto check = shopflow::load_bundle(R"({"format": "shopflow.bundle/1", "name": "t", "version": "1", "workflows": [
    {"id": "w", "trigger": {"event": "invoice.issued"}, "steps": [
      {"id": "paid", "wait": {"event": "invoice.paid", "timeout": "P1D", "until": "2026-03-05T00:00:00Z"}}]}]})");
  REQUIRE(check.ok());
  REQUIRE(check.value().problems.size() == 1);
  CHECK(check.value().problems[0].pointer == "/workflows/0/steps/0/wait/until");
}

TEST_CASE("an event wait correlated on a value is matched like its condition says, through the index") {
  // The match compares event.data.checkout with trigger.data.checkout (loosely: "7" == 7).
  auto e = engine_of(bundle_of(kAbandoned));
  REQUIRE(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", 7}, {"email", "a@x.com"}}), kT0).ok());
  REQUIRE(e->ingest(event("c2", "checkout.created", kT0, {{"checkout", "8"}, {"email", "b@x.com"}}), kT0).ok());
  REQUIRE(e->ingest(event("c3", "checkout.created", kT0, {{"checkout", nullptr}, {"email", "c@x.com"}}), kT0).ok());
  auto waiting = e->runs().value();
  for (const auto& r : waiting) CHECK(r.status == "waiting");
  CHECK(waiting[0].wait_key == "event.data.checkout=7");
  CHECK(waiting[1].wait_key == "event.data.checkout=8");
  CHECK(waiting[2].wait_key.empty());  // null: no key, looked at for every order
  // A string that equals the number, and a number that equals the string.
  REQUIRE(e->ingest(event("o1", "order.created", kT0 + kHour, {{"checkout", "7.0"}}), kT0 + kHour).ok());
  REQUIRE(e->ingest(event("o2", "order.created", kT0 + kHour, {{"checkout", 8}}), kT0 + kHour).ok());
  auto runs = e->runs().value();
  CHECK(runs[0].status == "stopped");
  CHECK(runs[1].status == "stopped");
  CHECK(runs[2].status == "waiting");
  // An event without the value (null == null holds): every waiting run is looked at.
  REQUIRE(e->ingest(event("o3", "order.created", kT0 + kHour, Json::object()), kT0 + kHour).ok());
  CHECK(e->runs().value()[2].status == "stopped");
}

#ifndef __EMSCRIPTEN__
TEST_CASE("runs waiting under a correlation the reloaded bundle changed are still found") {
  auto path = std::filesystem::temp_directory_path() / "shopflow-engine-rekey.db";
  std::filesystem::remove(path);
  {
    auto e = engine_of(bundle_of(kAbandoned), path.string());
    REQUIRE(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", "1"}, {"cart", "A"}}), kT0).ok());
  }
  // The new version correlates on another field: the old key means nothing to it.
  std::string changed = kAbandoned;
  changed.replace(changed.find("event.data.checkout"), std::string("event.data.checkout").size(), "event.data.cart_id");
  changed.replace(changed.find("trigger.data.checkout"), std::string("trigger.data.checkout").size(), "trigger.data.cart");
  auto e = engine_of(bundle_of(changed), path.string());
  REQUIRE(e->ingest(event("o1", "order.created", kT0 + kHour, {{"cart_id", "A"}}), kT0 + kHour).ok());
  CHECK(e->runs().value()[0].status == "stopped");
  std::filesystem::remove(path);
}
#endif

TEST_CASE("trigger is the run's own event: in a wait's match, after the wait resumes, and through a restart") {
  const std::string path = (std::filesystem::temp_directory_path() / "shopflow-trigger-test.db").string();
  std::filesystem::remove(path);
  const char* flow = R"([{"id": "follow", "trigger": {"event": "checkout.created"}, "steps": [
    {"id": "wait", "wait": {"event": "order.created", "timeout": "PT4H",
       "match": {"and": [{"==": [{"var": "event.data.checkout"}, {"var": "trigger.data.checkout"}]},
                         {"!=": [{"var": "event.id"}, {"var": "trigger.id"}]}]}}},
    {"id": "note", "action": "notify", "params": {"channel": "ops",
       "message": "{{ trigger.id }}/{{ event.id }} ordered as {{ steps.wait.event.id }}; {{ trigger.data.checkout }}"}},
    {"id": "same", "if": {"==": [{"var": "trigger.id"}, {"var": "event.id"}]},
     "then": [{"id": "tag", "action": "order.tag", "params": {"order_id": "{{ trigger.data.checkout }}", "tags": "same"}}]}]}])";
  const shopflow::Bundle b = bundle_of(flow);
  {
    auto e = engine_of(b, path);
    REQUIRE(e->ingest(event("c1", "checkout.created", kT0, {{"checkout", "7"}}), kT0).ok());
  }
  auto e = engine_of(b, path);  // the waiting run comes back from the file
  REQUIRE(e->ingest(event("o1", "order.created", kT0 + kHour, {{"checkout", "7"}}), kT0 + kHour).ok());
  auto runs = e->runs().value();
  REQUIRE(runs.size() == 1);
  CHECK_MESSAGE(runs[0].status == "completed", runs[0].error);
  auto effects = e->effects().value();
  REQUIRE(effects.size() == 2);
  CHECK(Json::parse(effects[0].params)["message"] == "c1/c1 ordered as o1; 7");
  CHECK(effects[1].type == "order.tag");
  e.reset();
  std::filesystem::remove(path);
}

TEST_CASE("table.add sums money exactly: decimal strings stay strings, numbers stay numbers") {
  struct Case {
    const char* name;
    Json start;   // the field before (null: no row yet)
    Json amount;
    Json want;    // the field after; null when the run fails
  };
  const Case cases[] = {
      {"integers stay integers", 10, -3, 7},
      {"a new row starts from zero", nullptr, "19.99", "19.99"},
      {"decimal strings keep their places", "10.50", "0.5", "11.00"},
      {"floats are read as printed, not as binary", 0.1, 0.2, 0.3},
      {"a string and an integer", "0.10", 2, "2.10"},
      {"a field that is not a number fails the run", "abc", 1, nullptr},
      {"an amount that is not a number fails the run", 1, "1,5", nullptr},
  };
  const char* wfs = R"([{"id": "add", "trigger": {"event": "x"}, "steps": [
      {"id": "sum", "action": "table.add", "params": {"table": "t", "key": "k", "field": "v",
                                                      "amount": {"$logic": {"var": "event.data.amount"}}}}]}])";
  for (const Case& c : cases) {
    const std::string name = c.name;
    CAPTURE(name);
    Json row = {{"id", "k"}};
    if (!c.start.is_null()) row["v"] = c.start;
    Json tables = {{"t", {{"key", "id"}, {"rows", c.start.is_null() ? Json::array() : Json::array({row})}}}};
    auto e = engine_of(bundle_of(wfs, "\"tables\": " + tables.dump()));
    REQUIRE(e->ingest(event("e1", "x", kT0, {{"amount", c.amount}}), kT0).ok());
    auto runs = e->runs().value();
    REQUIRE(runs.size() == 1);
    auto rows = e->table_rows("t").value();
    if (c.want.is_null()) {
      CHECK(runs[0].status == "failed");
      CHECK(runs[0].error.find("is not a number") != std::string::npos);
      continue;
    }
    CHECK(runs[0].status == "completed");
    REQUIRE(rows.size() == 1);
    const Json v = Json::parse(rows[0].value)["v"];
    CHECK(v == c.want);
    CHECK(v.is_string() == c.want.is_string());
    CHECK(v.is_number_float() == c.want.is_number_float());
  }
}

// Delivery outcomes on a store several runners share (PostgreSQL when SHOPFLOW_TEST_PG names a
// server; store.postgres runs this suite): each is written under the claim its effect was
// delivered under, whichever engine of the runner writes it.
TEST_SUITE_BEGIN("store suite: engine");

TEST_CASE("a late outcome is refused after a reload, when the effect was taken over or claimed again") {
  const char* wfs = R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [
      {"id": "say", "action": "notify", "params": {"channel": "#ops", "message": "hi"}}]}])";
  const shopflow::Bundle bundle = bundle_of(wfs);
  for (const shopflow::test::Backend& b : shopflow::test::store_backends()) {
    if (b.name == "sqlite") continue;  // one writer: nobody takes its claims over
    INFO("backend: " << b.name);
    auto open = [&](std::unique_ptr<shopflow::Store> store, const std::string& owner, shopflow::Millis lease_ms) {
      REQUIRE(store->set_owner(owner, lease_ms).ok());
      auto e = Engine::open(bundle, std::move(store));
      REQUIRE_MESSAGE(e.ok(), e.error().message);
      return std::move(e.value());
    };
    // The one effect pending, claimed as soon as no one holds it (within a few leases).
    auto claim = [](Engine& e) {
      std::vector<shopflow::EffectRow> got;
      for (int i = 0; i < 500 && got.empty(); ++i) {
        if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        auto r = e.pending_effects(kT0, 10);
        REQUIRE_MESSAGE(r.ok(), r.error().message);
        got = std::move(r.value());
      }
      REQUIRE(got.size() == 1);
      return got[0];
    };
    auto refused = [](const shopflow::Status& s) { return !s.ok() && s.error().lease_lost(); };
    // Runner a's leases are short and it sends no heartbeat: a runner paused past its lease.
    const shopflow::Millis lease = 300;
    auto a = open(b.fresh(), "runner-a", lease);
    REQUIRE(a->ingest(event("o1", "order.created", kT0, Json::object()), kT0).ok());
    const shopflow::EffectRow first = claim(*a);
    // Runner a reloads its bundle while the effect is being delivered: a new engine.
    a = open(b.again(), "runner-a", lease);
    // Runner b takes the effect over and delivers it.
    auto other = open(b.again(), "runner-b", 60000);
    const shopflow::EffectRow taken = claim(*other);
    CHECK(taken.epoch > first.epoch);
    REQUIRE(other->mark_delivered(taken).ok());
    // Runner a's first attempt fails late: refused and counted; the delivery stands.
    CHECK(refused(a->mark_failed(first, "timed out", std::nullopt)));
    CHECK(a->store_counters().leases_lost == 1);
    auto rows = other->effects().value();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].status == "delivered");
    CHECK(rows[0].last_error == "");

    // Runner a claims its own lapsed effect again: only the newer claim's outcome counts.
    REQUIRE(a->ingest(event("o2", "order.created", kT0, Json::object()), kT0).ok());
    const shopflow::EffectRow stale = claim(*a);
    const shopflow::EffectRow again = claim(*a);
    CHECK(again.id == stale.id);
    CHECK(again.epoch > stale.epoch);
    CHECK(refused(a->mark_failed(stale, "timed out", std::nullopt)));
    CHECK(refused(a->mark_delivered(stale)));
    CHECK(a->store_counters().leases_lost == 3);
    REQUIRE(a->mark_delivered(again).ok());
    CHECK(a->store_counters().leases_lost == 3);
    rows = other->effects().value();
    REQUIRE(rows.size() == 2);
    for (const auto& e : rows) {
      CHECK(e.status == "delivered");
      CHECK(e.attempts == 1);
    }
  }
}

TEST_SUITE_END();
