// The edit history behind Undo and Redo: the versions of the edited bundle before and after
// each edit. A version keeps the bundle without its sample events, which are shared with the
// neighbouring versions while an edit leaves them alone (they can be megabytes); keystrokes
// into the same text field make one edit. Pure data and functions; studio_state.cpp keeps one
// for the bundle being edited and the panels and keys call undo_edit() / redo_edit().
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "shopflow/json.hpp"

namespace shopflow::studio {

struct Version {
  Json body;                              // the bundle without "samples"
  std::shared_ptr<const Json> samples;    // its "samples", or null when it has none
  size_t samples_at = 0;                  // the place of "samples" among the bundle's members
  std::string selected;                   // the step selected when it was made
  int workflow = 0;
};

struct EditHistory {
  std::vector<Version> undo;  // older versions, the last one just before `current`
  std::vector<Version> redo;  // versions undone, the last one just after `current`
  Version current;
  unsigned merge_id = 0;      // the text field the last edit was typed into (0: none)
};

inline constexpr size_t kHistoryDepth = 200;

// The version of `doc`, sharing `like`'s samples when they are equal.
Version make_version(const Json& doc, const Version* like);

// The bundle document a version stands for, members in their original order.
Json version_doc(const Version& v);

// Starts a history at `doc` (a bundle opened or restored): nothing to undo or redo.
void history_start(EditHistory& h, const Json& doc);

// Records an edit that made `doc`. Typing into one text field (merge_id, non-zero) makes one
// edit however many keystrokes it takes; a `doc` equal to the current version is no edit.
// Drops what could be redone.
void history_record(EditHistory& h, const Json& doc, const std::string& selected, int workflow, unsigned merge_id);

// Moves one version back or forward; false when there is none.
bool history_undo(EditHistory& h);
bool history_redo(EditHistory& h);

}  // namespace shopflow::studio
