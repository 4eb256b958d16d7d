// The condition builder's field picker and its warnings: the fields of the sample events that
// start the workflow (event.id, event.data.total, event.data.customer.email, ...) with the kind
// of value each holds (text, number, amount, time, yes/no, list, object), read from the events
// themselves; a row whose field none of them has, or whose value is of another kind than the
// field's, gets a warning. In a wait's match (InspectorState::scope_event) `event` is the
// arriving event and `trigger` the run's, and both are offered. Used by the inspector.
#pragma once

#include <map>
#include <string>

#include "cond_builder.hpp"
#include "studio_state.hpp"

namespace shopflow::studio {

// Paths (as a condition's "var" writes them) to the kinds of value found there.
using FieldKinds = std::map<std::string, std::string>;  // as InspectorState::field_kinds

// The fields of the sample events of the shown workflow's trigger (all sample events when
// none are of its type). Recomputed when the samples or the workflow change.
const FieldKinds& trigger_fields(StudioState& state);

// The fields a condition drawn now can read: trigger_fields(), or in a wait's match the
// arriving event's (event.*) and the trigger's (trigger.*).
const FieldKinds& condition_fields(StudioState& state);

// The kind of value (as FieldKinds) a table holds at `lookup` with fixed keys, read from the
// bundle's rows (any row when the row key is a field); "" when unknown.
std::string table_value_kind(const StudioState& state, const Lookup& lookup);

// A small button that opens the list of fields (with a filter); true when *field was set.
// `widget` names the button for the tests ("<widget>" and "field:<path>" in the list).
bool field_picker(StudioState& state, std::string* field, const std::string& widget);

// What is wrong with comparing `field` with `value_text`, or "" when nothing: a field the
// sample events do not have, or a value of another kind (a number field compared with "lots").
std::string field_warning(StudioState& state, const std::string& field, const std::string& value_text, bool unary);

}  // namespace shopflow::studio
