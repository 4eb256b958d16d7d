// Timers: the waits that end at a time (a duration, `until`, an event wait's timeout or
// deadline) and the cron schedules of workflows, as timer rows in the store.
//
// Engine::Impl's timer methods (engine_timers.cpp: the wait step, arm, fire) use these: a
// waiting run's timer names it and its step path, so a stale timer (the run moved on) is
// ignored when it fires; a schedule's timer names its workflow, and each fire arms the next.
// advance() fires the due ones in due order; next_due() reads the earliest.
#pragma once

#include <string>

#include "shopflow/bundle.hpp"
#include "shopflow/instant.hpp"
#include "shopflow/result.hpp"
#include "shopflow/store.hpp"

namespace shopflow::engine {

// The timer that ends the wait of run `run_id` at step `path`, due at `due`.
TimerRow wait_timer(const std::string& run_id, const std::string& path, Millis due);

// The timer of `workflow`'s schedule, due at `due`.
TimerRow schedule_timer(const std::string& workflow, Millis due);

// Gives every scheduled workflow of `bundle` without a schedule timer in the store its next
// fire after `now`, in one transaction of its own. Store errors roll it back.
Status arm_schedules(Store& store, const Bundle& bundle, Millis now);

}  // namespace shopflow::engine
