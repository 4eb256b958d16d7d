// Table actions: what table.set, table.delete, table.merge and table.add do to the store's
// tables, and the table reads a run's conditions make (the `lookup` and `rows` operators).
// The engine's interpreter calls apply_table_action for a table step; Engine::open installs the
// reads into its condition options. Kept apart from the interpreter because a table's rules
// (keys, the key field, merging, exact sums) are the same whichever step reaches them.
#pragma once

#include <string>

#include "shopflow/actions.hpp"
#include "shopflow/bundle.hpp"
#include "shopflow/condition.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"
#include "shopflow/store.hpp"

namespace shopflow::engine {

// What a table action did, or why it could not: `failure` (a message for the run's error,
// which fails the run only) is empty when it succeeded; then `value` is the row after the
// change (null when deleted) under `table` and `key`.
struct TableActionResult {
  std::string failure;
  std::string table;
  std::string key;
  Json value;
};

// Applies the table action `kind` with the step's computed `params` ("table", "key", and
// "value", or "field" and "amount") to the store's tables. Reading a parameter the step did not
// give adds it to `params` as null, as the step record shows it. A store error is an Error.
Result<TableActionResult> apply_table_action(Store& store, const Bundle& bundle, ActionKind kind, Json& params);

// Lets `eval`'s conditions read the store's tables: `lookup` a row by key, `rows` of a table of
// `bundle`. Both point at `store` and `bundle`, which must outlive `eval`.
void install_table_reads(logic::EvalOptions& eval, Store* store, const Bundle* bundle);

}  // namespace shopflow::engine
