// The simulator and self-tests: every example bundle passes its own tests, a broken
// expectation gives a readable diff, and the trace is deterministic.
#include "shopflow/simulator.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "paths.hpp"

using shopflow::Json;

namespace {

shopflow::Bundle load(const std::filesystem::path& p) {
  auto r = shopflow::load_bundle(shopflow::test::read_file(p));
  REQUIRE(r.ok());
  for (const auto& pr : r.value().problems) FAIL_CHECK(pr.to_string());
  return r.value().bundle;
}

std::vector<std::filesystem::path> example_bundles() {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(shopflow::test::source_dir() / "workflows")) {
    auto name = entry.path().filename().string();
    if (entry.path().extension() == ".json" && name.find(".schema.") == std::string::npos) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("every example bundle passes its own tests") {
  for (const auto& path : example_bundles()) {
    CAPTURE(path.string());
    auto b = load(path);
    for (const auto& t : shopflow::run_tests(b)) {
      CAPTURE(t.name);
      if (!t.passed) FAIL_CHECK(t.diff);
    }
  }
}

TEST_CASE("the abandoned-checkout bundle has the wait-for-order tests") {
  auto b = load(shopflow::test::source_dir() / "workflows" / "abandoned-checkout.json");
  CHECK(b.tests.size() >= 2);
  auto outcomes = shopflow::run_tests(b);
  REQUIRE(outcomes.size() == b.tests.size());
  for (const auto& o : outcomes) CHECK(o.passed);
}

TEST_CASE("a broken expectation fails with a readable diff") {
  auto b = load(shopflow::test::source_dir() / "workflows" / "abandoned-checkout.json");
  REQUIRE(b.tests.size() >= 2);
  auto& t = b.tests[1];
  t.expect["effects"][0]["params"]["subject"] = "Wrong subject";
  t.expect["tables"] = {{"recovery", {{"reminders", {{"sent", 7}}}}}};
  auto outcomes = shopflow::run_tests(b);
  REQUIRE_FALSE(outcomes[1].passed);
  const std::string& d = outcomes[1].diff;
  CHECK(d.find("/params/subject: expected \"Wrong subject\", got") != std::string::npos);
  CHECK(d.find("table recovery, key \"reminders\": /sent: expected 7, got 2") != std::string::npos);
}

TEST_CASE("a Simulation stepped a little at a time gives simulate()'s trace") {
  for (const auto& path : example_bundles()) {
    CAPTURE(path.string());
    auto b = load(path);
    auto whole = shopflow::simulate(b, b.sample_events);
    REQUIRE(whole.ok());
    auto events = std::make_shared<const std::vector<shopflow::Event>>(b.sample_events);
    auto sim = shopflow::Simulation::open(b, events);
    REQUIRE(sim.ok());
    shopflow::Simulation& s = *sim.value();
    CHECK(s.feedable() == events->size());
    size_t fed = 0, trace_steps = 0;
    shopflow::Millis last_clock = s.clock();
    for (;;) {
      auto did = s.step(3);  // three trace items a step: the trace is built over many steps
      REQUIRE(did.ok());
      CHECK(s.clock() >= last_clock);  // the clock never goes back
      last_clock = s.clock();
      if (did.value() == shopflow::Simulation::Did::Event) {
        ++fed;
        CHECK(s.last_event() != nullptr);
      }
      if (did.value() == shopflow::Simulation::Did::Trace) ++trace_steps;
      if (did.value() == shopflow::Simulation::Did::Finished) break;
    }
    CHECK(fed == s.fed());
    CHECK(s.step().value() == shopflow::Simulation::Did::Finished);  // and stays so
    auto t = s.take_trace();
    CHECK(t.hash == whole.value().hash);
    CHECK(t.json == whole.value().json);
    if (whole.value().json["runs"].size() > 3) CHECK(trace_steps > 0);
  }
}

namespace {

// Feeds `events` to a fed simulation `block` at a time, stepping until it is hungry after each
// block (or, with `all_first`, only once every block is in), and returns its trace.
shopflow::Trace fed_trace(const shopflow::Bundle& b, const std::vector<shopflow::Event>& events, size_t block,
                          bool all_first, const shopflow::SimOptions& opts) {
  auto sim = shopflow::Simulation::open_fed(b, opts);
  REQUIRE(sim.ok());
  shopflow::Simulation& s = *sim.value();
  auto run = [&](bool to_end) {
    for (;;) {
      auto did = s.step(5);
      REQUIRE(did.ok());
      if (did.value() == shopflow::Simulation::Did::Finished) return;
      if (did.value() == shopflow::Simulation::Did::Hungry) {
        REQUIRE_FALSE(to_end);
        return;
      }
    }
  };
  for (size_t at = 0; at < events.size(); at += block) {
    auto end = events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), at + block));
    REQUIRE(s.feed(std::vector<shopflow::Event>(events.begin() + static_cast<std::ptrdiff_t>(at), end)));
    if (!all_first) run(false);
  }
  CHECK(s.feedable() == events.size());
  s.end_feed();
  run(true);
  return s.take_trace();
}

}  // namespace

