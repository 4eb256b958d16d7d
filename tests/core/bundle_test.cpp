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
    for (const auto& p : r.value().warnings) FAIL_CHECK((std::string("warning: ") + p.to_string()));
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

TEST_CASE("validate checks every reference: tables, partials, steps and vars, event paths") {
  struct Case {
    const char* what;
    const char* steps;    // the steps of a workflow triggered by order.created
    const char* pointer;  // the finding's pointer; "" when nothing may be found
    const char* words;    // words its message must contain
    bool warning;         // a warning rather than a problem
  };
  const Case cases[] = {
      {"misspelled table in lookup", R"([{"id": "s", "if": {"lookup": ["countrys", "XX"]}, "then": []}])",
       "/workflows/0/steps/0/if/lookup/0", "no table named \"countrys\"; did you mean \"countries\"?", false},
      {"misspelled table in rows", R"([{"id": "s", "foreach": {"rows": "countres"}, "steps": []}])",
       "/workflows/0/steps/0/foreach/rows", "did you mean \"countries\"?", false},
      {"misspelled partial",
       R"([{"id": "s", "action": "notify", "params": {"channel": "#a", "message": "x {% render 'fraud_alrt' %}"}}])",
       "/workflows/0/steps/0/params/message", "(line 1, column 3) renders \"fraud_alrt\", but there is no template of that name under \"templates\"; did you mean \"fraud_alert\"?", false},
      {"step read before it runs",
       R"([{"id": "a", "if": {"var": "steps.b.result"}, "then": []}, {"id": "b", "if": true, "then": []}])",
       "/workflows/0/steps/0/if", "reads steps.b before step \"b\" has run", false},
      {"misspelled step",
       R"([{"id": "hold", "if": true, "then": []}, {"id": "b", "if": {"var": "steps.hodl.result"}, "then": []}])",
       "/workflows/0/steps/1/if", "no step with the id \"hodl\"; did you mean steps.hold?", false},
      {"var read before a set step sets it",
       R"([{"id": "a", "action": "notify", "params": {"channel": "#a", "message": "{{ vars.reason }}"}}, {"id": "b", "set": {"reason": "x"}}])",
       "/workflows/0/steps/0/params/message", "reads vars.reason before a set step sets it", false},
      {"misspelled var",
       R"([{"id": "b", "set": {"reason": "x"}}, {"id": "a", "if": {"var": "vars.reasn"}, "then": []}])",
       "/workflows/0/steps/1/if", "no set step of this workflow sets \"reasn\"; did you mean vars.reason?", false},
      {"misspelled event field in a template",
       R"([{"id": "a", "action": "notify", "params": {"channel": "#a", "message": "{{ event.data.totl_price | money }}"}}])",
       "/workflows/0/steps/0/params/message", "reads event.data.totl_price, which no sample \"order.created\" event has; did you mean event.data.total_price?", true},
      {"misspelled field of a foreach item",
       R"([{"id": "l", "foreach": {"var": "event.data.line_items"}, "as": "line", "steps": [{"id": "a", "action": "notify", "params": {"channel": "#a", "message": "{{ line.titel }}"}}]}])",
       "/workflows/0/steps/0/steps/0/params/message", "did you mean event.data.line_items[].title?", true},
      {"misspelled field of a Liquid loop item",
       R"([{"id": "a", "action": "notify", "params": {"channel": "#a", "message": "{% for l in event.data.line_items %}{{ l.sku }}{{ l.qty }}{% endfor %}"}}])",
       "/workflows/0/steps/0/params/message", "(line 1, column 48) reads event.data.line_items[].qty, which no sample \"order.created\" event has; event.data.line_items[] has quantity, sku, title", true},
      {"misspelled event field in a condition",
       R"([{"id": "a", "if": {"money_gt": [{"var": "event.data.totl_price"}, "1000"]}, "then": []}])",
       "/workflows/0/steps/0/if/money_gt/0", "did you mean event.data.total_price?", true},
      {"a variable the data does not have",
       R"([{"id": "a", "action": "notify", "params": {"channel": "#a", "message": "{{ order.name }}"}}])",
       "/workflows/0/steps/0/params/message", "a step's data has no \"order\"", true},
      {"fields the samples have, reads after the step ran, optional reads",
       R"([{"id": "l", "foreach": {"var": "event.data.line_items"}, "steps": [{"id": "v", "set": {"n": {"var": "item.sku"}}}]},
           {"id": "a", "action": "notify", "params": {"channel": "#a", "message": "{{ event.data.total_price }} {{ steps.l.count }} {{ vars.n }} {{ event.data.note | default: 'none' }}{% if event.data.gift %}gift{% endif %} {{ event.data.line_items.first.sku }} {{ now }}"}},
           {"id": "b", "if": {"!!": {"var": "event.data.discount"}}, "then": []},
           {"id": "c", "if": {"var": ["event.data.tags", ""]}, "then": []},
           {"id": "d", "if": {"some": [{"var": "event.data.line_items"}, {"==": [{"var": "skuu"}, "A"]}]}, "then": []},
           {"id": "e", "set": {"shape": {"preserve": {"var": "vars.later"}}}}])",
       "", "", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    Json doc = minimal();
    doc["templates"] = {{"fraud_alert", "Order {{ order.name }} needs a review."}};
    doc["tables"] = Json::parse(R"({"countries": {"key": "code", "rows": []}})");
    doc["samples"] = Json::parse(R"({"events": [{"type": "order.created", "time": "2026-03-02T09:00:00Z",
        "data": {"id": 1, "total_price": "1200.00", "line_items": [{"sku": "A", "title": "Tray", "quantity": 1}]}}]})");
    doc["workflows"][0]["steps"] = Json::parse(c.steps);
    auto check = shopflow::check_bundle(doc);
    const auto& found_in = c.warning ? check.warnings : check.problems;
    if (std::string(c.pointer).empty()) {
      for (const auto& p : check.problems) FAIL_CHECK(p.to_string());
      for (const auto& p : check.warnings) FAIL_CHECK((std::string("warning: ") + p.to_string()));
      continue;
    }
    bool found = false;
    for (const auto& p : found_in) found = found || (p.pointer == c.pointer && p.message.find(c.words) != std::string::npos);
    if (!found) {
      for (const auto& p : check.problems) MESSAGE(p.to_string());
      for (const auto& p : check.warnings) MESSAGE((std::string("warning: ") + p.to_string()));
    }
    CHECK(found);
  }
}

TEST_CASE("a bundle with strict templates makes unknown template variables problems and fails the run on them") {
  Json doc = minimal();
  doc["strict_templates"] = true;
  doc["samples"] = Json::parse(R"({"events": [{"type": "order.created", "time": "2026-03-02T09:00:00Z", "data": {"total_price": "9.00"}}]})");
  doc["workflows"][0]["steps"] = Json::parse(
      R"([{"id": "a", "action": "notify", "params": {"channel": "#a", "message": "{{ event.data.totl_price | default: 0 }}"}}])");
  auto check = shopflow::check_bundle(doc);
  CHECK(check.warnings.empty());
  REQUIRE(check.problems.size() == 1);
  CHECK(check.problems[0].message.find("did you mean event.data.total_price?") != std::string::npos);
  CHECK(check.bundle.strict_templates);
  CHECK(shopflow::template_options(check.bundle).mode == shopflow::liquid::Mode::Strict);

  doc["strict_templates"] = "yes";
  auto bad = shopflow::check_bundle(doc);
  REQUIRE(!bad.problems.empty());
  CHECK(bad.problems[0].pointer == "/strict_templates");
}
