// `shopflow backtest BUNDLE (--db STORE | --from URL) [--since T] [--until T] [--details] [--json]`:
// re-runs the events production received through BUNDLE and says what it would have done
// differently. `shopflow export-events (--db STORE | --from URL) [--since T] [--until T] [--type T]`:
// writes production's events as JSON Lines.
// Exit codes (backtest): 0 no difference, 1 something differs, 2 errors.
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli_util.hpp"
#include "commands.hpp"
#include "production.hpp"
#include "shopflow/backtest.hpp"

namespace shopflow::cli {

namespace {

const char* const kBacktestUsage =
    "Usage: shopflow backtest BUNDLE.json (--db STORE | --from URL [--token T]) [--since TIME] [--until TIME]\n"
    "                         [--details] [--json]\n"
    "\n"
    "Re-runs the events production received through BUNDLE (on a simulated clock: each event when\n"
    "the runner received it, timers in between) and compares with what production did: per\n"
    "workflow, the runs started, the decisions that flipped (which step, which condition, the values\n"
    "it saw, production's verdict and the bundle's) and the effects added, removed or changed.\n"
    "\n"
    "Options:\n"
    "  --db STORE      production's store (the file `shopflow serve --db` writes)\n"
    "  --from URL      a running runner's API (http://HOST:PORT), read with the token of --token or\n"
    "                  of SHOPFLOW_API_READ_TOKEN (the runner's read token; SHOPFLOW_API_TOKEN is read\n"
    "                  when it is not set)\n"
    "  --since TIME    only events received from TIME on (RFC 3339), and the runs they started\n"
    "  --until TIME    only events received before TIME (one received at TIME is left out, as in the\n"
    "                  runner's API); production as it stood just before TIME\n"
    "  --details       list every difference after the summary\n"
    "  --json          the report as JSON ({\"differs\", \"total\", \"workflows\", \"details\"?})\n"
    "\n"
    "Progress goes to stderr. Exit status: 0 no difference, 1 something differs, 2 errors.\n";

const char* const kExportUsage =
    "Usage: shopflow export-events (--db STORE | --from URL [--token T]) [--since TIME] [--until TIME] [--type TYPE]\n"
    "\n"
    "Writes the events production received from outside, in arrival order, as JSON Lines on stdout:\n"
    "  {\"seq\":N,\"received\":\"<RFC 3339>\",\"event\":{...}}\n"
    "(the lines GET /v1/events answers). TIME is RFC 3339; TYPE an event type (order.created).\n"
    "\n"
    "Exit status: 0 written, 2 errors.\n";

struct SourceArgs {
  std::string db, from, token;
  RecordFilter filter;
};

// Parses one of the options both commands share; `i` moves past its value. 1 taken, 0 not
// one of them, -1 bad (printed).
int source_option(const char* cmd, int argc, char** argv, int& i, SourceArgs& a) {
  const std::string arg = argv[i];
  if (arg != "--db" && arg != "--from" && arg != "--token" && arg != "--since" && arg != "--until") return 0;
  if (i + 1 >= argc) {
    std::fprintf(stderr, "shopflow %s: %s needs a value\n", cmd, arg.c_str());
    return -1;
  }
  const std::string v = argv[++i];
  if (arg == "--db") {
    a.db = v;
  } else if (arg == "--from") {
    a.from = v;
  } else if (arg == "--token") {
    a.token = v;
  } else {
    auto t = parse_instant(v);
    if (!t) {
      std::fprintf(stderr, "shopflow %s: %s %s: %s (write it as 2026-12-07T09:00:00Z)\n", cmd, arg.c_str(), v.c_str(),
                   t.error().message.c_str());
      return -1;
    }
    (arg == "--since" ? a.filter.since : a.filter.until) = t.value();
  }
  return 1;
}

std::unique_ptr<ProductionSource> open_source(const char* cmd, SourceArgs& a) {
  if (a.db.empty() == a.from.empty()) {
    std::fprintf(stderr, "shopflow %s: give production's record with --db STORE or --from URL (one of them)\n", cmd);
    return nullptr;
  }
  // The read token by the name the runner gives it; the ingest's name is what earlier versions
  // read, kept for scripts that set it.
  for (const char* name : {"SHOPFLOW_API_READ_TOKEN", "SHOPFLOW_API_TOKEN"}) {
    const char* env = std::getenv(name);
    if (a.token.empty() && env) a.token = env;
  }
  auto s = a.db.empty() ? open_api_source(a.from, a.token, a.filter) : open_store_source(a.db, a.filter);
  if (!s) {
    std::fprintf(stderr, "shopflow %s: %s\n", cmd, s.error().message.c_str());
    return nullptr;
  }
  return std::move(s.value());
}

// Says how far a long job has come on stderr, at most once a second, from its second second on.
class Progress {
 public:
  explicit Progress(const char* cmd) : cmd_(cmd), start_(std::chrono::steady_clock::now()), last_(start_) {}
  void report(size_t done, std::optional<std::int64_t> total, const char* what) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(1) || now - start_ < std::chrono::seconds(1)) return;
    last_ = now;
    shown_ = true;
    if (total && *total > 0) {
      std::fprintf(stderr, "%s: %zu of about %" PRId64 " %s\n", cmd_, done, *total, what);
    } else {
      std::fprintf(stderr, "%s: %zu %s\n", cmd_, done, what);
    }
  }
  void done(const std::string& line) {
    if (!shown_) return;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "%s: %s in %.1f s\n", cmd_, line.c_str(), secs);
  }

 private:
  const char* cmd_;
  std::chrono::steady_clock::time_point start_, last_;
  bool shown_ = false;
};

