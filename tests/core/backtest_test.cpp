// The backtest: production's record (an engine on a store, fed events as the runner feeds them:
// accepted, then run a few milliseconds later, timers fired as they come due) re-run through
// the same bundle shows no difference; through an edit, exactly the decisions and effects the
// edit changes. And the comparison of two sides on its own.
#include "shopflow/backtest.hpp"

#include <doctest/doctest.h>

#include "shopflow/engine.hpp"
#include "shopflow/simulator.hpp"
#include "shopflow/sqlite_store.hpp"

using shopflow::Json;
using namespace shopflow;

namespace {

Json bundle_doc(int threshold) {
  return Json::parse(R"({
    "format": "shopflow.bundle/1", "name": "bt", "version": "1",
    "workflows": [
      {"id": "confirm", "trigger": {"event": "order.created"},
       "steps": [
         {"id": "big", "if": {">": [{"var": "event.data.total_price"}, )" + std::to_string(threshold) + R"(]},
          "then": [{"id": "tag", "action": "order.tag", "params": {"order_id": "{{ event.data.id }}", "tags": "big"}}]},
         {"id": "email", "action": "email.send", "params": {"to": "{{ event.data.email }}", "subject": "Order {{ event.data.id }}", "body": "Thanks."}}
       ]},
      {"id": "follow-up", "trigger": {"event": "order.paid"},
       "steps": [
         {"id": "pause", "wait": {"duration": "PT1H"}},
         {"id": "thanks", "action": "notify", "params": {"channel": "#ops", "message": "order {{ event.data.id }} paid"}}
       ]}
    ]})");
}

Bundle bundle(int threshold) {
  auto r = check_bundle(bundle_doc(threshold));
  for (const auto& p : r.problems) FAIL_CHECK(p.to_string());
  REQUIRE(r.ok());
  return r.bundle;
}

const Millis kT0 = 1'800'000'000'000;  // when production received the first event

Event order(const std::string& type, int id, int total, Millis sent) {
  auto e = parse_event(Json{{"id", type + "-" + std::to_string(id)},
                            {"type", type},
                            {"source", "shop"},
                            {"time", format_instant(sent)},
                            {"data", {{"id", id}, {"total_price", total}, {"email", "c" + std::to_string(id) + "@x.test"}}}},
                       "");
  REQUIRE(e);
  Event ev = e.value();
  ev.key = "ce:shop#" + ev.id;  // as the runner keys it
  return ev;
}

// Production: each event accepted at its time received, run 3 ms later, timers fired on the way.
struct Production {
  std::unique_ptr<Engine> engine;
  Store* store = nullptr;  // the engine's, read as the runner's API reads its own connection
  Millis now = 0;
  explicit Production(const Bundle& b) {
    auto opened = SqliteStore::open(":memory:");
    REQUIRE(opened);
    store = opened.value().get();
    auto e = Engine::open(b.runnable_copy(), std::move(opened.value()));
    REQUIRE(e);
    engine = std::move(e.value());
  }
  void receive(const Event& e, Millis at) {
    REQUIRE(engine->advance(at));
    REQUIRE(engine->accept({e}, at));
    now = at + 3;
    REQUIRE(engine->process_pending(now));
  }
  void idle_until(Millis t) {
    REQUIRE(engine->advance(t));
    now = t;
  }
};

// Feeds the production record to a backtest of `b` a page at a time, as `shopflow backtest` does.
ComparisonReport backtest(Production& p, const Bundle& b, BacktestOptions o = {}) {
  o.max_details = 100;
  auto bt = Backtest::open(b, o);
  REQUIRE(bt);
  Backtest& t = *bt.value();
  Store& st = *p.store;
  std::int64_t after = 0;
  for (;;) {
    std::vector<Event> page;
    auto rows = st.inbox_outside(InboxQuery{}, after, 2);
    REQUIRE(rows);
    if (rows.value().empty()) break;
    for (const InboxRow& r : rows.value()) {
      after = r.seq;
      auto e = recorded_event(r);
      REQUIRE(e);
      page.push_back(std::move(e.value()));
    }
    t.add_events(std::move(page));
    auto did = t.step();
    REQUIRE(did);
  }
  auto runs = p.engine->runs();
  REQUIRE(runs);
  std::vector<RunRecord> rr;
  for (auto& r : runs.value()) rr.push_back(run_record(std::move(r)));
  t.add_runs(std::move(rr));
  auto effects = p.engine->effects();
  REQUIRE(effects);
  std::vector<EffectRecord> er;
  for (auto& e : effects.value()) er.push_back(effect_record(e));
  t.add_effects(std::move(er));
  t.end_input();
  for (;;) {
    auto did = t.step();
    REQUIRE(did);
    if (did.value() == Backtest::Did::Finished) break;
  }
  return t.take_report();
}