TEST_CASE("a fed Simulation, given its events a block at a time, gives simulate()'s trace") {
  for (const auto& path : example_bundles()) {
    CAPTURE(path.string());
    auto b = load(path);
    std::vector<shopflow::Event> events = b.sample_events;
    std::stable_sort(events.begin(), events.end(),
                     [](const shopflow::Event& x, const shopflow::Event& y) { return x.time_ms < y.time_ms; });
    std::vector<shopflow::SimOptions> variants(1);
    if (!events.empty()) {
      shopflow::SimOptions mid;  // some events after the end: counted, not fed in
      mid.until = events[events.size() / 2].time_ms;
      variants.push_back(mid);
      shopflow::SimOptions early;  // the clock starts an hour early, and ends before any event
      early.from = events.front().time_ms - 3600000;
      early.until = events.front().time_ms - 1;
      variants.push_back(early);
    }
    for (const auto& opts : variants) {
      auto whole = shopflow::simulate(b, events, opts);
      REQUIRE(whole.ok());
      for (size_t block : {size_t{1}, size_t{2}, size_t{1000}}) {
        for (bool all_first : {false, true}) {
          CAPTURE(block);
          CAPTURE(all_first);
          auto t = fed_trace(b, events, block, all_first, opts);
          CHECK(t.hash == whole.value().hash);
          CHECK(t.json == whole.value().json);
          CHECK(t.after_until == whole.value().after_until);
        }
      }
    }
  }
}

TEST_CASE("a fed Simulation refuses an event earlier than one before it, and goes on without it") {
  auto b = load(shopflow::test::source_dir() / "workflows" / "abandoned-checkout.json");
  REQUIRE(b.sample_events.size() >= 2);
  std::vector<shopflow::Event> events = b.sample_events;
  std::stable_sort(events.begin(), events.end(),
                   [](const shopflow::Event& x, const shopflow::Event& y) { return x.time_ms < y.time_ms; });
  auto sim = shopflow::Simulation::open_fed(b);
  REQUIRE(sim.ok());
  shopflow::Simulation& s = *sim.value();
  CHECK(s.step().value() == shopflow::Simulation::Did::Hungry);  // nothing given yet
  REQUIRE(s.feed({events.back()}));
  CHECK_FALSE(s.feed({events.front()}));
  CHECK(s.feedable() == 1);
  s.end_feed();
  for (;;) {
    auto did = s.step();
    REQUIRE(did.ok());
    if (did.value() == shopflow::Simulation::Did::Finished) break;
  }
  CHECK(s.take_trace().events == 1);
}

