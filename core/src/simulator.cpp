// The simulator and the self-test runner.
#include "shopflow/simulator.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

#include "shopflow/sqlite_store.hpp"

namespace shopflow {

namespace {

bool glob_prefix_match(const std::string& pattern, const std::string& url) {
  if (!pattern.empty() && pattern.back() == '*') return url.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  return pattern == url;
}

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

Json parse_or_null(const std::string& s) {
  if (s.empty()) return Json();
  auto j = parse_json(s, "record");
  return j ? std::move(j.value()) : Json(s);
}

}  // namespace

std::string graphql_operation_name(const std::string& document) {
  size_t i = document.find_first_not_of(" \t\r\n");
  if (i == std::string::npos) return "";
  for (const char* kw : {"query", "mutation"}) {
    size_t n = std::strlen(kw);
    if (document.compare(i, n, kw) == 0) {
      size_t start = document.find_first_not_of(" \t\r\n", i + n);
      size_t end = start;
      while (end < document.size() && (std::isalnum(static_cast<unsigned char>(document[end])) || document[end] == '_')) ++end;
      return start == std::string::npos ? "" : document.substr(start, end - start);
    }
  }
  return "";
}

RequestPort mock_request_port(std::vector<HttpMock> first, std::vector<HttpMock> then) {
  return [first = std::move(first), then = std::move(then)](const Json& req) -> Result<Json> {
    std::string method = req.contains("method") && req["method"].is_string() ? upper(req["method"].get<std::string>()) : "";
    std::string url = req.contains("url") && req["url"].is_string() ? req["url"].get<std::string>() : "";
    if (req.value("action", std::string()) == "shopify.query") {
      // Answered as POST shopify:<operation name>, so a mock names the query it answers.
      method = "POST";
      url = "shopify:" + graphql_operation_name(req.value("query", std::string()));
    }
    for (const std::vector<HttpMock>* list : {&first, &then}) {
      for (const HttpMock& m : *list) {
        if ((m.method.empty() || upper(m.method) == method) && glob_prefix_match(m.url, url)) return m.response;
      }
    }
    return Error{"no mock answers " + method + " " + url + "; add one under mocks.http", "", 0, 0};
  };
}

namespace {

// Appends `,"key":"value"` (without the comma for the first member).
void append_field(std::string& out, std::string_view key, std::string_view value, bool first = false) {
  append_json_key(out, key, first);
  append_json_string(out, value);
}

// Appends `,"key":"<instant>"` (an instant's text needs no escaping).
void append_time(std::string& out, const char* key, Millis ms) {
  append_json_key(out, key);
  out += '"';
  append_instant(out, ms);
  out += '"';
}

// A run's text in the trace, up to its step records.
void append_run_head(std::string& out, const RunView& r) {
  out += '{';
  append_field(out, "id", r.id, true);
  append_field(out, "workflow", r.workflow);
  append_field(out, "event", r.event_id);
  append_field(out, "status", r.status);
  append_time(out, "started", r.started);
  append_time(out, "updated", r.updated);
  if (!r.error.empty()) append_field(out, "error", r.error);
  if (!r.error_step.empty()) append_field(out, "error_step", r.error_step);
  if (!r.wait_event.empty()) append_field(out, "waiting_for", r.wait_event);
}

// A run's text in the trace.
void append_run(std::string& out, const RunView& r, bool include_steps) {
  append_run_head(out, r);
  if (include_steps) {
    append_json_key(out, "steps");
    out += r.steps.empty() ? std::string_view("[]") : r.steps;  // stored as the trace has them
  }
  out += '}';
}

// An effect's text in the trace.
void append_effect(std::string& out, const EffectView& e) {
  out += '{';
  append_field(out, "id", e.id, true);
  append_field(out, "type", e.type);
  append_field(out, "workflow", workflow_of_run(e.run_id));
  append_field(out, "run", e.run_id);
  append_field(out, "step", e.path);
  append_time(out, "time", e.created);
  append_json_key(out, "params");
  out += e.params.empty() ? std::string_view("null") : e.params;  // stored as JSON text
  out += '}';
}

// Counts a run in the trace's tally by workflow and status, and keeps the first failures.
void count_run(Trace& t, const RunView& r) {
  for (auto& c : t.counts) {
    if (c.workflow != r.workflow) continue;
    ++c.started;
    if (r.status == "completed") ++c.completed;
    else if (r.status == "waiting") ++c.waiting;
    else if (r.status == "failed") ++c.failed;
    else if (r.status == "stopped") ++c.stopped;
    break;  // workflow ids are unique
  }
  if (r.status == "failed" && t.failed++ < 10) t.first_failures.push_back(FailedRun{std::string(r.id), std::string(r.error)});
}

// Counts an effect by type; `last_type` and `last_count` remember the type counted last
// (effects of one type tend to come in runs).
void count_effect(Trace& t, std::string_view type, std::string& last_type, size_t*& last_count) {
  if (!last_count || type != last_type) {
    last_type.assign(type);
    last_count = &t.effects_by_type[last_type];
  }
  ++*last_count;
}

RunView view_of(const RunRow& r) {
  RunView v;
  v.seq = r.seq;
  v.id = r.id;
  v.workflow = r.workflow;
  v.event_id = r.event_id;
  v.status = r.status;
  v.error = r.error;
  v.error_step = r.error_step;
  v.wait_event = r.wait_event;
  v.steps = r.steps;
  v.started = r.started;
  v.updated = r.updated;
  return v;
}

EffectView view_of(const EffectRow& e) {
  EffectView v;
  v.seq = e.seq;
  v.id = e.id;
  v.run_id = e.run_id;
  v.path = e.path;
  v.type = e.type;
  v.params = e.params;
  v.created = e.created;
  return v;
}

// The piece of `pieces` to append to next: a new one once the last is a megabyte long.
std::string& piece_to_append(std::vector<std::string>& pieces) {
  constexpr size_t kPiece = 1 << 20;
  if (pieces.empty() || pieces.back().size() >= kPiece) {
    pieces.emplace_back();
    pieces.back().reserve(kPiece + (kPiece >> 2));
  }
  return pieces.back();
}

}  // namespace

LiveTrace::LiveTrace(const Bundle& bundle, bool include_steps) : include_steps_(include_steps) {
  for (const Workflow& w : bundle.workflows) tally_.counts.push_back(WorkflowCounts{w.id, 0, 0, 0, 0, 0});
}

void LiveTrace::write_run(RunRow& run) {
  // Step records this long are a piece of the text of their own, moved there, not copied (a
  // copy this long is a call out to JavaScript in WebAssembly).
  constexpr size_t kOwnPiece = 512;
  constexpr size_t kHead = 320;  // about a run's text without its step records
  const RunView v = view_of(run);
  count_run(tally_, v);
  std::string& out = piece_to_append(runs_);
  if (runs_written_++ > 0) out += ',';
  if (!include_steps_ || run.steps.size() < kOwnPiece) {
    append_run(out, v, include_steps_);
    return;
  }
  append_run_head(out, v);
  append_json_key(out, "steps");
  runs_.push_back(std::move(run.steps));
  runs_.emplace_back();
  runs_.back().reserve(kHead);  // the rest of this run, and the head of the next
  runs_.back() += '}';
}

void LiveTrace::run_saved(RunRow& run) {
  // Runs are saved first in the order they start: one not held is the latest, and is written
  // at once when it has finished and no run before it is still held.
  const bool finished = run.status != "waiting";
  if (run.seq > last_seq_) last_seq_ = run.seq;
  if (held_.empty() && finished) {
    write_run(run);
    return;
  }
  const auto key = run.seq ? std::make_pair(run.seq, std::int64_t{0}) : std::make_pair(last_seq_, ++unstored_);
  if (finished) {
    held_[key] = std::move(run);  // saved for the last time
  } else {
    held_[key] = run;
  }
  while (!held_.empty() && held_.begin()->second.status != "waiting") {
    write_run(held_.begin()->second);
    held_.erase(held_.begin());
  }
}

void LiveTrace::effect_made(EffectRow& e) {
  const EffectView v = view_of(e);
  count_effect(tally_, v.type, last_type_, last_count_);
  std::string& out = piece_to_append(effects_);
  if (effects_written_++ > 0) out += ',';
  append_effect(out, v);
}

void LiveTrace::finish() {
  for (auto& [seq, run] : held_) write_run(run);
  held_.clear();
}

TraceBuilder::TraceBuilder(Engine& engine, const Bundle& bundle, bool include_steps, const SimEnd& end, bool document,
                           std::function<void(std::string_view)> write_text, LiveTrace* live)
    : engine_(engine),
      bundle_(bundle),
      include_steps_(include_steps),
      document_(document),
      write_text_(document ? nullptr : std::move(write_text)),
      live_(document ? nullptr : live) {
  trace_.events = end.handled;
  trace_.duplicates = end.duplicates;
  trace_.after_until = end.after_until;
  trace_.from = end.from;
  trace_.until = end.until;
  Json& t = trace_.json;
  t["bundle"] = bundle.name;
  t["version"] = bundle.version;
  t["from"] = format_instant(end.from);
  t["until"] = format_instant(end.until);
  t["events"] = {{"given", end.given}, {"handled", end.handled}, {"duplicates", end.duplicates},
                 {"after_until", end.after_until}};
  for (const Workflow& w : bundle.workflows) trace_.counts.push_back(WorkflowCounts{w.id, 0, 0, 0, 0, 0});
}

void TraceBuilder::emit(std::string_view bytes) {
  hash_.update(bytes);
  if (write_text_) {
    write_text_(bytes);
  } else if (!document_) {
    trace_.text.append(bytes);
  }
}

void TraceBuilder::add_run(const RunView& r) {
  count_run(trace_, r);
  std::string& out = piece_;
  if (added_++ > 0) out += ',';
  const size_t begin = out.size();
  append_run(out, r, include_steps_);
  if (document_) runs_json_.push_back(Json::parse(out.begin() + static_cast<std::ptrdiff_t>(begin), out.end()));
}

void TraceBuilder::add_effect(const EffectView& e) {
  count_effect(trace_, e.type, last_type_, last_count_);
  std::string& out = piece_;
  if (effects_added_++ > 0) out += ',';
  const size_t begin = out.size();
  append_effect(out, e);
  if (document_) effects_json_.push_back(Json::parse(out.begin() + static_cast<std::ptrdiff_t>(begin), out.end()));
}

void TraceBuilder::reserve_like(size_t bytes, size_t done, size_t left) {
  if (document_ || write_text_ || done == 0) return;
  const size_t want = trace_.text.size() + (bytes / done + 1) * left + left / 16 * (bytes / done) + 4096;
  trace_.text.reserve(want);
}

Result<bool> TraceBuilder::step(size_t max_items) {
  if (!started_) {
    // The document so far, up to its runs: {"bundle":...,"events":{...},"runs":[
    std::string head = trace_.json.dump();
    head.pop_back();
    emit(head);
    emit(",\"runs\":[");
    if (!document_) trace_.json = Json();
    started_ = true;
  }
  // Runs, then effects, are read a page at a time, never all at once; a call adds at most
  // `max_items` of them.
  constexpr size_t kPage = 512;
  size_t taken = 0;
  if (live_ && !effects_done_) {
    // Written already, as the engine went: the runs still waiting are added, with their counts.
    live_->finish();
    for (std::string& piece : live_->runs_text()) {
      emit(piece);
      std::string().swap(piece);
    }
    emit("],\"effects\":[");
    for (std::string& piece : live_->effects_text()) {
      emit(piece);
      std::string().swap(piece);
    }
    Trace& tally = live_->tally();
    trace_.counts = std::move(tally.counts);
    trace_.effects_by_type = std::move(tally.effects_by_type);
    trace_.failed = tally.failed;
    trace_.first_failures = std::move(tally.first_failures);
    live_->runs_text().clear();
    live_->effects_text().clear();
    runs_done_ = effects_done_ = true;
  }
  // A page's text is added and hashed in one piece.
  while (!runs_done_ && taken < max_items) {
    const size_t want = std::min(kPage, max_items - taken);
    piece_.clear();
    auto page = engine_.each_run(last_run_, want, include_steps_, [&](const RunView& r) {
      add_run(r);
      last_run_ = r.seq;
    });
    if (!page) return page.error();
    taken += page.value();
    if (page.value() < want) runs_done_ = true;
    emit(piece_);
    if (last_run_ != 0 && added_ == page.value() && !runs_done_) {  // the first page
      auto counts = engine_.run_counts();
      if (!counts) return counts.error();
      size_t total = 0;
      for (const RunCount& c : counts.value()) total += static_cast<size_t>(c.count);
      if (total > added_) reserve_like(piece_.size(), added_, total - added_);
    }
    if (runs_done_) emit("],\"effects\":[");
  }
  while (runs_done_ && !effects_done_ && taken < max_items) {
    const size_t want = std::min(kPage, max_items - taken);
    const bool first_page = effects_added_ == 0;
    piece_.clear();
    auto page = engine_.each_effect(last_effect_, want, [&](const EffectView& e) {
      add_effect(e);
      last_effect_ = e.seq;
    });
    if (!page) return page.error();
    taken += page.value();
    if (page.value() < want) effects_done_ = true;
    emit(piece_);
    if (first_page && !effects_done_ && effects_added_ > 0) {
      auto total = engine_.effect_count();
      if (!total) return total.error();
      const auto n = static_cast<size_t>(total.value());
      if (n > effects_added_) reserve_like(piece_.size(), effects_added_, n - effects_added_);
    }
  }
  if (!effects_done_) return false;
  if (!changes_started_) {
    emit("],\"tables\":{\"changes\":[");
    changes_ = engine_.take_table_changes();
    if (document_) changes_json_.get_ref<Json::array_t&>().reserve(changes_.size());
    changes_started_ = true;
  }
  for (; next_change_ < changes_.size() && taken < max_items; ++next_change_, ++taken) add_change(changes_[next_change_]);
  if (next_change_ < changes_.size()) return false;
  if (auto s = finish(); !s) return s.error();
  return true;
}

void TraceBuilder::add_change(TableChange& c) {
  std::string& out = piece_;
  out.clear();
  if (next_change_ > 0) out += ',';
  out += '{';
  append_field(out, "time", format_instant(c.time), true);
  append_field(out, "run", c.run_id);
  append_field(out, "table", c.table);
  append_field(out, "key", c.key);
  append_json_key(out, "value");
  append_json(out, c.value);
  out += '}';
  emit(out);
  if (!document_) return;
  // Built from the change itself (it is ours to move from), not parsed back from its text.
  Json o = Json::object();
  auto& members = o.get_ref<Json::object_t&>();
  members.reserve(5);
  members.emplace("time", format_instant(c.time));
  members.emplace("run", std::move(c.run_id));
  members.emplace("table", std::move(c.table));
  members.emplace("key", std::move(c.key));
  members.emplace("value", std::move(c.value));
  changes_json_.push_back(std::move(o));
}

Status TraceBuilder::finish() {
  piece_.clear();
  piece_.shrink_to_fit();
  changes_.clear();
  changes_.shrink_to_fit();

  trace_.branches = engine_.branches_taken();
  Json final_rows = Json::object();
  for (const TableDef& td : bundle_.tables) final_rows[td.name] = Json::object();
  auto rows = engine_.table_rows();
  if (!rows) return rows.error();
  for (const TableRow& r : rows.value()) final_rows[r.table][r.key] = parse_or_null(r.value);
  Json counts = Json::object();
  for (const auto& c : trace_.counts) {
    counts[c.workflow] = {{"started", c.started}, {"completed", c.completed}, {"waiting", c.waiting},
                          {"failed", c.failed}, {"stopped", c.stopped}};
  }
  Json by_type = Json::object();
  for (const auto& [type, n] : trace_.effects_by_type) by_type[type] = n;
  // Events a trigger filter rejected: which workflow, which event, and the filter's verdict.
  Json rejected = Json::array();
  for (FilterRejection& r : engine_.take_filter_rejections()) {
    Json o = Json::object();
    o["time"] = format_instant(r.time);
    o["workflow"] = std::move(r.workflow);
    o["event"] = std::move(r.event_id);
    o["type"] = std::move(r.event_type);
    o["explanation"] = parse_or_null(r.explanation);
    rejected.push_back(std::move(o));
  }
  emit("],\"final\":");
  emit(final_rows.dump());
  emit("},\"rejected\":");
  emit(rejected.dump());
  emit(",\"counts\":{\"runs\":");
  emit(counts.dump());
  emit(",\"effects\":");
  emit(by_type.dump());
  emit("}}");
  if (document_) {
    // An ordered object is a vector of (const key, value) pairs: growing it copies every member
    // (an initializer list copies too), so each object gets its room before its parts move in.
    Json tables = Json::object();
    tables.get_ref<Json::object_t&>().reserve(2);
    tables["changes"] = std::move(changes_json_);
    tables["final"] = std::move(final_rows);
    Json all_counts = Json::object();
    all_counts["runs"] = std::move(counts);
    all_counts["effects"] = std::move(by_type);
    Json& t = trace_.json;
    t.get_ref<Json::object_t&>().reserve(t.size() + 5);
    t["runs"] = std::move(runs_json_);
    t["effects"] = std::move(effects_json_);
    t["tables"] = std::move(tables);
    t["rejected"] = std::move(rejected);
    t["counts"] = std::move(all_counts);
  }
  trace_.hash = hash_.hex();
  return {};
}

namespace {

// A simulation's engine: on a fresh store in memory, held in one transaction.
Result<std::unique_ptr<Engine>> simulation_engine(const Bundle& bundle, const SimOptions& o, RunObserver* live) {
  auto store = SqliteStore::open(":memory:");
  if (!store) return store.error();
  // A throwaway store: one transaction for the whole simulation, no rollback journal. It is
  // never committed: the trace is read inside it, and the store is dropped with the engine.
  if (auto s = store.value()->hold(); !s) return s.error();
  EngineOptions eo;
  eo.limits = o.limits;
  eo.explain = o.explain;
  eo.record_steps = o.include_steps;  // nothing else reads them in a simulation
  eo.record_tables = true;
  eo.record_rejections = true;
  eo.record_branches = o.record_branches;
  eo.keep_handled_events = false;  // the store is thrown away with the simulation
  eo.effects_delivered = true;     // to the simulated outside world: the trace
  eo.request = mock_request_port(o.http_mocks, bundle.http_mocks);
  eo.observer = live;
  eo.keep_finished = !live;  // the trace has every run, its steps and its effects
  auto opened = Engine::open(bundle.runnable_copy(), std::move(store.value()), std::move(eo));
  if (!opened) return opened.error();
  return std::move(opened.value());
}

}  // namespace

Status Simulation::start_engine(const Bundle& bundle) {
  const SimOptions& o = options_;
  if (!o.document && !o.observer) live_ = std::make_unique<LiveTrace>(bundle, o.include_steps);
  auto engine = simulation_engine(bundle, o, o.observer ? o.observer : live_.get());
  if (!engine) return engine.error();
  engine_ = std::move(engine.value());
  return {};
}

Result<std::unique_ptr<Simulation>> Simulation::open(const Bundle& bundle,
                                                      std::shared_ptr<const std::vector<Event>> events,
                                                      SimOptions options) {
  std::unique_ptr<Simulation> sim(new Simulation());
  sim->options_ = std::move(options);
  sim->events_ = std::move(events);
  const SimOptions& o = sim->options_;
  if (auto s = sim->start_engine(bundle); !s) return s.error();
  const std::vector<Event>& input = *sim->events_;
  sim->order_.reserve(input.size());
  for (const Event& e : input) sim->order_.push_back(&e);
  std::stable_sort(sim->order_.begin(), sim->order_.end(),
                   [](const Event* a, const Event* b) { return a->time_ms < b->time_ms; });
  const auto& order = sim->order_;
  sim->until_ = o.until ? *o.until : (order.empty() ? o.from.value_or(0) : order.back()->time_ms) + kDefaultSimulationTail;
  sim->from_ = o.from ? *o.from : (order.empty() ? sim->until_ : order.front()->time_ms);
  sim->clock_ = sim->from_;
  return sim;
}

Result<std::unique_ptr<Simulation>> Simulation::open_fed(const Bundle& bundle, SimOptions options) {
  std::unique_ptr<Simulation> sim(new Simulation());
  sim->options_ = std::move(options);
  sim->fed_ = true;
  sim->consume_ = true;
  if (auto s = sim->start_engine(bundle); !s) return s.error();
  const SimOptions& o = sim->options_;
  if (o.until) sim->until_ = *o.until;
  if (o.from) sim->from_ = sim->clock_ = *o.from;
  return sim;
}

bool Simulation::feed(std::vector<Event>&& events) {
  if (events.empty()) return true;
  Millis last = given_ ? last_given_ : std::numeric_limits<Millis>::min();
  for (const Event& e : events) {
    if (e.time_ms < last) return false;
    last = e.time_ms;
  }
  if (given_ == 0 && !options_.from) from_ = clock_ = events.front().time_ms;
  given_ += events.size();
  last_given_ = last;
  if (!past_until_) blocks_.push_back(std::move(events));
  return true;
}

void Simulation::end_feed(std::optional<Millis> until) {
  if (feed_ended_) return;
  feed_ended_ = true;
  SimOptions& o = options_;
  if (!o.until && until) {
    o.until = until;
    until_ = *until;
  }
  if (!o.until) until_ = (given_ ? last_given_ : o.from.value_or(0)) + kDefaultSimulationTail;
  if (given_ == 0 && !o.from) from_ = clock_ = until_;
}

Result<Simulation::Did> Simulation::step(size_t trace_items) {
  if (finished_) return Did::Finished;
  Engine& engine = *engine_;
  if (!builder_) {
    // The next event: null when there is none left (a fed simulation may wait for more).
    Event* next = nullptr;
    if (fed_) {
      while (!blocks_.empty() && in_block_ == blocks_.front().size()) {
        blocks_.pop_front();
        in_block_ = 0;
      }
      if (!blocks_.empty()) {
        next = &blocks_.front()[in_block_];
      } else if (!feed_ended_) {
        return Did::Hungry;
      }
    } else if (next_ < order_.size()) {
      // A consumed event was given to this simulation as a vector it owns, not a const one.
      next = const_cast<Event*>(order_[next_]);
    }
    if (fed_ && next && until_known() && next->time_ms > until_) {
      // Past `until`: this event and those after it are counted, not fed in.
      blocks_.clear();
      in_block_ = 0;
      past_until_ = true;
      next = nullptr;
    }
    const Millis next_event = next ? next->time_ms : std::numeric_limits<Millis>::max();
    // Before the last event is known, `until` (its default) is later than any event given.
    const bool next_in = next && (!until_known() || next_event <= until_);
    auto due = engine.next_due(clock_);
    if (!due) return due.error();
    if (due.value() && (!until_known() || *due.value() <= until_) && *due.value() <= next_event) {
      clock_ = std::max(clock_, *due.value());
      auto n = engine.advance(clock_);
      if (!n) return n.error();
      return Did::Timers;
    }
    if (next_in) {
      clock_ = std::max(clock_, next_event);
      auto r = consume_ ? engine.ingest(std::move(*next), clock_) : engine.ingest(*next, clock_);
      if (!r) return r.error();
      if (!r.value()) ++duplicates_;
      ++next_;
      if (fed_) ++in_block_;
      return Did::Event;
    }
    if (fed_ && !feed_ended_) return Did::Hungry;  // past `until`, and more may be given
    // The events are all in (or past the end): the trace.
    const size_t given = fed_ ? given_ : events_->size();
    SimEnd end{from_, until_, given, next_, duplicates_, given - next_};
    builder_ = std::make_unique<TraceBuilder>(engine, engine.bundle(), options_.include_steps, end, options_.document,
                                              options_.write_text, live_.get());
  }
  auto built = builder_->step(trace_items);
  if (!built) return built.error();
  if (!built.value()) return Did::Trace;
  trace_ = builder_->take();
  builder_.reset();
  finished_ = true;
  return Did::Finished;
}

namespace {

Result<Trace> run_to_end(Simulation& sim) {
  for (;;) {
    auto did = sim.step();
    if (!did) return did.error();
    if (did.value() == Simulation::Did::Finished) return sim.take_trace();
  }
}

}  // namespace

Result<Trace> simulate(const Bundle& bundle, const std::vector<Event>& input, const SimOptions& options) {
  // The events are the caller's for the length of this call: shared without an owner.
  std::shared_ptr<const std::vector<Event>> events(std::shared_ptr<const void>(), &input);
  auto sim = Simulation::open(bundle, std::move(events), options);
  if (!sim) return sim.error();
  return run_to_end(*sim.value());
}

Result<Trace> simulate(const Bundle& bundle, std::vector<Event>&& input, const SimOptions& options) {
  auto events = std::make_shared<std::vector<Event>>(std::move(input));  // not const: used up
  auto sim = Simulation::open(bundle, events, options);
  if (!sim) return sim.error();
  sim.value()->consume_ = true;
  return run_to_end(*sim.value());
}

namespace {

bool identifies(const std::string& key) {
  auto ends = [&](const char* suffix) {
    size_t n = std::char_traits<char>::length(suffix);
    return key.size() >= n && key.compare(key.size() - n, n, suffix) == 0;
  };
  return key == "id" || key == "token" || ends("_id") || ends("_token");
}

void mark_copy(Json& v, size_t k) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      Json& m = it.value();
      if (identifies(it.key()) && m.is_string()) {
        m = m.get<std::string>() + "~" + std::to_string(k);
      } else if (identifies(it.key()) && m.is_number_integer()) {
        m = m.get<std::int64_t>() + static_cast<std::int64_t>(k) * 1000000;
      } else {
        mark_copy(m, k);
      }
    }
  } else if (v.is_array()) {
    for (Json& item : v) mark_copy(item, k);
  }
}

}  // namespace

