// The edit history (history.hpp).
#include "history.hpp"

#include <utility>

namespace shopflow::studio {

Version make_version(const Json& doc, const Version* like) {
  Version v;
  v.body = Json::object();
  if (!doc.is_object()) {
    v.body = doc;
    return v;
  }
  size_t i = 0;
  for (auto it = doc.begin(); it != doc.end(); ++it, ++i) {
    if (it.key() == "samples") {
      v.samples_at = i;
      v.samples = like && like->samples && *like->samples == it.value() ? like->samples
                                                                          : std::make_shared<const Json>(it.value());
    } else {
      v.body[it.key()] = it.value();
    }
  }
  return v;
}

Json version_doc(const Version& v) {
  if (!v.samples || !v.body.is_object()) return v.body;
  Json doc = Json::object();
  size_t i = 0;
  for (auto it = v.body.begin(); it != v.body.end(); ++it, ++i) {
    if (i == v.samples_at) doc["samples"] = *v.samples;
    doc[it.key()] = it.value();
  }
  if (!doc.contains("samples")) doc["samples"] = *v.samples;
  return doc;
}

void history_start(EditHistory& h, const Json& doc) {
  h.undo.clear();
  h.redo.clear();
  h.current = make_version(doc, nullptr);
  h.merge_id = 0;
}

void history_record(EditHistory& h, const Json& doc, const std::string& selected, int workflow, unsigned merge_id) {
  Version next = make_version(doc, &h.current);
  next.selected = selected;
  next.workflow = workflow;
  // A field written back unchanged (ImGui gives a text field its own text back when it loses
  // the keyboard, e.g. "2 days" for the P2D it was turned into) is no edit to undo.
  bool same_samples = next.samples == h.current.samples || (next.samples && h.current.samples && *next.samples == *h.current.samples);
  if (same_samples && next.samples_at == h.current.samples_at && next.body == h.current.body) {
    h.merge_id = merge_id;
    return;
  }
  bool merge = merge_id != 0 && merge_id == h.merge_id && !h.undo.empty();
  if (!merge) {
    h.undo.push_back(std::move(h.current));
    if (h.undo.size() > kHistoryDepth) h.undo.erase(h.undo.begin());
  }
  h.current = std::move(next);
  h.redo.clear();
  h.merge_id = merge_id;
}

bool history_undo(EditHistory& h) {
  if (h.undo.empty()) return false;
  h.redo.push_back(std::move(h.current));
  h.current = std::move(h.undo.back());
  h.undo.pop_back();
  h.merge_id = 0;
  return true;
}

bool history_redo(EditHistory& h) {
  if (h.redo.empty()) return false;
  h.undo.push_back(std::move(h.current));
  h.current = std::move(h.redo.back());
  h.redo.pop_back();
  h.merge_id = 0;
  return true;
}

}  // namespace shopflow::studio