TEST_CASE("simulating the samples twice gives the same trace, and the summary counts runs") {
  for (const auto& path : example_bundles()) {
    CAPTURE(path.string());
    auto b = load(path);
    auto a = shopflow::simulate(b, b.sample_events);
    auto c = shopflow::simulate(b, b.sample_events);
    REQUIRE(a.ok());
    REQUIRE(c.ok());
    CHECK(a.value().hash == c.value().hash);
    CHECK(a.value().json.dump() == c.value().json.dump());
    CHECK(a.value().hash.size() == 16);
    // The hash, fed piece by piece, is that of the whole document's bytes.
    CHECK(a.value().hash == shopflow::trace_hash_hex(a.value().json.dump()));
    std::string s = shopflow::summarize(a.value());
    CHECK(s.find("Runs by workflow:") != std::string::npos);
    CHECK(s.find("Trace hash: " + a.value().hash) != std::string::npos);
    // The trace as text (what `shopflow simulate --trace` writes) is the document's dump.
    shopflow::SimOptions as_text;
    as_text.document = false;
    auto t = shopflow::simulate(b, b.sample_events, as_text);
    REQUIRE(t.ok());
    CHECK(t.value().json.is_null());
    CHECK(t.value().text == a.value().json.dump());
    CHECK(t.value().hash == a.value().hash);
    CHECK(shopflow::summarize(t.value()) == s);
    // Handed out piece by piece (what `shopflow simulate --trace` writes to its file), the text
    // is the same, and the trace holds none of it.
    std::string written;
    as_text.write_text = [&](std::string_view piece) { written += piece; };
    auto w = shopflow::simulate(b, b.sample_events, as_text);
    REQUIRE(w.ok());
    CHECK(w.value().text.empty());
    CHECK(written == t.value().text);
    CHECK(w.value().hash == a.value().hash);
    // Events given up to the simulation (as `shopflow simulate` gives those of a file) move
    // into their runs: the same trace.
    std::vector<shopflow::Event> given = b.sample_events;
    auto u = shopflow::simulate(b, std::move(given));
    REQUIRE(u.ok());
    CHECK(u.value().json.dump() == a.value().json.dump());
  }
}

TEST_CASE("a text trace, written as the engine goes, is the document read back from the store") {
  // The text trace takes runs and effects as they are saved (runs still waiting at the end with
  // their last state); the document reads them from the store once the events are in.
  for (const auto& path : example_bundles()) {
    CAPTURE(path.string());
    auto b = load(path);
    std::vector<shopflow::SimOptions> variants(3);
    variants[1].include_steps = false;
    variants[2].explain = false;
    if (!b.sample_events.empty()) {
      std::vector<shopflow::Millis> times;
      for (const auto& e : b.sample_events) times.push_back(e.time_ms);
      std::sort(times.begin(), times.end());
      shopflow::SimOptions mid;  // some runs still waiting at the end
      mid.until = times[times.size() / 2] + 1;
      variants.push_back(mid);
    }
    for (size_t v = 0; v < variants.size(); ++v) {
      CAPTURE(v);
      auto d = shopflow::simulate(b, b.sample_events, variants[v]);
      shopflow::SimOptions text = variants[v];
      text.document = false;
      auto t = shopflow::simulate(b, b.sample_events, text);
      REQUIRE(d.ok());
      REQUIRE(t.ok());
      CHECK(t.value().text == d.value().json.dump());
      CHECK(t.value().hash == d.value().hash);
      CHECK(shopflow::summarize(t.value()) == shopflow::summarize(d.value()));
    }
  }
}

