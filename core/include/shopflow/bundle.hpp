// The bundle: one JSON document (format "shopflow.bundle/1") that carries workflows and
// everything they need. What the studio exports is exactly what the runner runs.
//
// check_bundle() reports every problem at once, each with the JSON Pointer of the offending
// value and a sentence a user can act on. Used by `shopflow validate`, the runner at start and
// on reload, and the studio's problems list.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow {

inline constexpr std::string_view kBundleFormat = "shopflow.bundle/1";

struct Trigger {
  std::string event;  // event type that starts a run, e.g. "order.created"
};

struct Workflow {
  std::string id;
  std::string name;  // display name; defaults to id
  Trigger trigger;
};

struct Bundle {
  std::string name;
  std::string version;
  std::string description;
  std::vector<Workflow> workflows;
  Json source;  // the document as given, for export and round-trips
};

struct BundleCheck {
  Bundle bundle;      // as much as could be read; complete only when problems is empty
  Problems problems;  // every problem found, in document order
  bool ok() const { return problems.empty(); }
};

// Checks a parsed document as a bundle. Never fails: problems are in the result.
BundleCheck check_bundle(const Json& doc);

// Parses and checks bundle text. A JSON syntax error is returned as the Error (with line and
// column); otherwise the BundleCheck, which may still hold problems.
Result<BundleCheck> load_bundle(std::string_view text);

}  // namespace shopflow
