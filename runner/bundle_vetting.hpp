// Whether a bundle may run: its problems (what `shopflow validate` reports) and, when it has
// none, its own self-tests (what `shopflow test` runs). `shopflow test` prints the outcome; the
// runner's API refuses a deploy with it (PUT /v1/bundle answers 422 with every problem and
// every failed test).
#pragma once

#include <string_view>
#include <vector>

#include "shopflow/bundle.hpp"
#include "shopflow/simulator.hpp"

namespace shopflow::runner {

struct BundleVetting {
  BundleCheck check;               // the bundle as read, its problems and warnings
  std::vector<TestOutcome> tests;  // every self-test's outcome; none run when there are problems
  bool passed() const;             // no problem, and every test passed
};

// Vets a bundle already read. `coverage` (when given) gets the branches the tests took.
BundleVetting vet_bundle(BundleCheck check, std::vector<BranchCoverage>* coverage = nullptr);

// Reads `text` and vets it; text that is not JSON (or not a bundle at all) is one problem at
// the root, with its line and column.
BundleVetting vet_bundle_text(std::string_view text);

}  // namespace shopflow::runner