TEST_CASE("a text trace keeps the runs in the order they started, stored or not") {
  // Without a document, runs that finish at once leave no row in the store (the trace has
  // them) while runs that wait are stored: started in between, they still come in start order,
  // and a schedule's runs (stored too) among them.
  auto r = shopflow::load_bundle(R"({"format": "shopflow.bundle/1", "name": "order", "version": "1",
    "workflows": [
      {"id": "hold", "trigger": {"event": "order.created", "filter": {"==": [{"var": "event.data.wait"}, true]}},
       "steps": [{"id": "paid", "wait": {"event": "order.paid", "match": {"==": [{"var": "event.data.order"},
                  {"var": "trigger.data.order"}]}, "timeout": "PT1H"}},
                 {"id": "say", "action": "notify", "params": {"channel": "ops", "message": "{{ event.data.order }}"}}]},
      {"id": "quick", "trigger": {"event": "order.created"},
       "steps": [{"id": "tag", "action": "order.tag", "params": {"order_id": "{{ event.data.order }}", "tags": "seen"}}]},
      {"id": "tick", "trigger": {"schedule": "*/20 * * * *"},
       "steps": [{"id": "ping", "action": "notify", "params": {"channel": "ops", "message": "tick"}}]}]})");
  REQUIRE(r.ok());
  REQUIRE(r.value().ok());
  const shopflow::Bundle& b = r.value().bundle;
  auto events = shopflow::parse_events_jsonl(
      R"({"id": "o1", "type": "order.created", "time": "2026-03-02T09:00:00Z", "data": {"order": "1", "wait": true}}
{"id": "o2", "type": "order.created", "time": "2026-03-02T09:01:00Z", "data": {"order": "2", "wait": false}}
{"id": "o3", "type": "order.created", "time": "2026-03-02T09:02:00Z", "data": {"order": "3", "wait": true}}
{"id": "p1", "type": "order.paid", "time": "2026-03-02T09:10:00Z", "data": {"order": "1"}}
{"id": "o4", "type": "order.created", "time": "2026-03-02T09:11:00Z", "data": {"order": "4", "wait": false}}
{"id": "o5", "type": "order.created", "time": "2026-03-02T09:30:00Z", "data": {"order": "5", "wait": true}}
{"id": "o6", "type": "order.created", "time": "2026-03-02T09:31:00Z", "data": {"order": "6", "wait": false}}
)");
  REQUIRE(events.ok());
  // Six orders start six runs of "quick" and three of "hold"; "tick" runs every 20 minutes.
  const std::pair<const char*, size_t> ends[] = {{"2026-03-02T09:45:00Z", 6 + 3 + 2}, {"2026-03-02T12:00:00Z", 6 + 3 + 9}};
  for (const auto& end : ends) {
    const char* until = end.first;
    const size_t runs = end.second;
    CAPTURE(until);
    shopflow::SimOptions o;
    o.until = shopflow::parse_instant(until).value();
    auto d = shopflow::simulate(b, events.value(), o);
    o.document = false;
    auto t = shopflow::simulate(b, events.value(), o);
    REQUIRE(d.ok());
    REQUIRE(t.ok());
    CHECK(t.value().text == d.value().json.dump());
    std::vector<std::string> ids;
    for (const Json& run : d.value().json["runs"]) ids.push_back(run["id"].get<std::string>());
    REQUIRE(ids.size() == runs);
    CHECK(ids[0] == "hold:o1");
    CHECK(ids[1] == "quick:o1");
    CHECK(ids[2] == "quick:o2");
    CHECK(ids[3] == "hold:o3");
  }
}