std::string count_text(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "2 decisions flipped, 1 effect removed" ("no difference" when nothing differs).
std::string differences_text(const WorkflowDiff& w) {
  std::string s;
  auto part = [&](size_t n, const char* one, const char* many) {
    if (n) s += (s.empty() ? "" : ", ") + count_text(n, one, many);
  };
  part(w.runs_added, "run added", "runs added");
  part(w.runs_removed, "run removed", "runs removed");
  part(w.status_changed, "run ends differently", "runs end differently");
  part(w.decisions_flipped, "decision flipped", "decisions flipped");
  part(w.effects_added, "effect added", "effects added");
  part(w.effects_removed, "effect removed", "effects removed");
  part(w.effects_changed, "effect changed", "effects changed");
  return s.empty() ? "no difference" : s;
}

void print_report(const ComparisonReport& r, const std::string& bundle_path, const std::string& bundle_name,
                  const std::string& where, size_t events, Millis first, Millis last, bool details) {
  std::printf("Backtest of %s (%s) over %s from %s", bundle_name.c_str(), bundle_path.c_str(),
              count_text(events, "event", "events").c_str(), where.c_str());
  if (events) std::printf(", received %s to %s", format_instant(first).c_str(), format_instant(last).c_str());
  std::printf("\n\n");
  size_t width = 8;
  for (const WorkflowDiff& w : r.workflows) width = std::max(width, w.workflow.size());
  std::printf("%-*s  %-24s  %-24s  %s\n", static_cast<int>(width), "workflow", "runs production -> bundle",
              "effects production -> bundle", "differences");
  for (const WorkflowDiff& w : r.workflows) {
    std::string runs = std::to_string(w.runs_before) + " -> " + std::to_string(w.runs_after);
    std::string effects = std::to_string(w.effects_before) + " -> " + std::to_string(w.effects_after);
    std::printf("%-*s  %-24s  %-24s  %s\n", static_cast<int>(width), w.workflow.c_str(), runs.c_str(), effects.c_str(),
                differences_text(w).c_str());
  }
  std::printf("\n");
  if (!r.differs()) {
    std::printf("No difference: the bundle decides and acts as production did.\n");
    return;
  }
  std::printf("Differs: %s.", differences_text(r.total()).c_str());
  if (!details) {
    std::printf(" Add --details to list them.\n");
    return;
  }
  std::printf("\n\n");
  for (const Difference& d : r.details) std::printf("%s: %s\n", d.workflow.c_str(), describe(d).c_str());
  if (r.details_left_out) std::printf("... and %zu more not listed\n", r.details_left_out);
}

// A page of production's record: events (parsed, their time the time received), and the runs
// and effects as far as those events (a page more), so that both sides of a run meet soon and
// memory holds about a page. `last`: nothing follows.
struct Chunk {
  std::vector<Event> events;
  std::vector<RunRecord> runs;
  std::vector<EffectRecord> effects;
  std::string error;
  bool last = false;
};

// The CPU time the calling thread has used, in seconds.
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Reads production's record on a thread of its own, a few chunks ahead of the simulation.
class ReadAhead {
 public:
  explicit ReadAhead(ProductionSource& source) : source_(source), thread_([this] { run(); }) {}
  ~ReadAhead() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Chunk next() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !queue_.empty(); });
    Chunk c = std::move(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
    return c;
  }
  // The CPU time the reading thread used, once it has given the last chunk (0 before).
  double cpu_seconds() {
    std::lock_guard<std::mutex> lock(mu_);
    return cpu_seconds_;
  }

 private:
  static constexpr size_t kEventPage = 512, kRecordPage = 512, kAhead = 4;
  ProductionSource& source_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> queue_;
  bool stop_ = false;
  bool runs_done_ = false, effects_done_ = false;
  Millis runs_at_ = 0, effects_at_ = 0;
  double cpu_seconds_ = 0;
  std::thread thread_;

  bool put(Chunk&& c) {
    const bool end = c.last || !c.error.empty();
    const double cpu = end ? thread_cpu_seconds() : 0;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return stop_ || queue_.size() < kAhead; });
    if (stop_) return false;
    if (end) cpu_seconds_ = cpu;
    queue_.push_back(std::move(c));
    cv_.notify_all();
    return true;
  }

  // Runs and effects up to time `t` (all that are left without it).
  Status read_records(Chunk& c, std::optional<Millis> t) {
    while (!runs_done_ && (!t || runs_at_ <= *t)) {
      auto page = source_.runs(kRecordPage);
      if (!page) return page.error();
      if (page.value().empty()) {
        runs_done_ = true;
        break;
      }
      runs_at_ = page.value().back().started;
      for (RunRecord& r : page.value()) c.runs.push_back(std::move(r));
    }
    while (!effects_done_ && (!t || effects_at_ <= *t)) {
      auto page = source_.effects(kRecordPage);
      if (!page) return page.error();
      if (page.value().empty()) {
        effects_done_ = true;
        break;
      }
      effects_at_ = page.value().back().created;
      for (EffectRecord& e : page.value()) c.effects.push_back(std::move(e));
    }
    return {};
  }

  void run() {
    pthread_setname_np(pthread_self(), "shopflow-read");  // as top -H and perf show it
    for (;;) {
      Chunk c;
      auto page = source_.events(kEventPage);
      if (!page) {
        c.error = page.error().message;
        put(std::move(c));
        return;
      }
      c.last = page.value().empty();
      c.events.reserve(page.value().size());
      for (EventLine& line : page.value()) {
        auto e = event_of(std::move(line));
        if (!e) {
          c.error = source_.where() + ": " + e.error().message;
          put(std::move(c));
          return;
        }
        c.events.push_back(std::move(e.value()));
      }
      std::optional<Millis> upto;
      if (!c.last) upto = c.events.back().time_ms;
      if (auto st = read_records(c, upto); !st) c.error = st.error().message;
      const bool end = c.last || !c.error.empty();
      if (!put(std::move(c)) || end) return;
    }
  }
};

}  // namespace

