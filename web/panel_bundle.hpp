// The Bundle panel: which example is open, its workflows and its validation result.
#pragma once

#include "studio_state.hpp"

namespace shopflow::studio {

void draw_bundle_panel(StudioState& state);

}  // namespace shopflow::studio