std::vector<Event> repeat_events(const std::vector<Event>& events, size_t copies, Millis every) {
  std::vector<Event> out;
  out.reserve(events.size() * copies);
  for (size_t k = 1; k <= copies; ++k) {
    for (const Event& e : events) {
      Event c = e;
      c.id = e.id + "~" + std::to_string(k);
      c.time_ms = e.time_ms + static_cast<Millis>(k) * every;
      if (c.has_time) c.time = format_instant(c.time_ms);
      mark_copy(c.data, k);
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::string summarize(const Trace& trace) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "Simulated %zu event%s from %s to %s", trace.events, trace.events == 1 ? "" : "s",
                format_instant(trace.from).c_str(), format_instant(trace.until).c_str());
  out += line;
  if (trace.duplicates) out += " (" + std::to_string(trace.duplicates) + " duplicate ids ignored)";
  if (trace.after_until) out += " (" + std::to_string(trace.after_until) + " events after the end not fed in)";
  out += "\n\nRuns by workflow:\n";
  size_t width = 8;
  for (const auto& c : trace.counts) width = std::max(width, c.workflow.size());
  std::snprintf(line, sizeof line, "  %-*s %8s %10s %8s %7s %8s\n", static_cast<int>(width), "workflow", "started",
                "completed", "waiting", "failed", "stopped");
  out += line;
  for (const auto& c : trace.counts) {
    std::snprintf(line, sizeof line, "  %-*s %8zu %10zu %8zu %7zu %8zu\n", static_cast<int>(width), c.workflow.c_str(),
                  c.started, c.completed, c.waiting, c.failed, c.stopped);
    out += line;
  }
  out += "\nEffects by type:\n";
  if (trace.effects_by_type.empty()) out += "  (none)\n";
  for (const auto& [type, n] : trace.effects_by_type) {
    std::snprintf(line, sizeof line, "  %-24s %zu\n", type.c_str(), n);
    out += line;
  }
  if (trace.failed) {
    out += "\nFailed runs:\n";
    for (const FailedRun& f : trace.first_failures) out += "  " + f.id + ": " + f.error + "\n";
    if (trace.failed > trace.first_failures.size())
      out += "  ... and " + std::to_string(trace.failed - trace.first_failures.size()) + " more\n";
  }
  out += "\nTrace hash: " + trace.hash + "\n";
  return out;
}

// [SECTION] self-tests
namespace {

// True when `actual` has everything `expected` has: objects member by member (recursively),
// anything else by equality.
bool contains(const Json& actual, const Json& expected) {
  if (expected.is_object()) {
    if (!actual.is_object()) return false;
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      auto a = actual.find(it.key());
      if (a == actual.end() || !contains(*a, it.value())) return false;
    }
    return true;
  }
  return actual == expected;
}

// Two texts that differ: short ones whole, long ones as the place where they first differ and a
// little of each around it ("…order #1001 is on…" against "…order #1001 was on…").
std::string text_difference(const std::string& actual, const std::string& expected) {
  constexpr size_t kShort = 60, kBefore = 24, kAfter = 36;
  if (actual.size() <= kShort && expected.size() <= kShort)
    return "expected " + Json(expected).dump() + ", got " + Json(actual).dump();
  size_t i = 0;
  while (i < actual.size() && i < expected.size() && actual[i] == expected[i]) ++i;
  // Start at a character, not inside one (UTF-8 continuation bytes are 10xxxxxx).
  auto char_start = [](const std::string& t, size_t p) {
    while (p > 0 && p < t.size() && (static_cast<unsigned char>(t[p]) & 0xC0) == 0x80) --p;
    return p;
  };
  size_t from = char_start(expected, i > kBefore ? i - kBefore : 0);
  auto around = [&](const std::string& t) {
    size_t end = std::min(t.size(), i + kAfter);
    while (end < t.size() && (static_cast<unsigned char>(t[end]) & 0xC0) == 0x80) ++end;
    std::string piece = t.substr(std::min(from, t.size()), end - std::min(from, t.size()));
    return Json((from > 0 ? "…" : "") + piece + (end < t.size() ? "…" : "")).dump(-1, ' ', false, Json::error_handler_t::replace);
  };
  size_t chars = 0;  // characters before the difference, counted as a reader counts them
  for (size_t k = 0; k < i; ++k) chars += (static_cast<unsigned char>(expected[k]) & 0xC0) != 0x80;
  std::string at = i >= expected.size() ? "the expected text ends at character " + std::to_string(chars + 1)
                 : i >= actual.size()   ? "the text ends early, at character " + std::to_string(chars + 1)
                                        : "the texts differ at character " + std::to_string(chars + 1);
  return at + ": expected " + around(expected) + ", got " + around(actual);
}

// The first member (as a pointer) where `actual` lacks what `expected` has, for the diff.
std::string first_difference(const Json& actual, const Json& expected, const std::string& at = "") {
  if (expected.is_object() && actual.is_object()) {
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      std::string p = pointer_join(at, it.key());
      auto a = actual.find(it.key());
      if (a == actual.end()) return p + ": expected " + it.value().dump() + ", missing";
      if (!contains(*a, it.value())) return first_difference(*a, it.value(), p);
    }
    return "";
  }
  std::string where = at.empty() ? "value" : at;
  if (expected.is_string() && actual.is_string()) return where + ": " + text_difference(actual.get<std::string>(), expected.get<std::string>());
  return where + ": expected " + expected.dump() + ", got " + actual.dump();
}

