// Production's record — the events it received from outside, its runs with their step records,
// its effects — read a page at a time, from a store (`--db FILE`) or from a running runner's API
// (`--from URL`, GET /v1/events, /v1/runs, /v1/runs/{id}, /v1/effects with a bearer token).
// `shopflow backtest` feeds the pages to the core's Backtest; `shopflow export-events` writes
// the events as JSON Lines. Memory holds one page, however long the record.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shopflow/backtest.hpp"
#include "shopflow/instant.hpp"
#include "shopflow/result.hpp"

namespace shopflow::cli {

// An event as production recorded it: the event JSON text, its inbox key (what run ids derive
// from) and when the runner received it (0: not known).
struct EventLine {
  std::int64_t seq = 0;
  Millis received = 0;
  std::string key;
  std::string body;
};

// The line `shopflow export-events` writes and GET /v1/events answers:
// {"seq":N,"received":"<RFC 3339 ms>","event":{...}} ("key" too when it is not the event's id).
std::string event_line_text(const EventLine& e);
// The event of a line, for the simulation: its time the time received.
Result<Event> event_of(EventLine&& e);  // takes the line's text

struct RecordFilter {
  std::optional<Millis> since, until;  // when received (events) or started (runs): [since, until)
  std::string type;                    // events of this type only ("" all)
};

class ProductionSource {
 public:
  virtual ~ProductionSource() = default;
  // The next events in arrival order that pass the filter, up to about `max`; none at the end.
  virtual Result<std::vector<EventLine>> events(size_t max) = 0;
  // The next runs (with their step records) in creation order, up to `max`; none at the end.
  virtual Result<std::vector<RunRecord>> runs(size_t max) = 0;
  // The next effects in creation order, up to `max`; none at the end.
  virtual Result<std::vector<EffectRecord>> effects(size_t max) = 0;
  // About how many events there are (for progress), when known.
  virtual std::optional<std::int64_t> events_total() { return std::nullopt; }
  // Where the record comes from, for messages ("store.db", "http://host:8080").
  virtual std::string where() const = 0;
};

// A store file (read while `shopflow serve` may be writing it). Fails when there is none.
Result<std::unique_ptr<ProductionSource>> open_store_source(const std::string& path, RecordFilter filter);
// A runner's API at `url` (its base, e.g. http://127.0.0.1:8080) with the bearer `token`.
Result<std::unique_ptr<ProductionSource>> open_api_source(const std::string& url, const std::string& token,
                                                           RecordFilter filter);

}  // namespace shopflow::cli
