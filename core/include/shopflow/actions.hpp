// The action types a workflow's `action` step may name, each with its declared parameters.
//
// The bundle checker uses this registry to report unknown actions, unknown parameters and
// missing required ones (with JSON Pointers); the engine uses it to decide what an action does:
// an outside effect through the outbox, a request whose response is the step's output, or a
// change to a table inside the run's own transaction. All built-in actions are registered in
// one place, actions.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shopflow {

enum class ActionKind {
  Effect,   // written to the outbox; the runner delivers it after commit
  Request,  // http.request: answered synchronously by the request port; the response is the output
  TableSet,
  TableAdd,
  TableMerge,
  TableDelete,
};

struct ParamSpec {
  std::string name;
  bool required = true;
  std::string summary;  // one line for documentation and the studio
};

struct ActionSpec {
  std::string type;  // "email.send"
  ActionKind kind = ActionKind::Effect;
  std::string summary;
  std::vector<ParamSpec> params;
};

// Every built-in action, in documentation order.
const std::vector<ActionSpec>& action_specs();

// The action named `type`, or nullptr.
const ActionSpec* find_action(std::string_view type);

}  // namespace shopflow
