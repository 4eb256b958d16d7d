// `shopflow test BUNDLE...`: runs each bundle's self-tests (the core's run_tests()) and prints
// pass/fail with a readable diff of what differed.
// Exit codes: 0 all passed, 1 a test failed or a bundle has problems, 2 unreadable input.
#include <cstdio>
#include <string>
#include <vector>

#include "bundle_vetting.hpp"
#include "cli_util.hpp"
#include "commands.hpp"
#include "shopflow/bundle.hpp"
#include "shopflow/simulator.hpp"

namespace shopflow::cli {

namespace {

const char* kUsage =
    "Usage: shopflow test [--branches] [--require-coverage] BUNDLE.json [BUNDLE.json...]\n"
    "\n"
    "Runs every test in each bundle's \"tests\": feeds its events through the workflows on a\n"
    "simulated clock up to its \"until\", then compares the effects, tables and runs with what it\n"
    "expects. Prints PASS or FAIL per test, and for a failure what differed.\n"
    "\n"
    "Then reports branch coverage: every way a workflow can go (a trigger filter passing or\n"
    "rejecting, each side of an if, each switch case and the default, an event wait's event or\n"
    "timeout) and whether some test went that way. Branches no test takes are listed.\n"
    "\n"
    "Options:\n"
    "  --branches           list every branch with how many times the tests took it\n"
    "  --require-coverage   fail (exit 1) when a branch is taken by no test\n"
    "\n"
    "Exit status: 0 every test passed, 1 a test failed, a bundle has problems or (with\n"
    "--require-coverage) a branch is not covered, 2 unreadable input.\n";

}  // namespace

int cmd_test(int argc, char** argv) {
  std::vector<std::string> paths;
  bool list_branches = false, require_coverage = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (is_help(argv[i])) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--branches") {
      list_branches = true;
      continue;
    }
    if (arg == "--require-coverage") {
      require_coverage = true;
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "shopflow test: unknown option %s\n\n%s", arg.c_str(), kUsage);
      return 2;
    }
    paths.push_back(arg);
  }
  if (paths.empty()) {
    std::fprintf(stderr, "shopflow test: which bundle?\n\n%s", kUsage);
    return 2;
  }
  size_t passed = 0, failed = 0, uncovered = 0;
  bool problems = false;
  for (const std::string& path : paths) {
    auto loaded = read_bundle(path);
    if (!loaded) return 2;
    std::vector<BranchCoverage> coverage;
    runner::BundleVetting vetting = runner::vet_bundle(std::move(*loaded), &coverage);
    if (!vetting.check.ok()) {
      for (const Problem& p : vetting.check.problems) std::printf("%s: %s\n", path.c_str(), p.to_string().c_str());
      std::printf("%s: the bundle has problems; its tests were not run\n", path.c_str());
      problems = true;
      continue;
    }
    const Bundle& bundle = vetting.check.bundle;
    if (paths.size() > 1) std::printf("%s\n", path.c_str());
    if (bundle.tests.empty()) std::printf("  (no tests in %s)\n", bundle.name.c_str());
    for (const TestOutcome& t : vetting.tests) {
      std::printf("%s  %s\n", t.passed ? "PASS" : "FAIL", t.name.c_str());
      if (!t.passed) std::fputs(t.diff.c_str(), stdout);
      (t.passed ? passed : failed)++;
    }
    size_t taken = 0;
    for (const BranchCoverage& b : coverage) taken += b.hits > 0 ? 1 : 0;
    uncovered += coverage.size() - taken;
    std::printf("Branches: %zu of %zu taken by the tests%s\n", taken, coverage.size(),
                taken == coverage.size() ? "" : "; not taken:");
    for (const BranchCoverage& b : coverage) {
      if (b.hits > 0 && !list_branches) continue;
      std::printf("  %6zu  %s  %s\n", b.hits, b.key.workflow.c_str(), b.key.branch.c_str());
    }
  }
  std::printf("%zu test%s, %zu passed, %zu failed", passed + failed, passed + failed == 1 ? "" : "s", passed, failed);
  if (uncovered > 0) std::printf("; %zu branch%s not covered", uncovered, uncovered == 1 ? "" : "es");
  std::printf("\n");
  return failed > 0 || problems || (require_coverage && uncovered > 0) ? 1 : 0;
}

}  // namespace shopflow::cli
