// The simulator: feeds events through the engine on a simulated clock and returns a trace,
// and runs a bundle's self-tests on top of it.
//
// The clock jumps from event to event and from timer to timer (timers due at the same
// millisecond as an event fire first). http.request is answered from the bundle's mocks.
// The store is SQLite in memory — the same code the runner uses on a file. The trace is
// deterministic JSON (same bundle and events give the same bytes, natively and in WASM), with
// a hash. The studio, `shopflow simulate` and `shopflow test` all call these functions; they
// do no I/O.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shopflow/bundle.hpp"
#include "shopflow/engine.hpp"
#include "shopflow/event.hpp"
#include "shopflow/instant.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow {

inline constexpr Millis kDefaultSimulationTail = 7LL * 24 * 3600 * 1000;

struct SimOptions {
  std::optional<Millis> from;   // default: the first event's time (or `until` without events)
  std::optional<Millis> until;  // default: 7 days after the last event
  bool explain = true;          // record each condition's verdict tree
  bool include_steps = true;    // put every step record in the trace
  bool record_branches = false; // fill Trace::branches
  bool document = true;         // build Trace::json; false: only Trace::text, the same document as
                                // compact JSON text (much faster and smaller for long simulations),
                                // its runs and effects written as the engine saves and makes them
  // Without `document`: receives the trace text piece by piece, in order, once the events are
  // in, and Trace::text stays empty (a file, or only its hash).
  std::function<void(std::string_view)> write_text;
  std::vector<HttpMock> http_mocks;  // tried before the bundle's mocks (a test's own answers)
  EngineLimits limits;
  // Sees each run as it is saved and each effect as it is made, instead of the trace: the trace
  // then has none of them (nor their counts), and nothing keeps them but the observer (a
  // backtest compares them with production as they come). Not owned; outlives the simulation.
  RunObserver* observer = nullptr;
};

struct WorkflowCounts {
  std::string workflow;
  size_t started = 0, completed = 0, waiting = 0, failed = 0, stopped = 0;
};

struct FailedRun {
  std::string id;
  std::string error;
};

struct Trace {
  Json json;            // the whole trace document (SimOptions::document)
  std::string text;     // the same document as json.dump() gives (without SimOptions::document
                        // and SimOptions::write_text)
  std::string hash;     // trace_hash_hex(json.dump()): XXH3 64-bit, 16 hex digits
  Millis from = 0, until = 0;  // the simulated clock's start and end
  size_t events = 0;    // events handled
  size_t duplicates = 0;
  size_t after_until = 0;  // events later than `until`, not fed in
  std::vector<WorkflowCounts> counts;            // one per workflow, in bundle order
  std::map<std::string, size_t> effects_by_type;
  std::map<BranchKey, size_t> branches;  // branches taken (with record_branches; not in json)
  size_t failed = 0;                     // failed runs, of every workflow
  std::vector<FailedRun> first_failures; // the first ten of them
};

// Simulates `bundle` (which must have no problems) over `events`. Fails only on store errors;
// failed runs are part of the trace.
Result<Trace> simulate(const Bundle& bundle, const std::vector<Event>& events, const SimOptions& options = {});
// The same for events the caller gives up: each event's data moves into its runs, uncopied.
Result<Trace> simulate(const Bundle& bundle, std::vector<Event>&& events, const SimOptions& options = {});

// Answers http.request from mocks: the first in `first`, then in `then`, whose method
// (case-insensitive; empty = any) and URL (exact, or a prefix ending in '*') match.
RequestPort mock_request_port(std::vector<HttpMock> first, std::vector<HttpMock> then);

// The operation name of a GraphQL document ("CustomerOrders" in "query CustomerOrders(...)"),
// "" when it has none: how a mock names the shopify.query it answers.
std::string graphql_operation_name(const std::string& document);

// Where the clock and the events stood when a simulation ended: the trace's header.
struct SimEnd {
  Millis from = 0, until = 0;
  size_t given = 0, handled = 0, duplicates = 0, after_until = 0;
};

