// Runs the public JSON Logic suites in ../shared/conformance/jsonlogic against logic::Condition:
// tests.json (jsonlogic.com's classic suite: [rule, data, expected] rows) and compat-tables
// (the community suite: {description, rule, data, result | error} objects). Files named
// *.extra.json are optional there; they run and are reported, but do not fail the test.
// Deliberate deviations are listed in jsonlogic_deviations.txt beside this file.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "paths.hpp"
#include "shopflow/condition.hpp"

namespace {

namespace fs = std::filesystem;
using shopflow::Json;
using shopflow::logic::Condition;

fs::path suite_dir() { return shopflow::test::conformance_dir() / "jsonlogic"; }

// "file | case | reason" lines; the case is a description, or "#N" (the N-th case, from 1).
std::set<std::string> deviations() {
  std::set<std::string> out;
  std::string text = shopflow::test::read_file(shopflow::test::source_dir() / "tests/conformance/jsonlogic_deviations.txt");
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t a = line.find(" | ");
    size_t b = a == std::string::npos ? a : line.find(" | ", a + 3);
    if (b == std::string::npos) continue;
    out.insert(line.substr(0, a) + " | " + line.substr(a + 3, b - a - 3));
  }
  return out;
}

struct Outcome {
  bool ok = false;
  Json value;
  Json error;  // the error object when !ok
  std::string message;
};

Outcome run(const Json& rule, const Json& data) {
  Outcome o;
  Json err;
  auto compiled = Condition::compile(rule, "", &err);
  if (!compiled) {
    o.error = err;
    o.message = "compile: " + compiled.error().to_string();
    return o;
  }
  auto r = compiled.value().evaluate(data, {}, &err);
  if (!r) {
    o.error = err;
    o.message = r.error().to_string();
    return o;
  }
  o.ok = true;
  o.value = std::move(r.value());
  return o;
}

struct Tally {
  int passed = 0, failed = 0, deviated = 0, shown = 0;
};

void report_failure(Tally& t, const std::string& where, const Json& rule, const Json& data, const std::string& want,
                    const Outcome& got) {
  ++t.failed;
  if (++t.shown > 40) return;
  std::string g = got.ok ? got.value.dump() : "error " + got.error.dump() + " (" + got.message + ")";
  std::printf("  FAIL %s\n    rule: %s\n    data: %s\n    want: %s\n    got:  %s\n", where.c_str(), rule.dump().c_str(),
              data.dump().c_str(), want.c_str(), g.c_str());
}

bool load(const fs::path& path, Json* out) {
  std::string text = shopflow::test::read_file(path);
  *out = Json::parse(text, nullptr, false);
  return !out->is_discarded() && out->is_array();
}

}  // namespace

TEST_CASE("JSON Logic conformance: tests.json") {
  fs::path file = suite_dir() / "tests.json";
  if (!fs::exists(file)) {
    FAIL("the JSON Logic conformance suite is missing: looked for " << file.string()
         << " (the shared folder beside the source tree, set at configure time as SHOPFLOW_SHARED_DIR)");
  }
  Json cases;
  REQUIRE_MESSAGE(load(file, &cases), "tests.json is not a JSON array: " << file.string());
  auto skip = deviations();
  Tally t;
  int index = 0;
  for (const Json& c : cases) {
    if (!c.is_array() || c.size() != 3) continue;  // comments
    ++index;
    std::string id = "tests.json | #" + std::to_string(index);
    Outcome got = run(c[0], c[1]);
    if (got.ok && got.value == c[2]) {
      ++t.passed;
    } else if (skip.count(id)) {
      ++t.deviated;
    } else {
      report_failure(t, id, c[0], c[1], c[2].dump(), got);
    }
  }
  std::printf("JSON Logic tests.json: %d/%d passed", t.passed, t.passed + t.failed + t.deviated);
  if (t.deviated) std::printf(" (%d listed deviations)", t.deviated);
  std::printf("\n");
  MESSAGE("JSON Logic tests.json: " << t.passed << "/" << (t.passed + t.failed + t.deviated) << " passed");
  CHECK(t.failed == 0);
  CHECK(t.passed >= 277);
}

TEST_CASE("JSON Logic conformance: compat-tables") {
  fs::path dir = suite_dir() / "compat-tables";
  if (!fs::is_directory(dir)) {
    FAIL("the JSON Logic compat-tables suite is missing: looked for " << dir.string()
         << " (the shared folder beside the source tree, set at configure time as SHOPFLOW_SHARED_DIR)");
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".json" && e.path().filename() != "index.json") {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());  // a stable order in both builds
  auto skip = deviations();
  Tally required, extra;
  for (const fs::path& path : files) {
    std::string name = fs::relative(path, dir).generic_string();
    bool optional = name.find(".extra.") != std::string::npos;
    Tally& t = optional ? extra : required;
    Json cases;
    if (!load(path, &cases)) {
      ++t.failed;
      std::printf("  FAIL %s: not a JSON array\n", name.c_str());
      continue;
    }
    int index = 0;
    for (const Json& c : cases) {
      if (!c.is_object() || !c.contains("rule")) continue;
      ++index;
      std::string desc = c.value("description", "#" + std::to_string(index));
      std::string id = "compat-tables/" + name + " | " + desc;
      Json data = c.contains("data") ? c["data"] : Json();
      Outcome got = run(c["rule"], data);
      bool pass;
      std::string want;
      if (c.contains("error")) {
        const Json& e = c["error"];
        want = "error " + e.dump();
        pass = !got.ok && got.error.is_object() && e.is_object() && got.error.value("type", Json()) == e.value("type", Json());
      } else {
        want = c.value("result", Json()).dump();
        pass = got.ok && got.value == c.value("result", Json());
      }
      if (pass) {
        ++t.passed;
      } else if (skip.count(id)) {
        ++t.deviated;
      } else {
        report_failure(t, id, c["rule"], data, want, got);
      }
    }
  }
  int total = required.passed + required.failed + required.deviated;
  int extra_total = extra.passed + extra.failed + extra.deviated;
  std::printf("JSON Logic compat-tables: %d/%d passed", required.passed, total);
  if (required.deviated) std::printf(" (%d listed deviations)", required.deviated);
  std::printf("; optional .extra files: %d/%d passed\n", extra.passed, extra_total);
  MESSAGE("JSON Logic compat-tables: " << required.passed << "/" << total << " passed; .extra: " << extra.passed << "/"
                                       << extra_total);
  CHECK(required.failed == 0);
  CHECK(required.passed >= 1000);
}
