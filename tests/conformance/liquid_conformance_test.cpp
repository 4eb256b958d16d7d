// Golden Liquid conformance: runs every case of ../shared/conformance/liquid/golden_liquid.json
// through shopflow::liquid and compares with the expected output (or expects an error for
// cases marked "invalid").
//
// Cases run in Strict mode without strict variables, as Ruby Liquid's error_mode :strict does.
// tests/conformance/liquid_known_failures.txt lists, by name, each case that is known to fail
// and why; the test requires that list to be exactly the failing cases, so it stays true.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "paths.hpp"
#include "shopflow/json.hpp"
#include "shopflow/template.hpp"

namespace {

using shopflow::Json;
namespace liquid = shopflow::liquid;

struct CaseOutcome {
  bool passed = false;
  std::string detail;
};

CaseOutcome run_case(const Json& c) {
  CaseOutcome r;
  std::map<std::string, std::string> partials;
  if (c.contains("templates") && c["templates"].is_object()) {
    for (auto it = c["templates"].begin(); it != c["templates"].end(); ++it) {
      partials[it.key()] = it.value().get<std::string>();
    }
  }
  liquid::Options options;
  options.mode = liquid::Mode::Strict;
  options.strict_variables = false;
  // A per-case bound so no case can run away.
  options.limits.max_loop_iterations = 100'000;
  options.limits.max_output_bytes = 1 << 20;
  options.partials = [&partials](const std::string& name) -> const std::string* {
    auto it = partials.find(name);
    return it == partials.end() ? nullptr : &it->second;
  };
  static const Json kEmpty = Json::object();
  const Json& data = c.contains("data") ? c["data"] : kEmpty;
  bool invalid = c.value("invalid", false);

  std::string got;
  std::string error;
  auto parsed = liquid::Template::parse(c["template"].get<std::string>(), options);
  if (!parsed) {
    error = "parse: " + parsed.error().to_string();
  } else {
    auto rendered = parsed.value().render(data, options);
    if (!rendered) {
      error = "render: " + rendered.error().to_string();
    } else {
      got = rendered.value();
    }
  }
  if (invalid) {
    r.passed = !error.empty();
    if (!r.passed) r.detail = "expected an error, got " + Json(got).dump();
    return r;
  }
  if (!error.empty()) {
    r.detail = "unexpected error: " + error;
    return r;
  }
  if (c.contains("results")) {
    for (const Json& e : c["results"]) {
      if (e.get<std::string>() == got) r.passed = true;
    }
  } else {
    r.passed = c["result"].get<std::string>() == got;
  }
  if (!r.passed) {
    r.detail = "expected " + (c.contains("results") ? c["results"].dump() : c["result"].dump()) + ", got " +
               Json(got).dump();
  }
  return r;
}

// name -> reason, from "name<TAB>reason" lines ('#' starts a comment line).
std::map<std::string, std::string> load_known_failures(const std::filesystem::path& path) {
  std::map<std::string, std::string> known;
  std::istringstream in(shopflow::test::read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    known[line.substr(0, tab)] = tab == std::string::npos ? "" : line.substr(tab + 1);
  }
  return known;
}

}  // namespace

TEST_CASE("golden liquid conformance suite") {
  const std::filesystem::path path = shopflow::test::conformance_dir() / "liquid" / "golden_liquid.json";
  const std::string text = shopflow::test::read_file(path);
  if (text.empty()) {
    FAIL("golden Liquid suite not found or empty: looked for " << path.string()
                                                               << " (the shared conformance folder beside the repository)");
    return;
  }
  Json suite = Json::parse(text);
  REQUIRE(suite.contains("tests"));
  const Json& tests = suite["tests"];

  auto known = load_known_failures(shopflow::test::source_dir() / "tests" / "conformance" / "liquid_known_failures.txt");

  size_t passed = 0;
  std::set<std::string> names;
  std::vector<std::string> new_failures, fixed;
  for (const Json& c : tests) {
    std::string name = c["name"].get<std::string>();
    names.insert(name);
    CaseOutcome r = run_case(c);
    bool listed = known.count(name) > 0;
    if (r.passed) {
      ++passed;
      if (listed) fixed.push_back(name);
    } else if (!listed) {
      new_failures.push_back(name + ": " + r.detail + "\n    template: " + Json(c["template"]).dump());
    }
  }
  double pct = tests.empty() ? 0.0 : 100.0 * static_cast<double>(passed) / static_cast<double>(tests.size());
  char summary[128];
  std::snprintf(summary, sizeof summary, "golden_liquid: %zu/%zu passed (%.1f%%)", passed, tests.size(), pct);
  MESSAGE(summary);
  std::printf("%s\n", summary);

  for (const auto& kv : known) {
    if (!names.count(kv.first)) fixed.push_back(kv.first + " (no such case in the suite)");
  }
  for (const std::string& f : new_failures) FAIL_CHECK("newly failing case, not in liquid_known_failures.txt: " << f);
  for (const std::string& f : fixed) FAIL_CHECK("listed in liquid_known_failures.txt but passes now (remove it): " << f);
  CHECK(pct >= 97.0);
}
