// One run's trace as the Simulator and the Tests panel show it: what the run is about, its
// status (a stop is not a failure), and each step with its input, output and, for decisions,
// the "why" as a sentence beside the verdict tree. A free function over the run's JSON (an
// element of a trace's "runs"); it notes the sentences it drew in StudioState::why_drawn.
#pragma once

#include <string>

#include "shopflow/json.hpp"
#include "studio_state.hpp"

namespace shopflow::studio {

// Draws `run` headed by `label`. The step whose path is `open_step` (if any) is shown open and
// scrolled to on the frame `scroll_to` is true; the others start closed.
void draw_run_trace(StudioState& state, const Json& run, const std::string& label, const std::string& open_step,
                    bool scroll_to = false);

// `v` as one line of at most `n` characters (strings without their quotes).
std::string short_json(const Json& v, size_t n = 90);

}  // namespace shopflow::studio