// Production received five orders (totals 50, 150, 250, 120, 90) and two payments, a minute
// apart, and ran two hours more: the follow-ups' waits have ended.
Production production() {
  Production p(bundle(100));
  Millis t = kT0;
  const int totals[] = {50, 150, 250, 120, 90};
  for (int i = 0; i < 5; ++i, t += 60'000) p.receive(order("order.created", i + 1, totals[i], t - 5000), t);
  p.receive(order("order.paid", 2, 150, t), t);
  p.receive(order("order.paid", 3, 250, t + 60'000), t + 60'000);
  p.idle_until(t + 2 * 3600'000);
  return p;
}

const WorkflowDiff& workflow(const ComparisonReport& r, const std::string& id) {
  for (const auto& w : r.workflows) {
    if (w.workflow == id) return w;
  }
  FAIL("no workflow " << id);
  static WorkflowDiff none;
  return none;
}

}  // namespace

TEST_CASE("a backtest of the bundle production ran, over its own events, finds no difference") {
  Production p = production();
  auto r = backtest(p, bundle(100));
  CHECK_FALSE(r.differs());
  for (const auto& d : r.details) FAIL_CHECK(describe(d));
  CHECK(workflow(r, "confirm").runs_before == 5);
  CHECK(workflow(r, "confirm").runs_after == 5);
  CHECK(workflow(r, "confirm").effects_before == 8);  // 5 emails, 3 tags
  CHECK(workflow(r, "follow-up").runs_after == 2);
  CHECK(workflow(r, "follow-up").effects_after == 2);  // the waits ended as in production
}

TEST_CASE("a backtest of a raised threshold names each flipped decision and each effect it removes") {
  Production p = production();
  auto r = backtest(p, bundle(200));
  REQUIRE(r.differs());
  const WorkflowDiff& c = workflow(r, "confirm");
  CHECK(c.decisions_flipped == 2);  // orders 2 (150) and 4 (120)
  CHECK(c.effects_removed == 2);
  CHECK(c.effects_added == 0);
  CHECK(c.runs_added + c.runs_removed + c.status_changed + c.effects_changed == 0);
  CHECK_FALSE(workflow(r, "follow-up").differs());
  REQUIRE(r.details.size() == 4);
  const Difference& d = r.details[0];
  CHECK(d.kind == DiffKind::DecisionFlipped);
  CHECK(d.run == "confirm:ce:shop#order.created-2");
  CHECK(d.step == "big");
  CHECK(d.before == Json(true));
  CHECK(d.after == Json(false));
  CHECK(d.seen_before == Json{{"event.data.total_price", 150}});
  CHECK(d.condition_before == Json::parse(R"({">":[{"var":"event.data.total_price"},100]})"));
  CHECK(d.condition_after == Json::parse(R"({">":[{"var":"event.data.total_price"},200]})"));
  // Each run's differences together: its decision, then its effects.
  CHECK(r.details[1].kind == DiffKind::EffectRemoved);
  CHECK(r.details[1].effect == "confirm:ce:shop#order.created-2/big/then/tag");
  CHECK(r.details[1].before == Json{{"order_id", "2"}, {"tags", "big"}});
  CHECK(r.details[2].kind == DiffKind::DecisionFlipped);
  CHECK(r.details[2].run == "confirm:ce:shop#order.created-4");
  CHECK(r.details[3].effect == "confirm:ce:shop#order.created-4/big/then/tag");
  CHECK(describe(d).find("saw {\"event.data.total_price\":150}") != std::string::npos);
}

TEST_CASE("a backtest window leaves out the events, runs and effects outside it") {
  Production p = production();
  BacktestOptions o;
  o.since = kT0 + 2 * 60'000;  // orders 3, 4, 5 and the payments
  auto r = backtest(p, bundle(200), o);
  CHECK(workflow(r, "confirm").runs_before == 3);
  CHECK(workflow(r, "confirm").runs_after == 3);
  CHECK(workflow(r, "confirm").decisions_flipped == 1);  // order 4 only
  CHECK(workflow(r, "confirm").effects_removed == 1);
  // Until just after order 3's payment: the follow-ups still wait, in production as then.
  o.since.reset();
  o.until = kT0 + 6 * 60'000 + 10;
  auto w = backtest(p, bundle(100), o);
  CHECK_FALSE(w.differs());
  for (const auto& d : w.details) FAIL_CHECK(describe(d));
  CHECK(workflow(w, "follow-up").runs_before == 2);
  CHECK(workflow(w, "follow-up").effects_before == 0);
  CHECK(workflow(w, "follow-up").effects_after == 0);
}

TEST_CASE("a comparison of two sides matches runs and effects by id, in any order") {
  Comparison c;
  c.name_workflow("w");
  RunRecord a{"w:e1", "w", "e1", "completed", "", "", 1, 2,
              R"([{"path":"check","kind":"if","time":"2027-01-15T08:00:00.000Z","output":{"result":true},"verdict":true}])"};
  RunRecord b = a;
  b.steps = R"([{"path":"check","kind":"if","time":"2027-01-15T08:00:00.007Z","output":{"result":true},"verdict":true}])";
  c.add_run(Comparison::Side::After, RunRecord(b));  // the same but for when the step ran
  c.add_run(Comparison::Side::Before, RunRecord(a));
  c.add_effect(Comparison::Side::Before, EffectRecord{"w:e1/x", "w:e1", "x", "email.send", R"({"to":"a","n":1})", 5});
  c.add_effect(Comparison::Side::After, EffectRecord{"w:e1/x", "w:e1", "x", "email.send", R"({"n":1, "to":"b"})", 6});
  c.add_effect(Comparison::Side::After, EffectRecord{"w:e1/y", "w:e1", "y", "notify", "{}", 6});
  CHECK(c.unmatched() == 1);
  c.finish();
  const auto& r = c.report();
  REQUIRE(r.details.size() == 2);
  CHECK(r.details[0].kind == DiffKind::EffectAdded);
  CHECK(r.details[1].kind == DiffKind::EffectChanged);
  CHECK(r.details[1].changed == std::vector<std::string>{"/to"});
  CHECK(r.total().decisions_flipped == 0);
  CHECK(r.to_json(false)["total"]["effects"]["added"] == 1);
}

TEST_CASE("what is left without a counterpart is reported alike in one finish or in pieces, the first by id listed") {
  // Effects added and runs removed in no particular order; two details are kept of 5 + 40.
  auto fill = [](Comparison& c) {
    c.name_workflow("w");
    for (int i : {3, 1, 4, 0, 2}) {
      c.add_run(Comparison::Side::Before, RunRecord{"w:r" + std::to_string(i), "w", "e", "completed", "", "", 1, 2, ""});
    }
    for (int i = 39; i >= 0; --i) {
      const std::string n = std::to_string(100 + (i * 17) % 40);
      c.add_effect(Comparison::Side::After, EffectRecord{"w:e" + n + "/x", "w:e" + n, "x", "notify", "{}", 5});
    }
  };
  Comparison whole(Comparison::Options{false, 2});
  fill(whole);
  whole.finish();
  Comparison pieces(Comparison::Options{false, 2});
  fill(pieces);
  int calls = 1;
  while (!pieces.finish_some(3)) ++calls;
  CHECK(calls >= 15);
  for (const Comparison* c : {&whole, &pieces}) {
    const auto& r = c->report();
    CHECK(r.total().runs_removed == 5);
    CHECK(r.total().effects_added == 40);
    REQUIRE(r.details.size() == 2);
    CHECK(r.details_left_out == 43);
    CHECK(r.details[0].run == "w:r0");
    CHECK(r.details[1].run == "w:r1");
  }
  Comparison effects_only(Comparison::Options{false, 3});
  effects_only.name_workflow("w");
  for (int i = 39; i >= 0; --i) {
    const std::string n = std::to_string(100 + (i * 17) % 40);
    effects_only.add_effect(Comparison::Side::After, EffectRecord{"w:e" + n + "/x", "w:e" + n, "x", "notify", "{}", 5});
  }
  while (!effects_only.finish_some(7)) {
  }
  const auto& r = effects_only.report();
  REQUIRE(r.details.size() == 3);
  CHECK(r.details[0].effect == "w:e100/x");
  CHECK(r.details[1].effect == "w:e101/x");
  CHECK(r.details[2].effect == "w:e102/x");
  CHECK(r.details_left_out == 37);
}

TEST_CASE("a run read from its text is the run read from its JSON document, and fails alike") {
  const char* lines[] = {
      R"({"seq":7,"id":"confirm:ce:/s#o-1","workflow":"confirm","event_id":"o-1","status":"completed","started":"2026-03-02T00:00:01.002Z","updated":"2026-03-02T00:00:01.003Z","error":null,"error_step":null,"bundle_version":"v1","steps":[{"path":"big","kind":"if","time":"2026-03-02T00:00:01.002Z","output":true,"verdict":true,"explanation":{"op":">","args":[1,{"x":[2]}]}}]})",
      R"( {"id":"confirm:ce:/s#o-2","event":"o-2","event_id":null,"status":"failed","error":"boom \"quoted\" \u00e9","error_step":"tag","started":1700000000000,"updated":1700000000005,"steps":[]} )",
      R"({"id":"follow-up:ce:/s#o-3","steps": [ {"path":"pause","kind":"wait"} ] ,"extra":{"nested":[1,2,{"a":null}]}})",
      R"({"id":"confirm:ce:/s#o-4","event_id":"o-4","event":"other"})",
  };
  for (const char* line : lines) {
    CAPTURE(line);
    auto fast = run_record_text(line);
    auto slow = run_record(Json::parse(line));
    REQUIRE(fast);
    REQUIRE(slow);
    const RunRecord& a = fast.value();
    const RunRecord& b = slow.value();
    CHECK(a.id == b.id);
    CHECK(a.workflow == b.workflow);
    CHECK(a.event_id == b.event_id);
    CHECK(a.status == b.status);
    CHECK(a.error == b.error);
    CHECK(a.error_step == b.error_step);
    CHECK(a.started == b.started);
    CHECK(a.updated == b.updated);
    CHECK((a.steps.empty() ? Json() : Json::parse(a.steps)) == (b.steps.empty() ? Json() : Json::parse(b.steps)));
  }
  CHECK(run_record_text(lines[1]).value().error == "boom \"quoted\" \xc3\xa9");
  CHECK(run_record_text(lines[2]).value().workflow == "follow-up");
  // The step records as the text has them (read without a document of their own).
  CHECK(run_record_text(lines[2]).value().steps == R"([ {"path":"pause","kind":"wait"} ])");
  // What the fast reading does not take is read in full: a key twice keeps the last, as nlohmann does.
  CHECK(run_record_text(R"({"id":"a:1","status":"running","status":"completed"})").value().status == "completed");
  // Errors name what is wrong, as run_record(Json) does.
  auto no_id = run_record_text(R"({"workflow":"w"})");
  REQUIRE_FALSE(no_id);
  CHECK(no_id.error().message == "a run has no \"id\"");
  auto bad_time = run_record_text(R"({"id":"a:1","started":"yesterday"})");
  REQUIRE_FALSE(bad_time);
  CHECK(bad_time.error().message.find("\"started\"") != std::string::npos);
  auto bad_type = run_record_text(R"({"id":"a:1","status":7})");
  REQUIRE_FALSE(bad_type);
  CHECK(bad_type.error().message == "a run: \"status\" is not text");
  auto not_json = run_record_text(R"({"id":"a:1",)");
  REQUIRE_FALSE(not_json);
  CHECK(not_json.error().message.find("not valid JSON") != std::string::npos);
}

TEST_CASE("the effects of a page read from its text are those read from its JSON document, and fail alike") {
  const std::string page = R"({"effects":[
    {"seq":1,"id":"confirm:ce:/s#o-1/big/then/tag","run_id":"confirm:ce:/s#o-1","path":"big/then/tag","type":"order.tag",
     "params": {"order_id":"o-1","tags":"big","n":[1,2.5,{"x":null}]} ,"status":"delivered","attempts":1,"created":"2026-03-02T00:00:01.002Z","last_error":null},
    {"id":"e2","run":"r2","step":"s2","type":"email.send","time":1700000000000},
    {"id":"e3","run_id":null,"run":"r3","path":"p3","type":"t","created":null,"time":"2026-03-02T00:00:02Z","params":[1]}
  ],"next_after":3})";
  auto fast = effect_page_text(page);
  REQUIRE(fast);
  std::vector<EffectRecord> slow;
  const Json doc = Json::parse(page);
  for (const Json& e : doc["effects"]) slow.push_back(effect_record(e).value());
  REQUIRE(fast.value().size() == slow.size());
  for (size_t i = 0; i < slow.size(); ++i) {
    const EffectRecord& a = fast.value()[i];
    const EffectRecord& b = slow[i];
    CAPTURE(i);
    CHECK(a.id == b.id);
    CHECK(a.run_id == b.run_id);
    CHECK(a.path == b.path);
    CHECK(a.type == b.type);
    CHECK(a.created == b.created);
    CHECK(Json::parse(a.params) == Json::parse(b.params));
  }
  // The params as the text has them.
  CHECK(fast.value()[0].params == R"({"order_id":"o-1","tags":"big","n":[1,2.5,{"x":null}]})");
  CHECK(fast.value()[1].params == "null");
  // Read in full where the fast reading stops, with the same result.
  auto scalar = effect_page_text(R"({"effects":[{"id":"e","type":"t","params":"text"}]})");
  REQUIRE(scalar);
  CHECK(scalar.value()[0].params == R"("text")");
  auto no_type = effect_page_text(R"({"effects":[{"id":"e"}]})");
  REQUIRE_FALSE(no_type);
  CHECK(no_type.error().message.find("an effect has no \"type\"") != std::string::npos);
  auto no_list = effect_page_text(R"({"runs":[]})");
  REQUIRE_FALSE(no_list);
  CHECK(no_list.error().message == "the runner's /v1/effects answer has no effects list");
  auto empty = effect_page_text(R"({"effects":[],"next_after":null})");
  REQUIRE(empty);
  CHECK(empty.value().empty());
}