TEST_CASE("the trace as text escapes every string as the JSON document does") {
  // Quotes, backslashes, control characters and non-ASCII text in ids, effect parameters,
  // run errors (a request with no mock fails its run, naming the URL) and table keys and rows.
  auto r = shopflow::load_bundle(R"({"format": "shopflow.bundle/1", "name": "esc", "version": "1",
    "tables": {"notes": {"key": "text", "rows": []}},
    "workflows": [{"id": "w", "trigger": {"event": "order.created"}, "steps": [
      {"id": "say", "action": "notify", "params": {"channel": "ops", "message": "{{ event.data.note }}"}},
      {"id": "call", "action": "http.request", "params": {"method": "GET", "url": "https://x.test/{{ event.data.note }}"}}]},
      {"id": "keep", "trigger": {"event": "order.created"}, "steps": [
      {"id": "set", "action": "table.set", "params": {"table": "notes", "key": "{{ event.data.note }}",
        "value": {"seen": "{{ event.id }}"}}}]}]})");
  REQUIRE(r.ok());
  REQUIRE(r.value().ok());
  const shopflow::Bundle& b = r.value().bundle;
  const std::string notes[] = {"plain", "quote \" back\\slash", "tab\t nl\n cr\r bell\x07 del\x7f",
                               "Gr\xc3\xbc\xc3\x9f" "e, \xe6\x9d\xb1, \xf0\x9f\x98\x80", "/slash/"};
  std::vector<shopflow::Event> events;
  for (size_t i = 0; i < std::size(notes); ++i) {
    Json doc = {{"id", "e-" + std::to_string(i) + "\"\x01"}, {"type", "order.created"},
                {"time", "2026-03-02T09:00:0" + std::to_string(i) + "Z"}, {"data", {{"note", notes[i]}}}};
    auto e = shopflow::parse_event(doc, "");
    REQUIRE(e.ok());
    events.push_back(e.value());
  }
  shopflow::SimOptions as_text;
  as_text.document = false;
  auto d = shopflow::simulate(b, events);
  auto t = shopflow::simulate(b, events, as_text);
  REQUIRE(d.ok());
  REQUIRE(t.ok());
  CHECK(d.value().failed == events.size());
  CHECK(d.value().json["tables"]["changes"].size() == events.size());
  CHECK(d.value().json["tables"]["final"]["notes"].size() == events.size());
  CHECK(t.value().text == d.value().json.dump());
  CHECK(t.value().hash == d.value().hash);
}

TEST_CASE("events from JSON Lines") {
  auto r = shopflow::parse_events_jsonl(
      "{\"id\": \"a\", \"type\": \"order.created\", \"time\": \"2026-03-02T09:00:00Z\", \"data\": {}}\n\n"
      "{\"type\": \"order.paid\", \"time\": \"2026-03-02T09:05:00Z\"}\n");
  REQUIRE(r.ok());
  REQUIRE(r.value().size() == 2);
  CHECK(r.value()[1].id == "line-3");
  auto bad = shopflow::parse_events_jsonl("{\"type\": \"order.created\", \"time\": \"2026-03-02T09:00:00Z\"}\n{\"type\": 1}\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("line 2") != std::string::npos);
  // XXH3 64-bit, as xxhsum -H3 prints it.
  CHECK(shopflow::trace_hash_hex("") == "2d06800538d394c2");
  CHECK(shopflow::trace_hash_hex("a") == "e6c632b61e964e1f");
}

TEST_CASE("branch coverage names the branches no test takes") {
  const char* text = R"({
    "format": "shopflow.bundle/1", "name": "cov", "version": "1",
    "workflows": [{
      "id": "big", "trigger": {"event": "order.created", "filter": {"!!": [{"var": "event.data.email"}]}},
      "steps": [
        {"id": "size", "if": {">": [{"var": "event.data.total"}, 100]},
         "then": [{"id": "tag", "action": "order.tag", "params": {"order_id": "1", "tags": "big"}}]},
        {"id": "tier", "switch": {"var": "event.data.tier"},
         "cases": [{"equals": "gold", "steps": []}, {"equals": "silver", "steps": []}], "default": []},
        {"id": "paid", "wait": {"event": "order.paid", "timeout": "PT1H"}}]}],
    "tests": [{"name": "one big gold order",
               "events": [{"type": "order.created", "time": "2026-03-02T09:00:00Z",
                           "data": {"email": "a@example.com", "total": 500, "tier": "gold"}}],
               "expect": {"effects": [{"type": "order.tag"}]}}]})";
  auto r = shopflow::load_bundle(text);
  REQUIRE(r.ok());
  REQUIRE(r.value().ok());
  std::vector<shopflow::BranchCoverage> cov;
  auto outcomes = shopflow::run_tests(r.value().bundle, &cov);
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].passed);
  std::vector<std::string> taken, missed;
  for (const auto& b : cov) (b.hits ? taken : missed).push_back(b.key.branch);
  CHECK(taken == std::vector<std::string>{"trigger: filter passes", "size: then", "tier: case \"gold\"", "paid: timed out"});
  CHECK(missed == std::vector<std::string>{"trigger: filter rejects", "size: else", "tier: case \"silver\"", "tier: default",
                                           "paid: event arrived"});
}