int cmd_backtest(int argc, char** argv) {
  constexpr const char* kCmd = "shopflow backtest";
  SourceArgs sa;
  std::string path;
  bool details = false, json = false;
  for (int i = 0; i < argc; ++i) {
    if (is_help(argv[i])) {
      std::fputs(kBacktestUsage, stdout);
      return 0;
    }
    int taken = source_option("backtest", argc, argv, i, sa);
    if (taken < 0) return 2;
    if (taken > 0) continue;
    std::string arg = argv[i];
    if (arg == "--details") {
      details = true;
    } else if (arg == "--json") {
      json = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "shopflow backtest: unknown option %s\n\n%s", arg.c_str(), kBacktestUsage);
      return 2;
    } else if (path.empty()) {
      path = arg;
    } else {
      std::fprintf(stderr, "shopflow backtest: one bundle at a time (got %s and %s)\n", path.c_str(), arg.c_str());
      return 2;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "shopflow backtest: which bundle?\n\n%s", kBacktestUsage);
    return 2;
  }
  auto loaded = read_bundle(path);
  if (!loaded) return 2;
  if (!loaded.value().ok()) {
    for (const Problem& p : loaded.value().problems) std::fprintf(stderr, "%s: %s\n", path.c_str(), p.to_string().c_str());
    std::fprintf(stderr, "shopflow backtest: the bundle has problems; fix them first (shopflow validate %s)\n",
                 path.c_str());
    return 2;
  }
  const Bundle& bundle = loaded.value().bundle;
  auto source = open_source("backtest", sa);
  if (!source) return 2;
  BacktestOptions bo;
  bo.since = sa.filter.since;
  bo.until = sa.filter.until;
  bo.max_details = details ? 100000 : 0;
  auto opened = Backtest::open(bundle, bo);
  if (!opened) {
    std::fprintf(stderr, "%s: %s\n", kCmd, opened.error().message.c_str());
    return 2;
  }
  Backtest& bt = *opened.value();
  auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", kCmd, what.c_str());
    return 2;
  };
  auto simulate = [&]() -> Result<Backtest::Did> {
    for (;;) {
      auto did = bt.step();
      if (!did || did.value() != Backtest::Did::Working) return did;
    }
  };
  Progress progress(kCmd);
  const auto total = source->events_total();
  ReadAhead reader(*source);
  size_t events = 0;
  Millis first = 0, last = 0;
  for (;;) {
    Chunk c = reader.next();
    if (!c.error.empty()) return fail(c.error);
    if (!c.events.empty()) {
      if (events == 0) first = c.events.front().time_ms;
      last = c.events.back().time_ms;
      events += c.events.size();
      bt.add_events(std::move(c.events));
    }
    bt.add_runs(std::move(c.runs));
    bt.add_effects(std::move(c.effects));
    if (c.last) break;
    auto did = simulate();
    if (!did) return fail("simulating: " + did.error().message);
    progress.report(events, total, "events");
  }
  bt.end_input();
  for (;;) {
    auto did = simulate();
    if (!did) return fail("simulating: " + did.error().message);
    if (did.value() == Backtest::Did::Finished) break;
  }
  // Where the CPU time went: this thread simulates and compares, the other reads production.
  char cpu[128];
  std::snprintf(cpu, sizeof cpu, " (CPU: %.1f s simulating and comparing, %.1f s reading production)",
                thread_cpu_seconds(), reader.cpu_seconds());
  progress.done(count_text(events, "event", "events") + " backtested" + cpu);
  const ComparisonReport& r = bt.report();
  if (json) {
    Json out = r.to_json(details);
    out["bundle"] = bundle.name;
    out["events"] = events;
    out["production"] = source->where();
    if (events) {
      out["received"] = {{"first", format_instant(first)}, {"last", format_instant(last)}};
    }
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    print_report(r, path, bundle.name, source->where(), events, first, last, details);
  }
  return r.differs() ? 1 : 0;
}

