// IdSet: a set of ids that only grows, for the engine's memory of the event and effect ids it
// has seen when its store keeps no row for them (a simulation's throwaway store; see
// EngineOptions::keep_handled_events and keep_finished). Used by Engine::Impl only.
//
// Open addressing over the ids' hashes (one probe into a flat table per id, most of the time),
// the ids themselves end to end in one text. A simulation adds one event id per event and one
// effect id per effect; a node-based set cost a cache miss per node and per bucket, and a
// string per id an allocation (and a free at the end).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace shopflow::engine {

class IdSet {
 public:
  // Whether `id` is new; remembers it.
  bool insert(std::string_view id) {
    if ((ends_.size() + 1) * 4 > slots_.size() * 3) grow();
    const std::uint64_t h = std::hash<std::string_view>{}(id);
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.index == 0) {
        text_.append(id);
        ends_.push_back(text_.size());
        s = Slot{h, ends_.size()};
        return true;
      }
      if (s.hash == h && at(s.index - 1) == id) return false;
    }
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    size_t index = 0;  // into ends_, plus one; 0: empty
  };
  std::string_view at(size_t k) const {
    const size_t begin = k == 0 ? 0 : ends_[k - 1];
    return std::string_view(text_).substr(begin, ends_[k] - begin);
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.index == 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].index != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::string text_;          // the ids, end to end
  std::vector<size_t> ends_;  // where each ends in text_
};

}  // namespace shopflow::engine