TEST_CASE("a test's own mocks answer before the bundle's") {
  const char* text = R"({
    "format": "shopflow.bundle/1", "name": "mocks", "version": "1",
    "workflows": [{"id": "ask", "trigger": {"event": "order.created"},
      "steps": [{"id": "erp", "action": "http.request", "params": {"method": "GET", "url": "https://erp.example.com/stock"}},
                {"id": "ok", "if": {"==": [{"var": "steps.erp.status"}, 200]}, "then": [],
                 "else": [{"id": "tell", "action": "notify", "params": {"channel": "#ops", "message": "ERP {{ steps.erp.status }}"}}]}]}],
    "mocks": {"http": [{"url": "https://erp.example.com/*", "response": {"status": 200, "body": {}}}]},
    "tests": [
      {"name": "up", "events": [{"type": "order.created", "time": "2026-03-02T09:00:00Z"}],
       "expect": {"no_effects": ["notify"]}},
      {"name": "down", "events": [{"type": "order.created", "time": "2026-03-02T09:00:00Z"}],
       "mocks": {"http": [{"method": "GET", "url": "https://erp.example.com/stock", "response": {"status": 503}}]},
       "expect": {"effects": [{"type": "notify", "params": {"message": "ERP 503"}}]}}]})";
  auto r = shopflow::load_bundle(text);
  REQUIRE(r.ok());
  REQUIRE(r.value().ok());
  for (const auto& t : shopflow::run_tests(r.value().bundle)) {
    CAPTURE(t.name);
    CAPTURE(t.diff);
    CHECK(t.passed);
  }
}

TEST_CASE("repeated samples make a longer simulation whose copies do not answer each other") {
  auto b = load(shopflow::test::source_dir() / "workflows" / "abandoned-checkout.json");
  const auto& samples = b.sample_events;
  REQUIRE(!samples.empty());
  // Copies one hour apart: their waits overlap, so only the marked tokens keep them apart.
  auto more = shopflow::repeat_events(samples, 3, 3600 * 1000);
  REQUIRE(more.size() == 3 * samples.size());
  CHECK(more[0].id == samples[0].id + "~1");
  CHECK(more[0].time_ms == samples[0].time_ms + 3600 * 1000);
  CHECK(more.back().id == samples.back().id + "~3");
  auto one = shopflow::simulate(b, samples);
  auto four = shopflow::simulate(b, [&] { auto all = samples; all.insert(all.end(), more.begin(), more.end()); return all; }());
  REQUIRE(one.ok());
  REQUIRE(four.ok());
  // Every copy behaves like the samples: four times the runs and the reminders.
  for (size_t i = 0; i < one.value().counts.size(); ++i) {
    CHECK(four.value().counts[i].started == 4 * one.value().counts[i].started);
    CHECK(four.value().counts[i].completed == 4 * one.value().counts[i].completed);
    CHECK(four.value().counts[i].stopped == 4 * one.value().counts[i].stopped);
  }
  CHECK(four.value().effects_by_type.at("email.send") == 4 * one.value().effects_by_type.at("email.send"));
}

