#include "bundle_vetting.hpp"

#include <utility>

namespace shopflow::runner {

bool BundleVetting::passed() const {
  if (!check.ok()) return false;
  for (const TestOutcome& t : tests) {
    if (!t.passed) return false;
  }
  return true;
}

BundleVetting vet_bundle(BundleCheck check, std::vector<BranchCoverage>* coverage) {
  BundleVetting v;
  v.check = std::move(check);
  if (v.check.ok()) v.tests = run_tests(v.check.bundle, coverage);
  return v;
}

BundleVetting vet_bundle_text(std::string_view text) {
  auto loaded = load_bundle(text);
  if (!loaded) {
    BundleVetting v;
    Problem p = loaded.error();
    if (p.pointer.empty()) p.message = p.to_string();  // keeps the line and column
    v.check.problems.push_back(std::move(p));
    return v;
  }
  return vet_bundle(std::move(loaded.value()));
}

}  // namespace shopflow::runner
