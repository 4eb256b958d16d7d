// Reading and changing the bundle document by JSON Pointer: the step tree of a workflow,
// what a step is, and the edits the graph and the inspector offer (add, remove, move).
// Pure functions over Json, no UI; used by the panels and the studio state.
#pragma once

#include <string>
#include <vector>

#include "shopflow/json.hpp"

namespace shopflow::studio {

// RFC 6901 reference tokens of `pointer`, unescaped ("/a~1b/0" -> {"a/b", "0"}).
std::vector<std::string> pointer_tokens(const std::string& pointer);

// The value at `pointer`, or nullptr when there is none.
Json* resolve(Json& doc, const std::string& pointer);
const Json* resolve(const Json& doc, const std::string& pointer);

// "/workflows/0/steps/2" -> "/workflows/0/steps" (the containing array) and 2.
std::string parent_pointer(const std::string& pointer);
size_t last_index(const std::string& pointer);

// The workflow index a pointer lies in (-1 when none), and the pointer of the innermost step
// it lies in ("" when it is not inside a step). Used to jump from a problem to its step.
int workflow_of_pointer(const std::string& pointer);
std::string step_of_pointer(const std::string& pointer);

// The kind of a step object: "if", "switch", "action", "wait", "foreach", "set", "emit",
// "stop", or "" when none is recognised.
std::string step_kind(const Json& step);

// A short description of a step for the graph: "email.send", "wait 4 hours", "if ...".
std::string step_summary(const Json& step);

// The JSON of a condition in short text form for labels: {"<": [{"var":"a"}, 3]} -> "a < 3".
std::string condition_text(const Json& rule, size_t max_chars = 60);

// A new step of `kind` with an id not used in `workflow` yet.
Json new_step(const std::string& kind, const Json& workflow);

// A copy of `step` to paste into `workflow`: it and the steps inside it get ids the workflow
// does not use yet ("notify" -> "notify-2").
Json pasted_step(const Json& step, const Json& workflow);

// Inserts `step` at `index` of the step array at `list_pointer` (created when absent).
// Returns the new step's pointer, or "" when list_pointer does not name an array's place.
std::string insert_step(Json& doc, const std::string& list_pointer, size_t index, Json step);

// Removes the step at `pointer`. False when there is none.
bool remove_step(Json& doc, const std::string& pointer);

// A copy of the object `doc` without its member `key` (e.g. a bundle without its samples).
Json without_member(const Json& doc, const std::string& key);

// Moves the step at `*pointer` by `delta` places within its list, updating `*pointer`.
// False when it cannot move (at an end).
bool move_step(Json& doc, std::string* pointer, int delta);

}  // namespace shopflow::studio