TEST_CASE("a short test: sample events by id, seeded tables, the first difference of two texts") {
  const char* text = R"({
    "format": "shopflow.bundle/1", "name": "short", "version": "1",
    "tables": {"stock": {"key": "sku", "rows": [{"sku": "TRAY", "on_hand": 5}]}},
    "workflows": [{
      "id": "confirm", "trigger": {"event": "order.created"},
      "steps": [
        {"id": "stock", "if": {"<": [{"lookup": ["stock", {"var": "event.data.sku"}, "on_hand"]}, 1]},
         "then": [{"id": "hold", "action": "order.hold", "params": {"order_id": "{{ event.data.id }}", "reason": "out of stock"}}],
         "else": [{"id": "mail", "action": "email.send", "params": {"to": "{{ event.data.email }}",
           "subject": "Order {{ event.data.id }}", "body": "Dear {{ event.data.name }}, thank you for your order: one walnut desk tray is on its way to you."}}]}]}],
    "samples": {"events": [{"id": "o-1", "type": "order.created", "time": "2026-03-02T09:00:00Z",
                            "data": {"id": 1, "email": "ada@example.com", "name": "Ada", "sku": "TRAY"}}]},
    "tests": [
      {"name": "a sample as it is", "events": [{"sample": "o-1"}],
       "expect": {"effects": [{"type": "email.send", "params": {"to": "ada@example.com"}}], "no_effects": ["order.hold"]}},
      {"name": "a sample with other data and an empty shelf",
       "events": [{"sample": "o-1", "data": {"id": 2, "email": null}}],
       "tables": {"stock": [{"sku": "TRAY", "on_hand": 0}]},
       "expect": {"effects": [{"type": "order.hold", "params": {"order_id": "2"}}], "no_effects": ["email.send"]}},
      {"name": "a long text that differs",
       "events": [{"sample": "o-1"}],
       "expect": {"effects": [{"type": "email.send", "params": {"body": "Dear Ada, thank you for your order: one walnut desk tray is in the post."}}]}}]})";
  auto r = shopflow::load_bundle(text);
  REQUIRE(r.ok());
  for (const auto& p : r.value().problems) FAIL_CHECK(p.to_string());
  REQUIRE(r.value().ok());
  const auto& b = r.value().bundle;
  REQUIRE(b.tests.size() == 3);
  CHECK(b.tests[1].events[0].id == "o-1");
  CHECK(b.tests[1].events[0].data.dump() == R"({"id":2,"name":"Ada","sku":"TRAY"})");
  auto outcomes = shopflow::run_tests(b);
  CHECK(outcomes[0].passed);
  CHECK(outcomes[1].passed);
  REQUIRE_FALSE(outcomes[2].passed);
  CHECK(outcomes[2].diff.find("/params/body: the texts differ at character 61: "
                              "expected \"…one walnut desk tray is in the post.\", "
                              "got \"…one walnut desk tray is on its way to you.\"") != std::string::npos);
  // The bundle's own rows are untouched by a test that seeds its own.
  CHECK(b.tables[0].rows[0].second["on_hand"] == 5);
}

TEST_CASE("a test names samples that exist and tables the bundle declares") {
  const char* text = R"({
    "format": "shopflow.bundle/1", "name": "short", "version": "1",
    "tables": {"stock": {"key": "sku", "rows": []}},
    "workflows": [],
    "samples": {"events": [{"id": "order-1", "type": "order.created", "time": "2026-03-02T09:00:00Z"}]},
    "tests": [{"name": "t", "events": [{"sample": "ordr-1"}, {"sample": "order-1", "colour": "red"}],
               "tables": {"stok": [], "stock": [{"on_hand": 1}]}, "expect": {}}]})";
  auto r = shopflow::load_bundle(text);
  REQUIRE(r.ok());
  std::vector<std::string> got;
  for (const auto& p : r.value().problems) got.push_back(p.to_string());
  CHECK(got == std::vector<std::string>{
                   "/tests/0/events/0/sample: no sample event has the id \"ordr-1\"; did you mean \"order-1\"?",
                   "/tests/0/events/1/colour: unknown field \"colour\" in an event taken from the samples; it may have sample, id, time, data",
                   "/tests/0/tables/stock/0: the row needs its key field \"sku\" (a string or an integer)",
                   "/tests/0/tables/stok: no table named \"stok\"; did you mean \"stock\"? A table is declared under \"tables\" (its rows may be empty)"});
}