// The trace hash, XXH3 64-bit (xxHash), of text fed piece by piece: trace_hash_hex() of the
// pieces put together.
class TraceHash {
 public:
  TraceHash();
  ~TraceHash();
  TraceHash(TraceHash&&) noexcept;
  TraceHash& operator=(TraceHash&&) noexcept;
  void update(std::string_view bytes);
  std::string hex() const;  // 16 lower-case hex digits

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The runs and effects of a trace as text, written as the engine saves and makes them (its
// RunObserver), instead of read back from the store once the events are in. A run is written
// once it has finished and every run before it has too; the runs still waiting at the end, with
// their last state.
class LiveTrace final : public RunObserver {
 public:
  LiveTrace(const Bundle& bundle, bool include_steps);
  void run_saved(RunRow& run) override;
  void effect_made(EffectRow& effect) override;
  // The runs held back, in order: the text is complete.
  void finish();
  // The runs, then the effects, each comma-separated, in pieces of up to about a megabyte (a
  // long text is not copied as it grows); a run's long step records are a piece of their own.
  std::vector<std::string>& runs_text() { return runs_; }
  std::vector<std::string>& effects_text() { return effects_; }
  // Counts by workflow and status, effects by type, failed runs (of the runs written).
  Trace& tally() { return tally_; }

 private:
  bool include_steps_;
  std::vector<std::string> runs_, effects_;
  size_t runs_written_ = 0, effects_written_ = 0;
  // Runs saved, not written yet, in the order they were created: a stored run by its seq; one
  // the store does not keep (seq 0) after the runs saved before it (the latest seq seen then).
  std::map<std::pair<std::int64_t, std::int64_t>, RunRow> held_;
  std::int64_t last_seq_ = 0, unstored_ = 0;
  Trace tally_;
  std::string last_type_;
  size_t* last_count_ = nullptr;
  void write_run(RunRow& run);  // takes its step records
};

// Builds the trace document of a finished simulation from its engine, a bounded number of runs
// at a time, so that a caller drawing frames (the studio) can spread the work. simulate()
// builds it in one go.
class TraceBuilder {
 public:
  // `document`: build Trace::json (else Trace::text, or hand the text to `write_text` when set).
  // With `live`, the runs and effects are its text (not read from the store).
  TraceBuilder(Engine& engine, const Bundle& bundle, bool include_steps, const SimEnd& end, bool document = true,
               std::function<void(std::string_view)> write_text = {}, LiveTrace* live = nullptr);
  // Adds up to `max_items` runs (with their step records), effects or table changes to the
  // document; true once it is complete (final tables, counts and hash included).
  Result<bool> step(size_t max_items);
  // The finished trace (after step() returned true).
  Trace take() { return std::move(trace_); }

 private:
  Engine& engine_;
  const Bundle& bundle_;
  bool include_steps_;
  bool document_;
  std::function<void(std::string_view)> write_text_;
  LiveTrace* live_;
  Trace trace_;
  bool started_ = false;
  bool runs_done_ = false, effects_done_ = false, changes_started_ = false;
  std::int64_t last_run_ = 0;     // the seq of the last run added (runs are read a page at a time)
  std::int64_t last_effect_ = 0;  // and of the last effect
  size_t added_ = 0;              // runs added
  size_t effects_added_ = 0;
  std::string last_type_;         // the type of the last effect added, and its count
  size_t* last_count_ = nullptr;
  Json runs_json_ = Json::array();
  Json effects_json_ = Json::array();
  std::vector<TableChange> changes_;  // the engine's table changes, added a bounded number at a time
  size_t next_change_ = 0;
  Json changes_json_ = Json::array();
  std::string piece_;  // the text of the part being added (a page of runs or effects)
  // The hash of the document's compact text, fed piece by piece as it is written (the same
  // bytes as json.dump(), without dumping the whole document at the end).
  TraceHash hash_;
  // Add a run's or an effect's text to piece_ (and its Json to the document).
  void add_run(const RunView& r);
  void add_effect(const EffectView& e);
  void add_change(TableChange& c);
  Status finish();
  // Makes room in Trace::text for `left` more items like the `done` just written in `bytes`,
  // so that a long trace is not copied each time its text outgrows its buffer.
  void reserve_like(size_t bytes, size_t done, size_t left);
  // Adds text to the document: hashed, and kept as Trace::text (or written) when there is no
  // Json document.
  void emit(std::string_view bytes);
};

// A simulation advanced a step at a time: the studio spreads one over its frames, simulate()
// runs one to its end. The clock jumps to the next due timer or event (timers due at an event's
// millisecond fire first); once the events are used up (or later than `until`) the trace is
// built, a bounded number of runs, effects or table changes per step.
class Simulation {
 public:
  // What a step did. Hungry: nothing, a fed simulation needs more events (feed() or end_feed()).
  enum class Did { Event, Timers, Trace, Finished, Hungry };

  // Opens an engine over `bundle` (which must have no problems; its own sample events are not
  // used) on a fresh in-memory store. The events are shared, not copied.
  static Result<std::unique_ptr<Simulation>> open(const Bundle& bundle, std::shared_ptr<const std::vector<Event>> events,
                                                  SimOptions options = {});
  // Opens a simulation whose events are given later, a block at a time, in time order (feed()):
  // it can start on the first events of a long file while the rest is still being read. Fed
  // the same events, it gives the trace simulate() gives.
  static Result<std::unique_ptr<Simulation>> open_fed(const Bundle& bundle, SimOptions options = {});
  // Adds events after those given so far; the simulation uses them up. Refused (false, nothing
  // added) when one is earlier than an event before it: such events need simulate(), which
  // sorts them first.
  bool feed(std::vector<Event>&& events);
  // No more events: step() goes on to the end, `until` when given (and not given at open_fed()).
  void end_feed(std::optional<Millis> until = std::nullopt);
  // One unit of work: feeds one event, fires the timers due next, or adds up to `trace_items`
  // items to the trace. Finished once the trace is complete (then take_trace()).
  Result<Did> step(size_t trace_items = SIZE_MAX);
  Trace take_trace() { return std::move(trace_); }

  Millis from() const { return from_; }
  Millis until() const { return until_; }
  Millis clock() const { return clock_; }
  size_t fed() const { return next_; }  // events fed in so far
  size_t feedable() const { return fed_ ? given_ : order_.size(); }  // events given to feed in
  // The event fed in last (null in a simulation opened with open_fed()).
  const Event* last_event() const { return next_ && !fed_ ? order_[next_ - 1] : nullptr; }

 private:
  Simulation() = default;
  Status start_engine(const Bundle& bundle);  // with its LiveTrace, for a text trace
  SimOptions options_;
  std::shared_ptr<const std::vector<Event>> events_;
  std::vector<const Event*> order_;  // stable-sorted by time
  // The events are this simulation's alone (simulate() given them to use up): each is moved
  // into the engine as it is fed, so last_event() has lost its data.
  bool consume_ = false;
  friend Result<Trace> simulate(const Bundle&, std::vector<Event>&&, const SimOptions&);
  // Opened with open_fed(): the events come in blocks, each dropped once fed in.
  bool fed_ = false;
  bool feed_ended_ = false;
  bool past_until_ = false;  // an event given is later than `until`: none after it is fed in
  std::deque<std::vector<Event>> blocks_;
  size_t in_block_ = 0;     // the next event of blocks_.front()
  size_t given_ = 0;        // events given by feed()
  Millis last_given_ = 0;   // the time of the last of them
  // `until` is known: given, or (its default) once the last event is known.
  bool until_known() const { return !fed_ || feed_ended_ || options_.until.has_value(); }
  std::unique_ptr<LiveTrace> live_;  // a text trace's runs and effects, as they happen
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<TraceBuilder> builder_;
  Millis from_ = 0, until_ = 0, clock_ = 0;
  size_t next_ = 0, duplicates_ = 0;  // events fed in (each handled), and of those duplicates
  bool finished_ = false;
  Trace trace_;
};

// A readable summary: runs by workflow and status, effects by type, failed runs with reasons.
std::string summarize(const Trace& trace);

struct TestOutcome {
  std::string name;
  bool passed = false;
  std::string diff;        // what differed, one line per difference ("" when passed)
  std::string trace_hash;
};

// How often the bundle's tests took one branch of a workflow (see branches_of()).
struct BranchCoverage {
  BranchKey key;
  size_t hits = 0;  // over all tests; 0 = no test goes this way
};

// Runs every test of the bundle. A test whose simulation fails is a failed test. With
// `coverage`, also reports every branch of every workflow and how often the tests took it.
std::vector<TestOutcome> run_tests(const Bundle& bundle, std::vector<BranchCoverage>* coverage = nullptr);
// One of the bundle's tests; `taken` (when given) counts the branches its runs took.
TestOutcome run_test(const Bundle& bundle, const BundleTest& test, std::map<BranchKey, size_t>* taken = nullptr);

// Events from JSON Lines: one event per non-empty line (lenient form, see parse_event; each
// needs a time). The Error names the line.
Result<std::vector<Event>> parse_events_jsonl(std::string_view text);

// The same events a block at a time, for a caller that simulates the first while it reads the
// rest (see Simulation::open_fed()).
class EventLineReader {
 public:
  explicit EventLineReader(std::string_view text) : text_(text) {}
  // Appends the events of the next lines, up to `max_events` of them, to `out`: true while
  // lines are left to read. The Error is parse_events_jsonl's.
  Result<bool> read(std::vector<Event>* out, size_t max_events);

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t line_no_ = 0;
  bool done_ = false;
};

// More events from samples, for a longer simulation: `copies` copies of `events`, copy k
// (1, 2, ...) later by k × `every`. So that copies do not answer each other's waits, copy k
// marks what identifies things: the event id and every text member named `id`, `token` or
// ending in `_id` or `_token` get "~k" appended; such integer members get k × 1,000,000 added.
std::vector<Event> repeat_events(const std::vector<Event>& events, size_t copies, Millis every);

// XXH3 64-bit (xxHash) of `bytes`, as 16 lower-case hex digits: the trace hash of a trace's text.
std::string trace_hash_hex(std::string_view bytes);

}  // namespace shopflow
