// `shopflow simulate --events FILE`: the simulation of a long JSON Lines file starts on its first
// events while a second thread reads the rest.
#pragma once

#include <string_view>

#include "shopflow/bundle.hpp"
#include "shopflow/result.hpp"
#include "shopflow/simulator.hpp"

namespace shopflow::cli {

// The trace simulate() gives for parse_events_jsonl(jsonl), and its errors: a line that is not
// an event (then `*bad_events` is set) or the simulation's. Events out of time order are read
// again, all of them, and sorted, as simulate() does.
Result<Trace> simulate_reading_ahead(const Bundle& bundle, std::string_view jsonl, const SimOptions& options,
                                     bool* bad_events);

}  // namespace shopflow::cli