bool effect_matches(const Json& actual, const Json& expected) {
  if (actual.value("type", std::string()) != expected.value("type", std::string())) return false;
  if (expected.contains("workflow") && actual.value("workflow", std::string()) != expected["workflow"]) return false;
  if (expected.contains("at")) {
    auto want = parse_instant(expected.value("at", std::string()));
    auto got = parse_instant(actual.value("time", std::string()));
    if (!want || !got || want.value() != got.value()) return false;
  }
  return !expected.contains("params") || contains(actual["params"], expected["params"]);
}

std::string describe_effect(const Json& e) {
  std::string params = e.contains("params") ? e["params"].dump() : "";
  if (params.size() > 160) params = params.substr(0, 157) + "...";
  std::string s = e.value("type", std::string());
  if (e.contains("time")) s = e.value("time", std::string()) + " " + s;
  if (e.contains("at")) s += " at " + e.value("at", std::string());
  if (e.contains("workflow") && e["workflow"].is_string()) s += " (" + e.value("workflow", std::string()) + ")";
  return s + (params.empty() ? "" : " " + params);
}

void check_expectations(const Json& expect, const Trace& trace, std::vector<std::string>* diffs) {
  const Json& effects = trace.json["effects"];
  bool listed_effects = false;
  auto list_effects = [&]() {
    if (listed_effects) return;
    listed_effects = true;
    if (effects.empty()) {
      diffs->push_back("    (no effects happened)");
      return;
    }
    diffs->push_back("    effects that happened:");
    for (const auto& e : effects) diffs->push_back("      " + describe_effect(e));
  };
  if (auto exp = expect.find("effects"); exp != expect.end() && exp->is_array()) {
    bool exact = expect.value("effects_match", std::string("subset")) == "exact";
    if (exact) {
      size_t n = std::max(exp->size(), effects.size());
      bool bad = false;
      for (size_t i = 0; i < n; ++i) {
        if (i >= exp->size()) {
          diffs->push_back("  unexpected effect #" + std::to_string(i + 1) + ": " + describe_effect(effects[i]));
          bad = true;
        } else if (i >= effects.size()) {
          diffs->push_back("  missing effect #" + std::to_string(i + 1) + ": " + describe_effect((*exp)[i]));
          bad = true;
        } else if (!effect_matches(effects[i], (*exp)[i])) {
          std::string why = effects[i].value("type", std::string()) != (*exp)[i].value("type", std::string())
                                ? "a " + effects[i].value("type", std::string()) + " happened instead"
                                : first_difference(effects[i]["params"], (*exp)[i].value("params", Json::object()),
                                                   "/params");
          diffs->push_back("  effect #" + std::to_string(i + 1) + " differs: expected " + describe_effect((*exp)[i]) +
                           "; " + why);
          bad = true;
        }
      }
      if (bad) list_effects();
    } else {
      std::vector<bool> used(effects.size(), false);
      for (const auto& want : *exp) {
        size_t found = SIZE_MAX;
        for (size_t i = 0; i < effects.size() && found == SIZE_MAX; ++i) {
          if (!used[i] && effect_matches(effects[i], want)) found = i;
        }
        if (found != SIZE_MAX) {
          used[found] = true;
          continue;
        }
        std::string line = "  missing effect: " + describe_effect(want);
        // The nearest candidate of the same type says what differed.
        for (size_t i = 0; i < effects.size(); ++i) {
          if (used[i] || effects[i].value("type", std::string()) != want.value("type", std::string())) continue;
          if (want.contains("at") && want["at"] != effects[i]["time"]) {
            line += "\n    nearest: one at " + effects[i].value("time", std::string());
          } else if (want.contains("params")) {
            line += "\n    nearest: " + first_difference(effects[i]["params"], want["params"], "/params");
          }
          break;
        }
        diffs->push_back(line);
        list_effects();
      }
    }
  }
  if (auto no = expect.find("no_effects"); no != expect.end() && no->is_array()) {
    for (const auto& type : *no) {
      for (const auto& e : effects) {
        if (e["type"] == type) diffs->push_back("  unexpected effect (no_effects lists " + type.get<std::string>() +
                                                "): " + describe_effect(e));
      }
    }
  }
  if (auto tables = expect.find("tables"); tables != expect.end() && tables->is_object()) {
    const Json& final_rows = trace.json["tables"]["final"];
    for (auto t = tables->begin(); t != tables->end(); ++t) {
      for (auto k = t.value().begin(); k != t.value().end(); ++k) {
        const Json* got = nullptr;
        if (final_rows.contains(t.key()) && final_rows[t.key()].contains(k.key())) got = &final_rows[t.key()][k.key()];
        std::string where = "  table " + t.key() + ", key \"" + k.key() + "\": ";
        if (k.value().is_null()) {
          if (got) diffs->push_back(where + "expected no row, got " + got->dump());
        } else if (!got) {
          diffs->push_back(where + "expected " + k.value().dump() + ", but there is no such row");
        } else if (!contains(*got, k.value())) {
          diffs->push_back(where + first_difference(*got, k.value()) + " (row " + got->dump() + ")");
        }
      }
    }
  }
  if (auto runs = expect.find("runs"); runs != expect.end() && runs->is_array()) {
    const Json& actual = trace.json["runs"];
    for (const auto& want : *runs) {
      std::string wf = want.value("workflow", std::string());
      std::string status = want.value("status", std::string());
      std::string error = want.value("error", std::string());
      size_t n = 0;
      std::map<std::string, size_t> seen;
      for (const auto& r : actual) {
        if (r.value("workflow", std::string()) != wf) continue;
        ++seen[r.value("status", std::string())];
        if (!status.empty() && r.value("status", std::string()) != status) continue;
        if (!error.empty() && r.value("error", std::string()).find(error) == std::string::npos) continue;
        ++n;
      }
      bool ok = want.contains("count") ? n == want.value("count", size_t{0}) : n > 0;
      if (ok) continue;
      std::string got;
      for (const auto& [s, c] : seen) got += (got.empty() ? "" : ", ") + std::to_string(c) + " " + s;
      std::string expected = want.contains("count") ? std::to_string(want.value("count", size_t{0})) : "at least 1";
      diffs->push_back("  runs of " + wf + (status.empty() ? "" : " with status " + status) +
                       (error.empty() ? "" : " and error containing \"" + error + "\"") + ": expected " + expected +
                       ", got " + std::to_string(n) + " (all runs of " + wf + ": " + (got.empty() ? "none" : got) + ")");
      for (const auto& r : actual) {
        if (r.value("workflow", std::string()) == wf && r.contains("error"))
          diffs->push_back("    " + r.value("id", std::string()) + " failed: " + r.value("error", std::string()));
      }
    }
  }
}

}  // namespace

