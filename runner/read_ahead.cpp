#include "read_ahead.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace shopflow::cli {

namespace {

constexpr size_t kBlock = 1024;  // events read at a time
constexpr size_t kAhead = 64;    // blocks read ahead at most: the reader waits beyond that

// Blocks of events, from the reading thread to the simulating one.
struct Shelf {
  std::mutex m;
  std::condition_variable changed;
  std::deque<std::vector<Event>> blocks;
  bool done = false;  // the reader has finished: everything read, or `error`
  bool stop = false;  // the simulation wants no more
  std::optional<Error> error;
};

void read_events(std::string_view jsonl, Shelf& shelf) {
  EventLineReader reader(jsonl);
  for (;;) {
    std::vector<Event> block;
    block.reserve(kBlock);
    auto more = reader.read(&block, kBlock);
    std::unique_lock<std::mutex> lock(shelf.m);
    shelf.changed.wait(lock, [&] { return shelf.stop || shelf.blocks.size() < kAhead; });
    if (shelf.stop) return;
    if (!more) {
      shelf.error = more.error();
      shelf.done = true;
    } else {
      if (!block.empty()) shelf.blocks.push_back(std::move(block));
      shelf.done = !more.value();
    }
    shelf.changed.notify_all();
    if (shelf.done) return;
  }
}

}  // namespace

Result<Trace> simulate_reading_ahead(const Bundle& bundle, std::string_view jsonl, const SimOptions& options,
                                     bool* bad_events) {
  *bad_events = false;
  auto opened = Simulation::open_fed(bundle, options);
  if (!opened) return opened.error();
  Simulation& sim = *opened.value();
  Shelf shelf;
  std::thread reader([&] { read_events(jsonl, shelf); });
  std::deque<std::vector<Event>> taken;
  bool in_order = true;
  std::optional<Error> failed;
  while (in_order && !failed) {
    bool all_read = false;
    {
      std::unique_lock<std::mutex> lock(shelf.m);
      shelf.changed.wait(lock, [&] { return !shelf.blocks.empty() || shelf.done; });
      taken.swap(shelf.blocks);
      all_read = shelf.done;
      if (shelf.error) {
        lock.unlock();
        reader.join();
        *bad_events = true;
        return *shelf.error;
      }
    }
    shelf.changed.notify_all();
    for (std::vector<Event>& block : taken) {
      if (in_order && !sim.feed(std::move(block))) in_order = false;
    }
    taken.clear();
    if (!in_order) break;
    if (all_read) sim.end_feed();
    for (;;) {
      auto did = sim.step();
      if (!did) {
        failed = did.error();
        break;
      }
      if (did.value() == Simulation::Did::Finished) {
        reader.join();
        return sim.take_trace();
      }
      if (did.value() == Simulation::Did::Hungry) break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(shelf.m);
    shelf.stop = true;
  }
  shelf.changed.notify_all();
  reader.join();
  // Out of time order, or the simulation failed: do what simulate() does after reading them all,
  // so that a bad line later in the file is still the error reported.
  auto events = parse_events_jsonl(jsonl);
  if (!events) {
    *bad_events = true;
    return events.error();
  }
  if (failed) return *failed;
  return simulate(bundle, std::move(events.value()), options);
}

}  // namespace shopflow::cli
