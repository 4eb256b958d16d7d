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
