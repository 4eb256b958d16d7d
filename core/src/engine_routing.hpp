// Routing: which events start which runs, and which waiting runs an event may resume.
//
// Routes is the bundle's index for it, built once when the engine opens: the workflows each
// event type triggers, the event waits that correlate on a value (so that only runs waiting
// under the arriving event's value are read back), and the event types some run may wait for.
// Engine::Impl's routing methods (engine_routing.cpp: handle, resume_waiting, start_runs,
// drain) use it to hand each inbox event to the interpreter; the wait step uses
// correlation_key to file a waiting run under its value.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "shopflow/bundle.hpp"
#include "shopflow/json.hpp"

namespace shopflow::engine {

struct Routes {
  // The workflows each event type triggers, in bundle order.
  std::map<std::string, std::vector<const Workflow*>> triggered;
  // The event waits that correlate on a value, by the event type they wait for.
  std::map<std::string, std::vector<const Step*>> correlating;
  // The event types some run may wait for: those of the bundle's event waits (and, added by
  // Engine::open, those runs in the store waited for when it opened). Events of other types
  // look for no waiting run.
  std::set<std::string> wait_types;
  // The correlations the bundle uses, as text: when it differs from the one the store was
  // filed under, the store's waiting runs forget their keys and are looked at for every event.
  std::string signature;
};

// The routes of `bundle`, which must outlive them (they point into its workflows).
Routes routes_of(const Bundle& bundle);

// A waiting run's index key: which event field it correlates on, and the value's text; empty
// for a value no index can hold.
std::string correlation_key(const std::string& event_path, const Json& value);

}  // namespace shopflow::engine