TestOutcome run_test(const Bundle& bundle, const BundleTest& t, std::map<BranchKey, size_t>* taken) {
  TestOutcome o;
  o.name = t.name;
  SimOptions opts;
  opts.from = t.from;
  opts.until = t.until;
  opts.record_branches = taken != nullptr;
  opts.http_mocks = t.http_mocks;
  // A test that seeds tables runs on a copy of the bundle with those rows.
  std::optional<Bundle> seeded;
  if (!t.tables.empty()) {
    seeded = bundle.runnable_copy();
    for (const TableDef& seed : t.tables) {
      for (TableDef& td : seeded->tables) {
        if (td.name == seed.name) td.rows = seed.rows;
      }
    }
  }
  auto trace = simulate(seeded ? *seeded : bundle, t.events, opts);
  if (!trace) {
    o.diff = "  the simulation failed: " + trace.error().to_string();
    return o;
  }
  o.trace_hash = trace.value().hash;
  if (taken) {
    for (const auto& [k, n] : trace.value().branches) (*taken)[k] += n;
  }
  std::vector<std::string> diffs;
  check_expectations(t.expect, trace.value(), &diffs);
  o.passed = diffs.empty();
  for (const auto& d : diffs) o.diff += d + "\n";
  return o;
}

std::vector<TestOutcome> run_tests(const Bundle& bundle, std::vector<BranchCoverage>* coverage) {
  std::vector<TestOutcome> out;
  std::map<BranchKey, size_t> taken;
  for (const BundleTest& t : bundle.tests) out.push_back(run_test(bundle, t, coverage ? &taken : nullptr));
  if (coverage) {
    coverage->clear();
    for (BranchKey& k : branches_of(bundle)) {
      auto it = taken.find(k);
      coverage->push_back(BranchCoverage{std::move(k), it == taken.end() ? 0 : it->second});
    }
  }
  return out;
}

