// The Runner panel's backtest: production's events and runs, fetched from the runner page by
// page (never more than a few pages held), fed to the core's backtest (shopflow/backtest.hpp)
// a bounded slice per frame, and its comparison with production kept in RunnerBacktest. A
// flipped decision opens production's run (GET /v1/runs/{id}) beside the edited bundle's.
#pragma once

#include <string>

#include "studio_state.hpp"

namespace shopflow::studio {

// Starts a backtest of the edited bundle (which must have no problems) against the deployed
// version, over the events the panel's filters select. Any earlier one is dropped.
void backtest_start(StudioState& state);
// Stops the backtest under way: its requests are cancelled, its results so far stay.
void backtest_cancel(StudioState& state);
// Feeds what has come, up to `budget_ms`; asks for the next pages when there is room.
void backtest_tick(StudioState& state, double budget_ms);
// An answer to one of the backtest's requests.
void backtest_answer(StudioState& state, RunnerCall call, int id, int status, const std::string& next_after,
                     std::string body);
// Opens flipped decision `i`: asks the runner for production's run, takes the edited one.
void backtest_open_flip(StudioState& state, int i);

}  // namespace shopflow::studio
