// Bundle checking: valid bundles pass, and each kind of mistake is reported with its pointer.
#include "shopflow/bundle.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include "paths.hpp"

using shopflow::Json;

namespace {

Json minimal() {
  return Json::parse(R"({"format": "shopflow.bundle/1", "name": "demo", "version": "1.0.0",
                         "workflows": [{"id": "confirm", "trigger": {"event": "order.created"}}]})");
}

// "pointer: message" of each problem, for compact assertions.
std::vector<std::string> pointers(const shopflow::BundleCheck& check) {
  std::vector<std::string> out;
  for (const auto& p : check.problems) out.push_back(p.pointer);
  return out;
}

}  // namespace

TEST_CASE("a minimal bundle is valid and its workflows are read") {
  auto check = shopflow::check_bundle(minimal());
  CHECK(check.ok());
  REQUIRE(check.bundle.workflows.size() == 1);
  CHECK(check.bundle.name == "demo");
  CHECK(check.bundle.workflows[0].id == "confirm");
  CHECK(check.bundle.workflows[0].trigger.event == "order.created");
}

TEST_CASE("every problem is reported at once, each with its JSON Pointer") {
  struct Case {
    const char* what;
    const char* patch;  // JSON merge patch applied to the minimal bundle
    std::vector<std::string> expected;
  };
  const Case cases[] = {
      {"wrong format", R"({"format": "shopflow.bundle/0"})", {"/format"}},
      {"missing name", R"({"name": null})", {"/name"}},
      {"empty version", R"({"version": ""})", {"/version"}},
      {"workflows not an array", R"({"workflows": {}})", {"/workflows"}},
      {"unknown top-level field", R"({"workflow": []})", {"/workflow"}},
      {"three mistakes in workflows",
       R"({"workflows": [{"id": "a", "trigger": {"event": "order.created"}},
                         {"id": "a", "trigger": {"event": "order.created"}},
                         {"id": "b"},
                         {"id": "c", "trigger": {"event": "Order Created"}}]})",
       {"/workflows/1/id", "/workflows/2/trigger", "/workflows/3/trigger/event"}},
      {"a workflow that is not an object", R"({"workflows": [42]})", {"/workflows/0"}},
      {"trigger event of the wrong type", R"({"workflows": [{"id": "x", "trigger": {"event": 7}}]})",
       {"/workflows/0/trigger/event"}},
      {"misspelt store time zone", R"({"time_zone": "Europe/Berln"})", {"/time_zone"}},
      {"misspelt schedule time zone and a zone with an offset",
       R"({"workflows": [{"id": "x", "trigger": {"schedule": "@daily", "time_zone": "America/NewYork"}},
                         {"id": "y", "trigger": {"schedule": "@daily", "time_zone": "UTC", "utc_offset": "+01:00"}}]})",
       {"/workflows/0/trigger/time_zone", "/workflows/1/trigger/utc_offset"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    Json doc = minimal();
    doc.merge_patch(Json::parse(c.patch));
    auto check = shopflow::check_bundle(doc);
    CHECK(pointers(check) == c.expected);
    for (const auto& p : check.problems) CHECK_FALSE(p.message.empty());
  }
}

TEST_CASE("a bundle that is not an object is one problem at the root") {
  auto check = shopflow::check_bundle(Json::array());
  REQUIRE(check.problems.size() == 1);
  CHECK(check.problems[0].pointer == "");
}

TEST_CASE("JSON syntax errors give line and column") {
  auto r = shopflow::load_bundle("{\n  \"name\": \"x\",\n  \"version\": ,\n}");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().line == 3);
  CHECK(r.error().column == 14);
}

TEST_CASE("every example bundle in workflows/ is valid") {
  namespace fs = std::filesystem;
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(shopflow::test::source_dir() / "workflows")) {
    if (entry.path().extension() != ".json" || entry.path().filename().string().find(".schema.") != std::string::npos)
      continue;
    CAPTURE(entry.path().string());
    auto r = shopflow::load_bundle(shopflow::test::read_file(entry.path()));
    REQUIRE(r.ok());
    for (const auto& p : r.value().problems) FAIL_CHECK(p.to_string());
    ++seen;
  }
  CHECK(seen > 0);
}