Result<std::vector<Event>> parse_events_jsonl(std::string_view text) {
  std::vector<Event> out;
  EventLineReader reader(text);
  for (;;) {
    auto more = reader.read(&out, SIZE_MAX);
    if (!more) return more.error();
    if (!more.value()) return out;
  }
}

Result<bool> EventLineReader::read(std::vector<Event>* out, size_t max_events) {
  const std::string_view text = text_;
  for (size_t taken = 0; !done_ && taken < max_events;) {
    size_t end = text.find('\n', pos_);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos_, end - pos_);
    ++line_no_;
    pos_ = end + 1;
    if (end == text.size()) done_ = true;
    const bool blank = line.find_first_not_of(" \t\r") == std::string_view::npos;
    if (blank) continue;
    auto j = parse_json(line, "event");
    if (!j) {
      Error e = j.error();
      e.line = static_cast<int>(line_no_);
      return e;
    }
    auto e = parse_event(std::move(j.value()), "line-" + std::to_string(line_no_));
    if (!e) {
      Error x = e.error();
      x.message = "line " + std::to_string(line_no_) + ": " + (x.pointer.empty() ? "" : x.pointer + ": ") + x.message;
      x.pointer.clear();
      return x;
    }
    if (!e.value().has_time) return Error{"line " + std::to_string(line_no_) + ": the event needs a \"time\"", "", 0, 0};
    out->push_back(std::move(e.value()));
    ++taken;
  }
  return !done_;
}

}  // namespace shopflow