int cmd_export_events(int argc, char** argv) {
  SourceArgs sa;
  for (int i = 0; i < argc; ++i) {
    if (is_help(argv[i])) {
      std::fputs(kExportUsage, stdout);
      return 0;
    }
    int taken = source_option("export-events", argc, argv, i, sa);
    if (taken < 0) return 2;
    if (taken > 0) continue;
    std::string arg = argv[i];
    if (arg == "--type" && i + 1 < argc) {
      sa.filter.type = argv[++i];
    } else {
      std::fprintf(stderr, "shopflow export-events: unknown argument %s\n\n%s", arg.c_str(), kExportUsage);
      return 2;
    }
  }
  auto source = open_source("export-events", sa);
  if (!source) return 2;
  Progress progress("shopflow export-events");
  const auto total = source->events_total();
  size_t n = 0;
  std::string out;
  for (;;) {
    auto page = source->events(4096);
    if (!page) {
      std::fprintf(stderr, "shopflow export-events: %s\n", page.error().message.c_str());
      return 2;
    }
    if (page.value().empty()) break;
    out.clear();
    for (const EventLine& e : page.value()) {
      out += event_line_text(e);
      out += '\n';
    }
    n += page.value().size();
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
      std::fprintf(stderr, "shopflow export-events: cannot write to stdout\n");
      return 2;
    }
    progress.report(n, total, "events");
  }
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "shopflow export-events: cannot write to stdout\n");
    return 2;
  }
  progress.done(count_text(n, "event", "events") + " written");
  return 0;
}

}  // namespace shopflow::cli