TEST_CASE("semantic problems a schema cannot see are reported with pointers") {
  struct Case {
    const char* what;
    const char* workflows;  // the bundle's "workflows" array
    const char* pointer;    // the expected problem's pointer (a prefix for compiler-made ones)
    const char* words;      // words the message must contain
  };
  const Case cases[] = {
      {"unknown action", R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [{"id": "s", "action": "email.blast"}]}])",
       "/workflows/0/steps/0/action", "unknown action \"email.blast\""},
      {"missing parameter",
       R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [{"id": "s", "action": "email.send", "params": {"to": "a@b.c", "subject": "x"}}]}])",
       "/workflows/0/steps/0/params", "missing parameter \"body\""},
      {"unknown parameter",
       R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [{"id": "s", "action": "notify", "params": {"channel": "#a", "message": "m", "cc": "x"}}]}])",
       "/workflows/0/steps/0/params/cc", "unknown parameter \"cc\""},
      {"step id used twice",
       R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [{"id": "s", "stop": true}, {"id": "x", "if": true, "then": [{"id": "s", "stop": true}]}]}])",
       "/workflows/0/steps/1/then/0/id", "used twice"},
      {"a step doing two things",
       R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [{"id": "s", "stop": true, "set": {"a": 1}}]}])",
       "/workflows/0/steps/0", "more than one"},
      {"template that does not parse",
       R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [{"id": "s", "action": "notify", "params": {"channel": "#a", "message": "{% bogus %}"}}]}])",
       "/workflows/0/steps/0/params/message", "template does not parse"},
      {"condition with an unknown operator",
       R"([{"id": "w", "trigger": {"event": "order.created", "filter": {"frobnicate": [1, 2]}}}])",
       "/workflows/0/trigger/filter", "condition"},
      {"bad duration",
       R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [{"id": "s", "wait": {"duration": "4 hours"}}]}])",
       "/workflows/0/steps/0/wait/duration", "not a duration"},
      {"bad cron", R"([{"id": "w", "trigger": {"schedule": "0 25 * * *"}}])", "/workflows/0/trigger/schedule", "hour"},
      {"bad utc offset", R"([{"id": "w", "trigger": {"schedule": "@daily", "utc_offset": "CET"}}])",
       "/workflows/0/trigger/utc_offset", "UTC offset"},
      {"unknown schedule zone names the nearest", R"([{"id": "w", "trigger": {"schedule": "@daily", "time_zone": "Europe/Berln"}}])",
       "/workflows/0/trigger/time_zone", "did you mean Europe/Berlin"},
      {"unknown table",
       R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [{"id": "s", "action": "table.delete", "params": {"table": "nope", "key": "k"}}]}])",
       "/workflows/0/steps/0/params/table", "no table named \"nope\""},
      {"reference to a step that does not exist",
       R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [{"id": "s", "if": {"var": "steps.wiat.resumed_by"}, "then": []}]}])",
       "/workflows/0/steps/0/if", "no step with the id \"wiat\""},
      {"wait with two kinds",
       R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [{"id": "s", "wait": {"duration": "PT1H", "event": "order.paid"}}]}])",
       "/workflows/0/steps/0/wait", "exactly one"},
      {"unknown field in a step",
       R"([{"id": "w", "trigger": {"event": "order.created"}, "steps": [{"id": "s", "stop": true, "colour": "red"}]}])",
       "/workflows/0/steps/0/colour", "unknown field"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    Json doc = minimal();
    doc["workflows"] = Json::parse(c.workflows);
    auto check = shopflow::check_bundle(doc);
    REQUIRE(check.problems.size() >= 1);
    bool found = false;
    for (const auto& p : check.problems) {
      if (p.pointer.rfind(c.pointer, 0) == 0 && p.message.find(c.words) != std::string::npos) found = true;
    }
    if (!found) {
      for (const auto& p : check.problems) MESSAGE(p.to_string());
    }
    CHECK(found);
  }
}

TEST_CASE("tests, tables and mocks are read and checked") {
  Json doc = minimal();
  doc.merge_patch(Json::parse(R"({
    "tables": {"stock": {"key": "sku", "rows": [{"sku": "A", "n": 1}, {"sku": "A", "n": 2}, {"n": 3}]}},
    "mocks": {"http": [{"method": "GET", "url": "https://x.example/*", "response": {"status": 200}}]},
    "tests": [{"name": "t", "events": [{"type": "order.created", "time": "2026-03-02T09:00:00Z"}, {"type": "order.created"}],
               "until": "soon", "expect": {"runs": [{"workflow": "nope"}], "effects_match": "some"}}]})"));
  auto check = shopflow::check_bundle(doc);
  std::vector<std::string> expected = {"/tables/stock/rows/1/sku", "/tables/stock/rows/2", "/tests/0/events/1/time",
                                       "/tests/0/until", "/tests/0/expect/effects_match", "/tests/0/expect/runs/0/workflow"};
  CHECK(pointers(check) == expected);
  CHECK(check.bundle.tables.size() == 1);
  CHECK(check.bundle.tables[0].rows.size() == 1);
  CHECK(check.bundle.http_mocks.size() == 1);
  REQUIRE(check.bundle.tests.size() == 1);
  CHECK(check.bundle.tests[0].events.size() == 1);
  CHECK(check.bundle.tests[0].events[0].id == "evt-1");
}
