// Step records: what a run did at each step — its path, kind, time, input, output, and for a
// decision its verdict and explanation — as the JSON array a run carries with it.
//
// The engine's interpreter appends a record per step to its run's `steps` text as it goes (one
// write per run, not one per step); the store keeps that text with the run and never looks
// inside; `shopflow runs --steps`, the simulation trace and Engine::steps() read it back. The
// format is the trace's: [{"path", "kind", "time", "input"?, "output", "verdict"?,
// "explanation"?}, ...] with RFC 3339 times.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shopflow/instant.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow {

// A member of a step record: JSON text written already, a value to write, or nothing.
struct StepValue {
  StepValue() = default;
  StepValue(std::string_view json_text) : text(json_text) {}  // NOLINT: implicit on purpose
  StepValue(const std::string& json_text) : text(json_text) {}  // NOLINT
  StepValue(const Json* json_value) : value(json_value) {}   // NOLINT
  std::string_view text;
  const Json* value = nullptr;
  bool empty() const { return value == nullptr && text.empty(); }
};

// Appends one step record to a run's `steps` ("" or a JSON array). `input`, `verdict` and
// `explanation` are left out when empty; an empty `output` is null.
void append_step(std::string& steps, std::string_view path, std::string_view kind, Millis time, StepValue input,
                 StepValue output, StepValue verdict = {}, StepValue explanation = {});

// One step record, read from a run's steps.
struct StepRow {
  std::string run_id;
  int seq = 0;            // order within the run, from 1
  std::string path;       // "check/then/send", "lines/2/tag"
  std::string kind;       // if, switch, action, wait, foreach, set, emit, stop
  Millis time = 0;
  std::string input;      // JSON or ""
  std::string output;     // JSON or ""
  std::string verdict;    // JSON or "" (if/switch/filter)
  std::string explanation;  // JSON or ""
};

// The records of run `run_id` from its `steps` text (none for ""). Fails when the text is not
// a JSON array.
Result<std::vector<StepRow>> parse_steps(const std::string& run_id, std::string_view steps);

}  // namespace shopflow
